package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/pgtest"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/server"
	"gitlab.com/recce-go/recce/internal/store"
)

// liveServer is `recce server` running in-process, as a user starts it.
type liveServer struct {
	t      *testing.T
	url    string
	cancel context.CancelFunc
	done   chan int
	stderr *lockedBuffer
	stdout *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var urlLine = regexp.MustCompile(`at (http://\S+)`)

// startServer runs recce with args (a server command) and env, and waits
// for the URL it prints. Ctrl-C is ctx's cancellation.
func startServer(t *testing.T, env map[string]string, args ...string) *liveServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &liveServer{t: t, cancel: cancel, done: make(chan int, 1), stderr: &lockedBuffer{}, stdout: &lockedBuffer{}}
	a := &app{stdin: strings.NewReader(""), stdout: pw, stderr: s.stderr, getenv: func(k string) string { return env[k] }}
	go func() {
		code := a.execute(ctx, args)
		pw.Close()
		s.done <- code
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.stdout.Write([]byte(sc.Text() + "\n"))
			if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			code := <-s.done
			t.Fatalf("recce %s exited %d before serving:\n%s", strings.Join(args, " "), code, s.stderr)
		}
		s.url = u
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatalf("recce %s printed no URL:\n%s", strings.Join(args, " "), s.stderr)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop interrupts the server as Ctrl-C does and returns its exit status.
func (s *liveServer) stop() int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for a later call
		return code
	case <-time.After(30 * time.Second):
		s.t.Fatalf("the server did not stop within 30 s of the interrupt:\n%s", s.stderr)
		return -1
	}
}

// call sends a request from the app's own page and decodes the JSON answer.
func (s *liveServer) call(method, path string, body any, want int) any {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, data)
	}
	var v any
	if len(data) > 0 && json.Unmarshal(data, &v) != nil {
		return string(data)
	}
	return v
}

func (s *liveServer) waitRun(id string) map[string]any {
	s.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r := s.call("GET", "/api/runs/"+id, nil, 200).(map[string]any)
		if r["status"] != "Running" {
			return r
		}
	}
	s.t.Fatalf("run %s did not end", id)
	return nil
}

func TestServerRefusesToListenBeyondLoopbackWithoutToken(t *testing.T) {
	_, errOut, code := runRecce(t, "server", "--host", "0.0.0.0", "--port", "0", "--data-dir", t.TempDir(), "--demo")
	if code != 1 || !strings.Contains(errOut, "refusing to listen on 0.0.0.0 without RECCE_SERVER_TOKEN") || !strings.Contains(errOut, "openssl rand") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	_, errOut, code = cli{env: map[string]string{"RECCE_SERVER_TOKEN": "short"}}.run(t, "server", "--host", "0.0.0.0", "--port", "0", "--data-dir", t.TempDir(), "--demo")
	if code != 1 || !strings.Contains(errOut, "RECCE_SERVER_TOKEN is too short") {
		t.Errorf("short token: exit %d: %s", code, errOut)
	}
	_, errOut, code = cli{env: map[string]string{"RECCE_SERVER_TOKEN": strings.Repeat("x", 40)}}.run(t, "server", "--host", "0.0.0.0", "--port", "0", "--data-dir", t.TempDir(), "--demo")
	if code != 1 || !strings.Contains(errOut, "RECCE_SERVER_TOKEN is too weak (1 different characters)") {
		t.Errorf("weak token: exit %d: %s", code, errOut)
	}
	_, errOut, code = runRecce(t, "server", "--trusted-proxy", "proxy.internal", "--port", "0", "--data-dir", t.TempDir(), "--demo")
	if code != 1 || !strings.Contains(errOut, "--trusted-proxy proxy.internal") {
		t.Errorf("--trusted-proxy with a name: exit %d: %s", code, errOut)
	}
	_, errOut, code = runRecce(t, "server", "--review", "x.json", "--demo", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "not both") {
		t.Errorf("--review with --demo: exit %d: %s", code, errOut)
	}
}

func TestServerDemo(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"RECCE_SECRET_KEY": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}
	s := startServer(t, env, "server", "--demo", "--port", "0", "--data-dir", data)
	if !strings.Contains(s.stdout.String(), "demo mode") || !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Errorf("printed: %s", s.stdout)
	}
	if h := s.call("GET", "/api/health", nil, 200).(map[string]any); h["ok"] != true {
		t.Errorf("health %v", h)
	}
	info := s.call("GET", "/api/info", nil, 200).(map[string]any)
	wh, _ := info["warehouse"].(map[string]any)
	if info["mode"] != "demo" || wh["type"] != "duckdb" || wh["available"] != true {
		t.Fatalf("info: mode %v, warehouse %v", info["mode"], info["warehouse"])
	}
	// The demo's recce.yml presets are the checklist; the value diff of
	// orders runs on the demo's DuckDB.
	var valueDiff map[string]any
	for _, c := range s.call("GET", "/api/checks", nil, 200).([]any) {
		if c := c.(map[string]any); c["type"] == "value_diff" {
			valueDiff = c
		}
	}
	if valueDiff == nil || valueDiff["is_preset"] != true {
		t.Fatalf("no preset value diff in the checklist")
	}
	id := valueDiff["check_id"].(string)
	run := s.waitRun(s.call("POST", "/api/checks/"+id+"/run", nil, 202).(map[string]any)["run_id"].(string))
	if run["status"] != "Finished" {
		t.Fatalf("value diff of orders: %v", run)
	}
	s.call("POST", "/api/checks/"+id+"/approve", map[string]any{"approved": true}, 200)
	if html := s.call("GET", "/", nil, 200).(string); !strings.Contains(html, `<div id="root">`) {
		t.Errorf("/ is not the embedded app: %.200s", html)
	}

	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d after the interrupt:\n%s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", s.stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "workspaces", "demo-recce_demo.json")); err != nil {
		t.Errorf("workspace not saved: %v", err)
	}

	// Started again: the approval and the run are there.
	again := startServer(t, env, "server", "--demo", "--port", "0", "--data-dir", data)
	c := again.call("GET", "/api/checks/"+id, nil, 200).(map[string]any)
	if c["is_checked"] != true || c["last_run"].(map[string]any)["run_id"] != run["run_id"] {
		t.Errorf("after a restart: %v", c)
	}
}

func TestServerReview(t *testing.T) {
	// A state file as `recce run` writes it in a merge request pipeline.
	base, err := check.ReadArtifactFiles(fixtures.Path(t, "dbt", "jaffle-recce", "base"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := check.ReadArtifactFiles(fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "recce_state.json")
	st := &check.State{
		Checks:      []*check.Check{{CheckID: "0b5c5a8e-7c0e-4b8e-9d5e-1f2a3b4c5d6e", Name: "Row counts", Type: check.RowCountDiff, Params: check.Params{"select": "state:modified"}, CreatedAt: check.Now(), UpdatedAt: check.Now()}},
		Artifacts:   check.Artifacts{Base: base, Current: current},
		PullRequest: &check.PullRequest{ID: 12, Title: "Customers: lifetime value", Repository: "data/analytics"},
	}
	if err := check.Save(t.Context(), path, st); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	s := startServer(t, nil, "server", "--review", path, "--port", "0", "--data-dir", t.TempDir())
	info := s.call("GET", "/api/info", nil, 200).(map[string]any)
	if info["mode"] != "review" || info["warehouse"] != nil || info["pull_request"].(map[string]any)["title"] != "Customers: lifetime value" {
		t.Errorf("info: %v %v %v", info["mode"], info["warehouse"], info["pull_request"])
	}
	if n := len(info["lineage"].(map[string]any)["nodes"].([]any)); n != 12 {
		t.Errorf("lineage of the state file: %d nodes", n)
	}
	checks := s.call("GET", "/api/checks", nil, 200).([]any)
	if len(checks) != 1 || checks[0].(map[string]any)["name"] != "Row counts" {
		t.Fatalf("checks of the state file: %v", checks)
	}
	refused := s.call("POST", "/api/checks/0b5c5a8e-7c0e-4b8e-9d5e-1f2a3b4c5d6e/run", nil, 409).(map[string]any)
	if !strings.Contains(refused["error"].(string), "--review") {
		t.Errorf("run refused without saying why: %v", refused)
	}
	s.call("POST", "/api/checks/0b5c5a8e-7c0e-4b8e-9d5e-1f2a3b4c5d6e/approve", map[string]any{"approved": true}, 200)
	s.stop()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the server wrote into the reviewed state file")
	}
}

// TestBrowser is the review in a real browser (issue 6): a fake GitLab and
// `recce server --demo` on free ports, and tests/e2e/review.mjs driving
// Debian's Chromium through Playwright: sign-in with the server token, the
// lineage, a row count run from a
// node, added to the checklist and approved; Settings with a read_api
// token (read-only explanation), then an api token (connected); the merge
// requests, and a summary posted, exactly one note on the fake. Screenshots
// of each screen go to tests/e2e/screenshots/.
func TestBrowser(t *testing.T) {
	e2e := filepath.Join(fixtures.Root(t), "tests", "e2e")
	browser := os.Getenv("RECCE_CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := os.Stat(browser); err != nil {
		t.Skipf("SKIPPED the real-browser tests: no Chromium at %s. Install Debian's: sudo apt-get install chromium chromium-driver (or run .ci/run; RECCE_CHROMIUM names another binary)", browser)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIPPED the real-browser tests: node is not on the PATH. Install Node.js 20 or later")
	}
	if _, err := os.Stat(filepath.Join(e2e, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Skip("SKIPPED the real-browser tests: playwright-core is not installed. Run: cd tests/e2e && npm ci")
	}

	fake := gitlabtest.New(t)
	bot := fake.AddUser("recce-bot")
	ana := fake.AddUser("ana")
	project := fake.AddProject(42, "data/analytics")
	fake.SetMember(project, bot, gitlabtest.Maintainer)
	readAPI := fake.AddToken(bot, "Recce read only", []string{"read_api"}, time.Now().AddDate(0, 2, 0).Format(time.DateOnly))
	api := fake.AddToken(bot, "Recce Integration", []string{"api"}, time.Now().AddDate(0, 6, 0).Format(time.DateOnly))
	mrs := fake.AddMergeRequests(project, ana, 2)
	mr := mrs[1]
	fake.UpdateMergeRequest(mr, func(m *gitlabtest.MergeRequest) { m.Title = "Customers: lifetime value in cents" })

	serverGitLab = server.GitLabOptions{Retry: gitlab.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, RateLimitWait: 5 * time.Millisecond}}
	t.Cleanup(func() { serverGitLab = server.GitLabOptions{} })
	// With a server token, as a team would run it: the scenario signs in.
	const serverToken = "e2e-server-token-4c1d9a7f0b2e"
	env := map[string]string{"RECCE_SECRET_KEY": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", "RECCE_SERVER_TOKEN": serverToken}
	s := startServer(t, env, "server", "--demo", "--port", "0", "--data-dir", t.TempDir())

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "review.mjs")
	cmd.Dir = e2e
	// Chromium outlives a killed node and keeps the output pipe open: give
	// up on the pipe soon after the deadline instead of hanging the suite.
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = append(os.Environ(),
		"RECCE_URL="+s.url, "GITLAB_URL="+fake.URL, "GITLAB_PROJECT="+project.Path,
		"GITLAB_READ_API_TOKEN="+readAPI.Value, "GITLAB_API_TOKEN="+api.Value,
		"MR_IID="+strconv.FormatInt(mr.IID, 10), "CHROMIUM="+browser, "SERVER_TOKEN="+serverToken,
		"SCREENSHOTS="+filepath.Join(e2e, "screenshots"))
	out, err := cmd.CombinedOutput()
	t.Logf("tests/e2e/review.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the browser scenario failed (%v); the server's log:\n%s", err, s.stderr)
	}

	notes := fake.UserNotes(project.ID, mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, gitlab.SummaryMarker) {
		t.Errorf("%d notes on !%d after the scenario, want exactly the summary", len(notes), mr.IID)
	}
	if n := len(fake.UserNotes(project.ID, mrs[0].IID)); n != 0 {
		t.Errorf("%d notes on the other merge request", n)
	}
	logs := s.stderr.String() + s.stdout.String()
	for _, secret := range append(fake.Secrets(), serverToken) {
		if strings.Contains(logs, secret) {
			t.Errorf("a token (%.4s…) reached the server's output", secret)
		}
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// pgURLWithPassword is a fresh test database's URL with a password in it:
// the test cluster trusts loopback connections and ignores it, and it is
// what must never be shown.
func pgURLWithPassword(t *testing.T) string {
	t.Helper()
	return strings.Replace(pgtest.NewDatabase(t), "postgres@", "postgres:pg-secret-pw@", 1)
}

// sealConnection stores a GitLab connection whose token is sealed with the
// key file at keyPath (created), as `recce gitlab connect` does, and
// returns the key file's content.
func sealConnection(t *testing.T, env map[string]string, dataDir, keyPath, token string) []byte {
	t.Helper()
	box, err := secret.Load(func(k string) string { return env[k] }, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal([]byte(token), gitlab.SecretPurposeToken)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(t.Context(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SaveConnection(t.Context(), store.Connection{GitLabURL: "https://gitlab.example.com", Project: "data/analytics", ProjectID: 42,
		ProjectPath: "data/analytics", TokenSealed: sealed, TokenName: "Recce", UserID: 7, Username: "recce-bot", Mode: "full",
		CheckJSON: "{}", CheckedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// assertTokenOpens fails unless the stored token opens with the key the
// environment gives (RECCE_SECRET_KEY, else the key file).
func assertTokenOpens(t *testing.T, env map[string]string, dataDir, keyPath, token string) {
	t.Helper()
	box, err := secret.Load(func(k string) string { return env[k] }, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(t.Context(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := st.Connection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := box.Open(conn.TokenSealed, gitlab.SecretPurposeToken)
	if err != nil || string(got) != token {
		t.Fatalf("the stored token does not open with the new key: %v", err)
	}
}

// TestReviewReferenceStateFile: recce server --review on the real state
// file of the reference, whose schema_diff check has no run (the
// reference computes it from the artifacts): the review computes it too,
// so the check is not shown as never run.
func TestReviewReferenceStateFile(t *testing.T) {
	path := fixtures.Path(t, "recce-state", "recce_tests_v11.json")
	s := startServer(t, nil, "server", "--review", path, "--port", "0", "--data-dir", t.TempDir())
	const schema = "594acbfa-473c-4c8b-9b6d-7fa0c39ce755"
	found := false
	for _, r := range s.call("GET", "/api/runs", nil, 200).([]any) {
		run := r.(map[string]any)
		if run["check_id"] == schema {
			found = true
			if run["status"] != string(check.Finished) || run["type"] != "schema_diff" || run["result"] == nil {
				t.Errorf("the schema diff computed from the artifacts: %v", run)
			}
		}
	}
	if !found {
		t.Error("the schema_diff check of the reference's state file has no run in the review")
	}
}
