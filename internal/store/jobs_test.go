package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Many workers on two Stores (two server instances) drain a queue: every
// job is claimed exactly once. Run with -race.
func TestJobsAreClaimedByExactlyOneWorker(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		a, c := b.open(t), b.open(t)
		const jobs = 120
		for i := range jobs {
			if _, _, err := a.EnqueueJob(ctx, NewJob{Kind: "post_summary", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		claims := map[int64]int{}
		var wg sync.WaitGroup
		for w := range 8 {
			st := a
			if w%2 == 1 {
				st = c
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					// Batches of two make claims overlap more.
					got, err := st.ClaimJobs(ctx, fmt.Sprintf("worker-%d", w), time.Minute, 2)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					for _, j := range got {
						mu.Lock()
						claims[j.ID]++
						mu.Unlock()
						if err := st.CompleteJob(ctx, j); err != nil {
							t.Error(err)
						}
					}
				}
			}()
		}
		wg.Wait()
		if len(claims) != jobs {
			t.Fatalf("%d jobs claimed, want %d", len(claims), jobs)
		}
		for id, n := range claims {
			if n != 1 {
				t.Fatalf("job %d claimed %d times", id, n)
			}
		}
		stats, err := a.JobStats(ctx)
		if err != nil || len(stats) != 1 || stats[0].State != JobDone || stats[0].Count != jobs {
			t.Fatalf("stats = %+v, %v", stats, err)
		}
	})
}

func TestExpiredLeaseHandsTheJobToAnotherWorker(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		a, c := b.open(t), b.open(t)
		clk := newClock(a, c)
		id, _, err := a.EnqueueJob(ctx, NewJob{Kind: "post_summary", Payload: []byte(`{"iid":7}`)})
		if err != nil {
			t.Fatal(err)
		}
		first, err := a.ClaimJob(ctx, "instance-a", time.Minute)
		if err != nil || first == nil || first.ID != id || first.Attempts != 1 || first.LeaseOwner != "instance-a" {
			t.Fatalf("first claim = %+v, %v", first, err)
		}
		// Instance a is killed. Within the lease, nobody else gets the job.
		clk.Add(59 * time.Second)
		if j, err := c.ClaimJob(ctx, "instance-c", time.Minute); j != nil || err != nil {
			t.Fatalf("claimed during the lease: %+v, %v", j, err)
		}
		clk.Add(2 * time.Second)
		second, err := c.ClaimJob(ctx, "instance-c", time.Minute)
		if err != nil || second == nil || second.ID != id || second.Attempts != 2 || string(second.Payload) != `{"iid":7}` {
			t.Fatalf("after the lease = %+v, %v", second, err)
		}
		// The first worker comes back: it may not finish or fail the job.
		if err := a.CompleteJob(ctx, first); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale complete: %v", err)
		}
		if _, err := a.FailJob(ctx, first, Failure{Err: errors.New("x")}); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale fail: %v", err)
		}
		if err := a.ExtendLease(ctx, first, time.Hour); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale extend: %v", err)
		}
		// The new holder extends its lease past the old expiry, then finishes.
		if err := c.ExtendLease(ctx, second, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		clk.Add(5 * time.Minute)
		if j, _ := a.ClaimJob(ctx, "instance-a", time.Minute); j != nil {
			t.Fatalf("an extended lease was taken over: %+v", j)
		}
		if err := c.CompleteJob(ctx, second); err != nil {
			t.Fatal(err)
		}
		got, err := a.Job(ctx, id)
		if err != nil || got.State != JobDone || got.FinishedAt.IsZero() {
			t.Fatalf("job = %+v, %v", got, err)
		}
	})
}

func TestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	r := JobRetry{Base: 5 * time.Second, Max: time.Minute, MaxAttempts: 8}
	low := func() float64 { return 0 }
	high := func() float64 { return 0.999999 }
	for _, c := range []struct {
		attempt int
		full    time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {4, 40 * time.Second}, {5, time.Minute}, {60, time.Minute}} {
		lo, hi := r.Backoff(c.attempt, low), r.Backoff(c.attempt, high)
		if lo != c.full/2 || hi < c.full-time.Millisecond || hi > c.full {
			t.Errorf("attempt %d: backoff in [%v, %v], want [%v, %v]", c.attempt, lo, hi, c.full/2, c.full)
		}
	}
}

func TestFailedJobsRetryWithBackoffThenDie(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		clk := newClock(s)
		s.SetJobRetry(JobRetry{Base: 10 * time.Second, Max: time.Minute, MaxAttempts: 3})
		id, _, _ := s.EnqueueJob(ctx, NewJob{Kind: "post_summary"})

		j, _ := s.ClaimJob(ctx, "w", time.Minute)
		t0 := clk.Now()
		got, err := s.FailJob(ctx, j, Failure{Err: errors.New("GitLab answered 502")})
		if err != nil {
			t.Fatal(err)
		}
		// First retry: between 5s and 10s later.
		if got.State != JobPending || got.LastError != "GitLab answered 502" ||
			got.RunAfter.Before(t0.Add(5*time.Second)) || got.RunAfter.After(t0.Add(10*time.Second)) {
			t.Fatalf("after the first failure: %+v", got)
		}
		if j, _ := s.ClaimJob(ctx, "w", time.Minute); j != nil {
			t.Fatal("claimed before its backoff ended")
		}

		// A 429 with Retry-After: the wait is GitLab's, longer than the backoff.
		clk.Add(10 * time.Second)
		j, _ = s.ClaimJob(ctx, "w", time.Minute)
		if j == nil || j.Attempts != 2 {
			t.Fatalf("second claim: %+v", j)
		}
		notBefore := clk.Now().Add(3 * time.Minute)
		got, _ = s.FailJob(ctx, j, Failure{Err: errors.New("rate limited"), NotBefore: notBefore})
		if !got.RunAfter.Equal(notBefore.Truncate(time.Millisecond)) {
			t.Fatalf("run after %v, want the Retry-After %v", got.RunAfter, notBefore)
		}
		clk.Add(2 * time.Minute)
		if j, _ := s.ClaimJob(ctx, "w", time.Minute); j != nil {
			t.Fatal("claimed before Retry-After")
		}

		// The last attempt fails: dead, the error kept, never claimed again.
		clk.Add(time.Minute)
		j, _ = s.ClaimJob(ctx, "w", time.Minute)
		if j == nil || j.Attempts != 3 {
			t.Fatalf("third claim: %+v", j)
		}
		got, _ = s.FailJob(ctx, j, Failure{Err: errors.New("GitLab answered 503")})
		if got.State != JobDead || got.LastError != "GitLab answered 503" || got.FinishedAt.IsZero() {
			t.Fatalf("after the last attempt: %+v", got)
		}
		clk.Add(time.Hour)
		if j, _ := s.ClaimJob(ctx, "w", time.Minute); j != nil {
			t.Fatal("a dead job was claimed")
		}
		dead, _ := s.Jobs(ctx, JobFilter{State: JobDead})
		if len(dead) != 1 || dead[0].ID != id {
			t.Fatalf("dead jobs = %+v", dead)
		}
		// An administrator retries it after fixing the cause.
		if ok, err := s.RetryDeadJob(ctx, id); !ok || err != nil {
			t.Fatalf("retry dead job: %v %v", ok, err)
		}
		if j, _ := s.ClaimJob(ctx, "w", time.Minute); j == nil || j.Attempts != 1 {
			t.Fatalf("retried job: %+v", j)
		}
	})
}

func TestPermanentFailureAndDeathByExpiredLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		clk := newClock(s)
		perm, _, _ := s.EnqueueJob(ctx, NewJob{Kind: "a"})
		j, _ := s.ClaimJob(ctx, "w", time.Minute, "a")
		got, _ := s.FailJob(ctx, j, Failure{Err: errors.New("the GitLab token was revoked"), Permanent: true})
		if got.ID != perm || got.State != JobDead || got.Attempts != 1 {
			t.Fatalf("permanent failure: %+v", got)
		}

		// A job whose workers keep dying is dead after its attempts, not
		// handed out forever.
		crash, _, _ := s.EnqueueJob(ctx, NewJob{Kind: "b", MaxAttempts: 2})
		for range 2 {
			if j, _ := s.ClaimJob(ctx, "w", time.Minute, "b"); j == nil || j.ID != crash {
				t.Fatalf("claim: %+v", j)
			}
			clk.Add(2 * time.Minute)
		}
		if j, _ := s.ClaimJob(ctx, "w", time.Minute, "b"); j != nil {
			t.Fatalf("claimed after its last attempt: %+v", j)
		}
		got, _ = s.Job(ctx, crash)
		if got.State != JobDead || got.LastError == "" {
			t.Fatalf("crashing job: %+v", got)
		}
	})
}

func TestDedupeKeepsOnePendingJobPerKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		a, c := b.open(t), b.open(t)
		clk := newClock(a, c)
		// Many concurrent enqueues of one key from two instances: one job.
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		for i := range 16 {
			st := a
			if i%2 == 1 {
				st = c
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := st.EnqueueJob(ctx, NewJob{Kind: "post_summary", DedupeKey: "summary:42:7", Payload: fmt.Appendf(nil, `{"n":%d}`, i)})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					added++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		pending, _ := a.Jobs(ctx, JobFilter{State: JobPending})
		if added != 1 || len(pending) != 1 {
			t.Fatalf("added %d, pending %d: want one job", added, len(pending))
		}
		// The last enqueue's payload wins.
		id, ok, _ := a.EnqueueJob(ctx, NewJob{Kind: "post_summary", DedupeKey: "summary:42:7", Payload: []byte(`{"n":"last"}`)})
		if ok || id != pending[0].ID {
			t.Fatalf("re-enqueue added a job: %d %v", id, ok)
		}
		// Another key is another job.
		if _, ok, _ := a.EnqueueJob(ctx, NewJob{Kind: "post_summary", DedupeKey: "summary:42:8"}); !ok {
			t.Fatal("another key was deduplicated")
		}

		// While the job runs, new work for the key is queued after it...
		running, _ := a.ClaimJob(ctx, "w", time.Minute)
		if running.ID != id || string(running.Payload) != `{"n":"last"}` {
			t.Fatalf("claimed %+v", running)
		}
		next, ok, _ := a.EnqueueJob(ctx, NewJob{Kind: "post_summary", DedupeKey: "summary:42:7"})
		if !ok || next == id {
			t.Fatal("work arriving during a run was merged into the running job")
		}
		// ...and when the run fails, the newer job supersedes it, keeping
		// the rate limit's wait.
		notBefore := clk.Now().Add(2 * time.Minute)
		failed, err := a.FailJob(ctx, running, Failure{Err: errors.New("429"), NotBefore: notBefore})
		if err != nil || failed.State != JobDone {
			t.Fatalf("superseded job: %+v, %v", failed, err)
		}
		twin, _ := a.Job(ctx, next)
		if twin.State != JobPending || twin.RunAfter.Before(notBefore.Truncate(time.Millisecond)) {
			t.Fatalf("superseding job: %+v", twin)
		}
	})
}

func TestJobsSurviveARestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		id, _, _ := s.EnqueueJob(ctx, NewJob{Kind: "post_summary", Payload: []byte(`{"iid":3}`), DedupeKey: "k"})
		s.Close()
		s2 := b.open(t)
		j, err := s2.ClaimJob(ctx, "w", time.Minute)
		if err != nil || j == nil || j.ID != id || string(j.Payload) != `{"iid":3}` || j.DedupeKey != "k" {
			t.Fatalf("after restart: %+v, %v", j, err)
		}
		if _, _, err := s2.EnqueueJob(ctx, NewJob{Kind: "x", Payload: []byte("{not json")}); err == nil {
			t.Fatal("a payload that is not JSON was queued")
		}
		if _, err := s2.Job(ctx, 9999); !errors.Is(err, ErrJobNotFound) {
			t.Fatalf("missing job: %v", err)
		}
		if err := s2.CompleteJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		n, err := s2.PruneJobs(ctx, time.Now().Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
	})
}
