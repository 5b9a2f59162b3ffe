package gitlab

import (
	"context"
	"fmt"
	"time"

	"gitlab.com/recce-go/recce/internal/store"
)

// SyncStore is what Sync needs of the store; *store.Store implements it.
type SyncStore interface {
	SyncCursor(ctx context.Context, projectID int64) (store.SyncCursor, bool, error)
	SaveSyncCursor(ctx context.Context, projectID int64, c store.SyncCursor) error
	UpsertMergeRequests(ctx context.Context, mrs []store.MergeRequest) (store.UpsertResult, error)
}

// SyncResult tells what a sync did.
type SyncResult struct {
	Full      bool      `json:"full"`      // first sync: every opened merge request
	Fetched   int       `json:"fetched"`   // merge requests GitLab returned
	New       []int64   `json:"new"`       // iids seen for the first time
	Changed   []int64   `json:"changed"`   // iids with new activity (commit, state, title, draft, branches)
	Unchanged int       `json:"unchanged"` // updated_at moved without activity (our own notes, for example)
	Cursor    time.Time `json:"cursor"`
}

// SyncOverlap is how far before its cursor a sync asks again. GitLab
// stamps updated_at when a transaction starts, not when it commits: a
// merge request stamped just before the newest one seen may become
// visible only after the sync read past it. Asking again from a minute
// earlier sees it; what is seen twice changes nothing in the store.
const SyncOverlap = time.Minute

// Sync brings the store's merge requests of a project up to date. The first
// sync lists the opened merge requests (what there is to review); later ones
// ask for every state updated since the cursor, less SyncOverlap, so merges
// and closes are seen too. The cursor is GitLab's own latest updated_at
// (never our clock). The listing is by key (ListMergeRequests), so a merge
// request updated during a sync of several pages shifts no page and none
// is skipped. The store tells real activity from updates caused by recce's
// own notes.
func (c *Client) Sync(ctx context.Context, st SyncStore, projectID int64, onPage func(int)) (*SyncResult, error) {
	project := fmt.Sprint(projectID)
	cur, ok, err := st.SyncCursor(ctx, projectID)
	if err != nil {
		return nil, err
	}
	opts := ListOptions{State: "opened", OnPage: onPage}
	res := &SyncResult{Full: !ok}
	if ok {
		opts.State = "all"
		if !cur.UpdatedAfter.IsZero() {
			opts.UpdatedAfter = cur.UpdatedAfter.Add(-SyncOverlap)
		}
	}
	mrs, err := c.ListMergeRequests(ctx, project, opts)
	if err != nil {
		return nil, err
	}
	res.Fetched = len(mrs)
	rows := make([]store.MergeRequest, 0, len(mrs))
	next := cur.UpdatedAfter
	for _, m := range mrs {
		rows = append(rows, StoreMergeRequest(projectID, m))
		if m.UpdatedAt.After(next) {
			next = m.UpdatedAt
		}
	}
	up, err := st.UpsertMergeRequests(ctx, rows)
	if err != nil {
		return nil, err
	}
	res.New, res.Changed, res.Unchanged = up.New, up.Changed, up.Unchanged
	if !ok {
		cur.LastFullSyncAt = time.Now().UTC()
	}
	cur.UpdatedAfter = next
	if err := st.SaveSyncCursor(ctx, projectID, cur); err != nil {
		return nil, err
	}
	res.Cursor = next
	return res, nil
}

// StoreMergeRequest converts a merge request for the store.
func StoreMergeRequest(projectID int64, m MergeRequest) store.MergeRequest {
	return store.MergeRequest{ProjectID: projectID, IID: m.IID, Title: m.Title, State: m.State, Draft: m.Draft,
		SourceBranch: m.SourceBranch, TargetBranch: m.TargetBranch, SHA: m.SHA, Author: m.Author,
		WebURL: m.WebURL, UpdatedAt: m.UpdatedAt}
}

// StoreMergeRequestFromEvent converts a webhook event for the store.
func StoreMergeRequestFromEvent(ev MergeRequestEvent) store.MergeRequest {
	return store.MergeRequest{ProjectID: ev.ProjectID, IID: ev.IID, Title: ev.Title, State: ev.State, Draft: ev.Draft,
		SourceBranch: ev.SourceBranch, TargetBranch: ev.TargetBranch, SHA: ev.SHA, WebURL: ev.URL, UpdatedAt: ev.UpdatedAt}
}
