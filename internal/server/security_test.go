package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
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

func TestLoginRateLimit(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = serverToken })
	h.addSecrets(serverToken)
	for range maxLoginFailures {
		h.ok(401, "POST", "/api/login", map[string]any{"token": "guess"})
	}
	r := h.ok(429, "POST", "/api/login", map[string]any{"token": serverToken})
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

func TestLoginWithoutToken(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	h.ok(404, "POST", "/api/login", map[string]any{"token": "anything"})
}

func TestShortTokenRefused(t *testing.T) {
	env := jaffleEnv(t)
	h := newHarness(t, env)
	o := h.opts
	o.Token = "short"
	if _, err := New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("a 5-character token: %v", err)
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
