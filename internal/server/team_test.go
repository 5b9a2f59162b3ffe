package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/blob"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/pgtest"
	"gitlab.com/recce-go/recce/internal/store"
)

// The team server end to end, against the fake GitLab with the real
// client: pipelines upload, the workers post one summary note and the
// commit status per merge request, and keep them right as commits come.

func TestUploadIsAuthenticatedByTheJobToken(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr, other := e.mrs[0], e.mrs[1]
	state := stateFile(t, mr.IID, lineageCheck)

	// No credentials, an unknown job token, a finished job: 401 with what to do.
	if r := h.upload(mr.IID, state); r.status != 401 || !strings.Contains(string(r.body), "CI_JOB_TOKEN") {
		t.Errorf("no credentials: %d %s", r.status, r.body)
	}
	if r := h.upload(mr.IID, state, "JOB-TOKEN", "glcbt-not-a-job"); r.status != 401 || !strings.Contains(string(r.body), "does not accept the CI job token") {
		t.Errorf("unknown job token: %d %s", r.status, r.body)
	}
	finished := e.fake.AddMergeRequestJob(e.project, mr.IID, mr.SHA, false)
	h.addSecrets(finished.Token)
	e.fake.FinishJob(finished)
	if r := h.upload(mr.IID, state, "JOB-TOKEN", finished.Token); r.status != 401 {
		t.Errorf("finished job: %d %s", r.status, r.body)
	}
	// A valid job of another merge request's pipeline, of another project: 403.
	if r := h.upload(mr.IID, state, e.pipeline([]*harness{h}, other)...); r.status != 403 || !strings.Contains(string(r.body), "runs for merge request") {
		t.Errorf("another merge request's job: %d %s", r.status, r.body)
	}
	elsewhere := e.fake.AddProject(77, "data/elsewhere")
	foreign := e.fake.AddMergeRequestJob(elsewhere, mr.IID, mr.SHA, false)
	h.addSecrets(foreign.Token)
	if r := h.upload(mr.IID, state, "JOB-TOKEN", foreign.Token); r.status != 403 || !strings.Contains(string(r.body), "not to the connected project") {
		t.Errorf("another project's job: %d %s", r.status, r.body)
	}
	if r := h.upload(mr.IID, state, e.pipeline([]*harness{h}, mr)...); r.status != 202 {
		t.Fatalf("the pipeline's own job: %d %s", r.status, r.body)
	}
	if r := h.request("POST", fmt.Sprintf("/api/mr/%d/upload?project=other/project", mr.IID), state, append([]string{"Sec-Fetch-Site", ""}, e.pipeline([]*harness{h}, mr)...)...); r.status != 403 {
		t.Errorf("upload for another project: %d %s", r.status, r.body)
	}
	if jobs, _ := h.store.Jobs(t.Context(), store.JobFilter{}); len(jobs) != 1 {
		t.Errorf("%d jobs after one accepted upload", len(jobs))
	}

	// A state file of another merge request, a file that is not a state
	// file, one without artifacts: 422, nothing recorded.
	if r := h.upload(mr.IID, stateFile(t, other.IID), e.pipeline([]*harness{h}, mr)...); r.status != 422 || !strings.Contains(string(r.body), fmt.Sprintf("belongs to merge request !%d", other.IID)) {
		t.Errorf("another merge request's state: %d %s", r.status, r.body)
	}
	if r := h.upload(mr.IID, []byte(`{"not": "a state"`), e.pipeline([]*harness{h}, mr)...); r.status != 422 {
		t.Errorf("not a state file: %d %s", r.status, r.body)
	}
	if r := h.upload(mr.IID, []byte(`{"checks": [], "runs": []}`), e.pipeline([]*harness{h}, mr)...); r.status != 422 || !strings.Contains(string(r.body), "no artifacts") {
		t.Errorf("no artifacts: %d %s", r.status, r.body)
	}
	sess, err := h.store.Session(t.Context(), e.project.ID, mr.IID)
	if err != nil || sess.Revision != 1 {
		t.Fatalf("refused uploads were recorded: %+v %v", sess, err)
	}

	// Compressed, as recce upload sends it.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(state)
	zw.Close()
	r := h.upload(mr.IID, gz.Bytes(), append(e.pipeline([]*harness{h}, mr), "Content-Encoding", "gzip")...)
	if r.status != 202 {
		t.Fatalf("gzip upload: %d %s", r.status, r.body)
	}
	if m := r.object(t); m["revision"] != float64(2) || m["head_sha"] != mr.SHA || m["session"] != fmt.Sprintf("/api/mr/%d", mr.IID) {
		t.Errorf("answer: %v", m)
	}
}

func TestUploadSizeLimitAndAPITokens(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.MaxUploadSize = 64 << 10 })
	e := connected(t, h)
	mr := e.mrs[0]
	if r := h.upload(mr.IID, stateFile(t, mr.IID), e.pipeline([]*harness{h}, mr)...); r.status != 413 || !strings.Contains(string(r.body), "--max-upload-size") {
		t.Fatalf("too large: %d %s", r.status, r.body)
	}
	h.opts.MaxUploadSize = 0
	h.restart()

	// A server API token, made in Settings, shown once.
	tok := h.ok(201, "POST", "/api/tokens", map[string]any{"name": "CI upload"}).object(t)
	secret := tok["token"].(string)
	if !strings.HasPrefix(secret, "recce_") {
		t.Fatalf("token: %v", tok)
	}
	list := h.ok(200, "GET", "/api/tokens", nil)
	if strings.Contains(string(list.body), secret) || !strings.Contains(string(list.body), "CI upload") {
		t.Fatalf("token list: %s", list.body)
	}
	// From now on, it must appear nowhere: its creation's answer is the
	// one place it may be.
	h.forgetAnswers()
	h.addSecrets(secret)
	r := h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), "Authorization", "Bearer "+secret)
	if r.status != 202 {
		t.Fatalf("API token upload: %d %s", r.status, r.body)
	}
	sess, _ := h.store.Session(t.Context(), e.project.ID, mr.IID)
	if sess.UploadedBy != "token CI upload" || sess.StateSHA != mr.SHA {
		t.Errorf("session: by %q, sha %s", sess.UploadedBy, sess.StateSHA)
	}
	h.ok(204, "DELETE", fmt.Sprintf("/api/tokens/%v", tok["id"]), nil)
	if r := h.upload(mr.IID, stateFile(t, mr.IID), "Authorization", "Bearer "+secret); r.status != 401 || !strings.Contains(string(r.body), "revoked") {
		t.Errorf("revoked token: %d %s", r.status, r.body)
	}
	if r := h.upload(mr.IID, stateFile(t, mr.IID), "Authorization", "Bearer recce_nope"); r.status != 401 {
		t.Errorf("unknown token: %d", r.status)
	}
}

func TestSummaryNoteCreatedThenUpdatedWithTheCommitStatus(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[1]

	// The first pipeline: the server runs the lineage check itself, posts
	// one note and a success status on the head.
	h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), stateFile(t, mr.IID, lineageCheck), append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	first := mr.SHA
	waitFor(t, "the summary note and status", func() bool { return e.lastStatus(first).State == "success" && h.pendingJobs() == 0 })
	notes := e.summaryNotes(mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "No data mismatch detected") || !strings.Contains(notes[0].Body, short(first)) {
		t.Fatalf("notes: %+v", notes)
	}
	st := e.lastStatus(first)
	if st.Name != gitlab.DefaultStatusName || !strings.Contains(st.Description, "No data mismatch") || !strings.Contains(st.TargetURL, fmt.Sprintf("#note_%d", notes[0].ID)) {
		t.Errorf("status: %+v", st)
	}
	sess := h.ok(200, "GET", fmt.Sprintf("/api/mr/%d", mr.IID), nil).object(t)
	if sess["status"] != "up_to_date" || sess["summary"].(map[string]any)["note_id"] != float64(notes[0].ID) || sess["commit_status"].(map[string]any)["state"] != "success" {
		t.Errorf("session: %v", sess)
	}
	if m, _ := sess["merge_request"].(map[string]any); m == nil || m["title"] != mr.Title || m["source_branch"] != mr.SourceBranch || m["web_url"] == "" {
		t.Errorf("session's merge request: %v", sess["merge_request"])
	}
	// Its summary note is the session's: posting the local review over it
	// is refused, and nothing is written.
	e.fake.ResetLog()
	refused := h.request("POST", fmt.Sprintf("/api/integrations/gitlab/merge-requests/%d/summary", mr.IID), nil)
	if refused.status != 409 || !strings.Contains(string(refused.body), `"reason":"session"`) {
		t.Errorf("hand-posted summary over a session: %d %s", refused.status, refused.body)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Errorf("the refused post wrote: %+v", w)
	}

	// A new commit, and its pipeline's upload: a check cannot complete
	// here (no warehouse), so the same note is edited and the status fails.
	e.push(mr, strings.Repeat("c", 40))
	h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), stateFile(t, mr.IID, lineageCheck, rowCountCheck), append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	waitFor(t, "the failed status on the new head", func() bool { return e.lastStatus(mr.SHA).State == "failed" && h.pendingJobs() == 0 })
	notes = e.summaryNotes(mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "did not complete") || !strings.Contains(notes[0].Body, short(mr.SHA)) {
		t.Fatalf("notes after the second upload: %+v", notes)
	}
	if n := len(e.fake.UserNotes(e.project.ID, mr.IID)); n != 1 {
		t.Errorf("%d notes on the merge request, want the one summary", n)
	}
	// It starts with what changed since the first upload's summary.
	if !strings.Contains(notes[0].Body, "## Since the Previous Summary\n_Compared with the summary of commit `"+short(first)+"`._") ||
		!strings.Contains(notes[0].Body, "| — | ⚠️ incomplete |") {
		t.Errorf("no since-the-previous-summary section:\n%s", notes[0].Body)
	}
	var mrs []map[string]any
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil).json(t, &mrs)
	for _, m := range mrs {
		if m["iid"] == float64(mr.IID) {
			if s := m["session"].(map[string]any); s["status"] != "failed" || s["revision"] != float64(2) {
				t.Errorf("list: %v", s)
			}
			if m["summary"].(map[string]any)["status"] != "failed" {
				t.Errorf("list summary: %v", m["summary"])
			}
		}
	}
	// Nothing new to say: another run of the job sends no write.
	e.fake.ResetLog()
	h.enqueueSummary(e, mr.IID)
	waitFor(t, "the job", func() bool { return h.pendingJobs() == 0 })
	if w := e.fake.Writes(); len(w) != 0 {
		t.Errorf("an unchanged summary was written again: %+v", w)
	}
}

// enqueueSummary asks for a session's summary job, as a webhook would.
func (h *harness) enqueueSummary(e *gitlabEnv, iid int64) {
	h.t.Helper()
	if _, err := h.srv.enqueue(h.t.Context(), newSummaryJob(e.project.ID, iid)); err != nil {
		h.t.Fatal(err)
	}
}

// pendingJobs counts the jobs not finished (pending or running).
func (h *harness) pendingJobs() int {
	n := 0
	for _, state := range []string{store.JobPending, store.JobRunning} {
		jobs, err := h.store.Jobs(h.t.Context(), store.JobFilter{State: state})
		if err != nil {
			h.t.Fatal(err)
		}
		n += len(jobs)
	}
	return n
}

func TestServerKilledBetweenUploadAndPost(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testKilledBetweenUploadAndPost(t, shared{dir: t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) {
		testKilledBetweenUploadAndPost(t, shared{databaseURL: pgtest.NewDatabase(t), dir: t.TempDir()})
	})
}

func testKilledBetweenUploadAndPost(t *testing.T, sh shared) {
	// An instance that only receives (its workers are off): the upload is
	// answered, then the instance is gone before anything was posted.
	a := newHarnessOn(t, jaffleEnv(t), sh, func(o *Options) { o.Jobs.Workers = -1 })
	e := connected(t, a)
	mr := e.mrs[0]
	a.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline([]*harness{a}, mr)...)
	a.stop()
	if n := len(e.fake.UserNotes(e.project.ID, mr.IID)); n != 0 {
		t.Fatalf("%d notes before any worker ran", n)
	}
	// A worker of another process had claimed the job and died with it:
	// its lease must run out before anyone takes the job over.
	dead, err := a.store.ClaimJob(t.Context(), "killed-instance", 300*time.Millisecond)
	if err != nil || dead == nil {
		t.Fatalf("claim: %v %v", dead, err)
	}

	b := newHarnessOn(t, jaffleEnv(t), sh)
	b.addSecrets(e.fake.Secrets()...)
	waitFor(t, "the note after the restart", func() bool { return e.lastStatus(mr.SHA).State == "success" && b.pendingJobs() == 0 })
	if notes := e.summaryNotes(mr.IID); len(notes) != 1 {
		t.Fatalf("%d summary notes, want 1", len(notes))
	}
	// Restarted again: nothing is posted twice.
	b.restart()
	b.enqueueSummary(e, mr.IID)
	waitFor(t, "the job", func() bool { return b.pendingJobs() == 0 })
	if n := len(e.fake.UserNotes(e.project.ID, mr.IID)); n != 1 {
		t.Errorf("%d notes after a second restart", n)
	}
	if n := len(e.statuses(mr.SHA)); n != 1 {
		t.Errorf("%d commit statuses, want 1", n)
	}
}

func TestGitLabFailingForAWhile(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[2]
	// GitLab is down behind its load balancer, then rate limits notes.
	e.fake.Inject(gitlabtest.BadGateway(http.MethodGet, fmt.Sprintf("/merge_requests/%d", mr.IID), 12))
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: true, Status: http.StatusBadGateway, Body: "bad gateway"})
	e.fake.Inject(gitlabtest.BadGateway(http.MethodPost, "/notes", 4))
	e.fake.Inject(gitlabtest.NotesRateLimited(3))
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodGet, Path: "/notes", Times: 2, Status: http.StatusTooManyRequests,
		Body: `{"message":"Retry later"}`, Header: http.Header{"Retry-After": {"0"}}})
	e.fake.Inject(gitlabtest.BadGateway(http.MethodPost, "/statuses/", 3))
	h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline([]*harness{h}, mr)...)
	waitFor(t, "the status once GitLab recovers", func() bool { return e.lastStatus(mr.SHA).State == "success" && h.pendingJobs() == 0 })
	if notes := e.summaryNotes(mr.IID); len(notes) != 1 {
		t.Fatalf("%d summary notes, want exactly 1", len(notes))
	}
	if n := len(e.statuses(mr.SHA)); n != 1 {
		t.Errorf("%d statuses", n)
	}
	m := string(h.ok(200, "GET", "/metrics", nil).body)
	for _, want := range []string{`recce_gitlab_requests_total{method="GET",status="502"}`, `recce_rate_limit_waits_total{source="gitlab"}`,
		`recce_jobs_total{kind="summary",outcome="retry"}`, `recce_jobs_total{kind="summary",outcome="done"} 1`, `recce_uploads_total{outcome="accepted"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOutdatedOnANewCommit(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	e.configureWebhook(h)
	byHook, bySync := e.mrs[0], e.mrs[1]
	for _, mr := range []*gitlabtest.MergeRequest{byHook, bySync} {
		h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline([]*harness{h}, mr)...)
	}
	waitFor(t, "both summaries", func() bool {
		return e.lastStatus(byHook.SHA).State == "success" && e.lastStatus(bySync.SHA).State == "success"
	})

	// A push, told by the webhook (oldrev set): the note says outdated, the
	// new head gets a pending status.
	old := byHook.SHA
	e.push(byHook, strings.Repeat("d", 40))
	if r := e.deliver(h, e.pushHook(t, byHook, old), "push-1"); r.status != 200 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	waitFor(t, "the pending status", func() bool { return e.lastStatus(byHook.SHA).State == "pending" })
	notes := e.summaryNotes(byHook.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "**Outdated.**") || !strings.Contains(notes[0].Body, short(old)) {
		t.Fatalf("notes: %+v", notes)
	}
	if st := e.lastStatus(byHook.SHA); st.Description != "waiting for recce upload" {
		t.Errorf("pending status: %+v", st)
	}
	if s := h.ok(200, "GET", fmt.Sprintf("/api/mr/%d", byHook.IID), nil).object(t); s["status"] != "outdated" {
		t.Errorf("session: %v", s)
	}
	// The same push seen by the sync instead (no webhook).
	e.push(bySync, strings.Repeat("e", 40))
	h.ok(200, "POST", "/api/integrations/gitlab/merge-requests/sync", nil)
	waitFor(t, "the pending status after a sync", func() bool { return e.lastStatus(bySync.SHA).State == "pending" })
	if notes := e.summaryNotes(bySync.IID); len(notes) != 1 || !strings.Contains(notes[0].Body, "Outdated") {
		t.Errorf("notes after the sync: %+v", notes)
	}

	// The new head's pipeline uploads: up to date again, the notice gone.
	h.upload(byHook.IID, stateFile(t, byHook.IID, lineageCheck), e.pipeline([]*harness{h}, byHook)...)
	waitFor(t, "success on the new head", func() bool { return e.lastStatus(byHook.SHA).State == "success" })
	if notes := e.summaryNotes(byHook.IID); len(notes) != 1 || strings.Contains(notes[0].Body, "Outdated") {
		t.Errorf("notes after the new upload: %+v", notes)
	}
	// An upload from the old head's pipeline, late, is refused.
	stale := e.fake.AddMergeRequestJob(e.project, bySync.IID, strings.Repeat("0", 32)+fmt.Sprintf("%08x", 0xa000000+bySync.IID), false)
	h.addSecrets(stale.Token)
	if r := h.upload(bySync.IID, stateFile(t, bySync.IID), "JOB-TOKEN", stale.Token); r.status != 403 || !strings.Contains(string(r.body), "newer pipeline") {
		t.Errorf("late upload of an old head: %d %s", r.status, r.body)
	}
}

func TestReviewNotesOfASession(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[0]
	base := fmt.Sprintf("/api/mr/%d", mr.IID)
	h.ok(404, "GET", base+"/checks", nil) // no upload yet: says to add recce upload
	h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck, rowCountCheck), e.pipeline([]*harness{h}, mr)...)
	waitFor(t, "the summary", func() bool { return e.lastStatus(mr.SHA).State != "" && h.pendingJobs() == 0 })

	info := h.ok(200, "GET", base+"/info", nil).object(t)
	if info["mode"] != "session" || info["session"].(map[string]any)["iid"] != float64(mr.IID) || info["pull_request"].(map[string]any)["title"] != "Change 1" {
		t.Errorf("info: mode %v session %v pr %v", info["mode"], info["session"], info["pull_request"])
	}
	if n := len(info["lineage"].(map[string]any)["nodes"].([]any)); n != 12 {
		t.Errorf("lineage: %d nodes", n)
	}
	lin := findCheck(t, h.ok(200, "GET", base+"/checks", nil).value(t), "Lineage of the change")
	if lin["last_run"] == nil || lin["last_run"].(map[string]any)["status"] != "Finished" {
		t.Errorf("the server's run of the lineage check: %v", lin["last_run"])
	}
	// The local review is another workspace.
	if got := h.ok(200, "GET", "/api/checks", nil).value(t).([]any); len(got) != 0 {
		t.Errorf("the session's checks leaked into the local review: %v", got)
	}

	// Approving and commenting in the session posts on that merge request.
	id := lin["check_id"].(string)
	ap := h.ok(200, "POST", base+"/checks/"+id+"/approve", map[string]any{"approved": true}).object(t)
	if note := ap["note"].(map[string]any); note["queued"] != true {
		t.Fatalf("approval: %v", ap["note"])
	}
	h.ok(201, "POST", base+"/checks/"+id+"/comments", map[string]any{"body": "Checked with the team.\n/close"})
	waitFor(t, "two review notes", func() bool { return len(e.fake.UserNotes(e.project.ID, mr.IID)) == 3 })
	if got := e.fake.GetMergeRequest(e.project.ID, mr.IID); got.State != "opened" {
		t.Errorf("a quick action ran: %s", got.State)
	}
	if n := len(e.fake.UserNotes(e.project.ID, e.mrs[1].IID)); n != 0 {
		t.Errorf("%d notes on another merge request", n)
	}

	// The state of the session, with the upload's artifacts.
	if exp := h.ok(200, "GET", base+"/state", nil); !bytes.Contains(exp.body, []byte(`"manifest": {`)) && !bytes.Contains(exp.body, []byte(`"manifest":{`)) {
		t.Errorf("the session's state export lacks the upload's artifacts: %.300s", exp.body)
	}

	// A new upload keeps the comments; a new commit asks for a new approval.
	e.push(mr, strings.Repeat("f", 40))
	h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck, rowCountCheck), e.pipeline([]*harness{h}, mr)...)
	waitFor(t, "the second summary", func() bool { return e.lastStatus(mr.SHA).State != "" && h.pendingJobs() == 0 })
	c := h.ok(200, "GET", base+"/checks/"+id, nil).object(t)
	if len(c["comments"].([]any)) != 1 || c["is_checked"] == true {
		t.Errorf("after a new upload: comments %v, approved %v", c["comments"], c["is_checked"])
	}

	// Read-only: the answer says the note will not be posted, and why.
	e.connect(h, e.readAPI, 200)
	ap = h.ok(200, "POST", base+"/checks/"+id+"/approve", map[string]any{"approved": true}).object(t)
	if note := ap["note"].(map[string]any); note["posted"] != false || note["queued"] == true || !strings.Contains(note["reason"].(string), "read_api") {
		t.Errorf("read-only approval: %v", note)
	}
}

// Two instances on one PostgreSQL behind a load balancer: the webhook of a
// push reaches both, the summary job is claimable by both; one note, one
// edit, one status.
func TestTwoInstancesOnOnePostgres(t *testing.T) {
	hs := postgresTeam(t, 2)
	a, b := hs[0], hs[1]
	e := connected(t, a)
	b.addSecrets(e.fake.Secrets()...)
	e.configureWebhook(a)
	mr := e.mrs[0]
	// The upload reaches b; either instance's workers may post.
	b.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline(hs, mr)...)
	waitFor(t, "the summary", func() bool { return e.lastStatus(mr.SHA).State == "success" })

	old := mr.SHA
	e.push(mr, strings.Repeat("9", 40))
	hook := e.pushHook(t, mr, old)
	e.fake.ResetLog()
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.deliver(h, hook, "delivery-1"); r.status != 200 {
				t.Errorf("webhook: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	waitFor(t, "the pending status", func() bool { return e.lastStatus(mr.SHA).State == "pending" })
	waitFor(t, "the jobs", func() bool { return a.pendingJobs() == 0 })
	if notes := e.summaryNotes(mr.IID); len(notes) != 1 || !strings.Contains(notes[0].Body, "Outdated") {
		t.Fatalf("notes: %+v", notes)
	}
	puts, posts := 0, 0
	for _, w := range e.fake.Writes() {
		switch {
		case w.Method == http.MethodPut && strings.Contains(w.Path, "/notes/"):
			puts++
		case w.Method == http.MethodPost:
			posts++
		}
	}
	if puts != 1 || posts != 1 { // the note edited once, the pending status set once
		t.Errorf("%d note edits and %d posts for one push, want 1 and 1: %+v", puts, posts, e.fake.Writes())
	}
	// The review of the session is the same from both instances.
	path := fmt.Sprintf("/api/mr/%d/checks", mr.IID)
	id := findCheck(t, a.ok(200, "GET", path, nil).value(t), "Lineage of the change")["check_id"].(string)
	a.ok(201, "POST", path+"/"+id+"/comments", map[string]any{"body": "from a"})
	b.ok(201, "POST", path+"/"+id+"/comments", map[string]any{"body": "from b"})
	for _, h := range hs {
		if c := findCheck(t, h.ok(200, "GET", path, nil).value(t), "Lineage of the change"); len(c["comments"].([]any)) != 2 {
			t.Errorf("%s sees comments %v", h.opts.Jobs.Instance, c["comments"])
		}
	}
}

// Fifty merge requests' pipelines upload at once to two instances: every
// merge request gets its own correct note and status, and the notes are
// created within GitLab's notes rate limit (enforced by the fake, scaled
// to a second so that the test takes seconds).
func TestFiftyMergeRequestsAtOnce(t *testing.T) {
	const n = 50
	hs := postgresTeam(t, 2, func(o *Options) {
		o.Jobs.NotesRate = store.RateLimit{Limit: 20, Per: time.Second}
	})
	e := connected(t, hs[0])
	hs[1].addSecrets(e.fake.Secrets()...)
	e.fake.SetNotesRateLimit(25, time.Second)
	mrs := append(e.mrs, e.fake.AddMergeRequests(e.project, e.human, n-len(e.mrs))...)
	hs[0].ok(200, "POST", "/api/integrations/gitlab/merge-requests/sync", nil)
	state := map[int64][]byte{}
	for _, mr := range mrs {
		state[mr.IID] = stateFile(t, mr.IID, lineageCheck)
	}
	var wg sync.WaitGroup
	for i, mr := range mrs {
		headers := e.pipeline(hs, mr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := hs[i%2].upload(mr.IID, state[mr.IID], headers...); r.status != 202 {
				t.Errorf("upload !%d: %d %s", mr.IID, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	waitFor(t, "50 statuses", func() bool {
		for _, mr := range mrs {
			if e.lastStatus(mr.SHA).State != "success" {
				return false
			}
		}
		return true
	})
	for _, mr := range mrs {
		notes := e.fake.UserNotes(e.project.ID, mr.IID)
		if len(notes) != 1 || !strings.Contains(notes[0].Body, short(mr.SHA)) {
			t.Errorf("!%d: %d notes, or not its own", mr.IID, len(notes))
		}
	}
	if n := e.fake.NotesRateLimitedCount(); n != 0 {
		t.Errorf("the fake refused %d notes: the server went over the notes rate limit", n)
	}
}

func TestMetricsAreProtectedLikeTheAPI(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = "server-token-0123456789" })
	h.addSecrets("server-token-0123456789")
	if r := h.request("GET", "/metrics", nil); r.status != 401 {
		t.Errorf("metrics without the token: %d", r.status)
	}
	h.request("GET", "/api/health", nil)
	m := string(h.ok(200, "GET", "/metrics", nil, "Authorization", "Bearer server-token-0123456789").body)
	for _, want := range []string{`recce_http_requests_total{method="GET",route="GET /api/health",status="200"} 1`, `route="unmatched",status="401"`, "go_goroutines"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%.2000s", want, m)
		}
	}
}

// A head move whose summary job was lost (here: recorded without one) is
// caught up by the background round, and pruning keeps recent jobs.
func TestBackgroundCatchesUpOutdatedSessions(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.SyncInterval = 20 * time.Millisecond })
	e := connected(t, h)
	mr := e.mrs[0]
	h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline([]*harness{h}, mr)...)
	waitFor(t, "the summary", func() bool { return e.lastStatus(mr.SHA).State == "success" && h.pendingJobs() == 0 })
	moved, err := h.store.MergeRequest(t.Context(), e.project.ID, mr.IID)
	if err != nil {
		t.Fatal(err)
	}
	moved.SHA, moved.UpdatedAt = strings.Repeat("b", 40), moved.UpdatedAt.Add(time.Minute)
	e.push(mr, moved.SHA)
	if _, err := h.store.UpsertMergeRequests(t.Context(), []store.MergeRequest{*moved}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the pending status from the catch-up", func() bool { return e.lastStatus(moved.SHA).State == "pending" })
	if notes := e.summaryNotes(mr.IID); len(notes) != 1 || !strings.Contains(notes[0].Body, "Outdated") {
		t.Errorf("notes: %+v", notes)
	}
	if jobs, _ := h.store.Jobs(t.Context(), store.JobFilter{State: store.JobDone}); len(jobs) == 0 {
		t.Error("recent jobs were pruned")
	}
}

// The webhook is created from the server (a PostgreSQL deployment has no
// data directory for `recce gitlab connect --create-webhook`).
func TestCreateWebhookFromTheServer(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.PublicURL = "https://recce.example.com" })
	e := connected(t, h)
	v := h.ok(200, "POST", webhookPath+"/create", nil).object(t)
	hooks := e.fake.Hooks()
	if len(hooks) != 1 || hooks[0].URL != "https://recce.example.com"+webhookPath || !hooks[0].MergeRequestsEvents || hooks[0].Token == "" {
		t.Fatalf("hooks: %+v", hooks)
	}
	h.addSecrets(hooks[0].Token)
	if wh := v["webhook"].(map[string]any); wh["configured"] != true || wh["url"] != hooks[0].URL {
		t.Errorf("view: %v", wh)
	}
	e.webhookSecret = hooks[0].Token
	if r := e.deliver(h, webhookPayload(t, 42, e.mrs[0].IID, "Renamed"), "k-1"); r.status != 200 {
		t.Errorf("delivery with the created secret: %d %s", r.status, r.body)
	}
	// A read_api token cannot create one, and nothing is sent to GitLab.
	e.connect(h, e.readAPI, 200)
	e.fake.ResetLog()
	if r := h.request("POST", webhookPath+"/create", nil); r.status != 403 || len(e.fake.Writes()) != 0 {
		t.Errorf("read-only: %d %s, %d writes", r.status, r.body, len(e.fake.Writes()))
	}
	// Nor delete it: disconnecting still erases the connection and says
	// where to remove the webhook by hand.
	m := h.ok(200, "DELETE", "/api/integrations/gitlab", nil).object(t)
	wh, _ := m["webhook"].(map[string]any)
	if m["disconnected"] != true || wh == nil || wh["deleted"] != false || !strings.Contains(wh["error"].(string), "read") ||
		wh["settings_url"] != e.fake.URL+"/data/analytics/-/hooks" || len(e.fake.Writes()) != 0 || len(e.fake.Hooks()) != 1 {
		t.Errorf("read-only disconnect: %v, %d writes", m, len(e.fake.Writes()))
	}

	// With api, disconnecting deletes the webhook it made.
	e.connect(h, e.api, 200)
	h.ok(200, "POST", webhookPath+"/create", nil)
	if n := len(e.fake.Hooks()); n != 2 {
		t.Fatalf("hooks: %d", n)
	}
	id := e.fake.Hooks()[1].ID
	h.addSecrets(e.fake.Hooks()[1].Token)
	m = h.ok(200, "DELETE", "/api/integrations/gitlab", nil).object(t)
	if wh, _ := m["webhook"].(map[string]any); wh == nil || wh["deleted"] != true || wh["id"] != float64(id) {
		t.Errorf("disconnect: %v", m)
	}
	if hooks := e.fake.Hooks(); len(hooks) != 1 || hooks[0].ID == id {
		t.Errorf("hooks after disconnect: %+v", hooks)
	}

	// Connecting to another project deletes the webhook of the one it
	// replaces (its secret goes with the old connection).
	e.connect(h, e.api, 200)
	h.ok(200, "POST", webhookPath+"/create", nil)
	id = e.fake.Hooks()[1].ID
	h.addSecrets(e.fake.Hooks()[1].Token)
	elsewhere := e.fake.AddProject(77, "data/elsewhere")
	e.fake.SetMember(elsewhere, &gitlabtest.User{ID: e.api.UserID}, gitlabtest.Maintainer)
	h.ok(200, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": e.api.Value, "project": "data/elsewhere"})
	if hooks := e.fake.Hooks(); len(hooks) != 1 || hooks[0].ID == id {
		t.Errorf("hooks after moving to another project: %+v", hooks)
	}
}

// An upload whose manifests cannot be parsed is taken (it is a state
// file), and the note and status say the server could not use it.
func TestUnreadableArtifactsAreReported(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[0]
	state := []byte(fmt.Sprintf(`{"metadata": {"schema_version": "v0"}, "checks": [], "runs": [],
		"artifacts": {"base": {"manifest": {"nodes": "not a map"}}, "current": {"manifest": {"nodes": 3}}}, "pull_request": {"id": %d}}`, mr.IID))
	if r := h.upload(mr.IID, state, e.pipeline([]*harness{h}, mr)...); r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	waitFor(t, "the failed status", func() bool { return e.lastStatus(mr.SHA).State == "failed" && h.pendingJobs() == 0 })
	notes := e.summaryNotes(mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "could not use this upload") {
		t.Fatalf("notes: %+v", notes)
	}
	if s := h.ok(200, "GET", fmt.Sprintf("/api/mr/%d", mr.IID), nil).object(t); s["status"] != "failed" || s["result_error"] == "" {
		t.Errorf("session: %v", s)
	}
	if st := e.lastStatus(mr.SHA); !strings.Contains(st.Description, "could not use the upload") {
		t.Errorf("status: %+v", st)
	}
}

func TestJobsEndpoint(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[1]
	h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), stateFile(t, mr.IID, lineageCheck), append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	waitFor(t, "the summary job", func() bool { return h.pendingJobs() == 0 })

	var jobs []map[string]any
	h.ok(200, "GET", "/api/jobs?state="+store.JobDone, nil).json(t, &jobs)
	found := false
	for _, j := range jobs {
		if j["kind"] == jobSummary && j["iid"] == float64(mr.IID) && j["state"] == store.JobDone {
			found = true
			// A finished job is not dead: nothing to retry.
			id := int64(j["id"].(float64))
			if r := h.request("POST", fmt.Sprintf("/api/jobs/%d/retry", id), nil); r.status != 409 {
				t.Errorf("retry of a finished job: %d %s", r.status, r.body)
			}
		}
	}
	if !found {
		t.Errorf("the done summary job of !%d is not listed: %v", mr.IID, jobs)
	}
	if r := h.request("POST", "/api/jobs/999999/retry", nil); r.status != 404 {
		t.Errorf("retry of no job: %d", r.status)
	}
}

// A session keeps its latest upload: the blob it replaced is deleted after
// the grace period, but never one that a session still uses, even when the
// same bytes come again in a refused upload.
func TestReplacedUploadsAreCollected(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.BlobGrace = time.Millisecond })
	e := connected(t, h)
	mr, other := e.mrs[0], e.mrs[1]
	upload := func(iid int64, state []byte, want int, mr *gitlabtest.MergeRequest) string {
		t.Helper()
		var res struct {
			Artifacts struct{ Ref string } `json:"artifacts"`
		}
		h.ok(want, "POST", fmt.Sprintf("/api/mr/%d/upload", iid), state, append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...).json(t, &res)
		waitFor(t, "the jobs", func() bool { return h.pendingJobs() == 0 })
		return res.Artifacts.Ref
	}
	exists := func(ref string) bool {
		_, err := h.opts.Blobs.Stat(t.Context(), ref)
		if err != nil && !errors.Is(err, blob.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	prune := func() {
		time.Sleep(5 * time.Millisecond)
		h.srv.prune()
	}

	first := stateFile(t, mr.IID, lineageCheck)
	a := upload(mr.IID, first, 202, mr)
	// The same bytes sent to another merge request are refused; the blob
	// is the first session's and stays.
	upload(other.IID, first, 422, other)
	prune()
	if !exists(a) {
		t.Fatal("a refused upload deleted the blob another session uses")
	}

	b := upload(mr.IID, stateFile(t, mr.IID, lineageCheck, rowCountCheck), 202, mr)
	if a == b || a == "" {
		t.Fatalf("refs %q and %q", a, b)
	}
	prune()
	if exists(a) || !exists(b) {
		t.Fatalf("after the round: replaced blob exists %v, current exists %v", exists(a), exists(b))
	}
	// The session still reads its upload.
	if r := h.request("GET", fmt.Sprintf("/api/mr/%d/state", mr.IID), nil); r.status != 200 {
		t.Errorf("the session's state: %d %s", r.status, r.body)
	}
	if m := string(h.ok(200, "GET", "/metrics", nil).body); !strings.Contains(m, "recce_blobs_collected_total 1") {
		t.Errorf("metrics:\n%s", m)
	}
}

// vanishingBlobs is a blob store whose next Stat finds nothing, as after a
// collector deleted the same bytes while they were being uploaded.
type vanishingBlobs struct {
	blob.Store
	vanish atomic.Bool
}

func (b *vanishingBlobs) Stat(ctx context.Context, ref string) (blob.Info, error) {
	if b.vanish.CompareAndSwap(true, false) {
		return blob.Info{}, blob.ErrNotFound
	}
	return b.Store.Stat(ctx, ref)
}

func TestAnUploadWhoseBlobVanishedIsRecordedOnTheRetry(t *testing.T) {
	var blobs *vanishingBlobs
	h := newHarness(t, jaffleEnv(t), func(o *Options) { blobs = &vanishingBlobs{Store: o.Blobs}; o.Blobs = blobs })
	e := connected(t, h)
	mr := e.mrs[0]
	state := stateFile(t, mr.IID, lineageCheck)
	blobs.vanish.Store(true)
	r := h.request("POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), state, append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	if r.status != 503 || !strings.Contains(string(r.body), "send it again") {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if sess, err := h.store.Session(t.Context(), e.project.ID, mr.IID); err != nil || sess.Revision != 0 || h.pendingJobs() != 0 {
		t.Fatalf("the refused upload was recorded: %+v %v, %d jobs", sess, err, h.pendingJobs())
	}
	h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), state, append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	if sess, err := h.store.Session(t.Context(), e.project.ID, mr.IID); err != nil || sess.Revision != 1 {
		t.Fatalf("the retry: %+v %v", sess, err)
	}
}

// Issue 14, point 10, for sessions: with --threads, one resolvable thread
// per check that did not complete or found a mismatch, resolved when a
// reviewer approves the check in the session, through the job queue.
func TestThreadsOfASession(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.GitLab.Threads = true })
	e := connected(t, h)
	mr := e.mrs[0]
	h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck, rowCountCheck), e.pipeline([]*harness{h}, mr)...)
	waitFor(t, "the summary", func() bool { return e.lastStatus(mr.SHA).State == "failed" && h.pendingJobs() == 0 })
	threads := func() []gitlabtest.Note {
		var out []gitlabtest.Note
		for _, n := range e.fake.Notes(e.project.ID, mr.IID) {
			if n.Type == "DiscussionNote" {
				out = append(out, n)
			}
		}
		return out
	}
	th := threads()
	if len(th) != 1 || th[0].Resolved || !strings.Contains(th[0].Body, gitlab.ThreadMarker(rowCountCheck.CheckID)) || !strings.Contains(th[0].Body, "Did not complete") {
		t.Fatalf("threads: %+v", th)
	}
	// The job again: nothing new, nothing written.
	e.fake.ResetLog()
	h.enqueueSummary(e, mr.IID)
	waitFor(t, "the job", func() bool { return h.pendingJobs() == 0 })
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("writes: %+v", w)
	}
	// A reviewer approves the check in the session: the thread is resolved.
	h.ok(200, "POST", fmt.Sprintf("/api/mr/%d/checks/%s/approve", mr.IID, rowCountCheck.CheckID), map[string]any{"approved": true})
	waitFor(t, "the resolved thread", func() bool { th := threads(); return len(th) == 1 && th[0].Resolved && h.pendingJobs() == 0 })
	if th := threads(); !strings.Contains(th[0].Body, "Approved in recce") {
		t.Errorf("thread after the approval: %+v", th[0])
	}
}
