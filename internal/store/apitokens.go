package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Server API tokens, created in Settings for `recce upload` and scripts.
//
// A token reads "recce_" followed by base64url of 8 bytes of lookup key and
// 32 random bytes. The lookup key (not secret) finds the row; the SHA-256 of
// the whole token is compared with the stored one in constant time. Only the
// hash is stored: a copy of the database does not let anyone in, and a
// token shown once cannot be shown again. A plain SHA-256 suffices (no slow
// password hash) because the token is 256 random bits, not a password.

// APITokenPrefix starts every server API token, so that secret scanners
// and people recognise one.
const APITokenPrefix = "recce_"

const (
	apiTokenLookupBytes = 8
	apiTokenSecretBytes = 32
)

// APIToken describes a token; the token itself is never stored.
type APIToken struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
}

// ErrInvalidAPIToken means the token is unknown, revoked or malformed. It
// does not say which: a caller probing tokens learns nothing.
var ErrInvalidAPIToken = errors.New("invalid or revoked API token")

// CreateAPIToken makes a token named name and returns it: this is the only
// time it can be seen, so the caller shows it once and forgets it.
func (s *Store) CreateAPIToken(ctx context.Context, name string) (token string, info APIToken, err error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", APIToken{}, errors.New("an API token needs a name (what it is for: \"CI upload\", \"nightly script\")")
	}
	raw := make([]byte, apiTokenLookupBytes+apiTokenSecretBytes)
	rand.Read(raw) // never fails
	token = APITokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	hash := sha256.Sum256([]byte(token))
	now := s.now()
	info = APIToken{Name: name, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	err = s.queryRow(ctx, `INSERT INTO api_tokens (name, lookup, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		name, hex.EncodeToString(raw[:apiTokenLookupBytes]), hash[:], now.UnixMilli()).Scan(&info.ID)
	if err != nil {
		return "", APIToken{}, fmt.Errorf("create the API token %q: %w", name, err)
	}
	return token, info, nil
}

// lastUsedResolution bounds how often a token's last use is written: a
// script calling many times a second must not turn every read into a write.
const lastUsedResolution = time.Minute

// VerifyAPIToken returns the token's description when token is a live API
// token, else ErrInvalidAPIToken. It records the use (at most once a minute).
func (s *Store) VerifyAPIToken(ctx context.Context, token string) (*APIToken, error) {
	lookup, ok := apiTokenLookup(token)
	if !ok {
		return nil, ErrInvalidAPIToken
	}
	var t APIToken
	var stored []byte
	var created, used int64
	err := s.queryRow(ctx, `SELECT id, name, hash, created_at, last_used_at FROM api_tokens WHERE lookup = ?`, lookup).
		Scan(&t.ID, &t.Name, &stored, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvalidAPIToken
	}
	if err != nil {
		return nil, fmt.Errorf("check the API token: %w", err)
	}
	hash := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(hash[:], stored) != 1 {
		return nil, ErrInvalidAPIToken
	}
	t.CreatedAt, t.LastUsedAt = msTime(created), msTime(used)
	now := s.now()
	if now.Sub(t.LastUsedAt) >= lastUsedResolution {
		if _, err := s.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now.UnixMilli(), t.ID); err != nil {
			return nil, fmt.Errorf("record the API token's use: %w", err)
		}
		t.LastUsedAt = now.UTC().Truncate(time.Millisecond)
	}
	return &t, nil
}

// apiTokenLookup is the hex lookup key of a well-formed token.
func apiTokenLookup(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, APITokenPrefix)
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) != apiTokenLookupBytes+apiTokenSecretBytes {
		return "", false
	}
	return hex.EncodeToString(raw[:apiTokenLookupBytes]), true
}

// APITokens lists the tokens (names and dates), oldest first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var created, used int64
		if err := rows.Scan(&t.ID, &t.Name, &created, &used); err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		t.CreatedAt, t.LastUsedAt = msTime(created), msTime(used)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAPIToken deletes a token; it stops working at once, on every
// instance. It reports whether the token existed.
func (s *Store) RevokeAPIToken(ctx context.Context, id int64) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("revoke API token %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
