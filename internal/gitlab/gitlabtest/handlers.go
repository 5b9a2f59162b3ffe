package gitlabtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gitlab.com/recce-go/recce/internal/markdown"
)

// MaxNoteLength is GitLab's limit on a note body, in characters.
const MaxNoteLength = 1_000_000

// recorder captures the status for the request log.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// discard swallows the real answer of a request whose answer is replaced by a
// fault after the write.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Paths are read escaped: a project path arrives as data%2Fanalytics.
	raw := r.URL.EscapedPath()
	apiRoot := s.prefix + "/api/v4"
	if !strings.HasPrefix(raw, apiRoot+"/") {
		// GitLab's web UI answers HTML; a client pointed at the wrong base
		// URL sees this.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!DOCTYPE html><html><head><title>The page could not be found (404)</title></head><body><h1>404</h1></body></html>")
		return
	}
	path := strings.TrimPrefix(raw, apiRoot)
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	rec := &recorder{ResponseWriter: w}

	s.mu.Lock()
	f := s.takeFault(r.Method, path)
	s.mu.Unlock()

	entry := Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Write: write}
	defer func() {
		entry.Status = rec.status
		s.mu.Lock()
		s.log = append(s.log, entry)
		s.mu.Unlock()
	}()

	if f != nil {
		entry.Faulted = true
		if f.AfterWrite {
			s.route(&discard{h: http.Header{}}, r, path)
		}
		if f.Gate != nil {
			// The body read first: net/http notices a client going away
			// only once the body is consumed.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !f.Gate.hold(r) {
				rec.status = 499
				return
			}
		}
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				rec.status = 499 // the client went away, as nginx would log it
				return
			}
		}
		if f.Status != 0 {
			for k, vs := range f.Header {
				rec.Header()[k] = vs
			}
			if rec.Header().Get("Content-Type") == "" {
				rec.Header().Set("Content-Type", "application/json")
			}
			rec.WriteHeader(f.Status)
			io.WriteString(rec, f.Body)
			return
		}
		if f.AfterWrite {
			rec.WriteHeader(http.StatusOK)
			return
		}
	}
	s.route(rec, r, path)
}

// ---- answers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func message(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg})
}

const (
	expiredDescription = "Token is expired. You can either do re-authorization or token refresh."
	revokedDescription = "Token was revoked. You have to re-authorize from the user."
	scopeDescription   = "The request requires higher privileges than provided by the access token."
)

func invalidToken(w http.ResponseWriter, description string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", error="invalid_token", error_description=%q`, description))
	writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token", "error_description": description})
}

func insufficientScope(w http.ResponseWriter, scopes string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", error="insufficient_scope", error_description=%q, scope=%q`, scopeDescription, scopes))
	writeJSON(w, http.StatusForbidden, map[string]any{"error": "insufficient_scope", "error_description": scopeDescription, "scope": scopes})
}

// ---- authentication ----

type caller struct {
	tok  *Token
	user *User
}

func (c caller) has(scope string) bool { return slices.Contains(c.tok.Scopes, scope) }

func (c caller) canRead() bool {
	return c.tok.Granular || c.has("api") || c.has("read_api")
}

func (c caller) canWrite() bool {
	if c.tok.Granular {
		return c.tok.GranularWrite
	}
	return c.has("api")
}

// authenticate answers 401 the way GitLab does and returns false, or returns
// the caller. Called with the lock held.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (caller, bool) {
	value := r.Header.Get("PRIVATE-TOKEN")
	if value == "" {
		value, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	tok := s.tokens[value]
	if value == "" || tok == nil {
		message(w, http.StatusUnauthorized, "401 Unauthorized")
		return caller{}, false
	}
	if tok.Revoked {
		invalidToken(w, revokedDescription)
		return caller{}, false
	}
	if s.expired(tok) {
		invalidToken(w, expiredDescription)
		return caller{}, false
	}
	return caller{tok: tok, user: s.users[tok.UserID]}, true
}

// expired: the token stops working at midnight UTC of its expiry date.
func (s *Server) expired(tok *Token) bool {
	if tok.ExpiresAt == "" {
		return false
	}
	d, err := time.Parse(time.DateOnly, tok.ExpiresAt)
	return err == nil && !s.now().UTC().Before(d)
}

// ---- routing ----

func segments(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg := segments(path)

	if len(seg) == 1 && seg[0] == "job" && r.Method == http.MethodGet {
		s.getJob(w, r)
		return
	}
	c, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	switch {
	case len(seg) == 1 && seg[0] == "user" && r.Method == http.MethodGet:
		if !c.canRead() && !c.has("read_user") {
			insufficientScope(w, "api read_api read_user")
			return
		}
		s.getUser(w, c)
		return
	case len(seg) == 2 && seg[0] == "personal_access_tokens" && seg[1] == "self" && r.Method == http.MethodGet:
		// Works with any scope.
		s.getTokenSelf(w, c)
		return
	case len(seg) >= 2 && seg[0] == "projects":
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
		return
	}

	write := r.Method != http.MethodGet
	if !c.canRead() {
		insufficientScope(w, "api read_api")
		return
	}
	p := s.findProject(seg[1])
	level := 0
	if p != nil {
		level = s.members[[2]int64{p.ID, c.user.ID}]
		if c.user.Admin {
			level = max(level, 60)
		}
	}
	if p == nil || level == 0 {
		message(w, http.StatusNotFound, "404 Project Not Found")
		return
	}
	rest := seg[2:]
	if write && !c.canWrite() {
		scopes := "api"
		if len(rest) > 0 && rest[0] == "merge_requests" {
			scopes = "ai_workflows api read_api"
		}
		insufficientScope(w, scopes)
		return
	}
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		s.getProject(w, p, level)
	case len(rest) == 3 && rest[0] == "members" && rest[1] == "all" && r.Method == http.MethodGet:
		s.getMember(w, p, rest[2])
	case len(rest) == 1 && rest[0] == "merge_requests" && r.Method == http.MethodGet:
		s.listMRs(w, r, p)
	case len(rest) == 2 && rest[0] == "merge_requests" && r.Method == http.MethodGet:
		s.getMR(w, p, rest[1])
	case len(rest) >= 3 && rest[0] == "merge_requests" && rest[2] == "notes":
		s.notesRoute(w, r, p, c, level, rest[1], rest[3:])
	case len(rest) == 2 && rest[0] == "statuses" && r.Method == http.MethodPost:
		s.setStatus(w, r, p, level, rest[1])
	case len(rest) == 1 && rest[0] == "hooks":
		s.hooksRoute(w, r, p, level)
	case len(rest) == 2 && rest[0] == "hooks" && r.Method == http.MethodDelete:
		s.deleteHook(w, p, level, rest[1])
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	}
}

func (s *Server) findProject(idOrPath string) *Project {
	if id, err := strconv.ParseInt(idOrPath, 10, 64); err == nil {
		return s.projects[id]
	}
	for _, p := range s.projects {
		if strings.EqualFold(p.Path, idOrPath) {
			return p
		}
	}
	return nil
}

func (s *Server) findMR(projectID, iid int64) *MergeRequest {
	for _, mr := range s.mrs[projectID] {
		if mr.IID == iid {
			return mr
		}
	}
	return nil
}

// ---- users and tokens ----

func (s *Server) userJSON(u *User) map[string]any {
	m := clone(s.fixtureUser)
	m["id"], m["username"], m["name"], m["bot"] = u.ID, u.Username, u.Name, u.Bot
	m["web_url"] = s.URL + "/" + u.Username
	m["is_admin"] = u.Admin
	return m
}

func (s *Server) getUser(w http.ResponseWriter, c caller) {
	writeJSON(w, http.StatusOK, s.userJSON(c.user))
}

func (s *Server) getTokenSelf(w http.ResponseWriter, c caller) {
	t := c.tok
	m := clone(s.fixtureToken)
	m["id"], m["name"], m["user_id"], m["revoked"] = t.ID, t.Name, t.UserID, t.Revoked
	m["scopes"] = t.Scopes
	if t.Scopes == nil {
		m["scopes"] = []string{}
	}
	m["active"] = !t.Revoked && !s.expired(t)
	m["expired"] = s.expired(t)
	m["granular"] = t.Granular
	m["description"] = ""
	m["last_used_at"] = s.now().UTC().Format(time.RFC3339Nano)
	if t.ExpiresAt == "" {
		m["expires_at"] = nil
	} else {
		m["expires_at"] = t.ExpiresAt
	}
	writeJSON(w, http.StatusOK, m)
}

// ---- projects and members ----

func (s *Server) projectWebURL(p *Project) string { return s.URL + "/" + p.Path }

func (s *Server) getProject(w http.ResponseWriter, p *Project, level int) {
	name := p.Path[strings.LastIndex(p.Path, "/")+1:]
	// permissions are null when access comes through a shared group: GitLab
	// clients must prefer members/all. The fake always leaves group_access
	// null, like a project in a personal namespace.
	writeJSON(w, http.StatusOK, map[string]any{
		"id": p.ID, "name": name, "path": name, "path_with_namespace": p.Path,
		"name_with_namespace": strings.ReplaceAll(p.Path, "/", " / "),
		"web_url":             s.projectWebURL(p), "default_branch": "main",
		"permissions": map[string]any{
			"project_access": map[string]any{"access_level": level, "notification_level": 3},
			"group_access":   nil,
		},
	})
}

func (s *Server) getMember(w http.ResponseWriter, p *Project, userID string) {
	id, _ := strconv.ParseInt(userID, 10, 64)
	level, ok := s.members[[2]int64{p.ID, id}]
	u := s.users[id]
	if !ok || u == nil {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "state": "active",
		"access_level": level, "web_url": s.URL + "/" + u.Username, "expires_at": nil,
	})
}

// ---- merge requests ----

func (s *Server) mrJSON(mr *MergeRequest, p *Project, base map[string]any) map[string]any {
	m := clone(base)
	author := s.users[mr.AuthorID]
	m["id"], m["iid"], m["project_id"] = mr.ID, mr.IID, mr.ProjectID
	m["title"], m["state"], m["draft"], m["work_in_progress"] = mr.Title, mr.State, mr.Draft, mr.Draft
	m["source_branch"], m["target_branch"], m["sha"] = mr.SourceBranch, mr.TargetBranch, mr.SHA
	m["source_project_id"], m["target_project_id"] = p.ID, p.ID
	m["created_at"], m["updated_at"] = mr.CreatedAt.Format(time.RFC3339Nano), mr.UpdatedAt.Format(time.RFC3339Nano)
	m["web_url"] = fmt.Sprintf("%s/-/merge_requests/%d", s.projectWebURL(p), mr.IID)
	m["labels"] = append([]string{}, mr.Labels...)
	if author != nil {
		m["author"] = map[string]any{"id": author.ID, "username": author.Username, "name": author.Name, "state": "active", "web_url": s.URL + "/" + author.Username}
	}
	userNotes := 0
	for _, n := range s.notes[[2]int64{p.ID, mr.IID}] {
		if !n.System {
			userNotes++
		}
	}
	m["user_notes_count"] = userNotes
	if mr.State != "merged" {
		m["merged_at"], m["merged_by"] = nil, nil
	}
	return m
}

func (s *Server) listMRs(w http.ResponseWriter, r *http.Request, p *Project) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "all"
	}
	var after time.Time
	if v := q.Get("updated_after"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "updated_after is invalid"})
			return
		}
		after = t
	}
	var items []*MergeRequest
	for _, mr := range s.mrs[p.ID] {
		if state != "all" && mr.State != state {
			continue
		}
		if !after.IsZero() && mr.UpdatedAt.Before(after) { // inclusive, as GitLab
			continue
		}
		items = append(items, mr)
	}
	orderBy := q.Get("order_by")
	key := func(mr *MergeRequest) time.Time { return mr.CreatedAt }
	if orderBy == "updated_at" {
		key = func(mr *MergeRequest) time.Time { return mr.UpdatedAt }
	}
	asc := q.Get("sort") == "asc"
	sort.SliceStable(items, func(i, j int) bool {
		a, b := key(items[i]), key(items[j])
		if a.Equal(b) {
			if asc {
				return items[i].ID < items[j].ID
			}
			return items[i].ID > items[j].ID
		}
		if asc {
			return a.Before(b)
		}
		return a.After(b)
	})
	page := s.paginate(w, r, len(items))
	out := []map[string]any{}
	for i, mr := range items[page.from:page.to] {
		out = append(out, s.mrJSON(mr, p, s.fixtureMRs[i%len(s.fixtureMRs)]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getMR(w http.ResponseWriter, p *Project, iidStr string) {
	iid, _ := strconv.ParseInt(iidStr, 10, 64)
	mr := s.findMR(p.ID, iid)
	if mr == nil {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	m := s.mrJSON(mr, p, s.fixtureMR)
	m["diff_refs"] = map[string]any{"base_sha": mr.BaseSHA, "head_sha": mr.SHA, "start_sha": mr.BaseSHA}
	m["head_pipeline"] = nil
	m["changes_count"] = "3"
	writeJSON(w, http.StatusOK, m)
}

// pageWindow is the slice of results a page covers.
type pageWindow struct{ from, to int }

// paginate writes GitLab's offset pagination headers and returns the window.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, total int) pageWindow {
	q := r.URL.Query()
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if perPage <= 0 {
		perPage = 20
	}
	perPage = min(perPage, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	pages := max((total+perPage-1)/perPage, 1)
	from := min((page-1)*perPage, total)
	to := min(from+perPage, total)

	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Prev-Page", "")
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
	}
	h.Set("X-Next-Page", "")
	if page < pages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
	}
	countable := total <= s.TotalsLimit
	if countable {
		h.Set("X-Total", strconv.Itoa(total))
		h.Set("X-Total-Pages", strconv.Itoa(pages))
	}
	link := func(n int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		if r.TLS != nil {
			u.Scheme = "https"
		}
		if s.LinkHost != "" {
			u.Host = s.LinkHost
		}
		qq := u.Query()
		qq.Set("page", strconv.Itoa(n))
		qq.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = qq.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < pages {
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"))
	if countable {
		links = append(links, link(pages, "last"))
	}
	h.Set("Link", strings.Join(links, ", "))
	return pageWindow{from, to}
}

// ---- notes ----

func (s *Server) noteJSON(n *Note, mr *MergeRequest) map[string]any {
	author := s.users[n.AuthorID]
	a := map[string]any{"id": n.AuthorID}
	if author != nil {
		a = map[string]any{"id": author.ID, "username": author.Username, "name": author.Name, "state": "active", "web_url": s.URL + "/" + author.Username}
	}
	return map[string]any{
		"id": n.ID, "type": nil, "body": n.Body, "attachment": nil, "author": a,
		"created_at": n.CreatedAt.Format(time.RFC3339Nano), "updated_at": n.UpdatedAt.Format(time.RFC3339Nano),
		"system": n.System, "noteable_id": mr.ID, "noteable_type": "MergeRequest", "project_id": mr.ProjectID,
		"noteable_iid": mr.IID, "resolvable": false, "confidential": false, "internal": false,
	}
}

// formValue reads a parameter from a JSON or form body (the client sends JSON).
func formValue(r *http.Request, name string) (string, bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]any
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		if json.Unmarshal(b, &m) == nil {
			if v, ok := m[name]; ok && v != nil {
				switch v := v.(type) {
				case string:
					return v, true
				default:
					return fmt.Sprint(v), true
				}
			}
		}
		return "", false
	}
	if err := r.ParseForm(); err == nil {
		if vs, ok := r.Form[name]; ok {
			return vs[0], true
		}
	}
	return "", false
}

func (s *Server) notesRoute(w http.ResponseWriter, r *http.Request, p *Project, c caller, level int, iidStr string, rest []string) {
	iid, _ := strconv.ParseInt(iidStr, 10, 64)
	mr := s.findMR(p.ID, iid)
	if mr == nil {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	key := [2]int64{p.ID, iid}
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		notes := append([]*Note(nil), s.notes[key]...)
		q := r.URL.Query()
		asc := q.Get("sort") == "asc"
		byUpdated := q.Get("order_by") == "updated_at"
		sort.SliceStable(notes, func(i, j int) bool {
			a, b := notes[i].CreatedAt, notes[j].CreatedAt
			if byUpdated {
				a, b = notes[i].UpdatedAt, notes[j].UpdatedAt
			}
			if a.Equal(b) {
				a, b = time.Unix(notes[i].ID, 0), time.Unix(notes[j].ID, 0)
			}
			if asc {
				return a.Before(b)
			}
			return a.After(b)
		})
		page := s.paginate(w, r, len(notes))
		out := []map[string]any{}
		for _, n := range notes[page.from:page.to] {
			out = append(out, s.noteJSON(n, mr))
		}
		writeJSON(w, http.StatusOK, out)
	case len(rest) == 0 && r.Method == http.MethodPost:
		if !s.takeNoteCreate(c.user.ID) {
			writeJSON(w, http.StatusTooManyRequests, json.RawMessage(NotesRateLimitBody))
			return
		}
		body, ok := formValue(r, "body")
		if !ok || strings.TrimSpace(body) == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is missing"})
			return
		}
		if utf8.RuneCountInString(body) > MaxNoteLength {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string]any{"note": []string{"is too long (maximum is 1000000 characters)"}}})
			return
		}
		remaining, summary := s.runQuickActions(mr, c, body)
		if strings.TrimSpace(remaining) == "" && len(summary) > 0 {
			// A body made only of commands: no note, 202.
			writeJSON(w, http.StatusAccepted, map[string]any{"commands_changes": map[string]any{}, "summary": summary})
			return
		}
		n := s.addNote(mr, c.user.ID, remaining, false)
		writeJSON(w, http.StatusCreated, s.noteJSON(n, mr))
	case len(rest) == 1:
		id, _ := strconv.ParseInt(rest[0], 10, 64)
		idx := slices.IndexFunc(s.notes[key], func(n *Note) bool { return n.ID == id })
		if idx < 0 {
			message(w, http.StatusNotFound, "404 Note Not Found")
			return
		}
		n := s.notes[key][idx]
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.noteJSON(n, mr))
		case http.MethodPut:
			if n.AuthorID != c.user.ID || n.System {
				message(w, http.StatusForbidden, "403 Forbidden")
				return
			}
			body, ok := formValue(r, "body")
			if !ok {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is missing"})
				return
			}
			if utf8.RuneCountInString(body) > MaxNoteLength {
				writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string]any{"note": []string{"is too long (maximum is 1000000 characters)"}}})
				return
			}
			remaining, _ := s.runQuickActions(mr, c, body)
			n.Body = remaining
			n.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
			mr.UpdatedAt = n.UpdatedAt
			writeJSON(w, http.StatusOK, s.noteJSON(n, mr))
		case http.MethodDelete:
			if n.AuthorID != c.user.ID && level < Maintainer {
				message(w, http.StatusForbidden, "403 Forbidden")
				return
			}
			s.notes[key] = slices.Delete(s.notes[key], idx, idx+1)
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "405 Not Allowed"})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	}
}

// runQuickActions executes the quick actions of body as GitLab would, with
// the caller's rights, and returns the body without the executed lines and
// GitLab's summary of what was done. Unknown commands stay in the text.
func (s *Server) runQuickActions(mr *MergeRequest, c caller, body string) (string, []string) {
	var done []int
	var summary []string
	level := s.members[[2]int64{mr.ProjectID, c.user.ID}]
	for _, l := range markdown.ExecutableLines(body) {
		ok := true
		switch l.Command {
		case "close":
			if mr.State == "opened" {
				mr.State = "closed"
				s.addNote(mr, c.user.ID, "closed", true)
			}
			summary = append(summary, "Closed this merge request.")
		case "reopen":
			if mr.State == "closed" {
				mr.State = "opened"
				s.addNote(mr, c.user.ID, "reopened", true)
			}
			summary = append(summary, "Reopened this merge request.")
		case "merge":
			if level >= Developer && mr.State == "opened" {
				mr.State = "merged"
				s.addNote(mr, c.user.ID, "merged", true)
			}
			summary = append(summary, "Merged this merge request.")
		case "approve":
			mr.Approvals++
			s.addNote(mr, c.user.ID, "approved this merge request", true)
			summary = append(summary, "Approved the current merge request.")
		case "unapprove":
			mr.Approvals = max(mr.Approvals-1, 0)
			summary = append(summary, "Unapproved the current merge request.")
		case "draft":
			mr.Draft = true
			summary = append(summary, "Marked this merge request as a draft.")
		case "ready":
			mr.Draft = false
			summary = append(summary, "Marked this merge request as ready.")
		case "title":
			mr.Title = l.Args
			summary = append(summary, "Changed the title to \""+l.Args+"\".")
		case "label":
			mr.Labels = append(mr.Labels, strings.Fields(strings.ReplaceAll(l.Args, "~", ""))...)
			summary = append(summary, "Added "+l.Args+" label.")
		default:
			ok = false
		}
		if ok {
			done = append(done, l.Number)
		}
	}
	if len(done) == 0 {
		return body, nil
	}
	mr.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	return markdown.RemoveLines(body, done), summary
}

// ---- commit statuses ----

var statusStates = []string{"pending", "running", "success", "failed", "canceled", "skipped"}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, p *Project, level int, sha string) {
	if level < Developer {
		message(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	known := s.commits[sha]
	for _, mr := range s.mrs[p.ID] {
		known = known || mr.SHA == sha || mr.BaseSHA == sha
	}
	if !known {
		message(w, http.StatusNotFound, "404 Commit Not Found")
		return
	}
	state, _ := formValue(r, "state")
	if !slices.Contains(statusStates, state) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "state does not have a valid value"})
		return
	}
	name, _ := formValue(r, "name")
	if name == "" {
		name = "default"
	}
	desc, _ := formValue(r, "description")
	target, _ := formValue(r, "target_url")
	cs := &CommitStatus{ID: s.id(), ProjectID: p.ID, SHA: sha, State: state, Name: name, Description: desc, TargetURL: target}
	s.statuses = append(s.statuses, cs)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": cs.ID, "sha": sha, "ref": nil, "status": state, "name": name, "description": desc,
		"target_url": target, "created_at": s.now().UTC().Format(time.RFC3339Nano), "allow_failure": false,
	})
}

// ---- hooks ----

func (s *Server) hookJSON(h *Hook) map[string]any {
	// GitLab never returns the secret token of a hook.
	return map[string]any{
		"id": h.ID, "url": h.URL, "project_id": h.ProjectID, "merge_requests_events": h.MergeRequestsEvents,
		"note_events": h.NoteEvents, "pipeline_events": h.PipelineEvents, "enable_ssl_verification": h.EnableSSL,
		"created_at": s.now().UTC().Format(time.RFC3339Nano),
	}
}

func (s *Server) hooksRoute(w http.ResponseWriter, r *http.Request, p *Project, level int) {
	if level < Maintainer {
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
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": map[string]any{"url": []string{"is blocked: Only allowed schemes are http, https"}}})
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
func (s *Server) deleteHook(w http.ResponseWriter, p *Project, level int, idStr string) {
	if level < Maintainer {
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

// ---- CI jobs ----

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("JOB-TOKEN")
	if tok == "" {
		tok = r.URL.Query().Get("job_token")
	}
	j := s.jobs[tok]
	if j == nil || j.Status != "running" {
		message(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	p := s.projects[j.ProjectID]
	fx := s.fixtureJob
	created := s.now().UTC().Format(time.RFC3339Nano)
	// GitLab's Ci::Job entity: the pipeline is a PipelineBasic (with its
	// source since 14.x); the project holds only ci_job_token_scope_enabled,
	// so the project id is the pipeline's.
	writeJSON(w, http.StatusOK, map[string]any{
		"id": j.ID, "status": j.Status, "stage": fx["build_stage"], "name": fx["build_name"], "ref": j.Ref,
		"tag": false, "allow_failure": false, "created_at": created,
		"commit": map[string]any{"id": j.SHA, "short_id": j.SHA[:8]},
		"pipeline": map[string]any{"id": j.PipelineID, "iid": j.PipelineIID, "project_id": j.ProjectID, "ref": j.Ref,
			"sha": j.SHA, "status": "running", "source": j.PipelineSource, "created_at": created, "updated_at": created,
			"web_url": fmt.Sprintf("%s/-/pipelines/%d", s.projectWebURL(p), j.PipelineID)},
		"project": map[string]any{"ci_job_token_scope_enabled": false},
		"web_url": fmt.Sprintf("%s/-/jobs/%d", s.projectWebURL(p), j.ID),
	})
}
