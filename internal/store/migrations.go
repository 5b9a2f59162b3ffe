package store

import (
	"context"
	"fmt"
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
	{2, "merge request sessions, job queue, server API tokens", []string{
		// One session per merge request (sessions.go). The merge request's
		// head commit and its summary note stay in merge_requests, their one
		// home; a session row holds what the pipeline uploaded and what the
		// review made of it.
		`CREATE TABLE mr_sessions (
			project_id {{int64}} NOT NULL,
			iid {{int64}} NOT NULL,
			revision {{int64}} NOT NULL DEFAULT 0,
			state_sha TEXT NOT NULL DEFAULT '',
			verdict TEXT NOT NULL DEFAULT '',
			result_error TEXT NOT NULL DEFAULT '',
			state_json TEXT NOT NULL DEFAULT '',
			artifacts_blob TEXT NOT NULL DEFAULT '',
			artifacts_size {{int64}} NOT NULL DEFAULT 0,
			pipeline_id {{int64}} NOT NULL DEFAULT 0,
			job_id {{int64}} NOT NULL DEFAULT 0,
			uploaded_by TEXT NOT NULL DEFAULT '',
			uploaded_at {{int64}} NOT NULL DEFAULT 0,
			workspace_json TEXT NOT NULL DEFAULT '',
			workspace_saved_at {{int64}} NOT NULL DEFAULT 0,
			commit_status_sha TEXT NOT NULL DEFAULT '',
			commit_status_state TEXT NOT NULL DEFAULT '',
			commit_status_posted_at {{int64}} NOT NULL DEFAULT 0,
			updated_at {{int64}} NOT NULL,
			PRIMARY KEY (project_id, iid)
		)`,
		// The durable job queue (jobs.go). state: pending, running, done, dead.
		`CREATE TABLE jobs (
			id {{id}},
			kind TEXT NOT NULL,
			payload TEXT NOT NULL,
			dedupe_key TEXT,
			state TEXT NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			max_attempts INTEGER NOT NULL,
			run_after {{int64}} NOT NULL,
			lease_token TEXT NOT NULL DEFAULT '',
			lease_owner TEXT NOT NULL DEFAULT '',
			lease_until {{int64}} NOT NULL DEFAULT 0,
			last_error TEXT NOT NULL DEFAULT '',
			created_at {{int64}} NOT NULL,
			updated_at {{int64}} NOT NULL,
			finished_at {{int64}} NOT NULL DEFAULT 0
		)`,
		// At most one pending job per dedupe key; a running one does not
		// count, so that work arriving during a run is queued after it.
		`CREATE UNIQUE INDEX jobs_pending_dedupe ON jobs (dedupe_key) WHERE state = 'pending'`,
		`CREATE INDEX jobs_ready ON jobs (state, run_after)`,
		`CREATE INDEX jobs_lease ON jobs (state, lease_until)`,
		// Server API tokens (apitokens.go): only a hash is kept.
		`CREATE TABLE api_tokens (
			id {{id}},
			name TEXT NOT NULL,
			lookup TEXT NOT NULL UNIQUE,
			hash {{blob}} NOT NULL,
			created_at {{int64}} NOT NULL,
			last_used_at {{int64}} NOT NULL DEFAULT 0
		)`,
	}},
	{3, "session versions, shared rate limits", []string{
		// Bumped at every save of a session's workspace, so that a server
		// instance can tell that another one changed it, and refuse to save
		// over a version it has not seen (SaveSessionWorkspaceIf).
		`ALTER TABLE mr_sessions ADD COLUMN workspace_version {{int64}} NOT NULL DEFAULT 0`,
		// Bumped whenever state_json changes (an upload, the server's run
		// of the checks), so that a cached review knows it must reload.
		`ALTER TABLE mr_sessions ADD COLUMN state_version {{int64}} NOT NULL DEFAULT 0`,
		// One row per rate limit shared by every instance (ratelimits.go).
		`CREATE TABLE rate_limits (
			name TEXT PRIMARY KEY,
			tat {{int64}} NOT NULL
		)`,
	}},
	{4, "artifact blobs known to the store, for collecting unused ones", []string{
		// touched_at: when an upload last used the blob or a newer upload
		// replaced it (blobs.go). Blobs uploaded before this version are
		// known from the sessions that use them.
		`CREATE TABLE blobs (
			ref TEXT PRIMARY KEY,
			touched_at {{int64}} NOT NULL
		)`,
		`INSERT INTO blobs (ref, touched_at)
			SELECT artifacts_blob, MAX(updated_at) FROM mr_sessions WHERE artifacts_blob <> '' GROUP BY artifacts_blob`,
	}},
}

// migrationLockKey is the PostgreSQL advisory lock held while migrating: an
// arbitrary constant, the same for every recce ("recce" in ASCII).
const migrationLockKey int64 = 0x7265636365

// migrate applies the migrations the database has not seen, each in its own
// transaction with its schema_migrations row, so a failure leaves the schema
// at the last complete version.
//
// Several server instances may start at once on one PostgreSQL: each takes a
// session-level advisory lock on one pinned connection before reading the
// version, so the first migrates and the others, once they get the lock,
// find nothing left to do. On SQLite, each migration's IMMEDIATE transaction
// holds the write lock and reads the version again inside it, which gives
// the same guarantee between processes sharing a file.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	if s.d.name == "postgres" {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		// The lock belongs to the connection: release it before the
		// connection goes back to the pool (closing it would release it too).
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at `+s.d.ddl("{{int64}}")+` NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	for _, m := range migrations {
		err := func() error {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			var current int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if current > latest {
				return fmt.Errorf("the database is at schema version %d, newer than this recce knows (%d): upgrade recce", current, latest)
			}
			if m.version <= current {
				return nil
			}
			for _, stmt := range m.up {
				if _, err := tx.ExecContext(ctx, s.d.ddl(stmt)); err != nil {
					return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, s.now().UnixMilli()); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
			return tx.Commit()
		}()
		if err != nil {
			return err
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
