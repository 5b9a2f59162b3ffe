package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The default limits of a query: the reference has none, and one runaway
// query then holds a run slot, and its result the server's memory,
// forever.
const (
	DefaultTimeout  = 2 * time.Minute
	DefaultMaxBytes = 8 << 20 // 8 MiB
)

// Limits bound what one query may cost. The zero value means the
// defaults.
type Limits struct {
	// Timeout cancels a query, in the warehouse, that runs (or is read)
	// longer. 0 means DefaultTimeout; a negative value means none.
	Timeout time.Duration
	// MaxBytes caps the size of a result read back (about its size in
	// JSON): rows past it are left out and the result is marked truncated.
	// 0 means DefaultMaxBytes; a negative value means none.
	MaxBytes int64
}

// Resolved returns the limits with the defaults filled in.
func (l Limits) Resolved() Limits {
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Classes of errors the sandbox gives (see Error): the statement was
// refused before it ran, or it ran past the timeout.
var (
	ErrRefused = errors.New("statement refused")
	ErrTimeout = errors.New("query timed out")
)

// Refused is the error for a statement the sandbox does not run: reason
// says what was wrong and what to do.
func Refused(reason string) error {
	return &Error{Kind: ErrRefused, Err: errors.New(reason)}
}

// Unparsable is the error of Check for SQL that the engine cannot parse on
// its own (err is the engine's): SQL meant to close the parenthesis recce
// puts around it, or a plain typo.
func Unparsable(err error) error {
	return &Error{Kind: ErrRefused, Err: fmt.Errorf("the SQL does not parse as one statement on its own: %w", err)}
}

// NotOneStatement is the message adapters give for a string holding more
// than one statement, whatever the engine's own words.
const NotOneStatement = "recce runs one statement at a time, and this SQL holds several: remove the ; and what follows it (a query is one SELECT, WITH ... SELECT, VALUES or TABLE statement)"

// NotAQuery is the message for a statement that is not a read query.
const NotAQuery = "recce runs read-only queries only: one SELECT, WITH ... SELECT, VALUES or TABLE statement (no COPY, ATTACH, DETACH, CREATE, INSERT, SET, INSTALL, LOAD, PRAGMA or CALL)"

// TimeoutError is a query cancelled at the limit. Its message says how to
// raise it, for every caller: the CLI and the server share the flag name.
type TimeoutError struct {
	Limit time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("the query ran longer than the query timeout of %s and was cancelled in the warehouse: make it cheaper (select fewer rows or columns), or raise the limit with --query-timeout (for example --query-timeout %s)", e.Limit, 2*e.Limit)
}

func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// Guarded is a Warehouse under Limits: every query gets a deadline (which
// the adapters turn into the engine's own timeout) and every result a byte
// cap. Open returns one; Guard wraps an adapter opened by hand.
type Guarded struct {
	w      Warehouse
	limits Limits
}

var _ Warehouse = (*Guarded)(nil)

// Guard puts a warehouse under limits (zero fields are the defaults).
func Guard(w Warehouse, l Limits) *Guarded {
	if g, ok := w.(*Guarded); ok {
		w = g.w
	}
	return &Guarded{w: w, limits: l.Resolved()}
}

// Limits are the limits in force, defaults filled in.
func (g *Guarded) Limits() Limits { return g.limits }

// Unwrap is the adapter under the guard.
func (g *Guarded) Unwrap() Warehouse { return g.w }

func (g *Guarded) Dialect() Dialect { return g.w.Dialect() }

func (g *Guarded) Close() error { return g.w.Close() }

// deadline gives a query its timeout.
func (g *Guarded) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if g.limits.Timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, g.limits.Timeout)
}

// explain turns an error into a TimeoutError when it came from the
// query's own deadline (not from the caller's cancellation): whatever
// the driver says then (context deadline exceeded, canceling statement
// due to statement timeout, INTERRUPT Error), the cause is the limit.
func (g *Guarded) explain(parent, qctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if parent.Err() == nil && (errors.Is(qctx.Err(), context.DeadlineExceeded) || errors.Is(err, ErrTimeout)) {
		return &TimeoutError{Limit: g.limits.Timeout}
	}
	return err
}

func (g *Guarded) Check(ctx context.Context, sql string) error {
	qctx, cancel := g.deadline(ctx)
	defer cancel()
	return g.explain(ctx, qctx, g.w.Check(qctx, sql))
}

func (g *Guarded) Query(ctx context.Context, sql string) (Rows, error) {
	qctx, cancel := g.deadline(ctx)
	rows, err := g.w.Query(qctx, sql)
	if err != nil {
		err = g.explain(ctx, qctx, err)
		cancel()
		return nil, err
	}
	return &cappedRows{rows: rows, g: g, parent: ctx, qctx: qctx, cancel: cancel}, nil
}

// cappedRows reads a row ahead so as to count its bytes before handing it
// out: the row that would pass the cap ends the result instead.
type cappedRows struct {
	rows        Rows
	g           *Guarded
	parent      context.Context
	qctx        context.Context
	cancel      context.CancelFunc
	row         []any
	rowErr      error
	bytes       int64
	truncated   bool
	closed      bool
	closeResult error
}

func (r *cappedRows) Columns() []Column { return r.rows.Columns() }

func (r *cappedRows) Next() bool {
	if r.truncated || !r.rows.Next() {
		r.row, r.rowErr = nil, nil
		return false
	}
	r.row, r.rowErr = r.rows.Values()
	if r.rowErr != nil || r.g.limits.MaxBytes < 0 {
		return true
	}
	r.bytes += RowSize(r.row)
	if r.bytes > r.g.limits.MaxBytes {
		r.row, r.truncated = nil, true
		// Stop the rest in the warehouse rather than read it to the end
		// on Close.
		r.cancel()
		return false
	}
	return true
}

func (r *cappedRows) Values() ([]any, error) { return r.row, r.rowErr }

func (r *cappedRows) Err() error {
	if r.truncated {
		return nil
	}
	return r.g.explain(r.parent, r.qctx, r.rows.Err())
}

// Truncated reports whether rows were left out for the byte cap.
func (r *cappedRows) Truncated() bool { return r.truncated }

func (r *cappedRows) Close() error {
	if !r.closed {
		r.closed = true
		r.closeResult = r.rows.Close()
		r.cancel()
	}
	return r.closeResult
}

// Truncated reports whether a result stopped early at the byte cap of its
// warehouse's Limits (rows from an unguarded adapter never do).
func Truncated(r Rows) bool {
	t, ok := r.(interface{ Truncated() bool })
	return ok && t.Truncated()
}

// RowSize is about the size of a row of values in JSON, the measure of
// the byte cap.
func RowSize(row []any) int64 {
	n := int64(2)
	for _, v := range row {
		n += valueSize(v) + 1
	}
	return n
}

func valueSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 4
	case bool:
		return 5
	case string:
		return int64(len(x)) + 2
	case []byte:
		return int64(len(x))*4/3 + 4 // base64
	case time.Time:
		return 32
	case []any:
		return RowSize(x)
	case map[string]any:
		n := int64(2)
		for k, e := range x {
			n += int64(len(k)) + 4 + valueSize(e)
		}
		return n
	}
	return 20 // numbers and what else a driver gives
}
