package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// The GitLab connection lives in the store, shared with `recce gitlab
// connect`: the token sealed with internal/secret, the last check report as
// JSON. The token is write-only from the browser's side: PUT takes it, no
// answer ever holds it or any part of it.

type gitlabView struct {
	Connected bool                  `json:"connected"`
	Mode      string                `json:"mode,omitempty"`
	GitLabURL string                `json:"gitlab_url,omitempty"`
	Project   *gitlab.ReportProject `json:"project,omitempty"`
	User      *gitlabUser           `json:"user,omitempty"`
	Token     *gitlabToken          `json:"token,omitempty"`
	Checks    []gitlab.CheckItem    `json:"checks,omitempty"`
	Webhook   *gitlabWebhook        `json:"webhook,omitempty"`
	CheckedAt *time.Time            `json:"checked_at,omitempty"`
}

type gitlabUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
}

// gitlabToken describes the token, never its value.
type gitlabToken struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
	DaysLeft  *int     `json:"days_left"`
}

type gitlabWebhook struct {
	URL        string `json:"url"`
	Configured bool   `json:"configured"`
}

// connection returns the stored connection, or nil when there is none.
func (s *Server) connection(ctx context.Context) (*store.Connection, error) {
	c, err := s.opts.Store.Connection(ctx)
	if errors.Is(err, store.ErrNotConnected) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the GitLab connection: %w", err)
	}
	return c, nil
}

// client makes a GitLab client for url with token. Its log lines carry
// method, path and status only.
func (s *Server) client(url, token string) (*gitlab.Client, error) {
	return gitlab.New(s.gitlabOptions(url, token))
}

func (s *Server) gitlabOptions(url, token string) gitlab.Options {
	o := s.opts.GitLab
	return gitlab.Options{URL: url, Token: token, CAFile: o.CAFile, Retry: o.Retry, RequestTimeout: o.RequestTimeout, Logger: s.log, Metrics: s.metrics,
		AllowLinkLocal: o.AllowLinkLocal}
}

// clientCache keeps the job workers' client of the stored connection, so
// that the token's identity (user, scopes) is read once, not per job. It
// is keyed by the sealed token: a replaced token gets a new client.
type clientCache struct {
	mu  sync.Mutex
	key string
	c   *gitlab.Client
}

// jobClient is the GitLab client for jobs of the connected project: 429s
// come back at once with their wait (the worker defers the job rather
// than hold a goroutine for a minute). A job for another project than the
// connected one (the connection changed since it was queued) is dead.
func (s *Server) jobClient(ctx context.Context, projectID int64) (*gitlab.Client, *store.Connection, error) {
	conn, err := s.connection(ctx)
	if err != nil {
		return nil, nil, err
	}
	if conn == nil {
		return nil, nil, permanent(errors.New("GitLab is not connected any more: connect it in Settings, then retry the job"))
	}
	if conn.ProjectID != projectID {
		return nil, nil, permanent(fmt.Errorf("the server is now connected to project %d, not %d: nothing is posted there", conn.ProjectID, projectID))
	}
	sum := sha256.Sum256(conn.TokenSealed)
	key := conn.GitLabURL + "\x00" + hex.EncodeToString(sum[:])
	cc := s.clients
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.key == key {
		return cc.c, conn, nil
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return nil, nil, err
	}
	token, err := box.Open(conn.TokenSealed, gitlab.SecretPurposeToken)
	if err != nil {
		return nil, nil, permanent(err)
	}
	o := s.gitlabOptions(conn.GitLabURL, string(token))
	o.Retry.NoRateLimitWait = true
	c, err := gitlab.New(o)
	if err != nil {
		return nil, nil, err
	}
	cc.key, cc.c = key, c
	return c, conn, nil
}

// connectedClient opens the stored token and returns a client for the
// stored instance: the token is only ever sent where it was stored for.
func (s *Server) connectedClient(ctx context.Context) (*gitlab.Client, *store.Connection, error) {
	conn, err := s.connection(ctx)
	if err != nil {
		return nil, nil, err
	}
	if conn == nil {
		return nil, nil, &apiError{Status: http.StatusConflict, Message: "GitLab is not connected: connect it in Settings, Integrations, GitLab",
			Detail: map[string]string{"reason": "not_connected"}}
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return nil, nil, err
	}
	token, err := box.Open(conn.TokenSealed, gitlab.SecretPurposeToken)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.client(conn.GitLabURL, string(token))
	return c, conn, err
}

// viewConnection is GET's answer, from the stored connection and its last
// check report.
func (s *Server) viewConnection(r *http.Request, conn *store.Connection) gitlabView {
	if conn == nil {
		return gitlabView{Connected: false}
	}
	var rep gitlab.Report
	_ = json.Unmarshal([]byte(conn.CheckJSON), &rep) // a report that cannot be read leaves the fields empty
	v := gitlabView{
		Connected: true, Mode: conn.Mode, GitLabURL: conn.GitLabURL, Project: rep.Project, Checks: rep.Checks,
		User:    &gitlabUser{ID: conn.UserID, Username: conn.Username},
		Token:   &gitlabToken{Name: conn.TokenName, Scopes: []string{}},
		Webhook: &gitlabWebhook{URL: conn.WebhookURL, Configured: conn.WebhookID != 0},
	}
	if v.Project == nil {
		v.Project = &gitlab.ReportProject{ID: conn.ProjectID, Path: conn.ProjectPath}
	}
	if rep.User != nil {
		v.User.Name = rep.User.Name
	}
	if rep.Token != nil && rep.Token.Scopes != nil {
		v.Token.Scopes = rep.Token.Scopes
	}
	if conn.TokenExpiresAt != "" {
		exp := conn.TokenExpiresAt
		v.Token.ExpiresAt = &exp
		if d, err := time.Parse(time.DateOnly, exp); err == nil {
			today := s.now().UTC().Truncate(24 * time.Hour)
			left := int(d.Sub(today).Hours() / 24)
			v.Token.DaysLeft = &left
		}
	}
	if v.Webhook.URL == "" {
		v.Webhook.URL = s.publicURL(r) + webhookPath
	}
	if !conn.CheckedAt.IsZero() {
		at := conn.CheckedAt.UTC()
		v.CheckedAt = &at
	}
	return v
}

// publicURL is the address the browser used to reach the server, the base
// of the webhook URL to give GitLab.
func (s *Server) publicURL(r *http.Request) string {
	scheme := "http"
	if isHTTPS(r) {
		scheme = "https"
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return scheme + "://" + host
}

// getGitLab answers GET /api/integrations/gitlab.
func (s *Server) getGitLab(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.connection(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewConnection(r, conn))
	return nil
}

type connectRequest struct {
	GitLabURL string `json:"gitlab_url"`
	Token     string `json:"token"`
	Project   string `json:"project"`
}

// putGitLab answers PUT /api/integrations/gitlab {"gitlab_url", "token",
// "project"}: it runs the connection check, and stores the connection
// when it is usable (200, as GET); otherwise 422 with the checks, storing
// nothing. A read_api token is usable: stored in read-only mode.
func (s *Server) putGitLab(w http.ResponseWriter, r *http.Request) error {
	var req connectRequest
	if err := decodeJSON(w, r, 16<<10, &req); err != nil {
		return err
	}
	token := strings.TrimSpace(req.Token)
	project := strings.Trim(strings.TrimSpace(req.Project), "/")
	url := strings.TrimSpace(req.GitLabURL)
	if url == "" {
		url = gitlab.DefaultURL
	}
	switch {
	case token == "":
		return errorf(http.StatusUnprocessableEntity, "paste a GitLab access token (create one at %s with the api scope)", gitlab.TokenSettingsURL(url))
	case strings.ContainsAny(token, " \t\r\n"):
		return errorf(http.StatusUnprocessableEntity, "the token holds spaces or several lines: paste the token alone")
	case project == "":
		return errorf(http.StatusUnprocessableEntity, "give the project: its numeric id or its path (group/project)")
	}
	if _, err := gitlab.NormalizeURL(url); err != nil {
		return errorf(http.StatusUnprocessableEntity, "gitlab_url: %v", err)
	}
	c, err := s.client(url, token)
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%v", gitlab.Scrub(err.Error(), token))
	}
	rep, err := c.Check(r.Context(), project)
	if err != nil {
		return err // only a cancelled request
	}
	if !rep.OK {
		msg := "the token cannot be used"
		if f := rep.Failed(); len(f) > 0 {
			msg = f[0].Message
			if f[0].Hint != "" {
				msg += ": " + f[0].Hint
			}
		}
		detail := map[string]any{"mode": rep.Mode, "checks": rep.Checks, "token": rep.Token, "user": rep.User, "project": rep.Project}
		return &apiError{Status: http.StatusUnprocessableEntity, Message: "not connected, nothing was stored: " + msg, Detail: detail}
	}
	if err := s.storeConnection(r.Context(), project, token, rep); err != nil {
		return err
	}
	s.log.Info("GitLab connected", "gitlab_url", rep.GitLabURL, "project", rep.Project.Path, "user", rep.User.Username, "mode", rep.Mode)
	conn, err := s.connection(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewConnection(r, conn))
	return nil
}

// storeConnection seals the token and saves the connection. A webhook
// made for the same project on the same instance is kept: its secret does
// not depend on the token.
func (s *Server) storeConnection(ctx context.Context, project, token string, rep *gitlab.Report) error {
	box, err := s.opts.Secrets()
	if err != nil {
		return err
	}
	sealed, err := box.Seal([]byte(token), gitlab.SecretPurposeToken)
	if err != nil {
		return err
	}
	check, _ := json.Marshal(rep)
	conn := store.Connection{
		GitLabURL: rep.GitLabURL, Project: project, ProjectID: rep.Project.ID, ProjectPath: rep.Project.Path,
		TokenSealed: sealed, UserID: rep.User.ID, Username: rep.User.Username,
		Mode: string(rep.Mode), CheckJSON: string(check), CheckedAt: rep.CheckedAt,
	}
	if rep.Token != nil {
		conn.TokenName, conn.TokenExpiresAt = rep.Token.Name, rep.Token.ExpiresAt
	}
	prev, err := s.connection(ctx)
	if err != nil {
		return err
	}
	sameProject := prev != nil && prev.GitLabURL == conn.GitLabURL && prev.ProjectID == conn.ProjectID
	if sameProject {
		conn.WebhookID, conn.WebhookURL, conn.WebhookSecretSealed = prev.WebhookID, prev.WebhookURL, prev.WebhookSecretSealed
	}
	if err := s.opts.Store.SaveConnection(ctx, conn); err != nil {
		return err
	}
	if prev != nil && prev.WebhookID != 0 && !sameProject {
		// Its secret is gone with the old connection: every delivery
		// would be refused. The outcome is logged.
		s.removeWebhook(ctx, prev)
	}
	return nil
}

// deleteGitLab answers DELETE /api/integrations/gitlab (200
// {"disconnected", "webhook"}): the project webhook the connection made is
// deleted in GitLab, then the connection and its secrets are erased from
// the database files. A webhook GitLab would not delete does not keep the
// connection: the answer says so, with where to remove it by hand. The
// token itself stays valid in GitLab until revoked there.
func (s *Server) deleteGitLab(w http.ResponseWriter, r *http.Request) error {
	conn, err := s.connection(r.Context())
	if err != nil {
		return err
	}
	var hook *gitlab.WebhookRemoval
	if conn != nil && conn.WebhookID != 0 {
		hook = s.removeWebhook(r.Context(), conn)
	}
	removed, err := s.opts.Store.DeleteConnection(r.Context())
	if err != nil {
		return err
	}
	if removed {
		s.log.Info("GitLab disconnected")
	}
	writeJSON(w, http.StatusOK, map[string]any{"disconnected": removed, "webhook": hook})
	return nil
}

// removeWebhook deletes conn's project webhook with conn's own token.
func (s *Server) removeWebhook(ctx context.Context, conn *store.Connection) *gitlab.WebhookRemoval {
	err := func() error {
		box, err := s.opts.Secrets()
		if err != nil {
			return err
		}
		token, err := box.Open(conn.TokenSealed, gitlab.SecretPurposeToken)
		if err != nil {
			return err
		}
		c, err := s.client(conn.GitLabURL, string(token))
		if err != nil {
			return err
		}
		return c.DeleteWebhook(ctx, strconv.FormatInt(conn.ProjectID, 10), conn.WebhookID)
	}()
	if err != nil {
		s.log.Warn("the GitLab webhook could not be deleted", "hook_id", conn.WebhookID, "err", err)
	} else {
		s.log.Info("GitLab webhook deleted", "hook_id", conn.WebhookID)
	}
	return gitlab.NewWebhookRemoval(conn.GitLabURL, conn.ProjectPath, conn.WebhookID, err)
}

// gitlabError maps a GitLab failure to an answer: 404 for a merge request
// GitLab does not know, 403 for a write refused for lack of rights, 502
// (GitLab, not this server, failed) otherwise, with the client's message
// and hint, which never hold the token.
func gitlabError(err error) error {
	var ge *gitlab.Error
	if !errors.As(err, &ge) {
		return err
	}
	status := http.StatusBadGateway
	switch ge.Kind {
	case gitlab.KindNotFound:
		status = http.StatusNotFound
	case gitlab.KindReadOnly, gitlab.KindInsufficientScope, gitlab.KindForbidden:
		status = http.StatusForbidden
	}
	msg := ge.Error()
	if ge.Hint != "" && !strings.Contains(msg, ge.Hint) {
		msg += ": " + ge.Hint
	}
	return &apiError{Status: status, Message: msg, Detail: map[string]any{"kind": ge.Kind, "gitlab_status": ge.Status}}
}

// parseIID reads a merge request number from the path.
func parseIID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errorf(http.StatusBadRequest, "%q is not a merge request number (the !number of the merge request)", s)
	}
	return n, nil
}
