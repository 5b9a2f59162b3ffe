// Package store keeps recce's own data: the GitLab connection, the tracked
// merge requests, webhook deliveries and sync cursors.
//
// The default backend is an embedded SQLite database (modernc.org/sqlite, pure
// Go, no cgo) in the data directory; PostgreSQL (pgx) lets several server
// instances share one store. Both run the same queries and the same
// migrations: the differences live in dialect.go, and every test of the
// package runs against both (see backends in the tests). Methods are shaped
// after what callers do (SaveConnection, RecordUpload, ClaimJob), not after
// tables.
//
// Times are stored as Unix milliseconds taken from the Go clock of the
// instance that writes them (never the database's now()), so that tests can
// move time and SQLite and PostgreSQL behave the same.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// FileName is the SQLite database's name inside the data directory.
const FileName = "recce.db"

// Store is the app's data. It is safe for concurrent use, and several Store
// values (in one process or in several server instances) may share one
// PostgreSQL database or one SQLite file.
type Store struct {
	db   *sql.DB
	d    dialect
	path string // SQLite file; empty for other backends

	now   func() time.Time // the clock; tests move it
	retry JobRetry         // backoff of failed jobs
}

func newStore(db *sql.DB, d dialect, path string) *Store {
	return &Store{db: db, d: d, path: path, now: time.Now, retry: DefaultJobRetry}
}

// Open opens the store named by databaseURL: PostgreSQL for a
// postgres:// or postgresql:// URL, else (empty URL) the SQLite database in
// dataDir. Error messages never hold the URL's password.
func Open(ctx context.Context, dataDir, databaseURL string) (*Store, error) {
	u := strings.TrimSpace(databaseURL)
	switch {
	case u == "":
		return OpenSQLite(ctx, dataDir)
	case IsPostgresURL(u):
		return OpenPostgres(ctx, u)
	default:
		return nil, errors.New("--database-url must be a PostgreSQL URL (postgres://user:password@host:5432/database?sslmode=require), or empty for the embedded SQLite database in the data directory")
	}
}

// IsPostgresURL reports whether u names a PostgreSQL database.
func IsPostgresURL(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// DefaultDataDir is where the data lives unless --data-dir says otherwise:
// $XDG_DATA_HOME/recce, else ~/.local/share/recce; on macOS
// ~/Library/Application Support/recce; on Windows %LocalAppData%\recce.
func DefaultDataDir(getenv func(string) string) (string, error) {
	if runtime.GOOS == "windows" {
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "recce"), nil
		}
	}
	home, err := os.UserHomeDir()
	if runtime.GOOS == "darwin" && err == nil {
		return filepath.Join(home, "Library", "Application Support", "recce"), nil
	}
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "recce"), nil
	}
	if err != nil {
		return "", fmt.Errorf("find the home directory for the data directory (use --data-dir): %w", err)
	}
	return filepath.Join(home, ".local", "share", "recce"), nil
}

// OpenSQLite opens (creating when needed) the database in dir and brings its
// schema up to date.
//
// Pragmas, set on every connection: WAL so readers never block the writer; a
// busy timeout so two recce processes wait for each other instead of failing;
// secure_delete so that a deleted or replaced secret is overwritten with zeros
// in the file instead of lingering in free space; foreign keys on.
func OpenSQLite(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "secure_delete(1)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// IMMEDIATE transactions take the write lock at BEGIN, so two writers
	// queue on the busy timeout instead of one failing on lock upgrade.
	q.Set("_txlock", "immediate")
	db, err := sql.Open(sqliteDialect.driver, "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := newStore(db, sqliteDialect, path)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The database holds sealed secrets and merge request data: keep it private.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Chmod(p, 0o600)
	}
	return s, nil
}

// Backend is "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// Path is the SQLite database file ("" for other backends).
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.d.rebind(q), args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.d.rebind(q), args...)
}

// querier is what *sql.DB and *sql.Tx share, for helpers that run inside
// or outside a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// scrubFreedPages makes sure removed secrets are gone from the files, not just
// unreachable: secure_delete already zeroed the freed bytes in the pages, but
// the write-ahead log still holds older page images until a checkpoint copies
// them back and the log is truncated.
func (s *Store) scrubFreedPages(ctx context.Context) error {
	if s.d.name != "sqlite" {
		return nil
	}
	var busy, logFrames, checkpointed int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("checkpoint the write-ahead log: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("the write-ahead log of %s could not be cleared because another recce process is reading it; stop it and run the command again so that no copy of the old token is left", s.path)
	}
	return nil
}
