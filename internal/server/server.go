// Package server is `recce server`: the JSON API of docs/api.md and the
// embedded web app, over reviews (checks and runs on two environments'
// artifacts), the GitLab integration, and, for a team, one review session
// per merge request, fed by the pipelines' uploads and kept in sync with
// GitLab by a durable job queue.
//
// A map of the package, one file per concern:
//
//	server.go          Options, New, the routes (all of them, in one place), Serve
//	security.go        host, sign-in, same-origin rules and security headers
//	respond.go         JSON answers, errors, request bodies
//	middleware.go      request logs, panic recovery, gzip of JSON answers
//	metrics.go         Prometheus metrics (GET /metrics)
//	health.go          GET /api/health, /api/ready
//	review.go          a review, and its endpoints served for the local review and for each session
//	project.go         GET /api/info, /api/nodes/{id}, /api/select
//	checks.go          /api/checks...
//	runs.go            /api/runs..., /api/query
//	state.go           GET and POST /api/state
//	snapshot.go        what is persisted, and where (WorkspaceStore, FileWorkspace)
//	workspace*.go      the checks, runs and comments shared by all requests
//	gitlab.go          /api/integrations/gitlab (connection)
//	mergerequests.go   merge requests, summary, sync
//	sessions.go        merge request sessions: /api/mr/{iid}, their reviews
//	upload.go          POST /api/mr/{iid}/upload (recce upload)
//	tokens.go          /api/tokens: server API tokens for uploads
//	notes.go           review notes (approvals, comments) through the queue
//	webhook.go         POST /api/integrations/gitlab/webhook
//	jobs.go            the job kinds and how they are enqueued
//	worker.go          the worker loop: claim, run, complete or retry
//	job_summary.go     the summary job: the note and the commit status of a session
//	background.go      the periodic merge request sync and token re-check
//	webapp.go          the web app's files (SPA fallback, caching)
//
// Handlers are small: they decode, call the workspace or a client with the
// request's context, and encode. The command that builds Options from
// flags lives in cmd/recce/server.go.
package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os/user"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/blob"
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
	// ModeTeam: merge request sessions only, no local review (a team
	// server that reviews what pipelines upload). Env holds the warehouse
	// to run the sessions' checks on, if any, and no artifacts.
	ModeTeam Mode = "team"
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

	// TrustedChecks are the checks of the server's own recce.yml (the
	// --project-dir it was started in; the default checks without one):
	// the only checks whose SQL the server runs on an upload, and only
	// when the upload holds one unchanged (job_summary.go). Nil: none.
	TrustedChecks []*check.Check

	// Workspace persists the checks, runs and comments. Initial is the
	// workspace to start from when Workspace holds none, or holds one made
	// from another source (Snapshot.Source differs).
	Workspace WorkspaceStore
	Initial   *Snapshot

	// Store holds the GitLab connection, the merge requests and their
	// sessions, webhook deliveries, the job queue and API tokens (shared
	// with `recce gitlab connect` in the same data dir, and with every
	// instance on the same PostgreSQL database).
	Store *store.Store
	// Blobs keeps the artifacts of uploads (a directory, or S3 for several
	// instances). Nil: uploads are refused with what to configure.
	Blobs blob.Store
	// MaxUploadSize bounds an upload, in bytes (default 512 MiB).
	MaxUploadSize int64
	// MaxUploadsInFlight bounds the uploads taken at once (more get 503
	// and Retry-After) and, apart, the uploads' artifacts parsed at once
	// by the summary jobs and the sessions opened (default 2 each): what
	// bounds the memory uploads take (docs/server.md).
	MaxUploadsInFlight int
	// UploadQueueWait is how long an upload waits for one of those slots
	// before it is refused (default 10 s; negative: not at all).
	UploadQueueWait time.Duration
	// BodyTimeout bounds the time a JSON request body may take to arrive
	// (default 30 s); UploadTimeout that of a state file, an upload or an
	// import (default 15 minutes). A body late past it is refused (408).
	BodyTimeout, UploadTimeout time.Duration
	// Jobs tunes the workers that post summaries and notes.
	Jobs JobOptions
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
	// BlobGrace is how long an uploaded blob that no session uses (a
	// replaced or refused upload) is kept before the background round
	// deletes it; 0 means an hour.
	BlobGrace time.Duration

	// Token is RECCE_SERVER_TOKEN: "" means no sign-in, loopback only.
	Token string
	// TrustedProxies are the reverse proxies (--trusted-proxy) whose
	// X-Forwarded-For names the client, for the limit on failed
	// credentials per client address; without them the header is ignored.
	TrustedProxies []netip.Prefix
	// PublicURL is the address people reach the server at
	// (https://recce.example.com), for links in the notes it posts; ""
	// leaves the links out.
	PublicURL string
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

// JobOptions tune the job workers (worker.go). Zero fields take the
// defaults; tests shrink the waits.
type JobOptions struct {
	// Workers is how many jobs this instance runs at once (default 4; -1:
	// none, this instance only receives).
	Workers int
	// Lease is how long a claimed job stays this instance's before another
	// may take it over (default 2 minutes; long jobs extend it).
	Lease time.Duration
	// Poll is how often an idle worker looks for due jobs (default 1 s);
	// jobs this instance enqueues wake it at once.
	Poll time.Duration
	// NotesRate paces the notes created on GitLab, shared by every
	// instance (default 50 a minute: below gitlab.com's 60).
	NotesRate store.RateLimit
	// Instance names this instance in job leases and logs (default
	// host:pid).
	Instance string
}

// GitLabOptions configure the GitLab clients the server makes.
type GitLabOptions struct {
	// CAFile is a PEM bundle trusted in addition to the system's.
	CAFile string
	Retry  gitlab.RetryPolicy
	// RequestTimeout bounds one HTTP attempt (default: the client's).
	RequestTimeout time.Duration
	// AllowLinkLocal lets a GitLab URL lead to a link-local or cloud
	// metadata address (--allow-link-local-gitlab); refused otherwise.
	AllowLinkLocal bool
	// StatusName names the commit status set on merge requests (default
	// gitlab.DefaultStatusName); it must not be a CI job's name.
	StatusName string
	// Threads: besides the summary note, one resolvable thread per check
	// of a session that found a mismatch or did not complete, resolved
	// when it passes or is approved (gitlab.Client.SyncThreads).
	Threads bool
}

// Server serves the API and the web app. Create it with New, serve
// Handler (or call Serve), and Close it.
type Server struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	guard    *guard
	local    *review   // what the server was started on
	sessions *sessions // one review per merge request session, opened on demand
	parsed   *artifactCache
	clients  *clientCache
	heavy    slots // uploads being taken
	metrics  *metrics
	handler  http.Handler

	// ctx lives as long as the server: runs, jobs and background syncs
	// outlive the request that started them, and end when it is cancelled.
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup // the background round and the workers
	wake   chan struct{}  // a job was enqueued here: a worker looks now
}

// New builds a server: it loads (or starts) the workspace and computes the
// lineage diff once. It starts no listener.
func New(ctx context.Context, opts Options) (*Server, error) {
	switch {
	case opts.Mode == ModeTeam && opts.Env == nil:
		opts.Env = &check.Env{}
	case opts.Mode == ModeTeam:
	case opts.Env == nil || opts.Env.Base == nil || opts.Env.Current == nil:
		return nil, errors.New("server: no artifacts to serve")
	case opts.Workspace == nil:
		return nil, errors.New("server: no workspace store")
	}
	if opts.Store == nil {
		return nil, errors.New("server: no store")
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
	opts.Jobs = opts.Jobs.withDefaults()
	if opts.MaxUploadSize <= 0 {
		opts.MaxUploadSize = maxStateBody
	}
	if opts.MaxUploadsInFlight <= 0 {
		opts.MaxUploadsInFlight = 2
	}
	if opts.UploadQueueWait == 0 {
		opts.UploadQueueWait = 10 * time.Second
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = defaultBodyTimeout
	}
	if opts.UploadTimeout <= 0 {
		opts.UploadTimeout = defaultUploadTimeout
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, wake: make(chan struct{}, 1),
		parsed: newArtifactCache(4, newSlots(opts.MaxUploadsInFlight)), clients: &clientCache{}, heavy: newSlots(opts.MaxUploadsInFlight)}
	s.metrics = newMetrics(opts.Store)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.guard = &guard{token: opts.Token, now: opts.Now, trusted: opts.TrustedProxies, limiter: newFailureLimiter(opts.Now)}
	s.sessions = newSessions(s)
	if opts.Mode != ModeTeam {
		local := &review{mode: opts.Mode, env: opts.Env, warehouseType: opts.WarehouseType, pr: opts.PullRequest, artifacts: opts.Artifacts}
		var err error
		if s.local, err = s.newReview(ctx, local, workspaceConfig{store: opts.Workspace, initial: opts.Initial}); err != nil {
			s.cancel()
			return nil, err
		}
	}
	s.handler = s.routes()
	s.bg.Add(1)
	go s.background()
	s.startWorkers()
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
		"GET /metrics":    s.metrics.serve,

		"GET /api/mr/{iid}":         s.getSession,
		"POST /api/mr/{iid}/upload": s.upload,

		"GET /api/tokens":         s.listTokens,
		"POST /api/tokens":        s.createToken,
		"DELETE /api/tokens/{id}": s.revokeToken,

		"GET /api/jobs":             s.listJobs,
		"POST /api/jobs/{id}/retry": s.retryJob,

		"GET /api/integrations/gitlab":                               s.getGitLab,
		"PUT /api/integrations/gitlab":                               s.putGitLab,
		"DELETE /api/integrations/gitlab":                            s.deleteGitLab,
		"GET /api/integrations/gitlab/merge-requests":                s.listMergeRequests,
		"POST /api/integrations/gitlab/merge-requests/sync":          s.syncMergeRequests,
		"POST /api/integrations/gitlab/merge-requests/{iid}/summary": s.postSummary,
		"POST " + webhookPath:                                        s.webhook,
		"POST " + webhookPath + "/create":                            s.createWebhook,
	}
	for pattern, h := range api {
		mux.Handle(pattern, h)
	}
	s.handleReviewRoutes(mux) // info, nodes, checks, runs, query, state: local and per session
	mux.Handle("/api/", apiNotFound(mux))
	mux.Handle("/", webApp(s.opts.WebApp))
	return recoverPanics(s.log, s.limitBodies(s.metrics.count(logRequests(s.log, securityHeaders(s.guard.wrap(gzipJSON(mux)))))))
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

// Close stops the server's background work: jobs in progress are
// abandoned (their leases expire and another instance, or this one after a
// restart, runs them again), runs in flight are cancelled (they end
// Cancelled), and the workspaces are saved. ctx bounds the wait.
func (s *Server) Close(ctx context.Context) error {
	s.cancel()
	s.bg.Wait()
	var err error
	if s.local != nil {
		err = s.local.ws.close(ctx)
	}
	return errors.Join(err, s.sessions.close(ctx))
}

// Serve answers on ln until ctx is cancelled (SIGINT, SIGTERM), then shuts
// down gracefully: no new connections, requests in progress get up to
// grace to finish, runs in flight are cancelled and the workspace saved.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Bodies get their read deadlines per route (limitBodies).
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
