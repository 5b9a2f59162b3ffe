package check

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"

	"gitlab.com/recce-go/recce/internal/diff"
)

// A Kind is everything a check type does, the way a database/sql driver is
// everything one database does: each type's file (kind_<type>.go) defines
// its Kind and registers it in init, and every caller that depends on a
// check's type (the runner, the verdicts, the summary, the CLI's text)
// looks it up by type name. Adding a check type is adding one such file
// and its test; see docs/architecture.md, "Adding a check type".
type Kind interface {
	// Type is the type's name in recce.yml and in state files.
	Type() Type
	// Name is how a new check of this type is named ("Row count diff").
	Name() string
	// Runs reports whether checks of this type run at all: a note
	// (simple) never does.
	Runs() bool
	// NeedsWarehouse reports whether a run queries the warehouse.
	NeedsWarehouse() bool
	// AutoApproves reports whether a clean run approves its check, as the
	// reference does for schema and row count diffs.
	AutoApproves() bool
	// ParseParams decodes and validates a check's params: the typed
	// params, or a ParamErrors listing every problem.
	ParseParams(p Params) (any, error)
	// Run runs a check on env with params from ParseParams and returns the
	// result in its stored shape (what Run.Result holds).
	Run(ctx context.Context, env *Env, params any) (any, error)
	// DecodeResult decodes a stored result into its shape (a pointer).
	DecodeResult(data []byte) (any, error)
	// Assess gives the verdict of a check from its decoded result.
	Assess(c *Check, result any) Outcome
	// Figures are what the summary shows of a mismatched check: labelled
	// figures and tables of what differs, all rows (the summary caps
	// them).
	Figures(c *Check, result any) ([]Fact, []Table)
	// Marks are what a mismatched check adds to the nodes of the
	// summary's lineage graph.
	Marks(c *Check, result any, o Outcome) NodeMarks
	// WriteText writes for people, on w, a comparison of this type as the
	// diff package gives it: what `recce diff` and `recce query` print.
	WriteText(w io.Writer, comparison any) error
}

// NodeMarks are what a mismatched check says about nodes in the summary's
// lineage graph, each node named by unique_id or by name.
type NodeMarks struct {
	// Figures label nodes with a figure ("Row Count 🔼 +5.05%"). A node
	// shows one figure, before the titles.
	Figures map[string]string
	// Titled are the nodes marked with the check type's title ("Value
	// Diff").
	Titled []string
}

var registry = struct {
	sync.RWMutex
	kinds map[Type]Kind
	rank  map[Type]int
}{kinds: map[Type]Kind{}, rank: map[Type]int{}}

// register makes a kind known. rank places it in Types (the order of
// docs/checks.md). Each kind registers once, from its file's init.
func register(k Kind, rank int) {
	registry.Lock()
	defer registry.Unlock()
	t := k.Type()
	if _, dup := registry.kinds[t]; dup {
		panic("check: type " + string(t) + " registered twice")
	}
	registry.kinds[t], registry.rank[t] = k, rank
	Types = append(Types, t)
	slices.SortStableFunc(Types, func(a, b Type) int { return registry.rank[a] - registry.rank[b] })
}

// Lookup returns the kind of a check type, false when the type is unknown.
func Lookup(t Type) (Kind, bool) {
	registry.RLock()
	defer registry.RUnlock()
	k, ok := registry.kinds[t]
	return k, ok
}

// Types lists every check type, in the order the docs present them. It is
// filled in as the kinds register; do not change it.
var Types []Type

// kind is the Kind of every check type: the type's behaviour as typed
// functions, which its file fills in. P is its parsed params, D its
// comparison as the diff package gives it (what the CLI prints), T its
// stored result (a run's result decodes into a *T).
type kind[P, D, T any] struct {
	typ Type
	// name is a new check's name; warehouse, autoApprove as the Kind
	// methods say.
	name                   string
	warehouse, autoApprove bool

	// params reads the typed params, reporting problems to r.
	params func(r *paramReader) P
	// compare runs the comparison (through the diff package).
	compare func(ctx context.Context, env *Env, p P) (D, error)
	// result is the comparison in the stored shape (nil: D is *T, stored
	// as it is).
	result func(d D) *T
	// assess is the verdict of a stored result.
	assess func(c *Check, r *T) Outcome
	// figures, marks and text are optional: nil gives no figures, the
	// default marks (the nodes of the outcome, titled), and no text.
	figures func(c *Check, r *T) ([]Fact, []Table)
	marks   func(c *Check, r *T, o Outcome) NodeMarks
	text    func(w io.Writer, d D) error
}

func (k *kind[P, D, T]) Type() Type           { return k.typ }
func (k *kind[P, D, T]) Name() string         { return k.name }
func (k *kind[P, D, T]) Runs() bool           { return k.compare != nil }
func (k *kind[P, D, T]) NeedsWarehouse() bool { return k.warehouse }
func (k *kind[P, D, T]) AutoApproves() bool   { return k.autoApprove }

func (k *kind[P, D, T]) ParseParams(p Params) (any, error) {
	if k.params == nil {
		return nil, nil
	}
	r := &paramReader{p: p}
	out := k.params(r)
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return out, nil
}

func (k *kind[P, D, T]) Run(ctx context.Context, env *Env, params any) (any, error) {
	p, ok := params.(P)
	if !ok || k.compare == nil {
		return nil, fmt.Errorf("check type %q cannot be run", k.typ)
	}
	d, err := k.compare(ctx, env, p)
	if err != nil {
		return nil, err
	}
	if k.result == nil {
		return any(d).(*T), nil
	}
	return k.result(d), nil
}

func (k *kind[P, D, T]) DecodeResult(data []byte) (any, error) {
	if k.compare == nil {
		return nil, fmt.Errorf("type %q has no result shape", k.typ)
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// stored is a decoded result as this kind's shape.
func (k *kind[P, D, T]) stored(result any) (*T, bool) {
	r, ok := result.(*T)
	return r, ok && r != nil
}

func (k *kind[P, D, T]) Assess(c *Check, result any) Outcome {
	if k.compare == nil {
		return Outcome{Verdict: Info, Reason: "note"}
	}
	r, ok := k.stored(result)
	if !ok {
		return Outcome{Verdict: Incomplete, Reason: fmt.Sprintf("no verdict for %T", result)}
	}
	return k.assess(c, r)
}

func (k *kind[P, D, T]) Figures(c *Check, result any) ([]Fact, []Table) {
	r, ok := k.stored(result)
	if !ok || k.figures == nil {
		return nil, nil
	}
	return k.figures(c, r)
}

func (k *kind[P, D, T]) Marks(c *Check, result any, o Outcome) NodeMarks {
	if r, ok := k.stored(result); ok && k.marks != nil {
		return k.marks(c, r, o)
	}
	return NodeMarks{Titled: o.Nodes}
}

func (k *kind[P, D, T]) WriteText(w io.Writer, comparison any) error {
	d, ok := comparison.(D)
	if !ok || k.text == nil {
		return fmt.Errorf("a %s check has no text form for %T", k.typ, comparison)
	}
	return k.text(w, d)
}

// onWarehouse is the comparison of a check that queries the warehouse:
// compare on env's warehouse, or the error that says why there is none.
func onWarehouse[P, D any](compare func(context.Context, *diff.Envs, P) (D, error)) func(context.Context, *Env, P) (D, error) {
	return func(ctx context.Context, env *Env, p P) (D, error) {
		envs, err := env.data()
		if err != nil {
			var zero D
			return zero, err
		}
		return compare(ctx, envs, p)
	}
}
