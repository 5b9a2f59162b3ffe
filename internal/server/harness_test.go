package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/blob"
	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/store"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// harness is a server on real artifacts behind httptest, with its log
// captured. Every answer it receives is kept, so that the cleanup can
// assert that no secret (GitLab tokens, webhook secrets, the server token)
// ever appeared in an answer or in the log.
type harness struct {
	t       *testing.T
	srv     *Server
	http    *httptest.Server
	store   *store.Store
	dataDir string
	logs    *syncBuffer
	opts    Options

	mu      sync.Mutex
	answers []string
	secrets []string
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

// testKey seals secrets in tests (never the user's key file).
var testKey = bytes.Repeat([]byte{7}, secret.KeySize)

// fastRetry keeps the client's decisions with millisecond waits.
var fastRetry = gitlab.RetryPolicy{MinWait: time.Millisecond, MaxWait: 4 * time.Millisecond, RateLimitWait: 2 * time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}

// jaffleEnv is jaffle-recce's artifacts, without a warehouse.
func jaffleEnv(t *testing.T) *check.Env {
	t.Helper()
	base, current, err := dbt.LoadPair(context.Background(), fixtures.Path(t, "dbt", "jaffle-recce", "base"), fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	if err != nil {
		t.Fatal(err)
	}
	return &check.Env{Base: base, Current: current}
}

// jaffleWarehouseEnv is jaffle-recce built in DuckDB (prod from base, dev
// from current): data checks run for real. It changes the working
// directory (see difftest.BuildJaffle): tests using it are not parallel.
func jaffleWarehouseEnv(t *testing.T) *check.Env {
	t.Helper()
	env := jaffleEnv(t) // first: BuildJaffle leaves the repository
	j := difftest.BuildJaffle(t)
	wh, err := duckdb.Open(context.Background(), j.DBPath, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wh.Close() })
	env.Warehouse = wh
	return env
}

// newHarness starts a server in live mode on env; mod adjusts the options
// before New. The data directory is the test's own.
func newHarness(t *testing.T, env *check.Env, mod ...func(*Options)) *harness {
	t.Helper()
	return newHarnessOn(t, env, shared{dir: t.TempDir()}, mod...)
}

// shared is what several server instances share: the store (a PostgreSQL
// database, else the SQLite file in dir) and the artifact directory in dir.
type shared struct {
	databaseURL string
	dir         string
}

// fastJobs run jobs at once, with millisecond retries; the notes rate is
// far above what a test creates unless a test says otherwise.
var fastJobs = JobOptions{Poll: 10 * time.Millisecond, Lease: 10 * time.Second, NotesRate: store.RateLimit{Limit: 1000, Per: time.Second}}

var fastJobRetry = store.JobRetry{Base: 5 * time.Millisecond, Max: 40 * time.Millisecond, MaxAttempts: 10}

// newHarnessOn starts a server instance on the shared store and artifacts;
// its local workspace is its own.
func newHarnessOn(t *testing.T, env *check.Env, sh shared, mod ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, dataDir: t.TempDir(), logs: &syncBuffer{}}
	st, err := store.Open(context.Background(), sh.dir, sh.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	st.SetJobRetry(fastJobRetry)
	t.Cleanup(func() { st.Close() })
	blobs, err := blob.NewDir(filepath.Join(sh.dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.New(testKey)
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	h.opts = Options{
		Mode: ModeLive, Env: env, WarehouseType: "duckdb", Store: st, Blobs: blobs, Jobs: fastJobs,
		Workspace: FileWorkspace{Path: filepath.Join(h.dataDir, "workspaces", "test.json")},
		Secrets:   func() (*secret.Box, error) { return box, nil },
		GitLab:    GitLabOptions{Retry: fastRetry, RequestTimeout: 5 * time.Second},
		Logger:    slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version:   "test", Author: "ana",
	}
	if env.Warehouse == nil && env.NoWarehouse == nil {
		h.opts.WarehouseType = ""
	}
	for _, m := range mod {
		m(&h.opts)
	}
	t.Cleanup(h.assertNoSecrets) // after the stop below: the shutdown's log lines count
	h.start()
	return h
}

// start (re)starts the server on the harness's options.
func (h *harness) start() {
	h.t.Helper()
	srv, err := New(context.Background(), h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
	h.http = httptest.NewServer(srv.Handler())
	h.t.Cleanup(h.stop)
}

// stop closes the server as a shutdown does: runs cancelled, workspace saved.
func (h *harness) stop() {
	if h.http == nil {
		return
	}
	h.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Close(ctx); err != nil {
		h.t.Errorf("close: %v", err)
	}
	h.http = nil
}

// restart stops the server and starts a new one on the same data.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// addSecrets registers values that must never appear in an answer or a log.
func (h *harness) addSecrets(s ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets = append(h.secrets, s...)
}

// forgetAnswers drops the answers received so far from the final check
// for secrets (after the one answer that shows a new API token).
func (h *harness) forgetAnswers() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answers = nil
}

func (h *harness) assertNoSecrets() {
	h.mu.Lock()
	defer h.mu.Unlock()
	logs := h.logs.String()
	for _, s := range h.secrets {
		if s == "" {
			continue
		}
		for _, a := range h.answers {
			if strings.Contains(a, s) {
				h.t.Errorf("a secret (%.4s…) appeared in an answer:\n%.400s", s, a)
			}
		}
		if strings.Contains(logs, s) {
			h.t.Errorf("a secret (%.4s…) appeared in the log", s)
		}
	}
}

// response is an answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, r.body)
	}
}

// value decodes any JSON answer.
func (r response) value(t *testing.T) any {
	t.Helper()
	var v any
	r.json(t, &v)
	return v
}

// object decodes a JSON object answer.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// request sends method path with a JSON body (nil for none). Requests
// come from the app's own page (Sec-Fetch-Site: same-origin) unless
// headers say otherwise; a header set to "" is removed.
func (h *harness) request(method, path string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.http.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := http.DefaultTransport.RoundTrip(req) // no redirects, no cookie jar
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	var hdr strings.Builder
	_ = res.Header.Write(&hdr)
	h.answers = append(h.answers, hdr.String()+"\n"+string(data))
	h.mu.Unlock()
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// ok sends a request and fails the test unless the status is want.
func (h *harness) ok(want int, method, path string, body any, headers ...string) response {
	h.t.Helper()
	r := h.request(method, path, body, headers...)
	if r.status != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// waitRun polls a run until it is no longer Running, as the app does.
func (h *harness) waitRun(id string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		run := h.ok(200, "GET", "/api/runs/"+id, nil).object(h.t)
		if run["status"] != "Running" {
			return run
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("run %s still running after 30 s", id)
	return nil
}

// waitFor waits for cond, checked every few milliseconds, failing the test
// after a deadline: a condition, never a fixed sleep.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
