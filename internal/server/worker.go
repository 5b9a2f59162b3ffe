package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// The workers: every instance runs a few, and each loops
//
//	claim a due job (the store gives each to one worker, across instances)
//	-> run its handler, the lease extended while it runs
//	-> done, or deferred (a rate limit), or failed (retried with backoff,
//	   or dead when retrying cannot help)
//
// Nothing of a job lives only in this process: a worker that dies leaves
// its job leased, and once the lease expires any worker takes it again.
// Handlers are therefore idempotent (the summary note is found by its
// marker, review notes by their key).

func (o JobOptions) withDefaults() JobOptions {
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.NotesRate == (store.RateLimit{}) {
		o.NotesRate = store.RateLimit{Limit: 50, Per: time.Minute}
	}
	if o.Instance == "" {
		host, _ := os.Hostname()
		o.Instance = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	return o
}

func (s *Server) startWorkers() {
	for i := range max(s.opts.Jobs.Workers, 0) {
		s.bg.Add(1)
		go s.worker(fmt.Sprintf("%s/%d", s.opts.Jobs.Instance, i))
	}
}

// worker claims and runs jobs until the server closes.
func (s *Server) worker(name string) {
	defer s.bg.Done()
	kinds := make([]string, 0, 2)
	for k := range s.jobHandlers() {
		kinds = append(kinds, k)
	}
	for s.ctx.Err() == nil {
		j, err := s.opts.Store.ClaimJob(s.ctx, name, s.opts.Jobs.Lease, kinds...)
		switch {
		case err != nil && s.ctx.Err() == nil:
			s.log.Warn("claiming a job failed; trying again", "worker", name, "error", err)
			s.idle()
		case j == nil:
			s.idle()
		default:
			s.runJob(j)
		}
	}
}

// idle waits for a job: a poll interval, or a nudge from this instance.
func (s *Server) idle() {
	t := time.NewTimer(s.opts.Jobs.Poll)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
	case <-s.wake:
	case <-t.C:
	}
}

// runJob runs one claimed job and records how it ended.
func (s *Server) runJob(j *store.Job) {
	start := time.Now()
	ctx, cancel := context.WithCancel(s.ctx)
	held := s.holdLease(ctx, cancel, j)
	err := s.jobHandlers()[j.Kind](ctx, j)
	cancel()
	<-held
	outcome := s.finishJob(j, err)
	s.metrics.job(j.Kind, outcome, time.Since(start))
	log := s.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "outcome", outcome)
	switch outcome {
	case "done":
		log.Debug("job done")
	case "deferred", "interrupted":
		log.Info("job deferred", "reason", err)
	case "dead":
		log.Error("job failed for good: see GET /api/jobs?state=dead; fix the cause, then retry it", "error", err)
	default:
		log.Warn("job failed; it will be retried", "error", err)
	}
}

// holdLease extends the job's lease while it runs, so that a long run
// (the checks of a large project) is not taken over. If the lease is lost
// anyway, the run is cancelled: another worker has the job. The returned
// channel closes when it stops (once ctx is cancelled).
func (s *Server) holdLease(ctx context.Context, cancel context.CancelFunc, j *store.Job) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.opts.Jobs.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.opts.Store.ExtendLease(ctx, j, s.opts.Jobs.Lease); errors.Is(err, store.ErrLeaseLost) {
					s.log.Warn("job lease lost: another worker took the job over", "job", j.ID)
					cancel()
					return
				}
			}
		}
	}()
	return done
}

// A job handler's error decides what becomes of the job:
//   - nil: done;
//   - a *deferral: back to pending until its time, without using an
//     attempt (a rate limit, ours or GitLab's);
//   - a *permanentError, or a GitLab failure no retry can change (the
//     token was revoked, the merge request is gone): dead at once;
//   - anything else: retried after the store's backoff, dead when the
//     attempts are used up.

// deferral is a job waiting for its turn.
type deferral struct {
	until  time.Time
	reason string
}

func (d *deferral) Error() string { return d.reason }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks an error that retrying cannot fix.
func permanent(err error) error { return &permanentError{err} }

// finishJob records the end of a run and names it for the metrics.
func (s *Server) finishJob(j *store.Job, err error) string {
	// The server may be closing: the outcome is recorded regardless.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 10*time.Second)
	defer cancel()
	var d *deferral
	var ge *gitlab.Error
	var perm *permanentError
	outcome := ""
	var serr error
	switch {
	case err == nil:
		outcome, serr = "done", s.opts.Store.CompleteJob(ctx, j)
	case errors.As(err, &d):
		outcome, serr = "deferred", s.opts.Store.DeferJob(ctx, j, d.until, d.reason)
	case s.ctx.Err() != nil:
		// Stopped by a shutdown, not by the job: due again at once, for
		// another instance or this one after its restart.
		outcome, serr = "interrupted", s.opts.Store.DeferJob(ctx, j, s.now(), "interrupted: the server stopped")
	case errors.As(err, &ge) && ge.Kind == gitlab.KindRateLimited:
		wait := max(ge.RetryAfter, time.Second)
		s.metrics.rateLimitWait("gitlab", wait)
		outcome, serr = "deferred", s.opts.Store.DeferJob(ctx, j, s.now().Add(wait), "GitLab's rate limit: "+err.Error())
	default:
		f := store.Failure{Err: err, Permanent: errors.As(err, &perm) || (ge != nil && ge.Kind.Permanent())}
		got, ferr := s.opts.Store.FailJob(ctx, j, f)
		outcome, serr = "retry", ferr
		if got != nil && got.State == store.JobDead {
			outcome = "dead"
		}
	}
	if errors.Is(serr, store.ErrLeaseLost) {
		return "lease_lost" // another worker has it: its outcome counts
	}
	if serr != nil {
		s.log.Error("recording a job's outcome failed: its lease will expire and it will run again", "job", j.ID, "error", serr)
	}
	return outcome
}

// waitForNoteSlot paces note creation with the shared notes rate limit
// (JobOptions.NotesRate, across instances): it waits for a slot due soon,
// or defers the job when the queue ahead is long.
func (s *Server) waitForNoteSlot(ctx context.Context, conn *store.Connection) error {
	limit := s.opts.Jobs.NotesRate
	name := fmt.Sprintf("gitlab-notes:%s:%d", conn.GitLabURL, conn.UserID)
	step := limit.Per / time.Duration(max(limit.Limit, 1))
	wait, ok, next, err := s.opts.Store.ReserveRate(ctx, name, limit, 4*step)
	if err != nil {
		return err
	}
	if !ok {
		// Spread the deferred jobs over the slots ahead, so that they do
		// not all come back at the same instant.
		until := next.Add(time.Duration(rand.Int64N(int64(4*step) + 1)))
		s.metrics.rateLimitWait("recce", until.Sub(s.now()))
		return &deferral{until: until, reason: fmt.Sprintf("waiting for a slot of the notes rate limit (%d per %s)", limit.Limit, limit.Per)}
	}
	if wait <= 0 {
		return nil
	}
	s.metrics.rateLimitWait("recce", wait)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
