package check

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// jaffleDirs builds jaffle-recce in DuckDB and loads its artifact folders
// as a review does: the env (with the warehouse) and the files' bytes.
func jaffleDirs(t *testing.T) (*Env, Artifacts, *difftest.Jaffle) {
	t.Helper()
	j := difftest.BuildJaffle(t)
	ctx := context.Background()
	env, files, err := LoadArtifactDirs(ctx, j.BaseDir, j.CurDir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := duckdb.Open(ctx, j.DBPath, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	env.Warehouse = w
	return env, files, j
}

// TestLoadArtifactDirs: each file is read once, and what is parsed and
// what is embedded are the same bytes as on disk; errors are those of
// dbt.LoadPair (both environments, base first).
func TestLoadArtifactDirs(t *testing.T) {
	env, files, j := jaffleDirs(t)
	for _, c := range []struct {
		dir  string
		f    ArtifactFiles
		a    *dbt.Artifacts
		name string
	}{{j.BaseDir, files.Base, env.Base, "base"}, {j.CurDir, files.Current, env.Current, "current"}} {
		for file, got := range map[string][]byte{"manifest.json": c.f.Manifest, "catalog.json": c.f.Catalog} {
			want, err := os.ReadFile(filepath.Join(c.dir, file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %s: %d bytes kept, %d on disk", c.name, file, len(got), len(want))
			}
		}
		if c.a.Manifest == nil || c.a.Catalog == nil || c.a.Env != dbt.Env(c.name) {
			t.Errorf("%s: not parsed: %+v", c.name, c.a)
		}
	}
	missing := filepath.Join(t.TempDir(), "nowhere")
	_, _, want := dbt.LoadPair(context.Background(), missing, missing)
	if _, _, err := LoadArtifactDirs(context.Background(), missing, missing); err == nil || err.Error() != want.Error() {
		t.Errorf("error %v, want %v", err, want)
	}
}

// TestReviewRunAll: recce run's review runs every check once, builds the
// state from the files, the origin and, for what the origin lacks, the
// previous state, and tallies it.
func TestReviewRunAll(t *testing.T) {
	env, files, _ := jaffleDirs(t)
	at := time.Date(2024, 11, 5, 8, 0, 0, 0, time.UTC)
	prevPR := &PullRequest{ID: int64(7), Title: "previous"}
	checks := []*Check{
		{CheckID: "lineage", Type: LineageDiff, Params: Params{"select": "state:modified"}},
		{CheckID: "rows", Type: RowCountDiff, Params: Params{"select": "customers orders"}},
		{CheckID: "note", Type: Simple},
	}
	prev := &State{Checks: checks, Runs: []*Run{{RunID: "old", CheckID: "rows", Type: RowCountDiff, Status: Failed, Error: "old"}},
		Git: &GitInfo{Branch: "old-branch"}, PullRequest: prevPR}
	var updates int
	st, tally, err := Review(context.Background(), ReviewInput{Env: env, Files: files, Previous: prev, Policy: RunAll,
		Origin:   Origin{RecceVersion: "1.2.3", Git: &GitInfo{Branch: "feature"}},
		Now:      func() time.Time { return at },
		OnUpdate: func(*Check, *Run) { updates++ }})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Checks) != 3 || len(st.Runs) != 2 || st.Runs[0].CheckID != "lineage" || st.Runs[1].CheckID != "rows" || updates != 4 {
		t.Fatalf("checks %d, runs %+v, updates %d", len(st.Checks), st.Runs, updates)
	}
	if st.Metadata.RecceVersion != "1.2.3" || st.Metadata.SchemaVersion != SchemaVersion || !st.Metadata.GeneratedAt.Equal(at) {
		t.Errorf("metadata %+v", st.Metadata)
	}
	if st.Git.Branch != "feature" || st.PullRequest != prevPR {
		t.Errorf("origin: git %+v, merge request %+v", st.Git, st.PullRequest)
	}
	if !bytes.Equal(st.Artifacts.Base.Manifest, files.Base.Manifest) {
		t.Error("artifacts not embedded")
	}
	for _, c := range st.Checks {
		if !c.CreatedAt.Equal(at) || !c.UpdatedAt.Equal(at) {
			t.Errorf("%s: dates %v %v", c.CheckID, c.CreatedAt, c.UpdatedAt)
		}
	}
	// rows: customers counts the same, orders too: clean and approved.
	if want := (Tally{Checks: 2, Clean: 1, Info: 1, Approved: 1}); tally != want || st.Tally() != tally {
		t.Errorf("tally %+v, want %+v", tally, want)
	}

	// Interrupted: the state still comes back, its runs cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, tally, err = Review(ctx, ReviewInput{Env: env, Files: files, Checks: []*Check{{CheckID: "v", Type: ValueDiff, Params: Params{"model": "orders"}}}, Policy: RunAll})
	if err == nil || st == nil || len(st.Runs) != 1 || st.Runs[0].Status != Cancelled || tally.Incomplete != 1 {
		t.Errorf("interrupted: %v %+v %+v", err, st, tally)
	}
}

// TestReviewRunNone: recce upload's review runs nothing: the checks, dated,
// and the files, for the server.
func TestReviewRunNone(t *testing.T) {
	files := Artifacts{Base: ArtifactFiles{Manifest: []byte(`{}`)}, Current: ArtifactFiles{Manifest: []byte(`{}`)}}
	getenv := func(k string) string {
		return map[string]string{"CI_MERGE_REQUEST_IID": "12", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature"}[k]
	}
	st, tally, err := Review(context.Background(), ReviewInput{Files: files, Checks: DefaultChecks(), Policy: RunNone, Origin: OriginFromEnv("9.9", getenv)})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Runs) != 0 || st.Runs == nil || len(st.Checks) != 2 || st.Checks[0].CreatedAt.IsZero() || st.PullRequest.ID != int64(12) || st.Git.Branch != "feature" {
		t.Errorf("state %+v", st)
	}
	if tally.NotRun != 2 || tally.Incomplete != 2 {
		t.Errorf("tally %+v", tally)
	}
}

// TestReviewRunMissing: the server's review of an upload runs the checks
// without a run that read only the artifacts, and its own trusted data
// checks when the upload holds them unchanged; never SQL the upload
// defines. It adds runs, and carries earned approvals to the upload's
// checks.
func TestReviewRunMissing(t *testing.T) {
	env, files, _ := jaffleDirs(t)
	trustedRows := &Check{CheckID: "rows", Type: RowCountDiff, Params: Params{"select": "customers"}}
	upload := func() *State {
		return &State{Artifacts: files, Checks: []*Check{
			{CheckID: "lineage", Type: LineageDiff, Params: Params{"select": "state:modified"}},
			{CheckID: "schema", Type: SchemaDiff, Params: Params{"select": "customers"}},
			{CheckID: "rows", Name: "the upload's name", Type: RowCountDiff, Params: Params{"select": "customers"}},
			{CheckID: "query", Type: Query, Params: Params{"sql_template": "select * from read_text('/etc/passwd')"}},
			{CheckID: "note", Type: Simple},
		}, Runs: []*Run{{RunID: "r1", CheckID: "schema", Type: SchemaDiff, Status: Failed, Error: "from CI"}}}
	}
	prev := upload()
	st, tally, err := Review(context.Background(), ReviewInput{Env: env, Previous: prev, Policy: RunMissing, Trusted: []*Check{trustedRows}})
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]*Run{}
	for _, r := range st.Runs[1:] {
		ran[r.CheckID] = r
	}
	if len(st.Runs) != 3 || ran["lineage"] == nil || ran["rows"] == nil || len(prev.Runs) != 1 {
		t.Fatalf("runs %+v (previous %d)", st.Runs, len(prev.Runs))
	}
	if ran["rows"].Name != "the upload's name" || !prev.Checks[2].IsChecked {
		t.Errorf("the trusted row count: run %+v, approved %v", ran["rows"], prev.Checks[2].IsChecked)
	}
	if tally.NotRun != 1 || tally.Incomplete != 2 || st.Checks[3].IsChecked {
		t.Errorf("tally %+v", tally)
	}

	for name, c := range map[string]struct {
		env     *Env
		trusted []*Check
	}{
		"no warehouse":            {&Env{Base: env.Base, Current: env.Current}, []*Check{trustedRows}},
		"an impostor":             {env, []*Check{{CheckID: "rows", Type: RowCountDiff, Params: Params{"select": "orders"}}}},
		"nothing trusted":         {env, nil},
		"trusted of another type": {env, []*Check{{CheckID: "rows", Type: ValueDiff, Params: Params{"select": "customers"}}}},
	} {
		st, _, err := Review(context.Background(), ReviewInput{Env: c.env, Previous: upload(), Policy: RunMissing, Trusted: c.trusted})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range st.Runs[1:] {
			if r.CheckID != "lineage" {
				t.Errorf("%s: %s ran", name, r.CheckID)
			}
		}
	}

	// Interrupted: the upload comes back unchanged, to run again.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	prev = upload()
	st, _, err = Review(ctx, ReviewInput{Env: env, Previous: prev, Policy: RunMissing, Trusted: []*Check{trustedRows}})
	if err == nil || st != prev || len(st.Runs) != 1 || st.Checks[2].IsChecked {
		t.Errorf("interrupted: %v, %d runs", err, len(st.Runs))
	}
}
