// Package postgres is the PostgreSQL adapter, on pgx v5 with a connection
// pool (queries of one diff run concurrently).
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
	// The simple protocol: one round trip per query, no server-side
	// prepared statements (each diff query is different), and it works
	// behind PgBouncer in transaction mode, common in teams.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
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

func (w *Warehouse) Query(ctx context.Context, query string) (warehouse.Rows, error) {
	rows, err := w.pool.Query(ctx, query)
	if err != nil {
		return nil, classify(err)
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
	return &result{rows: rows, cols: cols}, nil
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
}

func (r *result) Columns() []warehouse.Column { return r.cols }
func (r *result) Next() bool                  { return r.rows.Next() }
func (r *result) Err() error                  { return classify(r.rows.Err()) }
func (r *result) Close() error                { r.rows.Close(); return nil }

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
