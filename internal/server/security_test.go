package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const serverToken = "correct-horse-battery-staple-42"

func TestSameOriginRule(t *testing.T) {
	h := newHarness(t, jaffleEnv(t)) // no token: loopback only
	simple := map[string]any{"type": "simple", "name": "n"}
	refused := []struct {
		name    string
		headers []string
	}{
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}},
		{"same-site, other origin", []string{"Sec-Fetch-Site", "same-site"}},
		{"user-typed navigation", []string{"Sec-Fetch-Site", "none"}},
		{"other Origin (older browser)", []string{"Sec-Fetch-Site", "", "Origin", "http://evil.example"}},
		{"other port", []string{"Sec-Fetch-Site", "", "Origin", "http://127.0.0.1:1"}},
		{"null Origin (sandboxed frame)", []string{"Sec-Fetch-Site", "", "Origin", "null"}},
	}
	for _, c := range refused {
		r := h.request("POST", "/api/checks", simple, c.headers...)
		if r.status != http.StatusForbidden || !strings.Contains(r.object(t)["error"].(string), "own page") {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
	if n := len(h.checkIDs()); n != 0 {
		t.Fatalf("a refused request created %d checks", n)
	}
	// The app's own page, by either header; and a program (no browser
	// header at all), since there is no token it could send instead.
	h.ok(201, "POST", "/api/checks", simple)
	h.ok(201, "POST", "/api/checks", simple, "Sec-Fetch-Site", "", "Origin", h.http.URL)
	h.ok(201, "POST", "/api/checks", simple, "Sec-Fetch-Site", "")
	// Reads are not state changes.
	h.ok(200, "GET", "/api/checks", nil, "Sec-Fetch-Site", "cross-site")
}

func TestLoopbackHostOnlyWithoutToken(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	// A page that rebinds its own name to 127.0.0.1 reaches the port with
	// its name in Host.
	for _, host := range []string{"evil.example:8000", "192.168.1.20:8000"} {
		r := h.request("GET", "/api/info", nil, "Host", host)
		if r.status != http.StatusForbidden || !strings.Contains(r.object(t)["error"].(string), "RECCE_SERVER_TOKEN") {
			t.Errorf("Host %s: %d %s", host, r.status, r.body)
		}
	}
	for _, host := range []string{"localhost:8000", "127.0.0.1:8000", "[::1]:8000", "app.localhost"} {
		if r := h.request("GET", "/api/health", nil, "Host", host); r.status != 200 {
			t.Errorf("Host %s: %d", host, r.status)
		}
	}
}

func TestTokenSignIn(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = serverToken })
	h.addSecrets(serverToken)

	// Without the token: only the public paths.
	r := h.ok(401, "GET", "/api/info", nil)
	if !strings.Contains(r.object(t)["error"].(string), "sign in") || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("401: %s %v", r.body, r.header)
	}
	h.ok(401, "GET", "/api/checks", nil)
	h.ok(401, "GET", "/api/integrations/gitlab", nil)
	h.ok(200, "GET", "/api/health", nil)
	h.ok(200, "GET", "/api/ready", nil)
	h.request("GET", "/", nil) // the app (and its sign-in page) loads
	// Any host name: the token guards the server now.
	h.ok(200, "GET", "/api/health", nil, "Host", "recce.example.com")

	// Scripts: the bearer token, with or without browser headers.
	bearer := "Bearer " + serverToken
	h.ok(200, "GET", "/api/info", nil, "Authorization", bearer)
	h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "by script"}, "Authorization", bearer, "Sec-Fetch-Site", "")
	h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "x"}, "Authorization", bearer, "Sec-Fetch-Site", "cross-site")
	h.ok(401, "GET", "/api/info", nil, "Authorization", "Bearer "+serverToken+"x")
	h.ok(401, "GET", "/api/info", nil, "Authorization", "Basic "+serverToken)

	// Browser: wrong token 401; right token 204 and the cookie.
	if m := h.ok(401, "POST", "/api/login", map[string]any{"token": "nope"}).object(t); !strings.Contains(m["error"].(string), "wrong token") {
		t.Errorf("wrong token: %v", m)
	}
	login := h.ok(204, "POST", "/api/login", map[string]any{"token": serverToken})
	c := sessionCookieOf(t, login)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("cookie flags: %+v", c)
	}
	if strings.Contains(c.Value, serverToken) {
		t.Error("the cookie holds the token")
	}
	cookie := c.Name + "=" + c.Value
	h.ok(200, "GET", "/api/info", nil, "Cookie", cookie)
	h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "by browser"}, "Cookie", cookie)
	// The cookie is not enough for a state change from another site, nor
	// without a browser's same-origin header.
	h.ok(403, "POST", "/api/checks", map[string]any{"type": "simple", "name": "csrf"}, "Cookie", cookie, "Sec-Fetch-Site", "cross-site")
	h.ok(403, "POST", "/api/checks", map[string]any{"type": "simple", "name": "csrf"}, "Cookie", cookie, "Sec-Fetch-Site", "")
	h.ok(401, "GET", "/api/info", nil, "Cookie", c.Name+"=1999999999.forged")

	// Behind a TLS proxy the cookie is Secure.
	secure := sessionCookieOf(t, h.ok(204, "POST", "/api/login", map[string]any{"token": serverToken}, "X-Forwarded-Proto", "https"))
	if !secure.Secure {
		t.Errorf("cookie behind an HTTPS proxy is not Secure: %+v", secure)
	}
	// Another token (a restart with a new RECCE_SERVER_TOKEN) signs everyone out.
	h.opts.Token = serverToken + "-rotated"
	h.addSecrets(h.opts.Token)
	h.restart()
	h.ok(401, "GET", "/api/info", nil, "Cookie", cookie)
}

// from sends a request to the server's handler as a client at addr does.
func (h *harness) from(addr, method, path string, body string, headers ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = addr + ":40000"
	if strings.Contains(addr, ":") {
		req.RemoteAddr = "[" + addr + "]:40000"
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(w, req)
	h.mu.Lock()
	h.answers = append(h.answers, w.Body.String())
	h.mu.Unlock()
	return w
}

// Issue 11, finding 7: wrong tokens are limited per client address, for
// the sign-in and bearer tokens alike; one guesser does not lock out the
// others, and is itself locked out, the right token included, until the
// window ends.
func TestFailedCredentialsAreLimitedPerClient(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = serverToken; o.Now = clock.now })
	h.addSecrets(serverToken)
	login := func(addr, token string) int {
		return h.from(addr, "POST", "/api/login", `{"token": "`+token+`"}`, "Sec-Fetch-Site", "same-origin").Code
	}
	const guesser, user = "203.0.113.5", "198.51.100.20"
	for i := range maxAuthFailures {
		if c := login(guesser, fmt.Sprintf("guess-%d", i)); c != 401 {
			t.Fatalf("guess %d: %d", i, c)
		}
	}
	w := h.from(guesser, "POST", "/api/login", `{"token": "`+serverToken+`"}`, "Sec-Fetch-Site", "same-origin")
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), guesser) {
		t.Errorf("the guesser, with the right token: %d %s", w.Code, w.Body)
	}
	if c := login(user, serverToken); c != 204 {
		t.Fatalf("another address is locked out by the guesser: %d", c)
	}
	// Bearer tokens: the same limit, on any route.
	const scripter = "2001:db8:1:2::7"
	for range maxAuthFailures {
		if c := h.from(scripter, "GET", "/api/info", "", "Authorization", "Bearer not-the-token-at-all").Code; c != 401 {
			t.Fatalf("bearer guess: %d", c)
		}
	}
	if c := h.from("2001:db8:1:2::8", "GET", "/api/info", "", "Authorization", "Bearer "+serverToken).Code; c != 429 {
		t.Errorf("the guesser's /64, with the right token: %d", c)
	}
	if c := h.from(user, "GET", "/api/info", "", "Authorization", "Bearer "+serverToken).Code; c != 200 {
		t.Errorf("another address with the right bearer token: %d", c)
	}
	// Requests without credentials are not refused: the app still loads.
	if c := h.from(guesser, "GET", "/api/health", "").Code; c != 200 {
		t.Errorf("health from the guesser: %d", c)
	}
	// After the window, the guesser may try again.
	clock.advance(authFailureWindow + time.Second)
	if c := login(guesser, serverToken); c != 204 {
		t.Errorf("after the window: %d", c)
	}
}

// Server API tokens and CI job tokens on uploads count as well.
func TestUploadTokenGuessesAreLimited(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[0]
	for range maxAuthFailures {
		if c := h.from("127.0.0.9", "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), "{}", "Authorization", "Bearer recce_guessed0000000000", "Host", "127.0.0.1").Code; c != 401 {
			t.Fatalf("API token guess: %d", c)
		}
	}
	if c := h.from("127.0.0.9", "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), "{}", "JOB-TOKEN", "glcbt-guess", "Host", "127.0.0.1").Code; c != 429 {
		t.Errorf("a job token from the guesser: %d", c)
	}
}

// X-Forwarded-For names the client only when the peer is a trusted proxy.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	guess := func(h *harness, xff string) int {
		return h.request("POST", "/api/login", map[string]any{"token": "wrong"}, "X-Forwarded-For", xff).status
	}
	// Untrusted: a guesser writing a new X-Forwarded-For each time is
	// still counted by its own address.
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = serverToken })
	h.addSecrets(serverToken)
	for i := range maxAuthFailures {
		guess(h, fmt.Sprintf("192.0.2.%d", i))
	}
	if c := guess(h, "192.0.2.200"); c != 429 {
		t.Errorf("a forged X-Forwarded-For escaped the limit: %d", c)
	}
	// Behind a trusted proxy (here the loopback peer): the forwarded
	// client is counted, and the proxy itself is not locked out.
	trusted, err := ParseTrustedProxies([]string{"127.0.0.1, ::1"})
	if err != nil {
		t.Fatal(err)
	}
	h = newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = serverToken; o.TrustedProxies = trusted })
	h.addSecrets(serverToken)
	for range maxAuthFailures {
		guess(h, "192.0.2.1, 127.0.0.1")
	}
	if c := guess(h, "192.0.2.1"); c != 429 {
		t.Errorf("the forwarded guesser: %d", c)
	}
	if r := h.request("POST", "/api/login", map[string]any{"token": serverToken}, "X-Forwarded-For", "192.0.2.2"); r.status != 204 {
		t.Errorf("another client behind the proxy: %d %s", r.status, r.body)
	}
	if _, err := ParseTrustedProxies([]string{"proxy.example.com"}); err == nil {
		t.Error("a host name was taken as a trusted proxy")
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLoginWithoutToken(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	h.ok(404, "POST", "/api/login", map[string]any{"token": "anything"})
}

func TestWeakTokensRefused(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	o := h.opts
	for token, want := range map[string]string{
		"short":                            "too short",
		"aaaaaaaaaaaaaaaa":                 "too weak (1 different characters)",
		"abababababababababababababababab": "too weak (2 different characters)",
		"0123456012345601234560123456":     "too weak (7 different characters)",
	} {
		o.Token = token
		if _, err := New(context.Background(), o); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "at least 16 characters with at least 8 different ones") {
			t.Errorf("%q: %v", token, err)
		}
	}
	for _, token := range []string{serverToken, "0123456789abcdef", "kX9vQ2mZ7pL4wR8t"} {
		if err := ValidateToken(token); err != nil {
			t.Errorf("%q refused: %v", token, err)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.WebApp = testApp })
	for _, path := range []string{"/", "/api/info", "/api/nope", "/assets/index-abc123.js"} {
		r := h.request("GET", path, nil)
		csp := r.header.Get("Content-Security-Policy")
		for _, d := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, d)
			}
		}
		if script := directive(csp, "script-src"); script != "script-src 'self'" {
			t.Errorf("%s: script-src is %q, want the app's own files only (no inline, no eval)", path, script)
		}
		if strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval'd scripts: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if r.header.Get(k) != v {
				t.Errorf("%s: %s = %q", path, k, r.header.Get(k))
			}
		}
		if strings.HasPrefix(path, "/api/") && r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, r.header.Get("Cache-Control"))
		}
	}
}

func TestRequestBodyLimits(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	big := `{"type": "simple", "name": "` + strings.Repeat("x", maxJSONBody) + `"}`
	h.ok(413, "POST", "/api/checks", big)
	h.ok(400, "POST", "/api/checks", `{"type": "simple"} {"type": "simple"}`)
	h.ok(400, "POST", "/api/checks", "")
}

func sessionCookieOf(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", sessionCookie, r.header)
	return nil
}

func directive(csp, name string) string {
	for _, d := range strings.Split(csp, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, name+" ") {
			return d
		}
	}
	return ""
}
