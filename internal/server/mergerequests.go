package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
	"gitlab.com/recce-go/recce/internal/summary"
)

type mergeRequestView struct {
	IID int64 `json:"iid"`
	mergeRequestBrief
	UpdatedAt time.Time    `json:"updated_at"`
	Summary   *summaryView `json:"summary"`
	// Session is the merge request's review session: what its pipelines
	// uploaded (sessions.go).
	Session *sessionBrief `json:"session"`
}

// sessionBrief is a session in the merge request list.
type sessionBrief struct {
	Status    string     `json:"status"` // waiting, up_to_date, outdated, mismatch, failed
	Revision  int64      `json:"revision"`
	UpdatedAt *time.Time `json:"updated_at"`
}

type authorView struct {
	Username string `json:"username"`
	Name     string `json:"name"`
}

type summaryView struct {
	NoteID   int64     `json:"note_id"`
	URL      string    `json:"url"`
	PostedAt time.Time `json:"posted_at"`
	Status   string    `json:"status"`
}

func viewMergeRequest(line store.MergeRequestSession) mergeRequestView {
	m, sess := line.MergeRequest, line.Session
	v := mergeRequestView{IID: m.IID, mergeRequestBrief: briefOf(m), UpdatedAt: m.UpdatedAt.UTC()}
	if !m.SummaryPostedAt.IsZero() {
		status := "success"
		if sess.Revision > 0 {
			status = summaryStatusOf(&sess)
		}
		v.Summary = &summaryView{NoteID: m.SummaryNoteID, URL: noteURL(m.WebURL, m.SummaryNoteID), PostedAt: m.SummaryPostedAt.UTC(), Status: status}
	}
	v.Session = &sessionBrief{Status: apiStatus(store.StatusWaiting)}
	if sess.Revision > 0 {
		v.Session = &sessionBrief{Status: apiStatus(sess.Status), Revision: sess.Revision, UpdatedAt: timePtr(sess.UpdatedAt)}
	}
	return v
}

func noteURL(mrURL string, id int64) string {
	if mrURL == "" {
		return ""
	}
	return mrURL + "#note_" + strconv.FormatInt(id, 10)
}

// listMergeRequests answers GET /api/integrations/gitlab/merge-requests
// ?state=opened|closed|merged|locked|all: the tracked merge requests, most
// recently active first. The first time a project is listed, its merge
// requests are synced from GitLab; afterwards webhooks, the background
// sync and POST .../sync keep them up to date.
func (s *Server) listMergeRequests(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	switch state {
	case "":
		state = "opened"
	case "opened", "closed", "merged", "locked", "all":
	default:
		return errorf(http.StatusBadRequest, "state %q: use opened, closed, merged, locked or all", state)
	}
	c, conn, err := s.connectedClient(r.Context())
	if err != nil {
		return err
	}
	if _, synced, err := s.opts.Store.SyncCursor(r.Context(), conn.ProjectID); err != nil {
		return err
	} else if !synced {
		if _, err := c.Sync(r.Context(), s.syncer(conn.ProjectID), conn.ProjectID, nil); err != nil {
			return gitlabError(err)
		}
	}
	mrs, err := s.opts.Store.SessionsForMergeRequests(r.Context(), conn.ProjectID, state)
	if err != nil {
		return err
	}
	out := make([]mergeRequestView, len(mrs))
	for i, m := range mrs {
		out[i] = viewMergeRequest(m)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// syncMergeRequests answers POST .../merge-requests/sync with how many
// merge requests GitLab returned.
func (s *Server) syncMergeRequests(w http.ResponseWriter, r *http.Request) error {
	c, conn, err := s.connectedClient(r.Context())
	if err != nil {
		return err
	}
	res, err := c.Sync(r.Context(), s.syncer(conn.ProjectID), conn.ProjectID, nil)
	if err != nil {
		return gitlabError(err)
	}
	writeJSON(w, http.StatusOK, map[string]int{"synced": res.Fetched})
	return nil
}

// readOnlyReason is why nothing is posted with a read_api token.
const readOnlyReason = "the GitLab token is read-only (read_api scope): recce tracks merge requests but posts no summary and no note; replace it in Settings with a token that has the api scope"

// postSummary answers POST .../merge-requests/{iid}/summary: the summary of
// the workspace, rendered and posted as the merge request's single recce
// note (created, updated in place, or left unchanged). In read-only mode
// it is refused (403) before any request reaches GitLab.
func (s *Server) postSummary(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseIID(r.PathValue("iid"))
	if err != nil {
		return err
	}
	// Building the client makes no request: a refusal below sends nothing.
	c, conn, err := s.connectedClient(r.Context())
	if err != nil {
		return err
	}
	if conn.Mode != string(gitlab.ModeFull) {
		return &apiError{Status: http.StatusForbidden, Message: "not posted: " + readOnlyReason, Detail: map[string]string{"mode": conn.Mode, "reason": "read_only"}}
	}
	if s.local == nil {
		return errorf(http.StatusConflict, "this team server posts the summaries of its merge request sessions itself, from the pipelines' uploads (recce upload): there is no local review to post")
	}
	// A merge request whose pipelines upload has its one summary note kept
	// up to date from those uploads: posting this review there would
	// overwrite it with another review's findings.
	switch sess, err := s.opts.Store.Session(r.Context(), conn.ProjectID, iid); {
	case err == nil && sess.Revision > 0:
		return &apiError{Status: http.StatusConflict,
			Message: fmt.Sprintf("the summary of !%d is kept up to date from its pipelines' uploads (recce upload): open its review at /mr/%d instead of posting this one over it", iid, iid),
			Detail:  map[string]string{"reason": "session"}}
	case err != nil && !errors.Is(err, store.ErrNoSession):
		return err
	}
	st, err := s.stateFile(s.local, false)
	if err != nil {
		return err
	}
	// What GET /api/summary previews.
	sum, err := renderReviewSummary(st, s.local.env)
	if err != nil {
		return err
	}
	body := sum.Markdown
	// No commit status: this workspace was not built from the merge
	// request's head commit, so it cannot vouch for it (the team server's
	// sessions, issue 7, can).
	res, err := c.PostSummary(r.Context(), strconv.FormatInt(conn.ProjectID, 10), iid, gitlab.Summary{Body: body,
		Compose: func(previous, head string) string { return summary.WithHistory(body, previous, head) }})
	if err != nil {
		return gitlabError(err)
	}
	if err := s.opts.Store.RecordSummaryNote(r.Context(), conn.ProjectID, iid, res.NoteID, gitlab.BodyHash(gitlab.SummaryBody(body)), s.now()); err != nil {
		return fmt.Errorf("the summary was posted (%s) but could not be recorded: %w", res.URL, err)
	}
	s.log.Info("summary posted", "iid", iid, "action", res.Action, "note_id", res.NoteID)
	writeJSON(w, http.StatusOK, map[string]any{"action": res.Action, "note_id": res.NoteID, "url": res.URL})
	return nil
}
