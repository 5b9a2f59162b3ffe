// Package gitlab is recce's GitLab integration, on the official client
// (gitlab.com/gitlab-org/api/client-go/v2): the connection check, merge
// requests, the summary note and commit status, webhooks and sync.
//
// Three rules shape it:
//   - A write is never repeated blindly. The client retries reads, and
//     retries writes only when GitLab cannot have acted (429, connection
//     refused). Creating a note after a failure lists the notes first,
//     because GitLab may have stored it (see createNote).
//   - The token never leaves: errors are rebuilt from GitLab's answer and
//     scrubbed, logs carry method, path and status only.
//   - Every failure says what to do, in the user's terms (scope, role, URL).
package gitlab

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// Purposes bound to the secrets of the stored connection when they are
// sealed with internal/secret (Box.Seal(value, purpose)): the CLI and the
// server must use the same ones.
const (
	SecretPurposeToken         = "gitlab.token"
	SecretPurposeWebhookSecret = "gitlab.webhook_secret"
)

// DefaultURL is used when neither --gitlab-url nor the CI variables say
// otherwise.
const DefaultURL = "https://gitlab.com"

// RetryPolicy bounds retries. Zero fields take the defaults; tests shrink the
// waits to milliseconds.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt (default 4).
	MaxRetries int
	// MinWait and MaxWait bound the exponential backoff between retries of
	// server errors (defaults 500ms and 8s).
	MinWait, MaxWait time.Duration
	// RateLimitWait is the wait after GitLab's notes rate limit, a 429 without
	// Retry-After or RateLimit-* headers (default 1 minute: the limit is per
	// minute).
	RateLimitWait time.Duration
	// MaxRetryAfter caps a Retry-After or RateLimit-Reset wait (default 2 minutes).
	MaxRetryAfter time.Duration
	// CreateAttempts is how many times creating a note is tried in all,
	// listing the notes again between attempts (default 3).
	CreateAttempts int
	// NoRateLimitWait makes a 429 fail at once instead of being waited out
	// in the call: the error (KindRateLimited) carries RetryAfter, and the
	// caller reschedules. The server's durable job queue does so, so that a
	// worker is not held for a minute by the notes rate limit.
	NoRateLimitWait bool
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if p.MaxRetries <= 0 {
		p.MaxRetries = 4
	}
	if p.CreateAttempts <= 0 {
		p.CreateAttempts = 3
	}
	def(&p.MinWait, 500*time.Millisecond)
	def(&p.MaxWait, 8*time.Second)
	def(&p.RateLimitWait, time.Minute)
	def(&p.MaxRetryAfter, 2*time.Minute)
	return p
}

// Options configure a Client.
type Options struct {
	// URL of the instance: https://gitlab.com, https://host/sub/path, or
	// either with /api/v4 at the end.
	URL string
	// Token is a personal, project or group access token. It is sent in the
	// PRIVATE-TOKEN header and nowhere else.
	Token string
	// CAFile is a PEM bundle of certificate authorities to trust in addition
	// to the system's (self-managed instances behind a private CA).
	CAFile string
	// RequestTimeout bounds one HTTP attempt (default 30s).
	RequestTimeout time.Duration
	Retry          RetryPolicy
	// Logger receives debug lines (method, path, status, duration). Default: discard.
	Logger *slog.Logger
	// Transport replaces the HTTP transport (tests); CAFile and
	// AllowLinkLocal are then ignored.
	Transport http.RoundTripper
	// AllowLinkLocal lets the client connect to link-local and cloud
	// metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254), which
	// are refused by default (origin.go).
	AllowLinkLocal bool
	// Metrics, when set, is told of every HTTP attempt and every wait for a
	// rate limit (the server's Prometheus metrics).
	Metrics Metrics
}

// Metrics receives what the client observes. Implementations must be safe
// for concurrent use and quick: they are called on the request path.
type Metrics interface {
	// Request is one HTTP attempt: its method, GitLab's status (0 when no
	// answer came: a timeout, a refused connection) and its duration.
	Request(method string, status int, d time.Duration)
	// RateLimitWait is a wait imposed by a 429 before a retry.
	RateLimitWait(d time.Duration)
}

type noMetrics struct{}

func (noMetrics) Request(string, int, time.Duration) {}
func (noMetrics) RateLimitWait(time.Duration)        {}

// Client talks to one GitLab instance with one token. It is safe for
// concurrent use.
type Client struct {
	api     *gl.Client
	url     string // instance URL, no trailing slash, no /api/v4
	token   string // kept only to scrub it from errors
	log     *slog.Logger
	policy  RetryPolicy
	metrics Metrics

	mu       sync.Mutex
	identity *Identity
}

// NormalizeURL returns the instance URL without /api/v4 and trailing
// slashes, and an error that says what is wrong with a URL that cannot be one.
func NormalizeURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		s = DefaultURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("GitLab URL %q is not an http(s) URL: give the instance's address, like https://gitlab.example.com", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("GitLab URL must not hold credentials: give the token through RECCE_GITLAB_TOKEN or --token-file")
	}
	u.RawQuery, u.Fragment = "", ""
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api/v4")
	u.Path, u.RawPath = strings.TrimRight(p, "/"), ""
	return u.String(), nil
}

// New returns a client. It makes no request.
func New(opts Options) (*Client, error) {
	if strings.TrimSpace(opts.Token) == "" {
		return nil, errors.New("no GitLab token: set RECCE_GITLAB_TOKEN, pass --token-file, or run `recce gitlab connect`")
	}
	return newClient(opts, strings.TrimSpace(opts.Token), gl.NewClient)
}

// newClient builds a client around one of client-go's constructors
// (gl.NewClient for access tokens, gl.NewJobClient for CI job tokens): the
// same transport (CA bundle), logging, metrics, retry policy and error
// scrubbing whatever the token.
func newClient(opts Options, token string, newAPI func(string, ...gl.ClientOptionFunc) (*gl.Client, error)) (*Client, error) {
	base, err := NormalizeURL(opts.URL)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	transport := opts.Transport
	if transport == nil {
		t := guardedTransport(opts.AllowLinkLocal)
		if opts.CAFile != "" {
			pool, err := loadCAFile(opts.CAFile)
			if err != nil {
				return nil, err
			}
			t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		transport = t
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	c := &Client{url: base, token: token, log: log, policy: opts.Retry.withDefaults(), metrics: opts.metrics()}
	httpClient := &http.Client{Transport: &logTransport{next: transport, log: log, metrics: c.metrics}, Timeout: timeout,
		CheckRedirect: checkRedirect}
	api, err := newAPI(token,
		gl.WithBaseURL(base),
		gl.WithHTTPClient(httpClient),
		gl.WithCustomRetry(c.checkRetry),
		gl.WithCustomBackoff(c.backoff),
		gl.WithCustomRetryMax(c.policy.MaxRetries),
		gl.WithCustomRetryWaitMinMax(c.policy.MinWait, c.policy.MaxWait),
		gl.WithURLWarningLogger(log),
		gl.WithUserAgent("recce"),
	)
	if err != nil {
		return nil, c.scrubErr(fmt.Errorf("set up the GitLab client: %w", err))
	}
	c.api = api
	return c, nil
}

// URL is the instance URL (no /api/v4).
func (c *Client) URL() string { return c.url }

// TokenSettingsURL is where a user creates personal access tokens.
func (c *Client) TokenSettingsURL() string { return TokenSettingsURL(c.url) }

// TokenSettingsURL is where a user of the instance at base creates personal
// access tokens.
func TokenSettingsURL(base string) string {
	return strings.TrimRight(base, "/") + "/-/user_settings/personal_access_tokens"
}

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --gitlab-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--gitlab-ca-file %s holds no PEM certificate (it should contain -----BEGIN CERTIFICATE----- blocks)", path)
	}
	return pool, nil
}

func (o Options) metrics() Metrics {
	if o.Metrics == nil {
		return noMetrics{}
	}
	return o.Metrics
}

// logTransport logs each attempt at debug level: method, path, status and
// duration, and counts it in the metrics. Never headers (the token is one),
// never bodies.
type logTransport struct {
	next    http.RoundTripper
	log     *slog.Logger
	metrics Metrics
}

func (t *logTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	d := time.Since(start)
	attrs := []any{"method", r.Method, "path", r.URL.Path, "duration", d.Round(time.Millisecond)}
	if err != nil {
		t.metrics.Request(r.Method, 0, d)
		t.log.Debug("gitlab request failed", append(attrs, "error", errorClass(err))...)
		return resp, err
	}
	t.metrics.Request(r.Method, resp.StatusCode, d)
	t.log.Debug("gitlab request", append(attrs, "status", resp.StatusCode)...)
	if bc, ok := r.Context().Value(captureKey{}).(*bodyCapture); ok && resp.StatusCode == http.StatusNotFound {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		bc.body = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return resp, nil
}

// ---- retries ----

type writeKey struct{}

// Request kinds for the retry policy, carried in the context of each call.
const (
	read            = 0
	write           = 1 // not safe to repeat: GitLab may have acted
	idempotentWrite = 2 // safe to repeat (PUT of the same body, a DELETE)
	// statusWrite is a commit status: safe to repeat, and repeated on a
	// 409, GitLab's answer while another request holds the commit's
	// status lock (app/services/ci/create_commit_status_service.rb: it
	// waits about 10 s for the lock, then answers 409).
	statusWrite = 3
)

// ctxOpt is the per-call option: the context, marked with how the request may
// be retried.
func ctxOpt(ctx context.Context, kind int) gl.RequestOptionFunc {
	return gl.WithContext(context.WithValue(ctx, writeKey{}, kind))
}

// checkRetry decides whether an attempt is repeated. Unlike the client's
// default, a write that may have reached GitLab is never repeated here: a 5xx
// or a timeout after a POST can hide a stored note.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	kind, _ := ctx.Value(writeKey{}).(int)
	if err != nil {
		if isTLSError(err) || isNoSuchHost(err) || isRefusedDestination(err) {
			return false, nil // not transient
		}
		if isConnRefused(err) {
			return true, nil // never reached GitLab: safe for any method
		}
		return kind != write, nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// Rejected before it was processed: safe to repeat, unless the
		// caller reschedules rate-limited work itself.
		return !c.policy.NoRateLimitWait, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return kind != write, nil
	case resp.StatusCode == http.StatusConflict:
		return kind == statusWrite, nil
	}
	return false, nil
}

type captureKey struct{}

// bodyCapture holds the body of a 404 answer, which the client drops
// (it returns gl.ErrNotFound alone) although GitLab's message tells
// cases apart ("404 References for commit Not Found").
type bodyCapture struct{ body []byte }

// withBodyCapture returns a context under which the transport keeps the
// body of a 404 answer (at most 64 KiB) in the returned capture.
func withBodyCapture(ctx context.Context) (context.Context, *bodyCapture) {
	bc := &bodyCapture{}
	return context.WithValue(ctx, captureKey{}, bc), bc
}

// backoff is the wait before a retry: Retry-After when GitLab sends it (the
// client ignores it otherwise), RateLimit-Reset, the notes rate limit wait for
// a bare 429, else exponential with jitter.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		d := c.rateLimitWait(resp.Header, minWait)
		if c.metrics != nil {
			c.metrics.RateLimitWait(d)
		}
		return d
	}
	d := minWait << min(attempt, 16)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	// Full jitter on the upper half keeps concurrent clients apart.
	return d/2 + rand.N(d/2+1)
}

// rateLimitWait is how long a 429 asks to wait: Retry-After when GitLab
// sends it (the general API throttle), RateLimit-Reset, else the notes rate
// limit's wait (its 429 carries neither header), capped by MaxRetryAfter.
func (c *Client) rateLimitWait(h http.Header, minWait time.Duration) time.Duration {
	p := c.policy
	if d, ok := retryAfter(h, time.Now()); ok {
		return min(d, p.MaxRetryAfter)
	}
	if v := h.Get("RateLimit-Reset"); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			return min(max(time.Until(time.Unix(sec, 0)), minWait), p.MaxRetryAfter)
		}
	}
	return p.RateLimitWait
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if sec, err := strconv.Atoi(v); err == nil && sec >= 0 {
		return time.Duration(sec) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
