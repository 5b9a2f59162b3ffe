package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/fixtures"
)

func jaffleFlags(t *testing.T) []string {
	return []string{
		"--target-base-path", fixtures.Path(t, "dbt", "jaffle-recce", "base"),
		"--target-path", fixtures.Path(t, "dbt", "jaffle-recce", "current"),
	}
}

func TestLineageDiffJSONShape(t *testing.T) {
	out, errOut, code := runRecce(t, append([]string{"lineage-diff", "--format", "json"}, jaffleFlags(t)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Base    map[string]any `json:"base"`
		Current map[string]any `json:"current"`
		Nodes   []struct {
			UniqueID     string         `json:"unique_id"`
			Name         string         `json:"name"`
			ResourceType string         `json:"resource_type"`
			Change       string         `json:"change"`
			Reasons      []string       `json:"reasons"`
			Impacted     *bool          `json:"impacted"`
			ImpactedBy   []string       `json:"impacted_by"`
			Columns      map[string]any `json:"columns"`
		} `json:"nodes"`
		Counts map[string]int `json:"counts"`
		Edges  []struct {
			Source, Target, Change string
		} `json:"edges"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"dbt_version", "generated_at", "project_name"} {
		if r.Base[k] == nil || r.Current[k] == nil {
			t.Errorf("base/current lack %s", k)
		}
	}
	if len(r.Nodes) != 12 {
		t.Errorf("%d nodes, want every node of the graph (12)", len(r.Nodes))
	}
	for i, n := range r.Nodes {
		if n.Impacted == nil || n.Reasons == nil || n.Change == "" || n.Name == "" || n.ResourceType == "" {
			t.Errorf("node %s lacks a field: %+v", n.UniqueID, n)
		}
		if i > 0 && r.Nodes[i-1].UniqueID >= n.UniqueID {
			t.Errorf("nodes not in a stable order at %s", n.UniqueID)
		}
		if n.UniqueID == "model.jaffle_shop.customers" {
			if n.Change != "modified" || strings.Join(n.Reasons, ",") != "code" || !*n.Impacted {
				t.Errorf("customers: %+v", n)
			}
			for _, k := range []string{"added", "removed", "changed"} {
				if _, ok := n.Columns[k]; !ok {
					t.Errorf("customers columns lack %q", k)
				}
			}
		}
	}
	if len(r.Edges) == 0 || r.Edges[0].Source == "" {
		t.Errorf("edges: %+v", r.Edges)
	}
	// Which changes impact each impacted node, for the web app.
	for _, n := range r.Nodes {
		if n.UniqueID == "model.jaffle_shop.customer_segments" &&
			strings.Join(n.ImpactedBy, ",") != "model.jaffle_shop.customers,model.jaffle_shop.int_customer_orders,model.jaffle_shop.int_customer_payments" {
			t.Errorf("customer_segments impacted by %v", n.ImpactedBy)
		}
		if !*n.Impacted && n.ImpactedBy != nil {
			t.Errorf("%s is not impacted but impacted by %v", n.UniqueID, n.ImpactedBy)
		}
	}
	want := map[string]int{"changed": 3, "added": 2, "removed": 0, "modified": 1, "whitespace_only": 0, "impacted_downstream": 2, "nodes": 12}
	for k, v := range want {
		if got, ok := r.Counts[k]; !ok || got != v {
			t.Errorf("counts.%s = %d, want %d", k, got, v)
		}
	}
}

// TestLineageWordsAgree: lineage-diff and the summary say the same thing
// in the same words: "N changed (a added, r removed, m modified), M
// impacted downstream".
func TestLineageWordsAgree(t *testing.T) {
	for _, pair := range [][2]string{{"jaffle-recce/base", "jaffle-recce/current"}, {"tuva/v11-dbt1.7.8", "tuva/v8-dbt1.4.9"}, {"flow-models/v5/base", "flow-models/v5/current"}} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "recce.yml"), []byte("checks:\n  - {name: Lineage, type: lineage_diff}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		flags := []string{"--project-dir", dir, "--target-base-path", fixtures.Path(t, "dbt", pair[0]), "--target-path", fixtures.Path(t, "dbt", pair[1])}
		text := recceOK(t, append([]string{"lineage-diff"}, flags...)...)
		state := filepath.Join(dir, "state.json")
		recceOK(t, append([]string{"run", "-o", state}, flags...)...)
		md := recceOK(t, "summary", state)
		var r struct {
			Counts struct {
				Changed, Added, Removed, Modified int
				Downstream                        int `json:"impacted_downstream"`
			} `json:"counts"`
		}
		if err := json.Unmarshal([]byte(recceOK(t, append([]string{"lineage-diff", "--format", "json"}, flags...)...)), &r); err != nil {
			t.Fatal(err)
		}
		c := r.Counts
		phrase := fmt.Sprintf("%d changed (%d added, %d removed, %d modified), %d impacted downstream", c.Changed, c.Added, c.Removed, c.Modified, c.Downstream)
		if pair[0] == "jaffle-recce/base" && !strings.Contains(text, "impacted by customers, int_customer_orders, int_customer_payments") {
			t.Errorf("lineage-diff does not say what impacts customer_segments:\n%s", text)
		}
		if !strings.Contains(text, phrase) || !strings.Contains(md, phrase) {
			t.Errorf("%s: %q is not in both:\n%s\n%s", pair[0], phrase, firstLines(text, 4), firstLines(md, 14))
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// TestSchemaDiffNeedsBothCatalogs: with a catalog missing, recce
// schema-diff cannot compare columns: it fails and says what to run.
func TestSchemaDiffNeedsBothCatalogs(t *testing.T) {
	noBase := fixtures.Variant(t, func(a *fixtures.Artifacts) { a.Catalog = nil }, "dbt", "jaffle-recce", "base")
	_, errOut, code := runRecce(t, "schema-diff", "--target-base-path", noBase, "--target-path", fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	if code != 1 || !strings.Contains(errOut, "base environment has no catalog.json") || !strings.Contains(errOut, "dbt docs generate") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestLineageDiffText(t *testing.T) {
	out, _, code := runRecce(t, append([]string{"lineage-diff", "--select", "state:modified"}, jaffleFlags(t)...)...)
	if code != 0 {
		t.Fatal(out)
	}
	for _, want := range []string{"3 changed (2 added, 0 removed, 1 modified), 0 impacted downstream", "customers", "int_customer_orders", "code"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

func TestSchemaDiffJSON(t *testing.T) {
	out, errOut, code := runRecce(t, "schema-diff", "--format", "json",
		"--target-base-path", fixtures.Path(t, "dbt", "fivetran-jira", "base"),
		"--target-path", fixtures.Path(t, "dbt", "fivetran-jira", "current"))
	if code != 0 {
		t.Fatal(errOut)
	}
	var r struct {
		Nodes []struct {
			UniqueID string `json:"unique_id"`
			Columns  struct {
				Removed []string `json:"removed"`
			} `json:"columns"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Nodes) != 18 {
		t.Errorf("%d nodes with column changes, want the 18 that lost _dbt_source_relation", len(r.Nodes))
	}
	for _, n := range r.Nodes {
		if strings.Join(n.Columns.Removed, ",") != "_dbt_source_relation" {
			t.Errorf("%s removed %v", n.UniqueID, n.Columns.Removed)
		}
	}
}

func TestBadInputExitsOneWithOneLine(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, files map[string][]byte) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		for f, b := range files {
			os.WriteFile(filepath.Join(d, f), b, 0o644)
		}
		return d
	}
	good := fixtures.Path(t, "dbt", "jaffle-recce", "base")
	manifest, _ := os.ReadFile(filepath.Join(good, "manifest.json"))
	catalog, _ := os.ReadFile(filepath.Join(good, "catalog.json"))
	cases := map[string]struct {
		dir  string
		want string
	}{
		"truncated JSON":       {mk("trunc", map[string][]byte{"manifest.json": manifest[:1000]}), "byte offset"},
		"catalog, no manifest": {mk("cat", map[string][]byte{"catalog.json": catalog}), "no manifest.json"},
		"missing directory":    {filepath.Join(dir, "absent"), "does not exist"},
		"unsupported version": {mk("v3", map[string][]byte{"manifest.json": []byte(
			`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v3.json", "dbt_version": "0.21.0"}}`)}), "not supported"},
	}
	for name, c := range cases {
		for _, cmd := range []string{"lineage-diff", "schema-diff"} {
			out, errOut, code := runRecce(t, cmd, "--target-base-path", good, "--target-path", c.dir)
			if code != 1 {
				t.Errorf("%s %s: exit %d, want 1", cmd, name, code)
			}
			if out != "" {
				t.Errorf("%s %s: wrote to stdout: %q", cmd, name, out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "recce: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("%s %s: stderr %q, want one line with %q", cmd, name, errOut, c.want)
			}
		}
	}
}

func TestDebug(t *testing.T) {
	type report struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name    string `json:"name"`
			OK      bool   `json:"ok"`
			Message string `json:"message"`
			Hint    string `json:"hint"`
		} `json:"checks"`
	}
	debug := func(args ...string) (report, int) {
		out, _, code := runRecce(t, append([]string{"debug", "--format", "json"}, args...)...)
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err, out)
		}
		return r, code
	}

	// The demo project has everything, its DuckDB warehouse included.
	dir := filepath.Join(t.TempDir(), "demo")
	if _, errOut, code := runRecce(t, "demo", dir); code != 0 {
		t.Fatal(errOut)
	}
	r, code := debug("--project-dir", dir)
	if code != 0 || !r.OK || len(r.Checks) != 6 {
		t.Errorf("debug in the demo: exit %d %+v", code, r)
	}
	for _, c := range r.Checks {
		if c.Name == "warehouse" && !strings.Contains(c.Message, "connected") {
			t.Errorf("warehouse check: %+v", c)
		}
	}

	// jaffle's artifacts alone: the artifacts are fine, the warehouse is
	// missing, and the hint says what still works.
	r, code = debug(jaffleFlags(t)...)
	if code != 1 || r.OK {
		t.Errorf("debug without a profile: exit %d %+v", code, r)
	}
	for _, c := range r.Checks {
		if c.Name == "warehouse" && (c.OK || !strings.Contains(c.Message, "dbt_project.yml not found") || !strings.Contains(c.Hint, "lineage and schema diffs work without it")) {
			t.Errorf("warehouse check without a profile: %+v", c)
		}
		if c.Name != "warehouse" && !c.OK {
			t.Errorf("%s should pass: %+v", c.Name, c)
		}
	}

	out, _, code := runRecce(t, "debug", "--target-path", t.TempDir())
	if code != 1 || !strings.Contains(out, "dbt docs generate") {
		t.Errorf("debug with missing artifacts: exit %d\n%s", code, out)
	}
}
