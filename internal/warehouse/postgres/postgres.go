// Package postgres is the PostgreSQL adapter, on pgx v5 with a connection
// pool (queries of one diff run concurrently).
//
// Every query runs alone in a READ ONLY transaction, rolled back at the
// end (which also undoes any set_config of the query), with the context's
// deadline as its statement_timeout, and through the extended protocol,
// which takes one statement per query: a string of several is refused by
// the server itself. The database role is the last line: docs/server.md
// says how to give recce a read-only one.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Dialect is PostgreSQL's SQL.
type Dialect struct{ warehouse.BaseDialect }

// NewDialect returns PostgreSQL's dialect.
func NewDialect() Dialect { return Dialect{warehouse.BaseDialect{Type: "postgres"}} }

func (Dialect) CastText(expr string) string { return "cast(" + expr + " as text)" }

// Hash must use this dialect's CastText (BaseDialect's would call its own).
func (d Dialect) Hash(exprs ...string) string { return warehouse.HashOf(d, exprs...) }

// Median: percentile_cont works on numbers only, and returns double
// precision; numeric columns are cast so that it accepts them all.
func (d Dialect) Median(expr string) string {
	return "percentile_cont(0.5) within group (order by " + d.CastFloat(expr) + ")"
}

// Epoch as double precision: extract() returns numeric since PostgreSQL 14.
func (d Dialect) Epoch(expr string) string { return d.CastFloat("extract(epoch from " + expr + ")") }

// RelationsQuery reads pg_catalog rather than information_schema, which
// hides the tables the user has no privilege on: those must show as
// permission_denied, not as missing.
func (d Dialect) RelationsQuery(schemas []string) string {
	return "select current_database(), n.nspname, c.relname from pg_catalog.pg_class c" +
		" join pg_catalog.pg_namespace n on n.oid = c.relnamespace" +
		" where c.relkind in ('r', 'v', 'm', 'p', 'f') and " + warehouse.InLower(d, "n.nspname", schemas)
}

func init() {
	warehouse.Register("postgres", func(ctx context.Context, t *dbt.Target, _ warehouse.Options) (warehouse.Warehouse, error) {
		return OpenTarget(ctx, t)
	})
}

// Config says where to connect.
type Config struct {
	Host     string
	Port     int // 0 means 5432
	User     string
	Password dbt.Secret
	Database string
	SSLMode  string // disable, prefer (default), require, verify-ca, verify-full
	MaxConns int    // pool size; 0 means 4
}

// Warehouse is a pool of connections to one PostgreSQL database.
type Warehouse struct {
	pool    *pgxpool.Pool
	dialect Dialect
	types   *pgtype.Map
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// OpenTarget connects with a postgres output of profiles.yml.
func OpenTarget(ctx context.Context, t *dbt.Target) (*Warehouse, error) {
	var missing []string
	for _, f := range []struct{ key, value string }{{"host", t.Host}, {"user", t.User}, {"dbname", t.Database}} {
		if f.value == "" {
			missing = append(missing, f.key+":")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: the postgres output %s.%s lacks %s", t.ProfilesPath, t.Profile, t.Name, strings.Join(missing, ", "))
	}
	return Open(ctx, Config{Host: t.Host, Port: t.Port, User: t.User, Password: t.Password,
		Database: t.Database, SSLMode: t.SSLMode, MaxConns: max(t.Threads, 4)})
}

// quoteConnValue quotes a value of a keyword/value connection string.
func quoteConnValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Open connects. The password is set on the parsed configuration, never
// written into a connection string, so no error can echo it.
func Open(ctx context.Context, c Config) (*Warehouse, error) {
	port := c.Port
	if port == 0 {
		port = 5432
	}
	kv := []string{
		"host=" + quoteConnValue(c.Host),
		"port=" + strconv.Itoa(port),
		"user=" + quoteConnValue(c.User),
		"dbname=" + quoteConnValue(c.Database),
		"application_name=recce",
		// A host that drops packets must not hang a diff (or CI) forever.
		"connect_timeout=15",
	}
	if c.SSLMode != "" {
		kv = append(kv, "sslmode="+quoteConnValue(c.SSLMode))
	}
	cfg, err := pgxpool.ParseConfig(strings.Join(kv, " "))
	if err != nil {
		return nil, fmt.Errorf("postgres connection settings: %w", err)
	}
	cfg.ConnConfig.Password = c.Password.Reveal()
	return openConfig(ctx, cfg, c.MaxConns, fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, port, c.Database))
}

// OpenURL connects with a postgres:// URL or keyword/value string (tests,
// and users who keep one in an environment variable).
func OpenURL(ctx context.Context, url string) (*Warehouse, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres connection string: %w", err)
	}
	cc := cfg.ConnConfig
	return openConfig(ctx, cfg, 0, fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database))
}

func openConfig(ctx context.Context, cfg *pgxpool.Config, maxConns int, where string) (*Warehouse, error) {
	if maxConns <= 0 {
		maxConns = 4
	}
	cfg.MaxConns = int32(maxConns)
	// The extended protocol with an unnamed statement: the server parses
	// exactly one statement (the simple protocol would run every statement
	// of the string), in one round trip, with no named prepared statements
	// (each diff query is different), so it works behind PgBouncer in
	// transaction mode, common in teams.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	// On Ctrl-C, ask the server to cancel the running query (pgx's default
	// only drops the connection, leaving the query running on the server).
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres %s: %w (check host, port, user, password and dbname in profiles.yml)", where, err)
	}
	return &Warehouse{pool: pool, dialect: NewDialect(), types: pgtype.NewMap()}, nil
}

// Pool is the underlying pool, for callers that write (test helpers).
func (w *Warehouse) Pool() *pgxpool.Pool { return w.pool }

func (w *Warehouse) Dialect() warehouse.Dialect { return w.dialect }

func (w *Warehouse) Close() error { w.pool.Close(); return nil }

// Query runs the statement in a read-only transaction of its own: BEGIN
// READ ONLY and SET LOCAL statement_timeout (from ctx's deadline) in one
// round trip, the statement through the extended protocol, and a
// ROLLBACK when the rows are closed.
func (w *Warehouse) Query(ctx context.Context, query string) (warehouse.Rows, error) {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return nil, classify(err)
	}
	if err := conn.Conn().PgConn().Exec(ctx, begin(ctx)).Close(); err != nil {
		conn.Release() // not idle: the pool closes it
		return nil, classify(err)
	}
	rows, err := conn.Query(ctx, query)
	if err != nil {
		end(conn)
		return nil, classify(err)
	}
	// The extended protocol reports the statement's errors with its first
	// rows: read them now, so that Query fails as the contract says (a
	// missing relation is an error of Query, not of Next).
	first := rows.Next()
	if !first {
		if err := done(rows); err != nil {
			rows.Close()
			end(conn)
			return nil, err
		}
	}
	fds := rows.FieldDescriptions()
	cols := make([]warehouse.Column, len(fds))
	for i, fd := range fds {
		name := "unknown"
		if t, ok := w.types.TypeForOID(fd.DataTypeOID); ok {
			name = t.Name
		}
		cols[i] = warehouse.Column{Name: fd.Name, Type: name, Kind: w.dialect.Kind(name)}
	}
	return &result{rows: rows, cols: cols, conn: conn, first: first, started: true}, nil
}

// begin opens a query's transaction.
func begin(ctx context.Context) string {
	q := "begin transaction read only"
	if dl, ok := ctx.Deadline(); ok {
		q += fmt.Sprintf("; set local statement_timeout = %d", max(time.Until(dl).Milliseconds(), 1))
	}
	return q
}

// end rolls a query's transaction back and gives the connection back to
// the pool, which closes it when the rollback failed (a connection still
// in a transaction never goes back).
func end(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = conn.Conn().PgConn().Exec(ctx, "rollback").Close()
	conn.Release()
}

// Check parses the statement, and the subquery it would make, without
// running either: the first parse refuses several statements, the second
// anything but a query (an INSERT cannot stand inside parentheses in FROM),
// and since the statement parses alone, it cannot close the parenthesis
// around it.
func (w *Warehouse) Check(ctx context.Context, query string) error {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return classify(err)
	}
	defer conn.Release()
	pc := conn.Conn().PgConn()
	if _, err := pc.Prepare(ctx, "", query, nil); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42601" && !strings.Contains(pe.Message, "multiple commands") { // syntax_error
			return warehouse.Unparsable(err)
		}
		return classify(err)
	}
	if _, err := pc.Prepare(ctx, "", "select * from (\n"+query+"\n) q", nil); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42601" { // syntax_error
			return warehouse.Refused(warehouse.NotAQuery)
		}
		return classify(err)
	}
	return nil
}

// classify marks PostgreSQL's errors by SQLSTATE.
func classify(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "42P01", "3F000": // undefined_table, invalid_schema_name
		return warehouse.Classify(warehouse.ErrRelationNotFound, err)
	case "42501": // insufficient_privilege
		return warehouse.Classify(warehouse.ErrPermissionDenied, err)
	case "25006": // read_only_sql_transaction
		return warehouse.Classify(warehouse.ErrRefused, fmt.Errorf("%s (%w)", warehouse.NotAQuery, err))
	case "42601": // syntax_error, which is also the code of several statements in one
		if strings.Contains(pe.Message, "multiple commands") {
			return warehouse.Refused(warehouse.NotOneStatement)
		}
	case "57014": // query_canceled
		if strings.Contains(pe.Message, "statement timeout") {
			return warehouse.Classify(warehouse.ErrTimeout, err)
		}
	case "0A000": // feature_not_supported
		if strings.Contains(pe.Message, "cross-database") {
			// From this connection the relation cannot be reached: to the
			// user it is not there, and the hint says why.
			return warehouse.Classify(warehouse.ErrRelationNotFound,
				fmt.Errorf("%w (the relation is in another database than the one profiles.yml connects to: set dbname: to the database dbt built into)", err))
		}
	}
	return err
}

type result struct {
	rows pgx.Rows
	cols []warehouse.Column
	conn *pgxpool.Conn // nil once given back
	// started says Query has read ahead; first is what that Next said.
	started, first bool
	err            error // done's, once the rows are read
}

func (r *result) Columns() []warehouse.Column { return r.cols }

func (r *result) Next() bool {
	if r.started {
		r.started = false
		return r.first
	}
	if r.rows.Next() {
		return true
	}
	r.err = done(r.rows)
	return false
}

// done is the outcome of a statement read to its end: its error, or a
// refusal when it was not a query (its command tag says so: SET, COPY,
// SHOW...). It ran in a read-only transaction that is rolled back, so a
// refusal this late has changed nothing.
func done(rows pgx.Rows) error {
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	if !rows.CommandTag().Select() {
		return warehouse.Refused(warehouse.NotAQuery)
	}
	return nil
}
func (r *result) Err() error { return r.err }

func (r *result) Close() error {
	r.rows.Close()
	if r.conn != nil {
		end(r.conn)
		r.conn = nil
	}
	return nil
}

func (r *result) Values() ([]any, error) {
	vals, err := r.rows.Values()
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		vals[i] = normalize(v)
	}
	return vals, nil
}

// normalize converts pgx's values to the plain types promised by
// warehouse.Rows.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, time.Time:
		return x
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int8:
		return int64(x)
	case float32:
		return float64(x)
	case pgtype.Numeric:
		if !x.Valid {
			return nil
		}
		if x.NaN {
			return math.NaN()
		}
		if x.Exp >= 0 && x.Int != nil && x.Int.BitLen() < 63 {
			if i, err := x.Int64Value(); err == nil && i.Valid {
				return i.Int64
			}
		}
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return nil
		}
		return f.Float64
	case [16]byte: // uuid
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Interval:
		if !x.Valid {
			return nil
		}
		return fmt.Sprintf("%d months %d days %d us", x.Months, x.Days, x.Microseconds)
	case pgtype.Time:
		if !x.Valid {
			return nil
		}
		return time.Duration(x.Microseconds * 1000).String()
	}
	return v
}
