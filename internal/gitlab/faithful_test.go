package gitlab

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/store"
)

// Issue 14, points 1 to 7: GitLab as it really is (the fake now does what
// GitLab's source does), and what recce makes of it.

// Point 1. The documented CI file names its job "recce"; a status of that
// name joins the job's pipeline and GitLab refuses it.
func TestStatusNameTakenByACIJob(t *testing.T) {
	e := setup(t)
	pl := e.fake.AddPipeline(e.project, "refs/merge-requests/1/head", e.mr.SHA, "running", gitlabtest.JobSpec{Name: "recce"})
	c := e.client(t, e.token)

	_, err := c.SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{Name: "recce", State: StatusSuccess})
	var ge *Error
	if KindOf(err) != KindStatusNameTaken || !asError(err, &ge) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{`"recce"`, "CI job", "--status-name", DefaultStatusName} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	// The default name joins the same pipeline without a clash.
	res, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1, Status: StatusSuccess})
	if err != nil {
		t.Fatal(err)
	}
	st := e.fake.Statuses()
	if len(st) != 1 || st[0].Name != DefaultStatusName || st[0].PipelineID != pl.ID || res.CommitStatus.Name != DefaultStatusName {
		t.Fatalf("statuses = %+v", st)
	}
	// A configured name is used as given.
	if _, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1, Status: StatusFailed, StatusName: "data/recce"}); err != nil {
		t.Fatal(err)
	}
	if st := e.fake.Statuses(); len(st) != 2 || st[1].Name != "data/recce" {
		t.Fatalf("statuses = %+v", st)
	}
}

func asError(err error, e **Error) bool {
	ge, ok := err.(*Error)
	*e = ge
	return ok
}

// Point 2. GitLab stores a note without carriage returns and trailing
// white space; recce compares in that form.
func TestSummaryComparedAsGitLabStoresIt(t *testing.T) {
	e := setup(t)
	body := "## Recce summary\r\n\r\n| model | rows |  \r\n|---|---|\r\n| orders | 10 |\r\n\n\n"
	c := e.client(t, e.token)
	res, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: body})
	if err != nil || res.Action != "created" {
		t.Fatalf("first: %+v %v", res, err)
	}
	// A new summary is one POST, not a POST then a PUT.
	if w := e.fake.Writes(); len(w) != 1 || w[0].Method != http.MethodPost {
		t.Fatalf("writes = %+v", w)
	}
	stored := e.summaries(t)[0].Body
	if strings.Contains(stored, "\r") || strings.HasSuffix(stored, "\n") {
		t.Fatalf("the fake stored %q", stored)
	}
	// The same summary again, from another pipeline: nothing is written,
	// so no "edited" mark and no Note Hook.
	e.fake.ResetLog()
	res, err = e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: body})
	if err != nil || res.Action != "unchanged" {
		t.Fatalf("second: %+v %v", res, err)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("writes = %+v", w)
	}
}

// Point 2. `recce gitlab note` after a lost answer: the note GitLab stored
// (without the trailing newline) is recognised, never posted again.
func TestPlainNoteNotRepeatedWhenStoredDiffers(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: true, Status: http.StatusBadGateway,
		Body: "<html>502</html>", Header: http.Header{"Content-Type": {"text/html"}}})
	n, err := e.client(t, e.token).PostNote(t.Context(), "data/analytics", e.mr.IID, "Reviewed the orders model.\r\n\n")
	if err != nil {
		t.Fatal(err)
	}
	notes := e.fake.UserNotes(e.project.ID, e.mr.IID)
	if len(notes) != 1 || notes[0].ID != n.ID || notes[0].Body != "Reviewed the orders model." || e.posts() != 1 {
		t.Fatalf("notes = %+v, %d posts", notes, e.posts())
	}
}

// Point 3. A fork's merge request head is on no branch of the project:
// GitLab answers 404 "References for commit Not Found"; the note is
// posted, and the error says why there is no status.
func TestForkMergeRequestStatus(t *testing.T) {
	e := setup(t)
	fork := e.fake.AddMergeRequests(e.project, e.human, 1)[0]
	e.fake.UpdateMergeRequest(fork, func(m *gitlabtest.MergeRequest) { m.SourceProjectID = 77; m.SHA = strings.Repeat("f", 40) })
	res, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", fork.IID, Summary{Body: summaryV1, Status: StatusFailed})
	if KindOf(err) != KindNoBranch || !strings.Contains(err.Error(), "fork") || !strings.Contains(err.Error(), "References for commit Not Found") {
		t.Fatalf("err = %v", err)
	}
	if res == nil || res.Action != "created" || len(e.fake.UserNotes(e.project.ID, fork.IID)) != 1 || len(e.fake.Statuses()) != 0 {
		t.Fatalf("res = %+v, statuses %+v", res, e.fake.Statuses())
	}
	// A commit GitLab does not know at all is another 404.
	_, err = e.client(t, e.token).SetCommitStatus(t.Context(), "data/analytics", strings.Repeat("0", 40), CommitStatus{State: StatusFailed})
	if KindOf(err) != KindNotFound || !strings.Contains(err.Error(), "not in project") {
		t.Fatalf("unknown commit: %v", err)
	}
}

// Point 4. 403 has three causes that "ask for the Maintainer role" does
// not cure.
func TestForbiddenSaysWhy(t *testing.T) {
	e := setup(t)
	outsider := e.fake.AddUser("outsider")
	tok := e.fake.AddToken(outsider, "outsider", []string{"api"}, "")
	c := e.client(t, tok)

	// Private project: not even visible.
	if _, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "hello"); KindOf(err) != KindNotFound {
		t.Fatalf("private: %v", err)
	}
	// Public: readable and open to comments, but not to statuses.
	e.fake.UpdateProject(e.project, func(p *gitlabtest.Project) { p.Visibility = "public" })
	if _, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "hello"); err != nil {
		t.Fatalf("a non-member comments on a public project: %v", err)
	}
	_, err := c.SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: StatusSuccess})
	if KindOf(err) != KindNotMember || !strings.Contains(err.Error(), "outsider is not a member of data/analytics") ||
		!strings.Contains(err.Error(), "public") || !strings.Contains(err.Error(), "add outsider") {
		t.Fatalf("public, non-member: %v", err)
	}
	// A locked discussion refuses non-members' comments.
	e.fake.UpdateMergeRequest(e.mr, func(m *gitlabtest.MergeRequest) { m.DiscussionLocked = true })
	if _, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "again"); KindOf(err) != KindLocked || !strings.Contains(err.Error(), "Unlock discussion") {
		t.Fatalf("locked: %v", err)
	}
	// ... and not members'.
	if _, err := e.client(t, e.token).PostNote(t.Context(), "data/analytics", e.mr.IID, "member"); err != nil {
		t.Fatalf("a member on a locked discussion: %v", err)
	}
	// An archived project refuses every write, Maintainer or not.
	e.fake.UpdateProject(e.project, func(p *gitlabtest.Project) { p.Archived = true })
	_, err = e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if KindOf(err) != KindArchived || !strings.Contains(err.Error(), "archived") || strings.Contains(err.Error(), "Maintainer role") {
		t.Fatalf("archived: %v", err)
	}
	// A member with too low a role is told the role.
	e.fake.UpdateProject(e.project, func(p *gitlabtest.Project) { p.Archived = false })
	reporter := e.fake.AddUser("rita")
	e.fake.SetMember(e.project, reporter, gitlabtest.Reporter)
	_, err = e.client(t, e.fake.AddToken(reporter, "r", []string{"api"}, "")).SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: StatusSuccess})
	if KindOf(err) != KindForbidden || !strings.Contains(err.Error(), "rita is a Reporter") || !strings.Contains(err.Error(), "Developer") {
		t.Fatalf("reporter: %v", err)
	}
	// The doctor says so before anything is posted.
	e.fake.UpdateProject(e.project, func(p *gitlabtest.Project) { p.Archived = true })
	r, err := e.client(t, e.token).Check(t.Context(), "data/analytics")
	if err != nil || r.OK || !strings.Contains(fmt.Sprint(r.Failed()), "archived") {
		t.Fatalf("doctor on an archived project: %+v %v", r.Failed(), err)
	}
}

// Point 5. GitLab refuses webhooks to local addresses by default.
func TestWebhookToALocalAddress(t *testing.T) {
	e := setup(t)
	c := e.client(t, e.token)
	for _, u := range []string{"http://127.0.0.1:8000" + WebhookPath, "http://localhost/hook", "https://10.1.2.3" + WebhookPath, "http://[::1]:80/x", "http://169.254.169.254/latest"} {
		_, err := c.CreateWebhook(t.Context(), "data/analytics", u, "whsec-local-1234")
		if KindOf(err) != KindURLBlocked || !strings.Contains(err.Error(), "Allow requests to the local network from webhooks and integrations") {
			t.Fatalf("%s: %v", u, err)
		}
	}
	if len(e.fake.Hooks()) != 0 {
		t.Fatal("a hook was created")
	}
	e.fake.SetAllowLocalRequestsFromWebHooks(true)
	if _, err := c.CreateWebhook(t.Context(), "data/analytics", "http://127.0.0.1:8000"+WebhookPath, "whsec-local-1234"); err != nil {
		t.Fatalf("with the admin setting: %v", err)
	}
}

// Point 6. The status lock, statuses reused or not, the notes limit and a
// rate limit that says how long to wait.
func TestCommitStatusLockIsRetried(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.CommitStatusLocked(2))
	if _, err := e.client(t, e.token).SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: StatusSuccess}); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for _, r := range e.fake.Writes() {
		codes = append(codes, r.Status)
	}
	if fmt.Sprint(codes) != "[409 409 201]" {
		t.Fatalf("status posts %v", codes)
	}
	e.fake.Inject(gitlabtest.CommitStatusLocked(100))
	_, err := e.client(t, e.token).SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: StatusSuccess})
	if KindOf(err) != KindConflict || !strings.Contains(err.Error(), "run the command again") {
		t.Fatalf("err = %v", err)
	}
}

func TestCommitStatusStatesAsGitLab(t *testing.T) {
	e := setup(t)
	c := e.client(t, e.token)
	set := func(state string) {
		t.Helper()
		if _, err := c.SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: state, Description: "waiting"}); err != nil {
			t.Fatalf("%s: %v", state, err)
		}
	}
	// pending twice: GitLab reuses the pending status and refuses the
	// transition; it is set, so recce takes it as done.
	set("pending")
	set("pending")
	if st := e.fake.Statuses(); len(st) != 1 || st[0].State != "pending" {
		t.Fatalf("statuses = %+v", st)
	}
	// success finishes that status; success again makes a new one.
	set(StatusSuccess)
	set(StatusSuccess)
	st := e.fake.Statuses()
	if len(st) != 2 || st[0].State != StatusSuccess || st[1].State != StatusSuccess || st[0].ID == st[1].ID {
		t.Fatalf("statuses = %+v", st)
	}
}

func TestNotesLimitOfAMergeRequest(t *testing.T) {
	e := setup(t)
	e.fake.MaxNotes = 6
	c := e.client(t, e.token)
	if _, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e.fake.AddNote(e.mr, e.human, fmt.Sprintf("note %d", i), i%2 == 0) // system notes count too
	}
	_, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "one more")
	if KindOf(err) != KindNotesLimit || !strings.Contains(err.Error(), "5000 notes") {
		t.Fatalf("err = %v", err)
	}
	// The summary is edited in place: still possible.
	res, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: strings.Replace(summaryV1, "10", "11", 1)})
	if err != nil || res.Action != "updated" {
		t.Fatalf("update at the limit: %+v %v", res, err)
	}
}

func TestRateLimitWithRetryAfter(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", Status: http.StatusTooManyRequests,
		Body: gitlabtest.NotesRateLimitBody, Header: http.Header{"Retry-After": {"60"}}})
	p := fast
	p.NoRateLimitWait = true
	_, err := e.client(t, e.token, func(o *Options) { o.Retry = p }).PostNote(t.Context(), "data/analytics", e.mr.IID, "hi")
	var ge *Error
	if KindOf(err) != KindRateLimited || !asError(err, &ge) || ge.RetryAfter != 20*time.Millisecond || !strings.Contains(ge.Hint, "Retry-After") {
		t.Fatalf("err = %v (%+v)", err, ge)
	}
	// Uncapped (the production cap is 2 minutes), Retry-After: 60 is a minute.
	p.MaxRetryAfter = 2 * time.Minute
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", Status: http.StatusTooManyRequests,
		Body: gitlabtest.NotesRateLimitBody, Header: http.Header{"Retry-After": {"60"}}})
	_, err = e.client(t, e.token, func(o *Options) { o.Retry = p }).PostNote(t.Context(), "data/analytics", e.mr.IID, "hi")
	if !asError(err, &ge) || ge.RetryAfter != time.Minute || !strings.Contains(ge.Hint, "wait 1m0s") {
		t.Fatalf("err = %v", err)
	}
}

// Point 7. A merge request updated while a sync of more than 100 reads its
// pages moves to the end of the updated_at order; with page numbers the
// one that crossed a page boundary was skipped until it changed again.
func TestSyncMissesNothingWhenAMergeRequestMovesMidway(t *testing.T) {
	e := setup(t)
	mrs := append([]*gitlabtest.MergeRequest{e.mr}, e.fake.AddMergeRequests(e.project, e.human, 249)...)
	st, c := e.syncedStore(t)
	// 150 merge requests get new commits, a millisecond apart.
	clock := time.Now().UTC().Truncate(time.Millisecond)
	e.fake.SetNow(func() time.Time { return clock })
	for i, mr := range mrs[:150] {
		clock = clock.Add(time.Millisecond)
		e.fake.UpdateMergeRequest(mr, func(m *gitlabtest.MergeRequest) { m.SHA = fmt.Sprintf("%040x", 0xd000000+i) })
	}
	// The sync's second request is held while the first merge request
	// changes again: it moves behind every other.
	gate := e.fake.NewGate()
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodGet, Path: "/merge_requests", After: 1, Gate: gate})
	done := make(chan error, 1)
	go func() { _, err := c.Sync(t.Context(), st, e.project.ID, nil); done <- err }()
	<-gate.Arrived()
	clock = clock.Add(time.Millisecond)
	e.fake.UpdateMergeRequest(mrs[0], func(m *gitlabtest.MergeRequest) { m.SHA = strings.Repeat("e", 40) })
	gate.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.assertStoreHasEach(t, st, mrs)
}

// Point 7, a bulk update: more than a page of merge requests in one
// millisecond, one of them updated again while the millisecond is read.
func TestSyncThroughACrowdedMillisecond(t *testing.T) {
	e := setup(t)
	mrs := append([]*gitlabtest.MergeRequest{e.mr}, e.fake.AddMergeRequests(e.project, e.human, 229)...)
	st, c := e.syncedStore(t)
	at := time.Now().UTC().Truncate(time.Millisecond)
	e.fake.SetNow(func() time.Time { return at })
	for i, mr := range mrs {
		e.fake.UpdateMergeRequest(mr, func(m *gitlabtest.MergeRequest) { m.SHA = fmt.Sprintf("%040x", 0xe000000+i) })
	}
	// Requests: the first page by key, a full page at the same
	// millisecond, then that millisecond by page number: hold its second
	// page while a merge request of its first page changes.
	gate := e.fake.NewGate()
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodGet, Path: "/merge_requests", After: 3, Gate: gate})
	done := make(chan error, 1)
	go func() { _, err := c.Sync(t.Context(), st, e.project.ID, nil); done <- err }()
	<-gate.Arrived()
	e.fake.SetNow(func() time.Time { return at.Add(time.Second) })
	e.fake.UpdateMergeRequest(mrs[3], func(m *gitlabtest.MergeRequest) { m.SHA = strings.Repeat("d", 40) })
	gate.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.assertStoreHasEach(t, st, mrs)
}

// syncedStore is a store after a first sync of the project.
func (e *env) syncedStore(t *testing.T) (*store.Store, *Client) {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := e.client(t, e.token)
	if _, err := c.Sync(t.Context(), st, e.project.ID, nil); err != nil {
		t.Fatal(err)
	}
	return st, c
}

// assertStoreHasEach fails unless the store has every merge request's
// head as GitLab has it now.
func (e *env) assertStoreHasEach(t *testing.T, st *store.Store, mrs []*gitlabtest.MergeRequest) {
	t.Helper()
	for _, mr := range mrs {
		want := e.fake.GetMergeRequest(e.project.ID, mr.IID)
		got, err := st.MergeRequest(t.Context(), e.project.ID, mr.IID)
		if err != nil || got.SHA != want.SHA {
			t.Fatalf("!%d: stored %s, GitLab has %s (%v)", mr.IID, got.SHA, want.SHA, err)
		}
	}
}
