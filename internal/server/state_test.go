package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/store"
)

// The team server keeps a workspace per merge request session in the
// store, behind the same interface as FileWorkspace.
var _ WorkspaceStore = store.SessionWorkspace[Snapshot]{}

func jaffleArtifacts(t *testing.T) func() (check.Artifacts, error) {
	t.Helper()
	base, err := check.ReadArtifactFiles(fixtures.Path(t, "dbt", "jaffle-recce", "base"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := check.ReadArtifactFiles(fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	if err != nil {
		t.Fatal(err)
	}
	return func() (check.Artifacts, error) { return check.Artifacts{Base: base, Current: current}, nil }
}

func TestStateExportImport(t *testing.T) {
	arts := jaffleArtifacts(t)
	pr := &check.PullRequest{ID: 12.0, Title: "Customers: lifetime value", Repository: "data/analytics"}
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Artifacts = arts; o.PullRequest = pr })
	c := h.ok(201, "POST", "/api/checks", map[string]any{"type": "schema_diff", "params": map[string]any{"select": "state:modified+"}}).object(t)
	h.waitRun(h.ok(202, "POST", "/api/checks/"+c["check_id"].(string)+"/run", nil).object(t)["run_id"].(string))
	h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "Docs read"})

	r := h.ok(200, "GET", "/api/state", nil)
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, `filename="recce_state.json"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	st, err := check.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("the export is not a state file: %v", err)
	}
	if st.Metadata.SchemaVersion != "v0" || len(st.Checks) != 2 || len(st.Runs) != 1 || st.Runs[0].Status != check.Finished {
		t.Errorf("exported: metadata %+v, %d checks, %d runs", st.Metadata, len(st.Checks), len(st.Runs))
	}
	if st.PullRequest == nil || st.PullRequest.Title != pr.Title {
		t.Errorf("pull request %+v", st.PullRequest)
	}
	// The artifacts are there and load: a review server or `recce summary`
	// needs nothing else.
	base, current, err := st.LoadArtifacts()
	if err != nil || len(base.Manifest.Nodes) == 0 || current.Catalog == nil {
		t.Fatalf("artifacts of the export: %v", err)
	}

	// Into another server: everything is new there; a second import adds nothing.
	other := newHarness(t, jaffleEnv(t))
	if m := other.ok(200, "POST", "/api/state", r.body).object(t); m["checks"] != 2.0 || m["runs"] != 1.0 {
		t.Errorf("import: %v", m)
	}
	if m := other.ok(200, "POST", "/api/state", r.body).object(t); m["checks"] != 0.0 || m["runs"] != 0.0 {
		t.Errorf("second import: %v", m)
	}
	if ids := other.checkIDs(); len(ids) != 2 || ids[0] != c["check_id"] {
		t.Errorf("imported checklist %v", ids)
	}
	got := other.ok(200, "GET", "/api/checks/"+c["check_id"].(string), nil).object(t)
	if lr, _ := got["last_run"].(map[string]any); lr == nil || lr["status"] != "Finished" {
		t.Errorf("imported check's last run: %v", got["last_run"])
	}
	for _, bad := range []string{"", "[]", `{"checks": [{"type": "row_count_diff"}]}`, `{"metadata": {"schema_version": "v9"}}`} {
		if m := other.ok(400, "POST", "/api/state", bad).object(t); !strings.Contains(m["error"].(string), "state file") {
			t.Errorf("import of %q: %v", bad, m)
		}
	}
}

func TestWorkspaceSurvivesRestart(t *testing.T) {
	h := newHarness(t, jaffleWarehouseEnv(t))
	a := h.ok(201, "POST", "/api/checks", map[string]any{"type": "row_count_diff", "params": map[string]any{"node_names": []string{"customers"}}}).object(t)
	b := h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "Second"}).object(t)
	aid, bid := a["check_id"].(string), b["check_id"].(string)
	done := h.waitRun(h.ok(202, "POST", "/api/checks/"+aid+"/run", nil).object(t)["run_id"].(string))
	h.ok(200, "POST", "/api/checks/"+aid+"/approve", map[string]any{"approved": true})
	h.ok(201, "POST", "/api/checks/"+aid+"/comments", map[string]any{"body": "fine"})
	h.ok(200, "POST", "/api/checks/reorder", map[string]any{"check_ids": []string{bid, aid}})
	// A run still going when the server stops ends Cancelled, and is saved so.
	slow := h.ok(202, "POST", "/api/query", map[string]any{"sql_template": "select count(*) from range(100000000000)"}).object(t)["run_id"].(string)

	h.restart()

	if ids := h.checkIDs(); len(ids) != 2 || ids[0] != bid || ids[1] != aid {
		t.Fatalf("checklist after restart: %v", ids)
	}
	got := h.ok(200, "GET", "/api/checks/"+aid, nil).object(t)
	if got["is_checked"] != true || len(got["comments"].([]any)) != 1 || got["last_run"].(map[string]any)["run_id"] != done["run_id"] {
		t.Errorf("check after restart: %v", got)
	}
	if r := h.ok(200, "GET", "/api/runs/"+slow, nil).object(t); r["status"] != "Cancelled" {
		t.Errorf("run in flight at shutdown: %v", r)
	}
}

func TestWorkspaceSource(t *testing.T) {
	// A review's saved workspace is resumed only for the same state file.
	dir := t.TempDir()
	path := filepath.Join(dir, "ws.json")
	preset := &check.Check{CheckID: "11111111-1111-4111-8111-111111111111", Name: "From the file", Type: check.SchemaDiff, Params: check.Params{}}
	first := newHarness(t, jaffleEnv(t), func(o *Options) {
		o.Workspace = FileWorkspace{Path: path}
		o.Initial = &Snapshot{Source: "sha256:one", Checks: []*check.Check{preset}}
	})
	first.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "Added in review"})
	first.stop()

	same := newHarness(t, jaffleEnv(t), func(o *Options) {
		o.Workspace = FileWorkspace{Path: path}
		o.Initial = &Snapshot{Source: "sha256:one", Checks: []*check.Check{preset}}
	})
	if ids := same.checkIDs(); len(ids) != 2 {
		t.Errorf("same source: %d checks, want the saved 2", len(ids))
	}
	same.stop()
	newer := newHarness(t, jaffleEnv(t), func(o *Options) {
		o.Workspace = FileWorkspace{Path: path}
		o.Initial = &Snapshot{Source: "sha256:two", Checks: []*check.Check{preset}}
	})
	if ids := newer.checkIDs(); len(ids) != 1 || ids[0] != preset.CheckID {
		t.Errorf("new source: checks %v, want the new file's", ids)
	}

	// A workspace of another version is not read as this one.
	o := newer.opts
	newer.stop()
	if err := os.WriteFile(path, []byte(`{"version": 99, "checks": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(t.Context(), o); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("workspace of version 99: %v", err)
	}

	// A damaged workspace file stops the start with what to do.
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (FileWorkspace{Path: path}).LoadWorkspace(t.Context()); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("damaged workspace: %v", err)
	}
}
