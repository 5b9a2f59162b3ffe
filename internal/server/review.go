package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
)

// A review is what the workspace-scoped endpoints (info, nodes, checks,
// runs, queries, state) work on: both environments' artifacts, a checklist
// with its runs and comments, and the merge request it belongs to.
//
// The server has one local review, made from what it was started on (the
// project, a state file, the demo), served under /api/...; and one per
// merge request session (sessions.go), made from the pipeline's latest
// upload, served under /api/mr/{iid}/... with the same handlers: every
// workspace-scoped route is registered at both prefixes (see routes).
type review struct {
	mode          Mode
	env           *check.Env
	warehouseType string
	ws            *workspace
	lineage       []byte // the lineage diff's JSON, computed once
	// pr is the merge request the review belongs to (nil for none):
	// approvals and comments are posted as notes on it.
	pr *check.PullRequest
	// artifacts gives the artifact files written into an exported state
	// file (nil: none).
	artifacts func() (check.Artifacts, error)
	// session is the merge request session this review is; nil for the
	// local review.
	session *sessionRef
}

// sessionRef names a merge request session.
type sessionRef struct {
	ProjectID int64
	IID       int64
	Revision  int64
}

// newReview computes what a review shows first (the lineage diff) and
// opens its workspace.
func (s *Server) newReview(ctx context.Context, rv *review, cfg workspaceConfig) (*review, error) {
	lin, err := json.Marshal(rv.env.Lineage())
	if err != nil {
		return nil, fmt.Errorf("encode the lineage diff: %w", err)
	}
	rv.lineage = lin
	cfg.env, cfg.now = rv.env, s.now
	if cfg.maxRuns == 0 {
		cfg.maxRuns = s.opts.MaxConcurrentRuns
	}
	if rv.ws, err = openWorkspace(ctx, s.ctx, cfg, s.log); err != nil {
		return nil, err
	}
	return rv, nil
}

// reviewHandler is a handler of a workspace-scoped endpoint.
type reviewHandler func(w http.ResponseWriter, r *http.Request, rv *review) error

// reviewRoutes are the workspace-scoped endpoints, as "METHOD /path"
// below /api (local review) and /api/mr/{iid} (a session).
func (s *Server) reviewRoutes() map[string]reviewHandler {
	return map[string]reviewHandler{
		"GET /info":              s.info,
		"GET /nodes/{unique_id}": s.node,
		"GET /select":            s.selectNodes,

		"GET /checks":                s.listChecks,
		"POST /checks":               s.createCheck,
		"POST /checks/reorder":       s.reorderChecks,
		"GET /checks/{id}":           s.getCheck,
		"PATCH /checks/{id}":         s.updateCheck,
		"DELETE /checks/{id}":        s.deleteCheck,
		"POST /checks/{id}/run":      s.runCheck,
		"POST /checks/{id}/approve":  s.approveCheck,
		"POST /checks/{id}/comments": s.commentCheck,

		"POST /runs":             s.startRun,
		"GET /runs":              s.listRuns,
		"GET /runs/{id}":         s.getRun,
		"POST /runs/{id}/cancel": s.cancelRun,
		"POST /query":            s.query,

		"GET /state":  s.exportState,
		"POST /state": s.importState,

		"GET /summary": s.reviewSummary,
	}
}

// handleReviewRoutes registers every workspace-scoped route twice: for the
// local review and for a merge request's session.
func (s *Server) handleReviewRoutes(mux *http.ServeMux) {
	for pattern, h := range s.reviewRoutes() {
		method, path, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" /api"+path, handler(func(w http.ResponseWriter, r *http.Request) error {
			if s.local == nil && pattern != "GET /info" {
				return errNoLocalReview()
			}
			return h(w, r, s.local) // info answers a team server's (nil) too
		}))
		mux.Handle(method+" /api/mr/{iid}"+path, handler(func(w http.ResponseWriter, r *http.Request) error {
			rv, err := s.sessionReview(r.Context(), r.PathValue("iid"))
			if err != nil {
				return err
			}
			return h(w, r, rv)
		}))
	}
}

// errNoLocalReview answers the local review's endpoints on a team server.
func errNoLocalReview() error {
	return &apiError{Status: http.StatusConflict,
		Message: "this recce server reviews merge requests only (--team): open a merge request's review, under /api/mr/{iid}/",
		Detail:  map[string]string{"reason": "team_mode"}}
}
