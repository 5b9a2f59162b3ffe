package server

import (
	"context"
	"fmt"
	"strconv"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// Review notes: approving a check or commenting on it posts a note on the
// merge request the review belongs to. The note goes through the job queue
// (jobs.go): the notes rate limit is honoured across instances, GitLab's
// failures are retried with backoff, and the note is posted exactly once
// (PostNoteOnce's hidden key). The answer says it is queued, or why it
// will not be posted.

// noteStatus says whether an approval or a comment will also be posted as
// a note on the merge request, and why not when it will not.
type noteStatus struct {
	// Posted is true once the note is on GitLab; a queued note is not yet.
	Posted bool `json:"posted"`
	// Queued: the note will be posted shortly by a job (JobID).
	Queued bool   `json:"queued,omitempty"`
	JobID  int64  `json:"job_id,omitempty"`
	URL    string `json:"url,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// noteJob is the payload of a note job.
type noteJob struct {
	ProjectID int64  `json:"project_id"`
	IID       int64  `json:"iid"`
	Body      string `json:"body"`
	// Key makes the note findable after an ambiguous failure, so that it
	// is never posted twice (gitlab.Client.PostNoteOnce).
	Key string `json:"key"`
}

// postReviewNote queues a review action as a note on the merge request
// the review belongs to, when GitLab is connected with the api scope. The
// action itself is already recorded: a note that will not be posted is
// reported, never an error.
func (s *Server) postReviewNote(ctx context.Context, rv *review, body string) *noteStatus {
	conn, err := s.connection(ctx)
	switch {
	case err != nil:
		return &noteStatus{Reason: err.Error()}
	case conn == nil:
		return &noteStatus{Reason: "GitLab is not connected: connect it in Settings to mirror approvals and comments as notes on the merge request"}
	case conn.Mode != string(gitlab.ModeFull):
		return &noteStatus{Reason: readOnlyReason}
	}
	iid, ok := reviewedMergeRequest(rv, conn)
	if !ok {
		return &noteStatus{Reason: fmt.Sprintf("this review is not tied to a merge request of %s (open the merge request's session, or start the server with --review on a merge request pipeline's state file), so there is nowhere to post", conn.ProjectPath)}
	}
	id, err := s.enqueue(ctx, newNoteJob(noteJob{ProjectID: conn.ProjectID, IID: iid, Body: body, Key: "n-" + check.NewID()}))
	if err != nil {
		return &noteStatus{Reason: "not queued: " + err.Error()}
	}
	return &noteStatus{Queued: true, JobID: id}
}

// reviewedMergeRequest is the merge request of the connected project that
// the review belongs to: a session's own, else the state file's (or CI's)
// pull_request.
func reviewedMergeRequest(rv *review, conn *store.Connection) (int64, bool) {
	if rv.session != nil {
		return rv.session.IID, rv.session.ProjectID == conn.ProjectID
	}
	pr := rv.pr
	if pr == nil || pr.ID == nil {
		return 0, false
	}
	if pr.Repository != "" && pr.Repository != conn.ProjectPath && pr.Repository != strconv.FormatInt(conn.ProjectID, 10) {
		return 0, false
	}
	return prIID(pr)
}

// runNoteJob posts a queued review note.
func (s *Server) runNoteJob(ctx context.Context, j *store.Job) error {
	var p noteJob
	if err := decodePayload(j, &p); err != nil {
		return err
	}
	c, conn, err := s.jobClient(ctx, p.ProjectID)
	if err != nil {
		return err
	}
	if err := s.waitForNoteSlot(ctx, conn); err != nil {
		return err
	}
	n, err := c.PostNoteOnce(ctx, strconv.FormatInt(conn.ProjectID, 10), p.IID, p.Body, p.Key)
	if err != nil {
		return err
	}
	s.log.Info("review note posted", "iid", p.IID, "note_id", n.ID, "action", n.Action, "job", j.ID)
	return nil
}
