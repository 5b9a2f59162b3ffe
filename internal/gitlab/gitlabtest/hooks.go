package gitlabtest

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) hookJSON(h *Hook) map[string]any {
	// GitLab never returns the secret token of a hook.
	return map[string]any{
		"id": h.ID, "url": h.URL, "project_id": h.ProjectID, "merge_requests_events": h.MergeRequestsEvents,
		"note_events": h.NoteEvents, "pipeline_events": h.PipelineEvents, "enable_ssl_verification": h.EnableSSL,
		"created_at": s.now().UTC().Format(time.RFC3339Nano),
	}
}

// hookURLBlocked applies GitLab's URL blocker to a webhook address
// (app/validators/public_url_validator.rb on WebHook#url, with
// allow_localhost and allow_local_network both taken from the admin
// setting allow_local_requests_from_web_hooks_and_services; the checks of
// lib/gitlab/url_blocker.rb, now gems/gitlab-http's UrlBlocker): only
// http and https, and unless the setting allows it, no loopback, private
// (RFC 1918, fc00::/7), link-local, shared (100.64.0.0/10) or unspecified
// address. GitLab resolves host names and checks every address; the fake
// knows only "localhost" and IP literals, and takes other names as public.
func (s *Server) hookURLBlocked(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return true
	}
	if s.allowLocalHooks {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	_, shared, _ := net.ParseCIDR("100.64.0.0/10")
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || shared.Contains(ip)
}

func (s *Server) hooksRoute(w http.ResponseWriter, r *http.Request, p *Project, acc access) {
	if acc.level < Maintainer {
		message(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	switch r.Method {
	case http.MethodGet:
		out := []map[string]any{}
		for _, h := range s.hooks {
			if h.ProjectID == p.ID {
				out = append(out, s.hookJSON(h))
			}
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodPost:
		u, _ := formValue(r, "url")
		if s.hookURLBlocked(u) {
			// lib/api/helpers/web_hooks_helpers.rb#save_hook: any error on
			// the url is error!("Invalid url given", 422), which Grape
			// renders as {"error": ...}.
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "Invalid url given"})
			return
		}
		tok, _ := formValue(r, "token")
		b := func(name string) bool { v, _ := formValue(r, name); return v == "true" }
		ssl := true
		if v, ok := formValue(r, "enable_ssl_verification"); ok {
			ssl = v == "true"
		}
		h := &Hook{ID: s.id(), ProjectID: p.ID, URL: u, Token: tok, MergeRequestsEvents: b("merge_requests_events"),
			NoteEvents: b("note_events"), PipelineEvents: b("pipeline_events"), EnableSSL: ssl}
		s.hooks = append(s.hooks, h)
		writeJSON(w, http.StatusCreated, s.hookJSON(h))
	default:
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "405 Not Allowed"})
	}
}

// deleteHook answers DELETE /projects/:id/hooks/:hook_id: 204, or GitLab's
// "404 Not found" for a hook that is not the project's.
func (s *Server) deleteHook(w http.ResponseWriter, p *Project, acc access, idStr string) {
	if acc.level < Maintainer {
		message(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	id, _ := strconv.ParseInt(idStr, 10, 64)
	for i, h := range s.hooks {
		if h.ID == id && h.ProjectID == p.ID {
			s.hooks = append(s.hooks[:i], s.hooks[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	message(w, http.StatusNotFound, "404 Not found")
}
