package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MergeRequest is a tracked merge request: what GitLab said of it at the
// last sync or webhook, plus what recce posted on it.
type MergeRequest struct {
	ProjectID    int64
	IID          int64
	Title        string
	State        string // opened, closed, locked, merged
	Draft        bool
	SourceBranch string
	TargetBranch string
	SHA          string // head commit
	Author       string // username
	WebURL       string
	UpdatedAt    time.Time // GitLab's updated_at (moves with our own notes too)

	// LastActivityAt is the UpdatedAt of the last change that mattered (a new
	// head commit, a new state, title, draft flag or branch). A note recce
	// posted moves UpdatedAt, never this.
	LastActivityAt time.Time

	SummaryNoteID   int64
	SummaryBodyHash string
	SummaryPostedAt time.Time // zero when never posted
}

// sameActivity reports whether two versions differ only in what does not
// count as activity (updated_at, which our own notes move).
func sameActivity(a, b MergeRequest) bool {
	return a.Title == b.Title && a.State == b.State && a.Draft == b.Draft && a.SHA == b.SHA &&
		a.SourceBranch == b.SourceBranch && a.TargetBranch == b.TargetBranch
}

// UpsertResult tells what an UpsertMergeRequests call changed.
type UpsertResult struct {
	New       []int64 // iids not tracked before
	Changed   []int64 // iids with new activity (commit, state, title, draft, branches)
	Unchanged int     // merge requests whose update was not activity (for example our own note)

	// Outdated are the iids whose session state was for the previous head
	// and now reviews an older commit than the head (a push): their note
	// must say so. CaughtUp are those whose new head is the commit their
	// state reviews (the upload came before the webhook).
	Outdated []int64
	CaughtUp []int64
}

// UpsertMergeRequests records merge requests as GitLab reported them (sync or
// webhook), in one transaction. The summary fields are left as they are.
func (s *Store) UpsertMergeRequests(ctx context.Context, mrs []MergeRequest) (UpsertResult, error) {
	return s.UpsertMergeRequestsThen(ctx, mrs, nil)
}

// UpsertMergeRequestsThen is UpsertMergeRequests that also enqueues, in the
// same transaction, the jobs jobsFor asks for given the result (for example
// a summary refresh for each Outdated session): a crash cannot separate
// "the head moved" from "the note will say so". jobsFor may be nil.
func (s *Store) UpsertMergeRequestsThen(ctx context.Context, mrs []MergeRequest, jobsFor func(UpsertResult) []NewJob) (UpsertResult, error) {
	var res UpsertResult
	now := s.now().UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = UpsertResult{}
		for _, mr := range mrs {
			old, err := scanMergeRequest(tx.QueryRowContext(ctx, s.d.rebind(selectMR+` WHERE project_id = ? AND iid = ?`), mr.ProjectID, mr.IID))
			oldSHA := ""
			if old != nil {
				oldSHA = old.SHA
			}
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.New = append(res.New, mr.IID)
				mr.LastActivityAt = mr.UpdatedAt
			case err != nil:
				return err
			case sameActivity(*old, mr):
				res.Unchanged++
				mr.LastActivityAt = old.LastActivityAt
				// A stale event (an older webhook delivered late) must not move
				// updated_at backwards.
				if mr.UpdatedAt.Before(old.UpdatedAt) {
					mr.UpdatedAt = old.UpdatedAt
				}
			default:
				if mr.UpdatedAt.Before(old.UpdatedAt) {
					res.Unchanged++ // an older version than the stored one: ignore it
					continue
				}
				res.Changed = append(res.Changed, mr.IID)
				mr.LastActivityAt = mr.UpdatedAt
			}
			_, err = tx.ExecContext(ctx, s.d.rebind(`INSERT INTO merge_requests (project_id, iid, title, state, draft,
					source_branch, target_branch, sha, author, web_url, updated_at, last_activity_at, synced_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (project_id, iid) DO UPDATE SET title = excluded.title, state = excluded.state,
					draft = excluded.draft, source_branch = excluded.source_branch,
					target_branch = excluded.target_branch, sha = excluded.sha,
					author = CASE WHEN excluded.author = '' THEN merge_requests.author ELSE excluded.author END,
					web_url = CASE WHEN excluded.web_url = '' THEN merge_requests.web_url ELSE excluded.web_url END, updated_at = excluded.updated_at,
					last_activity_at = excluded.last_activity_at, synced_at = excluded.synced_at`),
				mr.ProjectID, mr.IID, mr.Title, mr.State, boolInt(mr.Draft), mr.SourceBranch, mr.TargetBranch,
				mr.SHA, mr.Author, mr.WebURL, mr.UpdatedAt.UnixMilli(), mr.LastActivityAt.UnixMilli(), now)
			if err != nil {
				return err
			}
			if mr.SHA != oldSHA && mr.SHA != "" {
				if err := s.noteHeadMove(ctx, tx, &res, mr.ProjectID, mr.IID, oldSHA, mr.SHA); err != nil {
					return err
				}
			}
		}
		if jobsFor != nil {
			for _, j := range jobsFor(res) {
				if _, _, err := s.enqueueTx(ctx, tx, j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return UpsertResult{}, fmt.Errorf("store merge requests: %w", err)
	}
	return res, nil
}

// noteHeadMove tells whether a merge request's new head outdated its
// session's state, or caught up with it.
func (s *Store) noteHeadMove(ctx context.Context, tx *sql.Tx, res *UpsertResult, projectID, iid int64, oldSHA, newSHA string) error {
	var stateSHA string
	err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT state_sha FROM mr_sessions WHERE project_id = ? AND iid = ? AND revision > 0`),
		projectID, iid).Scan(&stateSHA)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case stateSHA == newSHA:
		res.CaughtUp = append(res.CaughtUp, iid)
	case stateSHA == oldSHA:
		res.Outdated = append(res.Outdated, iid)
	}
	return nil
}

const selectMR = `SELECT project_id, iid, title, state, draft, source_branch, target_branch, sha, author, web_url,
	updated_at, last_activity_at, summary_note_id, summary_body_hash, summary_posted_at FROM merge_requests`

type rowScanner interface{ Scan(...any) error }

func scanMergeRequest(r rowScanner) (*MergeRequest, error) {
	var mr MergeRequest
	var draft int
	var updated, activity, posted int64
	if err := r.Scan(&mr.ProjectID, &mr.IID, &mr.Title, &mr.State, &draft, &mr.SourceBranch, &mr.TargetBranch,
		&mr.SHA, &mr.Author, &mr.WebURL, &updated, &activity, &mr.SummaryNoteID, &mr.SummaryBodyHash, &posted); err != nil {
		return nil, err
	}
	mr.Draft = draft != 0
	mr.UpdatedAt, mr.LastActivityAt = time.UnixMilli(updated).UTC(), time.UnixMilli(activity).UTC()
	if posted != 0 {
		mr.SummaryPostedAt = time.UnixMilli(posted).UTC()
	}
	return &mr, nil
}

// ErrMergeRequestNotTracked means the merge request is not in the store.
var ErrMergeRequestNotTracked = errors.New("merge request not tracked: run `recce gitlab sync`")

// MergeRequest returns one tracked merge request.
func (s *Store) MergeRequest(ctx context.Context, projectID, iid int64) (*MergeRequest, error) {
	mr, err := scanMergeRequest(s.queryRow(ctx, selectMR+` WHERE project_id = ? AND iid = ?`, projectID, iid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrMergeRequestNotTracked
	}
	if err != nil {
		return nil, fmt.Errorf("read merge request !%d: %w", iid, err)
	}
	return mr, nil
}

// MergeRequests lists the tracked merge requests of a project in a state
// ("" or "all" for every state), most recently active first.
func (s *Store) MergeRequests(ctx context.Context, projectID int64, state string) ([]MergeRequest, error) {
	q := selectMR + ` WHERE project_id = ?`
	args := []any{projectID}
	if state != "" && state != "all" {
		q += ` AND state = ?`
		args = append(args, strings.ToLower(state))
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q+` ORDER BY last_activity_at DESC, iid DESC`), args...)
	if err != nil {
		return nil, fmt.Errorf("list merge requests: %w", err)
	}
	defer rows.Close()
	var out []MergeRequest
	for rows.Next() {
		mr, err := scanMergeRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("list merge requests: %w", err)
		}
		out = append(out, *mr)
	}
	return out, rows.Err()
}

// RecordSummaryNote remembers the summary note posted on a merge request and
// the hash of its body, so that the next post can tell whether anything
// changed. The merge request row is created when it is not tracked yet.
func (s *Store) RecordSummaryNote(ctx context.Context, projectID, iid, noteID int64, bodyHash string, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO merge_requests (project_id, iid, title, state, draft, source_branch,
			target_branch, sha, author, web_url, updated_at, last_activity_at, synced_at,
			summary_note_id, summary_body_hash, summary_posted_at)
		VALUES (?, ?, '', '', 0, '', '', '', '', '', 0, 0, 0, ?, ?, ?)
		ON CONFLICT (project_id, iid) DO UPDATE SET summary_note_id = excluded.summary_note_id,
			summary_body_hash = excluded.summary_body_hash, summary_posted_at = excluded.summary_posted_at`,
		projectID, iid, noteID, bodyHash, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("record the summary note of !%d: %w", iid, err)
	}
	return nil
}

// SyncCursor is where the last merge request sync of a project stopped.
type SyncCursor struct {
	UpdatedAfter   time.Time // the next sync asks for updated_after this
	LastFullSyncAt time.Time
}

// SyncCursor returns the project's cursor; ok is false before the first sync.
func (s *Store) SyncCursor(ctx context.Context, projectID int64) (c SyncCursor, ok bool, err error) {
	var after, full int64
	err = s.queryRow(ctx, `SELECT updated_after, last_full_sync_at FROM sync_cursors WHERE project_id = ?`, projectID).Scan(&after, &full)
	if errors.Is(err, sql.ErrNoRows) {
		return SyncCursor{}, false, nil
	}
	if err != nil {
		return SyncCursor{}, false, fmt.Errorf("read the sync cursor: %w", err)
	}
	return SyncCursor{UpdatedAfter: time.UnixMilli(after).UTC(), LastFullSyncAt: time.UnixMilli(full).UTC()}, true, nil
}

// SaveSyncCursor stores the project's cursor.
func (s *Store) SaveSyncCursor(ctx context.Context, projectID int64, c SyncCursor) error {
	_, err := s.exec(ctx, `INSERT INTO sync_cursors (project_id, updated_after, last_full_sync_at) VALUES (?, ?, ?)
		ON CONFLICT (project_id) DO UPDATE SET updated_after = excluded.updated_after,
			last_full_sync_at = excluded.last_full_sync_at`,
		projectID, c.UpdatedAfter.UnixMilli(), c.LastFullSyncAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("save the sync cursor: %w", err)
	}
	return nil
}

// RecordWebhookDelivery records a webhook delivery by its idempotency key
// (Idempotency-Key, else X-Gitlab-Event-UUID). It reports false when the key
// was seen before: a redelivery, to be dropped. The insert is the check, so two
// server instances receiving the same delivery cannot both take it.
func (s *Store) RecordWebhookDelivery(ctx context.Context, key, event string, at time.Time) (fresh bool, err error) {
	res, err := s.exec(ctx, `INSERT INTO webhook_deliveries (delivery_key, event, received_at) VALUES (?, ?, ?)
		ON CONFLICT (delivery_key) DO NOTHING`, key, event, at.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("record the webhook delivery: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record the webhook delivery: %w", err)
	}
	return n == 1, nil
}

// ForgetWebhookDelivery releases a key whose processing failed, so that
// GitLab's redelivery is taken.
func (s *Store) ForgetWebhookDelivery(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, `DELETE FROM webhook_deliveries WHERE delivery_key = ?`, key); err != nil {
		return fmt.Errorf("forget the webhook delivery: %w", err)
	}
	return nil
}

// PruneWebhookDeliveries forgets deliveries received before t (GitLab
// redelivers for hours at most, not weeks).
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM webhook_deliveries WHERE received_at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return res.RowsAffected()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
