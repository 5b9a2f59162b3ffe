package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gitlab.com/recce-go/recce/internal/store"
)

// Server API tokens, made in Settings for `recce upload` when the job
// token cannot be used (a pipeline on another GitLab, a script). A token
// is shown once, when it is created; the store keeps only its hash.
// Tokens are for uploads only: the rest of the API needs the server token
// or a signed-in browser.

type apiTokenView struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token is set only in the answer to its creation.
	Token string `json:"token,omitempty"`
}

func viewAPIToken(t store.APIToken) apiTokenView {
	return apiTokenView{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC(), LastUsedAt: timePtr(t.LastUsedAt)}
}

// listTokens answers GET /api/tokens: names and dates, never the tokens.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	toks, err := s.opts.Store.APITokens(r.Context())
	if err != nil {
		return err
	}
	out := make([]apiTokenView, len(toks))
	for i, t := range toks {
		out[i] = viewAPIToken(t)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createToken answers POST /api/tokens {"name"} with the new token (201),
// the only answer that ever holds it.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, 4096, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" {
		return errorf(http.StatusUnprocessableEntity, "name the token after what uses it (\"CI upload\", \"nightly script\"): the name is how you find it again to revoke it")
	}
	token, info, err := s.opts.Store.CreateAPIToken(r.Context(), req.Name)
	if err != nil {
		return err
	}
	s.log.Info("API token created", "id", info.ID, "name", info.Name)
	v := viewAPIToken(info)
	v.Token = token
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// revokeToken answers DELETE /api/tokens/{id} (204): the token stops
// working at once, on every instance.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errorf(http.StatusBadRequest, "%q is not a token id", r.PathValue("id"))
	}
	ok, err := s.opts.Store.RevokeAPIToken(r.Context(), id)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusNotFound, "no API token %d (it may have been revoked already)", id)
	}
	s.log.Info("API token revoked", "id", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- jobs, for administrators ----

type jobView struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	IID         int64      `json:"iid,omitempty"` // the merge request the job works for
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	MaxAttempts int        `json:"max_attempts"`
	RunAfter    time.Time  `json:"run_after"`
	LastError   string     `json:"last_error,omitempty"`
	DedupeKey   string     `json:"dedupe_key,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// listJobs answers GET /api/jobs?state=&kind=: the job queue, newest
// first (at most 100), to see why a summary did not arrive.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	jobs, err := s.opts.Store.Jobs(r.Context(), store.JobFilter{State: q.Get("state"), Kind: q.Get("kind")})
	if err != nil {
		return err
	}
	out := make([]jobView, len(jobs))
	for i, j := range jobs {
		// Both job kinds carry the merge request in their payload.
		var mr struct {
			IID int64 `json:"iid"`
		}
		_ = json.Unmarshal(j.Payload, &mr)
		out[i] = jobView{ID: j.ID, Kind: j.Kind, IID: mr.IID, State: j.State, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts, RunAfter: j.RunAfter,
			LastError: j.LastError, DedupeKey: j.DedupeKey, CreatedAt: j.CreatedAt, FinishedAt: timePtr(j.FinishedAt)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// retryJob answers POST /api/jobs/{id}/retry: a dead job runs again with
// fresh attempts (once its cause is fixed: a token replaced, a role given).
func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errorf(http.StatusBadRequest, "%q is not a job id", r.PathValue("id"))
	}
	ok, err := s.opts.Store.RetryDeadJob(r.Context(), id)
	if err != nil {
		return err
	}
	if !ok {
		j, err := s.opts.Store.Job(r.Context(), id)
		if errors.Is(err, store.ErrJobNotFound) {
			return errorf(http.StatusNotFound, "no job %d", id)
		}
		if err != nil {
			return err
		}
		return errorf(http.StatusConflict, "job %d is %s, not dead (or a newer job does its work): nothing to retry", id, j.State)
	}
	s.nudge()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
