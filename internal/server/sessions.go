package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/blob"
	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/store"
)

// Merge request sessions. A session is a merge request's review on the
// team server: what its pipeline last uploaded (store.Session: the state's
// checks and runs, the artifacts in the blob store), the reviewers' work
// on it (a workspace kept in the store, one per session), and what was
// posted back (the summary note, the commit status).
//
// A session's review is served under /api/mr/{iid}/... by the same
// handlers as the local review (review.go). This file opens those reviews
// on demand and keeps a few open: everything in them is in the store, so
// any instance can open any session, and each one checks, before every
// request, whether another instance moved the session on (a new upload,
// the server's run of the checks, a reviewer's change).

// ModeSession is a merge request session's review (GET /api/mr/{iid}/info).
const ModeSession Mode = "session"

// maxOpenSessions bounds the session reviews kept open in memory (their
// parsed artifacts can be large); the least recently used goes first.
const maxOpenSessions = 8

type sessions struct {
	s        *Server
	mu       sync.Mutex
	open     map[int64]*openSession // by iid
	building map[int64]*sync.Mutex  // one opening at a time per session
}

type openSession struct {
	rv        *review
	projectID int64
	versions  store.SessionVersions
	used      time.Time
}

func newSessions(s *Server) *sessions {
	return &sessions{s: s, open: map[int64]*openSession{}, building: map[int64]*sync.Mutex{}}
}

// errNoUpload is the answer for a merge request that has no session yet.
func errNoUpload(iid int64) error {
	return &apiError{Status: http.StatusNotFound,
		Message: fmt.Sprintf("no pipeline has uploaded to !%d yet: add `recce upload` after `recce run` in the merge request pipeline (see docs/gitlab.md)", iid),
		Detail:  map[string]string{"reason": "no_upload"}}
}

// sessionReview returns the review of merge request iid's session, opened
// (or reopened, when the session moved on) as needed.
func (s *Server) sessionReview(ctx context.Context, iidText string) (*review, error) {
	iid, err := parseIID(iidText)
	if err != nil {
		return nil, err
	}
	conn, err := s.connection(ctx)
	if err != nil {
		return nil, err
	}
	if conn == nil {
		return nil, errNotConnected()
	}
	return s.sessions.get(ctx, conn.ProjectID, iid)
}

func errNotConnected() error {
	return &apiError{Status: http.StatusConflict, Message: "GitLab is not connected: connect it in Settings, Integrations, GitLab",
		Detail: map[string]string{"reason": "not_connected"}}
}

func (ss *sessions) get(ctx context.Context, projectID, iid int64) (*review, error) {
	v, err := ss.s.opts.Store.SessionVersions(ctx, projectID, iid)
	if err != nil {
		return nil, err
	}
	if v.Revision == 0 {
		return nil, errNoUpload(iid)
	}
	if rv, err := ss.current(ctx, projectID, iid, v); rv != nil || err != nil {
		return rv, err
	}
	ss.mu.Lock()
	lock := ss.building[iid]
	if lock == nil {
		lock = &sync.Mutex{}
		ss.building[iid] = lock
	}
	ss.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()
	if rv, err := ss.current(ctx, projectID, iid, v); rv != nil || err != nil {
		return rv, err // opened by a concurrent request meanwhile
	}
	rv, err := ss.s.openSessionReview(ctx, projectID, iid)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	old := ss.open[iid]
	ss.open[iid] = &openSession{rv: rv, projectID: projectID, versions: v, used: time.Now()}
	evicted := ss.evict()
	ss.mu.Unlock()
	if old != nil {
		evicted = append(evicted, old.rv)
	}
	for _, e := range evicted {
		ss.closeLater(e)
	}
	return rv, nil
}

// current returns the open review when it still matches the session's
// upload and state, after taking in other instances' workspace changes.
func (ss *sessions) current(ctx context.Context, projectID, iid int64, v store.SessionVersions) (*review, error) {
	ss.mu.Lock()
	e := ss.open[iid]
	if e != nil {
		e.used = time.Now()
	}
	ss.mu.Unlock()
	if e == nil || e.projectID != projectID || e.versions.Revision != v.Revision || e.versions.StateVersion != v.StateVersion {
		return nil, nil
	}
	if err := e.rv.ws.refresh(ctx, v.WorkspaceVersion); err != nil {
		return nil, err
	}
	return e.rv, nil
}

// evict drops the least recently used reviews beyond maxOpenSessions,
// sparing those with runs in flight; call with ss.mu held.
func (ss *sessions) evict() []*review {
	var out []*review
	for len(ss.open) > maxOpenSessions {
		var oldest int64 = -1
		for iid, e := range ss.open {
			e.rv.ws.mu.Lock()
			busy := len(e.rv.ws.active) > 0
			e.rv.ws.mu.Unlock()
			if !busy && (oldest < 0 || e.used.Before(ss.open[oldest].used)) {
				oldest = iid
			}
		}
		if oldest < 0 {
			break
		}
		out = append(out, ss.open[oldest].rv)
		delete(ss.open, oldest)
	}
	return out
}

// closeLater closes a review that is no longer served: its runs in
// flight (on the artifacts of an older upload) are cancelled.
func (ss *sessions) closeLater(rv *review) {
	ss.s.bg.Add(1)
	go func() {
		defer ss.s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rv.ws.close(ctx); err != nil {
			ss.s.log.Warn("closing a session review", "iid", rv.session.IID, "error", err)
		}
	}()
}

func (ss *sessions) close(ctx context.Context) error {
	ss.mu.Lock()
	open := ss.open
	ss.open = map[int64]*openSession{}
	ss.mu.Unlock()
	var errs []error
	for _, e := range open {
		errs = append(errs, e.rv.ws.close(ctx))
	}
	return errors.Join(errs...)
}

// openSessionReview makes the review of a session from its latest upload:
// the artifacts parsed from the blob store, the checks and runs of the
// state, and the workspace saved in the store (reviewers' work carried
// over from earlier uploads, see carryReview).
func (s *Server) openSessionReview(ctx context.Context, projectID, iid int64) (*review, error) {
	sess, err := s.opts.Store.Session(ctx, projectID, iid)
	if err != nil {
		return nil, err
	}
	st, err := decodeSessionState(sess.StateJSON)
	if err != nil {
		return nil, err
	}
	arts, err := s.parsed.get(ctx, s.opts.Blobs, sess.ArtifactsBlob)
	if err != nil {
		return nil, err
	}
	env := s.sessionEnv(arts)
	rv := &review{mode: ModeSession, env: env, pr: st.PullRequest,
		session: &sessionRef{ProjectID: projectID, IID: iid, Revision: sess.Revision}}
	if env.Warehouse != nil {
		rv.warehouseType = s.opts.WarehouseType
	}
	if rv.pr == nil {
		rv.pr = &check.PullRequest{ID: iid}
	}
	ref := sess.ArtifactsBlob
	rv.artifacts = func() (check.Artifacts, error) { return s.uploadedArtifacts(context.Background(), ref) }
	v, err := s.opts.Store.SessionVersions(ctx, projectID, iid)
	if err != nil {
		return nil, err
	}
	cfg := workspaceConfig{
		store: &sessionWorkspace{st: s.opts.Store, projectID: projectID, iid: iid,
			// An approval changes the summary note and the threads: the
			// summary job brings them up to date.
			approvalsChanged: func(ctx context.Context) {
				if _, err := s.enqueue(ctx, newSummaryJob(projectID, iid)); err != nil {
					s.log.Warn("the summary of an approval was not queued", "iid", iid, "error", err)
				}
			}},
		initial: &Snapshot{Source: fmt.Sprintf("upload:%d:%d", sess.Revision, v.StateVersion), Checks: st.Checks, Runs: st.Runs},
		rebase:  carryReview,
	}
	return s.newReview(ctx, rv, cfg)
}

// sessionEnv is what a session's checks run against: the upload's
// artifacts and this server's warehouse, when it has one.
func (s *Server) sessionEnv(arts *parsedArtifacts) *check.Env {
	env := &check.Env{Base: arts.base, Current: arts.current}
	if s.opts.Mode != ModeReview && s.opts.Env.Warehouse != nil {
		env.Warehouse = s.opts.Env.Warehouse
	} else {
		env.NoWarehouse = errors.New("this recce server has no warehouse connection: the review shows the pipeline's runs, and checks that query data cannot run here (start the server in the dbt project, with its profiles.yml, to run them)")
	}
	return env
}

// carryReview makes a session's workspace for a new state (initial) from
// the one reviewers worked on (saved):
//   - the checks and runs are the new state's, plus the checks reviewers
//     added in the session, with their runs;
//   - comments stay on every check still there;
//   - approvals stay while the upload is the same (the server ran the
//     checks meanwhile); a new upload (a new commit) is approved afresh,
//     as its data changed, so only the pipeline's own approvals count;
//   - the runs reviewers made on the same upload are kept.
func carryReview(saved, initial *Snapshot) *Snapshot {
	out := &Snapshot{Version: snapshotVersion, Source: initial.Source, Checks: slices.Clone(initial.Checks),
		Runs: slices.Clone(initial.Runs), Comments: map[string][]Comment{}}
	sameUpload := uploadOf(saved.Source) == uploadOf(initial.Source)
	have := map[string]bool{}
	for _, c := range out.Checks {
		have[c.CheckID] = true
	}
	savedChecks := map[string]*check.Check{}
	for _, c := range saved.Checks {
		savedChecks[c.CheckID] = c
	}
	for i, c := range out.Checks {
		if old := savedChecks[c.CheckID]; sameUpload && old != nil && old.IsChecked != c.IsChecked {
			cc := *c
			cc.IsChecked, cc.UpdatedAt = old.IsChecked, old.UpdatedAt
			out.Checks[i] = &cc
		}
	}
	added := map[string]bool{}
	for _, c := range saved.Checks {
		if !have[c.CheckID] && !c.IsPreset {
			out.Checks = append(out.Checks, c)
			have[c.CheckID], added[c.CheckID] = true, true
		}
	}
	haveRun := map[string]bool{}
	for _, r := range out.Runs {
		haveRun[r.RunID] = true
	}
	for _, r := range saved.Runs {
		if !haveRun[r.RunID] && (added[r.CheckID] || (sameUpload && (r.CheckID == "" || have[r.CheckID]))) {
			out.Runs = append(out.Runs, r)
		}
	}
	for id, cs := range saved.Comments {
		if have[id] {
			out.Comments[id] = cs
		}
	}
	return out
}

// uploadOf is the upload part ("upload:3") of a session workspace source
// ("upload:3:5": revision 3, state version 5).
func uploadOf(source string) string {
	for i := len(source) - 1; i >= 0; i-- {
		if source[i] == ':' {
			return source[:i]
		}
	}
	return source
}

// sessionWorkspace keeps a session's workspace in the store, with a
// version: a save based on a version another instance has replaced is
// refused (store.ErrWorkspaceConflict), and the workspace reloads.
type sessionWorkspace struct {
	st             *store.Store
	projectID, iid int64
	mu             sync.Mutex
	version        int64
	// approved is the approvals of the workspace last loaded or saved;
	// approvalsChanged is called when a save changes them.
	approved         string
	approvalsChanged func(context.Context)
}

// approvalsOf lists a snapshot's approved checks, for comparison.
func approvalsOf(snap *Snapshot) string {
	var ids []string
	for _, c := range snap.Checks {
		if c.IsChecked {
			ids = append(ids, c.CheckID)
		}
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

func (w *sessionWorkspace) LoadWorkspace(ctx context.Context) (*Snapshot, error) {
	data, version, err := w.st.LoadSessionWorkspaceVersion(ctx, w.projectID, w.iid)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.version = version
	w.mu.Unlock()
	if data == nil {
		return nil, nil
	}
	var snap Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("the saved review of !%d cannot be read (%v): it starts again from the latest upload", w.iid, err)
	}
	w.mu.Lock()
	w.approved = approvalsOf(&snap)
	w.mu.Unlock()
	return &snap, nil
}

func (w *sessionWorkspace) SaveWorkspace(ctx context.Context, snap *Snapshot) error {
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	version, err := w.st.SaveSessionWorkspaceIf(ctx, w.projectID, w.iid, data, w.version)
	if err != nil {
		return err
	}
	w.version = version
	if a := approvalsOf(snap); a != w.approved {
		w.approved = a
		if w.approvalsChanged != nil {
			w.approvalsChanged(ctx)
		}
	}
	return nil
}

func (w *sessionWorkspace) Version() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.version
}

// ---- the state of a session ----

// sessionState is what a session keeps of an uploaded state file in the
// database: everything but the artifacts, which stay in the blob store.
type sessionState struct {
	Metadata    check.Metadata     `json:"metadata"`
	Checks      []*check.Check     `json:"checks"`
	Runs        []*check.Run       `json:"runs"`
	Git         *check.GitInfo     `json:"git,omitempty"`
	PullRequest *check.PullRequest `json:"pull_request,omitempty"`
}

func encodeSessionState(st *check.State) ([]byte, error) {
	return json.Marshal(sessionState{Metadata: st.Metadata, Checks: st.Checks, Runs: st.Runs, Git: st.Git, PullRequest: st.PullRequest})
}

// decodeSessionState reads a session's stored state as a state file
// without artifacts.
func decodeSessionState(data []byte) (*check.State, error) {
	var ss sessionState
	if err := json.Unmarshal(data, &ss); err != nil {
		return nil, fmt.Errorf("the stored state of the session cannot be read: %w", err)
	}
	st := &check.State{Metadata: ss.Metadata, Checks: ss.Checks, Runs: ss.Runs, Git: ss.Git, PullRequest: ss.PullRequest}
	if st.Checks == nil {
		st.Checks = []*check.Check{}
	}
	if st.Runs == nil {
		st.Runs = []*check.Run{}
	}
	return st, nil
}

// ---- the artifacts of uploads ----

// parsedArtifacts are an upload's manifests and catalogs, parsed.
type parsedArtifacts struct {
	base, current *dbt.Artifacts
}

// artifactCache keeps the parsed artifacts of the last few uploads:
// parsing a large project's manifests takes seconds, and the summary job
// and the session's review both need them. Entries are immutable (a blob
// ref names its content), so any instance may cache them.
type artifactCache struct {
	mu      sync.Mutex
	size    int
	entries []cachedArtifacts // most recent last
	loading map[string]*sync.Mutex
	// parsing bounds the uploads parsed at once: parsing holds an
	// upload's artifacts whole, and their parsed form.
	parsing slots
}

type cachedArtifacts struct {
	ref string
	a   *parsedArtifacts
}

func newArtifactCache(size int, parsing slots) *artifactCache {
	return &artifactCache{size: size, loading: map[string]*sync.Mutex{}, parsing: parsing}
}

func (c *artifactCache) lookup(ref string) *parsedArtifacts {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.ref == ref {
			c.entries = append(slices.Delete(c.entries, i, i+1), e)
			return e.a
		}
	}
	return nil
}

// get returns the parsed artifacts of the blob ref, parsing them once.
func (c *artifactCache) get(ctx context.Context, blobs blob.Store, ref string) (*parsedArtifacts, error) {
	if a := c.lookup(ref); a != nil {
		return a, nil
	}
	c.mu.Lock()
	lock := c.loading[ref]
	if lock == nil {
		lock = &sync.Mutex{}
		c.loading[ref] = lock
	}
	c.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()
	if a := c.lookup(ref); a != nil {
		return a, nil
	}
	release, err := c.parsing.wait(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	st, err := readUpload(ctx, blobs, ref)
	if err != nil {
		return nil, err
	}
	base, current, err := st.LoadArtifacts()
	if err != nil {
		return nil, fmt.Errorf("the uploaded artifacts cannot be read: %w", err)
	}
	a := &parsedArtifacts{base: base, current: current}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loading, ref)
	c.entries = append(c.entries, cachedArtifacts{ref: ref, a: a})
	if len(c.entries) > c.size {
		c.entries = c.entries[len(c.entries)-c.size:]
	}
	return a, nil
}

// readUpload decodes an uploaded state file from the blob store.
func readUpload(ctx context.Context, blobs blob.Store, ref string) (*check.State, error) {
	if blobs == nil {
		return nil, errNoArtifactStore()
	}
	if ref == "" {
		return nil, errors.New("the session has no uploaded artifacts")
	}
	rc, _, err := blobs.Open(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("open the uploaded state %s: %w", ref, err)
	}
	defer rc.Close()
	st, err := check.Decode(bufio.NewReaderSize(rc, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read the uploaded state %s: %w", ref, err)
	}
	return st, nil
}

// uploadedArtifacts are the artifact files of an upload, for a session's
// state file export.
func (s *Server) uploadedArtifacts(ctx context.Context, ref string) (check.Artifacts, error) {
	st, err := readUpload(ctx, s.opts.Blobs, ref)
	if err != nil {
		return check.Artifacts{}, err
	}
	return st.Artifacts, nil
}

func errNoArtifactStore() error {
	return &apiError{Status: http.StatusServiceUnavailable,
		Message: "this recce server has no artifact store for uploads: start it with --artifact-store (a directory, or s3://bucket/prefix)"}
}

// ---- GET /api/mr/{iid} ----

// sessionView is a session as the API shows it.
type sessionView struct {
	IID           int64             `json:"iid"`
	Status        string            `json:"status"`
	Revision      int64             `json:"revision"`
	HeadSHA       string            `json:"head_sha"`
	StateSHA      string            `json:"state_sha"`
	ResultError   string            `json:"result_error,omitempty"`
	UploadedAt    *time.Time        `json:"uploaded_at"`
	UploadedBy    string            `json:"uploaded_by"`
	PipelineID    int64             `json:"pipeline_id,omitempty"`
	JobID         int64             `json:"job_id,omitempty"`
	ArtifactsSize int64             `json:"artifacts_size"`
	Summary       *summaryView      `json:"summary"`
	CommitStatus  *commitStatusView `json:"commit_status"`
	UpdatedAt     *time.Time        `json:"updated_at"`
	// MergeRequest is the merge request as last synced, so that a review's
	// header needs no second request.
	MergeRequest *mergeRequestBrief `json:"merge_request"`
}

// mergeRequestBrief is what a merge request is, as the list and a session
// show it.
type mergeRequestBrief struct {
	Title        string     `json:"title"`
	State        string     `json:"state"`
	Draft        bool       `json:"draft"`
	SourceBranch string     `json:"source_branch"`
	TargetBranch string     `json:"target_branch"`
	SHA          string     `json:"sha"`
	Author       authorView `json:"author"`
	WebURL       string     `json:"web_url"`
}

type commitStatusView struct {
	SHA      string    `json:"sha"`
	State    string    `json:"state"`
	PostedAt time.Time `json:"posted_at"`
}

func briefOf(m store.MergeRequest) mergeRequestBrief {
	return mergeRequestBrief{Title: m.Title, State: m.State, Draft: m.Draft, SourceBranch: m.SourceBranch,
		TargetBranch: m.TargetBranch, SHA: m.SHA, Author: authorView{Username: m.Author}, WebURL: m.WebURL}
}

// apiStatus names a session status as the API and the web app do.
func apiStatus(st store.SessionStatus) string {
	switch st {
	case store.StatusWaiting:
		return "waiting"
	case store.StatusMismatch:
		return "mismatch"
	}
	return string(st)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) viewSession(ctx context.Context, projectID, iid int64) (*sessionView, error) {
	sess, err := s.opts.Store.Session(ctx, projectID, iid)
	if errors.Is(err, store.ErrNoSession) {
		return nil, errorf(http.StatusNotFound, "merge request !%d is not tracked: sync the merge requests, or check the number", iid)
	}
	if err != nil {
		return nil, err
	}
	mr, err := s.opts.Store.MergeRequest(ctx, projectID, iid)
	if err != nil {
		return nil, err
	}
	v := &sessionView{IID: iid, Status: apiStatus(sess.Status), Revision: sess.Revision, HeadSHA: sess.HeadSHA, StateSHA: sess.StateSHA,
		ResultError: sess.ResultError, UploadedAt: timePtr(sess.UploadedAt), UploadedBy: sess.UploadedBy, PipelineID: sess.PipelineID,
		JobID: sess.JobID, ArtifactsSize: sess.ArtifactsSize, UpdatedAt: timePtr(sess.UpdatedAt),
		MergeRequest: new(briefOf(*mr))}
	if !sess.SummaryPostedAt.IsZero() {
		v.Summary = &summaryView{NoteID: sess.SummaryNoteID, URL: noteURL(mr.WebURL, sess.SummaryNoteID), PostedAt: sess.SummaryPostedAt.UTC(), Status: summaryStatusOf(sess)}
	}
	if sess.CommitStatusSHA != "" {
		v.CommitStatus = &commitStatusView{SHA: sess.CommitStatusSHA, State: sess.CommitStatusState, PostedAt: sess.CommitStatusPostedAt.UTC()}
	}
	return v, nil
}

// summaryStatusOf is the gate status the session's summary says.
func summaryStatusOf(sess *store.Session) string {
	if sess.Verdict == store.StatusUpToDate {
		return "success"
	}
	return "failed"
}

// getSession answers GET /api/mr/{iid}: the merge request's session.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseIID(r.PathValue("iid"))
	if err != nil {
		return err
	}
	conn, err := s.connection(r.Context())
	if err != nil {
		return err
	}
	if conn == nil {
		return errNotConnected()
	}
	v, err := s.viewSession(r.Context(), conn.ProjectID, iid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// slots is a counting semaphore.
type slots chan struct{}

func newSlots(n int) slots { return make(slots, n) }

// try takes a slot if one is free.
func (s slots) try() (release func(), ok bool) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, true
	default:
		return nil, false
	}
}

// waitFor takes a slot, waiting at most d for one.
func (s slots) waitFor(ctx context.Context, d time.Duration) (release func(), ok bool) {
	if release, ok := s.try(); ok || d <= 0 {
		return release, ok
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	release, err := s.wait(ctx)
	return release, err == nil
}

// wait takes a slot, waiting for one as long as ctx allows.
func (s slots) wait(ctx context.Context) (release func(), err error) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
