package server

import (
	"bufio"
	"net/http"

	"gitlab.com/recce-go/recce/internal/check"
)

// stateFile is the workspace as a state file (recce_state.json): the
// checks and finished runs, both environments' artifacts and the merge
// request, so that `recce summary`, a review server or the reference can
// read it. withArtifacts false leaves the artifacts out, for callers that
// have them parsed already.
func (s *Server) stateFile(rv *review, withArtifacts bool) (*check.State, error) {
	var files check.Artifacts
	if withArtifacts && rv.artifacts != nil {
		a, err := rv.artifacts()
		if err != nil {
			return nil, err
		}
		files = a
	}
	checks, runs := rv.ws.state()
	return check.NewState(files, checks, runs, check.Origin{RecceVersion: s.opts.Version, At: s.now(), PullRequest: rv.pr}), nil
}

// exportState answers GET /api/state with the state file, as a download.
func (s *Server) exportState(w http.ResponseWriter, r *http.Request, rv *review) error {
	st, err := s.stateFile(rv, true)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="recce_state.json"`)
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := st.Encode(r.Context(), bw); err != nil {
		// The status is sent: the client sees a cut file, which is not JSON.
		s.log.Warn("state export cut short", "error", err)
		return nil
	}
	return bw.Flush()
}

// importState answers POST /api/state (a state file as the body) with how
// many checks and runs were added: those whose ids the workspace lacks.
// The file's artifacts are not used: the server keeps its own.
func (s *Server) importState(w http.ResponseWriter, r *http.Request, rv *review) error {
	body := http.MaxBytesReader(w, r.Body, maxStateBody)
	st, err := check.Decode(bufio.NewReaderSize(body, 1<<20))
	if err != nil {
		if ae := bodyError(err, "the state file"); ae != nil {
			return ae
		}
		return errorf(http.StatusBadRequest, "not a recce state file: %v", err)
	}
	checks, runs, err := rv.ws.merge(r.Context(), st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"checks": checks, "runs": runs})
	return nil
}
