package gitlab

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/store"
)

func TestListMergeRequestsFollowsPagesNotTotals(t *testing.T) {
	e := setup(t)
	e.fake.AddMergeRequests(e.project, e.human, 349) // 350 with setup's
	e.fake.TotalsLimit = 200                         // like past 10,000: no X-Total, no last link
	e.fake.LinkHost = "gitlab.internal.invalid:8443" // a proxy that does not rewrite Link
	pages := 0
	mrs, err := e.client(t, e.token).ListMergeRequests(t.Context(), "data/analytics", ListOptions{State: "opened", OnPage: func(int) { pages++ }})
	if err != nil {
		t.Fatal(err)
	}
	if len(mrs) != 350 || pages != 4 {
		t.Fatalf("%d merge requests in %d pages, want 350 in 4", len(mrs), pages)
	}
	seen := map[int64]bool{}
	for _, m := range mrs {
		if seen[m.IID] {
			t.Fatalf("!%d twice", m.IID)
		}
		seen[m.IID] = true
		if m.Author != "ana" || m.SHA == "" || !strings.HasSuffix(m.WebURL, "/-/merge_requests/"+itoa(m.IID)) || m.UpdatedAt.IsZero() {
			t.Fatalf("merge request %+v", m)
		}
	}
	for _, r := range e.fake.Requests() {
		if !strings.Contains(r.Query, "per_page=100") {
			t.Errorf("request without per_page=100: %s", r.Query)
		}
	}
}

func itoa(n int64) string { return fmtInt(n) }

func TestSyncIgnoresUpdatesCausedByOwnNotes(t *testing.T) {
	e := setup(t)
	more := e.fake.AddMergeRequests(e.project, e.human, 2)
	e.fake.UpdateMergeRequest(more[1], func(m *gitlabtest.MergeRequest) { m.State = "merged" })
	st, err := store.OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := e.client(t, e.token)

	res, err := c.Sync(t.Context(), st, e.project.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Full || len(res.New) != 2 {
		t.Fatalf("first sync = %+v (want the 2 opened ones)", res)
	}
	// The merge request merged since then (updated after the cursor) shows
	// up in the next, incremental sync.
	res, err = c.Sync(t.Context(), st, e.project.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Full || len(res.New) != 1 || res.New[0] != more[1].IID {
		t.Fatalf("second sync = %+v", res)
	}
	e.fake.ResetLog()

	// Our own summary note moves updated_at: not activity.
	time.Sleep(2 * time.Millisecond)
	if _, err := c.PostSummary(t.Context(), "data/analytics", e.mr.IID, Summary{Body: summaryV1}); err != nil {
		t.Fatal(err)
	}
	res, err = c.Sync(t.Context(), st, e.project.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Full || len(res.Changed) != 0 || len(res.New) != 0 || res.Unchanged == 0 {
		t.Fatalf("sync after our note = %+v", res)
	}
	var incremental string
	for _, r := range e.fake.Requests() {
		if strings.HasSuffix(r.Path, "/merge_requests") {
			incremental = r.Query
		}
	}
	if !strings.Contains(incremental, "updated_after=") || !strings.Contains(incremental, "state=all") {
		t.Fatalf("incremental query %q", incremental)
	}

	// A pushed commit is activity; so is a close.
	time.Sleep(2 * time.Millisecond)
	e.fake.UpdateMergeRequest(e.mr, func(m *gitlabtest.MergeRequest) { m.SHA = strings.Repeat("c", 40) })
	e.fake.UpdateMergeRequest(more[0], func(m *gitlabtest.MergeRequest) { m.State = "closed" })
	res, err = c.Sync(t.Context(), st, e.project.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changed) != 2 {
		t.Fatalf("sync after a push and a close = %+v", res)
	}
	got, _ := st.MergeRequest(t.Context(), e.project.ID, e.mr.IID)
	if got.SHA != strings.Repeat("c", 40) || got.Author != "ana" {
		t.Fatalf("stored = %+v", got)
	}
}

// queue collects the events the handler hands over.
type queue struct {
	mu     sync.Mutex
	events []MergeRequestEvent
	fail   error
}

func (q *queue) add(_ context.Context, ev MergeRequestEvent) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	q.events = append(q.events, ev)
	return nil
}

func TestWebhookHandler(t *testing.T) {
	payload, err := os.ReadFile(fixtures.Path(t, "gitlab", "webhooks", "merge_request.json"))
	if err != nil {
		t.Fatal(err)
	}
	notePayload, _ := os.ReadFile(fixtures.Path(t, "gitlab", "webhooks", "note_merge_request.json"))
	st, err := store.OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := &queue{}
	const secret = "whsec-0123456789abcdef"
	var logs bytes.Buffer
	h := &WebhookHandler{Secret: secret, Deliveries: st, OnMergeRequest: q.add, MaxBody: 64 << 10,
		Logger: newTextLogger(&logs)}

	send := func(token, event, key string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, WebhookPath, bytes.NewReader(body))
		if token != "" {
			r.Header.Set("X-Gitlab-Token", token)
		}
		r.Header.Set("X-Gitlab-Event", event)
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
			r.Header.Set("X-Gitlab-Event-UUID", key+"-uuid")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	if w := send("wrong", "Merge Request Hook", "k1", payload); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", w.Code)
	}
	if w := send("", "Merge Request Hook", "k1", payload); w.Code != http.StatusUnauthorized {
		t.Fatalf("missing secret: %d", w.Code)
	}
	if len(q.events) != 0 {
		t.Fatal("an unauthenticated delivery reached the queue")
	}
	if w := send(secret, "Merge Request Hook", "k1", payload); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "accepted") {
		t.Fatalf("right secret: %d %s", w.Code, w.Body)
	}
	if len(q.events) != 1 {
		t.Fatalf("events = %+v", q.events)
	}
	ev := q.events[0]
	if ev.IID != 1 || ev.ProjectID != 1 || ev.ProjectPath != "gitlabhq/gitlab-test" || ev.Action != "open" || ev.State != "opened" ||
		ev.SHA != "da1560886d4f094c3e6c9ef40349f7d38b5d27d7" || ev.SourceBranch != "ms-viewport" || ev.DeliveryKey != "k1" ||
		!ev.UpdatedAt.Equal(time.Date(2013, 12, 3, 17, 23, 34, 0, time.UTC)) {
		t.Fatalf("parsed event = %+v", ev)
	}
	// GitLab redelivers with the same Idempotency-Key: dropped, still 200.
	if w := send(secret, "Merge Request Hook", "k1", payload); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "duplicate") {
		t.Fatalf("duplicate: %d %s", w.Code, w.Body)
	}
	if len(q.events) != 1 {
		t.Fatal("the duplicate was queued")
	}
	// Events it does not use: a quick 200, nothing queued.
	if w := send(secret, "Note Hook", "k2", notePayload); w.Code != http.StatusOK || len(q.events) != 1 {
		t.Fatalf("note hook: %d, %d events", w.Code, len(q.events))
	}
	// Oversized body: 413, nothing queued.
	big := append(bytes.Repeat([]byte(" "), 65<<10), payload...)
	if w := send(secret, "Merge Request Hook", "k3", big); w.Code != http.StatusRequestEntityTooLarge || len(q.events) != 1 {
		t.Fatalf("oversized: %d", w.Code)
	}
	// A queue failure answers 500 and releases the key, so the redelivery is taken.
	q.fail = errors.New("queue down")
	if w := send(secret, "Merge Request Hook", "k4", payload); w.Code != http.StatusInternalServerError {
		t.Fatalf("queue failure: %d", w.Code)
	}
	q.fail = nil
	if w := send(secret, "Merge Request Hook", "k4", payload); w.Code != http.StatusOK || len(q.events) != 2 {
		t.Fatalf("redelivery after failure: %d, %d events", w.Code, len(q.events))
	}
	// Without Idempotency-Key, X-Gitlab-Event-UUID dedupes (GitLab before 17.4).
	r := httptest.NewRequest(http.MethodPost, WebhookPath, bytes.NewReader(payload))
	r.Header.Set("X-Gitlab-Token", secret)
	r.Header.Set("X-Gitlab-Event", "Merge Request Hook")
	r.Header.Set("X-Gitlab-Event-UUID", "uuid-only")
	for range 2 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.Clone(t.Context()))
		r.Body = readCloser(payload)
	}
	if len(q.events) != 3 {
		t.Fatalf("uuid dedupe: %d events, want 3", len(q.events))
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("the webhook secret reached the log")
	}
	if w := httptest.NewRecorder(); true {
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, WebhookPath, nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("GET: %d", w.Code)
		}
	}
}

func TestCreateWebhook(t *testing.T) {
	e := setup(t)
	id, err := e.client(t, e.token).CreateWebhook(t.Context(), "data/analytics", "https://recce.example.com"+WebhookPath, "whsec-created-secret")
	if err != nil {
		t.Fatal(err)
	}
	hooks := e.fake.Hooks()
	if len(hooks) != 1 || hooks[0].ID != id || hooks[0].Token != "whsec-created-secret" || !hooks[0].MergeRequestsEvents || !hooks[0].EnableSSL {
		t.Fatalf("hooks = %+v", hooks)
	}
	// A Developer cannot: the error says which role.
	tok := e.fake.AddToken(e.human, "dev", []string{"api"}, "")
	_, err = e.client(t, tok).CreateWebhook(t.Context(), "data/analytics", "https://recce.example.com"+WebhookPath, "whsec-other-secret")
	if KindOf(err) != KindForbidden || !strings.Contains(err.Error(), "Maintainer") || strings.Contains(err.Error(), "whsec-other-secret") {
		t.Fatalf("err = %v", err)
	}

	// Nor delete it; the Maintainer can, and deleting again is not an error.
	if err := e.client(t, tok).DeleteWebhook(t.Context(), "data/analytics", id); KindOf(err) != KindForbidden || !strings.Contains(err.Error(), "Maintainer") {
		t.Fatalf("developer delete: %v", err)
	}
	if len(e.fake.Hooks()) != 1 {
		t.Fatal("a refused delete removed the hook")
	}
	for range 2 {
		if err := e.client(t, e.token).DeleteWebhook(t.Context(), "data/analytics", id); err != nil {
			t.Fatal(err)
		}
	}
	if hooks := e.fake.Hooks(); len(hooks) != 0 {
		t.Fatalf("hooks after delete = %+v", hooks)
	}
}
