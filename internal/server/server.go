// Package server is `recce server`: the JSON API of docs/api.md and the
// embedded web app, over one review workspace (checks and runs), the
// project's artifacts and warehouse, and the GitLab integration.
//
// A map of the package, one file per concern:
//
//	server.go        Options, New, the routes (all of them, in one place), Serve
//	security.go      host, sign-in, same-origin rules and security headers
//	respond.go       JSON answers, errors, request bodies
//	middleware.go    request logs, panic recovery, gzip of JSON answers
//	health.go        GET /api/health, /api/ready
//	project.go       GET /api/info, /api/nodes/{id}, /api/select
//	checks.go        /api/checks...
//	runs.go          /api/runs..., /api/query
//	state.go         GET and POST /api/state
//	snapshot.go      what is persisted, and where (WorkspaceStore, FileWorkspace)
//	workspace*.go    the checks, runs and comments shared by all requests
//	gitlab.go        /api/integrations/gitlab (connection)
//	mergerequests.go merge requests, summary, sync, review notes
//	webhook.go       POST /api/integrations/gitlab/webhook
//	background.go    the periodic merge request sync and token re-check
//	webapp.go        the web app's files (SPA fallback, caching)
//
// Handlers are small: they decode, call the workspace or a client with the
// request's context, and encode. The command that builds Options from
// flags lives in cmd/recce/server.go.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os/user"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/store"
)

const webhookPath = gitlab.WebhookPath

// Mode is what the server reviews from.
type Mode string

const (
	// ModeLive: the project's artifacts and its warehouse (data checks run).
	ModeLive Mode = "live"
	// ModeReview: a state file alone; no warehouse, data checks cannot run.
	ModeReview Mode = "review"
	// ModeDemo: the generated demo project, served live.
	ModeDemo Mode = "demo"
)

// Options is everything the server needs; cmd/recce fills it from flags.
type Options struct {
	Mode Mode
	// Env holds both environments' artifacts and the warehouse (nil in
	// review mode, or when it could not be opened: Env.NoWarehouse says
	// why).
	Env *check.Env
	// WarehouseType is the profiles.yml type ("duckdb"); "" in review mode.
	WarehouseType string
	// PullRequest is the merge request the review belongs to (from the
	// state file, or GitLab CI's variables); nil for none. Approvals and
	// comments are posted as notes only on it.
	PullRequest *check.PullRequest
	// Artifacts gives the artifact files written into an exported state
	// file (GET /api/state).
	Artifacts func() (check.Artifacts, error)

	// Workspace persists the checks, runs and comments. Initial is the
	// workspace to start from when Workspace holds none, or holds one made
	// from another source (Snapshot.Source differs).
	Workspace WorkspaceStore
	Initial   *Snapshot

	// Store holds the GitLab connection, the merge requests and webhook
	// deliveries (shared with `recce gitlab connect` in the same data dir).
	Store *store.Store
	// Secrets gives the key that seals the GitLab token; called on first
	// use, so a server that never touches GitLab never creates a key file.
	Secrets func() (*secret.Box, error)
	GitLab  GitLabOptions
	// SyncInterval is how often the background round runs: the merge
	// requests of the connected project are synced, and the token is
	// checked again when its last check is older than RecheckInterval
	// (default an hour), so that an expired or revoked token shows as
	// unusable. 0: no background round (webhooks and the sync endpoint
	// still work).
	SyncInterval    time.Duration
	RecheckInterval time.Duration

	// Token is RECCE_SERVER_TOKEN: "" means no sign-in, loopback only.
	Token string
	// WebApp is the built web app (index.html and assets/); nil or empty
	// when it was not built: "/" then says so.
	WebApp fs.FS

	Logger  *slog.Logger
	Version string
	// Author names the reviewer in comments (default: the OS user).
	Author string
	Now    func() time.Time
	// MaxConcurrentRuns bounds the runs going at once (default 4).
	MaxConcurrentRuns int
}

// GitLabOptions configure the GitLab clients the server makes.
type GitLabOptions struct {
	// CAFile is a PEM bundle trusted in addition to the system's.
	CAFile string
	Retry  gitlab.RetryPolicy
	// RequestTimeout bounds one HTTP attempt (default: the client's).
	RequestTimeout time.Duration
}

// Server serves the API and the web app. Create it with New, serve
// Handler (or call Serve), and Close it.
type Server struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	guard   *guard
	ws      *workspace
	lineage []byte // the lineage diff's JSON, computed once
	handler http.Handler

	// ctx lives as long as the server: runs and background syncs outlive
	// the request that started them, and end when it is cancelled.
	ctx    context.Context
	cancel context.CancelFunc
	bg     chan struct{} // closed when the background sync stops
}

// New builds a server: it loads (or starts) the workspace and computes the
// lineage diff once. It starts no listener.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Env == nil || opts.Env.Base == nil || opts.Env.Current == nil {
		return nil, errors.New("server: no artifacts to serve")
	}
	if opts.Store == nil {
		return nil, errors.New("server: no store")
	}
	if opts.Workspace == nil {
		return nil, errors.New("server: no workspace store")
	}
	if err := ValidateToken(opts.Token); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Author == "" {
		if u, err := user.Current(); err == nil {
			opts.Author = u.Username
		}
	}
	if opts.Secrets == nil {
		opts.Secrets = func() (*secret.Box, error) {
			return nil, errors.New("no encryption key is configured for stored secrets")
		}
	}
	lin, err := json.Marshal(opts.Env.Lineage())
	if err != nil {
		return nil, fmt.Errorf("encode the lineage diff: %w", err)
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, lineage: lin, bg: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.guard = &guard{token: opts.Token, now: opts.Now}
	if s.ws, err = openWorkspace(ctx, s.ctx, opts, s.log); err != nil {
		s.cancel()
		return nil, err
	}
	s.handler = s.routes()
	go s.background()
	return s, nil
}

// routes is the whole API, in one table. Go's method and path patterns do
// the dispatch; every handler returns its error to respond.go.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := map[string]handler{
		"GET /api/health": s.health,
		"GET /api/ready":  s.ready,
		"POST /api/login": s.guard.login,

		"GET /api/info":              s.info,
		"GET /api/nodes/{unique_id}": s.node,
		"GET /api/select":            s.selectNodes,

		"GET /api/checks":                s.listChecks,
		"POST /api/checks":               s.createCheck,
		"POST /api/checks/reorder":       s.reorderChecks,
		"GET /api/checks/{id}":           s.getCheck,
		"PATCH /api/checks/{id}":         s.updateCheck,
		"DELETE /api/checks/{id}":        s.deleteCheck,
		"POST /api/checks/{id}/run":      s.runCheck,
		"POST /api/checks/{id}/approve":  s.approveCheck,
		"POST /api/checks/{id}/comments": s.commentCheck,

		"POST /api/runs":             s.startRun,
		"GET /api/runs":              s.listRuns,
		"GET /api/runs/{id}":         s.getRun,
		"POST /api/runs/{id}/cancel": s.cancelRun,
		"POST /api/query":            s.query,

		"GET /api/state":  s.exportState,
		"POST /api/state": s.importState,

		"GET /api/integrations/gitlab":                               s.getGitLab,
		"PUT /api/integrations/gitlab":                               s.putGitLab,
		"DELETE /api/integrations/gitlab":                            s.deleteGitLab,
		"GET /api/integrations/gitlab/merge-requests":                s.listMergeRequests,
		"POST /api/integrations/gitlab/merge-requests/sync":          s.syncMergeRequests,
		"POST /api/integrations/gitlab/merge-requests/{iid}/summary": s.postSummary,
		"POST " + webhookPath:                                        s.webhook,
	}
	for pattern, h := range api {
		mux.Handle(pattern, h)
	}
	mux.Handle("/api/", apiNotFound(mux))
	mux.Handle("/", webApp(s.opts.WebApp))
	return recoverPanics(s.log, logRequests(s.log, securityHeaders(s.guard.wrap(gzipJSON(mux)))))
}

// apiNotFound answers paths under /api/ that no route takes: 405 with the
// allowed methods when the path exists, 404 otherwise, in JSON.
func apiNotFound(mux *http.ServeMux) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/api/" && pattern != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			for _, m := range allowed {
				w.Header().Add("Allow", m)
			}
			return errorf(http.StatusMethodNotAllowed, "%s %s: method not allowed (allowed: %v; see docs/api.md)", r.Method, r.URL.Path, allowed)
		}
		return errorf(http.StatusNotFound, "no API endpoint %s %s (see docs/api.md)", r.Method, r.URL.Path)
	}
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the server's background work: runs in flight are cancelled
// (they end Cancelled), and the workspace is saved. ctx bounds the wait.
func (s *Server) Close(ctx context.Context) error {
	s.cancel()
	<-s.bg
	return s.ws.close(ctx)
}

// Serve answers on ln until ctx is cancelled (SIGINT, SIGTERM), then shuts
// down gracefully: no new connections, requests in progress get up to
// grace to finish, runs in flight are cancelled and the workspace saved.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: a state file export streams hundreds of MB.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context {
			return context.WithoutCancel(ctx)
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		_ = s.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests, cancelling runs, saving the workspace")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	shutErr := hs.Shutdown(sctx)
	closeErr := s.Close(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return errors.Join(shutErr, closeErr)
}
