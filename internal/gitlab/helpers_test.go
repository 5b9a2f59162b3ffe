package gitlab

import (
	"bytes"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// env is a fake GitLab with the usual cast: recce-bot, Maintainer of
// data/analytics (id 42), with an api token that expires in 68 days.
type env struct {
	fake    *gitlabtest.Server
	bot     *gitlabtest.User
	human   *gitlabtest.User
	project *gitlabtest.Project
	token   *gitlabtest.Token
	mr      *gitlabtest.MergeRequest
	logs    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

func setup(t *testing.T, opts ...gitlabtest.Option) *env {
	t.Helper()
	f := gitlabtest.New(t, opts...)
	e := &env{fake: f, logs: &syncBuffer{}}
	e.bot = f.AddUser("recce-bot")
	e.human = f.AddUser("ana")
	e.project = f.AddProject(42, "data/analytics")
	f.SetMember(e.project, e.bot, gitlabtest.Maintainer)
	f.SetMember(e.project, e.human, gitlabtest.Developer)
	e.token = f.AddToken(e.bot, "Recce Integration", []string{"api"}, inDays(68))
	e.mr = f.AddMergeRequests(e.project, e.human, 1)[0]
	// Whatever a test does, no token may reach the logs.
	t.Cleanup(func() { assertNoTokens(t, f, "debug log", e.logs.String()) })
	return e
}

// fast is a retry policy for tests: the same decisions, millisecond waits.
var fast = RetryPolicy{MinWait: time.Millisecond, MaxWait: 4 * time.Millisecond, RateLimitWait: 2 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}

func (e *env) client(t *testing.T, tok *gitlabtest.Token, mod ...func(*Options)) *Client {
	t.Helper()
	o := Options{URL: e.fake.URL, Token: tok.Value, Retry: fast, RequestTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if e.fake.HTTP.TLS != nil {
		o.Transport = e.fake.HTTP.Client().Transport
	}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// assertNoTokens fails when any of the secrets appears in text.
func assertNoTokens(t *testing.T, f *gitlabtest.Server, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range append(f.Secrets(), secrets...) {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("a secret appears in the %s", what)
		}
	}
	if tokenPattern.MatchString(text) {
		t.Errorf("something shaped like a GitLab token appears in the %s", what)
	}
}

type glNoteOpts = gl.CreateMergeRequestNoteOptions

func ptr[T any](v T) *T { return &v }

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

// posts counts the POST requests the fake received.
func (e *env) posts() int {
	n := 0
	for _, r := range e.fake.Writes() {
		if r.Method == "POST" {
			n++
		}
	}
	return n
}
