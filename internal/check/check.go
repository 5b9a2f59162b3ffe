// Package check holds the checks of a review and their types (one Kind per
// type, in a registry: kind.go and kind_<type>.go), their runs, the preset
// checks of recce.yml, the runner that executes checks against an
// environment, the check review that `recce run`, `recce upload` and the
// server share (review.go), and the state file (recce_state.json) that
// carries all of it between `recce run`, `recce summary`, the server and
// the merge request, with its tally (tally.go).
//
// Every shape here follows the reference system's JSON, field for field, so
// that its state files load here and ours load there (see docs/checks.md):
//
//   - Check and Run follow recce/models/types.py (Check, Run, RunType,
//     RunStatus) of the reference.
//   - The state file follows recce/state.py (RecceState, schema "v0").
//   - Each run type's result follows the reference's task of that type
//     (recce/tasks/*.py); see the type's file, kind_<type>.go, where each
//     result names its source.
//
// The package knows nothing of the command line: the runner takes a
// context and an Env, reports progress through a callback, and never
// prints (a Kind writes its comparison as text only when the CLI asks,
// WriteText). The server keeps checks and runs in its own store and calls
// the same runner.
package check

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Type is a check's (and its run's) type: the reference's RunType values.
// Each type is a Kind in the registry (kind.go).
type Type string

// The types' names are defined with their kinds (kind_<type>.go).

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	_, ok := Lookup(t)
	return ok
}

// NeedsWarehouse reports whether running a check of this type queries the
// warehouse. Lineage and schema diffs read the artifacts only.
func (t Type) NeedsWarehouse() bool {
	k, ok := Lookup(t)
	return ok && k.NeedsWarehouse()
}

// Title is the type as people read it ("Row Count Diff"), as the
// reference's summary writes it.
func (t Type) Title() string {
	words := strings.Split(string(t), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// Status is a run's status: the reference's RunStatus values.
type Status string

const (
	Running   Status = "Running"
	Finished  Status = "Finished"
	Failed    Status = "Failed"
	Cancelled Status = "Cancelled"
)

// Params are a check's parameters as JSON-like values (what recce.yml and
// the API give). Each type reads its own fields from them (its Kind's
// ParseParams).
type Params map[string]any

// Check is one item of the checklist (reference: models/types.py Check).
type Check struct {
	CheckID     string `json:"check_id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        Type   `json:"type"`
	Params      Params `json:"params"`
	ViewOptions Params `json:"view_options"`
	// IsChecked is the approval: a reviewer (or the auto-approval of a
	// check that found nothing) ticked it.
	IsChecked bool `json:"is_checked"`
	// IsPreset marks checks that come from recce.yml.
	IsPreset  bool `json:"is_preset"`
	CreatedAt Time `json:"created_at"`
	UpdatedAt Time `json:"updated_at"`
}

// Run is one execution of a check (reference: models/types.py Run).
// Result holds the type's result shape as JSON (see the type's Kind and
// DecodeResult); it is kept raw so that results written by the reference,
// with fields this product does not know, survive a round trip.
type Run struct {
	RunID   string          `json:"run_id"`
	CheckID string          `json:"check_id,omitempty"`
	Type    Type            `json:"type"`
	Name    string          `json:"name,omitempty"`
	Params  Params          `json:"params"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   string          `json:"error,omitempty"`
	Status  Status          `json:"status"`
	RunAt   Time            `json:"run_at"`
	// DurationMS is how long the run took. The reference has no such
	// field; it ignores it when reading our files.
	DurationMS int64 `json:"duration_ms,omitempty"`
}

// UnmarshalJSON reads a run, inferring the status of runs written by
// reference versions that had none: an error means Failed, a result
// Finished.
func (r *Run) UnmarshalJSON(b []byte) error {
	type plain Run
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if bytes.Equal(p.Result, []byte("null")) {
		p.Result = nil
	}
	// The reference writes its statuses in lower case ("finished").
	for _, s := range []Status{Running, Finished, Failed, Cancelled} {
		if strings.EqualFold(string(p.Status), string(s)) {
			p.Status = s
		}
	}
	if p.Status == "" {
		switch {
		case p.Error != "":
			p.Status = Failed
		case p.Result != nil:
			p.Status = Finished
		default:
			p.Status = Cancelled
		}
	}
	*r = Run(p)
	return nil
}

// Duration is how long the run took (zero when unknown).
func (r *Run) Duration() time.Duration { return time.Duration(r.DurationMS) * time.Millisecond }

// NewID returns a random UUID (version 4), the form of the reference's
// check_id and run_id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Time is a timestamp as the reference writes it: RFC 3339 in UTC to the
// second ("2024-06-03T08:05:36Z"). Reading also accepts fractions of a
// second, offsets and the naive form Python's isoformat gives
// ("2024-06-03T08:05:36.123456").
type Time struct{ time.Time }

// timeLayout writes seconds, and fractions only when there are some (the
// reference's run_at has none, its created_at may have microseconds).
const timeLayout = "2006-01-02T15:04:05.999999999Z"

// MarshalJSON writes the time in the reference's format.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(timeLayout) + `"`), nil
}

// UnmarshalJSON reads any of the forms the reference has written.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	v, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// ParseTime reads a timestamp in any of the forms dbt's artifacts and the
// reference's state files use; a time without an offset is UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not in ISO 8601 form (2024-06-03T08:05:36Z)", s)
}

// Now is the current time truncated to the second, as the reference stores
// it.
func Now() Time { return Time{time.Now().UTC().Truncate(time.Second)} }
