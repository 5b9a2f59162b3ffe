package server

import (
	"net/http"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
)

// startRun answers POST /api/runs {"type", "params"}: a run of no check
// (a diff from the node panel), Running (202).
func (s *Server) startRun(w http.ResponseWriter, r *http.Request, rv *review) error {
	var req struct {
		Type   check.Type   `json:"type"`
		Params check.Params `json:"params"`
		Name   string       `json:"name"`
	}
	if err := decodeJSON(w, r, maxJSONBody, &req); err != nil {
		return err
	}
	if req.Params == nil {
		req.Params = check.Params{}
	}
	v, err := rv.ws.startRun(r.Context(), check.Check{Type: req.Type, Params: req.Params, Name: strings.TrimSpace(req.Name)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

// listRuns answers GET /api/runs, newest first.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, rv *review) error {
	writeJSON(w, http.StatusOK, rv.ws.listRuns())
	return nil
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request, rv *review) error {
	v, err := rv.ws.getRun(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request, rv *review) error {
	v, err := rv.ws.cancelRun(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// query answers POST /api/query {"sql_template", "env", "primary_keys"?}:
// a run of type query (current), query_base (base) or query_diff (both).
func (s *Server) query(w http.ResponseWriter, r *http.Request, rv *review) error {
	var req struct {
		SQLTemplate string   `json:"sql_template"`
		Env         string   `json:"env"`
		PrimaryKeys []string `json:"primary_keys"`
	}
	if err := decodeJSON(w, r, maxJSONBody, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.SQLTemplate) == "" {
		return errorf(http.StatusUnprocessableEntity, "the query is empty: write a SELECT (models as {{ ref('name') }})")
	}
	params := check.Params{"sql_template": req.SQLTemplate}
	var t check.Type
	switch req.Env {
	case "", "current":
		t = check.Query
	case "base":
		t = check.QueryBase
	case "diff":
		t = check.QueryDiff
		if len(req.PrimaryKeys) > 0 {
			keys := make([]any, len(req.PrimaryKeys))
			for i, k := range req.PrimaryKeys {
				keys[i] = k
			}
			params["primary_keys"] = keys
		}
	default:
		return errorf(http.StatusUnprocessableEntity, "env %q: use current, base or diff", req.Env)
	}
	if len(req.PrimaryKeys) > 0 && t != check.QueryDiff {
		return errorf(http.StatusUnprocessableEntity, `primary_keys apply to a diff only: send "env": "diff"`)
	}
	v, err := rv.ws.startRun(r.Context(), check.Check{Type: t, Params: params})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}
