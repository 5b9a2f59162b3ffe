package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/recce-go/recce/internal/summary"
)

// Checks as threads: one resolvable discussion per check that found a
// mismatch or did not complete (lib/api/discussions.rb), found again by a
// hidden marker per check and the token user's id, so that no run ever
// opens a second one; resolved when the check passes or is approved,
// reopened when it fails again after recce resolved it. A thread a person
// resolved stays resolved: someone looked, which is what it asked for.
// With GitLab's "All threads must be resolved", mismatches hold the merge
// until someone looks.

// ThreadMarker is the hidden line that ties a thread to its check.
func ThreadMarker(key string) string {
	if !noteKey.MatchString(key) {
		// A check id from a state file is not trusted to be safe inside
		// an HTML comment.
		h := sha256.Sum256([]byte(key))
		key = "h" + hex.EncodeToString(h[:16])
	}
	return "<!-- recce:check=" + key + " -->"
}

// ThreadsResult counts what SyncThreads did.
type ThreadsResult struct {
	Opened    int `json:"opened"`
	Reopened  int `json:"reopened"`
	Updated   int `json:"updated"`
	Resolved  int `json:"resolved"`
	Unchanged int `json:"unchanged"`
	// Open is how many of recce's threads are open now.
	Open int `json:"open"`
}

// recceThread is one of recce's threads found on the merge request.
type recceThread struct {
	id   string
	note *gl.Note
}

// SyncThreads brings recce's threads on merge request iid in line with
// threads: a thread is opened for an open check that has none, edited
// when its text changed, reopened or resolved as its check says; threads
// of checks no longer in the checklist are resolved. Nothing is written
// for a thread already as it should be. A read_api token writes nothing.
func (c *Client) SyncThreads(ctx context.Context, project string, iid int64, threads []summary.Thread) (*ThreadsResult, error) {
	op := fmt.Sprintf("sync the threads of !%d", iid)
	id, err := c.requireWrite(ctx, op)
	if err != nil {
		return nil, err
	}
	existing, err := c.recceThreads(ctx, project, iid, id.User.ID)
	if err != nil {
		return nil, err
	}
	res := &ThreadsResult{}
	seen := map[string]bool{}
	for _, t := range threads {
		marker := ThreadMarker(t.Key)
		seen[marker] = true
		body, err := prepareBody(op, t.Body+"\n\n"+marker)
		if err != nil {
			return res, err
		}
		d, ok := existing[marker]
		switch {
		case !ok && !t.Open:
			continue // nothing to say about a check that passes
		case !ok:
			if err := c.openThread(ctx, project, iid, id.User.ID, marker, body); err != nil {
				return res, err
			}
			res.Opened++
			res.Open++
			continue
		}
		// Reopened only when recce resolved it.
		mayReopen := d.note.ResolvedBy.ID == 0 || d.note.ResolvedBy.ID == id.User.ID
		if err := c.settleThread(ctx, project, iid, d, body, t.Open && (!d.note.Resolved || mayReopen), res); err != nil {
			return res, err
		}
	}
	// A check removed from the checklist leaves nothing to look at.
	for marker, d := range existing {
		if seen[marker] || d.note.Resolved {
			continue
		}
		body := StoredBody(d.note.Body)
		body = strings.TrimSuffix(body, marker) + "_Resolved by recce: the check is no longer in the checklist._\n\n" + marker
		if err := c.settleThread(ctx, project, iid, d, body, false, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// settleThread edits a thread's text when it changed, then resolves or
// reopens it as open says.
func (c *Client) settleThread(ctx context.Context, project string, iid int64, d recceThread, body string, open bool, res *ThreadsResult) error {
	changed := false
	if StoredBody(d.note.Body) != body {
		_, _, err := c.api.Discussions.UpdateMergeRequestDiscussionNote(project, iid, d.id, d.note.ID,
			&gl.UpdateMergeRequestDiscussionNoteOptions{Body: gl.Ptr(body)}, ctxOpt(ctx, idempotentWrite))
		if err != nil {
			return c.threadErr(ctx, fmt.Sprintf("edit thread %s of !%d", d.id, iid), project, iid, "edit", err)
		}
		changed = true
		res.Updated++
	}
	if d.note.Resolved == !open {
		if !changed {
			res.Unchanged++
		}
		if open {
			res.Open++
		}
		return nil
	}
	_, _, err := c.api.Discussions.ResolveMergeRequestDiscussion(project, iid, d.id,
		&gl.ResolveMergeRequestDiscussionOptions{Resolved: gl.Ptr(!open)}, ctxOpt(ctx, idempotentWrite))
	if err != nil {
		return c.threadErr(ctx, fmt.Sprintf("resolve thread %s of !%d", d.id, iid), project, iid, "comment", err)
	}
	if open {
		res.Reopened++
		res.Open++
	} else {
		res.Resolved++
	}
	return nil
}

// openThread starts a thread, never two: after a lost answer the notes
// are listed for the marker before trying again.
func (c *Client) openThread(ctx context.Context, project string, iid, userID int64, marker, body string) error {
	op := fmt.Sprintf("open a thread on !%d", iid)
	mine := func(n *gl.Note) bool { return !n.System && n.Author.ID == userID && strings.Contains(n.Body, marker) }
	_, err := c.createOnce(ctx, op, project, iid, mine, func() (*gl.Note, *gl.Response, error) {
		d, resp, err := c.api.Discussions.CreateMergeRequestDiscussion(project, iid, &gl.CreateMergeRequestDiscussionOptions{Body: gl.Ptr(body)}, ctxOpt(ctx, write))
		if err != nil || len(d.Notes) == 0 {
			return nil, resp, err
		}
		return d.Notes[0], resp, nil
	})
	return err
}

// recceThreads lists the merge request's discussions, every page, and
// returns recce's threads by marker: the first note is the token user's
// and carries a check marker (the oldest thread when there are several).
func (c *Client) recceThreads(ctx context.Context, project string, iid, userID int64) (map[string]recceThread, error) {
	out := map[string]recceThread{}
	o := &gl.ListMergeRequestDiscussionsOptions{ListOptions: gl.ListOptions{PerPage: perPage, Page: 1}}
	for {
		page, resp, err := c.api.Discussions.ListMergeRequestDiscussions(project, iid, o, ctxOpt(ctx, read))
		if err != nil {
			return nil, c.fail(fmt.Sprintf("list the threads of !%d (page %d)", iid, o.Page), err)
		}
		for _, d := range page {
			if d.IndividualNote || len(d.Notes) == 0 {
				continue
			}
			n := d.Notes[0]
			if n.System || n.Author.ID != userID || !n.Resolvable {
				continue
			}
			marker := threadMarkerIn(n.Body)
			if prev, ok := out[marker]; marker != "" && (!ok || n.ID < prev.note.ID) {
				out[marker] = recceThread{id: d.ID, note: n}
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		o.Page = resp.NextPage
	}
}

// threadMarkerIn returns the check marker of a body, "" for none.
func threadMarkerIn(body string) string {
	i := strings.Index(body, "<!-- recce:check=")
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], " -->")
	if j < 0 {
		return ""
	}
	return body[i : i+j+len(" -->")]
}

func (c *Client) threadErr(ctx context.Context, op, project string, iid int64, what string, err error) error {
	e := c.fail(op, err)
	if KindOf(e) == KindForbidden {
		return c.explainForbidden(ctx, e, project, iid, what)
	}
	return e
}
