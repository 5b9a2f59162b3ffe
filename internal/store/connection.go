package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNotConnected means no GitLab connection is stored.
var ErrNotConnected = errors.New("no GitLab connection is stored: run `recce gitlab connect` (or set RECCE_GITLAB_TOKEN)")

// Connection is the stored GitLab connection. Secrets are sealed
// (internal/secret); the store never sees them in clear.
type Connection struct {
	GitLabURL   string
	Project     string // as the user gave it: numeric id or group/project path
	ProjectID   int64
	ProjectPath string

	TokenSealed    []byte
	TokenName      string
	TokenExpiresAt string // YYYY-MM-DD, or "" for a token that does not expire
	UserID         int64
	Username       string

	Mode      string // full, read_only (a connection in mode none is refused before it is stored)
	CheckJSON string // the connection check's report, as JSON
	CheckedAt time.Time

	WebhookID           int64 // 0 when no webhook was created
	WebhookURL          string
	WebhookSecretSealed []byte

	ConnectedAt time.Time
}

// SaveConnection stores c, replacing any previous connection; the replaced
// token's bytes are wiped from the database files (see scrubFreedPages).
func (s *Store) SaveConnection(ctx context.Context, c Connection) error {
	if c.ConnectedAt.IsZero() {
		c.ConnectedAt = time.Now()
	}
	_, err := s.exec(ctx, `INSERT INTO gitlab_connection (id, gitlab_url, project, project_id, project_path,
			token_sealed, token_name, token_expires_at, user_id, username, mode, check_json, checked_at,
			webhook_id, webhook_url, webhook_secret_sealed, connected_at)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET gitlab_url = excluded.gitlab_url, project = excluded.project,
			project_id = excluded.project_id, project_path = excluded.project_path,
			token_sealed = excluded.token_sealed, token_name = excluded.token_name,
			token_expires_at = excluded.token_expires_at, user_id = excluded.user_id,
			username = excluded.username, mode = excluded.mode, check_json = excluded.check_json,
			checked_at = excluded.checked_at, webhook_id = excluded.webhook_id,
			webhook_url = excluded.webhook_url, webhook_secret_sealed = excluded.webhook_secret_sealed,
			connected_at = excluded.connected_at`,
		c.GitLabURL, c.Project, c.ProjectID, c.ProjectPath, c.TokenSealed, c.TokenName, c.TokenExpiresAt,
		c.UserID, c.Username, c.Mode, c.CheckJSON, c.CheckedAt.UnixMilli(), c.WebhookID, c.WebhookURL,
		c.WebhookSecretSealed, c.ConnectedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("save the GitLab connection: %w", err)
	}
	return s.scrubFreedPages(ctx)
}

// Connection returns the stored connection, or ErrNotConnected.
func (s *Store) Connection(ctx context.Context) (*Connection, error) {
	var c Connection
	var checked, connected int64
	err := s.queryRow(ctx, `SELECT gitlab_url, project, project_id, project_path, token_sealed, token_name,
			token_expires_at, user_id, username, mode, check_json, checked_at, webhook_id, webhook_url,
			webhook_secret_sealed, connected_at
		FROM gitlab_connection WHERE id = 1`).Scan(&c.GitLabURL, &c.Project, &c.ProjectID, &c.ProjectPath,
		&c.TokenSealed, &c.TokenName, &c.TokenExpiresAt, &c.UserID, &c.Username, &c.Mode, &c.CheckJSON,
		&checked, &c.WebhookID, &c.WebhookURL, &c.WebhookSecretSealed, &connected)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotConnected
	}
	if err != nil {
		return nil, fmt.Errorf("read the GitLab connection: %w", err)
	}
	c.CheckedAt, c.ConnectedAt = time.UnixMilli(checked), time.UnixMilli(connected)
	return &c, nil
}

// UpdateConnectionCheck records a new check result for the stored connection
// (the server re-checks the token periodically).
func (s *Store) UpdateConnectionCheck(ctx context.Context, mode, checkJSON string, at time.Time) error {
	res, err := s.exec(ctx, `UPDATE gitlab_connection SET mode = ?, check_json = ?, checked_at = ? WHERE id = 1`,
		mode, checkJSON, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("update the connection check: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotConnected
	}
	return nil
}

// DeleteConnection removes the stored connection and wipes its secrets from
// the database files. It reports whether there was one.
func (s *Store) DeleteConnection(ctx context.Context) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM gitlab_connection WHERE id = 1`)
	if err != nil {
		return false, fmt.Errorf("delete the GitLab connection: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := s.scrubFreedPages(ctx); err != nil {
		return n > 0, err
	}
	return n > 0, nil
}
