package summary

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/demo"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/markdown"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ (review them in the diff)")

// testdata is absolute: difftest.BuildJaffle changes the working directory.
var testdata, _ = filepath.Abs("testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(testdata, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it; review the diff):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	return ""
}

// everyCheck is a recce.yml with each check type on jaffle-recce, a note
// with hostile text, and a check that cannot run.
const everyCheck = `checks:
  - name: Lineage of the change
    type: lineage_diff
    params: {select: "state:modified+"}
  - name: Schema of the change
    type: schema_diff
    params: {select: "state:modified+"}
  - name: Row counts of the change
    type: row_count_diff
    params: {select: "state:modified+"}
  - name: Value diff of customers
    description: |
      Lifetime value is recomputed.
      /close
    type: value_diff
    params: {model: customers, primary_key: customer_id}
  - name: Customers that changed
    type: value_diff_detail
    params: {model: customers, primary_key: customer_id}
  - name: Profile of customers
    type: profile_diff
    params: {model: customers}
  - name: Segments today
    type: query
    params: {sql_template: 'select value_segment, count(*) as n from {{ ref("customer_segments") }} group by 1 order by 1'}
  - name: Segments before
    type: query_base
    params: {sql_template: 'select value_segment, count(*) as n from {{ ref("customer_segments") }} group by 1 order by 1'}
  - name: Orders by status
    type: query_diff
    params:
      sql_template: select status, count(*) as n, sum(amount) as amount from {{ ref("orders") }} group by 1
      primary_keys: [status]
  - name: Top order statuses
    type: top_k_diff
    params: {model: orders, column_name: status, k: 5}
  - name: Lifetime value histogram
    type: histogram_diff
    params: {model: customers, column_name: customer_lifetime_value, num_bins: 8}
  - name: /merge
    description: "/close\n/approve"
    type: simple
  - name: A model that does not exist
    type: top_k_diff
    params: {model: no_such_model, column_name: id}
`

// jaffleState runs every check type on jaffle-recce built in DuckDB and
// returns the state, with a fixed clock so that the summary is stable.
func jaffleState(t *testing.T) *check.State {
	t.Helper()
	j := difftest.BuildJaffle(t)
	ctx := context.Background()
	cfg, err := check.ParseConfig([]byte(everyCheck))
	if err != nil {
		t.Fatal(err)
	}
	w, err := duckdb.Open(ctx, j.DBPath, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	st := &check.State{Checks: cfg.Checks}
	if st.Artifacts.Base, err = check.ReadArtifactFiles(j.BaseDir); err != nil {
		t.Fatal(err)
	}
	if st.Artifacts.Current, err = check.ReadArtifactFiles(j.CurDir); err != nil {
		t.Fatal(err)
	}
	base, cur, err := st.LoadArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	rn := &check.Runner{Env: &check.Env{Base: base, Current: cur, Warehouse: w}}
	for _, r := range rn.RunAll(ctx, st.Checks) {
		if r != nil {
			st.Runs = append(st.Runs, r)
		}
	}
	return st
}

func TestJaffleSummaryGolden(t *testing.T) {
	st := jaffleState(t)
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "jaffle.md", []byte(res.Markdown))
	data, err := json.MarshalIndent(res.Data, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "jaffle.json", append(data, '\n'))

	if lines := markdown.ExecutableLines(res.Markdown); len(lines) > 0 {
		t.Errorf("lines GitLab would run: %+v", lines)
	}
	if !strings.HasPrefix(res.Markdown, Marker(StatusFailed)+"\n") || strings.Count(res.Markdown, "<!-- recce:status=") != 1 {
		t.Error("the status marker must be the first line, once")
	}
	// Deterministic: the state written and read back renders the same
	// bytes (run ids, durations and times differ in no visible way).
	path := filepath.Join(t.TempDir(), "state.json")
	if err := check.Save(context.Background(), path, st); err != nil {
		t.Fatal(err)
	}
	again, err := check.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res2, err := Render(again, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Markdown != res.Markdown {
		t.Errorf("the state read back renders differently:\n%s", firstDiff(res.Markdown, res2.Markdown))
	}
}

// TestDemoSummaryGolden runs the demo project's own recce.yml on its
// DuckDB build: real differences of every kind (rows added, removed and
// modified, a removed column, a retyped one, an added and a removed model).
func TestDemoSummaryGolden(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo")
	d, err := demo.Generate(ctx, dir, demo.Options{Rows: 5000})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := check.LoadConfig(d.Config)
	if err != nil {
		t.Fatal(err)
	}
	w, err := duckdb.Open(ctx, d.Database, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	st := &check.State{Checks: cfg.Checks}
	if st.Artifacts.Base, err = check.ReadArtifactFiles(d.Base.Dir); err != nil {
		t.Fatal(err)
	}
	if st.Artifacts.Current, err = check.ReadArtifactFiles(d.Current.Dir); err != nil {
		t.Fatal(err)
	}
	base, cur, err := st.LoadArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	// DuckDB resolves the relations' catalog from the file name; the demo
	// runs from its folder.
	t.Chdir(dir)
	for _, r := range (&check.Runner{Env: &check.Env{Base: base, Current: cur, Warehouse: w}}).RunAll(ctx, st.Checks) {
		if r.Status != check.Finished {
			t.Fatalf("%s: %s %s", r.Name, r.Status, r.Error)
		}
		st.Runs = append(st.Runs, r)
	}
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.md", []byte(res.Markdown))
	if Status(st) != StatusFailed || res.Data.Checks.Mismatch != len(st.Checks) {
		t.Errorf("the demo's planted changes are mismatches in every check: %+v", res.Data.Checks)
	}
	if lines := markdown.ExecutableLines(res.Markdown); len(lines) > 0 {
		t.Errorf("lines GitLab would run: %+v", lines)
	}
}

// manifestJSON writes a small manifest of models (name -> code), the
// first depending on nothing and each next one on the one before.
func manifestJSON(schema string, models [][2]string) []byte {
	var nodes []string
	prev := ""
	for _, m := range models {
		id := "model.shop." + strings.ReplaceAll(m[0], "\n", "_")
		name, _ := json.Marshal(m[0])
		code, _ := json.Marshal(m[1])
		deps := "[]"
		if prev != "" {
			deps = `["` + prev + `"]`
		}
		idJSON, _ := json.Marshal(id)
		nodes = append(nodes, fmt.Sprintf(`%s: {"unique_id": %s, "name": %s, "resource_type": "model", "package_name": "shop", "schema": %q, "database": "db", "checksum": {"name": "sha256", "checksum": %q}, "config": {"materialized": "table"}, "depends_on": {"nodes": %s, "macros": []}, "raw_code": %s}`,
			idJSON, idJSON, name, schema, fmt.Sprintf("%x", len(m[1])), deps, code))
		prev = id
	}
	return []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.8.1", "generated_at": "2024-11-05T07:48:00Z", "project_name": "shop"}, "nodes": {` +
		strings.Join(nodes, ", ") + `}, "sources": {}, "macros": {}}`)
}

// hostileState has a check named /merge, a description with a /close
// line, and a model whose name carries markdown and commands, found
// mismatched by a row count diff.
func hostileState(t *testing.T) *check.State {
	t.Helper()
	evil := "/approve **bold** `tick` | pipe <b>\n/close"
	st := &check.State{
		Artifacts: check.Artifacts{
			Base:    check.ArtifactFiles{Manifest: manifestJSON("prod", [][2]string{{"orders", "select 1"}, {evil, "select 2"}})},
			Current: check.ArtifactFiles{Manifest: manifestJSON("dev", [][2]string{{"orders", "select 1 + 0"}, {evil, "select 2"}})},
		},
	}
	c := &check.Check{CheckID: "c1", Name: "/merge", Description: "Counts.\n/close\n  /unlabel ~bug", Type: check.RowCountDiff, Params: check.Params{}}
	note := &check.Check{CheckID: "c2", Name: "/merge\n/close", Description: "/close", Type: check.Simple}
	failed := &check.Check{CheckID: "c3", Name: "/assign @me", Type: check.QueryDiff, Params: check.Params{"sql_template": "select 1"}}
	st.Checks = []*check.Check{c, note, failed}
	st.Runs = []*check.Run{
		{RunID: "r1", CheckID: "c1", Type: check.RowCountDiff, Status: check.Finished,
			Result: json.RawMessage(fmt.Sprintf(`{%q: {"base": 10, "curr": 12}, "orders": {"base": 5, "curr": 5}}`, evil))},
		{RunID: "r3", CheckID: "c3", Type: check.QueryDiff, Status: check.Failed, Error: "Parser Error:\n/merge\nsyntax error at or near \"/\""},
	}
	return st
}

func TestNoQuickActionsFromUserText(t *testing.T) {
	st := hostileState(t)
	sum := Build(st)
	if len(sum.Mismatched) != 1 || len(sum.Incomplete) != 1 || sum.Lineage == nil || sum.Lineage.Counts.Changed != 1 {
		t.Fatalf("the test state is not what it means to be: %+v", sum)
	}
	// By construction, before the last-resort neutraliser: every rendering,
	// the leanest included.
	for _, d := range []detail{{tableRows: 50, details: 1, graph: true, listRows: 100, reasonLen: 500}, {tableRows: 1, graph: false, listRows: 1, reasonLen: 10, omitDetail: true}} {
		md := renderMarkdown(sum, d)
		if lines := markdown.ExecutableLines(md); len(lines) > 0 {
			t.Errorf("lines GitLab would run: %+v\n%s", lines, md)
		}
		if strings.Contains(md, `\/`) {
			t.Errorf("the neutraliser had to escape a line: user text began a line\n%s", md)
		}
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(strings.TrimLeft(line, " "), "/") {
				t.Errorf("line begins with a slash: %q", line)
			}
		}
	}
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| /merge | Row Count Diff |", "<summary>/merge (Row Count Diff)", "#lt;b#gt;", "`Parser Error:`"} {
		if !strings.Contains(res.Markdown, want) {
			t.Errorf("missing %q in\n%s", want, res.Markdown)
		}
	}
}

func TestStatus(t *testing.T) {
	st := hostileState(t)
	if Status(st) != StatusFailed {
		t.Error("a mismatch and a failed check: failed")
	}
	st.Checks = st.Checks[1:2] // the note alone
	if Status(st) != StatusSuccess {
		t.Error("a note alone: success")
	}
	st.Checks = []*check.Check{{CheckID: "x", Name: "never ran", Type: check.SchemaDiff}}
	if Status(st) != StatusFailed {
		t.Error("a check that never ran is incomplete: failed")
	}
	res, err := Render(&check.State{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Markdown, Marker(StatusSuccess)+"\n"+NoteMarker+"\n# Recce Summary\n**✅ No checks ran:") || res.Data.Lineage != nil {
		t.Errorf("an empty state:\n%s", res.Markdown)
	}
}

// bigState has many mismatched row count checks of many models each, so
// that the full summary is far over a small limit.
func bigState(checks, models int) *check.State {
	st := &check.State{}
	for i := range checks {
		id := fmt.Sprintf("c%03d", i)
		st.Checks = append(st.Checks, &check.Check{CheckID: id, Name: fmt.Sprintf("Row counts %d", i), Type: check.RowCountDiff, Params: check.Params{}})
		var entries []string
		for m := range models {
			entries = append(entries, fmt.Sprintf(`"model_%04d": {"base": %d, "curr": %d}`, m, 1000+m, 1000+2*m+1))
		}
		st.Runs = append(st.Runs, &check.Run{RunID: "r" + id, CheckID: id, Type: check.RowCountDiff, Status: check.Finished, Result: json.RawMessage("{" + strings.Join(entries, ",") + "}")})
	}
	st.Checks = append(st.Checks, &check.Check{CheckID: "bad", Name: "Broken", Type: check.Query, Params: check.Params{"sql_template": "x"}})
	st.Runs = append(st.Runs, &check.Run{RunID: "rbad", CheckID: "bad", Type: check.Query, Status: check.Failed, Error: strings.Repeat("very long error ", 100)})
	return st
}

// wellFormed checks that markdown was never cut inside a table or a fence:
// fences are balanced, every <details> is closed, and every table row has
// its header's number of cells.
func wellFormed(t *testing.T, md string) {
	t.Helper()
	if strings.Count(md, "\n```mermaid\n") != strings.Count(md, "\n```\n") {
		t.Error("unbalanced fence")
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("unclosed <details>")
	}
	cells := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = -1
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cells == -1 {
			cells = n
		} else if n != cells {
			t.Errorf("table row with %d pipes under a header of %d: %q", n, cells, line)
		}
	}
	if !strings.HasSuffix(md, "\n") {
		t.Error("the markdown does not end with a line break")
	}
}

func TestSummaryWithinMaxChars(t *testing.T) {
	st := bigState(40, 300)
	full, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Data.Notices) != 0 {
		t.Errorf("nothing is left out under the default limit: %v", full.Data.Notices)
	}
	wellFormed(t, full.Markdown)
	fullLen := utf8.RuneCountInString(full.Markdown)
	for _, limit := range []int{fullLen - 1, 40_000, 8_000, 3_000} {
		res, err := Render(st, Options{MaxChars: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if n := utf8.RuneCountInString(res.Markdown); n > limit {
			t.Errorf("limit %d: %d characters", limit, n)
		}
		if len(res.Data.Notices) == 0 || !(strings.Contains(res.Markdown, "left out") || strings.Contains(res.Markdown, "more rows |")) {
			t.Errorf("limit %d: nothing says what was left out", limit)
		}
		if !strings.HasPrefix(res.Markdown, Marker(StatusFailed)+"\n") || !strings.Contains(res.Markdown, "## Checks Summary") {
			t.Errorf("limit %d: the marker and the checks summary are never dropped", limit)
		}
		wellFormed(t, res.Markdown)
	}
	if _, err := Render(st, Options{MaxChars: 100}); err == nil || !strings.Contains(err.Error(), "raise --max-chars") {
		t.Errorf("a limit below the shortest summary: %v", err)
	}
}

// TestReferenceStateFileSummary renders the real state file the reference
// wrote: its schema_diff check, which the reference stores without a run,
// is computed from the artifacts (no false "did not complete"), its value
// diff at 1.19 % is a mismatch, and the query diff shows its rows.
func TestReferenceStateFileSummary(t *testing.T) {
	st, err := check.Load(fixtures.Path(t, "recce-state", "recce_tests_v11.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data
	if d.Checks.Incomplete != 0 || len(d.Incomplete) != 0 || strings.Contains(res.Markdown, "did not complete") || strings.Contains(res.Markdown, "not run") {
		t.Errorf("a reference state file gets false incomplete checks: %+v\n%+v", d.Checks, d.Incomplete)
	}
	if d.Checks.Run != 8 || d.Checks.Mismatch != 4 || d.Status != StatusFailed || Status(st) != d.Status {
		t.Errorf("checks %+v, status %s / %s", d.Checks, d.Status, Status(st))
	}
	for _, want := range []string{
		"1 changed (0 added, 0 removed, 1 modified), 2 impacted downstream.",
		"| `customer_lifetime_value` | 22 | ? | 1.19% |",
		"| Change | first_order_week | avg_lifetime_value |",
		"| only in base | `2019-12-30` | `5639.755102040816` |",
		"| `customer_lifetime_value` | not_null_proportion | `100.00%` | `99.73%` |",
	} {
		if !strings.Contains(res.Markdown, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
	if len(st.Runs) != 17 {
		t.Error("rendering changed the state")
	}
}

// TestSummaryNeverCleanWhenACheckCouldNotSee: artifacts without catalogs
// and a schema_diff check (without a run, as the reference stores it):
// the check is incomplete, saying to run dbt docs generate; the headline
// never says "no data mismatch" and the status is failed.
func TestSummaryNeverCleanWhenACheckCouldNotSee(t *testing.T) {
	noCatalog := func(side string) check.ArtifactFiles {
		dir := fixtures.Variant(t, func(a *fixtures.Artifacts) { a.Catalog = nil }, "dbt", "jaffle-recce", side)
		f, err := check.ReadArtifactFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	st := &check.State{
		Artifacts: check.Artifacts{Base: noCatalog("base"), Current: noCatalog("current")},
		Checks:    []*check.Check{{CheckID: "s", Name: "Schema of modified nodes", Type: check.SchemaDiff, Params: check.Params{"select": "state:modified"}}},
	}
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Data.Status != StatusFailed || !strings.HasPrefix(res.Markdown, Marker(StatusFailed)) || Status(st) != StatusFailed {
		t.Errorf("status %s", res.Data.Status)
	}
	if strings.Contains(strings.ToLower(res.Markdown), "no data mismatch") {
		t.Errorf("the summary says no mismatch:\n%s", res.Markdown)
	}
	if len(res.Data.Incomplete) != 1 || !strings.Contains(res.Data.Incomplete[0].Reason, "dbt docs generate") ||
		res.Data.Headline != "⚠️ 1 of 1 check did not complete: the change is not fully validated." {
		t.Errorf("incomplete %+v, headline %q", res.Data.Incomplete, res.Data.Headline)
	}
}

// TestQueryDiffRowsAreBoundedAndSafe: the changed rows of a query diff are
// shown, within bounds (rows, columns, characters) and as code, so that
// values from the data never run as quick actions or break the table.
func TestQueryDiffRowsAreBoundedAndSafe(t *testing.T) {
	cols := make([]map[string]any, 12)
	for i := range cols {
		cols[i] = map[string]any{"name": fmt.Sprintf("c%d|x", i), "type": "text"}
	}
	row := func(i int, side string) []any {
		r := []any{fmt.Sprintf("/close %d", i), "`tick` | pipe <b>\n/merge", strings.Repeat("long ", 40) + side}
		for len(r) < 12 {
			r = append(r, i)
		}
		return r
	}
	var base, cur [][]any
	for i := range 80 {
		base = append(base, row(i, "base"))
		cur = append(cur, row(i, "current"))
	}
	table := func(rows [][]any) map[string]any { return map[string]any{"columns": cols, "data": rows, "more": false} }
	result, _ := json.Marshal(map[string]any{"base": table(base), "current": table(cur)})
	st := &check.State{
		Checks: []*check.Check{{CheckID: "q", Name: "Query", Type: check.QueryDiff, Params: check.Params{"sql_template": "select 1"}}},
		Runs:   []*check.Run{{RunID: "r", CheckID: "q", Type: check.QueryDiff, Status: check.Finished, Result: result}},
	}
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := res.Markdown
	if lines := markdown.ExecutableLines(md); len(lines) > 0 {
		t.Errorf("lines GitLab would run: %+v", lines)
	}
	wellFormed(t, md)
	for _, want := range []string{"**Rows that differ (the first 8 of 12 columns)**", "| … 110 more rows |", "| only in base | `/close 0` |", "long …`"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(md, "c8\\|x") || strings.Contains(md, strings.Repeat("long ", 20)) {
		t.Error("columns or cells beyond the bounds")
	}
}

// TestRenderUsesTheGivenLineage: recce run and the server's summary job
// pass the lineage diff their checks computed; the summary draws that one
// rather than diffing the artifacts again.
func TestRenderUsesTheGivenLineage(t *testing.T) {
	st := jaffleState(t)
	base, cur, err := st.LoadArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := &check.Env{Base: base, Current: cur}
	got, err := Render(st, Options{Base: base, Current: cur, Lineage: env.Lineage()})
	if err != nil || got.Markdown != want.Markdown {
		t.Fatalf("with the run's lineage the summary differs (%v):\n%s", err, firstDiff(want.Markdown, got.Markdown))
	}
	// Given a lineage of no change (base against itself), that is what
	// the summary says.
	none, err := Render(st, Options{Base: base, Current: cur, Lineage: lineage.Diff(base, base)})
	if err != nil || !strings.Contains(none.Markdown, "No changed module was detected.") || strings.Contains(want.Markdown, "No changed module was detected.") {
		t.Errorf("the given lineage was not used (%v)", err)
	}
}
