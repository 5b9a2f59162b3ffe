package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func trackMR(t *testing.T, s *Store, iid int64, sha string, at time.Time) UpsertResult {
	t.Helper()
	res, err := s.UpsertMergeRequests(context.Background(), []MergeRequest{{ProjectID: 42, IID: iid, Title: "Add orders",
		State: "opened", SourceBranch: "f", TargetBranch: "main", SHA: sha, Author: "ana", WebURL: "u", UpdatedAt: at}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func upload(iid int64, sha string, verdict SessionStatus) Upload {
	return Upload{ProjectID: 42, IID: iid, HeadSHA: sha, Verdict: verdict, StateJSON: []byte(`{"checks":[],"runs":[]}`),
		ArtifactsBlob: "sha256:abc", ArtifactsSize: 1234, PipelineID: 900, JobID: 901, UploadedBy: "job 901",
		Jobs: []NewJob{{Kind: "post_summary", DedupeKey: "summary:42:" + sha[:1], Payload: []byte(`{"iid":1}`)}}}
}

func TestSessionLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		trackMR(t, s, 1, "aaa", t0)
		sess, err := s.Session(ctx, 42, 1)
		if err != nil || sess.Status != StatusWaiting || sess.HeadSHA != "aaa" || sess.Revision != 0 {
			t.Fatalf("before any upload: %+v, %v", sess, err)
		}

		// The pipeline uploads for the head: stored with its job, up to date.
		sess, err = s.RecordUpload(ctx, upload(1, "aaa", StatusUpToDate))
		if err != nil {
			t.Fatal(err)
		}
		if sess.Status != StatusUpToDate || sess.Revision != 1 || string(sess.StateJSON) != `{"checks":[],"runs":[]}` ||
			sess.ArtifactsBlob != "sha256:abc" || sess.PipelineID != 900 || sess.JobID != 901 || sess.UploadedAt.IsZero() {
			t.Fatalf("after the upload: %+v", sess)
		}
		if jobs, _ := s.Jobs(ctx, JobFilter{Kind: "post_summary"}); len(jobs) != 1 {
			t.Fatalf("the upload's job was not enqueued with it: %+v", jobs)
		}

		// The server's check run finds a mismatch.
		if err := s.RecordResult(ctx, 42, 1, sess.Revision, Result{Verdict: StatusMismatch, StateJSON: []byte(`{"checks":[1]}`)}); err != nil {
			t.Fatal(err)
		}
		sess, _ = s.Session(ctx, 42, 1)
		if sess.Status != StatusMismatch || string(sess.StateJSON) != `{"checks":[1]}` {
			t.Fatalf("after the result: %+v", sess)
		}

		// What was posted is remembered, the summary note where the CLI keeps it too.
		posted := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC)
		if err := s.RecordPosted(ctx, Posted{ProjectID: 42, IID: 1, At: posted, NoteID: 555, BodyHash: "h1",
			CommitStatusSHA: "aaa", CommitStatusState: "failed"}); err != nil {
			t.Fatal(err)
		}
		sess, _ = s.Session(ctx, 42, 1)
		if sess.SummaryNoteID != 555 || sess.SummaryBodyHash != "h1" || !sess.SummaryPostedAt.Equal(posted) ||
			sess.CommitStatusSHA != "aaa" || sess.CommitStatusState != "failed" || !sess.CommitStatusPostedAt.Equal(posted) {
			t.Fatalf("after posting: %+v", sess)
		}
		if mr, _ := s.MergeRequest(ctx, 42, 1); mr.SummaryNoteID != 555 {
			t.Fatalf("the note id is not on the merge request: %+v", mr)
		}

		// A push: the webhook's upsert says the session is outdated.
		res := trackMR(t, s, 1, "bbb", t0.Add(time.Hour))
		if len(res.Outdated) != 1 || res.Outdated[0] != 1 || len(res.CaughtUp) != 0 {
			t.Fatalf("upsert after a push: %+v", res)
		}
		sess, _ = s.Session(ctx, 42, 1)
		if sess.Status != StatusOutdated || sess.HeadSHA != "bbb" || sess.StateSHA != "aaa" {
			t.Fatalf("after the push: %+v", sess)
		}
		if out, _ := s.OutdatedSessions(ctx, 42); len(out) != 1 || out[0].IID != 1 {
			t.Fatalf("outdated sessions = %+v", out)
		}
		// A second push: still outdated, not reported again.
		if res := trackMR(t, s, 1, "ccc", t0.Add(2*time.Hour)); len(res.Outdated) != 0 {
			t.Fatalf("reported outdated twice: %+v", res)
		}

		// A result computed from revision 1 arrives after upload 2: dropped.
		if _, err := s.RecordUpload(ctx, upload(1, "ccc", StatusFailed)); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordResult(ctx, 42, 1, 1, Result{Verdict: StatusUpToDate}); !errors.Is(err, ErrStaleRevision) {
			t.Fatalf("stale result: %v", err)
		}
		sess, _ = s.Session(ctx, 42, 1)
		if sess.Status != StatusFailed || sess.Revision != 2 || sess.SummaryNoteID != 555 {
			t.Fatalf("after upload 2: %+v", sess)
		}
	})
}

func TestUploadBeforeTheWebhookCatchesUp(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		// Never synced: the upload makes the merge request row.
		sess, err := s.RecordUpload(ctx, upload(5, "aaa", StatusUpToDate))
		if err != nil || sess.Status != StatusUpToDate || sess.HeadSHA != "aaa" {
			t.Fatalf("upload for an untracked MR: %+v, %v", sess, err)
		}
		if res := trackMR(t, s, 5, "aaa", t0); len(res.Outdated)+len(res.CaughtUp) != 0 {
			t.Fatalf("first sync: %+v", res)
		}
		// The next pipeline uploads for bbb before the push's webhook arrives.
		sess, _ = s.RecordUpload(ctx, upload(5, "bbb", StatusUpToDate))
		if sess.Status != StatusOutdated {
			t.Fatalf("upload ahead of the known head: %+v", sess)
		}
		res := trackMR(t, s, 5, "bbb", t0.Add(time.Hour))
		if len(res.CaughtUp) != 1 || len(res.Outdated) != 0 {
			t.Fatalf("webhook after the upload: %+v", res)
		}
		if sess, _ = s.Session(ctx, 42, 5); sess.Status != StatusUpToDate {
			t.Fatalf("after the webhook: %+v", sess)
		}
	})
}

func TestFailedUploadStoresNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := upload(1, "aaa", StatusUpToDate)
		u.Jobs = append(u.Jobs, NewJob{}) // a job without a kind fails the transaction
		if _, err := s.RecordUpload(ctx, u); err == nil {
			t.Fatal("want an error")
		}
		if _, err := s.Session(ctx, 42, 1); !errors.Is(err, ErrNoSession) {
			t.Fatalf("session after a failed upload: %v", err)
		}
		if jobs, _ := s.Jobs(ctx, JobFilter{}); len(jobs) != 0 {
			t.Fatalf("jobs after a failed upload: %+v", jobs)
		}
		if _, err := s.RecordUpload(ctx, Upload{ProjectID: 42, IID: 1, HeadSHA: "a", Verdict: "great"}); err == nil {
			t.Fatal("an unknown verdict was stored")
		}
	})
}

func TestSessionsForTheMergeRequestList(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		trackMR(t, s, 1, "aaa", t0)
		trackMR(t, s, 2, "bbb", t0.Add(time.Minute))
		trackMR(t, s, 3, "ccc", t0.Add(2*time.Minute))
		s.RecordUpload(ctx, upload(1, "aaa", StatusMismatch))
		s.RecordUpload(ctx, upload(2, "old", StatusUpToDate))
		list, err := s.SessionsForMergeRequests(ctx, 42, "opened")
		if err != nil || len(list) != 3 {
			t.Fatalf("list = %+v, %v", list, err)
		}
		want := map[int64]SessionStatus{1: StatusMismatch, 2: StatusOutdated, 3: StatusWaiting}
		for i, line := range list {
			if line.Session.Status != want[line.IID] || line.Session.StateJSON != nil || line.Title != "Add orders" {
				t.Errorf("line %d = %+v", i, line)
			}
		}
		if list[0].IID != 3 {
			t.Errorf("not most recently active first: %d", list[0].IID)
		}
		if _, err := s.Session(ctx, 42, 99); !errors.Is(err, ErrNoSession) {
			t.Fatalf("unknown MR: %v", err)
		}
	})
}

// snapshot stands in for the server's Snapshot (this package cannot import
// the server): the adapter is generic over it.
type snapshot struct {
	Version int      `json:"version"`
	Checks  []string `json:"checks"`
}

// The adapter satisfies an interface shaped like server.WorkspaceStore.
var _ interface {
	LoadWorkspace(context.Context) (*snapshot, error)
	SaveWorkspace(context.Context, *snapshot) error
} = SessionWorkspace[snapshot]{}

func TestSessionWorkspaceAdapter(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ws := SessionWorkspace[snapshot]{Store: s, ProjectID: 42, IID: 1}
		if got, err := ws.LoadWorkspace(ctx); got != nil || err != nil {
			t.Fatalf("nothing saved yet: %+v, %v", got, err)
		}
		if err := ws.SaveWorkspace(ctx, &snapshot{Version: 1, Checks: []string{"row count"}}); err != nil {
			t.Fatal(err)
		}
		// An upload keeps the reviewers' workspace.
		if _, err := s.RecordUpload(ctx, upload(1, "aaa", StatusUpToDate)); err != nil {
			t.Fatal(err)
		}
		got, err := ws.LoadWorkspace(ctx)
		if err != nil || got == nil || got.Version != 1 || len(got.Checks) != 1 || got.Checks[0] != "row count" {
			t.Fatalf("loaded %+v, %v", got, err)
		}
		// Another merge request's workspace is its own.
		other := SessionWorkspace[snapshot]{Store: s, ProjectID: 42, IID: 2}
		if got, _ := other.LoadWorkspace(ctx); got != nil {
			t.Fatalf("workspaces leak between sessions: %+v", got)
		}
		sess, _ := s.Session(ctx, 42, 1)
		if sess.WorkspaceSavedAt.IsZero() || sess.Status != StatusUpToDate {
			t.Fatalf("session = %+v", sess)
		}
	})
}

// The webhook's upsert and the note refresh it calls for are stored
// together: the jobs are in the same transaction.
func TestHeadMoveEnqueuesTheRefreshAtomically(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
		trackMR(t, s, 1, "aaa", t0)
		trackMR(t, s, 2, "xxx", t0)
		s.RecordUpload(ctx, Upload{ProjectID: 42, IID: 1, HeadSHA: "aaa", Verdict: StatusUpToDate})
		s.RecordUpload(ctx, Upload{ProjectID: 42, IID: 2, HeadSHA: "xxx", Verdict: StatusUpToDate})
		refresh := func(res UpsertResult) []NewJob {
			var jobs []NewJob
			for _, iid := range res.Outdated {
				jobs = append(jobs, NewJob{Kind: "refresh_summary", DedupeKey: fmt.Sprintf("summary:42:%d", iid)})
			}
			return jobs
		}
		mrs := []MergeRequest{
			{ProjectID: 42, IID: 1, Title: "Add orders", State: "opened", SHA: "bbb", UpdatedAt: t0.Add(time.Hour)},
			{ProjectID: 42, IID: 2, Title: "Add orders", State: "opened", SHA: "xxx", UpdatedAt: t0.Add(time.Hour)},
		}
		res, err := s.UpsertMergeRequestsThen(ctx, mrs, refresh)
		if err != nil || len(res.Outdated) != 1 || res.Outdated[0] != 1 {
			t.Fatalf("upsert = %+v, %v", res, err)
		}
		jobs, _ := s.Jobs(ctx, JobFilter{Kind: "refresh_summary"})
		if len(jobs) != 1 || jobs[0].DedupeKey != "summary:42:1" {
			t.Fatalf("jobs = %+v", jobs)
		}
		// A failing enqueue rolls the upsert back: the head did not move.
		mrs[0].SHA, mrs[0].UpdatedAt = "ccc", t0.Add(2*time.Hour)
		if _, err := s.UpsertMergeRequestsThen(ctx, mrs, func(UpsertResult) []NewJob { return []NewJob{{}} }); err == nil {
			t.Fatal("want an error")
		}
		if mr, _ := s.MergeRequest(ctx, 42, 1); mr.SHA != "bbb" {
			t.Fatalf("the upsert was kept without its job: %+v", mr)
		}
	})
}
