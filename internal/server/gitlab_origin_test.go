package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Issue 11, finding 5: Settings' connect to a GitLab URL that redirects to
// another origin never sends the token there; the answer says where GitLab
// redirected and which URL to set.
func TestSettingsConnectDoesNotFollowARedirectElsewhere(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := newGitLab(t, h)
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != "" || r.Header.Get("JOB-TOKEN") != "" {
			leaked.Add(1)
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(other.Close)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(front.Close)

	m := h.ok(422, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": front.URL, "token": e.api.Value, "project": "data/analytics"}).object(t)
	if msg := m["error"].(string); !strings.Contains(msg, "redirected") || !strings.Contains(msg, other.URL) {
		t.Errorf("the answer does not say where GitLab redirected: %s", msg)
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the other origin received the token %d times", n)
	}
	if _, err := h.store.Connection(t.Context()); err == nil {
		t.Error("a connection was stored")
	}
}

// Issue 11, finding 10: a GitLab URL typed in Settings that leads to a
// cloud metadata address is refused (no flag given); one that leads to a
// service that is not GitLab gets an answer that does not repeat what the
// service said.
func TestSettingsConnectToMetadataOrNonGitLab(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := newGitLab(t, h)
	for _, u := range []string{"http://169.254.169.254", "http://[fd00:ec2::254]"} {
		m := h.ok(422, "PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": u, "token": e.api.Value, "project": "data/analytics"}).object(t)
		if msg := m["error"].(string); !strings.Contains(msg, "link-local") || !strings.Contains(msg, "--allow-link-local-gitlab") {
			t.Errorf("%s: %s", u, msg)
		}
	}
	const secret = "aws-secret-access-key-from-metadata"
	metadata := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/user"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error": "` + secret + `", "newest-versions": ["2021-02-01"]}`))
		default:
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>" + secret + "</html>"))
		}
	}))
	t.Cleanup(metadata.Close)
	h.addSecrets(secret)
	r := h.request("PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": metadata.URL, "token": e.api.Value, "project": "data/analytics"})
	if r.status != 422 || !strings.Contains(string(r.body), "not a GitLab API error") {
		t.Errorf("non-GitLab answer: %d %s", r.status, r.body)
	}
	// (the harness's cleanup asserts the secret is in no answer and no log)
}
