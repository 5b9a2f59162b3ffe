package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Env is what checks run against: both environments' artifacts, and the
// warehouse for the checks that query data.
type Env struct {
	Base, Current *dbt.Artifacts
	// Warehouse is nil when none is configured; checks that need it then
	// fail with NoWarehouse as the reason.
	Warehouse   warehouse.Warehouse
	NoWarehouse error

	once    sync.Once
	lineage *lineage.Result
}

// Lineage is the lineage diff of the two environments, computed once.
func (e *Env) Lineage() *lineage.Result {
	e.once.Do(func() { e.lineage = lineage.Diff(e.Base, e.Current) })
	return e.lineage
}

// data is what a check that queries the warehouse runs on: the diff
// package's environments, or an error saying why there is no warehouse.
func (e *Env) data() (*diff.Envs, error) {
	if e.Warehouse == nil {
		why := "no warehouse connection is configured"
		if e.NoWarehouse != nil {
			why = e.NoWarehouse.Error()
		}
		return nil, fmt.Errorf("this check queries the warehouse, which is not available: %s", why)
	}
	return &diff.Envs{Warehouse: e.Warehouse, Base: e.Base.Manifest, Current: e.Current.Manifest}, nil
}

// Runner runs checks. The zero value runs one warehouse check at a time
// with no progress; set the fields to tune it. A Runner is safe for
// concurrent use.
type Runner struct {
	Env *Env
	// Concurrency is how many warehouse checks run at once (default 4).
	// Each data diff also runs its own queries concurrently, so a few
	// checks at once keep a warehouse busy without flooding it.
	Concurrency int
	// OnUpdate, when set, is called when a run starts (status Running) and
	// when it ends, one call at a time, from the runner's goroutines.
	OnUpdate func(c *Check, r *Run)
	// Now gives the time (tests fix it); default time.Now.
	Now func() time.Time

	mu sync.Mutex
}

func (rn *Runner) now() time.Time {
	if rn.Now != nil {
		return rn.Now().UTC()
	}
	return time.Now().UTC()
}

func (rn *Runner) update(c *Check, r *Run) {
	if rn.OnUpdate == nil {
		return
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	snapshot := *r
	rn.OnUpdate(c, &snapshot)
}

// RunAll runs the checks and returns their runs, in the order of checks;
// a simple check (a note) has no run and gets nil. Checks that read only
// the artifacts run first; the others run Concurrency at a time. A
// cancelled ctx cancels the runs still going, which end Cancelled. Checks
// whose run found nothing to worry about are auto-approved as the
// reference does (see AutoApprove).
func (rn *Runner) RunAll(ctx context.Context, checks []*Check) []*Run {
	runs := make([]*Run, len(checks))
	n := rn.Concurrency
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, c := range checks {
		k, known := Lookup(c.Type)
		switch {
		case known && !k.Runs():
			continue
		case !known || !k.NeedsWarehouse():
			runs[i] = rn.Run(ctx, c)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			runs[i] = rn.Run(ctx, c)
		}()
	}
	wg.Wait()
	for i, c := range checks {
		if runs[i] != nil {
			rn.AutoApprove(c, runs[i])
		}
	}
	return runs
}

// AutoApprove approves a check whose run found nothing a reviewer needs to
// look at, as the reference does: a schema diff with no column change, a
// row count diff with equal counts. It never withdraws an approval. It
// reports whether it approved the check.
func (rn *Runner) AutoApprove(c *Check, r *Run) bool {
	if k, ok := Lookup(c.Type); c.IsChecked || !ok || !k.AutoApproves() || r.Status != Finished {
		return false
	}
	if Assess(c, r).Verdict != Clean {
		return false
	}
	c.IsChecked = true
	c.UpdatedAt = Time{rn.now().Truncate(time.Second)}
	return true
}

// Run runs one check and returns its run, Finished, Failed or Cancelled.
// It never panics: a check that cannot run (bad params, a missing model, a
// SQL error, no warehouse) is a Failed run whose Error says why and what
// to do.
func (rn *Runner) Run(ctx context.Context, c *Check) *Run {
	start := rn.now()
	r := &Run{RunID: NewID(), CheckID: c.CheckID, Type: c.Type, Name: c.Name, Params: cloneParams(c.Params),
		Status: Running, RunAt: Time{start.Truncate(time.Second)}}
	rn.update(c, r)
	result, err := rn.execute(ctx, c)
	r.DurationMS = rn.now().Sub(start).Milliseconds()
	switch {
	case err != nil && ctx.Err() != nil:
		r.Status, r.Error = Cancelled, "cancelled before the check finished"
	case err != nil:
		r.Status, r.Error = Failed, err.Error()
	default:
		data, merr := json.Marshal(result)
		if merr != nil {
			r.Status, r.Error = Failed, fmt.Sprintf("the result could not be stored: %v", merr)
			break
		}
		r.Status, r.Result = Finished, data
	}
	rn.update(c, r)
	return r
}

// execute runs a check by type, turning a panic into an error: one broken
// check must not take the others (or the server) down.
func (rn *Runner) execute(ctx context.Context, c *Check) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error while running the check (please report it with the stack below): %v\n%s", p, debug.Stack())
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := rn.Env
	if e == nil || e.Base == nil || e.Current == nil {
		return nil, errors.New("no artifacts to run the check against")
	}
	k, ok := Lookup(c.Type)
	if !ok {
		_, err := ParseParams(c.Type, c.Params)
		return nil, fmt.Errorf("invalid params: %w", err)
	}
	params, err := k.ParseParams(c.Params)
	if err != nil {
		return nil, fmt.Errorf("invalid params: %w", err)
	}
	return k.Run(ctx, e, params)
}

func cloneParams(p Params) Params {
	if p == nil {
		return Params{}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return p
	}
	var out Params
	if json.Unmarshal(data, &out) != nil {
		return p
	}
	return out
}
