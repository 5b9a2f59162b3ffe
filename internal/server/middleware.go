package server

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
)

// statusRecorder remembers the status and size of an answer for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushes).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request: method, path, status, size and
// duration. Never headers, query strings or bodies: they carry tokens,
// cookies and SQL. Successful reads are logged at debug level, since the
// app polls runs every second; changes and failures at info and above.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		switch {
		case rec.status >= 500:
			level = slog.LevelError
		case rec.status >= 400:
			level = slog.LevelWarn
		case !changesState(r.Method):
			level = slog.LevelDebug
		}
		log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)))
	})
}

// recoverPanics turns a panic in a handler into a logged 500, so that one
// broken request does not drop the connection without a word.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil || p == http.ErrAbortHandler {
				if p != nil {
					panic(p)
				}
				return
			}
			log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			writeError(w, errorf(http.StatusInternalServerError, "internal error while answering %s %s: please report it with the server's log", r.Method, r.URL.Path))
		}()
		next.ServeHTTP(w, r)
	})
}

// gzipJSON compresses JSON answers to GET requests under /api/ for
// clients that accept it: the lineage of a 5,000-model project is 2.6 MB of
// JSON and 140 KB gzipped. The decision is taken at the first write, from
// the Content-Type the handler set.
func gzipJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/api/") || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

type gzipWriter struct {
	http.ResponseWriter
	zw      *gzip.Writer
	decided bool
}

func (g *gzipWriter) decide() {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if strings.HasPrefix(h.Get("Content-Type"), "application/json") && h.Get("Content-Encoding") == "" {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		g.zw, _ = gzip.NewWriterLevel(g.ResponseWriter, gzip.BestSpeed)
	}
}

func (g *gzipWriter) WriteHeader(code int) {
	if code != http.StatusNoContent && code != http.StatusNotModified {
		g.decide()
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	g.decide()
	if g.zw != nil {
		return g.zw.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) close() {
	if g.zw != nil {
		_ = g.zw.Close()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// Request bodies (issue 11, finding 8). Every body is bounded in size and
// in time: a client that sends a body slowly, or never finishes it, is
// cut off when its read deadline passes (408 to the handler reading it;
// the connection is then closed). The limits are per route: a state file
// (an upload, POST .../state) may be large and slow to come; everything
// else is a small JSON request. ReadHeaderTimeout and IdleTimeout (Serve)
// bound the rest of a connection's life.
const (
	// defaultBodyTimeout is how long a JSON request body may take to arrive.
	defaultBodyTimeout = 30 * time.Second
	// defaultUploadTimeout is how long a state file may take to arrive:
	// 512 MB in 15 minutes is 0.6 MB/s.
	defaultUploadTimeout = 15 * time.Minute
)

// bodyLimit is the size and read time a request's body gets.
func (s *Server) bodyLimit(r *http.Request) (int64, time.Duration) {
	switch {
	case r.Method == http.MethodPost && (uploadPath(r.URL.Path) || strings.HasSuffix(r.URL.Path, "/state")):
		return max(s.opts.MaxUploadSize, maxStateBody), s.opts.UploadTimeout
	case r.URL.Path == webhookPath:
		return gitlab.DefaultMaxWebhookBody, s.opts.BodyTimeout
	}
	return maxJSONBody, s.opts.BodyTimeout
}

// limitBodies bounds every request body (see bodyLimit). The read
// deadline is lifted once the body is read to its end: the handler's work
// after that (parsing an upload) is not the client's to hurry, and an
// expired deadline would make the server think the client went away.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		size, timeout := s.bodyLimit(r)
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(timeout)) // not supported by test recorders
		r.Body = &deadlineBody{ReadCloser: http.MaxBytesReader(w, r.Body, size), rc: rc, timeout: timeout}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the connection's read deadline at the body's end,
// and says how long the body had when it did not come in time.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	done    bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if isTimeout(err) {
			return n, &bodyTimeoutError{timeout: b.timeout}
		}
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// bodyTimeoutError is a request body that did not arrive in time.
type bodyTimeoutError struct{ timeout time.Duration }

func (e *bodyTimeoutError) Error() string {
	return fmt.Sprintf("the request body did not arrive within %s", e.timeout)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
