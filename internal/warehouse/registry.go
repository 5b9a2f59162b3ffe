package warehouse

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// Options say how to open a warehouse; the zero value is the safe
// default.
type Options struct {
	// Limits bound every query (zero fields: the defaults).
	Limits Limits
	// ExternalAccess lets SQL reach what the engine could read beyond the
	// warehouse itself: for DuckDB, files and URLs (read_csv, read_text,
	// ATTACH of other files, extensions), which projects whose models are
	// views over files need. Off, a query can name no path on the
	// machine. Engines without such access ignore it.
	ExternalAccess bool
}

// Opener opens an adapter's warehouse for a profiles.yml output.
type Opener func(ctx context.Context, t *dbt.Target, o Options) (Warehouse, error)

var (
	registryMu sync.RWMutex
	openers    = map[string]Opener{}
)

// Register makes an adapter available under a profiles.yml type:, as
// database/sql drivers do: the adapter package calls it from init, and
// the program imports the package. It panics on a second registration.
func Register(typ string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := openers[typ]; dup || open == nil {
		panic("warehouse: Register of " + typ + " twice, or with a nil Opener")
	}
	openers[typ] = open
}

// Types lists the registered adapter types, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(openers))
	for t := range openers {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Open opens the warehouse of a profiles.yml output with its registered
// adapter, under the sandbox: every query runs one read-only statement,
// with the timeout and byte cap of o.Limits.
func Open(ctx context.Context, t *dbt.Target, o Options) (*Guarded, error) {
	registryMu.RLock()
	open, ok := openers[t.Type]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%s: output %s.%s has type: %s, which recce does not support (supported: %s)",
			t.ProfilesPath, t.Profile, t.Name, t.Type, strings.Join(Types(), ", "))
	}
	w, err := open(ctx, t, o)
	if err != nil {
		return nil, err
	}
	return Guard(w, o.Limits), nil
}
