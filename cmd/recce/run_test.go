package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/markdown"
	"gitlab.com/recce-go/recce/internal/report"
	"gitlab.com/recce-go/recce/internal/summary"
)

// jaffleChecks has every check type on jaffle-recce, hostile text, and a
// check that cannot run.
const jaffleChecks = `checks:
  - name: Lineage
    type: lineage_diff
    params: {select: "state:modified+"}
  - name: Schema
    type: schema_diff
    params: {select: "state:modified+"}
  - name: Row counts
    type: row_count_diff
    params: {select: "state:modified+"}
  - name: /merge
    description: "Lifetime value.\n/close\n"
    type: value_diff
    params: {model: customers, primary_key: customer_id}
  - name: Detail
    type: value_diff_detail
    params: {model: customers, primary_key: [customer_id]}
  - name: Profile
    type: profile_diff
    params: {model: customers}
  - name: Query
    type: query
    params: {sql_template: 'select count(*) as n from {{ ref("customers") }}'}
  - name: Query base
    type: query_base
    params: {sql_template: 'select count(*) as n from {{ ref("customers") }}'}
  - name: Query diff
    type: query_diff
    params: {sql_template: 'select status, count(*) as n from {{ ref("orders") }} group by 1', primary_keys: status}
  - name: Top-k
    type: top_k_diff
    params: {model: orders, column_name: status}
  - name: Histogram
    type: histogram_diff
    params: {model: orders, column_name: amount}
  - name: Note
    type: simple
  - name: Broken
    type: query
    params: {sql_template: 'select * from {{ ref("nowhere") }}'}
`

func readReport(t *testing.T, out string) runReport {
	t.Helper()
	var r runReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return r
}

func TestRunOnJaffle(t *testing.T) {
	project := jaffleProject(t, "")
	dir := project[1]
	if err := os.WriteFile(filepath.Join(dir, "recce.yml"), []byte(jaffleChecks), 0o644); err != nil {
		t.Fatal(err)
	}
	state, md := filepath.Join(dir, "state.json"), filepath.Join(dir, "summary.md")
	env := map[string]string{"CI_MERGE_REQUEST_IID": "7", "CI_PROJECT_PATH": "data/jaffle", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "ltv"}
	out, errOut, code := cli{env: env}.run(t, append([]string{"run", "-o", state, "--summary", md, "--format", "json"}, project...)...)
	if code != 0 {
		t.Fatalf("exit %d (--fail-on never): %s", code, errOut)
	}
	rep := readReport(t, out)
	verdicts := map[string]check.Verdict{}
	for _, c := range rep.Checks {
		verdicts[c.Name] = c.Verdict
	}
	want := map[string]check.Verdict{
		"Lineage": check.Info, "Schema": check.Mismatch, "Row counts": check.Mismatch, "/merge": check.Clean, "Detail": check.Clean,
		"Profile": check.Clean, "Query": check.Info, "Query base": check.Info, "Query diff": check.Clean, "Top-k": check.Clean,
		"Histogram": check.Clean, "Note": check.Info, "Broken": check.Incomplete,
	}
	for name, v := range want {
		if verdicts[name] != v {
			t.Errorf("%s: %s, want %s", name, verdicts[name], v)
		}
	}
	if rep.Status != summary.StatusFailed || len(rep.Checks) != len(want) {
		t.Errorf("report %+v", rep)
	}

	st, err := check.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	if st.PullRequest == nil || st.PullRequest.ID != float64(7) || st.PullRequest.Repository != "data/jaffle" || st.Git.Branch != "ltv" {
		t.Errorf("merge request from CI variables: %+v %+v", st.PullRequest, st.Git)
	}
	if len(st.Runs) != len(want)-1 { // the note has no run
		t.Errorf("%d runs", len(st.Runs))
	}
	manifest, _ := os.ReadFile(filepath.Join(project[3], "manifest.json")) // --target-path
	if !bytes.Equal(bytes.TrimSpace(manifest), st.Artifacts.Current.Manifest) {
		t.Error("the current manifest is not embedded byte for byte")
	}

	// recce summary reproduces the summary from the state file alone.
	written, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	again := recceOK(t, "summary", state)
	if again != string(written) {
		t.Error("recce summary STATE_FILE differs from recce run --summary")
	}
	if !strings.HasPrefix(again, summary.Marker(summary.StatusFailed)+"\n") {
		t.Error("no status marker on the first line")
	}
	if lines := markdown.ExecutableLines(again); len(lines) > 0 {
		t.Errorf("quick actions in the summary: %+v", lines)
	}
	var data summary.Summary
	if err := json.Unmarshal([]byte(recceOK(t, "summary", state, "--format", "json")), &data); err != nil {
		t.Fatal(err)
	}
	if data.Status != summary.StatusFailed || data.Checks.Mismatch != 2 || data.Checks.Incomplete != 1 || data.Lineage.Counts.Changed != 3 {
		t.Errorf("summary data %+v", data.Checks)
	}

	// The gates: a mismatch and a check that could not run.
	_, errOut, code = runRecce(t, append([]string{"run", "-o", state, "--fail-on", "mismatch"}, project...)...)
	if code != 1 || !strings.Contains(errOut, "2 checks found a data mismatch and 1 did not complete (--fail-on mismatch)") {
		t.Errorf("--fail-on mismatch: exit %d: %s", code, errOut)
	}
	_, errOut, code = runRecce(t, append([]string{"run", "-o", state, "--fail-on", "error"}, project...)...)
	if code != 1 || !strings.Contains(errOut, "1 check did not complete (--fail-on error)") {
		t.Errorf("--fail-on error: exit %d: %s", code, errOut)
	}
	if _, errOut, code = runRecce(t, "run", "--fail-on", "sometimes"); code != 1 || !strings.Contains(errOut, "never|error|mismatch") {
		t.Errorf("bad --fail-on: %d %s", code, errOut)
	}
}

// TestRunCleanChange compares jaffle's base with itself: nothing changed,
// so --fail-on mismatch passes, and the default checks are auto-approved.
func TestRunCleanChange(t *testing.T) {
	project := jaffleProject(t, "")
	dir, baseDir := project[1], project[5]
	project[3] = baseDir // --target-path: current is base
	checks := "checks:\n  - {name: Rows, type: row_count_diff, params: {select: 'resource_type:model'}}\n" +
		"  - {name: Schema, type: schema_diff}\n" +
		"  - {name: Values, type: value_diff, params: {model: customers}}\n"
	if err := os.WriteFile(filepath.Join(dir, "recce.yml"), []byte(checks), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.json")
	// jaffle's staging models are views over its CSV files.
	out, errOut, code := runRecce(t, append([]string{"run", "-o", state, "--fail-on", "mismatch", "--format", "json", "--duckdb-external-access"}, project...)...)
	if code != 0 {
		t.Fatalf("a clean change failed the gate: exit %d: %s\n%s", code, errOut, out)
	}
	rep := readReport(t, out)
	for _, c := range rep.Checks {
		if c.Verdict != check.Clean {
			t.Errorf("%s: %s (%s)", c.Name, c.Verdict, c.Reason)
		}
		approved := c.Type != check.ValueDiff
		if c.Approved != approved {
			t.Errorf("%s: approved %v, want %v (row counts and schema with no change are auto-approved)", c.Name, c.Approved, approved)
		}
	}
	if rep.Status != summary.StatusSuccess {
		t.Errorf("status %s", rep.Status)
	}
	md := recceOK(t, "summary", state)
	if !strings.HasPrefix(md, summary.Marker(summary.StatusSuccess)+"\n"+summary.NoteMarker+"\n# Recce Summary\n**✅ No data mismatch detected: ") || !strings.Contains(md, "No changed module was detected.") {
		t.Errorf("clean summary:\n%s", md)
	}
}

// TestRunDemoEndToEnd is what the README promises: recce demo, then recce
// run in its folder, finds the planted changes and fails the gate.
func TestRunDemoEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	if _, errOut, code := runRecce(t, "demo", dir, "--rows", "3000"); code != 0 {
		t.Fatalf("recce demo: %s", errOut)
	}
	t.Chdir(dir)
	out, errOut, code := cli{env: map[string]string{"HOME": dir}}.run(t, "run", "--summary", "summary.md", "--fail-on", "mismatch",
		"--junit", "recce-junit.xml", "--codequality", "recce-codequality.json")
	if code != 1 || !strings.Contains(errOut, "5 checks found a data mismatch and 0 did not complete") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	// GitLab's reports (issue 14, point 9): five failed test cases, and
	// findings on the models' SQL files.
	junit, _ := os.ReadFile("recce-junit.xml")
	if !strings.Contains(string(junit), `<testsuites name="recce" tests="5" failures="5" errors="0"`) || strings.Count(string(junit), `<failure message="data mismatch: `) != 5 {
		t.Errorf("junit:\n%s", junit)
	}
	var findings []report.Finding
	if b, err := os.ReadFile("recce-codequality.json"); err != nil || json.Unmarshal(b, &findings) != nil || len(findings) < 5 {
		t.Fatalf("code quality: %v %+v", err, findings)
	}
	for _, f := range findings {
		_, err := os.Stat(f.Location.Path)
		switch {
		case f.Severity != report.SeverityMismatch:
			t.Errorf("severity: %+v", f)
		case f.Location.Path == "recce.yml": // a query diff names no model: its entry in recce.yml
			if f.Location.Lines.Begin < 2 {
				t.Errorf("not at the check's entry: %+v", f)
			}
		case strings.Contains(f.Description, "legacy_order_summary"): // removed: its file is gone
			if f.Location.Path != "models/marts/legacy_order_summary.sql" {
				t.Errorf("removed model: %+v", f)
			}
		case err != nil || !strings.HasSuffix(f.Location.Path, ".sql"):
			t.Errorf("finding on a file that is not the model's SQL file: %+v (%v)", f, err)
		}
	}
	for _, want := range []string{"✗ mismatch  Value diff of orders", "State written to recce_state.json, summary to summary.md."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	md, err := os.ReadFile("summary.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), summary.Marker(summary.StatusFailed)) || !strings.Contains(string(md), "<details><summary>Value diff of orders (Value Diff)") {
		t.Errorf("summary:\n%s", md)
	}
	// Re-running the state file with no artifact folders uses the
	// artifacts it embeds, and keeps the checks.
	if err := os.Rename("target", "target.away"); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runRecce(t, "run", "--state-file", "recce_state.json", "-o", "again.json")
	if code != 0 || !strings.Contains(errOut, "using the artifacts of the state file") {
		t.Fatalf("re-run: exit %d: %s", code, errOut)
	}
	a, _ := check.Load("recce_state.json")
	b, _ := check.Load("again.json")
	if len(a.Checks) != len(b.Checks) || a.Checks[0].CheckID != b.Checks[0].CheckID || len(b.Runs) != len(a.Runs) {
		t.Error("the re-run changed the checks")
	}
}

// TestRunLargeProject runs lineage and schema checks (no warehouse) on a
// 10,000-model project where 40 staging models changed: their
// descendants are far too many to draw, so the graph is cut at a whole
// level and says so, and the summary stays within its limits.
func TestRunLargeProject(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 200 MB of artifacts")
	}
	dir := filepath.Join(t.TempDir(), "big")
	if _, errOut, code := runRecce(t, "demo", dir, "--models", "10000", "--artifacts-only"); code != 0 {
		t.Fatalf("recce demo: %s", errOut)
	}
	touchRoots(t, dir, 40)
	t.Chdir(dir)
	checks := "checks:\n  - {name: Lineage, type: lineage_diff, params: {select: 'state:modified+'}}\n  - {name: Schema, type: schema_diff, params: {select: 'state:modified+'}}\n"
	if err := os.WriteFile("recce.yml", []byte(checks), 0o644); err != nil {
		t.Fatal(err)
	}
	// No profiles.yml anywhere: these checks need no warehouse.
	noProfiles := cli{env: map[string]string{"HOME": dir}}
	if _, errOut, code := noProfiles.run(t, "run", "--summary", "summary.md"); code != 0 {
		t.Fatalf("recce run: %s", errOut)
	}
	md, err := os.ReadFile("summary.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	notice := regexp.MustCompile(`The graph is cut after (\d+) of (\d+) levels \((\d+) of (\d+) nodes\)`)
	if !notice.MatchString(s) {
		t.Fatalf("no truncation notice in the summary:\n%.3000s", s)
	}
	start := strings.Index(s, "```mermaid\n")
	end := strings.Index(s[start+1:], "\n```\n")
	if start < 0 || end < 0 {
		t.Fatal("no mermaid block")
	}
	graph := s[start+len("```mermaid\n") : start+1+end+1]
	if n := utf8.RuneCountInString(graph); n > summary.MaxMermaidChars || n < summary.MaxMermaidChars/2 {
		t.Errorf("mermaid text %d characters: at most %d, and not cut far below it", n, summary.MaxMermaidChars)
	}
	if n := utf8.RuneCountInString(s); n > summary.DefaultMaxChars {
		t.Errorf("summary %d characters", n)
	}
	if lines := markdown.ExecutableLines(s); len(lines) > 0 {
		t.Errorf("quick actions: %+v", lines)
	}
	small := recceOK(t, "summary", "recce_state.json", "--max-chars", "5000")
	if n := utf8.RuneCountInString(small); n > 5000 || !strings.Contains(small, "The graph is left out to keep this note within its size limit") {
		t.Errorf("--max-chars 5000: %d characters:\n%s", n, small)
	}
}

// touchRoots changes the materialization of n root models of the current
// manifest (a config change: modified, with all their descendants
// impacted), by editing the file's bytes.
func touchRoots(t *testing.T, dir string, n int) {
	t.Helper()
	path := filepath.Join(dir, "target", "manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := dbt.ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	var roots []string
	for id, node := range m.Nodes {
		if node.ResourceType == dbt.Model && node.Config.Materialized == "view" && len(node.DependsOn.Nodes) > 0 && strings.HasPrefix(node.DependsOn.Nodes[0], "source.") {
			roots = append(roots, id)
		}
	}
	sort.Strings(roots)
	if len(roots) < n {
		t.Fatalf("only %d staging models", len(roots))
	}
	for _, id := range roots[:n] {
		at := bytes.Index(data, []byte(`"`+id+`": {`))
		if at < 0 {
			t.Fatalf("%s not found in the manifest", id)
		}
		rel := bytes.Index(data[at:], []byte(`"materialized": "view"`))
		if rel < 0 {
			t.Fatalf("%s: no materialized", id)
		}
		i := at + rel
		data = append(data[:i:i], append([]byte(`"materialized": "table"`), data[i+len(`"materialized": "view"`):]...)...)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The edit is what the test needs: a change with a large downstream.
	base, cur, err := dbt.LoadPair(t.Context(), filepath.Join(dir, "target-base"), filepath.Join(dir, "target"))
	if err != nil {
		t.Fatal(err)
	}
	impacted := 0
	for _, node := range lineage.Diff(base, cur).Nodes {
		if node.Impacted {
			impacted++
		}
	}
	if impacted < 1000 {
		t.Fatalf("only %d nodes impacted", impacted)
	}
}

func TestRunConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := "checks:\n  - name: Values\n    type: value_diff\n    params: {primary_key: 3}\n  - name: Typo\n    type: row_counts\n"
	if err := os.WriteFile(filepath.Join(dir, "recce.yml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runRecce(t, "run", "--project-dir", dir, "-o", filepath.Join(dir, "s.json"))
	for _, want := range []string{`line 2: check 1 ("Values"): params.model: is required`, `check 1 ("Values"): params.primary_key: must be a string or a list of strings, not a number`,
		`line 5: check 2 ("Typo"): type "row_counts" is not a check type`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error lacks %q:\n%s", want, errOut)
		}
	}
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "s.json")); err == nil {
		t.Error("a state file was written for an invalid configuration")
	}
}

// TestRunWithoutWarehouse: data checks with no profiles.yml are
// incomplete, with the reason, and the artifact checks still run.
func TestRunWithoutWarehouse(t *testing.T) {
	project := jaffleProject(t, "")
	dir := project[1]
	if err := os.Remove(filepath.Join(dir, "profiles.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "recce.yml"), []byte(jaffleChecks), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli{env: map[string]string{"HOME": dir}}.run(t, append([]string{"run", "-o", filepath.Join(dir, "s.json"), "--fail-on", "error", "--format", "json"}, project...)...)
	if code != 1 || !strings.Contains(errOut, "the checks that query data will be incomplete") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, c := range readReport(t, out).Checks {
		switch {
		case c.Type == check.SchemaDiff && c.Verdict != check.Mismatch, c.Type == check.LineageDiff && c.Verdict != check.Info:
			t.Errorf("%s ran from the artifacts: %s", c.Name, c.Verdict)
		case c.Type.NeedsWarehouse() && (c.Verdict != check.Incomplete || !strings.Contains(c.Reason, "this check queries the warehouse, which is not available")):
			t.Errorf("%s: %s %q", c.Name, c.Verdict, c.Reason)
		}
	}
}

// TestPostSummaryFromStateFile: recce gitlab post-summary STATE_FILE renders
// the summary (here of a state written by the reference, with a
// description holding a /close line) and sets the gate from it.
func TestPostSummaryFromStateFile(t *testing.T) {
	e := newGLEnv(t)
	state, err := filepath.Abs("../../internal/check/testdata/reference_state_v0.json")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := e.run(t, e.ci(e.token.Value), "", "gitlab", "post-summary", state, "--commit-status", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if st := e.fake.Statuses(); len(st) != 1 || st[0].State != "failed" {
		t.Fatalf("statuses %+v: the state has mismatches and a failed check", st)
	}
	notes := e.fake.UserNotes(42, e.mr.IID)
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "# Recce Summary") || !strings.Contains(notes[0].Body, summary.Marker(summary.StatusFailed)) {
		t.Fatalf("notes %+v", notes)
	}
	if mr := e.fake.GetMergeRequest(42, e.mr.IID); mr.State != "opened" {
		t.Fatalf("a quick action ran: the merge request is %s", mr.State)
	}
	// What recce summary prints, with the reviewed commit in its history line.
	want := recceOK(t, "summary", state)
	if notes[0].Body != gitlab.SummaryBody(summary.WithHistory(want, "", e.mr.SHA)) {
		t.Error("the posted note is not recce summary's output")
	}
}

// The summary carries the poster's note marker itself, so that what
// `recce summary` prints is exactly what is posted (and --max-chars bounds
// the note): the two constants must stay the same text.
func TestSummaryCarriesTheNoteMarker(t *testing.T) {
	if summary.NoteMarker != gitlab.SummaryMarker {
		t.Fatalf("summary.NoteMarker %q != gitlab.SummaryMarker %q", summary.NoteMarker, gitlab.SummaryMarker)
	}
}

// TestRunWithoutCatalogs is issue 12's first case: no catalog.json on
// either side. recce run's default checks must not call the schema diff
// clean (or approve it), and the summary must not say "no data mismatch".
func TestRunWithoutCatalogs(t *testing.T) {
	noCatalog := fixtures.Variant(t, func(a *fixtures.Artifacts) { a.Catalog = nil }, "dbt", "jaffle-recce", "base")
	dir := t.TempDir()
	state, md := filepath.Join(dir, "state.json"), filepath.Join(dir, "summary.md")
	flags := []string{"--project-dir", dir, "--target-base-path", noCatalog, "--target-path", noCatalog}
	out, errOut, code := runRecce(t, append([]string{"run", "-o", state, "--summary", md, "--fail-on", "error"}, flags...)...)
	if code != 1 || !strings.Contains(errOut, "1 check did not complete (--fail-on error)") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "schema_diff") && (!strings.Contains(line, "! incomplete") || strings.Contains(line, "approved") || !strings.Contains(line, "dbt docs generate")) {
			t.Errorf("schema diff without catalogs: %q", line)
		}
	}
	if !strings.Contains(out, "1 of 2 checks did not complete: the change is not fully validated.") || strings.Contains(out, "No data mismatch") {
		t.Errorf("run output:\n%s", out)
	}
	summaryMD, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(summaryMD), summary.Marker(summary.StatusFailed)) || strings.Contains(strings.ToLower(string(summaryMD)), "no data mismatch") {
		t.Errorf("summary:\n%s", summaryMD)
	}
	st, err := check.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Checks {
		if c.Type == check.SchemaDiff && c.IsChecked {
			t.Error("the schema diff that could not look was approved")
		}
	}
}
