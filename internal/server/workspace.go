package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/store"
)

// workspace is a review's checklist and runs, shared by every request.
// One mutex guards the data; runs execute outside the lock and write their
// outcome back under it. Every change is saved before it is answered, and
// changes are applied and saved one at a time (writeMu), so that a save
// always holds every change answered before it.
type workspace struct {
	mu       sync.Mutex
	checks   []*check.Check // checklist order
	runs     []*check.Run   // oldest first
	comments map[string][]Comment
	source   string
	active   map[string]*activeRun // runs in flight, by run id
	closed   bool

	writeMu sync.Mutex // orders changes and their saves
	store   WorkspaceStore
	runner  *check.Runner
	life    context.Context // the server's: runs outlive their request
	wg      sync.WaitGroup
	slots   chan struct{} // bounds the runs executing at once
	now     func() time.Time
	log     *slog.Logger
}

type activeRun struct {
	cancel  context.CancelFunc
	done    chan struct{}
	waiting bool // for a slot
	started time.Time
}

// workspaceConfig is what a workspace is opened with.
type workspaceConfig struct {
	store WorkspaceStore
	// initial is the workspace to start from when the store holds none, or
	// one made from another source.
	initial *Snapshot
	// rebase, when set, makes the workspace from a saved one of another
	// source and the new initial one (a merge request session keeps its
	// reviewers' work across uploads); nil starts afresh from initial.
	rebase  func(saved, initial *Snapshot) *Snapshot
	env     *check.Env
	maxRuns int
	now     func() time.Time
}

// versionedStore is a WorkspaceStore shared by several server instances
// (a session's, in the database): it refuses a save based on a version
// it has not seen (store.ErrWorkspaceConflict), and tells which version
// it last read or wrote.
type versionedStore interface {
	WorkspaceStore
	Version() int64
}

func openWorkspace(ctx, life context.Context, cfg workspaceConfig, log *slog.Logger) (*workspace, error) {
	snap, err := loadSnapshot(ctx, cfg.store)
	if err != nil {
		return nil, err
	}
	init := cfg.initial
	if init == nil {
		init = &Snapshot{}
	}
	switch {
	case snap == nil:
		snap = init
	case snap.Source != init.Source && cfg.rebase != nil:
		snap = cfg.rebase(snap, init)
		snap.Source = init.Source
	case snap.Source != init.Source:
		log.Info("the review's source changed since the workspace was saved: starting from the new one")
		snap = init
	default:
		log.Debug("resumed the saved workspace", "checks", len(snap.Checks), "runs", len(snap.Runs))
	}
	n := cfg.maxRuns
	if n <= 0 {
		n = 4
	}
	w := &workspace{
		source: init.Source, active: map[string]*activeRun{}, store: cfg.store, life: life, slots: make(chan struct{}, n),
		runner: &check.Runner{Env: cfg.env, Now: cfg.now}, now: cfg.now, log: log,
	}
	w.take(snap)
	for _, c := range w.checks {
		if c.CreatedAt.IsZero() { // presets of recce.yml
			c.CreatedAt, c.UpdatedAt = w.stamp(), w.stamp()
		}
	}
	for _, r := range w.runs {
		stopped(r)
	}
	return w, w.save(ctx)
}

// loadSnapshot reads the saved workspace and checks its version, whatever
// keeps it.
func loadSnapshot(ctx context.Context, st WorkspaceStore) (*Snapshot, error) {
	snap, err := st.LoadWorkspace(ctx)
	if err != nil {
		return nil, err
	}
	if snap != nil && snap.Version != snapshotVersion {
		return nil, fmt.Errorf("the saved workspace has version %d, which this recce does not read (it reads %d): upgrade recce, or remove the saved workspace to start afresh", snap.Version, snapshotVersion)
	}
	return snap, nil
}

// take makes snap the workspace's content; call with w.mu held (or before
// the workspace is shared). Runs in flight here are kept as this instance
// knows them: it is the one that will finish them.
func (w *workspace) take(snap *Snapshot) {
	inFlight := map[string]*check.Run{}
	for _, r := range w.runs {
		if w.active[r.RunID] != nil {
			inFlight[r.RunID] = r
		}
	}
	w.checks, w.runs, w.comments = slices.Clone(snap.Checks), slices.Clone(snap.Runs), map[string][]Comment{}
	for id, cs := range snap.Comments {
		w.comments[id] = slices.Clone(cs)
	}
	for _, c := range w.checks {
		normalizeCheck(c)
	}
	for _, r := range w.runs {
		if r.Params == nil {
			r.Params = check.Params{}
		}
		if mine := inFlight[r.RunID]; mine != nil {
			*r = *mine
			delete(inFlight, r.RunID)
		}
	}
	for _, r := range inFlight {
		w.runs = append(w.runs, r)
	}
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

// save writes the workspace as it is.
func (w *workspace) save(ctx context.Context) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	return w.saveLocked(ctx)
}

// saveLocked writes the workspace; call with w.writeMu held.
func (w *workspace) saveLocked(ctx context.Context) error {
	w.mu.Lock()
	s := w.snapshot()
	w.mu.Unlock()
	err := w.store.SaveWorkspace(context.WithoutCancel(ctx), s)
	if errors.Is(err, store.ErrWorkspaceConflict) {
		return err // change() reloads and tries again
	}
	if err != nil {
		w.log.Error("saving the workspace failed", "error", err)
		return fmt.Errorf("the change was made but could not be saved (it will be lost at the next restart): %w", err)
	}
	return nil
}

// change applies fn under the lock, then saves; fn's error aborts before
// saving. When another server instance saved the same (session)
// workspace first, the workspace is reloaded and fn applied again, as a
// database transaction is retried: no instance's change is lost.
func (w *workspace) change(ctx context.Context, fn func() error) error {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	for attempt := 1; ; attempt++ {
		w.mu.Lock()
		err := fn()
		w.mu.Unlock()
		if err != nil {
			return err
		}
		err = w.saveLocked(ctx)
		if !errors.Is(err, store.ErrWorkspaceConflict) {
			return err
		}
		if attempt == 3 {
			return &apiError{Status: http.StatusConflict, Message: "the review is being changed on another server instance at the same time: reload and try again"}
		}
		if err := w.reloadLocked(ctx); err != nil {
			return err
		}
	}
}

// refresh reloads the workspace when another instance saved a version
// this one has not seen (stored is the version in the database); a no-op
// for workspaces only this process writes.
func (w *workspace) refresh(ctx context.Context, stored int64) error {
	vs, ok := w.store.(versionedStore)
	if !ok || vs.Version() == stored {
		return nil
	}
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if vs.Version() == stored {
		return nil // reloaded meanwhile
	}
	return w.reloadLocked(ctx)
}

// reloadLocked replaces the workspace with the saved one; call with
// w.writeMu held.
func (w *workspace) reloadLocked(ctx context.Context) error {
	snap, err := loadSnapshot(ctx, w.store)
	if err != nil || snap == nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if snap.Source != w.source {
		// Saved from a newer upload by another instance: this copy is
		// outdated as a whole, and the session is opened again from it at
		// the next request.
		return &apiError{Status: http.StatusConflict, Message: "a newer pipeline upload replaced this review meanwhile: reload it"}
	}
	w.take(snap)
	return nil
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

	// Outcome is the check's verdict from its latest run (check.Assess):
	// what the CLI's table and the summary say of it.
	Outcome check.Outcome `json:"outcome"`
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
	v.Outcome = check.Assess(c, latest)
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
	return w.change(context.WithoutCancel(ctx), func() error { return nil })
}
