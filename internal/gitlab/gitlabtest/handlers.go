package gitlabtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

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
	// The job artifacts endpoints take a CI job token too
	// (lib/api/ci/job_artifacts.rb: job_token_allowed: true); no other
	// endpoint the fake serves does.
	if r.Header.Get("JOB-TOKEN") != "" {
		s.jobTokenRoute(w, r, seg)
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
	acc := access{caller: c}
	if p != nil {
		acc = s.accessTo(p, c)
	}
	if p == nil || !acc.read {
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
		s.getProject(w, p, acc.level)
	case len(rest) == 3 && rest[0] == "members" && rest[1] == "all" && r.Method == http.MethodGet:
		s.getMember(w, p, rest[2])
	case len(rest) == 1 && rest[0] == "merge_requests" && r.Method == http.MethodGet:
		s.listMRs(w, r, p)
	case len(rest) == 2 && rest[0] == "merge_requests" && r.Method == http.MethodGet:
		s.getMR(w, p, rest[1])
	case len(rest) >= 3 && rest[0] == "merge_requests" && rest[2] == "notes":
		s.notesRoute(w, r, p, acc, rest[1], rest[3:])
	case len(rest) >= 3 && rest[0] == "merge_requests" && rest[2] == "discussions":
		s.discussionsRoute(w, r, p, acc, rest[1], rest[3:])
	case len(rest) == 2 && rest[0] == "statuses" && r.Method == http.MethodPost:
		s.setStatus(w, r, p, acc, rest[1])
	case len(rest) == 1 && rest[0] == "hooks":
		s.hooksRoute(w, r, p, acc)
	case len(rest) == 2 && rest[0] == "hooks" && r.Method == http.MethodDelete:
		s.deleteHook(w, p, acc, rest[1])
	case len(rest) == 1 && rest[0] == "pipelines" && r.Method == http.MethodGet:
		s.listPipelines(w, r, p)
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "jobs" && r.Method == http.MethodGet:
		s.listPipelineJobs(w, r, p, rest[1])
	case len(rest) >= 4 && rest[0] == "jobs" && rest[1] == "artifacts" && r.Method == http.MethodGet:
		s.artifactByRef(w, r, p, rest[2:])
	case len(rest) >= 4 && rest[0] == "jobs" && rest[2] == "artifacts" && r.Method == http.MethodGet:
		s.artifactByJob(w, p, rest[1], rest[3:])
	case len(rest) == 2 && rest[0] == "repository" && rest[1] == "compare" && r.Method == http.MethodGet:
		s.compare(w, r, p)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	}
}

// access is what a caller may do on a project.
type access struct {
	caller caller
	level  int  // effective access level, 0 for no membership
	read   bool // a member, an administrator, or a public or internal project
}

// member: the user is on the project's team, whatever the role
// (issuable_policy.rb's is_project_member).
func (a access) member() bool { return a.level > 0 }

// canComment: create_note needs guest access, which public and internal
// projects give every signed-in user (project_policy.rb).
func (a access) canComment() bool { return a.read }

func (s *Server) accessTo(p *Project, c caller) access {
	a := access{caller: c, level: s.members[[2]int64{p.ID, c.user.ID}]}
	if c.user.Admin {
		a.level = max(a.level, 60)
	}
	a.read = a.level > 0 || p.Visibility == "public" || p.Visibility == "internal"
	return a
}

// refuseArchived answers 403 to a write on an archived project and
// reports whether it did (project_policy.rb: rule { archived } prevents
// every write ability, whatever the role).
func refuseArchived(w http.ResponseWriter, p *Project) bool {
	if p.Archived {
		message(w, http.StatusForbidden, "403 Forbidden")
		return true
	}
	return false
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
	var projectAccess any
	if level > 0 {
		projectAccess = map[string]any{"access_level": level, "notification_level": 3}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": p.ID, "name": name, "path": name, "path_with_namespace": p.Path,
		"name_with_namespace": strings.ReplaceAll(p.Path, "/", " / "),
		"web_url":             s.projectWebURL(p), "default_branch": "main",
		"visibility": p.Visibility, "archived": p.Archived,
		"only_allow_merge_if_all_discussions_are_resolved": p.AllThreadsMustBeResolved,
		"permissions": map[string]any{
			"project_access": projectAccess,
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
	if mr.SourceProjectID != 0 {
		m["source_project_id"] = mr.SourceProjectID
	}
	m["discussion_locked"] = mr.DiscussionLocked
	// lib/api/entities/merge_request_basic.rb: blocking_discussions_resolved,
	// and detailed_merge_status "discussions_not_resolved" when the
	// project's "All threads must be resolved" setting blocks the merge.
	resolved := s.threadsResolved(p, mr)
	m["blocking_discussions_resolved"] = resolved
	if mr.State == "opened" {
		m["detailed_merge_status"] = "mergeable"
		if p.AllThreadsMustBeResolved && !resolved {
			m["detailed_merge_status"] = "discussions_not_resolved"
		}
	}
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
	// IssuableFinder: updated_after is updated_at >= it, updated_before
	// updated_at <= it (app/finders/issuable_finder.rb, by_updated_at).
	bounds := map[string]time.Time{}
	for _, name := range []string{"updated_after", "updated_before"} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": name + " is invalid"})
				return
			}
			bounds[name] = t
		}
	}
	after, before := bounds["updated_after"], bounds["updated_before"]
	var items []*MergeRequest
	for _, mr := range s.mrs[p.ID] {
		if state != "all" && mr.State != state {
			continue
		}
		if (!after.IsZero() && mr.UpdatedAt.Before(after)) || (!before.IsZero() && mr.UpdatedAt.After(before)) {
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
		"id": j.ID, "status": j.Status, "stage": fx["build_stage"], "name": j.Name, "ref": j.Ref,
		"tag": false, "allow_failure": false, "created_at": created,
		"commit": map[string]any{"id": j.SHA, "short_id": j.SHA[:8]},
		"pipeline": map[string]any{"id": j.PipelineID, "iid": j.PipelineIID, "project_id": j.ProjectID, "ref": j.Ref,
			"sha": j.SHA, "status": "running", "source": j.PipelineSource, "created_at": created, "updated_at": created,
			"web_url": fmt.Sprintf("%s/-/pipelines/%d", s.projectWebURL(p), j.PipelineID)},
		"project": map[string]any{"ci_job_token_scope_enabled": false},
		"web_url": fmt.Sprintf("%s/-/jobs/%d", s.projectWebURL(p), j.ID),
	})
}
