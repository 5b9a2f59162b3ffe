package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Issue 11, finding 11: an upload's head_sha must be a commit id (40 or
// 64 hex characters); anything else is 400 with what to send, and nothing
// is recorded.
func TestUploadHeadSHAMustBeACommit(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	mr := e.mrs[0]
	token := h.ok(201, "POST", "/api/tokens", map[string]any{"name": "CI upload"}).object(t)["token"].(string)
	h.forgetAnswers()
	h.addSecrets(token)
	bearer := []string{"Authorization", "Bearer " + token}
	for _, sha := range []string{"main", "abc123", strings.Repeat("a", 39), strings.Repeat("a", 41), strings.Repeat("g", 40),
		"../../../etc/passwd", strings.Repeat("0", 40) + "\n/approve", "`rm -rf`" + strings.Repeat("0", 32), strings.Repeat("f", 63)} {
		r := h.request("POST", fmt.Sprintf("/api/mr/%d/upload?head_sha=%s", mr.IID, url.QueryEscape(sha)), stateFile(t, mr.IID, lineageCheck), append([]string{"Sec-Fetch-Site", ""}, bearer...)...)
		if r.status != 400 || !strings.Contains(string(r.body), "is not a commit id") || !strings.Contains(string(r.body), "40 (SHA-1) or 64 (SHA-256)") {
			t.Errorf("head_sha %q: %d %s", sha, r.status, r.body)
		}
	}
	if sess, err := h.store.Session(t.Context(), e.project.ID, mr.IID); err == nil && sess.Revision > 0 && sess.StateSHA != mr.SHA {
		t.Fatalf("an invalid head_sha was recorded: %+v", sess)
	}
	for _, sha := range []string{strings.Repeat("ab", 20), strings.Repeat("0F", 32)} {
		r := h.request("POST", fmt.Sprintf("/api/mr/%d/upload?head_sha=%s", mr.IID, sha), stateFile(t, mr.IID, lineageCheck), append([]string{"Sec-Fetch-Site", ""}, bearer...)...)
		if r.status != 202 {
			t.Errorf("head_sha %s: %d %s", sha, r.status, r.body)
		}
	}
}

// A webhook delivery whose last commit is not a commit id changes nothing
// (and is answered 200: GitLab disables a hook that gets 4xx).
func TestWebhookWithAnInvalidCommitIsIgnored(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	e := connected(t, h)
	e.configureWebhook(h)
	mr := e.mrs[0]
	before := mr.SHA
	e.push(mr, "not-a-commit-; DROP TABLE merge_requests")
	if r := e.deliver(h, e.pushHook(t, mr, before), "bad-sha"); r.status != 200 {
		t.Fatalf("delivery: %d %s", r.status, r.body)
	}
	stored, err := h.store.MergeRequest(t.Context(), e.project.ID, mr.IID)
	if err != nil || stored.SHA != before {
		t.Errorf("the stored head is %q (%v), want %s", stored.SHA, err, before)
	}
}
