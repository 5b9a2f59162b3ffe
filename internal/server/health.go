package server

import (
	"context"
	"net/http"
	"time"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// health answers GET /api/health: the process is up. No sign-in, no I/O.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "version": s.opts.Version})
	return nil
}

// ready answers GET /api/ready: 200 when the store and the warehouse (if
// any) answer, 503 with what failed otherwise. Load balancers call it
// without signing in, so it says nothing more than ok and the failure.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.opts.Store.SchemaVersion(ctx); err != nil {
		return errorf(http.StatusServiceUnavailable, "not ready: the database does not answer: %v", err)
	}
	if wh := s.opts.Env.Warehouse; wh != nil {
		if _, _, err := warehouse.QueryRow(ctx, wh, "select 1"); err != nil {
			return errorf(http.StatusServiceUnavailable, "not ready: the warehouse does not answer: %v", err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}
