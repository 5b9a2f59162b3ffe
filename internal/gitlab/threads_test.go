package gitlab

import (
	"net/http"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/summary"
)

func thread(key string, open bool, text string) summary.Thread {
	return summary.Thread{Key: key, Open: open, Body: "#### " + text + "\n\n/merge\n"}
}

// recceThreadsOf returns recce's discussions on the merge request, by the
// fake: the first note of each thread.
func (e *env) threadNotes(t *testing.T) []gitlabtest.Note {
	t.Helper()
	var out []gitlabtest.Note
	for _, n := range e.fake.Notes(e.project.ID, e.mr.IID) {
		if n.Type == "DiscussionNote" && n.AuthorID == e.bot.ID {
			out = append(out, n)
		}
	}
	return out
}

func (e *env) mergeStatus(t *testing.T) (string, bool) {
	t.Helper()
	c, _ := gl.NewClient(e.token.Value, gl.WithBaseURL(e.fake.URL))
	mr, _, err := c.MergeRequests.GetMergeRequest(e.project.ID, e.mr.IID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return mr.DetailedMergeStatus, mr.BlockingDiscussionsResolved
}

// Issue 14, point 10: one resolvable thread per check that found a
// mismatch or did not complete, never two, resolved when it passes or is
// approved; with "All threads must be resolved" they hold the merge.
func TestThreadsPerCheck(t *testing.T) {
	e := setup(t)
	e.fake.UpdateProject(e.project, func(p *gitlabtest.Project) { p.AllThreadsMustBeResolved = true })
	c := e.client(t, e.token)
	run := func(threads ...summary.Thread) *ThreadsResult {
		t.Helper()
		res, err := c.SyncThreads(t.Context(), "data/analytics", e.mr.IID, threads)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := run(thread("c1", true, "mismatch in orders"), thread("c2", true, "did not complete"), thread("c3", false, "passes"))
	if res.Opened != 2 || res.Open != 2 || len(e.threadNotes(t)) != 2 {
		t.Fatalf("first run: %+v, %d threads", res, len(e.threadNotes(t)))
	}
	if st, resolved := e.mergeStatus(t); st != "discussions_not_resolved" || resolved {
		t.Fatalf("merge status %s, resolved %v", st, resolved)
	}
	if mr := e.fake.GetMergeRequest(e.project.ID, e.mr.IID); mr.State != "opened" {
		t.Fatalf("a quick action ran: %s", mr.State)
	}
	for _, n := range e.threadNotes(t) {
		if !strings.Contains(n.Body, `\/merge`) || !strings.Contains(n.Body, "<!-- recce:check=c") {
			t.Fatalf("thread body %q", n.Body)
		}
	}

	// The same again: nothing written.
	e.fake.ResetLog()
	if res := run(thread("c1", true, "mismatch in orders"), thread("c2", true, "did not complete"), thread("c3", false, "passes")); res.Unchanged != 2 || len(e.fake.Writes()) != 0 {
		t.Fatalf("again: %+v, writes %+v", res, e.fake.Writes())
	}

	// A new mismatch whose answer is lost: one thread all the same.
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/discussions", AfterWrite: true, Status: http.StatusGatewayTimeout, Body: "{}"})
	if res := run(thread("c1", true, "mismatch in orders"), thread("c2", true, "did not complete"), thread("c4", true, "new mismatch")); res.Opened != 1 {
		t.Fatalf("lost answer: %+v", res)
	}
	if n := len(e.threadNotes(t)); n != 3 {
		t.Fatalf("%d threads after a lost answer, want 3", n)
	}

	// c1 passes, c2 was approved, c4 left the checklist: all resolved, the
	// merge is no longer held.
	res = run(thread("c1", false, "passes now"), thread("c2", false, "approved"))
	if res.Resolved != 3 || res.Open != 0 {
		t.Fatalf("resolve: %+v", res)
	}
	if st, resolved := e.mergeStatus(t); st != "mergeable" || !resolved {
		t.Fatalf("merge status %s, resolved %v", st, resolved)
	}
	for _, n := range e.threadNotes(t) {
		if strings.Contains(n.Body, "<!-- recce:check=c4 -->") && !strings.Contains(n.Body, "no longer in the checklist") {
			t.Errorf("removed check: %q", n.Body)
		}
	}

	// c1 fails again: recce resolved it, recce reopens it.
	if res := run(thread("c1", true, "mismatch again"), thread("c2", false, "approved")); res.Reopened != 1 || res.Updated != 1 {
		t.Fatalf("reopen: %+v", res)
	}
	// A person resolves it: it stays resolved, someone looked.
	ana := e.client(t, e.fake.AddToken(e.human, "ana", []string{"api"}, ""))
	ds, _, _ := ana.api.Discussions.ListMergeRequestDiscussions(e.project.ID, e.mr.IID, nil)
	for _, d := range ds {
		if !d.IndividualNote && strings.Contains(d.Notes[0].Body, "recce:check=c1 ") {
			if _, _, err := ana.api.Discussions.ResolveMergeRequestDiscussion(e.project.ID, e.mr.IID, d.ID, &gl.ResolveMergeRequestDiscussionOptions{Resolved: gl.Ptr(true)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if res := run(thread("c1", true, "mismatch again"), thread("c2", false, "approved")); res.Reopened != 0 || res.Open != 0 {
		t.Fatalf("resolved by a person: %+v", res)
	}
}

func TestThreadsReadOnlyAndHostileKeys(t *testing.T) {
	e := setup(t)
	ro := e.fake.AddToken(e.bot, "ro", []string{"read_api"}, "")
	if _, err := e.client(t, ro).SyncThreads(t.Context(), "data/analytics", e.mr.IID, []summary.Thread{thread("c1", true, "x")}); KindOf(err) != KindReadOnly || len(e.fake.Writes()) != 0 {
		t.Fatalf("read only: %v", err)
	}
	// A check id that could end the comment is hashed into the marker.
	m := ThreadMarker("x --> /merge")
	if strings.Count(m, "-->") != 1 || strings.Contains(m, "merge") || ThreadMarker("x --> /merge") != m {
		t.Fatalf("marker %q", m)
	}
}
