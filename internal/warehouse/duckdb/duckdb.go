// Package duckdb is the DuckDB adapter, the embedded default: dbt-duckdb
// projects keep their warehouse in one file (profiles.yml path:), which
// recce opens read-only, so that a diff can never change the data and can
// run while nobody writes the file.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Dialect is DuckDB's SQL: ANSI, with its own median and float type.
type Dialect struct{ warehouse.BaseDialect }

// NewDialect returns DuckDB's dialect.
func NewDialect() Dialect { return Dialect{warehouse.BaseDialect{Type: "duckdb"}} }

func (Dialect) Median(expr string) string    { return "median(" + expr + ")" }
func (Dialect) CastFloat(expr string) string { return "cast(" + expr + " as double)" }

// Options tune Open.
type Options struct {
	// ReadWrite opens the file for writing; diffs never do, test helpers
	// that build a database do.
	ReadWrite bool
}

// Warehouse is a DuckDB database file (or an in-memory database).
type Warehouse struct {
	db      *sql.DB
	path    string
	tmp     string // DuckDB's temporary files, removed on Close
	dialect Dialect
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// OpenTarget opens the database of a duckdb output of profiles.yml,
// read-only.
func OpenTarget(ctx context.Context, t *dbt.Target) (*Warehouse, error) {
	if t.Path == "" || t.Path == ":memory:" {
		return nil, fmt.Errorf("%s: the duckdb output %s has no path: (or an in-memory one), so there is no data to compare; set path: to the database file dbt builds", t.ProfilesPath, t.Name)
	}
	return Open(ctx, t.Path, Options{})
}

// Open opens a database file; path ":memory:" (or "") is a fresh in-memory
// database, writable whatever the options.
//
// A file is attached to a private in-memory instance (ATTACH ... AS its
// name, then USE it on every connection) rather than opened directly:
// duckdb-go opens files through DuckDB's process-wide instance cache, which
// was seen to hang forever when a file was closed and opened again at once
// in one process (as every recce server request, and every test, does).
// The catalog keeps the file's name, as dbt-duckdb names it, so relations
// such as "demo"."prod"."customers" resolve the same.
func Open(ctx context.Context, path string, opts Options) (*Warehouse, error) {
	var init func(driver.ExecerContext) error
	if path != "" && path != ":memory:" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !opts.ReadWrite {
			return nil, fmt.Errorf("duckdb database %s does not exist: build the project with dbt first, or fix path: in profiles.yml", path)
		}
		init = attach(path, opts.ReadWrite)
	}
	// Big joins spill to disk. An in-memory instance would spill to .tmp in
	// the working directory, the user's project: give it a private folder.
	tmp, err := os.MkdirTemp("", "recce-duckdb-")
	if err != nil {
		return nil, fmt.Errorf("open duckdb database %s: a folder for DuckDB's temporary files: %w", path, err)
	}
	connector, err := duckdb.NewConnector("?temp_directory="+url.QueryEscape(tmp), init)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("open duckdb database %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		os.RemoveAll(tmp)
		if strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("open duckdb database %s: %w (another process, such as dbt, has it open for writing: wait for it to finish)", path, err)
		}
		return nil, fmt.Errorf("open duckdb database %s: %w", path, err)
	}
	return &Warehouse{db: db, path: path, tmp: tmp, dialect: NewDialect()}, nil
}

// attach makes every new connection see the file as its default catalog.
// ATTACH is instance-wide, hence IF NOT EXISTS; USE is per connection.
func attach(path string, readWrite bool) func(driver.ExecerContext) error {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	d := NewDialect()
	alias := d.QuoteIdent(name)
	mode := " (READ_ONLY)"
	if readWrite {
		mode = ""
	}
	stmts := []string{
		"ATTACH IF NOT EXISTS " + d.QuoteString(path) + " AS " + alias + mode,
		"USE " + alias,
	}
	return func(c driver.ExecerContext) error {
		for _, q := range stmts {
			if _, err := c.ExecContext(context.Background(), q, nil); err != nil {
				return err
			}
		}
		return nil
	}
}

// DB is the underlying database/sql handle, for callers that write (test
// helpers building environments).
func (w *Warehouse) DB() *sql.DB { return w.db }

func (w *Warehouse) Dialect() warehouse.Dialect { return w.dialect }

func (w *Warehouse) Close() error {
	err := w.db.Close()
	os.RemoveAll(w.tmp)
	return err
}

// Query runs a query; the context reaches DuckDB, which interrupts the
// query when it is cancelled.
func (w *Warehouse) Query(ctx context.Context, query string) (warehouse.Rows, error) {
	rows, err := w.db.QueryContext(ctx, query)
	if err != nil {
		return nil, classify(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, err
	}
	cols := make([]warehouse.Column, len(types))
	for i, t := range types {
		name := t.DatabaseTypeName()
		cols[i] = warehouse.Column{Name: t.Name(), Type: name, Kind: w.dialect.Kind(name)}
	}
	return &result{rows: rows, cols: cols}, nil
}

// classify marks DuckDB's catalog errors about missing relations and its
// permission errors.
func classify(err error) error {
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	switch de.Type {
	case duckdb.ErrorTypeCatalog:
		for _, what := range []string{"Table with name", "View with name", "Schema with name", "Catalog with name", "Table or view with name"} {
			if strings.Contains(de.Msg, what) {
				return warehouse.Classify(warehouse.ErrRelationNotFound, err)
			}
		}
	case duckdb.ErrorTypePermission:
		return warehouse.Classify(warehouse.ErrPermissionDenied, err)
	}
	return err
}

type result struct {
	rows *sql.Rows
	cols []warehouse.Column
	vals []any
	ptrs []any
}

func (r *result) Columns() []warehouse.Column { return r.cols }
func (r *result) Next() bool                  { return r.rows.Next() }
func (r *result) Err() error                  { return classify(r.rows.Err()) }
func (r *result) Close() error                { return r.rows.Close() }

func (r *result) Values() ([]any, error) {
	if r.vals == nil {
		r.vals = make([]any, len(r.cols))
		r.ptrs = make([]any, len(r.cols))
		for i := range r.vals {
			r.ptrs[i] = &r.vals[i]
		}
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, err
	}
	out := make([]any, len(r.vals))
	for i, v := range r.vals {
		out[i] = normalize(v, r.cols[i].Type)
	}
	return out, nil
}

// normalize converts the driver's values to the plain types promised by
// warehouse.Rows.
func normalize(v any, typeName string) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return float64(x)
	case float32:
		return float64(x)
	case *big.Int: // HUGEINT: sums of integers
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	case duckdb.Decimal:
		return x.Float64()
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d us", x.Months, x.Days, x.Micros)
	case []byte:
		if typeName == "UUID" && len(x) == 16 {
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
		}
		return x
	case duckdb.UUID:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	}
	return v
}
