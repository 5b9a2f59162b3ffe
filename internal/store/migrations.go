package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// A migration moves the schema one version up. Migrations are append-only:
// never edit one that has shipped; add the next number instead.
type migration struct {
	version int
	name    string
	up      []string // statements, run in one transaction
}

var migrations = []migration{
	{1, "gitlab connection, merge requests, webhook deliveries, sync cursors", []string{
		// One connection per store for now (id = 1). The token and the webhook
		// secret are sealed by internal/secret; the key is never stored here.
		`CREATE TABLE gitlab_connection (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			gitlab_url TEXT NOT NULL,
			project TEXT NOT NULL,
			project_id {{int64}} NOT NULL,
			project_path TEXT NOT NULL,
			token_sealed {{blob}} NOT NULL,
			token_name TEXT NOT NULL,
			token_expires_at TEXT NOT NULL,
			user_id {{int64}} NOT NULL,
			username TEXT NOT NULL,
			mode TEXT NOT NULL,
			check_json TEXT NOT NULL,
			checked_at {{int64}} NOT NULL,
			webhook_id {{int64}} NOT NULL,
			webhook_url TEXT NOT NULL,
			webhook_secret_sealed {{blob}},
			connected_at {{int64}} NOT NULL
		)`,
		`CREATE TABLE merge_requests (
			project_id {{int64}} NOT NULL,
			iid {{int64}} NOT NULL,
			title TEXT NOT NULL,
			state TEXT NOT NULL,
			draft INTEGER NOT NULL,
			source_branch TEXT NOT NULL,
			target_branch TEXT NOT NULL,
			sha TEXT NOT NULL,
			author TEXT NOT NULL,
			web_url TEXT NOT NULL,
			updated_at {{int64}} NOT NULL,
			last_activity_at {{int64}} NOT NULL,
			summary_note_id {{int64}} NOT NULL DEFAULT 0,
			summary_body_hash TEXT NOT NULL DEFAULT '',
			summary_posted_at {{int64}} NOT NULL DEFAULT 0,
			synced_at {{int64}} NOT NULL,
			PRIMARY KEY (project_id, iid)
		)`,
		`CREATE INDEX merge_requests_state ON merge_requests (project_id, state, updated_at)`,
		`CREATE TABLE webhook_deliveries (
			delivery_key TEXT PRIMARY KEY,
			event TEXT NOT NULL,
			received_at {{int64}} NOT NULL
		)`,
		`CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at)`,
		`CREATE TABLE sync_cursors (
			project_id {{int64}} PRIMARY KEY,
			updated_after {{int64}} NOT NULL,
			last_full_sync_at {{int64}} NOT NULL
		)`,
	}},
}

// migrate applies the migrations the database has not seen, each in its own
// transaction with its schema_migrations row, so a failure leaves the schema
// at the last complete version. With several server instances on one
// PostgreSQL (issue 7), wrap this in an advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at `+s.d.ddl("{{int64}}")+` NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := migrations[len(migrations)-1].version; current > latest {
		return fmt.Errorf("the database is at schema version %d, newer than this recce knows (%d): upgrade recce", current, latest)
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if err := s.inTx(ctx, func(tx *sql.Tx) error {
			for _, stmt := range m.up {
				if _, err := tx.ExecContext(ctx, s.d.ddl(stmt)); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, time.Now().UnixMilli())
			return err
		}); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// SchemaVersion is the version of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
