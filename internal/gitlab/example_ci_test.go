package gitlab

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The documented .gitlab-ci.yml and the defaults agree: no job is named
// like the commit status (GitLab would refuse it), the default branch's
// job is the one fetch-base looks for and keeps the artifacts it reads,
// and the merge request job declares GitLab's reports.
func TestDocumentedCIFileMatchesTheDefaults(t *testing.T) {
	b, err := os.ReadFile("../../docs/examples/gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		Extends   string            `yaml:"extends"`
		Script    []string          `yaml:"script"`
		Variables map[string]string `yaml:"variables"`
		Artifacts struct {
			Paths   []string          `yaml:"paths"`
			Reports map[string]string `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]job{}
	for name, n := range top {
		if n.Kind != yaml.MappingNode || name == "variables" {
			continue
		}
		var j job
		if err := n.Decode(&j); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		jobs[name] = j
	}
	if _, ok := jobs[DefaultStatusName]; ok {
		t.Errorf("a job is named like the commit status %q", DefaultStatusName)
	}
	base, ok := jobs[DefaultBaseJob]
	if !ok || !slices.Contains(base.Artifacts.Paths, "target/manifest.json") || !slices.Contains(base.Artifacts.Paths, "target/catalog.json") ||
		base.Variables["DBT_ENV_CUSTOM_ENV_CI_COMMIT_SHA"] != "$CI_COMMIT_SHA" {
		t.Errorf("the base job %q: %+v", DefaultBaseJob, base)
	}
	mr := jobs["recce"]
	script := strings.Join(mr.Script, "\n")
	for _, want := range []string{"recce gitlab fetch-base", "--junit recce-junit.xml", "--codequality recce-codequality.json", "post-summary recce_state.json --commit-status --threads"} {
		if !strings.Contains(script, want) {
			t.Errorf("the merge request job does not run %q", want)
		}
	}
	if mr.Artifacts.Reports["junit"] != "recce-junit.xml" || mr.Artifacts.Reports["codequality"] != "recce-codequality.json" {
		t.Errorf("reports: %+v", mr.Artifacts.Reports)
	}
}
