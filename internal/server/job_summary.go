package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
	"gitlab.com/recce-go/recce/internal/summary"
)

// runSummaryJob brings a session's summary note and commit status up to
// date with the session as it is now (not as it was when the job was
// queued: a job stands for every request made while it was pending):
//
//  1. the checks the upload left without a run are run here when they can
//     be (those reading only the artifacts always; the others when this
//     server has a warehouse), and their runs recorded with the session;
//  2. the summary is rendered; when the merge request has moved on since
//     the upload, it opens with a notice that it is outdated;
//  3. the note is created or edited: one per merge request, found by its
//     marker, so a run repeated after a failure never posts a second one;
//     nothing is sent when the same body was posted already;
//  4. the commit status "recce" is set: success or failed on the uploaded
//     commit, or pending on the new head ("waiting for recce upload").
//
// Each step records what it did before the next, so a run cut short
// resumes where it stopped.
func (s *Server) runSummaryJob(ctx context.Context, j *store.Job) error {
	var p summaryJob
	if err := decodePayload(j, &p); err != nil {
		return err
	}
	sess, err := s.opts.Store.Session(ctx, p.ProjectID, p.IID)
	if errors.Is(err, store.ErrNoSession) {
		return nil // the merge request is gone from the store: nothing to say
	}
	if err != nil {
		return err
	}
	if sess.Revision == 0 {
		return nil // no upload yet: the upload will queue its own job
	}
	st, err := decodeSessionState(sess.StateJSON)
	if err != nil {
		return permanent(err)
	}
	arts, artsErr := s.parsed.get(ctx, s.opts.Blobs, sess.ArtifactsBlob)
	if artsErr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	// One env for the checks and the summary: the lineage is diffed once.
	var env *check.Env
	if arts != nil {
		env = s.sessionEnv(arts)
	}
	if sess.Status != store.StatusOutdated {
		if sess, st, err = s.completeChecks(ctx, sess, st, env, artsErr); err != nil || sess == nil {
			return err // nil session: a newer upload replaced this one, its own job follows
		}
	}

	c, conn, err := s.jobClient(ctx, p.ProjectID)
	if err != nil {
		return err
	}
	if conn.Mode != string(gitlab.ModeFull) {
		s.log.Info("summary not posted: the GitLab token is read-only (read_api)", "iid", p.IID)
		return nil
	}
	s.withReviewApprovals(ctx, sess, st)
	post, err := s.renderSessionSummary(sess, st, env)
	if err != nil {
		return permanent(err)
	}
	link, err := s.postSummaryNote(ctx, c, conn, sess, post)
	if err != nil {
		return err
	}
	if err := s.setSessionStatus(ctx, c, sess, post, link); err != nil {
		return err
	}
	if s.opts.GitLab.Threads && post.threads != nil {
		// Idempotent: threads are found by their markers, nothing is
		// written for one already as it should be.
		if _, err := c.SyncThreads(ctx, strconv.FormatInt(sess.ProjectID, 10), sess.IID, post.threads); err != nil {
			return err
		}
	}
	return nil
}

// withReviewApprovals takes into st the approvals reviewers made in the
// session's review of this upload (the summary and the threads say them).
func (s *Server) withReviewApprovals(ctx context.Context, sess *store.Session, st *check.State) {
	data, _, err := s.opts.Store.LoadSessionWorkspaceVersion(ctx, sess.ProjectID, sess.IID)
	var snap Snapshot
	if err != nil || data == nil || json.Unmarshal(data, &snap) != nil || uploadOf(snap.Source) != fmt.Sprintf("upload:%d", sess.Revision) {
		return
	}
	approved := map[string]bool{}
	for _, c := range snap.Checks {
		approved[c.CheckID] = c.IsChecked
	}
	for i, c := range st.Checks {
		if a, ok := approved[c.CheckID]; ok && a != c.IsChecked {
			cc := *c
			cc.IsChecked = a
			st.Checks[i] = &cc
		}
	}
}

// postSummaryNote creates or edits the session's summary note, unless the
// same body was posted already, and returns the note's address.
func (s *Server) postSummaryNote(ctx context.Context, c *gitlab.Client, conn *store.Connection, sess *store.Session, post *sessionPost) (string, error) {
	hash := gitlab.BodyHash(gitlab.SummaryBody(post.body))
	if sess.SummaryNoteID != 0 && sess.SummaryBodyHash == hash {
		mr, err := s.opts.Store.MergeRequest(ctx, sess.ProjectID, sess.IID)
		if err != nil {
			return "", err
		}
		return noteURL(mr.WebURL, sess.SummaryNoteID), nil
	}
	if sess.SummaryNoteID == 0 {
		// The note may be created: that takes a slot of the notes rate
		// limit. An edit (PUT) does not count against it.
		if err := s.waitForNoteSlot(ctx, conn); err != nil {
			return "", err
		}
	}
	res, err := c.PostSummary(ctx, strconv.FormatInt(conn.ProjectID, 10), sess.IID, gitlab.Summary{Body: post.body,
		Compose: func(previous, _ string) string { return summary.WithHistory(post.body, previous, sess.StateSHA) }})
	if err != nil {
		return "", err
	}
	if err := s.opts.Store.RecordPosted(ctx, store.Posted{ProjectID: sess.ProjectID, IID: sess.IID, NoteID: res.NoteID, BodyHash: hash}); err != nil {
		return "", err
	}
	s.log.Info("summary note posted", "iid", sess.IID, "action", res.Action, "note_id", res.NoteID, "status", post.state)
	return res.URL, nil
}

// setSessionStatus sets the commit status "recce" the summary calls for,
// unless it is set already.
func (s *Server) setSessionStatus(ctx context.Context, c *gitlab.Client, sess *store.Session, post *sessionPost, noteURL string) error {
	if sess.CommitStatusSHA == post.sha && sess.CommitStatusState == post.state {
		return nil
	}
	st := gitlab.CommitStatus{Name: s.opts.GitLab.StatusName, State: post.state, Description: post.description, TargetURL: noteURL}
	if _, err := c.SetCommitStatus(ctx, strconv.FormatInt(sess.ProjectID, 10), post.sha, st); err != nil {
		if gitlab.KindOf(err) == gitlab.KindNoBranch {
			// A fork's merge request: GitLab takes no status there, now or
			// on a retry. The note says the verdict.
			s.log.Warn("no commit status on this merge request", "iid", sess.IID, "reason", err)
			return nil
		}
		return err
	}
	return s.opts.Store.RecordPosted(ctx, store.Posted{ProjectID: sess.ProjectID, IID: sess.IID, CommitStatusSHA: post.sha, CommitStatusState: post.state})
}

// completeChecks runs the upload's checks that have no run and that this
// server may run, and records the result. It returns the session as it
// now is, or nil when a newer upload replaced the one worked on.
//
// The server never runs SQL that an upload defines (docs/security.md):
// anyone who can run a pipeline writes the upload. The check review
// (check.Review, RunMissing) runs
//   - the checks that read only the artifacts (lineage and schema diffs):
//     no SQL, nothing outside the upload is read;
//   - the data checks of its own configuration (Options.TrustedChecks,
//     the recce.yml it was started with), when the upload holds one
//     unchanged (same preset id, type and params): the trusted definition
//     is what runs, on relations the diff derives from the artifacts.
//
// Every other check without a run stays without one: the summary says it
// was not run in CI.
func (s *Server) completeChecks(ctx context.Context, sess *store.Session, st *check.State, env *check.Env, artsErr error) (*store.Session, *check.State, error) {
	if artsErr != nil {
		// The upload was validated, so this is the artifact store failing
		// or the manifests being unreadable: the summary says so.
		if sess.ResultError != "" {
			return sess, st, nil
		}
		err := s.opts.Store.RecordResult(ctx, sess.ProjectID, sess.IID, sess.Revision,
			store.Result{Verdict: store.StatusFailed, ResultError: artsErr.Error()})
		if errors.Is(err, store.ErrStaleRevision) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		sess, err = s.opts.Store.Session(ctx, sess.ProjectID, sess.IID)
		return sess, st, err
	}
	reviewed, tally, err := check.Review(ctx, check.ReviewInput{Env: env, Previous: st, Policy: check.RunMissing,
		Trusted: s.opts.TrustedChecks, Now: s.now})
	if err != nil {
		return nil, nil, err // interrupted: the checks run again next time
	}
	ran := len(reviewed.Runs) - len(st.Runs)
	if ran == 0 {
		return sess, st, nil
	}
	data, err := encodeSessionState(reviewed)
	if err != nil {
		return nil, nil, err
	}
	err = s.opts.Store.RecordResult(ctx, sess.ProjectID, sess.IID, sess.Revision, store.Result{Verdict: sessionVerdict(tally), StateJSON: data})
	if errors.Is(err, store.ErrStaleRevision) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	s.log.Info("checks run on the upload", "iid", sess.IID, "revision", sess.Revision, "checks", ran)
	sess, err = s.opts.Store.Session(ctx, sess.ProjectID, sess.IID)
	return sess, reviewed, err
}

// verdictOf is a state's session verdict (see sessionVerdict).
func verdictOf(st *check.State) store.SessionStatus { return sessionVerdict(st.Tally()) }

// sessionVerdict is a tally as a session's status: a data mismatch found,
// a check that did not complete (failed), or up to date with nothing to
// worry about.
func sessionVerdict(t check.Tally) store.SessionStatus {
	switch {
	case t.Mismatch > 0:
		return store.StatusMismatch
	case t.Incomplete > 0:
		return store.StatusFailed
	}
	return store.StatusUpToDate
}

// sessionPost is what the summary job posts: the note's body and the
// commit status.
type sessionPost struct {
	body        string
	sha, state  string
	description string
	// threads are the checks' threads (nil for an outdated session or an
	// upload the server could not use: they stay as they are).
	threads []summary.Thread
}

// outdatedStatus is the commit status description on a new head.
const outdatedStatus = "waiting for recce upload"

// renderSessionSummary renders the summary note of a session and the
// commit status that goes with it.
func (s *Server) renderSessionSummary(sess *store.Session, st *check.State, env *check.Env) (*sessionPost, error) {
	outdated := sess.Status == store.StatusOutdated
	banner := ""
	if outdated {
		banner = fmt.Sprintf("> :warning: **Outdated.** This summary reviews commit `%s`; the merge request has newer commits (head `%s`). "+
			"It will be updated when the pipeline of the new head runs `recce upload`.\n\n", short(sess.StateSHA), short(sess.HeadSHA))
	}
	footer := "\n---\n\n" + s.reviewedLine(sess) + "\n"
	opts := summary.Options{MaxChars: gitlab.MaxNoteLength - len(gitlab.SummaryMarker) - 2 - len(banner) - len(footer) - summary.HistoryReserve, Reason: noteReason}
	if env != nil {
		opts.Base, opts.Current, opts.Lineage = env.Base, env.Current, env.Lineage()
	}
	res, err := summary.Render(st, opts)
	if err != nil {
		return nil, fmt.Errorf("render the summary of !%d: %w", sess.IID, err)
	}
	md := res.Markdown
	if banner != "" {
		// Below the hidden marker lines, above the title.
		if i := strings.Index(md, summary.NoteMarker+"\n"); i >= 0 {
			at := i + len(summary.NoteMarker) + 1
			md = md[:at] + banner + md[at:]
		} else {
			md = banner + md
		}
	}
	body := strings.TrimRight(md, "\n") + "\n"
	if sess.ResultError != "" {
		// Why is for signed-in users: the error can name the server's
		// storage or quote the upload.
		body += "\n:warning: **The server could not use this upload:** its artifacts could not be read; the review on the recce server says why.\n"
	}
	post := &sessionPost{body: body + footer}
	switch {
	case outdated:
		post.sha, post.state, post.description = sess.HeadSHA, "pending", outdatedStatus
	case sess.ResultError != "":
		post.sha, post.state, post.description = sess.StateSHA, gitlab.StatusFailed, "recce could not use the upload: see the summary note"
	default:
		post.sha, post.state, post.description = sess.StateSHA, res.Data.Status, res.Data.Headline
		post.threads = res.Data.Threads()
	}
	return post, nil
}

// noteReason is the reason a note posted by the server gives for a check
// that did not complete (summary.Options.Reason). Never a run's error
// text: a warehouse's error can quote the data it read, and a note is
// read by everyone who sees the merge request; signed-in users read the
// error in the session's review.
func noteReason(c *check.Check, r *check.Run, assessed string) string {
	switch {
	case r == nil && c.Type.NeedsWarehouse():
		return "not run in CI: the pipeline's upload holds no result for it (this server runs no SQL an upload defines)"
	case r == nil, r.Status == check.Running, r.Status == check.Finished:
		return assessed // the product's own words ("not run", "still running", a result it cannot read)
	case r.Status == check.Cancelled:
		return "cancelled before it completed: the review on the recce server says why"
	}
	return "did not complete: the error is in the review on the recce server, for signed-in users"
}

// reviewedLine says which commit and upload the summary reviews, with a
// link to the session on this server when its public URL is known.
func (s *Server) reviewedLine(sess *store.Session) string {
	line := fmt.Sprintf("_recce reviewed commit `%s` (upload %d", short(sess.StateSHA), sess.Revision)
	if sess.UploadedBy != "" {
		line += ", by " + sess.UploadedBy
	}
	line += ")."
	if u := strings.TrimRight(s.opts.PublicURL, "/"); u != "" {
		line += fmt.Sprintf(" [Open the review](%s/mr/%d)", u, sess.IID)
	}
	return line + "_"
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}
