package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/store"
)

// gitlabEnv is a fake GitLab with recce-bot, Maintainer of data/analytics
// (id 42), holding an api, a read_api and an expired token, and three
// opened merge requests by ana.
type gitlabEnv struct {
	fake                  *gitlabtest.Server
	project               *gitlabtest.Project
	api, readAPI, expired *gitlabtest.Token
	mrs                   []*gitlabtest.MergeRequest
	human                 *gitlabtest.User
	webhookSecret         string
}

func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

func newGitLab(t *testing.T, h *harness) *gitlabEnv {
	t.Helper()
	f := gitlabtest.New(t)
	e := &gitlabEnv{fake: f}
	bot := f.AddUser("recce-bot")
	e.human = f.AddUser("ana")
	e.project = f.AddProject(42, "data/analytics")
	f.SetMember(e.project, bot, gitlabtest.Maintainer)
	f.SetMember(e.project, e.human, gitlabtest.Developer)
	e.api = f.AddToken(bot, "Recce Integration", []string{"api"}, inDays(68))
	e.readAPI = f.AddToken(bot, "Recce read only", []string{"read_api"}, inDays(30))
	e.expired = f.AddToken(bot, "Old one", []string{"api"}, inDays(-3))
	e.mrs = f.AddMergeRequests(e.project, e.human, 3)
	e.webhookSecret = "whsec-7fd2c1a0b9e84d36a5c3"
	h.addSecrets(append(f.Secrets(), e.webhookSecret)...)
	return e
}

func (e *gitlabEnv) connect(h *harness, tok *gitlabtest.Token, want int) map[string]any {
	h.t.Helper()
	return h.ok(want, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": tok.Value, "project": "data/analytics"}).object(h.t)
}

func findCheck(t *testing.T, checks any, name string) map[string]any {
	t.Helper()
	list, _ := checks.([]any)
	for _, c := range list {
		if m := c.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no check %q in %v", name, checks)
	return nil
}

func TestGitLabConnection(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := newGitLab(t, h)

	if m := h.ok(200, "GET", "/api/integrations/gitlab", nil).object(t); len(m) != 1 || m["connected"] != false {
		t.Errorf("not connected: %v, want exactly {connected: false}", m)
	}

	// A read_api token: usable, stored, read-only, and the check says why.
	ro := e.connect(h, e.readAPI, 200)
	if ro["connected"] != true || ro["mode"] != "read_only" || ro["gitlab_url"] != e.fake.URL {
		t.Fatalf("read_api: %v", ro)
	}
	scope := findCheck(t, ro["checks"], gitlab.CheckTokenScope)
	if scope["severity"] != "warning" || !strings.Contains(scope["message"].(string), "read_api") {
		t.Errorf("token_scope check: %v", scope)
	}
	tok := ro["token"].(map[string]any)
	if tok["name"] != "Recce read only" || !slices.Equal(tok["scopes"].([]any), []any{"read_api"}) || tok["expires_at"] != inDays(30) || tok["days_left"] != 30.0 {
		t.Errorf("token: %v", tok)
	}
	proj := ro["project"].(map[string]any)
	if proj["id"] != 42.0 || proj["path"] != "data/analytics" || proj["role"] != "maintainer" || proj["access_level"] != 40.0 {
		t.Errorf("project: %v", proj)
	}
	if u := ro["user"].(map[string]any); u["username"] != "recce-bot" {
		t.Errorf("user: %v", u)
	}
	if wh := ro["webhook"].(map[string]any); wh["configured"] != false || wh["url"] != h.http.URL+"/api/integrations/gitlab/webhook" {
		t.Errorf("webhook: %v", wh)
	}
	if g := h.ok(200, "GET", "/api/info", nil).object(t)["gitlab"].(map[string]any); g["connected"] != true || g["mode"] != "read_only" {
		t.Errorf("info.gitlab: %v", g)
	}
	if got := h.ok(200, "GET", "/api/integrations/gitlab", nil).object(t); got["mode"] != "read_only" || got["token"].(map[string]any)["name"] != "Recce read only" {
		t.Errorf("GET after PUT: %v", got)
	}

	// Replaced by an api token: full.
	full := e.connect(h, e.api, 200)
	if full["mode"] != "full" || full["token"].(map[string]any)["name"] != "Recce Integration" {
		t.Fatalf("api: %v", full)
	}
	stored, err := h.store.Connection(t.Context())
	if err != nil || stored.Mode != "full" || stored.ProjectID != 42 || strings.Contains(string(stored.TokenSealed), e.api.Value) {
		t.Fatalf("stored connection: %+v, %v", stored, err)
	}

	// An expired token: 422 with the checks, and the api connection stays.
	m := e.connect(h, e.expired, 422)
	if !strings.Contains(m["error"].(string), "nothing was stored") {
		t.Errorf("expired: %v", m)
	}
	detail := m["detail"].(map[string]any)
	if detail["mode"] != "none" || !strings.Contains(findCheck(t, detail["checks"], gitlab.CheckToken)["message"].(string), "expired") {
		t.Errorf("expired detail: %v", detail)
	}
	if got := h.ok(200, "GET", "/api/integrations/gitlab", nil).object(t); got["mode"] != "full" {
		t.Errorf("a refused token replaced the connection: %v", got)
	}

	// Bad input is refused before GitLab is asked.
	e.fake.ResetLog()
	h.ok(422, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": "", "project": "data/analytics"})
	h.ok(422, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": e.api.Value, "project": ""})
	h.ok(422, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": "ftp://x", "token": e.api.Value, "project": "p"})
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("%d requests reached GitLab for refused input", n)
	}

	// Disconnect: gone from the store.
	if m := h.ok(200, "DELETE", "/api/integrations/gitlab", nil).object(t); m["disconnected"] != true || m["webhook"] != nil {
		t.Errorf("DELETE: %v", m)
	}
	if _, err := h.store.Connection(t.Context()); !errors.Is(err, store.ErrNotConnected) {
		t.Errorf("after DELETE: %v", err)
	}
	if m := h.ok(200, "GET", "/api/integrations/gitlab", nil).object(t); m["connected"] != false {
		t.Errorf("after DELETE: %v", m)
	}
	if m := h.ok(200, "DELETE", "/api/integrations/gitlab", nil).object(t); m["disconnected"] != false {
		t.Errorf("second DELETE: %v", m)
	}
	h.ok(409, "GET", "/api/integrations/gitlab/merge-requests", nil)
	h.ok(409, "POST", "/api/integrations/gitlab/merge-requests/sync", nil)
}

func TestGitLabExpiredTokenStoresNothing(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := newGitLab(t, h)
	e.connect(h, e.expired, 422)
	if _, err := h.store.Connection(t.Context()); !errors.Is(err, store.ErrNotConnected) {
		t.Errorf("an expired token was stored: %v", err)
	}
	if m := h.ok(200, "GET", "/api/integrations/gitlab", nil).object(t); m["connected"] != false {
		t.Errorf("GET: %v", m)
	}
}

func TestMergeRequestsAndSummary(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Artifacts = jaffleArtifacts(t) })
	e := newGitLab(t, h)
	e.connect(h, e.api, 200)
	iid := e.mrs[0].IID

	// Listed: the first listing syncs from GitLab.
	var mrs []map[string]any
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil).json(t, &mrs)
	if len(mrs) != 3 {
		t.Fatalf("%d merge requests, want 3", len(mrs))
	}
	var first map[string]any
	for _, m := range mrs {
		if m["iid"] == float64(iid) {
			first = m
		}
	}
	if first == nil || first["state"] != "opened" || first["author"].(map[string]any)["username"] != "ana" || first["summary"] != nil || first["session"].(map[string]any)["status"] != "waiting" ||
		first["source_branch"] == "" || first["web_url"] == "" || first["sha"] == "" {
		t.Fatalf("merge request: %v", first)
	}
	h.ok(400, "GET", "/api/integrations/gitlab/merge-requests?state=open", nil)
	if m := h.ok(200, "POST", "/api/integrations/gitlab/merge-requests/sync", nil).object(t); m["synced"] == nil {
		t.Errorf("sync: %v", m)
	}

	// Posted: one note, with the marker; posting again changes nothing.
	path := fmt.Sprintf("/api/integrations/gitlab/merge-requests/%d/summary", iid)
	res := h.ok(200, "POST", path, nil).object(t)
	if res["action"] != "created" || res["note_id"] == nil || !strings.Contains(res["url"].(string), "#note_") {
		t.Fatalf("first post: %v", res)
	}
	notes := e.fake.UserNotes(42, iid)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, gitlab.SummaryMarker) || !strings.Contains(notes[0].Body, "Recce Summary") {
		t.Fatalf("notes after the first post: %d %v", len(notes), notes)
	}
	if again := h.ok(200, "POST", path, nil).object(t); again["action"] != "unchanged" || again["note_id"] != res["note_id"] {
		t.Errorf("second post: %v", again)
	}
	if n := len(e.fake.UserNotes(42, iid)); n != 1 {
		t.Errorf("%d notes after two posts, want 1", n)
	}
	if len(e.fake.Statuses()) != 0 {
		t.Errorf("the server set a commit status for a workspace not built from the merge request's head")
	}
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil).json(t, &mrs)
	for _, m := range mrs {
		s, _ := m["summary"].(map[string]any)
		if m["iid"] == float64(iid) && (s == nil || s["note_id"] != res["note_id"] || s["status"] != "success" || s["url"] != res["url"] || s["posted_at"] == nil) {
			t.Errorf("summary of !%d in the list: %v", iid, m["summary"])
		}
	}
	h.ok(404, "POST", "/api/integrations/gitlab/merge-requests/999/summary", nil)
	h.ok(400, "POST", "/api/integrations/gitlab/merge-requests/abc/summary", nil)
}

func TestReadOnlyPostsNothing(t *testing.T) {
	pr := &check.PullRequest{ID: 1.0, Repository: "data/analytics"}
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Artifacts = jaffleArtifacts(t); o.PullRequest = pr })
	e := newGitLab(t, h)
	pr.ID = float64(e.mrs[0].IID)
	e.connect(h, e.readAPI, 200)
	c := h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "Docs read"}).object(t)
	e.fake.ResetLog()

	m := h.ok(403, "POST", fmt.Sprintf("/api/integrations/gitlab/merge-requests/%d/summary", e.mrs[0].IID), nil).object(t)
	if !strings.Contains(m["error"].(string), "read_api") || m["detail"].(map[string]any)["reason"] != "read_only" {
		t.Errorf("read-only post: %v", m)
	}
	ap := h.ok(200, "POST", "/api/checks/"+c["check_id"].(string)+"/approve", map[string]any{"approved": true}).object(t)
	if note := ap["note"].(map[string]any); note["posted"] != false || !strings.Contains(note["reason"].(string), "read-only") {
		t.Errorf("approval note in read-only mode: %v", note)
	}
	cm := h.ok(201, "POST", "/api/checks/"+c["check_id"].(string)+"/comments", map[string]any{"body": "ok"}).object(t)
	if note := cm["note"].(map[string]any); note["posted"] != false {
		t.Errorf("comment note in read-only mode: %v", note)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Errorf("read-only mode sent %d write requests to GitLab: %+v", len(w), w)
	}
	if len(e.fake.Requests()) != 0 {
		t.Errorf("read-only refusals asked GitLab anything: %+v", e.fake.Requests())
	}
}

func TestReviewNotesOnTheMergeRequest(t *testing.T) {
	pr := &check.PullRequest{Repository: "data/analytics"}
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.PullRequest = pr })
	e := newGitLab(t, h)
	mr := e.mrs[1]
	pr.ID = float64(mr.IID)
	e.connect(h, e.api, 200)
	c := h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "/close this"}).object(t)
	id := c["check_id"].(string)

	// Approvals and comments are queued as notes: the workers post them.
	ap := h.ok(200, "POST", "/api/checks/"+id+"/approve", map[string]any{"approved": true}).object(t)
	if note := ap["note"].(map[string]any); note["posted"] != false || note["queued"] != true || note["job_id"] == nil {
		t.Fatalf("approval note: %v", note)
	}
	waitFor(t, "the approval's note", func() bool { return len(e.fake.UserNotes(42, mr.IID)) == 1 })
	cm := h.ok(201, "POST", "/api/checks/"+id+"/comments", map[string]any{"body": "Looks right.\n/merge\n/close"}).object(t)
	if note := cm["note"].(map[string]any); note["queued"] != true {
		t.Fatalf("comment note: %v", note)
	}
	waitFor(t, "the comment's note", func() bool { return len(e.fake.UserNotes(42, mr.IID)) == 2 })
	notes := e.fake.UserNotes(42, mr.IID)
	if len(notes) != 2 || !strings.Contains(notes[0].Body, "approved") || !strings.Contains(notes[1].Body, "Looks right.") {
		t.Fatalf("notes: %+v", notes)
	}
	// The comment's and the check name's slash commands were not run.
	if got := e.fake.GetMergeRequest(42, mr.IID); got.State != "opened" {
		t.Errorf("a quick action in a review note ran: the merge request is %s", got.State)
	}

	// A review of another project's merge request posts nothing.
	pr.Repository = "other/project"
	if note := h.ok(200, "POST", "/api/checks/"+id+"/approve", map[string]any{"approved": false}).object(t)["note"].(map[string]any); note["posted"] != false || !strings.Contains(note["reason"].(string), "not tied") {
		t.Errorf("other project's note: %v", note)
	}
}

func TestWebhook(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = "server-token-0123456789" })
	h.addSecrets("server-token-0123456789")
	e := newGitLab(t, h)
	bearer := []string{"Authorization", "Bearer server-token-0123456789"}
	payload := webhookPayload(t, 42, e.mrs[2].IID, "Renamed by a webhook")
	send := func(secret, key string) response {
		return h.request("POST", webhookPath, payload, "X-Gitlab-Token", secret, "X-Gitlab-Event", "Merge Request Hook", "Idempotency-Key", key, "Sec-Fetch-Site", "")
	}

	// No webhook configured: 401, so GitLab stops sending.
	if r := send(e.webhookSecret, "k0"); r.status != 401 {
		t.Errorf("without a configured webhook: %d %s", r.status, r.body)
	}
	h.ok(200, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": e.api.Value, "project": "42"}, bearer...)
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil, bearer...) // first sync
	// The webhook made by `recce gitlab connect --create-webhook`, in the same store.
	conn, err := h.store.Connection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.New(testKey)
	conn.WebhookID, conn.WebhookURL = 7, "https://recce.example.com"+webhookPath
	if conn.WebhookSecretSealed, err = box.Seal([]byte(e.webhookSecret), gitlab.SecretPurposeWebhookSecret); err != nil {
		t.Fatal(err)
	}
	if err := h.store.SaveConnection(t.Context(), *conn); err != nil {
		t.Fatal(err)
	}

	for _, wrong := range []string{"", "whsec-wrong"} {
		if r := send(wrong, "k1"); r.status != 401 {
			t.Errorf("secret %q: %d %s", wrong, r.status, r.body)
		}
	}
	// The right secret is enough: no sign-in, no same-origin header.
	if r := send(e.webhookSecret, "k1"); r.status != 200 {
		t.Fatalf("right secret: %d %s", r.status, r.body)
	}
	var mrs []map[string]any
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil, bearer...).json(t, &mrs)
	found := false
	for _, m := range mrs {
		found = found || (m["iid"] == float64(e.mrs[2].IID) && m["title"] == "Renamed by a webhook")
	}
	if !found {
		t.Errorf("the webhook's title did not reach the merge request list: %v", mrs)
	}
	if g := h.ok(200, "GET", "/api/integrations/gitlab", nil, bearer...).object(t)["webhook"].(map[string]any); g["configured"] != true || g["url"] != conn.WebhookURL {
		t.Errorf("webhook view: %v", g)
	}
	// Replacing the token keeps the project's webhook.
	h.ok(200, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": e.readAPI.Value, "project": "data/analytics"}, bearer...)
	if r := send(e.webhookSecret, "k2"); r.status != 200 {
		t.Errorf("after replacing the token: %d %s", r.status, r.body)
	}
}

// webhookPayload is GitLab's real merge request hook payload, moved to the
// given project and merge request.
func webhookPayload(t *testing.T, projectID, iid int64, title string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixtures.Path(t, "gitlab", "webhooks", "merge_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	p["project"].(map[string]any)["id"] = projectID
	p["project"].(map[string]any)["path_with_namespace"] = "data/analytics"
	attrs := p["object_attributes"].(map[string]any)
	attrs["iid"], attrs["title"], attrs["action"] = iid, title, "update"
	attrs["updated_at"] = time.Now().UTC().Format("2006-01-02 15:04:05 UTC")
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackgroundSync(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.SyncInterval = 20 * time.Millisecond })
	e := newGitLab(t, h)
	e.connect(h, e.api, 200)
	var mrs []map[string]any
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil).json(t, &mrs)
	if len(mrs) != 3 {
		t.Fatalf("%d merge requests", len(mrs))
	}
	e.fake.AddMergeRequests(e.project, e.human, 1)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil).json(t, &mrs)
		if len(mrs) == 4 {
			return
		}
	}
	t.Fatalf("a new merge request did not arrive by the background sync: %d listed", len(mrs))
}

func TestBackgroundRecheck(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.SyncInterval = 20 * time.Millisecond; o.RecheckInterval = time.Nanosecond })
	e := newGitLab(t, h)
	e.connect(h, e.api, 200)
	// The token is revoked in GitLab: the server notices, and says so.
	e.fake.UpdateToken(e.api, func(tok *gitlabtest.Token) { tok.Revoked = true })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		g := h.ok(200, "GET", "/api/integrations/gitlab", nil).object(t)
		if g["mode"] == "none" {
			if c := findCheck(t, g["checks"], gitlab.CheckToken); !strings.Contains(c["message"].(string), "revoked") {
				t.Errorf("token check after revocation: %v", c)
			}
			if info := h.ok(200, "GET", "/api/info", nil).object(t)["gitlab"].(map[string]any); info["connected"] != true || info["mode"] != "none" {
				t.Errorf("info.gitlab: %v", info)
			}
			return
		}
	}
	t.Fatal("a revoked token still shows as usable")
}
