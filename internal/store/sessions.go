package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A merge request session is the review of one merge request on the team
// server: what the latest pipeline uploaded (the state: checks and runs, and
// the artifacts), what the review made of it (the workspace), and what was
// posted back (the summary note and the commit status).
//
// Two facts live elsewhere and are joined in, so that each has one home:
// the merge request's head commit (merge_requests.sha, kept by sync and
// webhooks through UpsertMergeRequests) and the summary note
// (merge_requests.summary_*, shared with `recce gitlab post-summary`).
//
// The status is derived, never stored, so it cannot drift:
//
//	no upload yet                        -> waiting_for_pipeline
//	upload for another commit than head  -> outdated
//	otherwise                            -> the upload's verdict (up_to_date, mismatch_found, failed)

// SessionStatus is what the merge request list shows for a session.
type SessionStatus string

const (
	StatusWaiting  SessionStatus = "waiting_for_pipeline"
	StatusUpToDate SessionStatus = "up_to_date"
	StatusOutdated SessionStatus = "outdated"
	StatusMismatch SessionStatus = "mismatch_found"
	StatusFailed   SessionStatus = "failed"
)

// Session is a merge request's session. Status is derived (see above).
type Session struct {
	ProjectID int64
	IID       int64
	Status    SessionStatus

	// HeadSHA is the merge request's head commit as last seen from GitLab;
	// StateSHA is the head commit the uploaded state reviews.
	HeadSHA  string
	StateSHA string
	// Verdict is what the latest upload (or the server's run of the checks
	// on it) concluded: up_to_date, mismatch_found or failed; "" before any
	// upload. ResultError says why when failed.
	Verdict     SessionStatus
	ResultError string
	// Revision counts uploads: jobs and check runs carry the revision they
	// worked from, so that a slow one cannot overwrite a newer upload.
	Revision int64

	// StateJSON is the uploaded state (checks and runs, the state file's
	// JSON). Session loads it; SessionsForMergeRequests leaves it nil.
	StateJSON     []byte
	ArtifactsBlob string // the artifacts' blob reference (internal/blob), "" when none
	ArtifactsSize int64
	PipelineID    int64
	JobID         int64
	UploadedBy    string // who uploaded: "job 123" or "token <name>"
	UploadedAt    time.Time

	// The summary note, from merge_requests (see RecordSummaryNote).
	SummaryNoteID   int64
	SummaryBodyHash string
	SummaryPostedAt time.Time

	// The commit status last posted.
	CommitStatusSHA      string
	CommitStatusState    string
	CommitStatusPostedAt time.Time

	WorkspaceSavedAt time.Time
	UpdatedAt        time.Time
}

func deriveStatus(s *Session) {
	switch {
	case s.Revision == 0 || s.StateSHA == "":
		s.Status = StatusWaiting
	case s.HeadSHA != "" && s.HeadSHA != s.StateSHA:
		s.Status = StatusOutdated
	case s.Verdict == "":
		s.Status = StatusUpToDate
	default:
		s.Status = s.Verdict
	}
}

// Upload is what a pipeline sent for a merge request, after the server
// validated it and stored the artifacts in the blob store.
type Upload struct {
	ProjectID int64
	IID       int64
	// HeadSHA is the merge request head commit the state reviews. For a
	// merged results pipeline (whose own commit is a merge commit) it is the
	// merge request's head, not the job's sha.
	HeadSHA string
	// Verdict: up_to_date, mismatch_found or failed (StatusUpToDate...).
	Verdict     SessionStatus
	ResultError string
	StateJSON   []byte
	// ArtifactsBlob and ArtifactsSize name the artifacts stored in the blob
	// store, when the upload carried any.
	ArtifactsBlob string
	ArtifactsSize int64
	// BlobPresent, when set, is asked inside the transaction, once the
	// blob's row is held, whether the blob is still stored: a collector
	// may have deleted the same bytes just before (blobs.go). An error
	// records nothing.
	BlobPresent func(context.Context) error
	PipelineID  int64
	JobID       int64
	UploadedBy  string
	// Jobs are enqueued in the same transaction as the upload (typically
	// the summary job): once RecordUpload returns, the upload and the work
	// it calls for survive any crash together.
	Jobs []NewJob
}

// ErrStaleRevision means a newer upload replaced the one a result was
// computed from: the result is dropped.
var ErrStaleRevision = errors.New("a newer upload replaced this session's state")

// ErrNoSession means the merge request has no session yet.
var ErrNoSession = errors.New("this merge request has no session yet: no pipeline uploaded to it")

// RecordUpload stores a pipeline's upload as the session's new state, with
// its jobs, in one transaction: when it returns, all of it is on disk (or
// committed in PostgreSQL). The new revision is in the returned session.
// The workspace (checklist, comments) is kept: reviewers' work on a merge
// request survives new commits; the server decides what to refresh.
//
// When the merge request is not tracked yet, a placeholder row is made that
// the next sync or webhook fills in (as RecordSummaryNote does).
func (s *Store) RecordUpload(ctx context.Context, u Upload) (*Session, error) {
	if u.HeadSHA == "" {
		return nil, errors.New("record an upload: the head commit is missing")
	}
	switch u.Verdict {
	case StatusUpToDate, StatusMismatch, StatusFailed:
	default:
		return nil, fmt.Errorf("record an upload: verdict %q is not one of up_to_date, mismatch_found, failed", u.Verdict)
	}
	now := s.now().UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := ensureMergeRequestRow(ctx, s, tx, u.ProjectID, u.IID, u.HeadSHA); err != nil {
			return err
		}
		// The blob replaced and the new one are touched: the first is
		// collected a grace period from now, once no session uses it.
		if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE blobs SET touched_at = ?
			WHERE ref = (SELECT artifacts_blob FROM mr_sessions WHERE project_id = ? AND iid = ?)`), now, u.ProjectID, u.IID); err != nil {
			return err
		}
		if err := touchBlob(ctx, s, tx, u.ArtifactsBlob, now); err != nil {
			return err
		}
		if u.BlobPresent != nil {
			if err := u.BlobPresent(ctx); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO mr_sessions (project_id, iid, revision, state_version, state_sha, verdict,
				result_error, state_json, artifacts_blob, artifacts_size, pipeline_id, job_id, uploaded_by, uploaded_at, updated_at)
			VALUES (?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (project_id, iid) DO UPDATE SET revision = mr_sessions.revision + 1,
				state_version = mr_sessions.state_version + 1,
				state_sha = excluded.state_sha, verdict = excluded.verdict, result_error = excluded.result_error,
				state_json = excluded.state_json, artifacts_blob = excluded.artifacts_blob,
				artifacts_size = excluded.artifacts_size, pipeline_id = excluded.pipeline_id, job_id = excluded.job_id,
				uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at, updated_at = excluded.updated_at`),
			u.ProjectID, u.IID, u.HeadSHA, string(u.Verdict), u.ResultError, string(u.StateJSON), u.ArtifactsBlob,
			u.ArtifactsSize, u.PipelineID, u.JobID, u.UploadedBy, now, now); err != nil {
			return err
		}
		for _, j := range u.Jobs {
			if _, _, err := s.enqueueTx(ctx, tx, j); err != nil {
				return fmt.Errorf("enqueue a %s job: %w", j.Kind, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record the upload for !%d: %w", u.IID, err)
	}
	return s.Session(ctx, u.ProjectID, u.IID)
}

// ensureMergeRequestRow makes the merge request row a session joins to,
// when sync has not seen the merge request yet. Its updated_at is 0, so the
// first sync or webhook replaces every field.
func ensureMergeRequestRow(ctx context.Context, s *Store, q querier, projectID, iid int64, sha string) error {
	_, err := q.ExecContext(ctx, s.d.rebind(`INSERT INTO merge_requests (project_id, iid, title, state, draft, source_branch,
			target_branch, sha, author, web_url, updated_at, last_activity_at, synced_at)
		VALUES (?, ?, '', '', 0, '', '', ?, '', '', 0, 0, 0)
		ON CONFLICT (project_id, iid) DO NOTHING`), projectID, iid, sha)
	return err
}

// Result is the outcome of the server's own work on an upload (running the
// preset checks): a new verdict and, when the checks changed it, the state.
type Result struct {
	Verdict     SessionStatus
	ResultError string
	StateJSON   []byte // nil keeps the uploaded state
}

// RecordResult stores the result computed from revision. ErrStaleRevision
// means a newer upload came meanwhile: the result is dropped (the newer
// upload has its own run queued).
func (s *Store) RecordResult(ctx context.Context, projectID, iid, revision int64, r Result) error {
	switch r.Verdict {
	case StatusUpToDate, StatusMismatch, StatusFailed:
	default:
		return fmt.Errorf("record the result of !%d: verdict %q is not one of up_to_date, mismatch_found, failed", iid, r.Verdict)
	}
	q := `UPDATE mr_sessions SET verdict = ?, result_error = ?, updated_at = ?`
	args := []any{string(r.Verdict), r.ResultError, s.now().UnixMilli()}
	if r.StateJSON != nil {
		q += `, state_json = ?, state_version = state_version + 1`
		args = append(args, string(r.StateJSON))
	}
	res, err := s.exec(ctx, q+` WHERE project_id = ? AND iid = ? AND revision = ?`, append(args, projectID, iid, revision)...)
	if err != nil {
		return fmt.Errorf("record the result of !%d: %w", iid, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStaleRevision
	}
	return nil
}

// Posted is what the server posted on a merge request for a session.
type Posted struct {
	ProjectID int64
	IID       int64
	At        time.Time
	// The summary note, when one was created or updated (NoteID 0: none).
	NoteID   int64
	BodyHash string
	// The commit status, when one was set (SHA "": none).
	CommitStatusSHA   string
	CommitStatusState string
}

// RecordPosted remembers what was posted, so that the next run of the
// summary job can tell that nothing changed and make no request.
func (s *Store) RecordPosted(ctx context.Context, p Posted) error {
	if p.At.IsZero() {
		p.At = s.now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if p.NoteID != 0 {
			if err := ensureMergeRequestRow(ctx, s, tx, p.ProjectID, p.IID, ""); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE merge_requests SET summary_note_id = ?, summary_body_hash = ?,
					summary_posted_at = ? WHERE project_id = ? AND iid = ?`),
				p.NoteID, p.BodyHash, p.At.UnixMilli(), p.ProjectID, p.IID); err != nil {
				return err
			}
		}
		if p.CommitStatusSHA != "" {
			if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO mr_sessions (project_id, iid, commit_status_sha,
					commit_status_state, commit_status_posted_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (project_id, iid) DO UPDATE SET commit_status_sha = excluded.commit_status_sha,
					commit_status_state = excluded.commit_status_state,
					commit_status_posted_at = excluded.commit_status_posted_at, updated_at = excluded.updated_at`),
				p.ProjectID, p.IID, p.CommitStatusSHA, p.CommitStatusState, p.At.UnixMilli(), s.now().UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record what was posted on !%d: %w", p.IID, err)
	}
	return nil
}

// The session columns, joined to the merge request's head and summary note.
// The merge request row drives the join: RecordUpload makes one when needed.
const selectSession = `SELECT mr.project_id, mr.iid, mr.sha, mr.summary_note_id, mr.summary_body_hash, mr.summary_posted_at,
	COALESCE(s.revision, 0), COALESCE(s.state_sha, ''), COALESCE(s.verdict, ''), COALESCE(s.result_error, ''),
	COALESCE(s.artifacts_blob, ''), COALESCE(s.artifacts_size, 0), COALESCE(s.pipeline_id, 0), COALESCE(s.job_id, 0),
	COALESCE(s.uploaded_by, ''), COALESCE(s.uploaded_at, 0), COALESCE(s.commit_status_sha, ''),
	COALESCE(s.commit_status_state, ''), COALESCE(s.commit_status_posted_at, 0), COALESCE(s.workspace_saved_at, 0),
	COALESCE(s.updated_at, 0)`

const fromSessions = ` FROM merge_requests mr LEFT JOIN mr_sessions s ON s.project_id = mr.project_id AND s.iid = mr.iid`

func scanSession(r rowScanner, extra ...any) (*Session, error) {
	var s Session
	var verdict string
	var posted, uploaded, statusPosted, wsSaved, updated int64
	dest := []any{&s.ProjectID, &s.IID, &s.HeadSHA, &s.SummaryNoteID, &s.SummaryBodyHash, &posted,
		&s.Revision, &s.StateSHA, &verdict, &s.ResultError, &s.ArtifactsBlob, &s.ArtifactsSize, &s.PipelineID,
		&s.JobID, &s.UploadedBy, &uploaded, &s.CommitStatusSHA, &s.CommitStatusState, &statusPosted, &wsSaved, &updated}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	s.Verdict = SessionStatus(verdict)
	s.SummaryPostedAt, s.UploadedAt, s.CommitStatusPostedAt = msTime(posted), msTime(uploaded), msTime(statusPosted)
	s.WorkspaceSavedAt, s.UpdatedAt = msTime(wsSaved), msTime(updated)
	deriveStatus(&s)
	return &s, nil
}

// Session returns a merge request's session with its state. A tracked merge
// request without uploads has a session in status waiting_for_pipeline;
// ErrNoSession means the merge request is not known at all.
func (s *Store) Session(ctx context.Context, projectID, iid int64) (*Session, error) {
	var state string
	sess, err := scanSession(s.queryRow(ctx, selectSession+`, COALESCE(s.state_json, '')`+fromSessions+
		` WHERE mr.project_id = ? AND mr.iid = ?`, projectID, iid), &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read the session of !%d: %w", iid, err)
	}
	if state != "" {
		sess.StateJSON = []byte(state)
	}
	return sess, nil
}

// MergeRequestSession is a line of the merge request list: the merge
// request and its session (without the state, which can be large).
type MergeRequestSession struct {
	MergeRequest
	Session Session
}

// SessionsForMergeRequests lists the tracked merge requests of a project in
// a state ("" or "all" for every state) with their sessions, most recently
// active first: the web app's merge request list.
func (s *Store) SessionsForMergeRequests(ctx context.Context, projectID int64, state string) ([]MergeRequestSession, error) {
	mrs, err := s.MergeRequests(ctx, projectID, state)
	if err != nil {
		return nil, err
	}
	q := selectSession + fromSessions + ` WHERE mr.project_id = ?`
	args := []any{projectID}
	if state != "" && state != "all" {
		q += ` AND mr.state = ?`
		args = append(args, strings.ToLower(state))
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	byIID := map[int64]*Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		byIID[sess.IID] = sess
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]MergeRequestSession, 0, len(mrs))
	for _, mr := range mrs {
		line := MergeRequestSession{MergeRequest: mr}
		if sess := byIID[mr.IID]; sess != nil {
			line.Session = *sess
		}
		out = append(out, line)
	}
	return out, nil
}

// OutdatedSessions lists the sessions whose state reviews another commit
// than the merge request's head, for the server to refresh their notes (for
// example after a restart, or when the job that should have done it died).
func (s *Store) OutdatedSessions(ctx context.Context, projectID int64) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(selectSession+fromSessions+
		` WHERE mr.project_id = ? AND s.revision > 0 AND mr.sha <> '' AND mr.sha <> s.state_sha ORDER BY mr.iid`), projectID)
	if err != nil {
		return nil, fmt.Errorf("list outdated sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list outdated sessions: %w", err)
		}
		out = append(out, *sess)
	}
	return out, rows.Err()
}

// LoadSessionWorkspace returns the session's saved workspace JSON (the
// server's Snapshot), or nil when none was saved.
func (s *Store) LoadSessionWorkspace(ctx context.Context, projectID, iid int64) ([]byte, error) {
	var ws string
	err := s.queryRow(ctx, `SELECT workspace_json FROM mr_sessions WHERE project_id = ? AND iid = ?`, projectID, iid).Scan(&ws)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && ws == "") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load the workspace of !%d: %w", iid, err)
	}
	return []byte(ws), nil
}

// SaveSessionWorkspace replaces the session's saved workspace. A review can
// start before any upload: the session is made when missing.
func (s *Store) SaveSessionWorkspace(ctx context.Context, projectID, iid int64, workspaceJSON []byte) error {
	now := s.now().UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := ensureMergeRequestRow(ctx, s, tx, projectID, iid, ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO mr_sessions (project_id, iid, workspace_json, workspace_saved_at, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (project_id, iid) DO UPDATE SET workspace_json = excluded.workspace_json,
				workspace_saved_at = excluded.workspace_saved_at, updated_at = excluded.updated_at,
				workspace_version = mr_sessions.workspace_version + 1`),
			projectID, iid, string(workspaceJSON), now, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("save the workspace of !%d: %w", iid, err)
	}
	return nil
}

// SessionWorkspace adapts a session to the server's WorkspaceStore
// interface: with T = server.Snapshot,
//
//	opts.Workspace = store.SessionWorkspace[server.Snapshot]{Store: st, ProjectID: 42, IID: 7}
//
// satisfies server.WorkspaceStore (LoadWorkspace returns nil, nil when
// nothing was saved). It is generic so that this package need not import the
// server. The JSON is encoding/json's, as the server's FileWorkspace writes;
// version checks of the snapshot stay with the server.
type SessionWorkspace[T any] struct {
	Store     *Store
	ProjectID int64
	IID       int64
}

// LoadWorkspace returns the saved workspace, or nil and no error.
func (w SessionWorkspace[T]) LoadWorkspace(ctx context.Context) (*T, error) {
	b, err := w.Store.LoadSessionWorkspace(ctx, w.ProjectID, w.IID)
	if err != nil || b == nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("the saved workspace of !%d cannot be read: %w", w.IID, err)
	}
	return &v, nil
}

// SaveWorkspace saves v as the session's workspace.
func (w SessionWorkspace[T]) SaveWorkspace(ctx context.Context, v *T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("save the workspace of !%d: %w", w.IID, err)
	}
	return w.Store.SaveSessionWorkspace(ctx, w.ProjectID, w.IID, b)
}

// SessionVersions tell a server instance whether its copy of a session is
// current: Revision counts uploads, StateVersion changes with the state
// (an upload, the server's run of the checks), WorkspaceVersion with every
// save of the review's workspace. All zero when the session has no row.
type SessionVersions struct {
	Revision         int64
	StateVersion     int64
	WorkspaceVersion int64
}

// SessionVersions reads a session's versions: one small row, cheap enough
// to ask before every request on a session.
func (s *Store) SessionVersions(ctx context.Context, projectID, iid int64) (SessionVersions, error) {
	var v SessionVersions
	err := s.queryRow(ctx, `SELECT revision, state_version, workspace_version FROM mr_sessions WHERE project_id = ? AND iid = ?`,
		projectID, iid).Scan(&v.Revision, &v.StateVersion, &v.WorkspaceVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return SessionVersions{}, nil
	}
	if err != nil {
		return SessionVersions{}, fmt.Errorf("read the session of !%d: %w", iid, err)
	}
	return v, nil
}

// ErrWorkspaceConflict means another server instance saved the session's
// workspace since the version the caller read: reload it and apply the
// change again.
var ErrWorkspaceConflict = errors.New("the review was changed meanwhile by another server instance")

// LoadSessionWorkspaceVersion is LoadSessionWorkspace with the version of
// what it returns (0 and nil when nothing was saved).
func (s *Store) LoadSessionWorkspaceVersion(ctx context.Context, projectID, iid int64) ([]byte, int64, error) {
	var ws string
	var version int64
	err := s.queryRow(ctx, `SELECT workspace_json, workspace_version FROM mr_sessions WHERE project_id = ? AND iid = ?`,
		projectID, iid).Scan(&ws, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load the workspace of !%d: %w", iid, err)
	}
	if ws == "" {
		return nil, version, nil
	}
	return []byte(ws), version, nil
}

// SaveSessionWorkspaceIf saves the session's workspace only if its version
// is still expect (compare and swap), and returns the new version. Two
// instances changing one review at once cannot lose each other's change:
// the second gets ErrWorkspaceConflict.
func (s *Store) SaveSessionWorkspaceIf(ctx context.Context, projectID, iid int64, workspaceJSON []byte, expect int64) (int64, error) {
	now := s.now().UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := ensureMergeRequestRow(ctx, s, tx, projectID, iid, ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO mr_sessions (project_id, iid, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (project_id, iid) DO NOTHING`), projectID, iid, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE mr_sessions SET workspace_json = ?, workspace_saved_at = ?,
				workspace_version = workspace_version + 1, updated_at = ?
			WHERE project_id = ? AND iid = ? AND workspace_version = ?`),
			string(workspaceJSON), now, now, projectID, iid, expect)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrWorkspaceConflict
		}
		return nil
	})
	if errors.Is(err, ErrWorkspaceConflict) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("save the workspace of !%d: %w", iid, err)
	}
	return expect + 1, nil
}
