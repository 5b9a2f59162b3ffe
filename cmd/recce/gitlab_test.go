package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/store"
)

func init() {
	// The same retry decisions as in production, with millisecond waits.
	gitlabRetry = gitlab.RetryPolicy{MinWait: time.Millisecond, MaxWait: 4 * time.Millisecond, RateLimitWait: 2 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}
}

// glEnv is a fake GitLab and a pipeline environment around it.
type glEnv struct {
	fake    *gitlabtest.Server
	bot     *gitlabtest.User
	dev     *gitlabtest.User
	project *gitlabtest.Project
	token   *gitlabtest.Token
	mr      *gitlabtest.MergeRequest
	dataDir string
	cfgDir  string
}

func newGLEnv(t *testing.T) *glEnv {
	t.Helper()
	f := gitlabtest.New(t)
	e := &glEnv{fake: f, dataDir: t.TempDir(), cfgDir: t.TempDir()}
	e.bot = f.AddUser("recce-bot")
	e.dev = f.AddUser("ana")
	e.project = f.AddProject(42, "data/analytics")
	f.SetMember(e.project, e.bot, gitlabtest.Maintainer)
	f.SetMember(e.project, e.dev, gitlabtest.Developer)
	e.token = f.AddToken(e.bot, "Recce Integration", []string{"api"}, time.Now().UTC().AddDate(0, 0, 68).Format(time.DateOnly))
	e.mr = f.AddMergeRequests(e.project, e.dev, 1)[0]
	t.Cleanup(func() { e.assertNoSecretInFiles(t) })
	return e
}

// ci is the environment of a merge request pipeline with the token as a
// masked variable: no flag needed.
func (e *glEnv) ci(token string) map[string]string {
	return map[string]string{
		"RECCE_GITLAB_TOKEN":   token,
		"CI_SERVER_URL":        e.fake.URL,
		"CI_API_V4_URL":        e.fake.URL + "/api/v4",
		"CI_PROJECT_ID":        "42",
		"CI_MERGE_REQUEST_IID": fmt.Sprint(e.mr.IID),
		"XDG_DATA_HOME":        e.dataDir,
		"XDG_CONFIG_HOME":      e.cfgDir,
	}
}

// workstation is a developer's environment: no CI variables, no token variable.
func (e *glEnv) workstation() map[string]string {
	return map[string]string{"XDG_DATA_HOME": e.dataDir, "XDG_CONFIG_HOME": e.cfgDir}
}

// run runs recce and asserts that no secret the fake knows appears in what it printed.
func (e *glEnv) run(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	out, errOut, code := cli{env: env, stdin: stdin}.run(t, args...)
	for _, s := range e.fake.Secrets() {
		if strings.Contains(out, s) || strings.Contains(errOut, s) {
			t.Fatalf("a secret appears in the output of %v:\nstdout: %s\nstderr: %s", args, out, errOut)
		}
	}
	return out, errOut, code
}

// assertNoSecretInFiles scans every file recce wrote (database, WAL, key
// folder excluded) for the fake's secrets.
func (e *glEnv) assertNoSecretInFiles(t *testing.T) {
	t.Helper()
	filepath.Walk(e.dataDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, s := range e.fake.Secrets() {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("a secret is stored in clear in %s", p)
			}
		}
		return nil
	})
}

func TestGitLabDoctorText(t *testing.T) {
	e := newGLEnv(t)
	out, _, code := e.run(t, e.ci(e.token.Value), "", "gitlab", "doctor")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"recce-bot", "Recce Integration", "scopes api", "data/analytics (id 42), role maintainer", "✓  token_scope", "The connection is usable"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

func TestGitLabDoctorJSONShape(t *testing.T) {
	e := newGLEnv(t)
	out, _, code := e.run(t, e.ci(e.token.Value), "", "gitlab", "doctor", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var r struct {
		OK        bool   `json:"ok"`
		Mode      string `json:"mode"`
		GitLabURL string `json:"gitlab_url"`
		User      struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		} `json:"user"`
		Token struct {
			Name      string   `json:"name"`
			Scopes    []string `json:"scopes"`
			ExpiresAt string   `json:"expires_at"`
			DaysLeft  int      `json:"days_left"`
		} `json:"token"`
		Project struct {
			ID          int64  `json:"id"`
			Path        string `json:"path"`
			AccessLevel int    `json:"access_level"`
			Role        string `json:"role"`
		} `json:"project"`
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Mode != "full" || r.GitLabURL != e.fake.URL || r.User.Username != "recce-bot" || r.Token.DaysLeft != 68 ||
		fmt.Sprint(r.Token.Scopes) != "[api]" || r.Project.ID != 42 || r.Project.Path != "data/analytics" || r.Project.AccessLevel != 40 || r.Project.Role != "maintainer" {
		t.Fatalf("report = %+v", r)
	}
	for _, c := range r.Checks {
		for _, k := range []string{"name", "ok", "severity", "message"} {
			if _, ok := c[k]; !ok {
				t.Errorf("check without %q: %v", k, c)
			}
		}
	}
}

func TestGitLabDoctorExitCodes(t *testing.T) {
	e := newGLEnv(t)
	readOnly := e.fake.AddToken(e.bot, "ro", []string{"read_api"}, "")
	expired := e.fake.AddToken(e.bot, "old", []string{"api"}, time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly))
	devTok := e.fake.AddToken(e.dev, "dev", []string{"api"}, "")
	cases := []struct {
		token string
		code  int
		want  []string
	}{
		{readOnly.Value, 0, []string{"!  token_scope", "will NOT be posted", "→ to receive summaries and notes, create a token with the api scope at " + e.fake.URL + "/-/user_settings/personal_access_tokens", "Usable, read only"}},
		{expired.Value, 1, []string{"✗  token", "has expired", "not usable"}},
		{devTok.Value, 1, []string{"✗  project_role", "a Developer", "Maintainer or Owner"}},
		{"glpat-nobodyknowsthis0000", 1, []string{"does not know this token"}},
	}
	for _, c := range cases {
		out, _, code := e.run(t, e.ci(c.token), "", "gitlab", "doctor")
		if code != c.code {
			t.Errorf("exit %d, want %d:\n%s", code, c.code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("missing %q in:\n%s", w, out)
			}
		}
	}
}

func TestGitLabPostSummaryInAPipeline(t *testing.T) {
	e := newGLEnv(t)
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	os.WriteFile(summary, []byte("## Recce\n\nAll good.\n/merge\n\n<!-- recce:status=success -->\n"), 0o600)
	env := e.ci(e.token.Value)

	out, errOut, code := e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary, "--commit-status", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var res struct {
		Action string `json:"action"`
		NoteID int64  `json:"note_id"`
		URL    string `json:"url"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Action != "created" || res.NoteID == 0 || !strings.HasSuffix(res.URL, fmt.Sprintf("#note_%d", res.NoteID)) {
		t.Fatalf("result = %+v", res)
	}
	st := e.fake.Statuses()
	if len(st) != 1 || st[0].Name != gitlab.DefaultStatusName || st[0].State != "success" || st[0].SHA != e.mr.SHA {
		t.Fatalf("statuses = %+v", st)
	}
	if mr := e.fake.GetMergeRequest(42, e.mr.IID); mr.State != "opened" {
		t.Fatalf("the summary's /merge line was executed: %s", mr.State)
	}

	// The next pipeline with the same summary writes nothing but the status.
	e.fake.ResetLog()
	out, _, code = e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary)
	if code != 0 || !strings.Contains(out, "already up to date") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("writes on an unchanged summary: %+v", w)
	}
	if n := len(e.fake.UserNotes(42, e.mr.IID)); n != 1 {
		t.Fatalf("%d notes", n)
	}
}

func TestGitLabPostSummaryReadOnlyTokenWritesNothing(t *testing.T) {
	e := newGLEnv(t)
	ro := e.fake.AddToken(e.bot, "ro", []string{"read_api"}, "")
	summary := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(summary, []byte("ok\n<!-- recce:status=failed -->\n"), 0o600)
	_, errOut, code := e.run(t, e.ci(ro.Value), "", "gitlab", "post-summary", "--summary-file", summary, "--commit-status")
	if code != 1 || !strings.Contains(errOut, "read_api scope only") || !strings.Contains(errOut, "the api scope is needed to receive generated summaries and notes") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("writes: %+v", w)
	}
}

func TestGitLabPostSummaryInputErrors(t *testing.T) {
	e := newGLEnv(t)
	noStatus := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(noStatus, []byte("no status line\n"), 0o600)
	big := filepath.Join(t.TempDir(), "big.md")
	os.WriteFile(big, bytes.Repeat([]byte("x"), gitlab.MaxNoteLength+10), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"recce_state.json"}, "open state file"},
		{[]string{"--summary-file", noStatus, "--commit-status"}, "recce:status=success"},
		{[]string{"--summary-file", big}, "over GitLab's limit"},
		{[]string{}, "nothing to post"},
	}
	for _, c := range cases {
		_, errOut, code := e.run(t, e.ci(e.token.Value), "", append([]string{"gitlab", "post-summary"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %s", c.args, code, errOut)
		}
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("writes: %+v", w)
	}
	env := e.ci(e.token.Value)
	delete(env, "CI_MERGE_REQUEST_IID")
	_, errOut, code := e.run(t, env, "", "gitlab", "post-summary", "--summary-file", noStatus)
	if code != 1 || !strings.Contains(errOut, "merge_request_event") {
		t.Errorf("no MR: exit %d, %s", code, errOut)
	}
}

func TestGitLabMRsJSON(t *testing.T) {
	e := newGLEnv(t)
	e.fake.AddMergeRequests(e.project, e.dev, 249)
	out, _, code := e.run(t, e.ci(e.token.Value), "", "gitlab", "mrs", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 250 {
		t.Fatalf("%d merge requests, want 250", len(list))
	}
	for _, k := range []string{"iid", "title", "state", "draft", "source_branch", "target_branch", "sha", "author", "web_url", "updated_at"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("no %q in %v", k, list[0])
		}
	}
	out, _, code = e.run(t, e.ci(e.token.Value), "", "gitlab", "mrs")
	if code != 0 || !strings.Contains(out, "IID") || !strings.Contains(out, "feature-1 → main") {
		t.Fatalf("text: %d\n%s", code, out)
	}
}

func TestGitLabNote(t *testing.T) {
	e := newGLEnv(t)
	out, _, code := e.run(t, e.ci(e.token.Value), "Approved in recce.\n/approve\n/close\n", "gitlab", "note", "--body-file", "-", "--format", "json")
	if code != 0 || !strings.Contains(out, `"note_id"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
	mr := e.fake.GetMergeRequest(42, e.mr.IID)
	if mr.State != "opened" || mr.Approvals != 0 {
		t.Fatalf("quick actions ran: %+v", mr)
	}
	notes := e.fake.UserNotes(42, e.mr.IID)
	if len(notes) != 1 || notes[0].Body != "Approved in recce.\n\\/approve\n\\/close" { // stored as GitLab does: no trailing newline
		t.Fatalf("notes = %+v", notes)
	}
}

func TestGitLabDebugLogHasNoToken(t *testing.T) {
	e := newGLEnv(t)
	_, errOut, code := e.run(t, e.ci(e.token.Value), "", "gitlab", "doctor", "--debug")
	if code != 0 || !strings.Contains(errOut, "gitlab request") || !strings.Contains(errOut, "/api/v4/personal_access_tokens/self") {
		t.Fatalf("exit %d, log:\n%s", code, errOut)
	}
}

func TestGitLabConnectStoreSyncDisconnect(t *testing.T) {
	e := newGLEnv(t)
	ws := e.workstation()
	hook := "https://recce.example.com/api/integrations/gitlab/webhook"

	// Without anything stored, the commands say how to connect.
	_, errOut, code := e.run(t, ws, "", "gitlab", "doctor", "--data-dir", e.dataDir)
	if code != 1 || !strings.Contains(errOut, "recce gitlab connect") {
		t.Fatalf("doctor before connect: %d %s", code, errOut)
	}

	out, errOut, code := e.run(t, ws, e.token.Value+"\n", "gitlab", "connect", "--gitlab-url", e.fake.URL, "--project", "data/analytics",
		"--create-webhook", hook, "--data-dir", e.dataDir)
	if code != 0 {
		t.Fatalf("connect: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Connected data/analytics") || !strings.Contains(out, "webhook") {
		t.Fatalf("connect output:\n%s", out)
	}
	hooks := e.fake.Hooks()
	if len(hooks) != 1 || hooks[0].URL != hook || len(hooks[0].Token) < 32 {
		t.Fatalf("hooks = %+v", hooks)
	}
	// Connecting again keeps the project's webhook (its secret does not
	// depend on the token); asking for a new one replaces the old one.
	out, errOut, code = e.run(t, ws, e.token.Value+"\n", "gitlab", "connect", "--gitlab-url", e.fake.URL, "--project", "data/analytics", "--data-dir", e.dataDir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("The project webhook %d is kept", hooks[0].ID)) || len(e.fake.Hooks()) != 1 {
		t.Fatalf("reconnect: %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = e.run(t, ws, e.token.Value+"\n", "gitlab", "connect", "--gitlab-url", e.fake.URL, "--project", "data/analytics",
		"--create-webhook", hook, "--data-dir", e.dataDir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("Deleted the project webhook %d of data/analytics", hooks[0].ID)) {
		t.Fatalf("reconnect with a new webhook: %d\n%s\n%s", code, out, errOut)
	}
	if again := e.fake.Hooks(); len(again) != 1 || again[0].ID == hooks[0].ID {
		t.Fatalf("hooks after replacing the webhook: %+v", again)
	}
	hooks = e.fake.Hooks()
	keyFile := filepath.Join(e.cfgDir, "recce", "secret.key")
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v", err)
	}

	// The stored connection now works with no token anywhere in the environment.
	out, _, code = e.run(t, ws, "", "gitlab", "doctor", "--data-dir", e.dataDir)
	if code != 0 || !strings.Contains(out, "The connection is usable") {
		t.Fatalf("doctor on the stored connection: %d\n%s", code, out)
	}
	// ... but never sends the token to another instance.
	_, errOut, code = e.run(t, ws, "", "gitlab", "doctor", "--data-dir", e.dataDir, "--gitlab-url", "https://evil.example.com")
	if code != 1 || !strings.Contains(errOut, "the stored token is for") {
		t.Fatalf("other URL: %d %s", code, errOut)
	}

	out, _, code = e.run(t, ws, "", "gitlab", "sync", "--data-dir", e.dataDir, "--format", "json")
	if code != 0 || !strings.Contains(out, `"full": true`) {
		t.Fatalf("sync: %d %s", code, out)
	}
	out, _, code = e.run(t, ws, "", "gitlab", "sync", "--data-dir", e.dataDir)
	if code != 0 || !strings.Contains(out, "Incremental sync") {
		t.Fatalf("second sync: %d %s", code, out)
	}

	// What is on disk: sealed token and secret, never in clear (the cleanup
	// scan checks the clear text); remember the sealed bytes to look for
	// them after disconnect.
	st, err := store.OpenSQLite(t.Context(), e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := st.Connection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	sealed := [][]byte{conn.TokenSealed, conn.WebhookSecretSealed}
	if conn.Mode != "full" || conn.ProjectID != 42 || len(conn.WebhookSecretSealed) == 0 {
		t.Fatalf("stored = %+v", conn)
	}

	out, _, code = e.run(t, ws, "", "gitlab", "disconnect", "--data-dir", e.dataDir)
	if code != 0 || !strings.Contains(out, "erased") || !strings.Contains(out, fmt.Sprintf("Deleted the project webhook %d of data/analytics", hooks[0].ID)) {
		t.Fatalf("disconnect: %d %s", code, out)
	}
	if left := e.fake.Hooks(); len(left) != 0 {
		t.Fatalf("the webhook outlived the connection: %+v", left)
	}
	db := filepath.Join(e.dataDir, store.FileName)
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(db + suffix)
		for _, s := range sealed {
			if bytes.Contains(b, s) {
				t.Fatalf("a sealed secret is still in %s%s after disconnect", db, suffix)
			}
		}
	}
	_, errOut, code = e.run(t, ws, "", "gitlab", "doctor", "--data-dir", e.dataDir)
	if code != 1 || !strings.Contains(errOut, "recce gitlab connect") {
		t.Fatalf("doctor after disconnect: %d %s", code, errOut)
	}
}

// A webhook GitLab will not delete any more (the token was revoked since)
// does not keep the connection: it is erased, and the user told where to
// remove the hook by hand.
func TestGitLabDisconnectWhenTheWebhookCannotBeDeleted(t *testing.T) {
	e := newGLEnv(t)
	ws := e.workstation()
	tok := e.fake.AddToken(e.bot, "soon revoked", []string{"api"}, "")
	_, errOut, code := e.run(t, ws, tok.Value, "gitlab", "connect", "--gitlab-url", e.fake.URL, "--project", "data/analytics",
		"--create-webhook", "https://recce.example.com/api/integrations/gitlab/webhook", "--data-dir", e.dataDir)
	if code != 0 {
		t.Fatalf("connect: %d %s", code, errOut)
	}
	e.fake.UpdateToken(tok, func(t *gitlabtest.Token) { t.Revoked = true })
	out, errOut, code := e.run(t, ws, "", "gitlab", "disconnect", "--data-dir", e.dataDir, "--format", "json")
	if code != 0 {
		t.Fatalf("disconnect: %d %s %s", code, out, errOut)
	}
	var got struct {
		Disconnected bool `json:"disconnected"`
		Webhook      struct {
			ID          int64  `json:"id"`
			Deleted     bool   `json:"deleted"`
			Error       string `json:"error"`
			SettingsURL string `json:"settings_url"`
		} `json:"webhook"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !got.Disconnected || got.Webhook.ID == 0 || got.Webhook.Deleted || !strings.Contains(got.Webhook.Error, "revoked") ||
		got.Webhook.SettingsURL != e.fake.URL+"/data/analytics/-/hooks" {
		t.Fatalf("disconnect = %+v", got)
	}
	if len(e.fake.Hooks()) != 1 {
		t.Fatalf("hooks = %+v", e.fake.Hooks())
	}
	_, errOut, code = e.run(t, ws, "", "gitlab", "doctor", "--data-dir", e.dataDir)
	if code != 1 || !strings.Contains(errOut, "recce gitlab connect") {
		t.Fatalf("doctor after disconnect: %d %s", code, errOut)
	}
}

func TestGitLabConnectRefusesUnusableToken(t *testing.T) {
	e := newGLEnv(t)
	revoked := e.fake.AddToken(e.bot, "gone", []string{"api"}, "")
	e.fake.UpdateToken(revoked, func(t *gitlabtest.Token) { t.Revoked = true })
	out, errOut, code := e.run(t, e.workstation(), revoked.Value, "gitlab", "connect", "--gitlab-url", e.fake.URL, "--project", "42", "--data-dir", e.dataDir)
	if code != 1 || !strings.Contains(out, "was revoked") || !strings.Contains(errOut, "nothing was stored") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := store.OpenSQLite(t.Context(), e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Connection(t.Context()); err != store.ErrNotConnected {
		t.Fatalf("a connection was stored: %v", err)
	}
	// An empty standard input is an error that says how to give the token.
	_, errOut, code = e.run(t, e.workstation(), "", "gitlab", "connect", "--project", "42", "--data-dir", e.dataDir)
	if code != 1 || !strings.Contains(errOut, "no token on standard input") {
		t.Fatalf("empty stdin: %d %s", code, errOut)
	}
}

func TestGitLabTokenFile(t *testing.T) {
	e := newGLEnv(t)
	f := filepath.Join(t.TempDir(), "token")
	os.WriteFile(f, []byte(e.token.Value+"\n"), 0o600)
	env := e.ci("")
	delete(env, "RECCE_GITLAB_TOKEN")
	out, _, code := e.run(t, env, "", "gitlab", "doctor", "--token-file", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// A team on PostgreSQL connects once from a workstation: the connection
// lands in the database the servers share, and the password of its URL is
// printed nowhere.
func TestGitLabConnectIntoTheTeamDatabase(t *testing.T) {
	e := newGLEnv(t)
	dbURL := pgURLWithPassword(t)
	env := e.workstation()
	env["RECCE_DATABASE_URL"] = dbURL
	out, errOut, code := e.run(t, env, e.token.Value+"\n", "gitlab", "connect", "--gitlab-url", e.fake.URL, "--project", "data/analytics")
	if code != 0 {
		t.Fatalf("connect: %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "pg-secret-pw") {
		t.Fatal("the database password was printed")
	}
	st, err := store.Open(t.Context(), t.TempDir(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := st.Connection(t.Context())
	if err != nil || conn.ProjectPath != "data/analytics" {
		t.Fatalf("the team database has no connection: %+v %v", conn, err)
	}
	// And the same flag reaches it for the other commands.
	if out, errOut, code := e.run(t, env, "", "gitlab", "doctor"); code != 0 || !strings.Contains(out, "usable") {
		t.Errorf("doctor on the team database: %d %s %s", code, out, errOut)
	}
}

// Issue 14, points 1 and 3: the documented CI job "recce" no longer
// collides with the status; a colliding name says what to rename; on a
// fork's merge request the note is posted and the exit status is the gate.
func TestGitLabPostSummaryStatusNameAndFork(t *testing.T) {
	e := newGLEnv(t)
	e.fake.AddPipeline(e.project, "refs/merge-requests/1/head", e.mr.SHA, "running", gitlabtest.JobSpec{Name: "recce"})
	summary := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(summary, []byte("## Recce\n\nA mismatch.\n\n<!-- recce:status=failed -->\n"), 0o600)
	env := e.ci(e.token.Value)

	out, errOut, code := e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary, "--commit-status")
	if code != 0 || !strings.Contains(out, "Commit status "+gitlab.DefaultStatusName+": failed") {
		t.Fatalf("default name beside a job named recce: %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary, "--commit-status", "--status-name", "recce")
	if code != 1 || !strings.Contains(errOut, "has already been taken") || !strings.Contains(errOut, "--status-name") {
		t.Fatalf("colliding name: %d %s", code, errOut)
	}

	fork := e.fake.AddMergeRequests(e.project, e.dev, 1)[0]
	e.fake.UpdateMergeRequest(fork, func(m *gitlabtest.MergeRequest) { m.SourceProjectID = 99 })
	env["CI_MERGE_REQUEST_IID"] = fmt.Sprint(fork.IID)
	out, errOut, code = e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary, "--commit-status")
	if code != 1 || !strings.Contains(out, "Created summary note") || !strings.Contains(errOut, "fork") || !strings.Contains(errOut, "exit status is the gate") {
		t.Fatalf("fork, failed: %d\n%s\n%s", code, out, errOut)
	}
	if n := len(e.fake.UserNotes(42, fork.IID)); n != 1 {
		t.Fatalf("%d notes on the fork's merge request", n)
	}
	os.WriteFile(summary, []byte("## Recce\n\nAll good.\n\n<!-- recce:status=success -->\n"), 0o600)
	out, errOut, code = e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary, "--commit-status", "--format", "json")
	if code != 0 || !strings.Contains(out, `"commit_status_error"`) || !strings.Contains(errOut, "warning:") {
		t.Fatalf("fork, success: %d\n%s\n%s", code, out, errOut)
	}
}

// Issue 14, point 8: recce gitlab fetch-base in a merge request pipeline,
// with the job's token or an access token, then recce debug.
func TestGitLabFetchBase(t *testing.T) {
	e := newGLEnv(t)
	main := e.fake.AddCommits(e.project, "main", 4)
	e.fake.UpdateMergeRequest(e.mr, func(m *gitlabtest.MergeRequest) { m.BaseSHA = main[3] })
	manifest := fmt.Sprintf(`{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v12.json","env":{"CI_COMMIT_SHA":%q}},"nodes":{}}`, main[1])
	catalog := `{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/catalog/v1.json"},"nodes":{}}`
	pl := e.fake.AddPipeline(e.project, "main", main[1], "success", gitlabtest.JobSpec{Name: "recce-base",
		Artifacts: map[string][]byte{"target/manifest.json": []byte(manifest), "target/catalog.json": []byte(catalog)}})
	job := e.fake.AddMergeRequestJob(e.project, e.mr.IID, e.mr.SHA, false)
	dir := t.TempDir()
	env := map[string]string{
		"CI_JOB_TOKEN": job.Token, "CI_SERVER_URL": e.fake.URL, "CI_API_V4_URL": e.fake.URL + "/api/v4", "CI_PROJECT_ID": "42",
		"CI_MERGE_REQUEST_IID": fmt.Sprint(e.mr.IID), "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
		"CI_MERGE_REQUEST_DIFF_BASE_SHA": main[3], "XDG_DATA_HOME": e.dataDir, "XDG_CONFIG_HOME": e.cfgDir,
	}
	out, errOut, code := e.run(t, env, "", "gitlab", "fetch-base", "--project-dir", dir)
	if code != 0 || !strings.Contains(out, "Fetched the base artifacts of main into "+filepath.Join(dir, "target-base")) ||
		!strings.Contains(out, "commit "+main[1][:8]) || !strings.Contains(errOut, "not of the merge request's merge base "+main[3][:8]) {
		t.Fatalf("job token: %d\n%s\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "target-base", "manifest.json")); string(b) != manifest {
		t.Fatalf("manifest = %q", b)
	}

	// An access token says more: the pipeline, and how far behind.
	env["RECCE_GITLAB_TOKEN"] = e.token.Value
	out, errOut, code = e.run(t, env, "", "gitlab", "fetch-base", "--project-dir", dir, "--format", "json")
	var res struct {
		PipelineID int64  `json:"pipeline_id"`
		Commit     string `json:"commit"`
		Behind     int    `json:"behind"`
		Warning    string `json:"warning"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.PipelineID != pl.ID || res.Commit != main[1] || res.Behind != 2 ||
		!strings.Contains(res.Warning, "2 commits behind") {
		t.Fatalf("access token: %d\n%s\n%s", code, out, errOut)
	}

	// recce debug shows the same staleness.
	out, _, _ = e.run(t, env, "", "debug", "--project-dir", dir, "--format", "json")
	var dbg struct {
		Checks []struct {
			Name    string `json:"name"`
			OK      bool   `json:"ok"`
			Warning bool   `json:"warning"`
			Message string `json:"message"`
			Hint    string `json:"hint"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &dbg); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range dbg.Checks {
		if c.Name == "base origin" {
			found = c.OK && c.Warning && strings.Contains(c.Message, fmt.Sprintf("pipeline #%d", pl.ID)) && c.Hint == res.Warning
		}
	}
	if !found {
		t.Fatalf("debug: %s", out)
	}
}

// Issue 14, point 11: the note starts with what changed since the
// previous summary on the merge request, read from the previous note.
func TestGitLabPostSummarySinceThePreviousOne(t *testing.T) {
	e := newGLEnv(t)
	st, err := check.Load("../../internal/check/testdata/reference_state_v0.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "first.json")
	if err := check.Save(t.Context(), first, st); err != nil {
		t.Fatal(err)
	}
	env := e.ci(e.token.Value)
	if out, errOut, code := e.run(t, env, "", "gitlab", "post-summary", first); code != 0 || !strings.Contains(out, "Created") {
		t.Fatalf("first: %d %s %s", code, out, errOut)
	}
	// A push, and a check that now fails.
	firstHead := e.mr.SHA
	e.fake.UpdateMergeRequest(e.mr, func(m *gitlabtest.MergeRequest) { m.SHA = strings.Repeat("9", 40) })
	for _, r := range st.Runs {
		r.Status, r.Error, r.Result = check.Failed, "Binder Error: column amount not found", nil
		break
	}
	second := filepath.Join(dir, "second.json")
	if err := check.Save(t.Context(), second, st); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := e.run(t, env, "", "gitlab", "post-summary", second); code != 0 || !strings.Contains(out, "Updated") {
		t.Fatalf("second: %d %s %s", code, out, errOut)
	}
	notes := e.fake.UserNotes(42, e.mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "## Since the Previous Summary\n_Compared with the summary of commit `"+firstHead[:8]+"`._") ||
		!strings.Contains(notes[0].Body, "⚠️ incomplete |") {
		t.Fatalf("notes: %+v", notes)
	}
	// The next pipeline of the same commit: nothing to write.
	e.fake.ResetLog()
	if out, _, code := e.run(t, env, "", "gitlab", "post-summary", second); code != 0 || !strings.Contains(out, "already up to date") || len(e.fake.Writes()) != 0 {
		t.Fatalf("again: %d %s %+v", code, out, e.fake.Writes())
	}
}

// Issue 14, point 10: post-summary --threads.
func TestGitLabPostSummaryThreads(t *testing.T) {
	e := newGLEnv(t)
	state, _ := filepath.Abs("../../internal/check/testdata/reference_state_v0.json")
	env := e.ci(e.token.Value)
	out, errOut, code := e.run(t, env, "", "gitlab", "post-summary", state, "--threads")
	if code != 0 || !strings.Contains(out, "Threads on !1: 3 opened, 0 reopened, 0 edited, 0 resolved; 3 open.") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	threads := 0
	for _, n := range e.fake.Notes(42, e.mr.IID) {
		if n.Type == "DiscussionNote" && n.Resolvable && !n.Resolved {
			threads++
		}
	}
	if threads != 3 {
		t.Fatalf("%d open threads", threads)
	}
	e.fake.ResetLog()
	out, _, code = e.run(t, env, "", "gitlab", "post-summary", state, "--threads", "--format", "json")
	if code != 0 || !strings.Contains(out, `"unchanged": 3`) || len(e.fake.Writes()) != 0 {
		t.Fatalf("again: %d %s %+v", code, out, e.fake.Writes())
	}
	summary := filepath.Join(t.TempDir(), "s.md")
	os.WriteFile(summary, []byte("x\n"), 0o600)
	if _, errOut, code := e.run(t, env, "", "gitlab", "post-summary", "--summary-file", summary, "--threads"); code != 1 || !strings.Contains(errOut, "--threads needs STATE_FILE") {
		t.Fatalf("summary file: %d %s", code, errOut)
	}
}
