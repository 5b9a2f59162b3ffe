package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Two instances saving one review: the second, based on a version it has
// not seen, is refused instead of overwriting the first's change.
func TestSessionWorkspaceCompareAndSwap(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		a, c := b.open(t), b.open(t)
		if v, err := a.SessionVersions(ctx, 42, 1); err != nil || v != (SessionVersions{}) {
			t.Fatalf("no session yet: %+v, %v", v, err)
		}
		v1, err := a.SaveSessionWorkspaceIf(ctx, 42, 1, []byte(`{"a":1}`), 0)
		if err != nil || v1 != 1 {
			t.Fatalf("first save: %d, %v", v1, err)
		}
		if _, err := c.SaveSessionWorkspaceIf(ctx, 42, 1, []byte(`{"c":1}`), 0); !errors.Is(err, ErrWorkspaceConflict) {
			t.Fatalf("a save over an unseen version: %v", err)
		}
		ws, version, err := c.LoadSessionWorkspaceVersion(ctx, 42, 1)
		if err != nil || version != 1 || string(ws) != `{"a":1}` {
			t.Fatalf("load: %s %d %v", ws, version, err)
		}
		if v2, err := c.SaveSessionWorkspaceIf(ctx, 42, 1, []byte(`{"c":2}`), version); err != nil || v2 != 2 {
			t.Fatalf("save after reload: %d %v", v2, err)
		}
		// Uploads and results move the state version, not the workspace's.
		trackMR(t, a, 1, "aaa", time.Now())
		sess, err := a.RecordUpload(ctx, upload(1, "aaa", StatusUpToDate))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := a.SessionVersions(ctx, 42, 1)
		if v.Revision != 1 || v.StateVersion == 0 || v.WorkspaceVersion != 2 {
			t.Fatalf("after an upload: %+v", v)
		}
		if err := a.RecordResult(ctx, 42, 1, sess.Revision, Result{Verdict: StatusMismatch, StateJSON: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if w, _ := a.SessionVersions(ctx, 42, 1); w.StateVersion != v.StateVersion+1 || w.Revision != 1 {
			t.Fatalf("after a result: %+v, before %+v", w, v)
		}
	})
}

// Slots of a shared rate limit are spaced Per/Limit apart, never handed
// out twice, whichever instance asks.
func TestReserveRateSpacesUnitsAcrossInstances(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		a, c := b.open(t), b.open(t)
		clk := newClock(a, c)
		limit := RateLimit{Limit: 2, Per: 10 * time.Second} // one unit every 5 s
		wait, ok, _, err := a.ReserveRate(ctx, "notes", limit, 5*time.Second)
		if err != nil || !ok || wait != 0 {
			t.Fatalf("first: %v %v %v", wait, ok, err)
		}
		if wait, ok, _, _ = c.ReserveRate(ctx, "notes", limit, 5*time.Second); !ok || wait != 5*time.Second {
			t.Fatalf("second, from the other instance: %v %v", wait, ok)
		}
		_, ok, next, _ := a.ReserveRate(ctx, "notes", limit, 5*time.Second)
		if ok || !next.Equal(clk.Now().Add(10*time.Second)) {
			t.Fatalf("third, beyond maxWait: ok %v next %v", ok, next)
		}
		// Another limit is its own.
		if _, ok, _, _ := a.ReserveRate(ctx, "other", limit, 0); !ok {
			t.Fatal("limits leak into each other")
		}
		clk.Add(10 * time.Second)
		if wait, ok, _, _ = c.ReserveRate(ctx, "notes", limit, 0); !ok || wait != 0 {
			t.Fatalf("once due: %v %v", wait, ok)
		}
		// No limit: everything at once.
		if wait, ok, _, _ := a.ReserveRate(ctx, "notes", RateLimit{}, 0); !ok || wait != 0 {
			t.Fatalf("zero limit: %v %v", wait, ok)
		}
	})
}

func TestReserveRateUnderConcurrency(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		stores := []*Store{b.open(t), b.open(t)}
		newClock(stores...) // frozen: the waits are exact
		limit := RateLimit{Limit: 60, Per: time.Minute}
		var mu sync.Mutex
		waits := map[time.Duration]int{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wait, ok, _, err := stores[i%2].ReserveRate(ctx, "notes", limit, time.Hour)
				if err != nil || !ok {
					t.Errorf("reserve: %v %v", ok, err)
					return
				}
				mu.Lock()
				waits[wait]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		for i := range 20 {
			if waits[time.Duration(i)*time.Second] != 1 {
				t.Fatalf("slots handed out: %v (want each second from 0 to 19 once)", waits)
			}
		}
	})
}

func TestDeferredJobKeepsItsAttempts(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clk := newClock(s)
		id, _, err := s.EnqueueJob(ctx, NewJob{Kind: "note", MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // deferred thrice, and still alive with one attempt
			j, err := s.ClaimJob(ctx, "w", time.Minute)
			if err != nil || j == nil || j.ID != id || j.Attempts != 1 {
				t.Fatalf("claim: %+v %v", j, err)
			}
			if err := s.DeferJob(ctx, j, clk.Now().Add(time.Second), "waiting for the notes rate limit"); err != nil {
				t.Fatal(err)
			}
			if j, _ := s.ClaimJob(ctx, "w", time.Minute); j != nil {
				t.Fatalf("claimed before its time: %+v", j)
			}
			clk.Add(time.Second)
		}
		j, _ := s.ClaimJob(ctx, "w", time.Minute)
		if err := s.CompleteJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Job(ctx, id); got.State != JobDone || got.Attempts != 1 {
			t.Fatalf("job: %+v", got)
		}
	})
}
