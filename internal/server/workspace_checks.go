package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
)

// The checklist operations of the workspace: each changes it under the
// lock, and saves it before answering.

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
	title := t.Title()
	if k, ok := check.Lookup(t); ok {
		title = k.Name()
	}
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
