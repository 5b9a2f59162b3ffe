package gitlabtest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ---- commit statuses ----

var statusStates = []string{"pending", "running", "success", "failed", "canceled", "skipped"}

// branchContaining is Repository#branch_names_contains(sha).first: a
// branch of the project holding the commit, "" for none (a fork's commit,
// reachable only through refs/merge-requests/<iid>/head). Called with the
// lock held.
func (s *Server) branchContaining(p *Project, sha string) string {
	names := make([]string, 0, len(s.branches[p.ID]))
	for name := range s.branches[p.ID] {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(s.branches[p.ID][name], sha) {
			return name
		}
	}
	fork := false
	for _, mr := range s.mrs[p.ID] {
		switch {
		case mr.SourceProjectID != 0 && mr.SHA == sha:
			fork = true
		case mr.SHA == sha:
			return mr.SourceBranch
		case mr.BaseSHA == sha:
			return mr.TargetBranch
		}
	}
	if s.commits[sha] && !fork {
		return "main" // a head pushed over on its branch, or a pipeline's commit
	}
	return ""
}

// setStatus is POST /projects/:id/statuses/:sha as
// app/services/ci/create_commit_status_service.rb does it:
//   - Developer needed (create_commit_status); archived projects refuse;
//   - the ref is params[:ref], else the newest pipeline's ref for the
//     commit, else the first branch holding it, else 404 "References for
//     commit Not Found" (a fork's merge request head);
//   - the status joins the newest pipeline of the commit (of that ref, or
//     of pipeline_id), else a new external pipeline;
//   - a pending or running status of the same name, ref and user in that
//     pipeline is reused; any other post makes a new status;
//   - GenericCommitStatus#name_uniqueness_across_types
//     (app/models/generic_commit_status.rb): a CI job of the same name in
//     the pipeline makes it 400 {"message":{"name":["has already been taken"]}};
//   - the state machine refuses pending over pending and running over
//     running (400 "Cannot transition status via :enqueue from :pending").
//
// The 409 of a held lock is a fault (CommitStatusLocked).
func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, p *Project, acc access, sha string) {
	if refuseArchived(w, p) {
		return
	}
	if acc.level < Developer {
		message(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	if !s.commits[sha] && s.branchContaining(p, sha) == "" {
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
		name, _ = formValue(r, "context")
	}
	if name == "" {
		name = "default"
	}
	refParam, _ := formValue(r, "ref")
	pipelineParam, _ := formValue(r, "pipeline_id")

	var pipeline *Pipeline
	for i := len(s.pipelines) - 1; i >= 0; i-- { // newest first
		pl := s.pipelines[i]
		if pl.ProjectID == p.ID && pl.SHA == sha && (refParam == "" || pl.Ref == refParam) &&
			(pipelineParam == "" || strconv.FormatInt(pl.ID, 10) == pipelineParam) {
			pipeline = pl
			break
		}
	}
	if pipelineParam != "" && pipeline == nil {
		message(w, http.StatusNotFound, "404 Pipeline for pipeline_id, sha and ref Not Found")
		return
	}
	ref := refParam
	if ref == "" && pipeline != nil {
		ref = pipeline.Ref
	}
	if ref == "" {
		ref = s.branchContaining(p, sha)
	}
	if ref == "" {
		message(w, http.StatusNotFound, "404 References for commit Not Found")
		return
	}
	if pipeline == nil {
		pipeline = s.newPipeline(p.ID, ref, sha, "pending", "external")
	}
	for _, j := range pipeline.Jobs {
		if j.Name == name {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string]any{"name": []string{"has already been taken"}}})
			return
		}
	}
	desc, _ := formValue(r, "description")
	target, _ := formValue(r, "target_url")
	if len(target) > 255 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string]any{"target_url": []string{"is too long (maximum is 255 characters)"}}})
		return
	}
	var cs *CommitStatus
	for _, st := range s.statuses {
		if st.PipelineID == pipeline.ID && st.Name == name && st.Ref == ref && st.AuthorID == acc.caller.user.ID &&
			(st.State == "pending" || st.State == "running") {
			cs = st
		}
	}
	if cs != nil {
		event := map[string]string{"pending": "enqueue", "running": "run"}[state]
		if event != "" && cs.State == state {
			writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf(
				"Cannot transition status via :%s from :%s (Reason(s): Status cannot transition via %q)", event, cs.State, event)})
			return
		}
	} else {
		cs = &CommitStatus{ID: s.id(), ProjectID: p.ID, SHA: sha, Name: name, Ref: ref, PipelineID: pipeline.ID, AuthorID: acc.caller.user.ID}
		s.statuses = append(s.statuses, cs)
	}
	cs.State, cs.Description, cs.TargetURL = state, desc, target
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": cs.ID, "sha": sha, "ref": ref, "status": state, "name": name, "description": desc, "pipeline_id": pipeline.ID,
		"target_url": target, "created_at": s.now().UTC().Format(time.RFC3339Nano), "allow_failure": false,
		"author": s.userRef(acc.caller.user),
	})
}

// ---- pipelines and jobs ----

func (s *Server) pipelineJSON(pl *Pipeline) map[string]any {
	p := s.projects[pl.ProjectID]
	at := pl.CreatedAt.Format(time.RFC3339Nano)
	return map[string]any{"id": pl.ID, "iid": pl.IID, "project_id": pl.ProjectID, "sha": pl.SHA, "ref": pl.Ref,
		"status": pl.Status, "source": pl.Source, "created_at": at, "updated_at": at,
		"web_url": fmt.Sprintf("%s/-/pipelines/%d", s.projectWebURL(p), pl.ID)}
}

// listPipelines is GET /projects/:id/pipelines (lib/api/ci/pipelines.rb):
// ref, sha, status and source filters, ordered by id, newest first by
// default.
func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request, p *Project) {
	q := r.URL.Query()
	var items []*Pipeline
	for i := len(s.pipelines) - 1; i >= 0; i-- {
		pl := s.pipelines[i]
		if pl.ProjectID != p.ID || (q.Get("ref") != "" && pl.Ref != q.Get("ref")) || (q.Get("sha") != "" && pl.SHA != q.Get("sha")) ||
			(q.Get("status") != "" && pl.Status != q.Get("status")) || (q.Get("source") != "" && pl.Source != q.Get("source")) {
			continue
		}
		items = append(items, pl)
	}
	if q.Get("sort") == "asc" {
		slices.Reverse(items)
	}
	page := s.paginate(w, r, len(items))
	out := []map[string]any{}
	for _, pl := range items[page.from:page.to] {
		out = append(out, s.pipelineJSON(pl))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) findPipeline(p *Project, idStr string) *Pipeline {
	for _, pl := range s.pipelines {
		if pl.ProjectID == p.ID && strconv.FormatInt(pl.ID, 10) == idStr {
			return pl
		}
	}
	return nil
}

func (s *Server) jobJSON(j *Job, pl *Pipeline) map[string]any {
	p := s.projects[j.ProjectID]
	m := map[string]any{"id": j.ID, "name": j.Name, "status": j.Status, "stage": "test", "ref": j.Ref, "tag": false,
		"commit": map[string]any{"id": j.SHA, "short_id": j.SHA[:8]}, "pipeline": s.pipelineJSON(pl),
		"web_url": fmt.Sprintf("%s/-/jobs/%d", s.projectWebURL(p), j.ID), "artifacts": []any{}}
	if len(j.Artifacts) > 0 && !j.ArtifactsExpired {
		size := 0
		for _, b := range j.Artifacts {
			size += len(b)
		}
		m["artifacts_file"] = map[string]any{"filename": "artifacts.zip", "size": size}
		m["artifacts"] = []any{map[string]any{"file_type": "archive", "size": size, "filename": "artifacts.zip", "file_format": "zip"}}
	}
	return m
}

// listPipelineJobs is GET /projects/:id/pipelines/:pipeline_id/jobs, with
// its scope[] filter of job statuses.
func (s *Server) listPipelineJobs(w http.ResponseWriter, r *http.Request, p *Project, idStr string) {
	pl := s.findPipeline(p, idStr)
	if pl == nil {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	scopes := append(r.URL.Query()["scope[]"], r.URL.Query()["scope"]...)
	var items []*Job
	for _, j := range pl.Jobs {
		if len(scopes) == 0 || slices.Contains(scopes, j.Status) {
			items = append(items, j)
		}
	}
	page := s.paginate(w, r, len(items))
	out := []map[string]any{}
	for _, j := range items[page.from:page.to] {
		out = append(out, s.jobJSON(j, pl))
	}
	writeJSON(w, http.StatusOK, out)
}

// artifactEntry answers one file of a job's artifacts archive, as
// Workhorse serves it, or 404.
func artifactEntry(w http.ResponseWriter, j *Job, path string) {
	b, ok := j.Artifacts[path]
	if !ok || j.ArtifactsExpired {
		message(w, http.StatusNotFound, "404 Not Found")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// artifactByRef is GET /projects/:id/jobs/artifacts/:ref_name/raw/*path?job=NAME
// (lib/api/ci/job_artifacts.rb): Project#latest_successful_build_for_ref!
// takes the newest successful pipeline of the ref, then the job of that
// name in it with artifacts; anything missing is ActiveRecord's
// RecordNotFound, which the API answers {"message":"404 Not found"}. An
// older pipeline that had the job is not looked at.
func (s *Server) artifactByRef(w http.ResponseWriter, r *http.Request, p *Project, rest []string) {
	if len(rest) < 3 || rest[1] != "raw" {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "404 Not Found"})
		return
	}
	ref, path, name := rest[0], strings.Join(rest[2:], "/"), r.URL.Query().Get("job")
	var latest *Pipeline
	for _, pl := range s.pipelines {
		if pl.ProjectID == p.ID && pl.Ref == ref && pl.Status == "success" && (latest == nil || pl.ID > latest.ID) {
			latest = pl
		}
	}
	if latest == nil {
		message(w, http.StatusNotFound, "404 Not found")
		return
	}
	for _, j := range latest.Jobs {
		if j.Name == name && j.Status == "success" && len(j.Artifacts) > 0 && !j.ArtifactsExpired {
			artifactEntry(w, j, path)
			return
		}
	}
	message(w, http.StatusNotFound, "404 Not found")
}

// artifactByJob is GET /projects/:id/jobs/:job_id/artifacts/*artifact_path.
func (s *Server) artifactByJob(w http.ResponseWriter, p *Project, idStr string, path []string) {
	for _, pl := range s.pipelines {
		if pl.ProjectID != p.ID {
			continue
		}
		for _, j := range pl.Jobs {
			if strconv.FormatInt(j.ID, 10) == idStr {
				artifactEntry(w, j, strings.Join(path, "/"))
				return
			}
		}
	}
	message(w, http.StatusNotFound, "404 Not found")
}

// jobTokenRoute serves a request authenticated by a CI job token: only
// the job artifacts endpoints accept one; the job must be running, and
// (without an allowlist, which the fake does not model) the project must
// be the job's own.
func (s *Server) jobTokenRoute(w http.ResponseWriter, r *http.Request, seg []string) {
	j := s.jobs[r.Header.Get("JOB-TOKEN")]
	if j == nil || j.Status != "running" {
		message(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	if len(seg) < 2 || seg[0] != "projects" || r.Method != http.MethodGet {
		message(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	p := s.findProject(seg[1])
	if p == nil || p.ID != j.ProjectID {
		message(w, http.StatusNotFound, "404 Project Not Found")
		return
	}
	rest := seg[2:]
	switch {
	case len(rest) >= 4 && rest[0] == "jobs" && rest[1] == "artifacts":
		s.artifactByRef(w, r, p, rest[2:])
	case len(rest) >= 4 && rest[0] == "jobs" && rest[2] == "artifacts":
		s.artifactByJob(w, p, rest[1], rest[3:])
	default:
		message(w, http.StatusUnauthorized, "401 Unauthorized")
	}
}

// ---- repository ----

// compare is GET /projects/:id/repository/compare?from=&to= on the fake's
// linear branch histories: the commits reachable from to and not from
// from, oldest first.
func (s *Server) compare(w http.ResponseWriter, r *http.Request, p *Project) {
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	var history []string
	for _, h := range s.branches[p.ID] {
		if slices.Contains(h, from) && slices.Contains(h, to) {
			history = h
			break
		}
	}
	if history == nil {
		message(w, http.StatusNotFound, "404 Ref Not Found")
		return
	}
	i, j := slices.Index(history, from), slices.Index(history, to)
	commits := []map[string]any{}
	for k := i + 1; k <= j; k++ {
		commits = append(commits, map[string]any{"id": history[k], "short_id": history[k][:8], "title": "commit " + history[k][:8]})
	}
	var last any
	if len(commits) > 0 {
		last = commits[len(commits)-1]
	}
	writeJSON(w, http.StatusOK, map[string]any{"commit": last, "commits": commits, "diffs": []any{},
		"compare_timeout": false, "compare_same_ref": from == to,
		"web_url": fmt.Sprintf("%s/-/compare/%s...%s", s.projectWebURL(p), from, to)})
}
