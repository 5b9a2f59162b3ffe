// Package gitlabtest is a faithful fake GitLab for tests: an httptest server
// that answers the REST API endpoints recce uses the way GitLab does (see
// ../shared/docs/gitlab-notes.md), built on the real payloads of
// ../shared/testdata/gitlab. Tests drive it with the real client.
//
// What it reproduces: tokens (scopes, expiry, revocation, fine-grained
// tokens, project and group access tokens as bot users) with GitLab's exact
// 401/403 bodies; projects by id or URL-encoded path, their visibility
// (public and internal projects are readable by non-members, who may
// comment but not set statuses) and archiving (every write refused);
// effective membership; merge requests with page-number pagination and
// GitLab's headers (totals left out past 10,000), locked discussions, fork
// merge requests; notes (newest first, system notes included, stored as
// GitLab's quick action extractor returns them, the 1,000,000 character
// limit, 5,000 notes per merge request, author-only edits, quick actions
// executed and stripped, 202 for a body made only of commands); resolvable
// discussions; commit statuses attached to pipelines as GitLab does (names
// unique across a pipeline's jobs, pending and running statuses reused);
// pipelines, jobs and their artifacts; a linear history per branch and the
// compare API; project hooks and GitLab's refusal of local addresses; GET
// /job with a JOB-TOKEN. Faults can be injected (an error after the write
// was stored, a hang, 502s, the notes rate limit, a held status lock), the
// notes rate limit can be enforced for real (SetNotesRateLimit), and every
// request is logged (method, path, whether it wrote) so tests can assert
// "zero writes".
//
// Where the fake and GitLab differ, GitLab is right: each rule cites the
// GitLab source file it follows (gitlabhq/gitlabhq, the public mirror).
package gitlabtest

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/fixtures"
)

// Access levels, as GitLab numbers them.
const (
	Guest      = 10
	Planner    = 15
	Reporter   = 20
	Developer  = 30
	Maintainer = 40
	Owner      = 50
)

// NotesRateLimitBody is the exact body of GitLab's notes rate limit answer.
const NotesRateLimitBody = `{"message":{"error":"This endpoint has been requested too many times. Try again later."}}`

// Server is the fake. Its fields and methods are safe for concurrent use.
type Server struct {
	// URL is the instance URL (with the sub-path, if any), without /api/v4.
	URL string
	// HTTP is the test server; for a TLS server, HTTP.Client() trusts it.
	HTTP *httptest.Server

	mu       sync.Mutex
	t        testing.TB
	prefix   string
	now      func() time.Time
	nextID   int64
	users    map[int64]*User
	tokens   map[string]*Token
	projects map[int64]*Project
	members  map[[2]int64]int
	mrs      map[int64][]*MergeRequest
	notes    map[[2]int64][]*Note
	statuses []*CommitStatus
	hooks    []*Hook
	jobs     map[string]*Job
	faults   []*Fault
	log      []Request
	commits  map[string]bool // every head and base commit ever seen

	pipelines []*Pipeline
	// branches is each project's branches, a linear history each, oldest
	// commit first (AddCommits).
	branches map[int64]map[string][]string
	// allowLocalHooks is the admin setting "Allow requests to the local
	// network from webhooks and integrations" (off by default, as in GitLab).
	allowLocalHooks bool

	// The notes rate limit, when set (SetNotesRateLimit).
	notesLimit   int
	notesWindow  time.Duration
	noteCreates  map[int64][]time.Time // by user
	notesLimited int

	// TotalsLimit is the count above which the X-Total and X-Total-Pages
	// headers and the "last" link are left out (10,000 on GitLab). Lower it
	// to test a client without creating 10,001 objects.
	TotalsLimit int
	// LinkHost, when set, is the host put in Link headers, like a GitLab
	// behind a proxy that does not rewrite them.
	LinkHost string
	// MaxNotes is how many notes a merge request holds, system notes
	// included (5,000 on GitLab: Noteable::MAX_NOTES_LIMIT, checked in
	// app/models/note.rb#does_not_exceed_notes_limit?). Lower it to test a
	// client without creating 5,000 notes.
	MaxNotes int

	fixtureUser  map[string]any
	fixtureMR    map[string]any
	fixtureMRs   []map[string]any
	fixtureToken map[string]any
	fixtureJob   map[string]any
}

// Option configures New.
type Option func(*config)

type config struct {
	tls       bool
	tlsConfig *tls.Config
	prefix    string
}

// WithTLS serves HTTPS with the httptest certificate (not trusted by default
// clients: use HTTP.Client(), or the certificate as a CA bundle).
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithTLSConfig serves HTTPS with the given configuration (a certificate
// signed by a CA made in the test, for example).
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.tlsConfig = true, cfg }
}

// WithPathPrefix serves the instance under a sub-path, like a self-managed
// GitLab at https://host/gitlab.
func WithPathPrefix(p string) Option {
	return func(c *config) { c.prefix = "/" + strings.Trim(p, "/") }
}

// New starts a fake GitLab; it stops when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		t:           t,
		prefix:      cfg.prefix,
		now:         time.Now,
		nextID:      1000,
		users:       map[int64]*User{},
		tokens:      map[string]*Token{},
		projects:    map[int64]*Project{},
		members:     map[[2]int64]int{},
		mrs:         map[int64][]*MergeRequest{},
		notes:       map[[2]int64][]*Note{},
		jobs:        map[string]*Job{},
		commits:     map[string]bool{},
		branches:    map[int64]map[string][]string{},
		TotalsLimit: 10000,
		MaxNotes:    5000,
	}
	s.fixtureUser = loadObject(t, "get_user.json")
	s.fixtureMR = loadObject(t, "get_merge_request.json")
	s.fixtureToken = loadObject(t, "list_personal_access_tokens_single.json")
	s.fixtureJob = loadObject(t, "webhooks", "job.json")
	var list []map[string]any
	loadJSON(t, &list, "get_merge_requests.json")
	s.fixtureMRs = list

	h := http.HandlerFunc(s.serve)
	s.HTTP = httptest.NewUnstartedServer(h)
	// TLS handshake failures are what some tests are about: keep them out of
	// the test output.
	s.HTTP.Config.ErrorLog = log.New(io.Discard, "", 0)
	switch {
	case cfg.tlsConfig != nil:
		s.HTTP.TLS = cfg.tlsConfig
		s.HTTP.StartTLS()
	case cfg.tls:
		s.HTTP.StartTLS()
	default:
		s.HTTP.Start()
	}
	t.Cleanup(s.HTTP.Close)
	s.URL = s.HTTP.URL + s.prefix
	return s
}

func loadJSON(t testing.TB, v any, elem ...string) {
	t.Helper()
	p := fixtures.Path(t, append([]string{"gitlab"}, elem...)...)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("gitlabtest: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("gitlabtest: %s: %v", p, err)
	}
}

func loadObject(t testing.TB, elem ...string) map[string]any {
	var m map[string]any
	loadJSON(t, &m, elem...)
	return m
}

// clone deep-copies a fixture object so that each answer starts from the real
// payload and overrides only what the fake models.
func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// SetNow replaces the clock (token expiry, timestamps).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

// ---- seeding ----

// User is a GitLab user; project and group access tokens belong to bot users.
type User struct {
	ID       int64
	Username string
	Name     string
	Bot      bool
	Admin    bool
}

// AddUser adds a user.
func (s *Server) AddUser(username string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.id(), Username: username, Name: strings.ToUpper(username[:1]) + username[1:]}
	s.users[u.ID] = u
	return u
}

// Token is an access token. Project and group access tokens are personal
// access tokens of a bot user, as in GitLab.
type Token struct {
	ID        int64
	Value     string
	Name      string
	UserID    int64
	Scopes    []string
	ExpiresAt string // YYYY-MM-DD, "" for none; the token stops at midnight UTC that day
	Revoked   bool
	// Granular marks a fine-grained token: its rights are not in Scopes.
	// GranularWrite says whether it may write.
	Granular      bool
	GranularWrite bool
}

// AddToken gives user a token and returns it; set fields on the result
// (through UpdateToken) for revocation and the like.
func (s *Server) AddToken(user *User, name string, scopes []string, expiresAt string) *Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := &Token{ID: s.id(), Name: name, UserID: user.ID, Scopes: scopes, ExpiresAt: expiresAt}
	tok.Value = fmt.Sprintf("glpat-fake%012d%s", tok.ID, strings.Repeat("x", 8))
	s.tokens[tok.Value] = tok
	return tok
}

// UpdateToken changes a token under the lock (revoke, expire, make granular).
func (s *Server) UpdateToken(tok *Token, fn func(*Token)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(tok)
}

// Project is a project.
type Project struct {
	ID   int64
	Path string // path_with_namespace
	// Visibility is "private" (the default), "internal" or "public". Any
	// signed-in user can read a public or internal project, and comment
	// on it, with no membership (app/policies/project_policy.rb:
	// public_user_access enables guest_access); other writes need a role.
	Visibility string
	// Archived projects are read only: every write answers 403
	// (project_policy.rb: archived prevents the read-only abilities).
	Archived bool
	// AllThreadsMustBeResolved is the merge request setting "All threads
	// must be resolved" (only_allow_merge_if_all_discussions_are_resolved).
	AllThreadsMustBeResolved bool
}

// AddProject adds a private project with the given id (0 for a new one).
func (s *Server) AddProject(id int64, path string) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == 0 {
		id = s.id()
	}
	p := &Project{ID: id, Path: path, Visibility: "private"}
	s.projects[id] = p
	return p
}

// UpdateProject changes a project under the lock (visibility, archiving).
func (s *Server) UpdateProject(p *Project, fn func(*Project)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(p)
}

// SetAllowLocalRequestsFromWebHooks is the administrator's setting "Allow
// requests to the local network from webhooks and integrations" (Admin >
// Settings > Network > Outbound requests). Off, as GitLab ships, hooks to
// loopback, private and link-local addresses are refused.
func (s *Server) SetAllowLocalRequestsFromWebHooks(allow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowLocalHooks = allow
}

// AddCommits appends n new commits to a branch of p (created if needed)
// and returns their SHAs, oldest first. The history is linear: the
// compare API and "is this commit on a branch" read it.
func (s *Server) AddCommits(p *Project, branch string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.branches[p.ID] == nil {
		s.branches[p.ID] = map[string][]string{}
	}
	var out []string
	for range n {
		sha := fmt.Sprintf("%040x", 0xc0000000+s.id())
		s.branches[p.ID][branch] = append(s.branches[p.ID][branch], sha)
		s.commits[sha] = true
		out = append(out, sha)
	}
	return out
}

// SetMember sets a user's effective access level on a project (0 removes).
func (s *Server) SetMember(p *Project, u *User, level int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if level == 0 {
		delete(s.members, [2]int64{p.ID, u.ID})
		return
	}
	s.members[[2]int64{p.ID, u.ID}] = level
}

// MergeRequest is a merge request of the fake.
type MergeRequest struct {
	ID           int64
	IID          int64
	ProjectID    int64
	Title        string
	State        string
	Draft        bool
	SourceBranch string
	TargetBranch string
	SHA          string
	BaseSHA      string
	AuthorID     int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Approvals    int
	Labels       []string
	// SourceProjectID is the fork the merge request comes from; 0 for the
	// project itself. A fork's commits are on no branch of the project.
	SourceProjectID int64
	// DiscussionLocked: only project members may comment
	// (app/policies/issuable_policy.rb: locked & ~is_project_member).
	DiscussionLocked bool
}

// AddMergeRequests adds n opened merge requests by author, created one minute
// apart, newest last, and returns them.
func (s *Server) AddMergeRequests(p *Project, author *User, n int) []*MergeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*MergeRequest
	for range n {
		iid := int64(len(s.mrs[p.ID]) + 1)
		t := s.now().UTC().Add(-time.Duration(10000-iid) * time.Minute).Truncate(time.Millisecond)
		mr := &MergeRequest{
			ID: s.id(), IID: iid, ProjectID: p.ID,
			Title: fmt.Sprintf("Change %d to the models", iid), State: "opened",
			SourceBranch: fmt.Sprintf("feature-%d", iid), TargetBranch: "main",
			SHA: fmt.Sprintf("%040x", 0xa000000+iid), BaseSHA: fmt.Sprintf("%040x", 0xb000000+iid),
			AuthorID: author.ID, CreatedAt: t, UpdatedAt: t,
		}
		s.mrs[p.ID] = append(s.mrs[p.ID], mr)
		s.commits[mr.SHA], s.commits[mr.BaseSHA] = true, true
		out = append(out, mr)
	}
	return out
}

// UpdateMergeRequest changes a merge request under the lock; updated_at moves
// to now unless fn set it.
func (s *Server) UpdateMergeRequest(mr *MergeRequest, fn func(*MergeRequest)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := mr.UpdatedAt
	s.commits[mr.SHA] = true // a pushed-over head stays a commit of the project
	fn(mr)
	s.commits[mr.SHA] = true
	if mr.UpdatedAt.Equal(before) {
		mr.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	}
}

// GetMergeRequest returns a copy of a merge request.
func (s *Server) GetMergeRequest(projectID, iid int64) MergeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	mr := s.findMR(projectID, iid)
	if mr == nil {
		s.t.Fatalf("gitlabtest: no merge request !%d in project %d", iid, projectID)
	}
	return *mr
}

// Note is a note on a merge request. Every note belongs to a discussion:
// a plain note is a discussion of its own (individual_note), a
// "DiscussionNote" starts or answers a thread that can be resolved.
type Note struct {
	ID           int64
	Body         string
	AuthorID     int64
	System       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Type         string // "" for a plain note, "DiscussionNote" in a thread
	DiscussionID string
	Resolvable   bool
	Resolved     bool
	ResolvedByID int64
}

// AddNote adds a note as if author had posted it (no quick actions run).
func (s *Server) AddNote(mr *MergeRequest, author *User, body string, system bool) *Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addNote(mr, author.ID, body, system)
}

func (s *Server) addNote(mr *MergeRequest, authorID int64, body string, system bool) *Note {
	now := s.now().UTC().Truncate(time.Millisecond)
	// Keep created_at strictly increasing so that the order is total.
	key := [2]int64{mr.ProjectID, mr.IID}
	if ns := s.notes[key]; len(ns) > 0 && !now.After(ns[len(ns)-1].CreatedAt) {
		now = ns[len(ns)-1].CreatedAt.Add(time.Millisecond)
	}
	n := &Note{ID: s.id(), Body: body, AuthorID: authorID, System: system, CreatedAt: now, UpdatedAt: now}
	n.DiscussionID = discussionID(n.ID)
	s.notes[key] = append(s.notes[key], n)
	mr.UpdatedAt = now
	return n
}

// Notes returns copies of the notes of a merge request, oldest first.
func (s *Server) Notes(projectID, iid int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copies(s.notes[[2]int64{projectID, iid}])
}

// UserNotes returns the non-system notes of a merge request, oldest first.
func (s *Server) UserNotes(projectID, iid int64) []Note {
	var out []Note
	for _, n := range s.Notes(projectID, iid) {
		if !n.System {
			out = append(out, n)
		}
	}
	return out
}

// CommitStatus is a commit status set through the API: a job of stage
// "external" in a pipeline of the commit.
type CommitStatus struct {
	ID          int64
	ProjectID   int64
	SHA         string
	State       string
	Name        string
	Description string
	TargetURL   string
	Ref         string
	PipelineID  int64
	AuthorID    int64
}

// Statuses returns copies of the commit statuses set so far.
func (s *Server) Statuses() []CommitStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copies(s.statuses)
}

// copies returns values of the pointed-to items, so that tests read a
// snapshot and never race with the server.
func copies[T any](items []*T) []T {
	out := make([]T, 0, len(items))
	for _, it := range items {
		out = append(out, *it)
	}
	return out
}

// Hook is a project webhook.
type Hook struct {
	ID                  int64
	ProjectID           int64
	URL                 string
	Token               string
	MergeRequestsEvents bool
	NoteEvents          bool
	PipelineEvents      bool
	EnableSSL           bool
}

// Hooks returns copies of the project hooks.
func (s *Server) Hooks() []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copies(s.hooks)
}

// Job is a CI job of a pipeline, found by its CI_JOB_TOKEN while it runs.
type Job struct {
	ID        int64
	Name      string
	ProjectID int64
	Ref       string // the branch, or refs/merge-requests/<iid>/head for a merge request pipeline
	SHA       string
	Token     string
	// PipelineID and PipelineIID are the job's pipeline; PipelineSource is
	// how it started: "push" for a branch pipeline, "merge_request_event"
	// for a merge request pipeline.
	PipelineID     int64
	PipelineIID    int64
	PipelineSource string
	// Status is "running" until FinishJob; GitLab refuses the token of a
	// job that is not running (401).
	Status string
	// Artifacts are the files of the job's artifacts archive, by their
	// path in it ("target/manifest.json").
	Artifacts map[string][]byte
	// ArtifactsExpired: the archive is gone (expire_in passed).
	ArtifactsExpired bool
}

// Pipeline is a CI pipeline of a commit. Commit statuses attach to one.
type Pipeline struct {
	ID        int64
	IID       int64
	ProjectID int64
	Ref       string
	SHA       string
	Status    string // success, failed, running, ...
	Source    string // push, merge_request_event, external, ...
	CreatedAt time.Time
	Jobs      []*Job
}

// JobSpec describes a job for AddPipeline.
type JobSpec struct {
	Name      string
	Status    string // "" for the pipeline's status
	Artifacts map[string][]byte
}

// AddPipeline adds a finished (or running) pipeline of ref at sha with the
// given jobs and returns it. Jobs get job tokens, valid while they run.
func (s *Server) AddPipeline(p *Project, ref, sha, status string, jobs ...JobSpec) *Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	source := "push"
	if strings.HasPrefix(ref, "refs/merge-requests/") {
		source = "merge_request_event"
	}
	pl := s.newPipeline(p.ID, ref, sha, status, source)
	for _, js := range jobs {
		st := js.Status
		if st == "" {
			st = status
		}
		j := &Job{ID: s.id(), Name: js.Name, ProjectID: p.ID, Ref: ref, SHA: sha, PipelineID: pl.ID, PipelineIID: pl.IID,
			PipelineSource: source, Status: st, Artifacts: js.Artifacts}
		j.Token = fmt.Sprintf("glcbt-fake%010d", j.ID)
		s.jobs[j.Token] = j
		pl.Jobs = append(pl.Jobs, j)
	}
	return pl
}

// newPipeline records a pipeline. Called with the lock held.
func (s *Server) newPipeline(projectID int64, ref, sha, status, source string) *Pipeline {
	pl := &Pipeline{ID: s.id(), ProjectID: projectID, Ref: ref, SHA: sha, Status: status, Source: source,
		CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	pl.IID = pl.ID % 1000
	s.pipelines = append(s.pipelines, pl)
	s.commits[sha] = true
	return pl
}

// UpdateJob changes a job under the lock (expire its artifacts, say).
func (s *Server) UpdateJob(j *Job, fn func(*Job)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(j)
}

// AddJob adds a running job of a branch pipeline and returns it with its
// job token.
func (s *Server) AddJob(p *Project, ref, sha string) *Job {
	return s.addJob(p, ref, sha, "push")
}

// AddMergeRequestJob adds a running job of a merge request pipeline
// (CI_PIPELINE_SOURCE=merge_request_event): its ref is
// refs/merge-requests/<iid>/head, or .../merge for a merged results
// pipeline, whose sha is then a merge commit rather than the head.
func (s *Server) AddMergeRequestJob(p *Project, iid int64, sha string, mergedResults bool) *Job {
	kind := "head"
	if mergedResults {
		kind = "merge"
	}
	return s.addJob(p, fmt.Sprintf("refs/merge-requests/%d/%s", iid, kind), sha, "merge_request_event")
}

func (s *Server) addJob(p *Project, ref, sha, source string) *Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	pl := s.newPipeline(p.ID, ref, sha, "running", source)
	j := &Job{ID: s.id(), Name: "recce", ProjectID: p.ID, Ref: ref, SHA: sha, PipelineID: pl.ID, PipelineIID: pl.IID, PipelineSource: source, Status: "running"}
	j.Token = fmt.Sprintf("glcbt-fake%010d", j.ID)
	s.jobs[j.Token] = j
	pl.Jobs = append(pl.Jobs, j)
	return j
}

// FinishJob ends a job: its token stops working.
func (s *Server) FinishJob(j *Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stored := s.jobs[j.Token]; stored != nil {
		stored.Status = "success"
	}
}

// ---- the request log ----

// Request is one request the fake received. Headers are never recorded.
type Request struct {
	Method  string
	Path    string // API path after /api/v4, query string excluded
	Query   string
	Write   bool // POST, PUT, PATCH or DELETE
	Status  int
	Faulted bool // answered by an injected fault
}

// Requests returns the log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Writes returns the logged write requests.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Write {
			out = append(out, r)
		}
	}
	return out
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// ---- faults ----

// Fault changes the answers to matching requests.
type Fault struct {
	Method string // "" matches any method
	Path   string // substring of the API path, "" matches any
	Times  int    // how many matching requests it affects (0 means 1)
	// After lets the first After matching requests through untouched: a
	// fault on the second page of a listing, for example.
	After int

	// Status, when not 0, is answered (with Body and Header) instead of the
	// real answer.
	Status int
	Body   string
	Header http.Header
	// AfterWrite handles the request for real (the write is stored) and then
	// answers Status, or hangs when Delay is set: GitLab did the work but the
	// client never hears of it.
	AfterWrite bool
	// Delay holds the answer back (until the client gives up, if longer than
	// its timeout).
	Delay time.Duration
	// Gate, when set, holds the request (after its write, with AfterWrite)
	// until the test releases the gate: GitLab stuck on the request for as
	// long as the test needs, while it kills the client for example. A
	// request whose client went away meanwhile ends there (logged as 499):
	// without AfterWrite nothing was written. Otherwise the fault goes on
	// (Delay, Status, or the real answer).
	Gate *Gate

	hits, passed int
}

// Gate holds the requests of a Fault until Release. Make one with NewGate.
type Gate struct {
	arrived     chan struct{}
	arriveOnce  sync.Once
	released    chan struct{}
	releaseOnce sync.Once
}

// NewGate returns a closed gate. It is released when the test ends at the
// latest, so that the fake can stop.
func (s *Server) NewGate() *Gate {
	g := &Gate{arrived: make(chan struct{}), released: make(chan struct{})}
	s.t.Cleanup(g.Release)
	return g
}

// Arrived is closed when the first request reaches the gate (after its
// write, for an AfterWrite fault).
func (g *Gate) Arrived() <-chan struct{} { return g.arrived }

// Release lets the held requests go on, and every later one pass.
func (g *Gate) Release() { g.releaseOnce.Do(func() { close(g.released) }) }

// hold keeps r at the gate and reports whether its client is still there.
func (g *Gate) hold(r *http.Request) bool {
	g.arriveOnce.Do(func() { close(g.arrived) })
	select {
	case <-g.released:
	case <-r.Context().Done():
	}
	return r.Context().Err() == nil
}

// Inject adds a fault. Faults are matched in the order they were added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// NotesRateLimited is the notes rate limit as GitLab answers it: 429, the
// exact body, and no RateLimit-* or Retry-After header.
func NotesRateLimited(times int) Fault {
	return Fault{Method: http.MethodPost, Path: "/notes", Times: times, Status: http.StatusTooManyRequests, Body: NotesRateLimitBody}
}

// CommitStatusLockedBody is GitLab's answer while another request holds
// the commit's status lock (app/services/ci/create_commit_status_service.rb,
// FailedToObtainLockError, rendered by lib/api/commit_statuses.rb's conflict!).
const CommitStatusLockedBody = `{"message":"Another update to this commit status is in progress"}`

// CommitStatusLocked answers the next times commit status posts with 409,
// as GitLab does when it could not take the lock within its own retries.
func CommitStatusLocked(times int) Fault {
	return Fault{Method: http.MethodPost, Path: "/statuses/", Times: times, Status: http.StatusConflict, Body: CommitStatusLockedBody}
}

// BadGateway answers 502 (as a load balancer in front of GitLab does) to the
// next times requests matching method and path.
func BadGateway(method, path string, times int) Fault {
	return Fault{Method: method, Path: path, Times: times, Status: http.StatusBadGateway,
		Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", Header: http.Header{"Content-Type": {"text/html"}}}
}

func (s *Server) takeFault(method, path string) *Fault {
	for _, f := range s.faults {
		if f.hits >= f.Times {
			continue
		}
		if (f.Method == "" || f.Method == method) && strings.Contains(path, f.Path) {
			if f.passed < f.After {
				f.passed++
				continue
			}
			f.hits++
			c := *f
			return &c
		}
	}
	return nil
}

// SetNotesRateLimit makes the fake enforce GitLab's notes rate limit:
// at most limit note creations per user in any window of the given length
// (60 a minute on gitlab.com; tests shrink the window). Past it, a create
// answers GitLab's 429, with no RateLimit-* or Retry-After header. The
// window is measured on the wall clock, not SetNow's: it is about the pace
// of requests. limit 0 removes the limit.
func (s *Server) SetNotesRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notesLimit, s.notesWindow, s.noteCreates = limit, window, map[int64][]time.Time{}
}

// NotesRateLimitedCount is how many note creations the limit of
// SetNotesRateLimit refused.
func (s *Server) NotesRateLimitedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notesLimited
}

// takeNoteCreate records a note creation by user and reports whether the
// limit allows it. Called with the lock held.
func (s *Server) takeNoteCreate(user int64) bool {
	if s.notesLimit <= 0 {
		return true
	}
	now := time.Now()
	kept := s.noteCreates[user][:0]
	for _, t := range s.noteCreates[user] {
		if now.Sub(t) < s.notesWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) >= s.notesLimit {
		s.noteCreates[user] = kept
		s.notesLimited++
		return false
	}
	s.noteCreates[user] = append(kept, now)
	return true
}

// Secrets returns every secret the fake knows (token values, job tokens,
// webhook secrets), for tests that assert none of them leaked into output.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for v := range s.tokens {
		out = append(out, v)
	}
	for v := range s.jobs {
		out = append(out, v)
	}
	for _, h := range s.hooks {
		if h.Token != "" {
			out = append(out, h.Token)
		}
	}
	return out
}
