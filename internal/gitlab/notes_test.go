package gitlab

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

const summaryV1 = "## Recce summary\n\n| model | rows |\n|---|---|\n| orders | 10 |\n\n<!-- recce:status=success -->\n"

func (e *env) summaries(t *testing.T) []gitlabtest.Note {
	t.Helper()
	var out []gitlabtest.Note
	for _, n := range e.fake.UserNotes(e.project.ID, e.mr.IID) {
		if n.AuthorID == e.bot.ID && strings.Contains(n.Body, SummaryMarker) {
			out = append(out, n)
		}
	}
	return out
}

func TestPostSummaryCreatesThenLeavesUnchangedThenUpdates(t *testing.T) {
	e := setup(t)
	c := e.client(t, e.token)
	res, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "created" || res.NoteID == 0 || res.URL != fmt.Sprintf("%s/data/analytics/-/merge_requests/%d#note_%d", e.fake.URL, e.mr.IID, res.NoteID) {
		t.Fatalf("first post = %+v", res)
	}
	notes := e.summaries(t)
	if len(notes) != 1 || !strings.HasPrefix(notes[0].Body, SummaryMarker) || !strings.Contains(notes[0].Body, "| orders | 10 |") {
		t.Fatalf("notes = %+v", notes)
	}

	// Same summary again, from a new client (a new pipeline): no write at all.
	e.fake.ResetLog()
	res2, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Action != "unchanged" || res2.NoteID != res.NoteID {
		t.Fatalf("second post = %+v", res2)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("unchanged summary made writes: %+v", w)
	}

	// A new summary edits the same note.
	e.fake.ResetLog()
	res3, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: strings.Replace(summaryV1, "10", "12", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if res3.Action != "updated" || res3.NoteID != res.NoteID {
		t.Fatalf("third post = %+v", res3)
	}
	if w := e.fake.Writes(); len(w) != 1 || w[0].Method != http.MethodPut {
		t.Fatalf("writes = %+v, want one PUT", w)
	}
	if notes := e.summaries(t); len(notes) != 1 || !strings.Contains(notes[0].Body, "| orders | 12 |") {
		t.Fatalf("notes = %+v", notes)
	}
}

func TestPostSummaryFindsItsNoteOnTheLastPage(t *testing.T) {
	e := setup(t)
	// Our summary first (oldest), then 350 notes by a reviewer and GitLab:
	// notes are listed newest first, 100 a page, so ours is on page 4.
	ours := e.fake.AddNote(e.mr, e.bot, SummaryBody(summaryV1), false)
	for i := range 350 {
		e.fake.AddNote(e.mr, e.human, fmt.Sprintf("comment %d quoting %s", i, SummaryMarker), i%7 == 0)
	}
	e.fake.ResetLog()
	res, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "unchanged" || res.NoteID != ours.ID {
		t.Fatalf("res = %+v, want unchanged note %d", res, ours.ID)
	}
	pages := 0
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/notes") && r.Method == http.MethodGet {
			pages++
		}
	}
	if pages != 4 {
		t.Errorf("listed %d pages of notes, want 4", pages)
	}
	if len(e.summaries(t)) != 1 || len(e.fake.Writes()) != 0 {
		t.Fatalf("duplicated or wrote: %d summaries, writes %+v", len(e.summaries(t)), e.fake.Writes())
	}
}

func TestPostSummaryNeverDuplicates(t *testing.T) {
	cases := []struct {
		name   string
		fault  gitlabtest.Fault
		posts  int // POST requests expected
		action string
	}{
		{"502 after GitLab stored the note", gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: true, Status: http.StatusBadGateway, Body: "bad gateway"}, 1, "created"},
		{"timeout after GitLab stored the note", gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: true, Delay: 2 * time.Second}, 1, "created"},
		{"502 before storing, twice", gitlabtest.BadGateway(http.MethodPost, "/notes", 2), 3, "created"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			e.fake.Inject(tc.fault)
			c := e.client(t, e.token, func(o *Options) { o.RequestTimeout = 300 * time.Millisecond })
			res, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != tc.action {
				t.Errorf("action = %s", res.Action)
			}
			if n := len(e.summaries(t)); n != 1 {
				t.Fatalf("%d summary notes, want exactly 1", n)
			}
			if posts := e.posts(); posts != tc.posts {
				t.Errorf("%d POSTs, want %d", posts, tc.posts)
			}
		})
	}
}

func TestPostSummaryGivesUpCleanlyWhenGitLabKeepsFailing(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.BadGateway(http.MethodPost, "/notes", 100))
	_, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if KindOf(err) != KindServer || !strings.Contains(err.Error(), "try again later") {
		t.Fatalf("err = %v", err)
	}
	if posts := e.posts(); posts != 3 {
		t.Errorf("%d POSTs, want the 3 bounded attempts", posts)
	}
	if len(e.summaries(t)) != 0 {
		t.Error("a note was created")
	}
}

func TestNotesRateLimitWaitsThenSucceeds(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.NotesRateLimited(2))
	res, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if err != nil || res.Action != "created" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
	var statuses []int
	for _, r := range e.fake.Writes() {
		statuses = append(statuses, r.Status)
	}
	if fmt.Sprint(statuses) != "[429 429 201]" {
		t.Fatalf("POST statuses %v, want [429 429 201]", statuses)
	}
	if len(e.summaries(t)) != 1 {
		t.Fatal("not exactly one note")
	}
}

func TestNotesRateLimitIsBounded(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.NotesRateLimited(1000))
	_, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if KindOf(err) != KindRateLimited || !strings.Contains(err.Error(), "60 a minute") || !strings.Contains(err.Error(), "wait a minute") {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.fake.Writes()); n != fast.withDefaults().MaxRetries+1 {
		t.Fatalf("%d POSTs, want %d", n, fast.withDefaults().MaxRetries+1)
	}
}

func TestBackoffHonoursRetryAfter(t *testing.T) {
	c := &Client{policy: RetryPolicy{RateLimitWait: 42 * time.Second}.withDefaults()}
	resp := func(h http.Header) *http.Response { return &http.Response{StatusCode: 429, Header: h} }
	if d := c.backoff(time.Millisecond, time.Second, 1, resp(http.Header{"Retry-After": {"7"}})); d != 7*time.Second {
		t.Errorf("Retry-After 7 -> %v", d)
	}
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	if d := c.backoff(time.Millisecond, time.Second, 1, resp(http.Header{"Retry-After": {date}})); d < 28*time.Second || d > 30*time.Second {
		t.Errorf("Retry-After date -> %v", d)
	}
	if d := c.backoff(time.Millisecond, time.Second, 1, resp(http.Header{"Retry-After": {"3600"}})); d != 2*time.Minute {
		t.Errorf("Retry-After capped -> %v", d)
	}
	if d := c.backoff(time.Millisecond, time.Second, 1, resp(http.Header{})); d != 42*time.Second {
		t.Errorf("notes limit (no headers) -> %v, want the rate limit wait", d)
	}
	for attempt := range 10 {
		if d := c.backoff(10*time.Millisecond, 80*time.Millisecond, attempt, &http.Response{StatusCode: 502}); d <= 0 || d > 80*time.Millisecond {
			t.Errorf("attempt %d -> %v", attempt, d)
		}
	}
}

func TestRetryPolicyRepeatsReadsNotPosts(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.BadGateway(http.MethodGet, "/merge_requests", 2))
	c := e.client(t, e.token)
	if _, err := c.ListMergeRequests(t.Context(), "data/analytics", ListOptions{}); err != nil {
		t.Fatalf("GET not retried: %v", err)
	}
	e.fake.Inject(gitlabtest.BadGateway(http.MethodPost, "/statuses", 1))
	e.fake.ResetLog()
	// A commit status is safe to repeat: retried.
	if _, err := c.SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: StatusSuccess}); err != nil {
		t.Fatalf("status not retried: %v", err)
	}
	// A hook creation is not.
	e.fake.Inject(gitlabtest.BadGateway(http.MethodPost, "/hooks", 1))
	e.fake.ResetLog()
	if _, err := c.CreateWebhook(t.Context(), "data/analytics", "https://recce.example.com/api/integrations/gitlab/webhook", "s3cret-value"); KindOf(err) != KindServer {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.fake.Writes()); n != 1 {
		t.Fatalf("POST /hooks sent %d times", n)
	}
}

func TestReadAPITokenMakesNoWrite(t *testing.T) {
	e := setup(t)
	tok := e.fake.AddToken(e.bot, "read", []string{"read_api"}, "")
	c := e.client(t, tok)
	_, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1, Status: StatusSuccess})
	if KindOf(err) != KindReadOnly || !strings.Contains(err.Error(), "api scope is needed to receive generated summaries and notes") {
		t.Fatalf("summary: %v", err)
	}
	if _, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "hello"); KindOf(err) != KindReadOnly {
		t.Fatalf("note: %v", err)
	}
	if _, err := c.SetCommitStatus(t.Context(), "data/analytics", e.mr.SHA, CommitStatus{State: StatusFailed}); KindOf(err) != KindReadOnly {
		t.Fatalf("status: %v", err)
	}
	if _, err := c.CreateWebhook(t.Context(), "data/analytics", "https://x.example/hook", "secret-1234"); KindOf(err) != KindReadOnly {
		t.Fatalf("hook: %v", err)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("a read_api token made write requests: %+v", w)
	}
	if len(e.fake.Statuses()) != 0 || len(e.fake.UserNotes(e.project.ID, e.mr.IID)) != 0 {
		t.Fatal("something was written")
	}
}

func TestFineGrainedTokenWithoutWriteGets403Explained(t *testing.T) {
	e := setup(t)
	tok := e.fake.AddToken(e.bot, "granular", nil, "")
	e.fake.UpdateToken(tok, func(t *gitlabtest.Token) { t.Granular = true })
	_, err := e.client(t, tok).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if KindOf(err) != KindInsufficientScope || !strings.Contains(err.Error(), "api scope") {
		t.Fatalf("err = %v", err)
	}
}

func TestQuickActionsInTheSummaryAreNeutralised(t *testing.T) {
	e := setup(t)
	body := "## Checks\n\nModel description:\n/close\n/merge\n  /approve now\n\n```sql\n/close inside code is fine\n```\n"
	res, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	mr := e.fake.GetMergeRequest(e.project.ID, e.mr.IID)
	if mr.State != "opened" || mr.Approvals != 0 {
		t.Fatalf("GitLab executed a quick action: state %s, approvals %d", mr.State, mr.Approvals)
	}
	notes := e.summaries(t)
	if len(notes) != 1 || notes[0].ID != res.NoteID {
		t.Fatalf("notes = %+v", notes)
	}
	for _, want := range []string{"\\/close\n", "\\/merge\n", "  \\/approve now", "```sql\n/close inside code is fine\n```"} {
		if !strings.Contains(notes[0].Body, want) {
			t.Errorf("note lost %q:\n%s", want, notes[0].Body)
		}
	}
	for _, n := range e.fake.Notes(e.project.ID, e.mr.IID) {
		if n.System {
			t.Errorf("a system note says GitLab acted: %q", n.Body)
		}
	}
}

func TestTheFakeReallyExecutesQuickActions(t *testing.T) {
	// The test above is only meaningful if an unprotected body does close.
	e := setup(t)
	mrs := e.fake.AddMergeRequests(e.project, e.human, 2)
	c, _ := New(Options{URL: e.fake.URL, Token: e.token.Value, Retry: fast})
	_, _, err := c.api.Notes.CreateMergeRequestNote("data/analytics", mrs[0].IID, &glNoteOpts{Body: ptr("Done here\n/close\n")})
	if err != nil {
		t.Fatal(err)
	}
	if st := e.fake.GetMergeRequest(e.project.ID, mrs[0].IID).State; st != "closed" {
		t.Fatalf("state = %s", st)
	}
	n := e.fake.UserNotes(e.project.ID, mrs[0].IID)
	if len(n) != 1 || n[0].Body != "Done here" { // what GitLab stores: the extractor's rstrip
		t.Fatalf("notes = %+v", n)
	}
	// Only commands: 202 and no note.
	_, resp, err := c.api.Notes.CreateMergeRequestNote("data/analytics", mrs[1].IID, &glNoteOpts{Body: ptr("/close")})
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("resp %v err %v", resp.StatusCode, err)
	}
	if len(e.fake.UserNotes(e.project.ID, mrs[1].IID)) != 0 {
		t.Fatal("a note was created for a commands-only body")
	}
}

func TestCommitStatusFromSummary(t *testing.T) {
	e := setup(t)
	res, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1, Status: StatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	st := e.fake.Statuses()
	if len(st) != 1 || st[0].Name != DefaultStatusName || st[0].State != "failed" || st[0].SHA != e.mr.SHA || st[0].TargetURL != res.URL ||
		strings.Contains(st[0].Description, "\n") || st[0].Description == "" {
		t.Fatalf("statuses = %+v", st)
	}
	if res.CommitStatus == nil || res.CommitStatus.State != "failed" {
		t.Fatalf("result = %+v", res)
	}
}

func TestSummaryStatusConvention(t *testing.T) {
	if st, err := SummaryStatus(summaryV1); err != nil || st != "success" {
		t.Errorf("got %q %v", st, err)
	}
	if st, _ := SummaryStatus("x\n<!-- recce:status=failed -->\r\n"); st != "failed" {
		t.Errorf("crlf: %q", st)
	}
	if _, err := SummaryStatus("no status here"); err == nil || !strings.Contains(err.Error(), "recce:status=success") {
		t.Errorf("missing: %v", err)
	}
	if _, err := SummaryStatus("<!-- recce:status=maybe -->"); err == nil {
		t.Error("unknown status accepted")
	}
}

func TestTooLongBodyIsRefusedNotCut(t *testing.T) {
	e := setup(t)
	body := strings.Repeat("é", MaxNoteLength+1) // characters, not bytes
	_, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: body})
	if KindOf(err) != KindTooLong || !strings.Contains(err.Error(), "1000000") {
		t.Fatalf("err = %v", err)
	}
	if len(e.fake.Requests()) != 0 {
		t.Fatal("requests were made for a body that cannot be posted")
	}
}

func TestPostNoteAfterLostAnswerIsNotRepeated(t *testing.T) {
	e := setup(t)
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: true, Status: http.StatusBadGateway})
	n, err := e.client(t, e.token).PostNote(t.Context(), "data/analytics", e.mr.IID, "Reviewed: /close is not a command here")
	if err != nil {
		t.Fatal(err)
	}
	notes := e.fake.UserNotes(e.project.ID, e.mr.IID)
	if len(notes) != 1 || notes[0].ID != n.ID {
		t.Fatalf("notes = %+v", notes)
	}
}

func TestMergeRequestNotFound(t *testing.T) {
	e := setup(t)
	_, err := e.client(t, e.token).PostSummary(t.Context(), "data/analytics", 999, Summary{Body: summaryV1})
	if KindOf(err) != KindNotFound || !strings.Contains(err.Error(), "CI_MERGE_REQUEST_IID") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorsNeverCarryTheToken(t *testing.T) {
	e := setup(t)
	tok := e.fake.AddToken(e.bot, "old", []string{"api"}, inDays(-3))
	c := e.client(t, tok)
	_, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1})
	if KindOf(err) != KindTokenExpired {
		t.Fatalf("err = %v", err)
	}
	assertNoTokens(t, e.fake, "error", err.Error())
	if got := Scrub("call with "+tok.Value+" failed", tok.Value); strings.Contains(got, tok.Value) {
		t.Fatal("Scrub left the token")
	}
	if got := Scrub("stray glpat-AbCdEfGhIjKlMnOpQrSt here"); strings.Contains(got, "glpat-AbC") {
		t.Fatalf("Scrub left a token-shaped string: %q", got)
	}
}
