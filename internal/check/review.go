package check

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"
)

// A check review runs checks on an environment, merged with what a
// previous state holds, and gives the state that results and its tally.
// It is the one path of `recce run` (RunAll), of `recce upload` building a
// state from artifact folders (RunNone), and of the team server completing
// an upload (RunMissing).

// RunPolicy says which checks a review runs.
type RunPolicy int

const (
	// RunAll runs every check (recce run): the new state holds this
	// review's runs only.
	RunAll RunPolicy = iota
	// RunNone runs nothing: the new state holds the checks for a team
	// server to review (recce upload).
	RunNone
	// RunMissing continues the previous state (an upload, on the team
	// server): of its checks without a run, it runs those that read only
	// the artifacts, and the data checks of ReviewInput.Trusted that the
	// state holds unchanged (same id, type and params), as Trusted defines
	// them, when the env has a warehouse. It never runs SQL that the
	// previous state defines: whoever can run a pipeline writes an
	// upload. The other checks stay without a run. The runs are added to
	// the previous state's, and an approval a run earns (AutoApprove) goes
	// to the previous state's check.
	RunMissing
)

// ReviewInput is what a check review works on.
type ReviewInput struct {
	// Env is both environments' artifacts, parsed, and the warehouse (nil:
	// the data checks fail, saying Env.NoWarehouse). RunNone needs none.
	Env *Env
	// Files are the artifacts' bytes, which a new state embeds as they
	// are (zero: Previous's).
	Files Artifacts
	// Checks are the checks to review (nil: Previous's). A check without
	// dates gets the review's time.
	Checks []*Check
	// Previous is the state the review continues: a state file run again,
	// an upload. It may be nil, except for RunMissing.
	Previous *State
	Policy   RunPolicy
	// Trusted are the data checks that RunMissing may run: the reviewer's
	// own configuration, never the previous state's.
	Trusted []*Check
	// Origin is who makes a new state, and for which branch and merge
	// request; Previous's branch and merge request stand in for unknown
	// ones. RunMissing keeps Previous's.
	Origin Origin
	// OnUpdate, when set, is told when each run starts and ends (see
	// Runner.OnUpdate).
	OnUpdate func(c *Check, r *Run)
	// Now gives the time (tests fix it); default time.Now.
	Now func() time.Time
}

// Review runs a check review (see RunPolicy) and returns the resulting
// state and its tally. When ctx ends the review early, the error is ctx's:
// a new state is still returned, with the runs cut short Cancelled (the
// runs that finished are worth keeping); RunMissing returns the previous
// state unchanged.
func Review(ctx context.Context, in ReviewInput) (*State, Tally, error) {
	rn := &Runner{Env: in.Env, OnUpdate: in.OnUpdate, Now: in.Now}
	if in.Policy == RunMissing {
		st := continueReview(ctx, rn, in.Previous, in.Trusted)
		return st, st.Tally(), ctx.Err()
	}
	checks, files, origin := in.Checks, in.Files, in.Origin
	if prev := in.Previous; prev != nil {
		if checks == nil {
			checks = prev.Checks
		}
		if files.Base.Manifest == nil && files.Current.Manifest == nil {
			files = prev.Artifacts
		}
		if origin.Git == nil {
			origin.Git = prev.Git
		}
		if origin.PullRequest == nil {
			origin.PullRequest = prev.PullRequest
		}
	}
	now := Time{rn.now().Truncate(time.Second)}
	for _, c := range checks {
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = now
		}
	}
	var runs []*Run
	if in.Policy == RunAll {
		runs = rn.RunAll(ctx, checks)
	}
	if origin.At.IsZero() && in.Now != nil {
		origin.At = in.Now()
	}
	st := NewState(files, checks, runs, origin)
	return st, st.Tally(), ctx.Err()
}

// continueReview runs prev's missing checks that may run (RunMissing) and
// returns a copy of prev with their runs added (prev itself when none
// ran, or when ctx ended the runs).
func continueReview(ctx context.Context, rn *Runner, prev *State, trusted []*Check) *State {
	byID := map[string]*Check{}
	for _, c := range trusted {
		byID[c.CheckID] = c
	}
	latest := LatestRuns(prev.Runs)
	var todo, held []*Check
	for _, c := range prev.Checks {
		k, ok := Lookup(c.Type)
		if !ok || !k.Runs() || latest[c.CheckID] != nil {
			continue
		}
		run := *c
		if k.NeedsWarehouse() {
			t := byID[c.CheckID]
			if rn.Env == nil || rn.Env.Warehouse == nil || t == nil || !sameDefinition(t, c) {
				continue // not run where the state was made, and not this reviewer's to run
			}
			run = *t
			run.CheckID, run.Name, run.Description, run.IsChecked, run.UpdatedAt = c.CheckID, c.Name, c.Description, c.IsChecked, c.UpdatedAt
		}
		todo, held = append(todo, &run), append(held, c)
	}
	if len(todo) == 0 {
		return prev
	}
	runs := rn.RunAll(ctx, todo)
	if ctx.Err() != nil {
		return prev // cut short: the caller runs them again
	}
	out := *prev
	out.Runs = slices.Clip(prev.Runs)
	for i, r := range runs {
		if r == nil {
			continue
		}
		out.Runs = append(out.Runs, r)
		held[i].IsChecked, held[i].UpdatedAt = todo[i].IsChecked, todo[i].UpdatedAt
	}
	return &out
}

// sameDefinition tells whether a check is the trusted one: the same type
// and the same params (compared as JSON).
func sameDefinition(trusted, c *Check) bool {
	if trusted.Type != c.Type {
		return false
	}
	a, errA := json.Marshal(trusted.Params)
	b, errB := json.Marshal(c.Params)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}
