package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The security model (docs/api.md, issue 6):
//
//   - Without RECCE_SERVER_TOKEN the server listens on loopback only, and
//     answers only requests addressed to a loopback host name: a web page
//     that rebinds its own DNS name to 127.0.0.1 reaches the port, but with
//     its own name in Host, and is refused.
//   - With the token, every API request needs it: as a bearer token
//     (scripts) or as the session cookie that POST /api/login sets (the
//     browser). The cookie holds an expiry and an HMAC keyed by the token,
//     never the token, so every instance sharing the token accepts it and
//     changing the token signs everyone out.
//   - Requests that change state must also come from the app's own origin
//     (Sec-Fetch-Site, else Origin) or carry the bearer token, so another
//     site cannot make a signed-in browser act (CSRF).
//   - The GitLab webhook is authenticated by its own secret only, and a
//     pipeline's upload by its CI job token or a server API token only
//     (upload.go); neither is a browser request, so the origin rule does
//     not apply to them.
//   - GET /metrics is protected like the API (Prometheus sends the token
//     as a bearer token).

const (
	sessionCookie = "recce_session"
	sessionTTL    = 30 * 24 * time.Hour
	// MinTokenLength is the shortest RECCE_SERVER_TOKEN accepted: the
	// token guards the warehouse and the GitLab token, and the sign-in
	// can be tried over the network.
	MinTokenLength = 16
	// MinTokenDistinct is how many different characters it needs at
	// least: "aaaaaaaaaaaaaaaa" is 16 characters and no secret. A random
	// token of 16 characters has 8 different ones or more but for one
	// hex token in a hundred.
	MinTokenDistinct = 8
)

// ValidateToken checks a RECCE_SERVER_TOKEN ("" means none): at least
// MinTokenLength characters, at least MinTokenDistinct of them different.
func ValidateToken(token string) error {
	if token == "" {
		return nil
	}
	const how = "use at least %d characters with at least %d different ones, best random: for example the output of `openssl rand -base64 32`"
	if n := utf8.RuneCountInString(token); n < MinTokenLength {
		return fmt.Errorf("RECCE_SERVER_TOKEN is too short (%d characters): "+how, n, MinTokenLength, MinTokenDistinct)
	}
	distinct := map[rune]bool{}
	for _, r := range token {
		distinct[r] = true
	}
	if len(distinct) < MinTokenDistinct {
		return fmt.Errorf("RECCE_SERVER_TOKEN is too weak (%d different characters): "+how, len(distinct), MinTokenLength, MinTokenDistinct)
	}
	return nil
}

// csp allows only the app's own files: no inline script, no eval, no
// framing. Inline styles are allowed because the graph and editor
// libraries position elements with style attributes.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if isHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			// API answers carry review data: never cached by a browser or proxy.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// isHTTPS tells whether the browser talks HTTPS to us, directly or through
// a proxy that says so. Trusting the proxy header is safe here: it only
// ever adds the Secure flag to the cookie.
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// guard enforces the host, authentication and origin rules above, and
// limits failed credentials per client address (clients.go).
type guard struct {
	token   string // "" when the server runs without RECCE_SERVER_TOKEN
	now     func() time.Time
	trusted []netip.Prefix // reverse proxies whose X-Forwarded-For is believed
	limiter *failureLimiter
}

// public paths need no sign-in: the app's own files (the sign-in page is
// one of them), health and readiness probes, the sign-in itself, and the
// webhook, which has its own secret.
func public(path string) bool {
	if path == "/metrics" {
		return false
	}
	if !strings.HasPrefix(path, "/api/") {
		return true
	}
	switch path {
	case "/api/health", "/api/ready", "/api/login", webhookPath:
		return true
	}
	return uploadPath(path)
}

// uploadPath tells whether path is a pipeline's upload, POST
// /api/mr/{iid}/upload, which authenticates itself.
func uploadPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/mr/")
	iid, tail, _ := strings.Cut(rest, "/")
	return ok && iid != "" && tail == "upload"
}

func (g *guard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.token == "" && !loopbackHost(r.Host) {
			writeError(w, errorf(http.StatusForbidden,
				"this server runs without RECCE_SERVER_TOKEN and so answers only on a loopback address (open http://127.0.0.1 or http://localhost); to serve it under the name %q, set RECCE_SERVER_TOKEN", hostOnly(r.Host)))
			return
		}
		creds := carriesCredentials(r)
		client := clientKey(clientAddr(r, g.trusted))
		if creds {
			if left, blocked := g.limiter.blocked(client); blocked {
				w.Header().Set("Retry-After", strconv.Itoa(int(left.Seconds())+1))
				writeError(w, errorf(http.StatusTooManyRequests,
					"too many wrong tokens from your address (%s) in the last minute: wait %d seconds and try again", client.Addr(), int(left.Seconds())+1))
				return
			}
		}
		bearer := g.validBearer(r)
		if g.token != "" && !public(r.URL.Path) && !bearer && !g.validCookie(r) {
			if creds {
				g.limiter.fail(client)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="recce"`)
			writeError(w, errorf(http.StatusUnauthorized,
				"sign in: this server needs the token in its RECCE_SERVER_TOKEN (in the browser, on the sign-in page; from a script, as the header Authorization: Bearer <token>)"))
			return
		}
		if changesState(r.Method) && r.URL.Path != webhookPath && !uploadPath(r.URL.Path) && !bearer {
			if msg := g.crossOrigin(r); msg != "" {
				writeError(w, errorf(http.StatusForbidden, "%s", msg))
				return
			}
		}
		if !creds {
			next.ServeHTTP(w, r)
			return
		}
		// The handlers that check credentials of their own (the sign-in,
		// uploads, the webhook) answer 401 to a wrong one.
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusUnauthorized {
			g.limiter.fail(client)
		}
	})
}

func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// crossOrigin returns why a state-changing request is refused, or "" when
// it comes from the app's own origin. Browsers send Sec-Fetch-Site (and
// scripts cannot forge it); older browsers and plain-HTTP origins send only
// Origin. A request with neither comes from a program, not a browser page:
// it is accepted only when there is no token it could have sent instead.
func (g *guard) crossOrigin(r *http.Request) string {
	const refused = "refused: this request changes data and does not come from the recce app's own page (a page of another site cannot act on your behalf); scripts send Authorization: Bearer <RECCE_SERVER_TOKEN>"
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin":
		return ""
	case "":
	default:
		return refused
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return refused
		}
		return ""
	}
	if g.token != "" {
		return "refused: send the token as Authorization: Bearer <RECCE_SERVER_TOKEN> with requests that change data"
	}
	return ""
}

func (g *guard) validBearer(r *http.Request) bool {
	if g.token == "" {
		return false
	}
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[len(prefix):])), []byte(g.token)) == 1
}

// sessionValue is "<expiry unix seconds>.<HMAC-SHA256 of it, keyed by the token>".
func (g *guard) sessionValue(expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + g.sign(exp)
}

func (g *guard) sign(s string) string {
	key := sha256.Sum256([]byte("recce session key\x00" + g.token))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (g *guard) validCookie(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	exp, mac, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(g.sign(exp))) {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && g.now().Before(time.Unix(n, 0))
}

// login handles POST /api/login {"token"}: 204 and the session cookie for
// the right token, 401 otherwise.
func (g *guard) login(w http.ResponseWriter, r *http.Request) error {
	if g.token == "" {
		return errorf(http.StatusNotFound, "this server needs no sign-in: it runs without RECCE_SERVER_TOKEN, on a loopback address")
	}
	var body struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, 4096, &body); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(body.Token)), []byte(g.token)) != 1 {
		return errorf(http.StatusUnauthorized, "wrong token: paste the value of RECCE_SERVER_TOKEN that the server was started with")
	}
	expires := g.now().Add(sessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    g.sessionValue(expires),
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(sessionTTL.Seconds()),
		Secure:   isHTTPS(r),
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// hostOnly strips the port from a Host header.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// loopbackHost tells whether a Host header names this machine's loopback
// interface.
func loopbackHost(hostport string) bool {
	h := strings.ToLower(hostOnly(hostport))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// LoopbackAddress tells whether a listen host (a --host value) is a loopback
// address, where the server may run without RECCE_SERVER_TOKEN.
func LoopbackAddress(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
