// Package duckdb is the DuckDB adapter, the embedded default: dbt-duckdb
// projects keep their warehouse in one file (profiles.yml path:), which
// recce opens read-only, so that a diff can never change the data and can
// run while nobody writes the file.
//
// DuckDB runs in recce's own process with its file access, so a read-only
// open is also a sandbox: once the file is attached, external access
// (files, URLs, extensions) is turned off and the configuration locked,
// and Query runs exactly one SELECT statement, as DuckDB's parser says.
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

func init() {
	warehouse.Register("duckdb", func(ctx context.Context, t *dbt.Target, o warehouse.Options) (warehouse.Warehouse, error) {
		return OpenTarget(ctx, t, Options{ExternalAccess: o.ExternalAccess})
	})
}

// Options tune Open.
type Options struct {
	// ReadWrite opens the file for writing, without the sandbox: for
	// trusted code that builds a database (the demo, test helpers), which
	// writes through DB(). Diffs never do.
	ReadWrite bool
	// ExternalAccess leaves DuckDB's access to files, URLs and extension
	// loading on (warehouse.Options.ExternalAccess), for projects whose
	// models read files. The configuration is locked all the same.
	ExternalAccess bool
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
// read-only (opts.ReadWrite is ignored).
func OpenTarget(ctx context.Context, t *dbt.Target, opts Options) (*Warehouse, error) {
	if t.Path == "" || t.Path == ":memory:" {
		return nil, fmt.Errorf("%s: the duckdb output %s has no path: (or an in-memory one), so there is no data to compare; set path: to the database file dbt builds", t.ProfilesPath, t.Name)
	}
	opts.ReadWrite = false
	return Open(ctx, t.Path, opts)
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
	if !opts.ReadWrite {
		if err := lockDown(ctx, db, opts.ExternalAccess); err != nil {
			db.Close()
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("open duckdb database %s: lock the configuration: %w", path, err)
		}
	}
	return &Warehouse{db: db, path: path, tmp: tmp, dialect: NewDialect()}, nil
}

// lockDown turns off what a query could use to reach beyond the attached
// file, then locks the configuration so that no query can turn it back
// on. The settings are the instance's: they hold for every connection of
// the pool, and later connections still attach (IF NOT EXISTS: already
// done) and USE the file. DuckDB keeps its own temporary folder usable.
func lockDown(ctx context.Context, db *sql.DB, externalAccess bool) error {
	stmts := []string{
		"SET autoinstall_known_extensions = false",
		"SET allow_community_extensions = false",
	}
	if !externalAccess {
		stmts = append(stmts,
			"SET autoload_known_extensions = false",
			"SET enable_external_access = false")
	}
	stmts = append(stmts, "SET lock_configuration = true")
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
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

// Query runs one SELECT statement (see check); the context reaches
// DuckDB, which interrupts the query when it is cancelled.
func (w *Warehouse) Query(ctx context.Context, query string) (warehouse.Rows, error) {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := check(conn, query); err != nil {
		conn.Close()
		return nil, err
	}
	// The string is now known to be one SELECT: the driver, which runs
	// every statement of a string but the last as it prepares, has no
	// other to run.
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		conn.Close()
		return nil, classify(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		conn.Close()
		return nil, err
	}
	cols := make([]warehouse.Column, len(types))
	for i, t := range types {
		name := t.DatabaseTypeName()
		cols[i] = warehouse.Column{Name: t.Name(), Type: name, Kind: w.dialect.Kind(name)}
	}
	return &result{rows: rows, conn: conn, cols: cols}, nil
}

// Check parses and binds a statement without running it: one SELECT (as
// DuckDB classifies it: also WITH, VALUES, FROM-first and PIVOT), or an
// error.
func (w *Warehouse) Check(ctx context.Context, query string) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = check(conn, query)
	var de *duckdb.Error
	if errors.As(err, &de) && de.Type == duckdb.ErrorTypeParser {
		return warehouse.Unparsable(err)
	}
	return err
}

// check prepares the statement with DuckDB's parser and binder, without
// running it. The driver's Prepare (unlike PrepareContext, which runs the
// statements before the last) refuses a string of several statements.
func check(conn *sql.Conn, query string) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("duckdb: unexpected driver connection %T", dc)
		}
		st, err := c.Prepare(query)
		if err != nil {
			if strings.Contains(err.Error(), "multi-statement") {
				return warehouse.Refused(warehouse.NotOneStatement)
			}
			return classify(err)
		}
		defer st.Close()
		ds, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("duckdb: unexpected driver statement %T", st)
		}
		typ, err := ds.StatementType()
		if err != nil {
			return err
		}
		if typ != duckdb.STATEMENT_TYPE_SELECT {
			return warehouse.Refused(warehouse.NotAQuery)
		}
		return nil
	})
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
		if strings.Contains(de.Msg, "disabled by configuration") {
			// The hint first: one-line views of the error keep it.
			err = fmt.Errorf("DuckDB may not read files here (recce turns its file access off; if the project's models read files, such as views over CSV or Parquet files, run recce with --duckdb-external-access): %w", err)
		}
		return warehouse.Classify(warehouse.ErrPermissionDenied, err)
	}
	return err
}

type result struct {
	rows *sql.Rows
	conn *sql.Conn
	cols []warehouse.Column
	vals []any
	ptrs []any
}

func (r *result) Columns() []warehouse.Column { return r.cols }
func (r *result) Next() bool                  { return r.rows.Next() }
func (r *result) Err() error                  { return classify(r.rows.Err()) }

func (r *result) Close() error {
	err := r.rows.Close()
	r.conn.Close()
	return err
}

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
