package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The durable job queue: work the server must not lose (post a summary
// note, set a commit status) is a row in the jobs table before anyone is
// told it is done, and any instance's worker may run it.
//
// A job's life:
//
//	pending --ClaimJob--> running --CompleteJob--> done
//	                         |
//	                         +--FailJob--> pending (retry after a backoff)
//	                         |         \-> dead    (attempts used up, or permanent)
//	                         +--lease expires (the worker died)--> claimable again
//
// Delivery is at least once: a worker that dies after doing the work but
// before CompleteJob leaves the job to be run again when its lease expires.
// Handlers must therefore be idempotent (the summary job compares the body
// hash with what was posted; note creation lists the notes first).

// Job states.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobDead    = "dead"
)

// NewJob is a job to enqueue.
type NewJob struct {
	Kind    string // what to do: the worker dispatches on it ("post_summary")
	Payload []byte // JSON for the handler; kept as is
	// DedupeKey, when set, keeps one pending job per key: enqueueing again
	// while one is pending replaces its payload instead of adding a second
	// job. Handlers of deduplicated jobs should read the current data (the
	// session) when they run rather than trust a payload snapshot.
	DedupeKey string
	// RunAfter delays the first run (zero: now).
	RunAfter time.Time
	// MaxAttempts bounds the runs before the job is dead (0: DefaultJobRetry's).
	MaxAttempts int
}

// Job is a queued job as stored.
type Job struct {
	ID          int64
	Kind        string
	Payload     []byte
	DedupeKey   string
	State       string
	Attempts    int // runs started so far, the current one included
	MaxAttempts int
	RunAfter    time.Time
	LeaseOwner  string    // the worker running it, while running
	LeaseUntil  time.Time // when another worker may take it over
	LastError   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time // done or dead; zero before

	leaseToken string // proves that the caller holds the current lease
}

// JobRetry is the retry policy of failed jobs: exponential backoff with
// jitter, from Base doubling up to Max, MaxAttempts runs in all.
type JobRetry struct {
	Base, Max   time.Duration
	MaxAttempts int
}

// DefaultJobRetry waits about 5s, 10s, 20s... up to 10 minutes between runs,
// eight runs in all: a GitLab outage of about half an hour is ridden out.
var DefaultJobRetry = JobRetry{Base: 5 * time.Second, Max: 10 * time.Minute, MaxAttempts: 8}

// SetJobRetry changes the retry policy of this Store's FailJob calls
// (zero fields keep DefaultJobRetry's).
func (s *Store) SetJobRetry(r JobRetry) {
	if r.Base <= 0 {
		r.Base = DefaultJobRetry.Base
	}
	if r.Max <= 0 {
		r.Max = DefaultJobRetry.Max
	}
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultJobRetry.MaxAttempts
	}
	s.retry = r
}

// Backoff is the wait before the run after the attempt-th failure (attempt
// counts from 1): Base·2^(attempt-1) capped at Max, jittered over its upper
// half so that jobs failing together (a GitLab outage) do not all come back
// in the same second. rnd returns a number in [0, 1).
func (r JobRetry) Backoff(attempt int, rnd func() float64) time.Duration {
	d := r.Max
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 32 {
		if e := r.Base << (attempt - 1); e > 0 && e < r.Max {
			d = e
		}
	}
	return d/2 + time.Duration(rnd()*float64(d/2))
}

// ErrLeaseLost means the job is no longer this worker's: its lease expired
// and another worker took it over (or it was finished meanwhile). The worker
// must drop it without reporting anything.
var ErrLeaseLost = errors.New("the job's lease was lost: another worker took it over")

// EnqueueJob adds a job, or, when j.DedupeKey names a job still pending,
// gives that one the new payload. It returns the job's id and whether a new
// job was added.
func (s *Store) EnqueueJob(ctx context.Context, j NewJob) (id int64, added bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		id, added, err = s.enqueueTx(ctx, tx, j)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("enqueue a %s job: %w", j.Kind, err)
	}
	return id, added, nil
}

// enqueueTx enqueues inside the caller's transaction, so that a job and the
// data it acts on are stored together (RecordUpload).
func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, j NewJob) (int64, bool, error) {
	if j.Kind == "" {
		return 0, false, errors.New("a job needs a kind")
	}
	if len(j.Payload) == 0 {
		j.Payload = []byte("{}")
	}
	if !json.Valid(j.Payload) {
		return 0, false, errors.New("the job's payload is not JSON")
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = s.retry.MaxAttempts
	}
	now := s.now()
	if j.RunAfter.IsZero() {
		j.RunAfter = now
	}
	var key any // NULL: no deduplication (NULLs never collide in a unique index)
	if j.DedupeKey != "" {
		key = j.DedupeKey
	}
	// Two tries: on PostgreSQL, a concurrent transaction may insert the
	// same key between our look-up and our insert; the insert then waits
	// for it, does nothing, and the second look-up finds its job.
	for range 2 {
		if j.DedupeKey != "" {
			var id int64
			err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM jobs WHERE dedupe_key = ? AND state = 'pending'`), j.DedupeKey).Scan(&id)
			if err == nil {
				_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET payload = ?, updated_at = ? WHERE id = ?`), string(j.Payload), now.UnixMilli(), id)
				return id, false, err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return 0, false, err
			}
		}
		var id int64
		err := tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO jobs (kind, payload, dedupe_key, state, max_attempts,
				run_after, created_at, updated_at)
			VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)
			ON CONFLICT (dedupe_key) WHERE state = 'pending' DO NOTHING
			RETURNING id`),
			j.Kind, string(j.Payload), key, j.MaxAttempts, j.RunAfter.UnixMilli(), now.UnixMilli(), now.UnixMilli()).Scan(&id)
		if err == nil {
			return id, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, err
		}
	}
	return 0, false, errors.New("the job's dedupe key is being enqueued concurrently; try again")
}

// ClaimJob takes the next job that is due, for worker (a name for logs and
// metrics: host and process), for lease long: another worker may take it
// over once the lease has expired, so lease must exceed the job's longest
// run (or the worker calls ExtendLease). kinds restricts the claim to some
// kinds (none: any). It returns nil and no error when nothing is due.
//
// Many workers, in one process or in several instances sharing a
// PostgreSQL database, may claim at once: each job goes to one of them.
func (s *Store) ClaimJob(ctx context.Context, worker string, lease time.Duration, kinds ...string) (*Job, error) {
	jobs, err := s.ClaimJobs(ctx, worker, lease, 1, kinds...)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	return jobs[0], nil
}

// ClaimJobs is ClaimJob for up to n jobs at once, oldest due first.
//
// How one claim excludes another: on PostgreSQL the candidates are selected
// FOR UPDATE SKIP LOCKED inside the transaction that marks them running, so
// a concurrent claimer skips the rows this one holds instead of waiting for
// them or taking them too. On SQLite the transaction is IMMEDIATE: it holds
// the database's single write lock from its first statement, so claims run
// one after the other.
func (s *Store) ClaimJobs(ctx context.Context, worker string, lease time.Duration, n int, kinds ...string) ([]*Job, error) {
	if lease <= 0 {
		return nil, errors.New("claim jobs: the lease must be positive")
	}
	if n <= 0 {
		n = 1
	}
	var out []*Job
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		now := s.now()
		q := selectJob + ` WHERE ((state = 'pending' AND run_after <= ?) OR (state = 'running' AND lease_until <= ?))`
		args := []any{now.UnixMilli(), now.UnixMilli()}
		if len(kinds) > 0 {
			q += ` AND kind IN (?` + strings.Repeat(`, ?`, len(kinds)-1) + `)`
			for _, k := range kinds {
				args = append(args, k)
			}
		}
		q += ` ORDER BY run_after, id LIMIT ?` + s.d.lockRows
		args = append(args, n)
		rows, err := tx.QueryContext(ctx, s.d.rebind(q), args...)
		if err != nil {
			return err
		}
		var due []*Job
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				rows.Close()
				return err
			}
			due = append(due, j)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, j := range due {
			if j.State == JobRunning && j.Attempts >= j.MaxAttempts {
				// Its last run's worker died (the lease expired): no run left.
				msg := fmt.Sprintf("the worker running attempt %d of %d stopped before finishing it (lease expired)", j.Attempts, j.MaxAttempts)
				if j.LastError != "" {
					msg += "; last error: " + j.LastError
				}
				if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'dead', last_error = ?, lease_token = '',
						lease_owner = '', lease_until = 0, updated_at = ?, finished_at = ? WHERE id = ?`),
					msg, now.UnixMilli(), now.UnixMilli(), j.ID); err != nil {
					return err
				}
				continue
			}
			j.leaseToken = newLeaseToken()
			j.State, j.Attempts, j.LeaseOwner, j.LeaseUntil, j.UpdatedAt = JobRunning, j.Attempts+1, worker, now.Add(lease), now
			if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'running', attempts = ?, lease_token = ?,
					lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?`),
				j.Attempts, j.leaseToken, worker, j.LeaseUntil.UnixMilli(), now.UnixMilli(), j.ID); err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return out, nil
}

func newLeaseToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand's Read panics rather than return an error)
	return hex.EncodeToString(b)
}

// ExtendLease keeps a long job this worker's for lease more from now.
func (s *Store) ExtendLease(ctx context.Context, j *Job, lease time.Duration) error {
	now := s.now()
	until := now.Add(lease)
	res, err := s.exec(ctx, `UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND state = 'running' AND lease_token = ?`,
		until.UnixMilli(), now.UnixMilli(), j.ID, j.leaseToken)
	if err := leaseHeld(res, err); err != nil {
		return fmt.Errorf("extend the lease of job %d: %w", j.ID, err)
	}
	j.LeaseUntil = until
	return nil
}

// CompleteJob marks a claimed job done. ErrLeaseLost means another worker
// holds it now.
func (s *Store) CompleteJob(ctx context.Context, j *Job) error {
	now := s.now().UnixMilli()
	res, err := s.exec(ctx, `UPDATE jobs SET state = 'done', last_error = '', lease_token = '', lease_owner = '',
			lease_until = 0, updated_at = ?, finished_at = ?
		WHERE id = ? AND state = 'running' AND lease_token = ?`, now, now, j.ID, j.leaseToken)
	if err := leaseHeld(res, err); err != nil {
		return fmt.Errorf("complete job %d: %w", j.ID, err)
	}
	j.State = JobDone
	return nil
}

func leaseHeld(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Failure is why a run failed and what that means for the next one.
type Failure struct {
	// Err is kept as the job's last error (its text: secret-free, as every
	// error of internal/gitlab is).
	Err error
	// NotBefore is the earliest next run GitLab allows, from a 429's
	// Retry-After or RateLimit-Reset: the backoff never ends before it.
	NotBefore time.Time
	// Permanent means retrying cannot help (the token was revoked, the
	// merge request is gone): the job is dead at once.
	Permanent bool
}

// FailJob records a failed run: the job is pending again after the backoff
// (never before f.NotBefore), or dead when its attempts are used up or the
// failure is permanent, with the error kept. It returns the job as stored.
//
// When a job with the same dedupe key was enqueued during this run, that
// newer job supersedes the failed one: the failed one is closed as done and
// the newer one waits at least as long as the retry would have (a rate
// limit applies to it too).
func (s *Store) FailJob(ctx context.Context, j *Job, f Failure) (*Job, error) {
	msg := "failed"
	if f.Err != nil {
		msg = f.Err.Error()
	}
	now := s.now()
	next := now.Add(s.retry.Backoff(j.Attempts, mrand.Float64))
	if f.NotBefore.After(next) {
		next = f.NotBefore
	}
	dead := f.Permanent || j.Attempts >= j.MaxAttempts
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return s.failTx(ctx, tx, j, msg, now, next, dead)
	})
	if isUniqueViolation(err) {
		// PostgreSQL only: a job with the same key was enqueued between our
		// look-up of a pending twin and our return to pending. Once more:
		// the look-up now finds it.
		err = s.inTx(ctx, func(tx *sql.Tx) error { return s.failTx(ctx, tx, j, msg, now, next, dead) })
	}
	if err != nil {
		return nil, fmt.Errorf("record the failure of job %d: %w", j.ID, err)
	}
	return s.Job(ctx, j.ID)
}

// failTx moves a failed running job to dead, to done (superseded by a
// pending twin) or back to pending, in the caller's transaction.
func (s *Store) failTx(ctx context.Context, tx *sql.Tx, j *Job, msg string, now, next time.Time, dead bool) error {
	var res sql.Result
	var err error
	if dead {
		res, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'dead', last_error = ?, lease_token = '',
				lease_owner = '', lease_until = 0, updated_at = ?, finished_at = ?
			WHERE id = ? AND state = 'running' AND lease_token = ?`),
			msg, now.UnixMilli(), now.UnixMilli(), j.ID, j.leaseToken)
		return leaseHeld(res, err)
	}
	var twin int64
	if j.DedupeKey != "" {
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM jobs WHERE dedupe_key = ? AND state = 'pending'`), j.DedupeKey).Scan(&twin)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if twin != 0 {
		res, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'done', last_error = ?, lease_token = '',
				lease_owner = '', lease_until = 0, updated_at = ?, finished_at = ?
			WHERE id = ? AND state = 'running' AND lease_token = ?`),
			fmt.Sprintf("%s (superseded by job %d)", msg, twin), now.UnixMilli(), now.UnixMilli(), j.ID, j.leaseToken)
		if err := leaseHeld(res, err); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET run_after = ? WHERE id = ? AND run_after < ?`),
			next.UnixMilli(), twin, next.UnixMilli())
		return err
	}
	res, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'pending', last_error = ?, run_after = ?,
			lease_token = '', lease_owner = '', lease_until = 0, updated_at = ?
		WHERE id = ? AND state = 'running' AND lease_token = ?`),
		msg, next.UnixMilli(), now.UnixMilli(), j.ID, j.leaseToken)
	return leaseHeld(res, err)
}

// isUniqueViolation reports a PostgreSQL unique_violation (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

const selectJob = `SELECT id, kind, payload, dedupe_key, state, attempts, max_attempts, run_after, lease_owner,
	lease_until, last_error, created_at, updated_at, finished_at FROM jobs`

func scanJob(r rowScanner) (*Job, error) {
	var j Job
	var payload string
	var key sql.NullString
	var runAfter, leaseUntil, created, updated, finished int64
	if err := r.Scan(&j.ID, &j.Kind, &payload, &key, &j.State, &j.Attempts, &j.MaxAttempts, &runAfter, &j.LeaseOwner,
		&leaseUntil, &j.LastError, &created, &updated, &finished); err != nil {
		return nil, err
	}
	j.Payload, j.DedupeKey = []byte(payload), key.String
	j.RunAfter, j.CreatedAt, j.UpdatedAt = msTime(runAfter), msTime(created), msTime(updated)
	j.LeaseUntil, j.FinishedAt = msTime(leaseUntil), msTime(finished)
	return &j, nil
}

// msTime turns stored milliseconds into a UTC time; 0 is the zero time.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// ErrJobNotFound means no job has the id.
var ErrJobNotFound = errors.New("no such job")

// Job returns one job, for inspection.
func (s *Store) Job(ctx context.Context, id int64) (*Job, error) {
	j, err := scanJob(s.queryRow(ctx, selectJob+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrJobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read job %d: %w", id, err)
	}
	return j, nil
}

// JobFilter selects jobs to list; zero fields select everything.
type JobFilter struct {
	State string
	Kind  string
	Limit int // default 100
}

// Jobs lists jobs, newest first (for an admin page or a support bundle).
func (s *Store) Jobs(ctx context.Context, f JobFilter) ([]*Job, error) {
	q := selectJob + ` WHERE 1 = 1`
	var args []any
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q+` ORDER BY id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// JobCount is the number of jobs of a kind in a state.
type JobCount struct {
	Kind  string
	State string
	Count int64
	// OldestRunAfter is the earliest run_after among them: for pending jobs,
	// how long the oldest due one has waited (the queue's lag).
	OldestRunAfter time.Time
}

// JobStats counts the jobs by kind and state, for metrics.
func (s *Store) JobStats(ctx context.Context) ([]JobCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, state, COUNT(*), MIN(run_after) FROM jobs GROUP BY kind, state ORDER BY kind, state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var out []JobCount
	for rows.Next() {
		var c JobCount
		var oldest int64
		if err := rows.Scan(&c.Kind, &c.State, &c.Count, &oldest); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		c.OldestRunAfter = msTime(oldest)
		out = append(out, c)
	}
	return out, rows.Err()
}

// PruneJobs deletes jobs done before t; dead jobs are kept for inspection
// until RetryDeadJob or an administrator removes them.
func (s *Store) PruneJobs(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM jobs WHERE state = 'done' AND finished_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	return res.RowsAffected()
}

// RetryDeadJob gives a dead job a fresh set of attempts, due now (an
// administrator fixed the cause, for example replaced the token). A pending
// job with the same dedupe key makes it unnecessary: it is then left dead.
func (s *Store) RetryDeadJob(ctx context.Context, id int64) (bool, error) {
	now := s.now().UnixMilli()
	res, err := s.exec(ctx, `UPDATE jobs SET state = 'pending', attempts = 0, run_after = ?, updated_at = ?, finished_at = 0
		WHERE id = ? AND state = 'dead'
			AND (dedupe_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs p WHERE p.dedupe_key = jobs.dedupe_key AND p.state = 'pending'))`,
		now, now, id)
	if err != nil {
		return false, fmt.Errorf("retry job %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeferJob puts a claimed job back to pending until until, without
// counting the run as an attempt: the job did not fail, it waits for its
// turn (a rate limit, GitLab's or ours). reason is kept as its last error
// for inspection. As with FailJob, a pending twin with the same dedupe key
// supersedes it.
func (s *Store) DeferJob(ctx context.Context, j *Job, until time.Time, reason string) error {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var twin int64
		if j.DedupeKey != "" {
			err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT id FROM jobs WHERE dedupe_key = ? AND state = 'pending'`), j.DedupeKey).Scan(&twin)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if twin != 0 {
			res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'done', last_error = ?, lease_token = '',
					lease_owner = '', lease_until = 0, updated_at = ?, finished_at = ?
				WHERE id = ? AND state = 'running' AND lease_token = ?`),
				fmt.Sprintf("%s (superseded by job %d)", reason, twin), now.UnixMilli(), now.UnixMilli(), j.ID, j.leaseToken)
			if err := leaseHeld(res, err); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET run_after = ? WHERE id = ? AND run_after < ?`),
				until.UnixMilli(), twin, until.UnixMilli())
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE jobs SET state = 'pending', attempts = attempts - 1, last_error = ?,
				run_after = ?, lease_token = '', lease_owner = '', lease_until = 0, updated_at = ?
			WHERE id = ? AND state = 'running' AND lease_token = ?`),
			reason, until.UnixMilli(), now.UnixMilli(), j.ID, j.leaseToken)
		return leaseHeld(res, err)
	})
	if isUniqueViolation(err) {
		return s.DeferJob(ctx, j, until, reason) // a twin was enqueued concurrently: the look-up now finds it
	}
	if err != nil {
		return fmt.Errorf("defer job %d: %w", j.ID, err)
	}
	return nil
}
