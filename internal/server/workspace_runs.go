package server

import (
	"context"
	"net/http"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
)

// The runs of the workspace: started in the background, cancellable,
// their outcome written back under the lock.

// noWarehouse is why data checks cannot run: no warehouse (review mode,
// or one that could not be opened).
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
	w.active[run.RunID] = a
	w.wg.Add(1)
	w.mu.Unlock()

	go w.execute(rctx, c, run, a)
	err := w.change(ctx, func() error {
		if _, err := w.findRun(run.RunID); err != nil {
			w.runs = append(w.pruned(), run)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.viewRun(run), nil
}

// MaxLooseRuns is how many runs of no check (diffs from the node panel,
// queries) are kept; older ones go, so that the saved workspace, rewritten
// at every change, does not grow with every query typed. Runs of checks
// are all kept.
const MaxLooseRuns = 50

// pruned returns the runs without the oldest finished runs of no check
// beyond MaxLooseRuns-1 (room for one more); call with w.mu held.
func (w *workspace) pruned() []*check.Run {
	loose := 0
	for _, r := range w.runs {
		if r.CheckID == "" {
			loose++
		}
	}
	drop := loose - (MaxLooseRuns - 1)
	if drop <= 0 {
		return w.runs
	}
	kept := make([]*check.Run, 0, len(w.runs))
	for _, r := range w.runs {
		if drop > 0 && r.CheckID == "" && w.active[r.RunID] == nil {
			drop--
			continue
		}
		kept = append(kept, r)
	}
	return kept
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

	done := *run // replaced, not changed in place: a save may be encoding it
	done.Status, done.Result, done.Error, done.DurationMS = res.Status, res.Result, res.Error, res.DurationMS
	err := w.change(context.Background(), func() error {
		if _, err := w.findRun(run.RunID); err != nil {
			w.runs = append(w.runs, &done) // the reloaded workspace lacked it
		} else {
			w.replaceRun(&done)
		}
		if w.active[run.RunID] == a {
			delete(w.active, run.RunID)
			close(a.done)
		}
		return nil
	})
	if err != nil {
		w.log.Warn("a finished run could not be saved", "run_id", run.RunID, "error", err)
		w.mu.Lock()
		if w.active[run.RunID] == a {
			delete(w.active, run.RunID)
			close(a.done)
		}
		w.mu.Unlock()
	}
	w.log.Info("run ended", "run_id", run.RunID, "type", run.Type, "status", done.Status, "duration_ms", done.DurationMS)
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
