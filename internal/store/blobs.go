package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Artifact blobs are content-addressed and shared: two sessions may use the
// same one, and a blob a session stopped using may be uploaded again. So a
// blob is deleted only by CollectBlobs, which decides and deletes inside one
// transaction that holds the blob's row (SQLite: the write lock; PostgreSQL:
// FOR UPDATE), while RecordUpload touches that row in its own transaction.
// Whichever comes second sees the other's work: the collector finds the
// blob touched or used again and leaves it; the upload finds its blob gone
// (Upload.BlobPresent, asked while the row is held) and records nothing, and
// the server asks the uploader to send it again.

// NoteBlob makes the store know a blob no session uses yet (an upload that
// was refused after it was stored), so that CollectBlobs removes it after
// the grace period instead of it staying forever.
func (s *Store) NoteBlob(ctx context.Context, ref string) error {
	if err := touchBlob(ctx, s, s.db, ref, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("note blob %s: %w", ref, err)
	}
	return nil
}

func touchBlob(ctx context.Context, s *Store, q querier, ref string, now int64) error {
	if ref == "" {
		return nil
	}
	_, err := q.ExecContext(ctx, s.d.rebind(`INSERT INTO blobs (ref, touched_at) VALUES (?, ?)
		ON CONFLICT (ref) DO UPDATE SET touched_at = excluded.touched_at`), ref, now)
	return err
}

// unusedBlob is the condition of a blob CollectBlobs may delete.
const unusedBlob = `touched_at < ? AND NOT EXISTS (SELECT 1 FROM mr_sessions s WHERE s.artifacts_blob = blobs.ref)`

// CollectBlobs deletes, with del, the blobs no session has used for grace,
// at most limit of them (0: no limit), and returns how many went. A blob
// del cannot delete stays known, for the next round; the others are
// still collected.
func (s *Store) CollectBlobs(ctx context.Context, grace time.Duration, limit int, del func(ctx context.Context, ref string) error) (int, error) {
	cutoff := s.now().Add(-grace).UnixMilli()
	q := `SELECT ref FROM blobs WHERE ` + unusedBlob + ` ORDER BY touched_at`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), cutoff)
	if err != nil {
		return 0, fmt.Errorf("list unused blobs: %w", err)
	}
	var refs []string
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list unused blobs: %w", err)
		}
		refs = append(refs, ref)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list unused blobs: %w", err)
	}
	lock := ""
	if s.d.name == "postgres" {
		lock = " FOR UPDATE"
	}
	n, errs := 0, []error(nil)
	for _, ref := range refs {
		deleted := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var got string
			err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT ref FROM blobs WHERE ref = ? AND `+unusedBlob+lock), ref, cutoff).Scan(&got)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // used or touched meanwhile, or another instance took it
			}
			if err != nil {
				return err
			}
			if err := del(ctx, ref); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.d.rebind(`DELETE FROM blobs WHERE ref = ?`), ref)
			deleted = err == nil
			return err
		})
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("collect blob %s: %w", ref, err))
			if ctx.Err() != nil {
				return n, errors.Join(errs...)
			}
		case deleted:
			n++
		}
	}
	return n, errors.Join(errs...)
}
