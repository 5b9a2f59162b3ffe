package gitlab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

// baseArtifacts are a base job's artifacts: a manifest that records its
// commit (DBT_ENV_CUSTOM_ENV_CI_COMMIT_SHA, as the documented CI file
// sets it) and, unless noCatalog, a catalog.
func baseArtifacts(commit string, noCatalog bool) map[string][]byte {
	files := map[string][]byte{
		"target/manifest.json": fmt.Appendf(nil, `{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/manifest/v12.json","dbt_version":"1.9.0","env":{"CI_COMMIT_SHA":%q,"CI_PIPELINE_ID":"77"}},"nodes":{"model.x.a":{"name":"a"}}}`, commit),
	}
	if !noCatalog {
		files["target/catalog.json"] = []byte(`{"metadata":{"dbt_schema_version":"https://schemas.getdbt.com/dbt/catalog/v1.json"},"nodes":{},"sources":{}}`)
	}
	return files
}

// baseEnv is a project whose main branch has five commits; the merge
// request is based on the last one.
func baseEnv(t *testing.T) (*env, []string) {
	e := setup(t)
	main := e.fake.AddCommits(e.project, "main", 5)
	e.fake.UpdateMergeRequest(e.mr, func(m *gitlabtest.MergeRequest) { m.BaseSHA = main[4] })
	return e, main
}

func TestFetchBaseFromTheLatestPipelineWithTheJob(t *testing.T) {
	e, main := baseEnv(t)
	want := baseArtifacts(main[2], false)
	pl := e.fake.AddPipeline(e.project, "main", main[2], "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: want})
	e.fake.AddPipeline(e.project, "main", main[3], "success", gitlabtest.JobSpec{Name: "docs"}) // skipped the dbt job
	e.fake.AddPipeline(e.project, "main", main[4], "failed", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: baseArtifacts(main[4], false)})
	e.fake.AddPipeline(e.project, "feature-1", e.mr.SHA, "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: baseArtifacts(e.mr.SHA, false)})

	dir := filepath.Join(t.TempDir(), "target-base")
	ro := e.fake.AddToken(e.bot, "ro", []string{"read_api"}, "")
	prov, err := e.client(t, ro).FetchBase(t.Context(), FetchBaseOptions{Project: "data/analytics", MR: e.mr.IID, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if prov.PipelineID != pl.ID || prov.JobID != pl.Jobs[0].ID || prov.Commit != main[2] || prov.Ref != "main" || prov.Skipped != 1 ||
		prov.MergeBase != main[4] || prov.Behind != 2 || prov.Ahead != 0 || !strings.Contains(prov.PipelineURL, fmt.Sprintf("/-/pipelines/%d", pl.ID)) {
		t.Fatalf("provenance = %+v", prov)
	}
	for _, name := range []string{"manifest.json", "catalog.json"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want["target/"+name]) {
			t.Fatalf("%s = %q %v", name, got, err)
		}
	}
	if s := prov.Staleness(""); !strings.Contains(s, "2 commits behind") || !strings.Contains(s, main[4][:8]) {
		t.Fatalf("staleness = %q", s)
	}
	again, err := ReadBaseProvenance(dir)
	if err != nil || again.Commit != main[2] || again.Staleness("") != prov.Staleness("") {
		t.Fatalf("read back: %+v %v", again, err)
	}
	if w := e.fake.Writes(); len(w) != 0 {
		t.Fatalf("writes: %+v", w)
	}

	// Built from the merge base: no warning.
	e.fake.AddPipeline(e.project, "main", main[4], "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: baseArtifacts(main[4], false)})
	prov, err = e.client(t, ro).FetchBase(t.Context(), FetchBaseOptions{Project: "data/analytics", MR: e.mr.IID, Dir: dir})
	if err != nil || prov.Commit != main[4] || prov.Staleness("") != "" {
		t.Fatalf("fresh: %+v %v", prov, err)
	}
}

// Nothing half-written: a bad file leaves the folder as it was.
func TestFetchBaseIsAtomic(t *testing.T) {
	e, main := baseEnv(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("old manifest"), 0o644)
	os.WriteFile(filepath.Join(dir, "catalog.json"), []byte("old catalog"), 0o644)
	bad := baseArtifacts(main[4], false)
	bad["target/catalog.json"] = []byte(`<html>not a catalog</html>`)
	e.fake.AddPipeline(e.project, "main", main[4], "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: bad})
	_, err := e.client(t, e.token).FetchBase(t.Context(), FetchBaseOptions{Project: "data/analytics", MR: e.mr.IID, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "not a dbt catalog") {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files left: %v", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "manifest.json")); string(b) != "old manifest" {
		t.Fatalf("manifest replaced: %q", b)
	}
	// No catalog in the artifacts: the old one goes, it belongs to another build.
	e.fake.AddPipeline(e.project, "main", main[4], "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: baseArtifacts(main[4], true)})
	prov, err := e.client(t, e.token).FetchBase(t.Context(), FetchBaseOptions{Project: "data/analytics", MR: e.mr.IID, Dir: dir})
	if err != nil || !prov.NoCatalog {
		t.Fatalf("%+v %v", prov, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog.json")); !os.IsNotExist(err) {
		t.Fatal("the old catalog.json stayed")
	}
}

func TestFetchBaseWithTheJobToken(t *testing.T) {
	e, main := baseEnv(t)
	job := e.fake.AddMergeRequestJob(e.project, e.mr.IID, e.mr.SHA, false)
	e.fake.AddPipeline(e.project, "main", main[3], "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: baseArtifacts(main[3], false)})
	e.fake.AddPipeline(e.project, "main", main[4], "success", gitlabtest.JobSpec{Name: "docs"})
	dir := t.TempDir()
	opts := FetchBaseOptions{Project: "42", TargetBranch: "main", MergeBase: main[4], Dir: dir}
	copts := Options{URL: e.fake.URL, Retry: fast}

	// GitLab's by-branch endpoint looks at the latest successful pipeline
	// only: this one skipped the job.
	_, err := FetchBaseWithJobToken(t.Context(), copts, job.Token, opts)
	if KindOf(err) != KindNotFound || !strings.Contains(err.Error(), "latest successful pipeline of main lacks the job") {
		t.Fatalf("err = %v", err)
	}
	e.fake.AddPipeline(e.project, "main", main[4], "success", gitlabtest.JobSpec{Name: DefaultBaseJob, Artifacts: baseArtifacts(main[4], false)})
	prov, err := FetchBaseWithJobToken(t.Context(), copts, job.Token, opts)
	if err != nil || prov.Commit != main[4] || prov.PipelineID != 77 || prov.Staleness("") != "" {
		t.Fatalf("%+v %v", prov, err)
	}
	// The token of a finished job is refused, and said so.
	e.fake.FinishJob(job)
	_, err = FetchBaseWithJobToken(t.Context(), copts, job.Token, opts)
	if KindOf(err) != KindUnauthorized || !strings.Contains(err.Error(), "only while its job runs") {
		t.Fatalf("finished job: %v", err)
	}
	assertNoTokens(t, e.fake, "error", err.Error())
}
