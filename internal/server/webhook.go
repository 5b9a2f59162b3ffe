package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// webhook answers POST /api/integrations/gitlab/webhook: GitLab's merge
// request events, authenticated by the hook's secret (X-Gitlab-Token) and
// nothing else. The secret is the stored connection's, made by `recce
// gitlab connect --create-webhook`. Each event updates the tracked merge
// request at once (a small local write), well within GitLab's 10 s; a
// new head commit queues the session's summary job in the same
// transaction (the note then says it is outdated). Several instances may
// receive the same delivery: the store takes it once (its idempotency
// key), and the job's dedupe key keeps one pending job per session.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.connection(r.Context())
	if err != nil {
		return err
	}
	if conn == nil || len(conn.WebhookSecretSealed) == 0 {
		// 401, as for a wrong secret: GitLab then stops sending until
		// someone fixes the hook, instead of retrying into a void.
		return errorf(http.StatusUnauthorized, "no webhook is configured on this recce server: create it with `recce gitlab connect --create-webhook URL` in the server's data directory")
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return err
	}
	secret, err := box.Open(conn.WebhookSecretSealed, gitlab.SecretPurposeWebhookSecret)
	if err != nil {
		return err
	}
	h := &gitlab.WebhookHandler{
		Secret:     string(secret),
		Deliveries: s.opts.Store,
		Logger:     s.log,
		OnMergeRequest: func(ctx context.Context, ev gitlab.MergeRequestEvent) error {
			if ev.ProjectID != conn.ProjectID {
				s.log.Info("webhook event of another project ignored", "project_id", ev.ProjectID)
				return nil
			}
			if ev.SHA != "" && !validCommitSHA(ev.SHA) {
				// 200 all the same: GitLab disables a hook that gets 4xx.
				s.log.Warn("webhook event ignored: its last commit is not a commit id", "iid", ev.IID)
				return nil
			}
			// A push makes the session outdated: its summary job is queued
			// in the same transaction as the new head.
			_, err := s.syncer(conn.ProjectID).UpsertMergeRequests(ctx, []store.MergeRequest{gitlab.StoreMergeRequestFromEvent(ev)})
			return err
		},
	}
	h.ServeHTTP(w, r)
	return nil
}

// createWebhook answers POST /api/integrations/gitlab/webhook/create
// {"url"?}: it creates the project webhook for merge request events,
// pointing at url (default: this server's address as the browser reached
// it), with a generated secret stored sealed in the connection, and
// answers as GET /api/integrations/gitlab. It is `recce gitlab connect
// --create-webhook` for servers whose store the command line does not
// open (PostgreSQL). Needs the api scope and the Maintainer role.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		URL string `json:"url"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, 4096, &req); err != nil {
			return err
		}
	}
	hookURL := strings.TrimSpace(req.URL)
	if hookURL == "" {
		base := strings.TrimRight(s.opts.PublicURL, "/")
		if base == "" {
			base = s.publicURL(r)
		}
		hookURL = base + webhookPath
	}
	c, conn, err := s.connectedClient(r.Context())
	if err != nil {
		return err
	}
	if conn.Mode != string(gitlab.ModeFull) {
		return &apiError{Status: http.StatusForbidden, Message: "creating the webhook needs a token with the api scope; " + readOnlyReason,
			Detail: map[string]string{"mode": conn.Mode, "reason": "read_only"}}
	}
	raw := make([]byte, 32)
	rand.Read(raw) // never fails
	hookSecret := base64.RawURLEncoding.EncodeToString(raw)
	id, err := c.CreateWebhook(r.Context(), strconv.FormatInt(conn.ProjectID, 10), hookURL, hookSecret)
	if err != nil {
		return gitlabError(err)
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return err
	}
	sealed, err := box.Seal([]byte(hookSecret), gitlab.SecretPurposeWebhookSecret)
	if err != nil {
		return err
	}
	conn.WebhookID, conn.WebhookURL, conn.WebhookSecretSealed = id, hookURL, sealed
	if err := s.opts.Store.SaveConnection(r.Context(), *conn); err != nil {
		return err
	}
	s.log.Info("GitLab webhook created", "hook_id", id, "url", hookURL)
	writeJSON(w, http.StatusOK, s.viewConnection(r, conn))
	return nil
}
