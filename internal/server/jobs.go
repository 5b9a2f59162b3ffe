package server

import (
	"context"
	"encoding/json"
	"fmt"

	"gitlab.com/recce-go/recce/internal/store"
)

// The work the server does for merge requests in the background is a job
// in the store's durable queue (store/jobs.go), enqueued in the same
// transaction as the change that calls for it (an upload, a new head
// commit), and run by the workers of any instance (worker.go). Two kinds:
//
//	summary  bring a session's summary note and commit status up to date
//	         (job_summary.go); deduplicated per merge request, and it reads
//	         the session when it runs, so one run does all that is pending
//	note     post a review note (an approval, a comment: notes.go), once
const (
	jobSummary = "summary"
	jobNote    = "note"
)

// jobHandlers are the job kinds this server runs, by kind.
func (s *Server) jobHandlers() map[string]func(context.Context, *store.Job) error {
	return map[string]func(context.Context, *store.Job) error{
		jobSummary: s.runSummaryJob,
		jobNote:    s.runNoteJob,
	}
}

// summaryJob is the payload of a summary job.
type summaryJob struct {
	ProjectID int64 `json:"project_id"`
	IID       int64 `json:"iid"`
}

// newSummaryJob asks for a session's summary to be brought up to date.
// While one is pending, asking again adds nothing (the dedupe key): the
// pending job will read the session as it is when it runs.
func newSummaryJob(projectID, iid int64) store.NewJob {
	payload, _ := json.Marshal(summaryJob{ProjectID: projectID, IID: iid})
	return store.NewJob{Kind: jobSummary, Payload: payload, DedupeKey: fmt.Sprintf("summary:%d:%d", projectID, iid)}
}

// newNoteJob asks for a review note to be posted.
func newNoteJob(p noteJob) store.NewJob {
	payload, _ := json.Marshal(p)
	return store.NewJob{Kind: jobNote, Payload: payload}
}

// summaryJobsFor is what a merge request upsert (webhook or sync) calls
// for: the note of a session whose merge request moved on must say it is
// outdated (and the commit status on the new head be pending); one whose
// head came back to the reviewed commit is up to date again.
func summaryJobsFor(projectID int64) func(store.UpsertResult) []store.NewJob {
	return func(res store.UpsertResult) []store.NewJob {
		var jobs []store.NewJob
		for _, iid := range append(append([]int64{}, res.Outdated...), res.CaughtUp...) {
			jobs = append(jobs, newSummaryJob(projectID, iid))
		}
		return jobs
	}
}

// enqueue adds a job and wakes a worker of this instance.
func (s *Server) enqueue(ctx context.Context, j store.NewJob) (int64, error) {
	id, _, err := s.opts.Store.EnqueueJob(ctx, j)
	if err != nil {
		return 0, err
	}
	s.nudge()
	return id, nil
}

// nudge wakes an idle worker: a job was just enqueued here.
func (s *Server) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// decodePayload reads a job's payload; a payload that cannot be read will
// never be, so the job is dead at once.
func decodePayload(j *store.Job, v any) error {
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return permanent(fmt.Errorf("the payload of %s job %d cannot be read: %w", j.Kind, j.ID, err))
	}
	return nil
}

// syncStore is the store as gitlab.Sync sees it, with the summary jobs a
// head move calls for enqueued in the same transaction as the move.
type syncStore struct {
	*store.Store
	projectID int64
	after     func() // wakes the workers
}

func (st syncStore) UpsertMergeRequests(ctx context.Context, mrs []store.MergeRequest) (store.UpsertResult, error) {
	res, err := st.Store.UpsertMergeRequestsThen(ctx, mrs, summaryJobsFor(st.projectID))
	if err == nil && len(res.Outdated)+len(res.CaughtUp) > 0 {
		st.after()
	}
	return res, err
}

// syncer is the store for gitlab.Client.Sync of the connected project.
func (s *Server) syncer(projectID int64) syncStore {
	return syncStore{Store: s.opts.Store, projectID: projectID, after: s.nudge}
}
