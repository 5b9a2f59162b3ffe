package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Issue 11, finding 5: `recce gitlab doctor --gitlab-url` against a GitLab
// that redirects to another origin (a second port) never sends the token
// there, and says where GitLab redirected and what to set.
func TestGitLabDoctorDoesNotFollowARedirectElsewhere(t *testing.T) {
	e := newGLEnv(t)
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != "" {
			leaked.Add(1)
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(other.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	t.Cleanup(front.Close)
	env := e.workstation()
	env["RECCE_GITLAB_TOKEN"] = e.token.Value
	out, _, code := e.run(t, env, "", "gitlab", "doctor", "--gitlab-url", front.URL, "--project", "42")
	if code == 0 || !strings.Contains(out, "redirected to another address ("+other.URL) || !strings.Contains(out, "set the GitLab URL to "+other.URL) {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the other origin received the token %d times", n)
	}
	// A link-local GitLab URL is refused unless allowed.
	out, _, code = e.run(t, env, "", "gitlab", "doctor", "--gitlab-url", "http://169.254.169.254", "--project", "42")
	if code == 0 || !strings.Contains(out, "--allow-link-local-gitlab") {
		t.Errorf("link-local: exit %d:\n%s", code, out)
	}
}
