package server

import (
	"fmt"
	"net/http"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/summary"
)

// reviewSummaryView is the answer of GET {review}/summary: the merge request
// summary of the review as it is now, the markdown that posting it would
// put in the note (without the hidden marker line the GitLab client adds).
type reviewSummaryView struct {
	Markdown string `json:"markdown"`
	// Status is the merge gate's verdict: success or failed.
	Status   string        `json:"status"`
	Headline string        `json:"headline"`
	Checks   summary.Stats `json:"checks"`
	// Notices say what the markdown left out to stay within GitLab's note
	// limit.
	Notices []string `json:"notices"`
}

// reviewSummary answers GET /api/summary (and /api/mr/{iid}/summary): the
// summary rendered by internal/summary from the review's checks and runs,
// within the same limit as a posted note, for the web app's preview.
func (s *Server) reviewSummary(w http.ResponseWriter, r *http.Request, rv *review) error {
	st, err := s.stateFile(rv, false)
	if err != nil {
		return err
	}
	res, err := renderReviewSummary(st, rv.env)
	if err != nil {
		return err
	}
	v := reviewSummaryView{Markdown: res.Markdown, Status: res.Data.Status, Headline: res.Data.Headline, Checks: res.Data.Checks, Notices: res.Data.Notices}
	if v.Notices == nil {
		v.Notices = []string{}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// renderReviewSummary renders a review's state with its parsed artifacts,
// leaving room for the marker line the GitLab client puts above it.
func renderReviewSummary(st *check.State, env *check.Env) (*summary.Result, error) {
	// Room is left for the marker line the client puts above the summary and
	// for the history line that the next summary reads.
	opts := summary.Options{MaxChars: gitlab.MaxNoteLength - len(gitlab.SummaryMarker) - 2 - summary.HistoryReserve}
	if env != nil && env.Base != nil && env.Current != nil {
		// The review's lineage diff, computed once for its checks.
		opts.Base, opts.Current, opts.Lineage = env.Base, env.Current, env.Lineage()
	}
	res, err := summary.Render(st, opts)
	if err != nil {
		return nil, fmt.Errorf("render the summary: %w", err)
	}
	return res, nil
}
