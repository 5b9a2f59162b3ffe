package gitlab

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// WebhookPath is where the server mounts the handler.
const WebhookPath = "/api/integrations/gitlab/webhook"

// DefaultMaxWebhookBody bounds a delivery. Merge request payloads carry the
// description and the changes; 2 MiB is far above real ones.
const DefaultMaxWebhookBody = 2 << 20

// MergeRequestEvent is the part of a "Merge Request Hook" payload recce uses.
type MergeRequestEvent struct {
	DeliveryKey  string // Idempotency-Key, else X-Gitlab-Event-UUID ("" if neither)
	ProjectID    int64
	ProjectPath  string
	IID          int64
	Title        string
	State        string // opened, closed, locked, merged
	Action       string // open, close, reopen, update, approved, unapproved, approval, unapproval, merge
	Draft        bool
	SourceBranch string
	TargetBranch string
	SHA          string // last_commit.id
	NewCommits   bool   // oldrev present: commits were pushed
	UpdatedAt    time.Time
	URL          string
	Username     string // who triggered the event
}

// DeliveryRecorder drops duplicate deliveries; *store.Store implements it.
type DeliveryRecorder interface {
	// RecordWebhookDelivery reports false for a key seen before.
	RecordWebhookDelivery(ctx context.Context, key, event string, at time.Time) (bool, error)
}

// WebhookHandler receives GitLab webhooks: an http.Handler for
// POST /api/integrations/gitlab/webhook.
//
// GitLab waits about 10 s, and disables a hook after 4 failures in a row (a
// 4xx until someone re-enables it), so the handler answers fast: 401 only for
// a wrong or missing secret, 200 for events it does not use and for
// duplicates, 413 for an oversized body, and hands merge request events to
// OnMergeRequest, which must only queue the work.
type WebhookHandler struct {
	// Secret is the hook's secret token, compared in constant time with
	// X-Gitlab-Token. Required.
	Secret string
	// Deliveries drops redeliveries by Idempotency-Key / X-Gitlab-Event-UUID.
	// Optional (nil: no dedupe).
	Deliveries DeliveryRecorder
	// OnMergeRequest receives each new merge request event. An error answers
	// 500 and lets GitLab redeliver (the delivery key is released).
	OnMergeRequest func(context.Context, MergeRequestEvent) error
	// MaxBody bounds the body (default DefaultMaxWebhookBody).
	MaxBody int64
	Logger  *slog.Logger
}

// DeliveryForgetter lets a failed delivery be redelivered; optional on
// Deliveries.
type DeliveryForgetter interface {
	ForgetWebhookDelivery(ctx context.Context, key string) error
}

func (h *WebhookHandler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": msg})
}

func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.logger()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	if h.Secret == "" {
		// Misconfigured server: accept nothing, but do not let GitLab
		// disable the hook for good with a 4xx.
		log.Error("gitlab webhook: no secret configured; refusing deliveries")
		answer(w, http.StatusServiceUnavailable, "webhook secret not configured")
		return
	}
	// Hashing first makes the comparison constant-time in the length too.
	got := sha256.Sum256([]byte(r.Header.Get("X-Gitlab-Token")))
	want := sha256.Sum256([]byte(h.Secret))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		log.Warn("gitlab webhook: wrong or missing secret", "remote", r.RemoteAddr)
		answer(w, http.StatusUnauthorized, "wrong or missing X-Gitlab-Token")
		return
	}
	limit := h.MaxBody
	if limit <= 0 {
		limit = DefaultMaxWebhookBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			answer(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", limit))
			return
		}
		answer(w, http.StatusBadRequest, "cannot read the body")
		return
	}
	event := r.Header.Get("X-Gitlab-Event")
	if event != "Merge Request Hook" {
		answer(w, http.StatusOK, "ignored")
		return
	}
	ev, err := ParseMergeRequestEvent(body)
	if err != nil {
		// A 4xx would disable the hook; a payload we cannot read is ours to fix.
		log.Warn("gitlab webhook: unreadable merge request payload", "error", err)
		answer(w, http.StatusOK, "ignored: unreadable payload")
		return
	}
	ev.DeliveryKey = r.Header.Get("Idempotency-Key")
	if ev.DeliveryKey == "" {
		ev.DeliveryKey = r.Header.Get("X-Gitlab-Event-UUID")
	}
	if h.Deliveries != nil && ev.DeliveryKey != "" {
		fresh, err := h.Deliveries.RecordWebhookDelivery(r.Context(), ev.DeliveryKey, event, time.Now())
		if err != nil {
			log.Error("gitlab webhook: record delivery", "error", err)
			answer(w, http.StatusInternalServerError, "cannot record the delivery")
			return
		}
		if !fresh {
			answer(w, http.StatusOK, "duplicate")
			return
		}
	}
	if h.OnMergeRequest != nil {
		if err := h.OnMergeRequest(r.Context(), ev); err != nil {
			log.Error("gitlab webhook: handle merge request event", "iid", ev.IID, "error", err)
			if f, ok := h.Deliveries.(DeliveryForgetter); ok && ev.DeliveryKey != "" {
				_ = f.ForgetWebhookDelivery(context.WithoutCancel(r.Context()), ev.DeliveryKey)
			}
			answer(w, http.StatusInternalServerError, "cannot queue the event")
			return
		}
	}
	answer(w, http.StatusOK, "accepted")
}

type mrPayload struct {
	ObjectKind string `json:"object_kind"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	Project struct {
		ID                int64  `json:"id"`
		PathWithNamespace string `json:"path_with_namespace"`
	} `json:"project"`
	Attrs struct {
		IID            int64  `json:"iid"`
		Title          string `json:"title"`
		State          string `json:"state"`
		Action         string `json:"action"`
		Draft          *bool  `json:"draft"`
		WorkInProgress bool   `json:"work_in_progress"`
		SourceBranch   string `json:"source_branch"`
		TargetBranch   string `json:"target_branch"`
		TargetProject  int64  `json:"target_project_id"`
		LastCommit     struct {
			ID string `json:"id"`
		} `json:"last_commit"`
		OldRev    string `json:"oldrev"`
		UpdatedAt string `json:"updated_at"`
		URL       string `json:"url"`
	} `json:"object_attributes"`
}

// ParseMergeRequestEvent reads a "Merge Request Hook" payload.
func ParseMergeRequestEvent(body []byte) (MergeRequestEvent, error) {
	var p mrPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return MergeRequestEvent{}, fmt.Errorf("merge request event: %w", err)
	}
	if p.ObjectKind != "merge_request" || p.Attrs.IID == 0 {
		return MergeRequestEvent{}, fmt.Errorf("merge request event: object_kind %q, iid %d", p.ObjectKind, p.Attrs.IID)
	}
	a := p.Attrs
	ev := MergeRequestEvent{
		ProjectID: p.Project.ID, ProjectPath: p.Project.PathWithNamespace, IID: a.IID, Title: a.Title,
		State: a.State, Action: a.Action, Draft: a.WorkInProgress, SourceBranch: a.SourceBranch,
		TargetBranch: a.TargetBranch, SHA: a.LastCommit.ID, NewCommits: a.OldRev != "", URL: a.URL,
		Username: p.User.Username,
	}
	if a.Draft != nil {
		ev.Draft = *a.Draft
	}
	if ev.ProjectID == 0 {
		ev.ProjectID = a.TargetProject
	}
	if t, err := parseHookTime(a.UpdatedAt); err == nil {
		ev.UpdatedAt = t
	}
	return ev, nil
}

// parseHookTime reads both time formats GitLab webhooks use.
func parseHookTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unknown time format %q", s)
}
