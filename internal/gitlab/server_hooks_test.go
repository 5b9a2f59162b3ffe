package gitlab

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

// What the team server relies on: notes posted once per key, 429s handed
// back with their wait, and metrics of every call.

func TestPostNoteOnceFindsItsNoteAgain(t *testing.T) {
	e := setup(t)
	c := e.client(t, e.token)
	// The answer to the create is lost after GitLab stored the note.
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: true, Status: http.StatusBadGateway})
	n, err := c.PostNoteOnce(t.Context(), "data/analytics", e.mr.IID, "**ana** approved the check `orders`.\n/close", "job-17")
	if err != nil || n.Action != "created" {
		t.Fatalf("first: %+v %v", n, err)
	}
	// Hours later, the job runs again (its worker died before recording
	// the success): the note is found, not posted again.
	again, err := e.client(t, e.token).PostNoteOnce(t.Context(), "data/analytics", e.mr.IID, "**ana** approved the check `orders`.\n/close", "job-17")
	if err != nil || again.Action != "existing" || again.ID != n.ID {
		t.Fatalf("again: %+v %v", again, err)
	}
	notes := e.fake.UserNotes(e.project.ID, e.mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, NoteKeyMarker("job-17")) || !strings.Contains(notes[0].Body, `\/close`) {
		t.Fatalf("notes: %+v", notes)
	}
	if got := e.fake.GetMergeRequest(e.project.ID, e.mr.IID); got.State != "opened" {
		t.Errorf("a quick action ran: %s", got.State)
	}
	// Another key is another note.
	if other, err := c.PostNoteOnce(t.Context(), "data/analytics", e.mr.IID, "**ana** approved the check `orders`.", "job-18"); err != nil || other.ID == n.ID {
		t.Fatalf("other key: %+v %v", other, err)
	}
	if _, err := c.PostNoteOnce(t.Context(), "data/analytics", e.mr.IID, "x", "bad key -->"); err == nil {
		t.Error("a key that could end the comment was accepted")
	}
}

func TestRateLimitHandedBackWithoutWaiting(t *testing.T) {
	e := setup(t)
	e.fake.SetNotesRateLimit(1, time.Minute)
	c := e.client(t, e.token, func(o *Options) {
		o.Retry.NoRateLimitWait = true
		o.Retry.RateLimitWait = 42 * time.Second
	})
	if _, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "first"); err != nil {
		t.Fatal(err)
	}
	_, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "second")
	var ge *Error
	if KindOf(err) != KindRateLimited || !errors.As(err, &ge) || ge.RetryAfter != 42*time.Second {
		t.Fatalf("err = %v (%+v)", err, ge)
	}
	if n := e.posts(); n != 2 {
		t.Errorf("%d POSTs: a 429 was retried in the call", n)
	}
	if e.fake.NotesRateLimitedCount() != 1 || len(e.fake.UserNotes(e.project.ID, e.mr.IID)) != 1 {
		t.Errorf("the fake's limit: %d refused, %d notes", e.fake.NotesRateLimitedCount(), len(e.fake.UserNotes(e.project.ID, e.mr.IID)))
	}
	// The general throttle's Retry-After is what RetryAfter says.
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodGet, Path: "/merge_requests/", Status: http.StatusTooManyRequests,
		Body: `{"message":"Retry later"}`, Header: http.Header{"Retry-After": {"7"}}})
	c2 := e.client(t, e.token, func(o *Options) { o.Retry.NoRateLimitWait = true; o.Retry.MaxRetryAfter = time.Minute })
	_, err = c2.GetMergeRequest(t.Context(), "data/analytics", e.mr.IID)
	if !errors.As(err, &ge) || ge.Kind != KindRateLimited || ge.RetryAfter != 7*time.Second {
		t.Fatalf("throttle: %v", err)
	}
}

type countingMetrics struct {
	mu       sync.Mutex
	statuses map[int]int
	waits    []time.Duration
}

func (m *countingMetrics) Request(method string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statuses[status]++
}

func (m *countingMetrics) RateLimitWait(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.waits = append(m.waits, d)
}

func TestMetricsSeeEveryAttemptAndWait(t *testing.T) {
	e := setup(t)
	m := &countingMetrics{statuses: map[int]int{}}
	e.fake.Inject(gitlabtest.NotesRateLimited(1))
	c := e.client(t, e.token, func(o *Options) { o.Metrics = m })
	if _, err := c.PostNote(t.Context(), "data/analytics", e.mr.IID, "hello"); err != nil {
		t.Fatal(err)
	}
	if m.statuses[429] != 1 || m.statuses[201] != 1 || m.statuses[200] == 0 || len(m.waits) != 1 || m.waits[0] != fast.RateLimitWait {
		t.Fatalf("metrics: %v, waits %v", m.statuses, m.waits)
	}
	// Job tokens are checked through the same instrumented transport.
	job := e.fake.AddMergeRequestJob(e.project, e.mr.IID, e.mr.SHA, false)
	if _, err := VerifyJobTokenWith(t.Context(), Options{URL: e.fake.URL, Metrics: m}, job.Token); err != nil {
		t.Fatal(err)
	}
	if m.statuses[200] < 2 {
		t.Errorf("the job token check was not counted: %v", m.statuses)
	}
}
