package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// background runs a round at start and then every SyncInterval, until the
// server closes. Failures are logged: the next round, a webhook or the
// sync button catches up.
func (s *Server) background() {
	defer s.bg.Done()
	if s.opts.SyncInterval <= 0 {
		return
	}
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		s.round()
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// keep is how long finished jobs and webhook delivery keys are kept:
// long enough to look into last week's failures, and GitLab redelivers for
// hours at most.
const keep = 7 * 24 * time.Hour

// round checks the token again when its last check is old, syncs the
// merge requests if the token can still be used, catches up on outdated
// sessions, and prunes old jobs and delivery keys.
func (s *Server) round() {
	s.prune()
	c, conn, err := s.connectedClient(s.ctx)
	if err != nil {
		return // not connected (or the key is missing: the API says so)
	}
	every := s.opts.RecheckInterval
	if every <= 0 {
		every = time.Hour
	}
	if s.now().Sub(conn.CheckedAt) >= every {
		rep, err := c.Check(s.ctx, strconv.FormatInt(conn.ProjectID, 10))
		if err != nil {
			return // shutting down
		}
		// The check is recorded only if the token was not replaced meanwhile.
		if now, err := s.connection(s.ctx); err == nil && now != nil && bytes.Equal(now.TokenSealed, conn.TokenSealed) {
			data, _ := json.Marshal(rep)
			if err := s.opts.Store.UpdateConnectionCheck(s.ctx, string(rep.Mode), string(data), rep.CheckedAt); err != nil {
				s.log.Warn("recording the token check failed", "error", err)
			}
			if string(rep.Mode) != conn.Mode {
				s.log.Warn("the GitLab connection changed mode", "from", conn.Mode, "to", rep.Mode)
			}
		}
		conn.Mode = string(rep.Mode)
	}
	if conn.Mode == string(gitlab.ModeNone) {
		return
	}
	if res, err := c.Sync(s.ctx, s.syncer(conn.ProjectID), conn.ProjectID, nil); err != nil {
		s.log.Warn("background merge request sync failed", "error", err)
	} else if len(res.New)+len(res.Changed) > 0 {
		s.log.Info("merge requests synced", "new", len(res.New), "changed", len(res.Changed))
	}
	if conn.Mode == string(gitlab.ModeFull) {
		s.catchUpOutdated(conn.ProjectID)
	}
}

// catchUpOutdated queues the summary job of outdated sessions whose new
// head has no pending status yet: the job queued with the head move may
// have been interrupted for good (GitLab down for hours). A session whose
// job is dead is left to an administrator (GET /api/jobs?state=dead, fix
// the cause, retry it), rather than failing again every round.
func (s *Server) catchUpOutdated(projectID int64) {
	outdated, err := s.opts.Store.OutdatedSessions(s.ctx, projectID)
	if err != nil {
		s.log.Warn("listing outdated sessions failed", "error", err)
		return
	}
	dead, err := s.opts.Store.Jobs(s.ctx, store.JobFilter{State: store.JobDead, Kind: jobSummary})
	if err != nil {
		s.log.Warn("listing dead jobs failed", "error", err)
		return
	}
	stuck := map[string]bool{}
	for _, j := range dead {
		stuck[j.DedupeKey] = true
	}
	for _, sess := range outdated {
		if sess.CommitStatusSHA == sess.HeadSHA || stuck[newSummaryJob(projectID, sess.IID).DedupeKey] {
			continue
		}
		if _, err := s.enqueue(s.ctx, newSummaryJob(projectID, sess.IID)); err != nil {
			s.log.Warn("queueing an outdated session's summary failed", "iid", sess.IID, "error", err)
		}
	}
}

// defaultBlobGrace is how long an uploaded blob no session uses is kept:
// long enough for work begun on the upload it belonged to (a check run, a
// download of the state) to finish.
const defaultBlobGrace = time.Hour

// prune forgets finished jobs and webhook delivery keys older than keep
// (dead jobs stay, for an administrator to look at), and deletes the
// uploaded blobs no session has used for the grace period: a session
// keeps its latest upload only.
func (s *Server) prune() {
	if s.opts.Blobs != nil {
		grace := s.opts.BlobGrace
		if grace <= 0 {
			grace = defaultBlobGrace
		}
		n, err := s.opts.Store.CollectBlobs(s.ctx, grace, 500, s.opts.Blobs.Delete)
		s.metrics.blobsCollected.Add(float64(n))
		if err != nil {
			s.log.Warn("deleting unused upload blobs failed (they stay for the next round)", "deleted", n, "error", err)
		} else if n > 0 {
			s.log.Info("unused upload blobs deleted", "count", n)
		}
	}
	before := s.now().Add(-keep)
	if _, err := s.opts.Store.PruneJobs(s.ctx, before); err != nil {
		s.log.Warn("pruning old jobs failed", "error", err)
	}
	if _, err := s.opts.Store.PruneWebhookDeliveries(s.ctx, before); err != nil {
		s.log.Warn("pruning old webhook deliveries failed", "error", err)
	}
}
