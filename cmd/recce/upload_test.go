package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/server"
)

// teamServer is `recce server --team` connected to a fake GitLab, with its
// merge requests synced: what a merge request pipeline uploads to.
type teamServer struct {
	*liveServer
	gl *glEnv
}

func startTeamServer(t *testing.T, extraArgs ...string) *teamServer {
	t.Helper()
	e := newGLEnv(t)
	serverGitLab = server.GitLabOptions{Retry: gitlab.RetryPolicy{MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, RateLimitWait: 5 * time.Millisecond}}
	serverJobs = server.JobOptions{Poll: 10 * time.Millisecond}
	t.Cleanup(func() { serverGitLab, serverJobs = server.GitLabOptions{}, server.JobOptions{} })
	env := map[string]string{"RECCE_SECRET_KEY": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}
	args := append([]string{"server", "--team", "--port", "0", "--data-dir", t.TempDir(), "--notes-per-minute", "6000"}, extraArgs...)
	s := startServer(t, env, args...)
	s.call("PUT", "/api/integrations/gitlab", map[string]any{"gitlab_url": e.fake.URL, "token": e.token.Value, "project": "data/analytics"}, 200)
	s.call("GET", "/api/integrations/gitlab/merge-requests", nil, 200)
	return &teamServer{liveServer: s, gl: e}
}

// pipelineEnv is a merge request pipeline job's environment.
func (ts *teamServer) pipelineEnv(jobToken string) map[string]string {
	return map[string]string{
		"RECCE_SERVER_URL": ts.url, "CI_JOB_TOKEN": jobToken, "CI_PROJECT_ID": "42", "CI_PROJECT_PATH": "data/analytics",
		"CI_MERGE_REQUEST_IID": fmt.Sprint(ts.gl.mr.IID), "CI_MERGE_REQUEST_TITLE": "Customers: lifetime value",
	}
}

// writeState writes a state file of the fake's merge request, as recce run
// does in its pipeline; pad makes it larger.
func writeState(t *testing.T, iid int64, pad int) string {
	t.Helper()
	base, err := check.ReadArtifactFiles(fixtures.Path(t, "dbt", "jaffle-recce", "base"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := check.ReadArtifactFiles(fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	if err != nil {
		t.Fatal(err)
	}
	st := &check.State{
		Checks: []*check.Check{{CheckID: "5f0e7a3c-1111-4a2b-8c3d-000000000001", Name: "Lineage", Type: check.LineageDiff,
			Params: check.Params{}, Description: strings.Repeat("x", pad), IsPreset: true, CreatedAt: check.Now(), UpdatedAt: check.Now()}},
		Artifacts:   check.Artifacts{Base: base, Current: current},
		PullRequest: &check.PullRequest{ID: iid, Repository: "data/analytics"},
	}
	path := filepath.Join(t.TempDir(), "recce_state.json")
	if err := check.Save(t.Context(), path, st); err != nil {
		t.Fatal(err)
	}
	return path
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}

func TestUploadFromAMergeRequestPipeline(t *testing.T) {
	ts := startTeamServer(t)
	mr := ts.gl.mr
	job := ts.gl.fake.AddMergeRequestJob(ts.gl.project, mr.IID, mr.SHA, false)
	path := writeState(t, mr.IID, 0)

	out, errOut, code := ts.gl.run(t, ts.pipelineEnv(job.Token), "", "upload", path)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("to merge request !%d", mr.IID)) || !strings.Contains(out, "upload 1") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	waitUntil(t, "the summary note", func() bool {
		for _, s := range ts.gl.fake.Statuses() {
			if s.SHA == mr.SHA && s.State == "success" {
				return true
			}
		}
		return false
	})
	if notes := ts.gl.fake.UserNotes(42, mr.IID); len(notes) != 1 || !strings.Contains(notes[0].Body, gitlab.SummaryMarker) {
		t.Fatalf("notes: %+v", notes)
	}

	// JSON, and without a state file: the artifact folders and recce.yml.
	out, errOut, code = ts.gl.run(t, ts.pipelineEnv(job.Token), "", "upload", "--format", "json",
		"--target-base-path", fixtures.Path(t, "dbt", "jaffle-recce", "base"), "--target-path", fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res["revision"] != float64(2) || !strings.HasPrefix(res["uploaded"].(string), "the artifacts of") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// A job token GitLab does not accept: 401, said so, the token nowhere.
	ts.gl.fake.FinishJob(job)
	_, errOut, code = ts.gl.run(t, ts.pipelineEnv(job.Token), "", "upload", path)
	if code != 1 || !strings.Contains(errOut, "refused the job's CI_JOB_TOKEN (401)") || !strings.Contains(errOut, "not running any more") {
		t.Errorf("finished job: exit %d: %s", code, errOut)
	}
	logs := ts.stderr.String() + ts.stdout.String()
	for _, s := range ts.gl.fake.Secrets() {
		if strings.Contains(logs, s) {
			t.Errorf("a secret (%.4s…) reached the server's output", s)
		}
	}
}

func TestUploadErrorsSayWhatToDo(t *testing.T) {
	ts := startTeamServer(t, "--max-upload-size", "1")
	mr := ts.gl.mr
	job := ts.gl.fake.AddMergeRequestJob(ts.gl.project, mr.IID, mr.SHA, false)
	small := writeState(t, mr.IID, 0)

	// Too large for the server.
	_, errOut, code := ts.gl.run(t, ts.pipelineEnv(job.Token), "", "upload", writeState(t, mr.IID, 2<<20))
	if code != 1 || !strings.Contains(errOut, "too large for the recce server (413)") || !strings.Contains(errOut, "--max-upload-size") {
		t.Errorf("too large: exit %d: %s", code, errOut)
	}
	// Another merge request's pipeline.
	other := ts.gl.fake.AddMergeRequests(ts.gl.project, ts.gl.dev, 1)[0]
	otherJob := ts.gl.fake.AddMergeRequestJob(ts.gl.project, other.IID, other.SHA, false)
	_, errOut, code = ts.gl.run(t, ts.pipelineEnv(otherJob.Token), "", "upload", small)
	if code != 1 || !strings.Contains(errOut, "(403)") {
		t.Errorf("another merge request's job: exit %d: %s", code, errOut)
	}
	// Missing pieces, each named.
	env := ts.pipelineEnv(job.Token)
	delete(env, "RECCE_SERVER_URL")
	if _, errOut, code = ts.gl.run(t, env, "", "upload", small); code != 1 || !strings.Contains(errOut, "RECCE_SERVER_URL") {
		t.Errorf("no server: %s", errOut)
	}
	env = ts.pipelineEnv("")
	if _, errOut, code = ts.gl.run(t, env, "", "upload", small); code != 1 || !strings.Contains(errOut, "RECCE_SERVER_API_TOKEN") {
		t.Errorf("no credentials: %s", errOut)
	}
	env = ts.pipelineEnv(job.Token)
	delete(env, "CI_MERGE_REQUEST_IID")
	if _, errOut, code = ts.gl.run(t, env, "", "upload", small); code != 1 || !strings.Contains(errOut, "--mr") {
		t.Errorf("no merge request: %s", errOut)
	}
	if _, errOut, code = ts.gl.run(t, ts.pipelineEnv(job.Token), "", "upload", filepath.Join(t.TempDir(), "missing.json")); code != 1 || !strings.Contains(errOut, "recce run -o") {
		t.Errorf("missing file: %s", errOut)
	}
	// A server that cannot be reached, tried three times.
	uploadRetryWaits = []time.Duration{time.Millisecond, time.Millisecond}
	t.Cleanup(func() { uploadRetryWaits = []time.Duration{2 * time.Second, 8 * time.Second} })
	env = ts.pipelineEnv(job.Token)
	env["RECCE_SERVER_URL"] = "http://127.0.0.1:1"
	_, errOut, code = ts.gl.run(t, env, "", "upload", small)
	if code != 1 || strings.Count(errOut, "trying again") != 2 || !strings.Contains(errOut, "cannot reach the recce server at http://127.0.0.1:1 (connection refused)") {
		t.Errorf("unreachable: exit %d: %s", code, errOut)
	}
}

func TestUploadWithAServerAPIToken(t *testing.T) {
	ts := startTeamServer(t)
	tok := ts.call("POST", "/api/tokens", map[string]any{"name": "CI upload"}, 201).(map[string]any)["token"].(string)
	env := map[string]string{"RECCE_SERVER_API_TOKEN": tok, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": ts.gl.mr.SHA}
	out, errOut, code := ts.gl.run(t, env, "", "upload", "--server", ts.url, "--mr", fmt.Sprint(ts.gl.mr.IID), writeState(t, ts.gl.mr.IID, 0))
	if code != 0 || strings.Contains(out+errOut, tok) {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	env["RECCE_SERVER_API_TOKEN"] = "recce_revoked"
	_, errOut, code = ts.gl.run(t, env, "", "upload", "--server", ts.url, "--mr", fmt.Sprint(ts.gl.mr.IID), writeState(t, ts.gl.mr.IID, 0))
	if code != 1 || !strings.Contains(errOut, "refused the API token in RECCE_SERVER_API_TOKEN (401)") {
		t.Errorf("bad API token: exit %d: %s", code, errOut)
	}
}

func TestServerOnPostgresNeverShowsThePassword(t *testing.T) {
	url := pgURLWithPassword(t)
	env := map[string]string{"RECCE_SECRET_KEY": "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", "RECCE_DATABASE_URL": url}
	s := startServer(t, env, "server", "--team", "--port", "0", "--data-dir", t.TempDir())
	if info := s.call("GET", "/api/info", nil, 200).(map[string]any); info["mode"] != "team" {
		t.Errorf("info: %v", info)
	}
	s.call("GET", "/api/checks", nil, 409) // no local review on a team server
	s.stop()
	if out := s.stdout.String() + s.stderr.String(); strings.Contains(out, "pg-secret-pw") || !strings.Contains(out, "postgres://postgres@") {
		t.Errorf("the server's output:\n%s", out)
	}
	// A database that cannot be reached: the error names it, without the password.
	_, errOut, code := cli{env: map[string]string{"RECCE_DATABASE_URL": "postgres://recce:pg-secret-pw@127.0.0.1:1/recce?connect_timeout=2"}}.run(t, "server", "--team", "--port", "0", "--data-dir", t.TempDir())
	if code != 1 || strings.Contains(errOut, "pg-secret-pw") || !strings.Contains(errOut, "postgres://recce@127.0.0.1:1/recce") {
		t.Errorf("unreachable database: exit %d: %s", code, errOut)
	}
	if _, errOut, code := runRecce(t, "server", "--database-url", "mysql://x", "--team", "--data-dir", t.TempDir()); code != 1 || !strings.Contains(errOut, "PostgreSQL URL") {
		t.Errorf("not PostgreSQL: %s", errOut)
	}
}

func TestRotateKey(t *testing.T) {
	dataDir, cfgDir := t.TempDir(), t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": cfgDir}
	if _, errOut, code := (cli{env: env}).run(t, "server", "rotate-key", "--data-dir", dataDir); code != 1 || !strings.Contains(errOut, "no current key") {
		t.Fatalf("without any key: %s", errOut)
	}
	// A connection stored with the key file, as `recce gitlab connect` does.
	keyPath := filepath.Join(cfgDir, "recce", "secret.key")
	oldKey := sealConnection(t, env, dataDir, keyPath, "glpat-rotate-me-0123456789")
	out, errOut, code := (cli{env: env}).run(t, "server", "rotate-key", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(out, "Re-encrypted 1 secrets") || !strings.Contains(out, "replaced the key file") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	newKey, _ := os.ReadFile(keyPath)
	if string(newKey) == string(oldKey) || strings.Contains(out+errOut, strings.TrimSpace(string(newKey))) {
		t.Fatal("the key file was not replaced, or the new key was printed")
	}
	if _, err := os.Stat(keyPath + ".new"); err == nil {
		t.Error("the pending key file was left behind")
	}
	assertTokenOpens(t, env, dataDir, keyPath, "glpat-rotate-me-0123456789")

	// With the key in RECCE_SECRET_KEY, the new one must be given.
	envKey := map[string]string{"XDG_CONFIG_HOME": cfgDir, "RECCE_SECRET_KEY": strings.TrimSpace(string(newKey))}
	if _, errOut, code := (cli{env: envKey}).run(t, "server", "rotate-key", "--data-dir", dataDir); code != 1 || !strings.Contains(errOut, "RECCE_NEW_SECRET_KEY") {
		t.Errorf("no new key: %s", errOut)
	}
	envKey["RECCE_NEW_SECRET_KEY"] = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
	out, errOut, code = (cli{env: envKey}).run(t, "server", "rotate-key", "--data-dir", dataDir, "--format", "json")
	if code != 0 || !strings.Contains(out, `"resealed": 1`) || strings.Contains(out+errOut, "AQEBAQEB") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	after := map[string]string{"XDG_CONFIG_HOME": cfgDir, "RECCE_SECRET_KEY": envKey["RECCE_NEW_SECRET_KEY"]}
	assertTokenOpens(t, after, dataDir, keyPath, "glpat-rotate-me-0123456789")
	// Run again: nothing left to move, nothing broken.
	if out, _, code := (cli{env: envKey}).run(t, "server", "rotate-key", "--data-dir", dataDir); code != 0 || !strings.Contains(out, "Re-encrypted 0 secrets") {
		t.Errorf("second run: %s", out)
	}
}
