package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
	"gitlab.com/recce-go/recce/internal/pgtest"
	"gitlab.com/recce-go/recce/internal/secret"
)

// Helpers of the team server's tests: merge request pipelines uploading
// state files to server instances connected to the fake GitLab.

func TestMain(m *testing.M) { pgtest.Main(m) }

// Checks of the uploaded states. The lineage diff reads only the
// artifacts, so the server runs it itself (a clean summary); the row count
// needs a warehouse, which the test servers lack (it stays incomplete:
// a failed summary).
var (
	lineageCheck  = &check.Check{CheckID: "6c1b3a52-0f43-4c1e-8b1a-2f5e1c0d9a01", Name: "Lineage of the change", Type: check.LineageDiff, Params: check.Params{"select": "state:modified+"}, IsPreset: true}
	rowCountCheck = &check.Check{CheckID: "6c1b3a52-0f43-4c1e-8b1a-2f5e1c0d9a02", Name: "Row counts of customers", Type: check.RowCountDiff, Params: check.Params{"node_names": []any{"customers"}}, IsPreset: true}
)

// stateFile is a state file of merge request iid, as `recce run` writes it
// in that merge request's pipeline: jaffle-recce's artifacts and checks.
func stateFile(t testing.TB, iid int64, checks ...*check.Check) []byte {
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
		Metadata:    check.Metadata{SchemaVersion: check.SchemaVersion, RecceVersion: "test", GeneratedAt: check.Now()},
		Checks:      []*check.Check{},
		Runs:        []*check.Run{},
		Artifacts:   check.Artifacts{Base: base, Current: current},
		PullRequest: &check.PullRequest{ID: iid, Title: fmt.Sprintf("Change %d", iid), Repository: "data/analytics"},
	}
	for _, c := range checks {
		cc := *c
		cc.CreatedAt, cc.UpdatedAt = check.Now(), check.Now()
		st.Checks = append(st.Checks, &cc)
	}
	var b strings.Builder
	if err := st.Encode(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// upload sends a state file as `recce upload` does: no browser headers,
// the credentials in headers.
func (h *harness) upload(iid int64, state []byte, headers ...string) response {
	h.t.Helper()
	return h.request("POST", fmt.Sprintf("/api/mr/%d/upload", iid), state, append([]string{"Sec-Fetch-Site", ""}, headers...)...)
}

// pipeline starts a job of merge request mr's pipeline on its head and
// returns its JOB-TOKEN header.
func (e *gitlabEnv) pipeline(hs []*harness, mr *gitlabtest.MergeRequest) []string {
	j := e.fake.AddMergeRequestJob(e.project, mr.IID, e.fake.GetMergeRequest(e.project.ID, mr.IID).SHA, false)
	for _, h := range hs {
		h.addSecrets(j.Token)
	}
	return []string{"JOB-TOKEN", j.Token}
}

// push moves merge request mr to a new head commit, as a git push does.
func (e *gitlabEnv) push(mr *gitlabtest.MergeRequest, sha string) {
	e.fake.UpdateMergeRequest(mr, func(m *gitlabtest.MergeRequest) { m.SHA = sha })
}

// configureWebhook stores the webhook of `recce gitlab connect
// --create-webhook` in the connection.
func (e *gitlabEnv) configureWebhook(h *harness) {
	h.t.Helper()
	conn, err := h.store.Connection(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	box, _ := secret.New(testKey)
	conn.WebhookID, conn.WebhookURL = 7, "https://recce.example.com"+webhookPath
	if conn.WebhookSecretSealed, err = box.Seal([]byte(e.webhookSecret), gitlab.SecretPurposeWebhookSecret); err != nil {
		h.t.Fatal(err)
	}
	if err := h.store.SaveConnection(h.t.Context(), *conn); err != nil {
		h.t.Fatal(err)
	}
}

// pushHook is GitLab's merge request hook for a push to mr (oldrev set).
func (e *gitlabEnv) pushHook(t *testing.T, mr *gitlabtest.MergeRequest, oldSHA string) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(webhookPayload(t, e.project.ID, mr.IID, mr.Title), &p); err != nil {
		t.Fatal(err)
	}
	now := e.fake.GetMergeRequest(e.project.ID, mr.IID)
	attrs := p["object_attributes"].(map[string]any)
	attrs["last_commit"] = map[string]any{"id": now.SHA}
	attrs["oldrev"] = oldSHA
	attrs["source_branch"], attrs["target_branch"], attrs["state"] = now.SourceBranch, now.TargetBranch, "opened"
	attrs["updated_at"] = now.UpdatedAt.UTC().Format("2006-01-02 15:04:05 UTC")
	out, _ := json.Marshal(p)
	return out
}

func (e *gitlabEnv) deliver(h *harness, payload []byte, key string) response {
	h.t.Helper()
	return h.request("POST", webhookPath, payload, "X-Gitlab-Token", e.webhookSecret, "X-Gitlab-Event", "Merge Request Hook",
		"Idempotency-Key", key, "Sec-Fetch-Site", "")
}

// summaryNotes are the summary notes on merge request iid.
func (e *gitlabEnv) summaryNotes(iid int64) []gitlabtest.Note {
	var out []gitlabtest.Note
	for _, n := range e.fake.UserNotes(e.project.ID, iid) {
		if strings.Contains(n.Body, gitlab.SummaryMarker) {
			out = append(out, n)
		}
	}
	return out
}

// statuses are the commit statuses set on sha, oldest first.
func (e *gitlabEnv) statuses(sha string) []gitlabtest.CommitStatus {
	var out []gitlabtest.CommitStatus
	for _, s := range e.fake.Statuses() {
		if s.SHA == sha {
			out = append(out, s)
		}
	}
	return out
}

// lastStatus is the latest commit status on sha ("" state when none).
func (e *gitlabEnv) lastStatus(sha string) gitlabtest.CommitStatus {
	st := e.statuses(sha)
	if len(st) == 0 {
		return gitlabtest.CommitStatus{}
	}
	return st[len(st)-1]
}

// connected starts the fake GitLab, connects the harness with the api
// token and syncs the merge requests.
func connected(t *testing.T, h *harness) *gitlabEnv {
	t.Helper()
	e := newGitLab(t, h)
	e.connect(h, e.api, 200)
	h.ok(200, "GET", "/api/integrations/gitlab/merge-requests", nil)
	return e
}

// postgresTeam starts n server instances on one fresh PostgreSQL
// database and one artifact directory, as a load-balanced deployment.
func postgresTeam(t *testing.T, n int, mod ...func(*Options)) []*harness {
	t.Helper()
	sh := shared{databaseURL: pgtest.NewDatabase(t), dir: t.TempDir()}
	var hs []*harness
	for i := range n {
		hs = append(hs, newHarnessOn(t, jaffleEnv(t), sh, append([]func(*Options){func(o *Options) {
			o.Jobs.Instance = fmt.Sprintf("instance-%c", 'a'+i)
		}}, mod...)...))
	}
	return hs
}
