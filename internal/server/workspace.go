package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
)

// workspace is the review's checklist and runs, shared by every request.
// One mutex guards it; runs execute outside the lock and write their
// outcome back under it. Every change is saved before it is answered.
type workspace struct {
	mu       sync.Mutex
	checks   []*check.Check // checklist order
	runs     []*check.Run   // oldest first
	comments map[string][]Comment
	source   string
	active   map[string]*activeRun // runs in flight, by run id
	closed   bool

	saveMu sync.Mutex // orders saves: a later save always holds later state
	store  WorkspaceStore
	runner *check.Runner
	life   context.Context // the server's: runs outlive their request
	wg     sync.WaitGroup
	slots  chan struct{} // bounds the runs executing at once
	now    func() time.Time
	log    *slog.Logger
}

type activeRun struct {
	cancel  context.CancelFunc
	done    chan struct{}
	waiting bool // for a slot
	started time.Time
}

func openWorkspace(ctx, life context.Context, opts Options, log *slog.Logger) (*workspace, error) {
	snap, err := opts.Workspace.LoadWorkspace(ctx)
	if err != nil {
		return nil, err
	}
	// The version is checked here, whatever keeps the snapshot.
	if snap != nil && snap.Version != snapshotVersion {
		return nil, fmt.Errorf("the saved workspace has version %d, which this recce does not read (it reads %d): upgrade recce, or remove the saved workspace to start afresh", snap.Version, snapshotVersion)
	}
	init := opts.Initial
	if init == nil {
		init = &Snapshot{}
	}
	switch {
	case snap == nil:
		snap = init
	case snap.Source != init.Source:
		log.Info("the review's source changed since the workspace was saved: starting from the new one")
		snap = init
	default:
		log.Info("resumed the saved workspace", "checks", len(snap.Checks), "runs", len(snap.Runs))
	}
	n := opts.MaxConcurrentRuns
	if n <= 0 {
		n = 4
	}
	w := &workspace{
		checks: slices.Clone(snap.Checks), runs: slices.Clone(snap.Runs), comments: map[string][]Comment{}, source: init.Source,
		active: map[string]*activeRun{}, store: opts.Workspace, life: life, slots: make(chan struct{}, n),
		runner: &check.Runner{Env: opts.Env, Now: opts.Now}, now: opts.Now, log: log,
	}
	for id, cs := range snap.Comments {
		w.comments[id] = slices.Clone(cs)
	}
	for _, c := range w.checks {
		normalizeCheck(c)
		if c.CreatedAt.IsZero() { // presets of recce.yml
			c.CreatedAt, c.UpdatedAt = w.stamp(), w.stamp()
		}
	}
	for _, r := range w.runs {
		stopped(r)
	}
	return w, w.save(ctx)
}

// stopped marks a run left Running by a stopped server (or a state file
// written mid-run) as failed: nothing will ever finish it.
func stopped(r *check.Run) {
	if r.Status == check.Running {
		r.Status, r.Error = check.Failed, "the server stopped before this run finished: run it again"
	}
	if r.Params == nil {
		r.Params = check.Params{}
	}
}

func normalizeCheck(c *check.Check) {
	if c.Params == nil {
		c.Params = check.Params{}
	}
}

// snapshot copies the workspace for saving or exporting; call with w.mu
// held. Checks and runs are copied by value: their maps and results are
// replaced, never changed in place, so sharing them is safe.
func (w *workspace) snapshot() *Snapshot {
	s := &Snapshot{Version: snapshotVersion, Source: w.source, Checks: make([]*check.Check, len(w.checks)),
		Runs: make([]*check.Run, len(w.runs)), Comments: map[string][]Comment{}}
	for i, c := range w.checks {
		cc := *c
		s.Checks[i] = &cc
	}
	for i, r := range w.runs {
		rc := *r
		s.Runs[i] = &rc
	}
	for id, cs := range w.comments {
		s.Comments[id] = slices.Clone(cs)
	}
	return s
}

// save writes the workspace. The snapshot is taken after saveMu is held,
// so concurrent saves land in order.
func (w *workspace) save(ctx context.Context) error {
	w.saveMu.Lock()
	defer w.saveMu.Unlock()
	w.mu.Lock()
	s := w.snapshot()
	w.mu.Unlock()
	if err := w.store.SaveWorkspace(context.WithoutCancel(ctx), s); err != nil {
		w.log.Error("saving the workspace failed", "error", err)
		return fmt.Errorf("the change was made but could not be saved (it will be lost at the next restart): %w", err)
	}
	return nil
}

// change runs fn under the lock, then saves. fn's error aborts before
// saving.
func (w *workspace) change(ctx context.Context, fn func() error) error {
	w.mu.Lock()
	err := fn()
	w.mu.Unlock()
	if err != nil {
		return err
	}
	return w.save(ctx)
}

func (w *workspace) findCheck(id string) (int, *check.Check, error) {
	for i, c := range w.checks {
		if c.CheckID == id {
			return i, c, nil
		}
	}
	return -1, nil, errorf(http.StatusNotFound, "no check %q: it may have been deleted (reload the checklist)", id)
}

func (w *workspace) findRun(id string) (*check.Run, error) {
	for _, r := range w.runs {
		if r.RunID == id {
			return r, nil
		}
	}
	return nil, errorf(http.StatusNotFound, "no run %q (runs of a previous workspace are not kept when its source changes)", id)
}

func (w *workspace) stamp() check.Time { return check.Time{Time: w.now().UTC().Truncate(time.Second)} }

// ---- views: the JSON of docs/api.md ----

type checkView struct {
	*check.Check
	LastRun  *runView    `json:"last_run"`
	Comments []Comment   `json:"comments"`
	Note     *noteStatus `json:"note,omitempty"`
}

type runView struct {
	RunID      string          `json:"run_id"`
	CheckID    *string         `json:"check_id"`
	Type       check.Type      `json:"type"`
	Name       string          `json:"name"`
	Params     check.Params    `json:"params"`
	Status     check.Status    `json:"status"`
	Result     json.RawMessage `json:"result"`
	Error      *string         `json:"error"`
	Progress   *progressView   `json:"progress"`
	RunAt      check.Time      `json:"run_at"`
	DurationMS int64           `json:"duration_ms,omitempty"`
}

type progressView struct {
	Message    string   `json:"message"`
	Percentage *float64 `json:"percentage"`
}

// viewRun describes a run; call with w.mu held.
func (w *workspace) viewRun(r *check.Run) *runView {
	v := &runView{RunID: r.RunID, Type: r.Type, Name: r.Name, Params: r.Params, Status: r.Status, Result: r.Result, RunAt: r.RunAt, DurationMS: r.DurationMS}
	if r.CheckID != "" {
		id := r.CheckID
		v.CheckID = &id
	}
	if r.Error != "" {
		e := r.Error
		v.Error = &e
	}
	if a := w.active[r.RunID]; a != nil {
		// The diffs report no fraction done, so progress is what is
		// known: waiting for a slot, or running for so long.
		msg := fmt.Sprintf("Running for %s", w.now().Sub(a.started).Round(time.Second))
		if a.waiting {
			msg = "Starting"
			if busy := len(w.active) - w.waiting(); busy >= cap(w.slots) {
				msg = fmt.Sprintf("Waiting: %d other runs are in progress", busy)
			}
		}
		v.Progress = &progressView{Message: msg}
	}
	return v
}

// waiting counts the runs waiting for a slot; call with w.mu held.
func (w *workspace) waiting() int {
	n := 0
	for _, a := range w.active {
		if a.waiting {
			n++
		}
	}
	return n
}

// viewCheck describes a check; call with w.mu held.
func (w *workspace) viewCheck(c *check.Check) *checkView {
	cc := *c
	v := &checkView{Check: &cc, Comments: slices.Clone(w.comments[c.CheckID])}
	if v.Comments == nil {
		v.Comments = []Comment{}
	}
	var latest *check.Run
	for _, r := range w.runs {
		if r.CheckID == c.CheckID && (latest == nil || !r.RunAt.Before(latest.RunAt.Time)) {
			latest = r
		}
	}
	if latest != nil {
		v.LastRun = w.viewRun(latest)
	}
	return v
}

// ---- state ----

// merge adds the checks and runs of an imported state that the workspace
// does not have (by id), and reports how many.
func (w *workspace) merge(ctx context.Context, st *check.State) (checks, runs int, err error) {
	err = w.change(ctx, func() error {
		have := map[string]bool{}
		for _, c := range w.checks {
			have[c.CheckID] = true
		}
		for _, r := range w.runs {
			have[r.RunID] = true
		}
		for _, c := range st.Checks {
			if !have[c.CheckID] {
				normalizeCheck(c)
				w.checks = append(w.checks, c)
				have[c.CheckID] = true
				checks++
			}
		}
		for _, r := range st.Runs {
			if r != nil && r.RunID != "" && !have[r.RunID] {
				stopped(r)
				w.runs = append(w.runs, r)
				have[r.RunID] = true
				runs++
			}
		}
		return nil
	})
	return checks, runs, err
}

// state is the workspace as a state file's checks and runs (runs still
// going are left out: they have no result yet).
func (w *workspace) state() (checks []*check.Check, runs []*check.Run) {
	w.mu.Lock()
	s := w.snapshot()
	w.mu.Unlock()
	for _, r := range s.Runs {
		if r.Status != check.Running {
			runs = append(runs, r)
		}
	}
	return s.Checks, runs
}

// close cancels the runs in flight, waits for them to record their end
// (bounded by ctx), and saves.
func (w *workspace) close(ctx context.Context) error {
	w.mu.Lock()
	w.closed = true
	for _, a := range w.active {
		a.cancel()
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		w.log.Warn("runs did not stop in time; saving them as failed")
		w.mu.Lock()
		for id := range w.active {
			if r, err := w.findRun(id); err == nil {
				rc := *r
				stopped(&rc)
				w.replaceRun(&rc)
			}
		}
		w.mu.Unlock()
	}
	return w.save(context.WithoutCancel(ctx))
}
