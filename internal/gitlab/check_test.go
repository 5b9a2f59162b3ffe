package gitlab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

func check(t *testing.T, c *Client, project string) *Report {
	t.Helper()
	r, err := c.Check(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	for _, s := range []string{string(b)} {
		if tokenPattern.MatchString(s) {
			t.Fatalf("the report holds a token: %s", s)
		}
	}
	return r
}

func item(t *testing.T, r *Report, name string) CheckItem {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Checks)
	return CheckItem{}
}

func TestCheckFullMode(t *testing.T) {
	e := setup(t)
	r := check(t, e.client(t, e.token), "data/analytics")
	if !r.OK || r.Mode != ModeFull {
		t.Fatalf("ok=%v mode=%s checks=%+v", r.OK, r.Mode, r.Checks)
	}
	if r.User.Username != "recce-bot" || r.User.ID != e.bot.ID {
		t.Errorf("user = %+v", r.User)
	}
	if r.Token.Name != "Recce Integration" || r.Token.ExpiresAt != inDays(68) || r.Token.DaysLeft == nil || *r.Token.DaysLeft != 68 || r.Token.WriteAccess != "yes" {
		t.Errorf("token = %+v", r.Token)
	}
	if r.Project.ID != 42 || r.Project.Path != "data/analytics" || r.Project.AccessLevel != 40 || r.Project.Role != "maintainer" {
		t.Errorf("project = %+v", r.Project)
	}
	for _, c := range r.Checks {
		if !c.OK || c.Severity != SeverityInfo {
			t.Errorf("check %+v", c)
		}
	}
	// By numeric id too.
	if r := check(t, e.client(t, e.token), "42"); !r.OK {
		t.Errorf("by id: %+v", r.Checks)
	}
}

func TestCheckReadOnlyToken(t *testing.T) {
	e := setup(t)
	tok := e.fake.AddToken(e.bot, "Read only", []string{"read_api"}, "")
	r := check(t, e.client(t, tok), "data/analytics")
	if !r.OK || r.Mode != ModeReadOnly || r.CanPost() {
		t.Fatalf("ok=%v mode=%s", r.OK, r.Mode)
	}
	sc := item(t, r, CheckTokenScope)
	if sc.Severity != SeverityWarning || !strings.Contains(sc.Message, "will NOT be posted") ||
		!strings.Contains(sc.Hint, "api scope") || !strings.Contains(sc.Hint, e.fake.URL+"/-/user_settings/personal_access_tokens") {
		t.Errorf("scope check = %+v", sc)
	}
	if ex := item(t, r, CheckTokenExpiry); !strings.Contains(ex.Message, "does not expire") {
		t.Errorf("expiry = %+v", ex)
	}
	if len(e.fake.Writes()) != 0 {
		t.Error("the check wrote")
	}
}

func TestCheckTokenFailures(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(e *env) string // returns the token value to use
		want    string              // in the token check's message
	}{
		{"unknown", func(e *env) string { return "glpat-doesnotexist0000000" }, "does not know this token"},
		{"expired", func(e *env) string {
			return e.fake.AddToken(e.bot, "old", []string{"api"}, inDays(-1)).Value
		}, "has expired"},
		{"expires at midnight UTC today", func(e *env) string {
			return e.fake.AddToken(e.bot, "today", []string{"api"}, inDays(0)).Value
		}, "has expired"},
		{"revoked", func(e *env) string {
			tok := e.fake.AddToken(e.bot, "gone", []string{"api"}, "")
			e.fake.UpdateToken(tok, func(t *gitlabtest.Token) { t.Revoked = true })
			return tok.Value
		}, "was revoked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			value := c.prepare(e)
			r := check(t, e.client(t, &gitlabtest.Token{Value: value}), "data/analytics")
			if r.OK || r.Mode != ModeNone {
				t.Fatalf("ok=%v mode=%s", r.OK, r.Mode)
			}
			tc := item(t, r, CheckToken)
			if tc.OK || tc.Severity != SeverityError || !strings.Contains(tc.Message, c.want) {
				t.Errorf("token check = %+v, want %q", tc, c.want)
			}
			if !strings.Contains(tc.Hint, "/-/user_settings/personal_access_tokens") {
				t.Errorf("hint has no link: %q", tc.Hint)
			}
			if u := item(t, r, CheckGitLabURL); !u.OK {
				t.Errorf("the URL check failed for a token problem: %+v", u)
			}
		})
	}
}

func TestCheckNoReadScope(t *testing.T) {
	e := setup(t)
	// read_repository alone cannot even read /user.
	tok := e.fake.AddToken(e.bot, "git only", []string{"read_repository"}, "")
	r := check(t, e.client(t, tok), "data/analytics")
	if r.Mode != ModeNone || r.OK {
		t.Fatalf("mode=%s", r.Mode)
	}
	if sc := item(t, r, CheckTokenScope); sc.OK || !strings.Contains(sc.Message, "neither the api nor the read_api") {
		t.Errorf("scope = %+v", sc)
	}
	// read_user can read /user and its own scopes, nothing else.
	tok = e.fake.AddToken(e.bot, "profile", []string{"read_user"}, "")
	r = check(t, e.client(t, tok), "data/analytics")
	if sc := item(t, r, CheckTokenScope); r.Mode != ModeNone || sc.OK || !strings.Contains(sc.Message, "read_user") {
		t.Errorf("mode=%s scope = %+v", r.Mode, sc)
	}
}

func TestCheckExpiringSoonWarns(t *testing.T) {
	e := setup(t)
	tok := e.fake.AddToken(e.bot, "soon", []string{"api"}, inDays(5))
	r := check(t, e.client(t, tok), "data/analytics")
	ex := item(t, r, CheckTokenExpiry)
	if !r.OK || ex.Severity != SeverityWarning || !strings.Contains(ex.Message, inDays(5)) || !strings.Contains(ex.Message, "in 5 days") {
		t.Fatalf("ok=%v expiry=%+v", r.OK, ex)
	}
}

func TestCheckFineGrainedToken(t *testing.T) {
	e := setup(t)
	tok := e.fake.AddToken(e.bot, "granular", nil, inDays(30))
	e.fake.UpdateToken(tok, func(t *gitlabtest.Token) { t.Granular = true })
	r := check(t, e.client(t, tok), "data/analytics")
	sc := item(t, r, CheckTokenScope)
	if r.Mode != ModeFull || r.Token.WriteAccess != "unknown" || sc.Severity != SeverityWarning || !strings.Contains(sc.Message, "unknown") {
		t.Fatalf("mode=%s token=%+v scope=%+v", r.Mode, r.Token, sc)
	}
}

func TestCheckProjectAndRole(t *testing.T) {
	e := setup(t)
	r := check(t, e.client(t, e.token), "data/missing")
	if p := item(t, r, CheckProject); r.Mode != ModeNone || p.OK || !strings.Contains(p.Message, "not found") || !strings.Contains(p.Hint, "Maintainer") {
		t.Errorf("missing project: mode=%s %+v", r.Mode, p)
	}
	r = check(t, e.client(t, e.token), "")
	if p := item(t, r, CheckProject); r.OK || !strings.Contains(p.Hint, "CI_PROJECT_ID") {
		t.Errorf("no project: %+v", p)
	}

	// A Developer: the token works, the role check fails and names the role.
	tok := e.fake.AddToken(e.human, "ana's", []string{"api"}, "")
	r = check(t, e.client(t, tok), "data/analytics")
	role := item(t, r, CheckProjectRole)
	if r.OK || r.Mode != ModeFull || role.OK || !strings.Contains(role.Message, "a Developer") || !strings.Contains(role.Message, "Maintainer or Owner") ||
		!strings.Contains(role.Hint, "Maintainer role") || r.Project.Role != "developer" {
		t.Errorf("developer: ok=%v role=%+v", r.OK, role)
	}

	// An Owner passes; a project access token's bot user is reported as such.
	botUser := e.fake.AddUser("project_42_bot")
	botUser.Bot = true
	e.fake.SetMember(e.project, botUser, gitlabtest.Owner)
	r = check(t, e.client(t, e.fake.AddToken(botUser, "project token", []string{"api"}, "")), "data/analytics")
	if !r.OK || r.Project.Role != "owner" || !strings.Contains(item(t, r, CheckToken).Message, "bot user") {
		t.Errorf("owner bot: ok=%v %+v", r.OK, r.Checks)
	}
}

func TestCheckUnreachableURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Options{URL: "http://" + addr, Token: "glpat-unreachable0000000", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	r := check(t, c, "42")
	u := item(t, r, CheckGitLabURL)
	if r.Mode != ModeNone || u.OK || !strings.Contains(u.Message, "cannot reach") || !strings.Contains(u.Message, "connection refused") {
		t.Fatalf("url check = %+v", u)
	}
	if strings.Contains(u.Message+u.Hint, "glpat-unreachable") {
		t.Fatal("token in message")
	}
}

func TestCheckURLThatIsNotGitLab(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!DOCTYPE html><html><body>Welcome to our wiki</body></html>"))
	}))
	defer html.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	for _, u := range []string{html.URL, notFound.URL} {
		c, err := New(Options{URL: u, Token: "glpat-notgitlab00000000", Retry: fast})
		if err != nil {
			t.Fatal(err)
		}
		r := check(t, c, "42")
		item := item(t, r, CheckGitLabURL)
		if r.Mode != ModeNone || item.OK || !strings.Contains(item.Message, "does not answer like GitLab") {
			t.Errorf("%s: %+v", u, item)
		}
	}
}

func TestSelfManagedSubPath(t *testing.T) {
	e := setup(t, gitlabtest.WithPathPrefix("/gitlab"))
	for _, u := range []string{e.fake.URL, e.fake.URL + "/", e.fake.URL + "/api/v4", e.fake.URL + "/api/v4/"} {
		c := e.client(t, e.token, func(o *Options) { o.URL = u })
		if c.URL() != e.fake.URL {
			t.Errorf("URL(%q) = %q", u, c.URL())
		}
		r := check(t, c, "data/analytics")
		if !r.OK {
			t.Errorf("%s: %+v", u, r.Checks)
		}
		if hint := c.TokenSettingsURL(); hint != e.fake.URL+"/-/user_settings/personal_access_tokens" {
			t.Errorf("settings URL %q", hint)
		}
	}
	// Without the sub-path the API is not there.
	c := e.client(t, e.token, func(o *Options) { o.URL = e.fake.HTTP.URL })
	if r := check(t, c, "data/analytics"); item(t, r, CheckGitLabURL).OK {
		t.Error("the instance root without its sub-path passed the URL check")
	}
}

// newCA makes a certificate authority and a server certificate for
// 127.0.0.1 signed by it, as a private CA of a self-managed instance would.
func newCA(t *testing.T) (caPEM []byte, server tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Recce Test Root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "gitlab.internal"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
}

func TestTLSWithCustomCA(t *testing.T) {
	caPEM, cert := newCA(t)
	e := setup(t, gitlabtest.WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// Without the CA bundle: a TLS failure that says what to do.
	c, err := New(Options{URL: e.fake.URL, Token: e.token.Value, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	r := check(t, c, "data/analytics")
	u := item(t, r, CheckGitLabURL)
	if u.OK || !strings.Contains(u.Message, "TLS failure") || !strings.Contains(u.Message, "unknown authority") || !strings.Contains(u.Hint, "--gitlab-ca-file") {
		t.Fatalf("without CA: %+v", u)
	}
	// With it: full.
	c, err = New(Options{URL: e.fake.URL, Token: e.token.Value, CAFile: caFile, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	if r := check(t, c, "data/analytics"); !r.OK {
		t.Fatalf("with CA: %+v", r.Checks)
	}
	// A file with no certificate is refused up front.
	bad := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := New(Options{URL: e.fake.URL, Token: e.token.Value, CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("bad CA file: %v", err)
	}
}

func TestNormalizeURL(t *testing.T) {
	cases := map[string]string{
		"":                                 "https://gitlab.com",
		"https://gitlab.example.com/":      "https://gitlab.example.com",
		"https://host/sub/path/api/v4/":    "https://host/sub/path",
		"https://host/sub/api/v4?x=1#frag": "https://host/sub",
		" https://gitlab.com/api/v4 ":      "https://gitlab.com",
	}
	for in, want := range cases {
		got, err := NormalizeURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"gitlab.com", "ftp://x", "https://user:glpat-secret@host"} {
		if _, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "glpat-secret") {
			t.Errorf("credentials echoed: %v", err)
		}
	}
}
