package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Rate limits shared by every server instance: GitLab counts the notes a
// user creates (60 a minute on gitlab.com), whichever instance creates
// them, so the pace is kept in the database, not in one process's memory.
//
// Each limit is one row holding its "theoretical arrival time" (the cell
// rate algorithm without burst): the earliest moment the next unit may be
// used. Units are spaced per/limit apart, so no window of length per ever
// holds more than limit of them, whether GitLab counts in fixed or sliding
// windows. The row is read and written in one transaction (FOR UPDATE on
// PostgreSQL; SQLite's IMMEDIATE transactions serialise), so two instances
// never take the same slot.

// RateLimit is limit units per Per.
type RateLimit struct {
	Limit int
	Per   time.Duration
}

// interval is the spacing between two units.
func (r RateLimit) interval() time.Duration {
	if r.Limit <= 0 || r.Per <= 0 {
		return 0
	}
	return r.Per / time.Duration(r.Limit)
}

// ReserveRate reserves the next unit of the named limit when it is due
// within maxWait: it returns ok and how long to wait before using it (0:
// now). When the next unit is further away than maxWait, nothing is
// reserved: ok is false and next says when to ask again. A zero RateLimit
// allows everything at once.
func (s *Store) ReserveRate(ctx context.Context, name string, r RateLimit, maxWait time.Duration) (wait time.Duration, ok bool, next time.Time, err error) {
	step := r.interval()
	now := s.now()
	if step <= 0 {
		return 0, true, now, nil
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var tatMS int64
		lock := ""
		if s.d.name == "postgres" {
			lock = " FOR UPDATE"
		}
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT tat FROM rate_limits WHERE name = ?`+lock), name).Scan(&tatMS)
		if errors.Is(err, sql.ErrNoRows) {
			// First use: make the row (another instance may make it at the
			// same moment; then read it again, locked).
			if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO rate_limits (name, tat) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`), name); err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT tat FROM rate_limits WHERE name = ?`+lock), name).Scan(&tatMS)
		}
		if err != nil {
			return err
		}
		slot := time.UnixMilli(tatMS)
		if slot.Before(now) {
			slot = now
		}
		if wait = slot.Sub(now); wait > maxWait {
			ok, next = false, slot
			return nil
		}
		ok, next = true, slot
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE rate_limits SET tat = ? WHERE name = ?`), slot.Add(step).UnixMilli(), name)
		return err
	})
	if err != nil {
		return 0, false, time.Time{}, fmt.Errorf("rate limit %s: %w", name, err)
	}
	return wait, ok, next, nil
}
