package gitlabtest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
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

// discussionID is the 40-hex id GitLab gives every note's discussion (a
// SHA-1 in GitLab too: app/models/discussion.rb).
func discussionID(noteID int64) string {
	h := sha1.Sum([]byte("discussion-" + strconv.FormatInt(noteID, 10)))
	return hex.EncodeToString(h[:])
}

// extract is what GitLab stores of a merge request note's body, on create
// and on update: lib/gitlab/quick_actions/extractor.rb#perform_regex
// deletes every "\r", removes the executed command lines, and returns
// content.rstrip (Ruby's rstrip: trailing spaces, tabs, newlines, \v, \f
// and NULs); app/services/notes/create_service.rb and update_service.rb
// store what it returns for every merge request note, with or without
// commands. executed are the 1-based line numbers of the body (after the
// "\r" deletion) that ran as quick actions.
func extract(body string, executed []int) string {
	if len(executed) > 0 {
		body = markdown.RemoveLines(body, executed)
	}
	return strings.TrimRight(body, " \t\n\v\f\r\x00")
}

// badRequestNote is lib/api/helpers/notes_helpers.rb's answer to a note
// that failed validation: bad_request!("Note #{note.errors.messages}"),
// rendered by lib/api/helpers.rb as "400 Bad request - <reason>", with
// Ruby's Hash#inspect of the errors.
func badRequestNote(w http.ResponseWriter, field, problem string) {
	msg := fmt.Sprintf("400 Bad request - Note {:%s=>[%q]}", field, problem)
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": msg})
}

func (s *Server) noteJSON(n *Note, mr *MergeRequest) map[string]any {
	author := s.users[n.AuthorID]
	a := map[string]any{"id": n.AuthorID}
	if author != nil {
		a = s.userRef(author)
	}
	var typ, resolvedBy any
	if n.Type != "" {
		typ = n.Type
	}
	if u := s.users[n.ResolvedByID]; n.Resolved && u != nil {
		resolvedBy = s.userRef(u)
	}
	return map[string]any{
		"id": n.ID, "type": typ, "body": n.Body, "attachment": nil, "author": a,
		"created_at": n.CreatedAt.Format(time.RFC3339Nano), "updated_at": n.UpdatedAt.Format(time.RFC3339Nano),
		"system": n.System, "noteable_id": mr.ID, "noteable_type": "MergeRequest", "project_id": mr.ProjectID,
		"noteable_iid": mr.IID, "resolvable": n.Resolvable, "resolved": n.Resolved, "resolved_by": resolvedBy,
		"confidential": false, "internal": false,
	}
}

func (s *Server) userRef(u *User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "state": "active", "web_url": s.URL + "/" + u.Username}
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
		if v, ok := r.URL.Query()[name]; ok {
			return v[0], true
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

// canWriteNotes answers 403 the way GitLab does when the caller may not
// write notes on mr, and reports whether it may: archived projects refuse
// every write, a locked discussion refuses non-members
// (app/policies/issuable_policy.rb: locked & ~is_project_member prevents
// create_note, admin_note and resolve_note), and a project the caller only
// reads needs guest access (public and internal projects give it).
func canWriteNotes(w http.ResponseWriter, p *Project, mr *MergeRequest, acc access) bool {
	if refuseArchived(w, p) {
		return false
	}
	if !acc.canComment() || (mr.DiscussionLocked && !acc.member()) {
		message(w, http.StatusForbidden, "403 Forbidden")
		return false
	}
	return true
}

// createNote runs GitLab's create path for a note of type typ ("" or
// "DiscussionNote") and writes the answer for the errors; it returns the
// note, or nil when it answered already (an error, or 202 for a body made
// only of commands).
func (s *Server) createNote(w http.ResponseWriter, r *http.Request, p *Project, mr *MergeRequest, acc access, typ string) *Note {
	if !canWriteNotes(w, p, mr, acc) {
		return nil
	}
	if !s.takeNoteCreate(acc.caller.user.ID) {
		writeJSON(w, http.StatusTooManyRequests, json.RawMessage(NotesRateLimitBody))
		return nil
	}
	stored, summary, ok := s.readNoteBody(w, r, mr, acc.caller)
	if !ok {
		return nil
	}
	if stored == "" && len(summary) > 0 {
		// A body made only of commands: no note, 202.
		writeJSON(w, http.StatusAccepted, map[string]any{"commands_changes": map[string]any{}, "summary": summary})
		return nil
	}
	switch {
	case strings.TrimSpace(stored) == "":
		badRequestNote(w, "note", "can't be blank")
		return nil
	case utf8.RuneCountInString(stored) > MaxNoteLength:
		badRequestNote(w, "note", fmt.Sprintf("is too long (maximum is %d characters)", MaxNoteLength))
		return nil
	case len(s.notes[[2]int64{p.ID, mr.IID}]) >= s.MaxNotes:
		badRequestNote(w, "base", "Maximum number of comments exceeded")
		return nil
	}
	n := s.addNote(mr, acc.caller.user.ID, stored, false)
	if typ != "" {
		n.Type, n.Resolvable = typ, true
	}
	return n
}

// readNoteBody reads the body parameter, runs its quick actions and
// returns what GitLab stores of it, with the summary of the commands run;
// it answers 400 for a missing body.
func (s *Server) readNoteBody(w http.ResponseWriter, r *http.Request, mr *MergeRequest, c caller) (string, []string, bool) {
	body, ok := formValue(r, "body")
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is missing"})
		return "", nil, false
	}
	body = strings.ReplaceAll(body, "\r", "")
	executed, summary := s.runQuickActions(mr, c, body)
	return extract(body, executed), summary, true
}

// updateNoteBody runs GitLab's update path (Notes::UpdateService): the
// author only, the same extraction as on create.
func (s *Server) updateNoteBody(w http.ResponseWriter, r *http.Request, p *Project, mr *MergeRequest, acc access, n *Note) bool {
	if !canWriteNotes(w, p, mr, acc) {
		return false
	}
	if n.AuthorID != acc.caller.user.ID || n.System {
		message(w, http.StatusForbidden, "403 Forbidden")
		return false
	}
	stored, _, ok := s.readNoteBody(w, r, mr, acc.caller)
	if !ok {
		return false
	}
	if utf8.RuneCountInString(stored) > MaxNoteLength {
		badRequestNote(w, "note", fmt.Sprintf("is too long (maximum is %d characters)", MaxNoteLength))
		return false
	}
	n.Body = stored
	n.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	mr.UpdatedAt = n.UpdatedAt
	return true
}

func (s *Server) notesRoute(w http.ResponseWriter, r *http.Request, p *Project, acc access, iidStr string, rest []string) {
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
		if n := s.createNote(w, r, p, mr, acc, ""); n != nil {
			writeJSON(w, http.StatusCreated, s.noteJSON(n, mr))
		}
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
			if s.updateNoteBody(w, r, p, mr, acc, n) {
				writeJSON(w, http.StatusOK, s.noteJSON(n, mr))
			}
		case http.MethodDelete:
			if refuseArchived(w, p) {
				return
			}
			if n.AuthorID != acc.caller.user.ID && acc.level < Maintainer {
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

// ---- discussions (lib/api/discussions.rb) ----

// discussionJSON is lib/api/entities/discussion.rb: id, individual_note,
// notes oldest first.
func (s *Server) discussionJSON(id string, notes []*Note, mr *MergeRequest) map[string]any {
	out := []map[string]any{}
	individual := true
	for _, n := range notes {
		out = append(out, s.noteJSON(n, mr))
		individual = individual && n.Type == ""
	}
	return map[string]any{"id": id, "individual_note": individual, "notes": out}
}

// discussions groups the notes of a merge request by discussion, in the
// order of each discussion's first note (Noteable#discussion_ids_relation:
// MIN(created_at), MIN(id)).
func (s *Server) discussions(key [2]int64) (ids []string, byID map[string][]*Note) {
	byID = map[string][]*Note{}
	for _, n := range s.notes[key] { // oldest first
		if _, ok := byID[n.DiscussionID]; !ok {
			ids = append(ids, n.DiscussionID)
		}
		byID[n.DiscussionID] = append(byID[n.DiscussionID], n)
	}
	return ids, byID
}

// threadsResolved: every resolvable note of the merge request is resolved
// (MergeRequest#mergeable_discussions_state?).
func (s *Server) threadsResolved(p *Project, mr *MergeRequest) bool {
	for _, n := range s.notes[[2]int64{p.ID, mr.IID}] {
		if n.Resolvable && !n.Resolved {
			return false
		}
	}
	return true
}

// canResolve is Discussion#can_resolve?: a resolvable discussion, and a
// caller with resolve_note: the note's or the merge request's author, or
// a Developer (app/policies/note_policy.rb, issuable_policy.rb); never a
// non-member on a locked discussion, never on an archived project.
func canResolve(w http.ResponseWriter, p *Project, mr *MergeRequest, acc access, first *Note) bool {
	if refuseArchived(w, p) {
		return false
	}
	uid := acc.caller.user.ID
	allowed := first.AuthorID == uid || mr.AuthorID == uid || acc.level >= Developer
	if !first.Resolvable || !allowed || (mr.DiscussionLocked && !acc.member()) {
		message(w, http.StatusForbidden, "403 Forbidden")
		return false
	}
	return true
}

func (s *Server) setResolved(notes []*Note, resolved bool, by int64) {
	for _, n := range notes {
		if n.Resolvable {
			n.Resolved, n.ResolvedByID = resolved, 0
			if resolved {
				n.ResolvedByID = by
			}
		}
	}
}

func (s *Server) discussionsRoute(w http.ResponseWriter, r *http.Request, p *Project, acc access, iidStr string, rest []string) {
	iid, _ := strconv.ParseInt(iidStr, 10, 64)
	mr := s.findMR(p.ID, iid)
	if mr == nil {
		message(w, http.StatusNotFound, "404 Merge Request Not Found")
		return
	}
	key := [2]int64{p.ID, iid}
	ids, byID := s.discussions(key)
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		page := s.paginate(w, r, len(ids))
		out := []map[string]any{}
		for _, id := range ids[page.from:page.to] {
			out = append(out, s.discussionJSON(id, byID[id], mr))
		}
		writeJSON(w, http.StatusOK, out)
	case len(rest) == 0 && r.Method == http.MethodPost:
		if n := s.createNote(w, r, p, mr, acc, "DiscussionNote"); n != nil {
			writeJSON(w, http.StatusCreated, s.discussionJSON(n.DiscussionID, []*Note{n}, mr))
		}
	case len(rest) >= 1:
		notes := byID[rest[0]]
		if len(notes) == 0 {
			message(w, http.StatusNotFound, "404 Discussion Not Found")
			return
		}
		switch {
		case len(rest) == 1 && r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, s.discussionJSON(rest[0], notes, mr))
		case len(rest) == 1 && r.Method == http.MethodPut:
			v, ok := formValue(r, "resolved")
			if !ok {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "resolved is missing"})
				return
			}
			if !canResolve(w, p, mr, acc, notes[0]) {
				return
			}
			s.setResolved(notes, v == "true", acc.caller.user.ID)
			writeJSON(w, http.StatusOK, s.discussionJSON(rest[0], notes, mr))
		case len(rest) == 3 && rest[1] == "notes" && r.Method == http.MethodPut:
			id, _ := strconv.ParseInt(rest[2], 10, 64)
			i := slices.IndexFunc(notes, func(n *Note) bool { return n.ID == id })
			if i < 0 {
				message(w, http.StatusNotFound, "404 Note Not Found")
				return
			}
			_, hasBody := formValue(r, "body")
			resolved, hasResolved := formValue(r, "resolved")
			switch {
			case hasBody == hasResolved: // exactly_one_of :body, :resolved
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body, resolved are mutually exclusive, exactly one parameter must be provided"})
			case hasResolved:
				if canResolve(w, p, mr, acc, notes[i]) {
					s.setResolved(notes[i:i+1], resolved == "true", acc.caller.user.ID)
					writeJSON(w, http.StatusOK, s.noteJSON(notes[i], mr))
				}
			default:
				if s.updateNoteBody(w, r, p, mr, acc, notes[i]) {
					writeJSON(w, http.StatusOK, s.noteJSON(notes[i], mr))
				}
			}
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
	}
}

// runQuickActions executes the quick actions of body as GitLab would, with
// the caller's rights, and returns the numbers of the executed lines and
// GitLab's summary of what was done. Unknown commands stay in the text.
func (s *Server) runQuickActions(mr *MergeRequest, c caller, body string) ([]int, []string) {
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
	if len(done) > 0 {
		mr.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	}
	return done, summary
}
