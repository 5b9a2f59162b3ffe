package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
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

// round checks the token again when its last check is old, then syncs the
// merge requests if the token can still be used.
func (s *Server) round() {
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
}
