package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gitlab.com/recce-go/recce/internal/secret"
)

// Purposes bound to the sealed columns (secret.Box.Seal's purpose). They
// must equal internal/gitlab's SecretPurpose* constants, with which the CLI
// and the server seal them (a test pins it; this package cannot import
// internal/gitlab, which imports it).
const (
	PurposeGitLabToken   = "gitlab.token"
	PurposeWebhookSecret = "gitlab.webhook_secret"
)

// sealedColumn is a column holding values sealed by internal/secret. A new
// sealed column (a warehouse password, say) must be added here, or key
// rotation would leave it under the old key: TestRotationCoversEverySealedColumn
// fails when a *_sealed column is missing.
type sealedColumn struct {
	table, column, purpose string
	key                    string // the table's primary key column
}

var sealedColumns = []sealedColumn{
	{"gitlab_connection", "token_sealed", PurposeGitLabToken, "id"},
	{"gitlab_connection", "webhook_secret_sealed", PurposeWebhookSecret, "id"},
}

// RotationReport says what a key rotation did.
type RotationReport struct {
	Resealed       int // values moved from the old key to the new one
	AlreadyRotated int // values the new key already opened (a rotation run twice)
}

// RotateSecretKey re-encrypts every sealed value of the store from the old
// key to the new one, in one transaction: either every value moves or none
// does. A value that the new key already opens is left as it is, so running
// the rotation again after a success is harmless. A value that neither key
// opens stops the rotation with an error naming its column (never its
// content); nothing is changed then.
//
// Run it while no instance writes secrets (a connect or disconnect in
// between would seal with the key that instance holds), then restart every
// instance with the new key.
func (s *Store) RotateSecretKey(ctx context.Context, oldKey, newKey *secret.Box) (RotationReport, error) {
	if oldKey == nil || newKey == nil {
		return RotationReport{}, errors.New("rotate the secret key: both the old and the new key are needed")
	}
	var rep RotationReport
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rep = RotationReport{}
		for _, c := range sealedColumns {
			if err := s.rotateColumn(ctx, tx, c, oldKey, newKey, &rep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RotationReport{}, fmt.Errorf("rotate the secret key: %w", err)
	}
	// The old ciphertexts are overwritten in the database pages; make sure
	// no copy lingers in SQLite's write-ahead log either.
	return rep, s.scrubFreedPages(ctx)
}

func (s *Store) rotateColumn(ctx context.Context, tx *sql.Tx, c sealedColumn, oldKey, newKey *secret.Box, rep *RotationReport) error {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s FROM %s WHERE %s IS NOT NULL`, c.key, c.column, c.table, c.column))
	if err != nil {
		return fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
	}
	type row struct {
		key    int64
		sealed []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.key, &r.sealed); err != nil {
			rows.Close()
			return fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
		}
		all = append(all, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("read %s.%s: %w", c.table, c.column, err)
	}
	for _, r := range all {
		if len(r.sealed) == 0 {
			continue
		}
		resealed, err := oldKey.Reseal(r.sealed, c.purpose, newKey)
		if errors.Is(err, secret.ErrDecrypt) {
			if pt, err2 := newKey.Open(r.sealed, c.purpose); err2 == nil {
				clear(pt)
				rep.AlreadyRotated++
				continue
			}
			return fmt.Errorf("%s.%s (row %d) opens with neither the old nor the new key: check that the old key is the one the server used; nothing was changed", c.table, c.column, r.key)
		}
		if err != nil {
			return fmt.Errorf("%s.%s (row %d): %w", c.table, c.column, r.key, err)
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s = ?`, c.table, c.column, c.key)),
			resealed, r.key); err != nil {
			return fmt.Errorf("write %s.%s: %w", c.table, c.column, err)
		}
		rep.Resealed++
	}
	return nil
}
