package gitlabtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

// These tests pin the fake's answers to what GitLab sends, byte for byte
// where it matters to a client: error bodies, headers, pagination.

func get(t *testing.T, f *gitlabtest.Server, path, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.URL+"/api/v4"+path, nil)
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, strings.TrimSpace(string(b))
}

func TestErrorBodiesAreGitLabs(t *testing.T) {
	f := gitlabtest.New(t)
	u := f.AddUser("bot")
	p := f.AddProject(42, "data/analytics")
	f.SetMember(p, u, gitlabtest.Maintainer)
	ok := f.AddToken(u, "ok", []string{"read_api"}, "")
	expired := f.AddToken(u, "expired", []string{"api"}, "2020-01-01")
	revoked := f.AddToken(u, "revoked", []string{"api"}, "")
	f.UpdateToken(revoked, func(t *gitlabtest.Token) { t.Revoked = true })

	resp, body := get(t, f, "/user", "glpat-unknown")
	if resp.StatusCode != 401 || body != `{"message":"401 Unauthorized"}` {
		t.Errorf("unknown: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, f, "/user", expired.Value)
	if resp.StatusCode != 401 || body != `{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}` ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
		t.Errorf("expired: %d %s %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
	resp, body = get(t, f, "/personal_access_tokens/self", revoked.Value)
	if resp.StatusCode != 401 || !strings.Contains(body, "Token was revoked. You have to re-authorize from the user.") {
		t.Errorf("revoked: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, f, "/projects/data%2Fmissing", ok.Value)
	if resp.StatusCode != 404 || body != `{"message":"404 Project Not Found"}` {
		t.Errorf("missing project: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, f, "/projects/data%2Fanalytics", ok.Value)
	if resp.StatusCode != 200 {
		t.Errorf("project by encoded path: %d", resp.StatusCode)
	}

	// A write with read_api: 403 insufficient_scope, and the scope field
	// lists what the endpoint accepts, not what the token lacks.
	mr := f.AddMergeRequests(p, u, 1)[0]
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/api/v4/projects/42/merge_requests/1/notes", strings.NewReader(`{"body":"hi"}`))
	req.Header.Set("PRIVATE-TOKEN", ok.Value)
	req.Header.Set("Content-Type", "application/json")
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	var m map[string]string
	json.Unmarshal(b, &m)
	if r2.StatusCode != 403 || m["error"] != "insufficient_scope" || m["scope"] != "ai_workflows api read_api" {
		t.Errorf("read_api write: %d %s", r2.StatusCode, b)
	}
	if len(f.UserNotes(42, mr.IID)) != 0 {
		t.Error("the refused write was stored")
	}

	// The notes rate limit: exact body, no RateLimit-* headers.
	f.Inject(gitlabtest.NotesRateLimited(1))
	w := f.AddToken(u, "w", []string{"api"}, "")
	req, _ = http.NewRequest(http.MethodPost, f.URL+"/api/v4/projects/42/merge_requests/1/notes", strings.NewReader(`{"body":"hi"}`))
	req.Header.Set("PRIVATE-TOKEN", w.Value)
	req.Header.Set("Content-Type", "application/json")
	r3, _ := http.DefaultClient.Do(req)
	b, _ = io.ReadAll(r3.Body)
	r3.Body.Close()
	if r3.StatusCode != 429 || string(b) != gitlabtest.NotesRateLimitBody || r3.Header.Get("RateLimit-Limit") != "" || r3.Header.Get("Retry-After") != "" {
		t.Errorf("rate limit: %d %s %v", r3.StatusCode, b, r3.Header)
	}
}

func TestPaginationHeaders(t *testing.T) {
	f := gitlabtest.New(t)
	u := f.AddUser("bot")
	p := f.AddProject(42, "data/analytics")
	f.SetMember(p, u, gitlabtest.Maintainer)
	tok := f.AddToken(u, "t", []string{"api"}, "")
	f.AddMergeRequests(p, u, 250)

	resp, _ := get(t, f, "/projects/42/merge_requests?per_page=500&page=2", tok.Value)
	h := resp.Header
	if h.Get("X-Per-Page") != "100" || h.Get("X-Page") != "2" || h.Get("X-Next-Page") != "3" || h.Get("X-Prev-Page") != "1" ||
		h.Get("X-Total") != "250" || h.Get("X-Total-Pages") != "3" || !strings.Contains(h.Get("Link"), `rel="last"`) {
		t.Errorf("headers %v", h)
	}
	resp, _ = get(t, f, "/projects/42/merge_requests?per_page=100&page=3", tok.Value)
	if resp.Header.Get("X-Next-Page") != "" {
		t.Errorf("last page has a next page: %q", resp.Header.Get("X-Next-Page"))
	}
	f.TotalsLimit = 100
	resp, _ = get(t, f, "/projects/42/merge_requests?per_page=100", tok.Value)
	if _, ok := resp.Header["X-Total"]; ok || resp.Header.Get("X-Total-Pages") != "" || strings.Contains(resp.Header.Get("Link"), `rel="last"`) {
		t.Errorf("totals past the limit: %v", resp.Header)
	}
}

func TestJobTokenEndpoint(t *testing.T) {
	f := gitlabtest.New(t)
	p := f.AddProject(42, "data/analytics")
	j := f.AddJob(p, "feature-1", strings.Repeat("a", 40))
	c, err := gl.NewJobClient(j.Token, gl.WithBaseURL(f.URL), gl.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	job, _, err := c.Jobs.GetJobTokensJob(nil)
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != j.ID || job.Pipeline.ProjectID != 42 || job.Ref != "feature-1" {
		t.Fatalf("job = %+v", job)
	}
	bad, _ := gl.NewJobClient("glcbt-wrong", gl.WithBaseURL(f.URL), gl.WithoutRetries())
	if _, resp, err := bad.Jobs.GetJobTokensJob(nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("wrong job token: %v", err)
	}
}

func TestNotesRules(t *testing.T) {
	f := gitlabtest.New(t)
	bot, ana := f.AddUser("bot"), f.AddUser("ana")
	p := f.AddProject(42, "data/analytics")
	f.SetMember(p, bot, gitlabtest.Maintainer)
	f.SetMember(p, ana, gitlabtest.Developer)
	mr := f.AddMergeRequests(p, ana, 1)[0]
	c, _ := gl.NewClient(f.AddToken(bot, "t", []string{"api"}, "").Value, gl.WithBaseURL(f.URL), gl.WithoutRetries())

	_, _, err := c.Notes.CreateMergeRequestNote(42, mr.IID, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(strings.Repeat("a", gitlabtest.MaxNoteLength+1))})
	if !gl.HasStatusCode(err, 400) || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("too long: %v", err)
	}
	theirs := f.AddNote(mr, ana, "first", false)
	f.AddNote(mr, bot, "second", false)
	f.AddNote(mr, bot, "merged", true)
	notes, _, err := c.Notes.ListMergeRequestNotes(42, mr.IID, nil)
	if err != nil || len(notes) != 3 || notes[0].Body != "merged" || !notes[0].System || notes[2].Body != "first" {
		t.Fatalf("default order is newest first with system notes: %+v %v", notes, err)
	}
	if _, _, err := c.Notes.UpdateMergeRequestNote(42, mr.IID, theirs.ID, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr("edited")}); !gl.HasStatusCode(err, 403) {
		t.Fatalf("editing another user's note: %v", err)
	}
}

func TestNotesRateLimitIsEnforcedPerUser(t *testing.T) {
	f := gitlabtest.New(t)
	bot, ana := f.AddUser("bot"), f.AddUser("ana")
	p := f.AddProject(42, "data/analytics")
	f.SetMember(p, bot, gitlabtest.Maintainer)
	f.SetMember(p, ana, gitlabtest.Developer)
	mr := f.AddMergeRequests(p, ana, 1)[0]
	f.SetNotesRateLimit(2, time.Hour)
	post := func(tok *gitlabtest.Token) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.URL+"/api/v4/projects/42/merge_requests/1/notes", strings.NewReader(`{"body":"hi"}`))
		req.Header.Set("PRIVATE-TOKEN", tok.Value)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Retry-After") != "" || resp.Header.Get("RateLimit-Reset") != "" {
			t.Errorf("the notes limit sent rate limit headers: %v", resp.Header)
		}
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	botTok := f.AddToken(bot, "t", []string{"api"}, "")
	anaTok := f.AddToken(ana, "t", []string{"api"}, "")
	for i, want := range []int{201, 201, 429} {
		if code, body := post(botTok); code != want || (code == 429 && body != gitlabtest.NotesRateLimitBody) {
			t.Fatalf("post %d: %d %s", i, code, body)
		}
	}
	if code, _ := post(anaTok); code != 201 {
		t.Errorf("another user's notes were limited: %d", code)
	}
	if n := len(f.UserNotes(p.ID, mr.IID)); n != 3 || f.NotesRateLimitedCount() != 1 {
		t.Errorf("%d notes, %d refused", n, f.NotesRateLimitedCount())
	}
}

func TestGateHoldsARequestUntilReleased(t *testing.T) {
	f := gitlabtest.New(t)
	bot := f.AddUser("bot")
	p := f.AddProject(42, "data/analytics")
	f.SetMember(p, bot, gitlabtest.Maintainer)
	mr := f.AddMergeRequests(p, bot, 1)[0]
	tok := f.AddToken(bot, "t", []string{"api"}, "")
	post := func(ctx context.Context) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.URL+"/api/v4/projects/42/merge_requests/1/notes", strings.NewReader(`{"body":"hi"}`))
		req.Header.Set("PRIVATE-TOKEN", tok.Value)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	wait := func(g *gitlabtest.Gate) {
		t.Helper()
		select {
		case <-g.Arrived():
		case <-time.After(10 * time.Second):
			t.Fatal("no request reached the gate")
		}
	}

	// Held, then released: the real answer.
	g := f.NewGate()
	f.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", Gate: g})
	done := make(chan int, 1)
	go func() { code, _ := post(context.Background()); done <- code }()
	wait(g)
	if n := len(f.UserNotes(p.ID, mr.IID)); n != 0 {
		t.Fatalf("%d notes while the request is held", n)
	}
	g.Release()
	if code := <-done; code != http.StatusCreated || len(f.UserNotes(p.ID, mr.IID)) != 1 {
		t.Fatalf("released: %d, %d notes", code, len(f.UserNotes(p.ID, mr.IID)))
	}

	// The client gone while held: nothing written, 499 in the log; with
	// AfterWrite, the note was stored before the hold.
	for _, afterWrite := range []bool{false, true} {
		before := len(f.UserNotes(p.ID, mr.IID))
		g := f.NewGate()
		f.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: afterWrite, Gate: g})
		f.ResetLog()
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 1)
		go func() { _, err := post(ctx); errs <- err }()
		wait(g)
		cancel()
		if err := <-errs; err == nil {
			t.Fatal("the cancelled request was answered")
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(f.Requests()) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // the handler notices the client left
		}
		g.Release()
		if log := f.Requests(); len(log) != 1 || log[0].Status != 499 || !log[0].Faulted {
			t.Errorf("after write %v: log %+v", afterWrite, log)
		}
		if n := len(f.UserNotes(p.ID, mr.IID)) - before; n != btoi(afterWrite) {
			t.Errorf("after write %v: %d notes written", afterWrite, n)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func post(t *testing.T, f *gitlabtest.Server, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/api/v4"+path, strings.NewReader(body))
	req.Header.Set("PRIVATE-TOKEN", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// The answers GitLab's source gives for the cases of issue 14, byte for
// byte: each is cited in the handler that writes it.
func TestAnswersOfGitLabsSource(t *testing.T) {
	f := gitlabtest.New(t)
	bot := f.AddUser("bot")
	p := f.AddProject(42, "data/analytics")
	f.SetMember(p, bot, gitlabtest.Maintainer)
	tok := f.AddToken(bot, "t", []string{"api"}, "").Value
	mr := f.AddMergeRequests(p, bot, 1)[0]
	f.AddPipeline(p, "feature-1", mr.SHA, "running", gitlabtest.JobSpec{Name: "recce"})

	cases := []struct {
		path, body string
		status     int
		want       string
	}{
		{"/projects/42/statuses/" + mr.SHA, `{"state":"success","name":"recce"}`, 400, `{"message":{"name":["has already been taken"]}}`},
		{"/projects/42/statuses/" + mr.SHA, `{"state":"pending","name":"other"}`, 201, `"status":"pending"`},
		{"/projects/42/statuses/" + mr.SHA, `{"state":"pending","name":"other"}`, 400, `{"message":"Cannot transition status via :enqueue from :pending (Reason(s): Status cannot transition via \"enqueue\")"}`},
		{"/projects/42/hooks", `{"url":"http://192.168.1.5/hook"}`, 422, `{"error":"Invalid url given"}`},
		{"/projects/42/merge_requests/1/notes", `{"body":"` + strings.Repeat("a", gitlabtest.MaxNoteLength+1) + `"}`, 400,
			`{"message":"400 Bad request - Note {:note=\u003e[\"is too long (maximum is 1000000 characters)\"]}"}`},
		{"/projects/42/merge_requests/1/notes", `{"body":"Stored\r\nas GitLab does \t\r\n\n"}`, 201, `"body":"Stored\nas GitLab does"`},
	}
	for _, c := range cases {
		status, body := post(t, f, c.path, tok, c.body)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("POST %s: %d %s, want %d %s", c.path, status, body, c.status, c.want)
		}
	}
	fork := f.AddMergeRequests(p, bot, 1)[0]
	f.UpdateMergeRequest(fork, func(m *gitlabtest.MergeRequest) { m.SourceProjectID = 7 })
	if status, body := post(t, f, "/projects/42/statuses/"+fork.SHA, tok, `{"state":"success"}`); status != 404 || body != `{"message":"404 References for commit Not Found"}` {
		t.Errorf("fork: %d %s", status, body)
	}
	f.MaxNotes = 1
	if status, body := post(t, f, "/projects/42/merge_requests/1/notes", tok, `{"body":"x"}`); status != 400 ||
		body != `{"message":"400 Bad request - Note {:base=\u003e[\"Maximum number of comments exceeded\"]}"}` {
		t.Errorf("notes limit: %d %s", status, body)
	}
}
