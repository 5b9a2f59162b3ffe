package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
)

// Comment is a reviewer's comment on a check.
type Comment struct {
	ID        string     `json:"id"`
	Body      string     `json:"body"`
	Author    string     `json:"author"`
	CreatedAt check.Time `json:"created_at"`
}

// Snapshot is a workspace as persisted: the checks in checklist order,
// every run, and the comments per check id.
type Snapshot struct {
	Version int `json:"version"`
	// Source fingerprints what the workspace was made from (a review's
	// state file). A saved workspace from another source is not resumed.
	Source   string               `json:"source,omitempty"`
	Checks   []*check.Check       `json:"checks"`
	Runs     []*check.Run         `json:"runs"`
	Comments map[string][]Comment `json:"comments,omitempty"`
}

const snapshotVersion = 1

// WorkspaceStore keeps a workspace across restarts. FileWorkspace is the
// one-machine implementation; the team server (issue 7) keeps one per
// merge request session in its database, behind the same two methods.
type WorkspaceStore interface {
	// LoadWorkspace returns the saved workspace, or nil and no error when
	// none was saved yet.
	LoadWorkspace(ctx context.Context) (*Snapshot, error)
	SaveWorkspace(ctx context.Context, s *Snapshot) error
}

// FileWorkspace keeps a workspace in one JSON file, replaced atomically on
// every change, so that a crash or a restart loses nothing that was
// answered.
type FileWorkspace struct{ Path string }

func (f FileWorkspace) LoadWorkspace(ctx context.Context) (*Snapshot, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the saved workspace: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("the saved workspace %s cannot be read (%v): move it away to start with a fresh checklist", f.Path, err)
	}
	return &s, nil
}

func (f FileWorkspace) SaveWorkspace(ctx context.Context, s *Snapshot) error {
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("save the workspace: %w", err)
	}
	return check.WriteFileAtomic(f.Path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	})
}

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

// ---- checks ----

func (w *workspace) listChecks() []*checkView {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*checkView, len(w.checks))
	for i, c := range w.checks {
		out[i] = w.viewCheck(c)
	}
	return out
}

func (w *workspace) getCheck(id string) (*checkView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, c, err := w.findCheck(id)
	if err != nil {
		return nil, err
	}
	return w.viewCheck(c), nil
}

// validParams checks a type and its params, answering 422 with every
// problem found.
func validParams(t check.Type, p check.Params) error {
	if !t.Valid() {
		names := make([]string, len(check.Types))
		for i, x := range check.Types {
			names[i] = string(x)
		}
		return errorf(http.StatusUnprocessableEntity, "unknown check type %q: use one of %s", t, strings.Join(names, ", "))
	}
	if _, err := check.ParseParams(t, p); err != nil {
		var pe check.ParamErrors
		detail := []map[string]string{}
		if errors.As(err, &pe) {
			for _, e := range pe {
				detail = append(detail, map[string]string{"field": e.Field, "problem": e.Problem})
			}
		}
		return &apiError{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf("invalid params for a %s check: %v", t, err), Detail: detail}
	}
	return nil
}

// addCheck adds c (its id, times and params set here) at the end of the
// checklist; with runID, the run becomes the check's last run.
func (w *workspace) addCheck(ctx context.Context, c *check.Check, runID string) (*checkView, error) {
	var view *checkView
	err := w.change(ctx, func() error {
		if runID != "" {
			r, err := w.findRun(runID)
			if err != nil {
				return err
			}
			if r.CheckID != "" {
				if _, _, err := w.findCheck(r.CheckID); err == nil {
					return errorf(http.StatusConflict, "run %s already belongs to check %s", runID, r.CheckID)
				}
			}
			if c.Type == "" {
				c.Type = r.Type
			}
			if c.Params == nil {
				c.Params = r.Params
			}
			if c.Type != r.Type {
				return errorf(http.StatusUnprocessableEntity, "the check's type %s differs from the run's (%s)", c.Type, r.Type)
			}
		}
		if c.Params == nil {
			c.Params = check.Params{}
		}
		if err := validParams(c.Type, c.Params); err != nil {
			return err
		}
		c.CheckID = check.NewID()
		c.CreatedAt, c.UpdatedAt = w.stamp(), w.stamp()
		if c.Name == "" {
			c.Name = defaultName(c.Type, c.Params)
		}
		if runID != "" {
			r, _ := w.findRun(runID)
			rc := *r // replaced, not changed in place: snapshots may share it
			rc.CheckID = c.CheckID
			w.replaceRun(&rc)
		}
		w.checks = append(w.checks, c)
		view = w.viewCheck(c)
		return nil
	})
	return view, err
}

func (w *workspace) replaceRun(r *check.Run) {
	for i, x := range w.runs {
		if x.RunID == r.RunID {
			w.runs[i] = r
		}
	}
}

// defaultName names a check after its type and subject: "Row count diff
// of customers".
func defaultName(t check.Type, p check.Params) string {
	title := strings.ToUpper(t.Title()[:1]) + strings.ToLower(t.Title()[1:])
	if m, ok := p["model"].(string); ok && m != "" {
		return title + " of " + m
	}
	for _, key := range []string{"node_names", "node_ids"} {
		if list, ok := p[key].([]any); ok && len(list) == 1 {
			if s, ok := list[0].(string); ok {
				return title + " of " + s[strings.LastIndex(s, ".")+1:]
			}
		}
	}
	if s, ok := p["select"].(string); ok && s != "" {
		return title + " of " + s
	}
	return title
}

type checkPatch struct {
	Name        *string       `json:"name"`
	Description *string       `json:"description"`
	Params      *check.Params `json:"params"`
	ViewOptions *check.Params `json:"view_options"`
	IsChecked   *bool         `json:"is_checked"`
}

func (w *workspace) updateCheck(ctx context.Context, id string, p checkPatch) (*checkView, error) {
	var view *checkView
	err := w.change(ctx, func() error {
		i, old, err := w.findCheck(id)
		if err != nil {
			return err
		}
		c := *old // replaced, not changed in place: a save may be encoding it
		if p.Name != nil {
			if strings.TrimSpace(*p.Name) == "" {
				return errorf(http.StatusUnprocessableEntity, "a check needs a name")
			}
			c.Name = *p.Name
		}
		if p.Description != nil {
			c.Description = *p.Description
		}
		if p.Params != nil {
			if err := validParams(c.Type, *p.Params); err != nil {
				return err
			}
			c.Params = *p.Params
		}
		if p.ViewOptions != nil {
			c.ViewOptions = *p.ViewOptions
		}
		if p.IsChecked != nil {
			c.IsChecked = *p.IsChecked
		}
		c.UpdatedAt = w.stamp()
		w.checks[i] = &c
		view = w.viewCheck(&c)
		return nil
	})
	return view, err
}

func (w *workspace) deleteCheck(ctx context.Context, id string) error {
	return w.change(ctx, func() error {
		i, _, err := w.findCheck(id)
		if err != nil {
			return err
		}
		w.checks = slices.Delete(slices.Clone(w.checks), i, i+1)
		delete(w.comments, id)
		return nil
	})
}

func (w *workspace) approve(ctx context.Context, id string, approved bool) (*checkView, error) {
	return w.updateCheck(ctx, id, checkPatch{IsChecked: &approved})
}

func (w *workspace) addComment(ctx context.Context, id, body, author string) (*Comment, *check.Check, error) {
	var out Comment
	var subject check.Check
	err := w.change(ctx, func() error {
		_, c, err := w.findCheck(id)
		if err != nil {
			return err
		}
		out = Comment{ID: check.NewID(), Body: body, Author: author, CreatedAt: w.stamp()}
		w.comments[id] = append(slices.Clone(w.comments[id]), out)
		subject = *c
		return nil
	})
	return &out, &subject, err
}

func (w *workspace) reorder(ctx context.Context, ids []string) ([]*checkView, error) {
	err := w.change(ctx, func() error {
		byID := map[string]*check.Check{}
		for _, c := range w.checks {
			byID[c.CheckID] = c
		}
		seen := map[string]bool{}
		var unknown, dup []string
		order := make([]*check.Check, 0, len(ids))
		for _, id := range ids {
			switch c := byID[id]; {
			case c == nil:
				unknown = append(unknown, id)
			case seen[id]:
				dup = append(dup, id)
			default:
				seen[id] = true
				order = append(order, c)
			}
		}
		var missing []string
		for _, c := range w.checks {
			if !seen[c.CheckID] {
				missing = append(missing, c.CheckID)
			}
		}
		if len(unknown)+len(dup)+len(missing) > 0 {
			return &apiError{Status: http.StatusConflict,
				Message: "check_ids must list every check of the checklist exactly once (it may have changed meanwhile: reload it)",
				Detail:  map[string][]string{"unknown": unknown, "duplicated": dup, "missing": missing}}
		}
		w.checks = order
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w.listChecks(), nil
}

// ---- runs ----

// errReview is why data checks cannot run without a warehouse.
func (w *workspace) noWarehouse() error {
	why := "no warehouse connection is configured"
	if e := w.runner.Env.NoWarehouse; e != nil {
		why = e.Error()
	}
	return &apiError{Status: http.StatusConflict, Message: "this run queries the warehouse, which is not available: " + why,
		Detail: map[string]string{"reason": "no_warehouse"}}
}

// startRun starts running c (a copy; checkID "" for a run of no check) and
// returns the run, Running. The run goes on after the request: its
// context is the server's, and POST /api/runs/{id}/cancel or a shutdown
// cancels it.
func (w *workspace) startRun(ctx context.Context, c check.Check) (*runView, error) {
	if c.Type == check.Simple {
		return nil, errorf(http.StatusUnprocessableEntity, "a simple check is a note to tick: it has nothing to run")
	}
	if err := validParams(c.Type, c.Params); err != nil {
		return nil, err
	}
	if c.Type.NeedsWarehouse() && w.runner.Env.Warehouse == nil {
		return nil, w.noWarehouse()
	}
	if c.Name == "" {
		c.Name = defaultName(c.Type, c.Params)
	}
	rctx, cancel := context.WithCancel(w.life)
	run := &check.Run{RunID: check.NewID(), CheckID: c.CheckID, Type: c.Type, Name: c.Name, Params: c.Params, Status: check.Running, RunAt: w.stamp()}
	a := &activeRun{cancel: cancel, done: make(chan struct{}), waiting: true, started: w.now()}

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		cancel()
		return nil, errorf(http.StatusServiceUnavailable, "the server is shutting down: start the run again once it is back")
	}
	w.runs = append(w.runs, run)
	w.active[run.RunID] = a
	w.wg.Add(1)
	view := w.viewRun(run)
	w.mu.Unlock()

	go w.execute(rctx, c, run, a)
	if err := w.save(ctx); err != nil {
		return nil, err
	}
	return view, nil
}

func (w *workspace) execute(ctx context.Context, c check.Check, run *check.Run, a *activeRun) {
	defer w.wg.Done()
	defer a.cancel()
	select {
	case w.slots <- struct{}{}:
		defer func() { <-w.slots }()
	case <-ctx.Done():
	}
	w.mu.Lock()
	a.waiting, a.started = false, w.now()
	w.mu.Unlock()

	res := w.runner.Run(ctx, &c)

	w.mu.Lock()
	done := *run // replaced, not changed in place: a save may be encoding it
	done.Status, done.Result, done.Error, done.DurationMS = res.Status, res.Result, res.Error, res.DurationMS
	w.replaceRun(&done)
	delete(w.active, run.RunID)
	close(a.done)
	w.mu.Unlock()
	w.log.Info("run ended", "run_id", run.RunID, "type", run.Type, "status", done.Status, "duration_ms", done.DurationMS)
	_ = w.save(context.Background())
}

func (w *workspace) listRuns() []*runView {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*runView, 0, len(w.runs))
	for i := len(w.runs) - 1; i >= 0; i-- {
		out = append(out, w.viewRun(w.runs[i]))
	}
	return out
}

func (w *workspace) getRun(id string) (*runView, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, err := w.findRun(id)
	if err != nil {
		return nil, err
	}
	return w.viewRun(r), nil
}

// cancelRun cancels a run in flight and waits briefly for it to stop, so
// that the answer usually shows it Cancelled. A finished run is answered
// as it is.
func (w *workspace) cancelRun(ctx context.Context, id string) (*runView, error) {
	w.mu.Lock()
	_, err := w.findRun(id)
	a := w.active[id]
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if a != nil {
		a.cancel()
		select {
		case <-a.done:
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
		}
	}
	return w.getRun(id)
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
