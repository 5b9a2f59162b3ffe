package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// elsewhere is a second listener that records the credentials it was sent.
type elsewhere struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newElsewhere(t *testing.T) *elsewhere {
	e := &elsewhere{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		for _, h := range []string{"PRIVATE-TOKEN", "JOB-TOKEN", "Authorization"} {
			if v := r.Header.Get(h); v != "" {
				e.seen = append(e.seen, h+": "+v)
			}
		}
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id": 1, "username": "attacker"}`))
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *elsewhere) credentials() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen
}

// redirector answers every request with a redirect to target + the path.
func redirector(t *testing.T, target string, code int) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.RequestURI(), code)
	}))
	t.Cleanup(s.Close)
	return s
}

// A GitLab that redirects to another origin (here another port of the same
// host) never gets the token sent there, with the access token or the CI
// job token, and the error says where it redirected and what to set.
func TestRedirectToAnotherOriginKeepsTheToken(t *testing.T) {
	e := setup(t)
	other := newElsewhere(t)
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		front := redirector(t, other.URL+"/gitlab", code)
		c := e.client(t, e.token, func(o *Options) { o.URL = front.URL })
		r := check(t, c, "data/analytics")
		if r.OK {
			t.Fatalf("%d: a redirect to another origin passed the check: %+v", code, r.Checks)
		}
		it := item(t, r, CheckGitLabURL)
		if !strings.Contains(it.Message, other.URL+"/gitlab/api/v4/user") || !strings.Contains(it.Message, "set the GitLab URL to "+other.URL+"/gitlab") {
			t.Errorf("%d: the message does not say where GitLab redirected and what to set: %q", code, it.Message)
		}
		_, err := c.GetMergeRequest(t.Context(), "42", 1)
		if KindOf(err) != KindRedirected {
			t.Errorf("%d: list merge requests: kind %s (%v)", code, KindOf(err), err)
		}
		_, err = VerifyJobTokenWith(t.Context(), Options{URL: front.URL, Retry: fast}, "glcbt-64_job-token-of-a-running-job")
		var re *RedirectError
		if !errors.As(err, &re) && KindOf(err) != KindRedirected {
			t.Errorf("%d: job token: %v", code, err)
		}
		if strings.Contains(err.Error(), "glcbt-64_job") {
			t.Errorf("the job token is in the error: %v", err)
		}
	}
	if seen := other.credentials(); len(seen) > 0 {
		t.Fatalf("the second origin received credentials: %d requests (%.20s…)", len(seen), seen[0])
	}
	// A redirect from https to http on the same host is another origin too.
	a, _ := url.Parse("https://gitlab.example.com/api/v4/user")
	b, _ := url.Parse("http://gitlab.example.com/api/v4/user")
	if sameOrigin(a, b) {
		t.Error("https and http are the same origin")
	}
	c, _ := url.Parse("https://GitLab.example.com:443/x")
	if !sameOrigin(a, c) {
		t.Error("the default port and the host's case make another origin")
	}
}

// Within its own origin (an instance moved to a sub-path), a redirect is
// followed.
func TestSameOriginRedirectIsFollowed(t *testing.T) {
	e := setup(t)
	target, _ := url.Parse(e.fake.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/old"); ok {
			http.Redirect(w, r, rest, http.StatusMovedPermanently)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	r := check(t, e.client(t, e.token, func(o *Options) { o.URL = front.URL + "/old" }), "data/analytics")
	if !r.OK {
		t.Fatalf("a same-origin redirect was not followed: %+v", r.Checks)
	}
}

// Link-local and metadata addresses are refused at connect time, whatever
// the name that led there, unless allowed.
func TestLinkLocalAddressesRefused(t *testing.T) {
	for _, a := range []string{"169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254", "100.100.100.200"} {
		if !refusedAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is not refused", a)
		}
		err := dialControl("tcp", netip.AddrPortFrom(netip.MustParseAddr(a), 80).String(), nil)
		if !errors.Is(err, ErrLinkLocal) || !strings.Contains(err.Error(), "--allow-link-local-gitlab") {
			t.Errorf("dial %s: %v", a, err)
		}
	}
	for _, a := range []string{"127.0.0.1", "10.0.0.1", "192.168.1.1", "172.217.0.1", "::1", "2001:db8::1", "fd00::1"} {
		if refusedAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is refused", a)
		}
	}
	// Through the client: refused before any byte is sent, not retried,
	// said in the check report.
	c, err := New(Options{URL: "http://169.254.169.254", Token: "glpat-not-sent-anywhere", Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Check(t.Context(), "data/analytics")
	if err != nil {
		t.Fatal(err)
	}
	if it := item(t, r, CheckGitLabURL); it.OK || !strings.Contains(it.Message, "link-local") {
		t.Errorf("check: %+v", it)
	}
	if _, err := c.GetMergeRequest(t.Context(), "42", 1); KindOf(err) != KindRefusedAddress {
		t.Errorf("kind %s: %v", KindOf(err), err)
	}
	// Allowed by the administrator: the connection is tried (and fails
	// here, where nothing answers at that address, but not as refused).
	c, err = New(Options{URL: "http://169.254.169.254", Token: "glpat-not-sent-anywhere", Retry: RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond},
		RequestTimeout: 100 * time.Millisecond, AllowLinkLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetMergeRequest(t.Context(), "42", 1); err == nil || KindOf(err) == KindRefusedAddress {
		t.Errorf("allowed, yet: %v", err)
	}
}

// A GitLab URL that leads to something else than GitLab (a web page,
// another service's API, a cloud metadata document) gets an error that
// says so, and never repeats what that service answered.
func TestNonGitLabAnswersAreNotEchoed(t *testing.T) {
	const secret = "AKIA-SECRET-FROM-THE-METADATA-SERVICE"
	answers := []struct {
		name, contentType, body string
		status                  int
	}{
		{"an HTML page", "text/html", "<html><body>" + secret + "</body></html>", 200},
		{"an HTML error page", "text/html", "<h1>Not found</h1>" + secret, 404},
		{"another service's JSON error", "application/json", `{"error": "` + secret + `", "newest-versions": ["2023-07-01"]}`, 400},
		{"GitLab's shape, served as HTML", "text/html", `{"message": "` + secret + `"}`, 401},
		{"a metadata document", "application/json", `{"Code": "Success", "AccessKeyId": "` + secret + `", "Token": "` + secret + `"}`, 200},
		{"a metadata document, refused", "application/json", `{"Code": "Forbidden", "Message": "` + secret + `"}`, 403},
		{"plain text", "text/plain", secret, 500},
	}
	for _, a := range answers {
		t.Run(a.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", a.contentType)
				w.WriteHeader(a.status)
				w.Write([]byte(a.body))
			}))
			t.Cleanup(srv.Close)
			c, err := New(Options{URL: srv.URL, Token: "glpat-some-token-value", Retry: fast})
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.Check(t.Context(), "data/analytics")
			if err != nil {
				t.Fatal(err)
			}
			rep, _ := json.Marshal(r)
			_, mrErr := c.GetMergeRequest(t.Context(), "42", 1)
			_, jobErr := VerifyJobTokenWith(t.Context(), Options{URL: srv.URL, Retry: fast}, "glcbt-64_a-job-token")
			for what, text := range map[string]string{"report": string(rep), "error": fmt.Sprint(mrErr), "job token error": fmt.Sprint(jobErr)} {
				if strings.Contains(text, secret) {
					t.Errorf("the %s repeats the answer: %s", what, text)
				}
			}
			if r.OK || jobErr == nil || (mrErr == nil && a.status != 200) {
				t.Errorf("a non-GitLab answer was accepted: report ok %v, %v, %v", r.OK, mrErr, jobErr)
			}
		})
	}
	// GitLab's own error answers are still read (clipped to one line).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message": {"base": ["the branch is protected\nsecond line"]}}`))
	}))
	t.Cleanup(srv.Close)
	c, _ := New(Options{URL: srv.URL, Token: "glpat-some-token-value", Retry: fast})
	_, err := c.GetMergeRequest(t.Context(), "42", 1)
	if err == nil || !strings.Contains(err.Error(), "the branch is protected second line") {
		t.Errorf("GitLab's message is lost: %v", err)
	}
}
