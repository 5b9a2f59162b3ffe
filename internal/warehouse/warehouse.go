// Package warehouse defines what the data diffs need from a warehouse: a
// Warehouse that runs SQL with a context, and a Dialect that writes the
// engine-specific bits of SQL (quoting, identifier case, null-safe
// comparison, median, hashing...). The diffs in internal/diff are written
// once against these interfaces; an engine is added by writing an adapter
// package (see duckdb and postgres) and, where its SQL differs from the
// ANSI defaults of BaseDialect, a dialect that embeds BaseDialect and
// overrides what differs, and registering it (Register).
//
// The SQL sandbox lives here and in the adapters, so that every caller
// (the CLI, the server, checks) gets it by opening a warehouse with Open:
// an adapter runs one read-only statement per Query and refuses anything
// else (ErrRefused), and Guard adds a timeout and a byte cap to every
// query (Limits).
package warehouse

import (
	"context"
	"errors"
	"fmt"
)

// Warehouse is an open connection pool to one warehouse. It is safe for
// concurrent use: the diffs run several queries at once.
type Warehouse interface {
	// Dialect says how to write SQL for this warehouse.
	Dialect() Dialect
	// Query runs one read-only statement. The adapter makes sure of it
	// with the engine's own parser (a prepared statement, the extended
	// protocol), and with the engine's read-only mode: a string holding
	// several statements, or a statement that is not a query, or that
	// would write, fails with an error matching ErrRefused. Cancelling ctx
	// cancels the query in the warehouse, not only the wait for it; a
	// deadline on ctx is also given to the engine as its statement
	// timeout where it has one. Errors that mean a missing relation or a
	// missing privilege match ErrRelationNotFound or ErrPermissionDenied
	// with errors.Is.
	Query(ctx context.Context, sql string) (Rows, error)
	// Check parses sql with the engine, without running it, and fails
	// (ErrRefused) unless it is exactly one read query: SELECT, WITH ...
	// SELECT, VALUES or TABLE. SQL that users write is checked so before
	// it is used as a subquery, so that it cannot close the parenthesis
	// around it.
	Check(ctx context.Context, sql string) error
	// Close releases the pool.
	Close() error
}

// Rows is a query result read one row at a time, like database/sql.Rows,
// with values already converted to plain Go types (see Values).
type Rows interface {
	Columns() []Column
	Next() bool
	// Values returns the current row. Every adapter returns the same Go
	// types, so that the diffs and the JSON output need not know the
	// driver: nil, bool, int64, float64 (also for DECIMAL/NUMERIC: results
	// are for people and JSON, comparisons happen in the warehouse),
	// string, time.Time, or, for nested types, what the driver gives.
	Values() ([]any, error)
	Err() error
	Close() error
}

// Column describes a result column.
type Column struct {
	Name string `json:"name"`
	// Type is the warehouse's type name as the driver reports it
	// (VARCHAR, DECIMAL(18,2), int8...).
	Type string `json:"-"`
	Kind Kind   `json:"type"`
}

// Kind is the family of a column's type. The values are those of the
// reference system's DataFrame column types, so that results keep its
// shape.
type Kind string

const (
	KindInteger   Kind = "integer"
	KindNumber    Kind = "number" // non-integer numbers: decimal, float
	KindText      Kind = "text"
	KindBoolean   Kind = "boolean"
	KindDate      Kind = "date"
	KindDatetime  Kind = "datetime" // timestamps, with or without time zone
	KindTimedelta Kind = "timedelta"
	KindUnknown   Kind = "unknown"
)

// Numeric reports whether values of the kind can be averaged.
func (k Kind) Numeric() bool { return k == KindInteger || k == KindNumber }

// Temporal reports whether the kind is a date or a timestamp.
func (k Kind) Temporal() bool { return k == KindDate || k == KindDatetime }

// Errors that adapters classify, so that callers can report a status
// instead of failing (row counts report table_not_found and
// permission_denied per model).
var (
	ErrRelationNotFound = errors.New("relation not found")
	ErrPermissionDenied = errors.New("permission denied")
)

// Error is a warehouse error with its class. Its message is the driver's,
// unchanged: it usually names the relation or privilege at fault.
type Error struct {
	Kind error // ErrRelationNotFound, ErrPermissionDenied or nil
	Err  error
}

func (e *Error) Error() string        { return e.Err.Error() }
func (e *Error) Unwrap() []error      { return []error{e.Kind, e.Err} }
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Classify wraps err with a class (nil kind leaves err as it is).
func Classify(kind, err error) error {
	if err == nil || kind == nil {
		return err
	}
	return &Error{Kind: kind, Err: err}
}

// Result is a whole query result.
type Result struct {
	Columns []Column
	Rows    [][]any
	// Truncated is true when rows were left out at the byte cap (see
	// Limits): listings shown to people say so.
	Truncated bool
}

// Fetch runs a query and reads its rows, up to the byte cap of the
// warehouse's Limits. Use it for listings (capped in rows by the SQL).
func Fetch(ctx context.Context, w Warehouse, sql string) (*Result, error) {
	rows, err := w.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return &Result{Columns: rows.Columns(), Rows: out, Truncated: Truncated(rows)}, nil
}

// ErrTooLarge is the error of QueryAll for a result past the byte cap.
var ErrTooLarge = errors.New("the result is larger than the byte cap of a query result")

// QueryAll runs a query and reads every row. Use it only for results known
// to be small (aggregates, capped listings): a result cut at the byte cap
// is an error (ErrTooLarge), since a part of an aggregate would be wrong.
func QueryAll(ctx context.Context, w Warehouse, sql string) ([]Column, [][]any, error) {
	r, err := Fetch(ctx, w, sql)
	if err != nil {
		return nil, nil, err
	}
	if r.Truncated {
		return nil, nil, ErrTooLarge
	}
	return r.Columns, r.Rows, nil
}

// QueryRow runs a query that returns exactly one row.
func QueryRow(ctx context.Context, w Warehouse, sql string) ([]Column, []any, error) {
	cols, rows, err := QueryAll(ctx, w, sql)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) != 1 {
		return nil, nil, fmt.Errorf("expected one row, got %d", len(rows))
	}
	return cols, rows[0], nil
}

// Int64 reads a count or other integer from a Values() cell; nil is 0.
func Int64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

// Float64 reads a number from a Values() cell; ok is false for nil and
// non-numbers.
func Float64(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
