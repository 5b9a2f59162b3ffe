// Package warehouse defines what the data diffs need from a warehouse: a
// Warehouse that runs SQL with a context, and a Dialect that writes the
// engine-specific bits of SQL (quoting, identifier case, null-safe
// comparison, median, hashing...). The diffs in internal/diff are written
// once against these interfaces; an engine is added by writing an adapter
// package (see duckdb and postgres) and, where its SQL differs from the
// ANSI defaults of BaseDialect, a dialect that embeds BaseDialect and
// overrides what differs.
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
	// Query runs one SELECT. Cancelling ctx cancels the query in the
	// warehouse, not only the wait for it. Errors that mean a missing
	// relation or a missing privilege match ErrRelationNotFound or
	// ErrPermissionDenied with errors.Is.
	Query(ctx context.Context, sql string) (Rows, error)
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

// QueryAll runs a query and reads every row. Use it only for results known
// to be small (aggregates, capped listings).
func QueryAll(ctx context.Context, w Warehouse, sql string) ([]Column, [][]any, error) {
	rows, err := w.Query(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return rows.Columns(), out, nil
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
