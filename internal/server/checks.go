package server

import (
	"fmt"
	"net/http"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/markdown"
)

// listChecks answers GET /api/checks: the checklist, in order.
func (s *Server) listChecks(w http.ResponseWriter, r *http.Request, rv *review) error {
	writeJSON(w, http.StatusOK, rv.ws.listChecks())
	return nil
}

type newCheckRequest struct {
	Type        check.Type   `json:"type"`
	Params      check.Params `json:"params"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	ViewOptions check.Params `json:"view_options"`
	// RunID makes an existing run the check's last run ("add to
	// checklist" from a result).
	RunID string `json:"run_id"`
}

// createCheck answers POST /api/checks with the new check (201).
func (s *Server) createCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	var req newCheckRequest
	if err := decodeJSON(w, r, maxJSONBody, &req); err != nil {
		return err
	}
	if req.Type == "" && req.RunID == "" {
		return errorf(http.StatusUnprocessableEntity, "a check needs a type (or the run_id of a run to adopt)")
	}
	c := &check.Check{Type: req.Type, Params: req.Params, Name: strings.TrimSpace(req.Name), Description: req.Description, ViewOptions: req.ViewOptions}
	v, err := rv.ws.addCheck(r.Context(), c, req.RunID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) getCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	v, err := rv.ws.getCheck(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) updateCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	var p checkPatch
	if err := decodeJSON(w, r, maxJSONBody, &p); err != nil {
		return err
	}
	v, err := rv.ws.updateCheck(r.Context(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	if err := rv.ws.deleteCheck(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runCheck answers POST /api/checks/{id}/run with the run, Running (202);
// the app polls GET /api/runs/{id}.
func (s *Server) runCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	c, err := rv.ws.getCheck(r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := rv.ws.startRun(r.Context(), *c.Check)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

// approveCheck answers POST /api/checks/{id}/approve {"approved"} with the
// check, and in "note" whether the approval was also posted on the merge
// request, or why not.
func (s *Server) approveCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	var req struct {
		Approved *bool `json:"approved"`
	}
	if err := decodeJSON(w, r, maxJSONBody, &req); err != nil {
		return err
	}
	if req.Approved == nil {
		return errorf(http.StatusUnprocessableEntity, `send {"approved": true} to approve, {"approved": false} to withdraw the approval`)
	}
	v, err := rv.ws.approve(r.Context(), r.PathValue("id"), *req.Approved)
	if err != nil {
		return err
	}
	verb := "approved"
	if !*req.Approved {
		verb = "withdrew the approval of"
	}
	v.Note = s.postReviewNote(r.Context(), rv, fmt.Sprintf("**%s** %s the check %s (%s) in recce.", s.opts.Author, verb, markdown.InlineCode(v.Name), v.Type.Title()))
	writeJSON(w, http.StatusOK, v)
	return nil
}

type commentView struct {
	Comment
	Note *noteStatus `json:"note"`
}

// commentCheck answers POST /api/checks/{id}/comments {"body"} with the
// comment (201), and in "note" whether it was also posted on the merge
// request, or why not.
func (s *Server) commentCheck(w http.ResponseWriter, r *http.Request, rv *review) error {
	var req struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(w, r, maxJSONBody, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Body) == "" {
		return errorf(http.StatusUnprocessableEntity, "the comment is empty")
	}
	cm, c, err := rv.ws.addComment(r.Context(), r.PathValue("id"), req.Body, s.opts.Author)
	if err != nil {
		return err
	}
	// The comment is quoted so that it reads as the reviewer's words; the
	// gitlab client neutralises quick actions in it either way.
	quoted := "> " + strings.ReplaceAll(strings.TrimSpace(req.Body), "\n", "\n> ")
	note := s.postReviewNote(r.Context(), rv, fmt.Sprintf("**%s** commented on the check %s (%s) in recce:\n\n%s", s.opts.Author, markdown.InlineCode(c.Name), c.Type.Title(), quoted))
	writeJSON(w, http.StatusCreated, commentView{Comment: *cm, Note: note})
	return nil
}

// reorderChecks answers POST /api/checks/reorder {"check_ids"} with the
// checklist in its new order.
func (s *Server) reorderChecks(w http.ResponseWriter, r *http.Request, rv *review) error {
	var req struct {
		CheckIDs []string `json:"check_ids"`
	}
	if err := decodeJSON(w, r, maxJSONBody, &req); err != nil {
		return err
	}
	v, err := rv.ws.reorder(r.Context(), req.CheckIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
