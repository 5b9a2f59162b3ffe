package server

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/blob"
	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// upload answers POST /api/mr/{iid}/upload: what `recce upload` sends from
// a merge request pipeline, a state file (gzip Content-Encoding welcome).
// In order:
//
//  1. who: the pipeline's CI_JOB_TOKEN (header JOB-TOKEN), checked with
//     GitLab to be a running job of the connected project and of the merge
//     request's current head; or a server API token from Settings (or
//     RECCE_SERVER_TOKEN) as a bearer token;
//  2. the body is streamed into the artifact store, never held whole in
//     memory, and refused past MaxUploadSize (413);
//  3. it must be a readable state file (schema v0) of this merge request,
//     carrying both environments' artifacts;
//  4. it becomes the session's new state, recorded with its summary job in
//     one transaction; only then is 202 answered. A server killed right
//     after the answer loses nothing: the job runs after the restart, or
//     on another instance.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	iid, err := parseIID(r.PathValue("iid"))
	if err != nil {
		return err
	}
	conn, err := s.connection(ctx)
	if err != nil {
		return err
	}
	if conn == nil {
		return errNotConnected()
	}
	if s.opts.Blobs == nil {
		return errNoArtifactStore()
	}
	if p := r.URL.Query().Get("project"); p != "" && p != strconv.FormatInt(conn.ProjectID, 10) && !strings.EqualFold(p, conn.ProjectPath) {
		return s.refuseUpload(http.StatusForbidden, "project", "this recce server reviews %s (project %d), not project %s: upload to the recce server of that project (--server, RECCE_SERVER_URL)", conn.ProjectPath, conn.ProjectID, p)
	}
	up, err := s.authorizeUpload(ctx, r, conn, iid)
	if err != nil {
		return err
	}
	// A few uploads at a time: each takes memory and disk bandwidth. One
	// that finds them all busy waits a little, then is refused.
	release, ok := s.heavy.waitFor(ctx, s.opts.UploadQueueWait)
	if !ok {
		w.Header().Set("Retry-After", "30")
		return s.refuseUpload(http.StatusServiceUnavailable, "busy",
			"this recce server is taking %d uploads already: send it again in 30 seconds (recce upload retries by itself)", cap(s.heavy))
	}
	defer release()

	body := io.Reader(r.Body)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return s.refuseUpload(http.StatusBadRequest, "invalid", "the body is not gzip data although Content-Encoding says gzip")
		}
		defer zr.Close()
		body = zr
	}
	// The limit counts the state file's bytes (decompressed): a small
	// compressed body cannot fill the disk.
	info, err := s.opts.Blobs.Put(ctx, body, s.opts.MaxUploadSize)
	if errors.Is(err, blob.ErrTooLarge) {
		return s.refuseUpload(http.StatusRequestEntityTooLarge, "too_large",
			"the state file is larger than this server's limit of %d MB: start the server with a higher --max-upload-size, or upload less (a state file with fewer runs kept)", s.opts.MaxUploadSize>>20)
	}
	if err != nil {
		if ae := bodyError(err, "the upload"); ae != nil {
			outcome := "invalid"
			if ae.Status == http.StatusRequestEntityTooLarge {
				outcome = "too_large"
			}
			return s.refuseUpload(ae.Status, outcome, "%s", ae.Message)
		}
		if ctx.Err() != nil {
			return s.refuseUpload(http.StatusBadRequest, "invalid", "the upload was cut short: send it again")
		}
		return fmt.Errorf("store the upload: %w", err)
	}
	st, err := s.validUpload(ctx, info, conn, iid)
	if err != nil {
		return err
	}
	stateJSON, err := encodeSessionState(st)
	if err != nil {
		return err
	}
	up.Verdict, up.StateJSON, up.ArtifactsBlob, up.ArtifactsSize = verdictOf(st), stateJSON, info.Ref, info.Size
	up.Jobs = []store.NewJob{newSummaryJob(conn.ProjectID, iid)}
	// The same bytes may have been an unused blob that the collector
	// deleted between Put and now (store/blobs.go): then nothing is
	// recorded, and the uploader's retry stores them again.
	up.BlobPresent = func(ctx context.Context) error {
		_, err := s.opts.Blobs.Stat(ctx, info.Ref)
		return err
	}
	sess, err := s.opts.Store.RecordUpload(ctx, up)
	if errors.Is(err, blob.ErrNotFound) {
		return s.refuseUpload(http.StatusServiceUnavailable, "retry", "the upload was cleaned up as it arrived: send it again (recce upload retries by itself)")
	}
	if err != nil {
		return err
	}
	s.nudge()
	s.metrics.upload("accepted")
	s.log.Info("upload recorded", "iid", iid, "revision", sess.Revision, "head", short(up.HeadSHA), "by", up.UploadedBy, "bytes", info.Size)
	writeJSON(w, http.StatusAccepted, map[string]any{
		"iid": iid, "revision": sess.Revision, "status": apiStatus(sess.Status), "head_sha": up.HeadSHA,
		"artifacts": map[string]any{"ref": info.Ref, "size": info.Size},
		"session":   "/api/mr/" + strconv.FormatInt(iid, 10),
		"review_url": func() string {
			if u := strings.TrimRight(s.opts.PublicURL, "/"); u != "" {
				return fmt.Sprintf("%s/mr/%d", u, iid)
			}
			return ""
		}(),
	})
	return nil
}

// refuseUpload counts a refused upload and answers it.
func (s *Server) refuseUpload(status int, outcome, format string, args ...any) error {
	s.metrics.upload(outcome)
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...), Detail: map[string]string{"reason": outcome}}
}

// authorizeUpload checks who uploads, and returns the upload as far as it
// knows it: the merge request, the head commit reviewed, the uploader.
func (s *Server) authorizeUpload(ctx context.Context, r *http.Request, conn *store.Connection, iid int64) (store.Upload, error) {
	up := store.Upload{ProjectID: conn.ProjectID, IID: iid}
	if jobToken := strings.TrimSpace(r.Header.Get("JOB-TOKEN")); jobToken != "" {
		o := s.gitlabOptions(conn.GitLabURL, "")
		job, err := gitlab.VerifyJobTokenWith(ctx, o, jobToken)
		if errors.Is(err, gitlab.ErrInvalidJobToken) {
			return up, s.refuseUpload(http.StatusUnauthorized, "unauthorized", "%v", err)
		}
		if err != nil {
			// GitLab, not the uploader, failed: the pipeline may retry.
			s.metrics.upload("gitlab_unavailable")
			return up, &apiError{Status: http.StatusServiceUnavailable, Message: "GitLab could not confirm the CI job token, so the upload was not taken: " + err.Error() + "; send it again in a minute",
				Detail: map[string]string{"reason": "gitlab_unavailable"}}
		}
		head, err := s.mergeRequestHead(ctx, conn, iid, job.SHA)
		if err != nil {
			return up, err
		}
		if err := job.CheckMergeRequestUpload(conn.ProjectID, iid, head); err != nil {
			return up, s.refuseUpload(http.StatusForbidden, "forbidden", "%v: run `recce upload` in the pipeline of merge request !%d's latest commit", err, iid)
		}
		up.HeadSHA, up.PipelineID, up.JobID, up.UploadedBy = head, job.PipelineID, job.ID, fmt.Sprintf("job %d", job.ID)
		return up, nil
	}
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	bearer = strings.TrimSpace(bearer)
	if !ok || bearer == "" {
		return up, s.refuseUpload(http.StatusUnauthorized, "unauthorized",
			"an upload needs the pipeline's CI_JOB_TOKEN (header JOB-TOKEN: `recce upload` sends it in GitLab CI) or a server API token (Authorization: Bearer; create one in Settings, API tokens, and give it to the job as RECCE_SERVER_API_TOKEN)")
	}
	switch {
	case s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(bearer), []byte(s.opts.Token)) == 1:
		up.UploadedBy = "the server token"
	default:
		tok, err := s.opts.Store.VerifyAPIToken(ctx, bearer)
		if errors.Is(err, store.ErrInvalidAPIToken) {
			return up, s.refuseUpload(http.StatusUnauthorized, "unauthorized", "the API token is unknown or was revoked: create a new one in Settings, API tokens, and update RECCE_SERVER_API_TOKEN")
		}
		if err != nil {
			return up, err
		}
		up.UploadedBy = "token " + tok.Name
	}
	// A trusted uploader says which commit the state reviews (the merge
	// request's head by default).
	want := strings.TrimSpace(r.URL.Query().Get("head_sha"))
	if want != "" && !validCommitSHA(want) {
		return up, s.refuseUpload(http.StatusBadRequest, "invalid",
			"head_sha %s is not a commit id: give the commit's 40 (SHA-1) or 64 (SHA-256) hexadecimal characters, as CI_COMMIT_SHA holds them", quoteClipped(want, 80))
	}
	head, err := s.mergeRequestHead(ctx, conn, iid, want)
	if err != nil {
		return up, err
	}
	up.HeadSHA = head
	if want != "" {
		up.HeadSHA = want
	}
	return up, nil
}

// mergeRequestHead is the merge request's head commit. The store's is
// used when it is the one the uploader expects; otherwise (a push the
// webhook has not told yet, a merge request not tracked yet) GitLab is
// asked, and the store updated.
func (s *Server) mergeRequestHead(ctx context.Context, conn *store.Connection, iid int64, expect string) (string, error) {
	if mr, err := s.opts.Store.MergeRequest(ctx, conn.ProjectID, iid); err == nil && mr.SHA != "" && (expect == "" || mr.SHA == expect) && mr.UpdatedAt.Unix() > 0 {
		return mr.SHA, nil
	} else if err != nil && !errors.Is(err, store.ErrMergeRequestNotTracked) {
		return "", err
	}
	c, _, err := s.jobClient(ctx, conn.ProjectID)
	if err != nil {
		return "", err
	}
	mr, err := c.GetMergeRequest(ctx, strconv.FormatInt(conn.ProjectID, 10), iid)
	if gitlab.KindOf(err) == gitlab.KindNotFound {
		return "", s.refuseUpload(http.StatusNotFound, "not_found", "merge request !%d does not exist in %s (or the token's user cannot see it): check CI_MERGE_REQUEST_IID", iid, conn.ProjectPath)
	}
	if err != nil {
		s.metrics.upload("gitlab_unavailable")
		return "", &apiError{Status: http.StatusServiceUnavailable, Message: "GitLab could not tell the merge request's head commit, so the upload was not taken: " + err.Error() + "; send it again in a minute",
			Detail: map[string]string{"reason": "gitlab_unavailable"}}
	}
	if mr.SHA != "" && !validCommitSHA(mr.SHA) {
		s.metrics.upload("gitlab_unavailable")
		return "", &apiError{Status: http.StatusServiceUnavailable, Message: fmt.Sprintf("GitLab answered a head commit for !%d that is not a commit id (%s), so the upload was not taken: check the GitLab URL of the connection", iid, quoteClipped(mr.SHA, 80)),
			Detail: map[string]string{"reason": "gitlab_unavailable"}}
	}
	if _, err := s.syncer(conn.ProjectID).UpsertMergeRequests(ctx, []store.MergeRequest{gitlab.StoreMergeRequest(conn.ProjectID, *mr)}); err != nil {
		return "", err
	}
	return mr.SHA, nil
}

// validUpload reads the stored upload back: it must be a state file this
// recce reads, of this merge request, with both environments' artifacts.
// An invalid upload's blob is left to the collector (the same bytes may be
// another session's upload).
func (s *Server) validUpload(ctx context.Context, info blob.Info, conn *store.Connection, iid int64) (*check.State, error) {
	scan, err := scanStoredUpload(ctx, s.opts.Blobs, info.Ref)
	fail := func(format string, args ...any) (*check.State, error) {
		if err := s.opts.Store.NoteBlob(context.WithoutCancel(ctx), info.Ref); err != nil {
			s.log.Warn("a refused upload's blob is not known to the store: it stays", "ref", info.Ref, "error", err)
		}
		return nil, s.refuseUpload(http.StatusUnprocessableEntity, "invalid", format, args...)
	}
	if errors.Is(err, errStateMetaTooLarge) {
		return fail("the state file is too large to review: %v", err)
	}
	if err != nil {
		return fail("not a recce state file: %v (upload the file `recce run` writes, recce_state.json)", err)
	}
	st := scan.state
	if !scan.baseManifest || !scan.currentManifest {
		return fail("the state file carries no artifacts (base and current manifest.json): write it with `recce run`, or run `recce upload` without a file in the dbt project, where it reads target/ and target-base/")
	}
	if pr := st.PullRequest; pr != nil {
		if id, ok := prIID(pr); ok && id != iid {
			return fail("the state file belongs to merge request !%d, not !%d: upload it to !%d, or run `recce run` again in this merge request's pipeline", id, iid, id)
		}
		if pr.Repository != "" && !strings.EqualFold(pr.Repository, conn.ProjectPath) && pr.Repository != strconv.FormatInt(conn.ProjectID, 10) {
			return fail("the state file belongs to project %s, not %s, which this server reviews", pr.Repository, conn.ProjectPath)
		}
	}
	return st, nil
}

// scanStoredUpload reads an upload back from the artifact store as a
// stream (uploadscan.go).
func scanStoredUpload(ctx context.Context, blobs blob.Store, ref string) (*scannedUpload, error) {
	rc, _, err := blobs.Open(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("open the uploaded state %s: %w", ref, err)
	}
	defer rc.Close()
	return scanUpload(bufio.NewReaderSize(rc, 256<<10))
}

// prIID reads a state file's merge request number.
func prIID(pr *check.PullRequest) (int64, bool) {
	switch v := pr.ID.(type) {
	case float64:
		return int64(v), v > 0
	case int64:
		return v, v > 0
	case int:
		return int64(v), v > 0
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil && n > 0
	}
	return 0, false
}

// validCommitSHA tells whether s is a commit id: 40 (SHA-1) or 64
// (SHA-256) hexadecimal characters. Every commit the server takes (an
// upload's head_sha, GitLab's answers and webhooks) must be one: it goes
// into the store, notes, commit status calls and links.
func validCommitSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// quoteClipped quotes s for a message, at most n bytes of it.
func quoteClipped(s string, n int) string {
	if len(s) > n {
		return strconv.Quote(s[:n]) + "…"
	}
	return strconv.Quote(s)
}
