package check

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// runOne runs a check the way recce run does (run, then auto-approval) and
// returns its run and verdict.
func runOne(t *testing.T, env *Env, c *Check) (*Run, Outcome) {
	t.Helper()
	rn := &Runner{Env: env}
	r := rn.RunAll(context.Background(), []*Check{c})[0]
	return r, Assess(c, r)
}

// wantIncomplete asserts the verdict of a check that could not see what it
// compares: incomplete, with a reason that says what, never approved.
func wantIncomplete(t *testing.T, what string, c *Check, o Outcome, reason ...string) {
	t.Helper()
	if o.Verdict != Incomplete {
		t.Errorf("%s: %s (%s), want incomplete", what, o.Verdict, o.Reason)
	}
	if c.IsChecked {
		t.Errorf("%s: auto-approved", what)
	}
	for _, r := range reason {
		if !strings.Contains(o.Reason, r) {
			t.Errorf("%s: reason %q does not say %q", what, o.Reason, r)
		}
	}
}

func loadDirs(t *testing.T, base, current string) *Env {
	t.Helper()
	b, c, err := dbt.LoadPair(context.Background(), base, current)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Base: b, Current: c}
}

func withoutCatalog(t *testing.T, side string) string {
	return fixtures.Variant(t, func(a *fixtures.Artifacts) { a.Catalog = nil }, "dbt", "jaffle-recce", side)
}

// TestSchemaDiffCannotSeeWithoutCatalogs: with no catalog.json, or one
// missing, a schema diff cannot see the columns: incomplete, saying to run
// dbt docs generate, never clean or approved, never a mismatch.
func TestSchemaDiffCannotSeeWithoutCatalogs(t *testing.T) {
	base, current := fixtures.Path(t, "dbt", "jaffle-recce", "base"), fixtures.Path(t, "dbt", "jaffle-recce", "current")
	noBase, noCurrent := withoutCatalog(t, "base"), withoutCatalog(t, "current")
	for _, c := range []struct {
		name, base, current string
		reason              []string
	}{
		{"no catalogs", noBase, noCurrent, []string{"neither environment has a catalog.json", "dbt docs generate"}},
		{"no base catalog", noBase, current, []string{"base environment has no catalog.json", "dbt docs generate", "base branch"}},
		{"no current catalog", base, noCurrent, []string{"current environment has no catalog.json", "dbt docs generate"}},
	} {
		for _, sel := range []string{"state:modified", ""} {
			ch := &Check{CheckID: "s", Name: "schema", Type: SchemaDiff, Params: Params{"select": sel}}
			r, o := runOne(t, loadDirs(t, c.base, c.current), ch)
			wantIncomplete(t, c.name+" "+sel, ch, o, c.reason...)
			if r.Status != Failed {
				t.Errorf("%s: run %s", c.name, r.Status)
			}
		}
	}
	// Both catalogs: the same check runs and finds the change.
	ch := &Check{CheckID: "s", Name: "schema", Type: SchemaDiff, Params: Params{"select": "state:modified"}}
	if _, o := runOne(t, loadDirs(t, base, current), ch); o.Verdict != Mismatch {
		t.Errorf("with both catalogs: %+v", o)
	}
}

// TestSchemaDiffRelationMissingFromACatalog: a selected relation that one
// catalog lacks was not compared: incomplete, naming it; a real column
// change elsewhere is still a mismatch, with the unseen node said.
func TestSchemaDiffRelationMissingFromACatalog(t *testing.T) {
	current := fixtures.Variant(t, func(a *fixtures.Artifacts) {
		delete(fixtures.Object(t, a.Catalog, "nodes"), "model.jaffle_shop.orders")
	}, "dbt", "jaffle-recce", "current")
	env := loadDirs(t, fixtures.Path(t, "dbt", "jaffle-recce", "base"), current)
	ch := &Check{CheckID: "s", Name: "schema", Type: SchemaDiff, Params: Params{"select": "orders customers"}}
	_, o := runOne(t, env, ch)
	wantIncomplete(t, "orders not in the current catalog", ch, o, "orders not in the current catalog", "dbt docs generate")

	// int_customer_orders is added: all its columns are a change.
	ch = &Check{CheckID: "s", Name: "schema", Type: SchemaDiff, Params: Params{"select": "orders int_customer_orders"}}
	_, o = runOne(t, env, ch)
	if o.Verdict != Mismatch || strings.Join(o.Nodes, ",") != "int_customer_orders" || !strings.Contains(o.Reason, "orders not in the current catalog") {
		t.Errorf("a change and an unseen node: %+v", o)
	}
}

// TestSelectionThatSelectsNothing: a selection that matches nothing (a
// typo) leaves the check nothing to look at: incomplete. When the
// selection depends on the change (state:), nothing selected is the
// answer: nothing of that kind changed.
func TestSelectionThatSelectsNothing(t *testing.T) {
	env := loadDirs(t, fixtures.Path(t, "dbt", "jaffle-recce", "base"), fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	for _, typ := range []Type{LineageDiff, SchemaDiff, RowCountDiff} {
		ch := &Check{CheckID: "x", Name: "typo", Type: typ, Params: Params{"select": "custmers"}}
		_, o := runOne(t, env, ch)
		wantIncomplete(t, string(typ)+" custmers", ch, o, `select "custmers"`, "matched no")
	}
	// Only sources selected: nothing a row count can count.
	ch := &Check{CheckID: "x", Name: "sources", Type: RowCountDiff, Params: Params{"select": "resource_type:source"}}
	_, o := runOne(t, env, ch)
	wantIncomplete(t, "row counts of sources", ch, o, "matched no model, seed or snapshot")

	same := loadDirs(t, fixtures.Path(t, "dbt", "jaffle-recce", "base"), fixtures.Path(t, "dbt", "jaffle-recce", "base"))
	for _, typ := range []Type{SchemaDiff, RowCountDiff} {
		ch := &Check{CheckID: "x", Name: "modified", Type: typ, Params: Params{"select": "state:modified,config.materialized:table"}}
		if _, o := runOne(t, same, ch); o.Verdict != Clean || !strings.Contains(o.Reason, "nothing to") {
			t.Errorf("%s on an unchanged project: %+v", typ, o)
		}
	}
}

// TestEveryCheckTypeThatCannotSee runs every data check type on jaffle
// built in DuckDB where what it compares is not there: a relation dropped
// from the current environment, a model only in one manifest, a query
// that fails, no warehouse. Each is incomplete with its reason, never
// clean, never approved.
func TestEveryCheckTypeThatCannotSee(t *testing.T) {
	j := difftest.BuildJaffle(t)
	ctx := context.Background()
	rw, err := duckdb.Open(ctx, j.DBPath, duckdb.Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.DB().ExecContext(ctx, `drop table "jaffle_shop"."dev"."customer_segments"`); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	w, err := duckdb.Open(ctx, j.DBPath, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	env := loadDirs(t, j.BaseDir, j.CurDir)
	env.Warehouse = w
	segments := Params{"model": "customer_segments"}
	with := func(p Params, kv ...any) Params {
		out := Params{}
		for k, v := range p {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	cases := []struct {
		name   string
		typ    Type
		params Params
		reason string
	}{
		{"row counts, a relation missing in current", RowCountDiff, Params{"select": "orders customer_segments"}, "customer_segments (current table_not_found)"},
		{"value diff, a relation missing", ValueDiff, with(segments, "primary_key", "customer_id"), "customer_segments"},
		{"value detail, a relation missing", ValueDiffDetail, with(segments, "primary_key", "customer_id"), "customer_segments"},
		{"profile, a relation missing", ProfileDiff, segments, "customer_segments"},
		{"top-k, a relation missing", TopKDiff, with(segments, "column_name", "customer_id"), "customer_segments"},
		{"histogram, a relation missing", HistogramDiff, with(segments, "column_name", "customer_id"), "customer_segments"},
		{"value diff of an added model", ValueDiff, Params{"model": "int_customer_orders", "primary_key": "customer_id"}, "not in the base manifest"},
		{"query diff that fails", QueryDiff, Params{"sql_template": `select nope from {{ ref("orders") }}`}, "nope"},
		{"query that fails", Query, Params{"sql_template": `select * from {{ ref("customer_segments") }}`}, "customer_segments"},
	}
	for _, c := range cases {
		ch := &Check{CheckID: "c", Name: c.name, Type: c.typ, Params: c.params}
		_, o := runOne(t, env, ch)
		wantIncomplete(t, c.name, ch, o, c.reason)
	}
	// Without a warehouse, every data check type is incomplete and says
	// why; the artifact checks still run.
	bare := &Env{Base: env.Base, Current: env.Current, NoWarehouse: os.ErrNotExist}
	for _, typ := range Types {
		if !typ.NeedsWarehouse() {
			continue
		}
		params := map[Type]Params{
			RowCountDiff: {"select": "orders"}, ValueDiff: with(segments, "primary_key", "customer_id"),
			ValueDiffDetail: with(segments, "primary_key", "customer_id"), ProfileDiff: segments,
			Query: {"sql_template": "select 1"}, QueryBase: {"sql_template": "select 1"}, QueryDiff: {"sql_template": "select 1"},
			TopKDiff: with(segments, "column_name", "customer_id"), HistogramDiff: with(segments, "column_name", "customer_id"),
		}[typ]
		ch := &Check{CheckID: "w", Name: string(typ), Type: typ, Params: params}
		_, o := runOne(t, bare, ch)
		wantIncomplete(t, string(typ)+" without a warehouse", ch, o, "warehouse, which is not available")
	}
}

// TestRowCountVerdicts: what each side's status means. A count on one side
// and not_in_manifest on the other is a model added or removed: a
// mismatch. A relation the warehouse lacks or refuses was not counted:
// incomplete. Ephemeral models have nothing to count.
func TestRowCountVerdicts(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	meta := func(s string) *RowCountMeta { return &RowCountMeta{Status: s} }
	for _, c := range []struct {
		name  string
		entry RowCountEntry
		want  Verdict
	}{
		{"equal", RowCountEntry{Base: n(5), Curr: n(5)}, Clean},
		{"differ", RowCountEntry{Base: n(5), Curr: n(6)}, Mismatch},
		{"added", RowCountEntry{Curr: n(6), BaseMeta: meta("not_in_manifest")}, Mismatch},
		{"removed", RowCountEntry{Base: n(6), CurrMeta: meta("not_in_manifest")}, Mismatch},
		{"made ephemeral", RowCountEntry{Base: n(6), CurrMeta: meta("unsupported_materialization")}, Mismatch},
		{"not built in current", RowCountEntry{Base: n(6), CurrMeta: meta("table_not_found")}, Incomplete},
		{"built nowhere", RowCountEntry{BaseMeta: meta("table_not_found"), CurrMeta: meta("table_not_found")}, Incomplete},
		{"not readable", RowCountEntry{Base: n(6), CurrMeta: meta("permission_denied")}, Incomplete},
		{"added, not built", RowCountEntry{BaseMeta: meta("not_in_manifest"), CurrMeta: meta("table_not_found")}, Incomplete},
		{"no count, no reason (older reference)", RowCountEntry{}, Incomplete},
		{"ephemeral", RowCountEntry{BaseMeta: meta("unsupported_materialization"), CurrMeta: meta("unsupported_materialization")}, Clean},
	} {
		res, _ := json.Marshal(RowCountDiffResult{"m": c.entry})
		ch := &Check{CheckID: "r", Type: RowCountDiff}
		if o := Assess(ch, &Run{Type: RowCountDiff, Status: Finished, Result: res}); o.Verdict != c.want {
			t.Errorf("%s: %+v, want %s", c.name, o, c.want)
		}
	}
}

// TestReferenceStateFileV11 reads the real state file the reference wrote
// (recce 0.45, dbt 1.7): its schema_diff check has no run, as in every
// state file of the reference, which computes it from the artifacts; so
// does recce. Its statuses are lower case and its value diff's figures
// strings: a column at 1.19 % is a mismatch, not clean.
func TestReferenceStateFileV11(t *testing.T) {
	path := fixtures.Path(t, "recce-state", "recce_tests_v11.json")
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	latest := LatestRuns(s.Runs)
	byName := map[string]*Check{}
	for _, c := range s.Checks {
		byName[c.Name] = c
	}
	schema := byName["Model schema of customers, orders and modified nodes"]
	if schema == nil || latest[schema.CheckID] != nil {
		t.Fatal("the reference's file has a schema_diff check without a run")
	}
	if o := Assess(schema, nil); o.Verdict != Incomplete {
		t.Fatalf("without its computed run: %+v", o)
	}
	runs := s.ArtifactRuns(nil, nil)
	if len(runs) != 1 || runs[0].CheckID != schema.CheckID || runs[0].Status != Finished || runs[0].RunAt != s.Metadata.GeneratedAt {
		t.Fatalf("computed runs %+v", runs)
	}
	if again := s.ArtifactRuns(nil, nil); again[0].RunID != runs[0].RunID || string(again[0].Result) != string(runs[0].Result) {
		t.Error("the computed run is not the same every time")
	}
	if len(s.Runs) != 17 {
		t.Errorf("ArtifactRuns changed the state: %d runs", len(s.Runs))
	}
	all := LatestRuns(s.WithArtifactRuns(nil, nil).Runs)
	want := map[string]Verdict{
		"Model schema of customers, orders and modified nodes":     Clean, // customers, orders: the same columns
		"Row count of customers, orders and modified table model":  Clean,
		"Value diff of customers":                                  Mismatch,
		"Query diff of customers avg lifetime value":               Mismatch,
		"Profile diff of customers":                                Mismatch,
		"Row count diff of customers":                              Clean,
		"Histogram diff of customers.customer_lifetime_value ":     Mismatch,
		"Top-k diff of customer_segments.order_frequency_segment ": Clean,
	}
	for name, v := range want {
		c := byName[name]
		if c == nil {
			t.Errorf("no check %q", name)
			continue
		}
		if o := Assess(c, all[c.CheckID]); o.Verdict != v {
			t.Errorf("%s: %+v, want %s", name, o, v)
		}
	}
	if o := Assess(byName["Value diff of customers"], all[byName["Value diff of customers"].CheckID]); !strings.Contains(o.Reason, "1 column below 100% match") {
		t.Errorf("value diff reason %q", o.Reason)
	}
	for _, r := range s.Runs {
		if r.Status != Finished && r.Status != Failed {
			t.Errorf("run %s: status %q not read", r.RunID, r.Status)
		}
	}

	// A lineage_diff check added to the file is computed the same way.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["checks"] = append(m["checks"].([]any), map[string]any{"check_id": "8b0f3a52-5c1e-4b8e-9d1f-2a6c7e4b9f10", "name": "Lineage",
		"description": "", "type": "lineage_diff", "params": map[string]any{"select": "state:modified+"}, "is_checked": false, "is_preset": true})
	out, _ := json.Marshal(m)
	copyPath := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(copyPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	lin := s2.Checks[len(s2.Checks)-1]
	if o := Assess(lin, LatestRuns(s2.WithArtifactRuns(nil, nil).Runs)[lin.CheckID]); o.Verdict != Info ||
		o.Reason != "1 changed (0 added, 0 removed, 1 modified), 2 impacted downstream" {
		t.Errorf("lineage check: %+v", o)
	}

	// Artifacts that cannot be read: the computed runs fail, saying why.
	s2.Artifacts.Current.Manifest = nil
	if r := s2.ArtifactRuns(nil, nil); len(r) != 2 || r[0].Status != Failed || !strings.Contains(r[0].Error, "no current manifest") {
		t.Errorf("runs from missing artifacts: %+v", r[0])
	}
}

// TestStateArtifactsBothErrors: both embedded manifests unreadable: the
// error names both, base first.
func TestStateArtifactsBothErrors(t *testing.T) {
	v13 := []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v13.json", "dbt_version": "1.13.0"}, "nodes": {}}`)
	s := &State{Artifacts: Artifacts{Base: ArtifactFiles{Manifest: v13}, Current: ArtifactFiles{Manifest: v13}}}
	_, _, err := s.LoadArtifacts()
	if err == nil || !strings.HasPrefix(err.Error(), "base manifest in the state file") || !strings.Contains(err.Error(), "; and current manifest in the state file") {
		t.Errorf("error %v", err)
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		ratio float64
		want  string
	}{
		{98300.0 / 99800, "98.50%"}, // 98.4969...: the summary said 98.49, the CLI 98.50
		{0.99996, "99.99%"},         // never 100.00% unless it is
		{1, "100.00%"},
		{0, "0.00%"},
		{0.00004, "0.01%"}, // never 0.00% unless it is
		{-0.00004, "-0.01%"},
		{1.00004, "100.01%"},
		{-0.99996, "-99.99%"},
		{0.5, "50.00%"},
		{0.000049999, "0.01%"},
		{0.12345, "12.35%"}, // half away from zero
		{-0.12345, "-12.35%"},
		{2.5, "250.00%"},
		{math.NaN(), "n/a"},
	} {
		if got := Percent(c.ratio); got != c.want {
			t.Errorf("Percent(%v) = %s, want %s", c.ratio, got, c.want)
		}
	}
	if b, c := PercentPair(0.984969, 0.984970); b == c || b != "98.4969%" || c != "98.4970%" {
		t.Errorf("PercentPair of different values: %s %s", b, c)
	}
	if b, c := PercentPair(0.25, 0.25); b != "25.00%" || c != b {
		t.Errorf("PercentPair of equal values: %s %s", b, c)
	}
	if b, c := NumberPair(2778.171647, math.Nextafter(2778.171647, 3000), 4); b == c || b != "2778.171647" {
		t.Errorf("NumberPair shows different values alike: %s %s", b, c)
	}
	if b, c := NumberPair(2778.171647, 2778.171647, 4); b != "2778.1716" || c != b {
		t.Errorf("NumberPair of equal values: %s %s", b, c)
	}
	if b, c := NumberPair(0.5, 0.25, 4); b != "0.5" || c != "0.25" {
		t.Errorf("NumberPair trims zeros: %s %s", b, c)
	}
}

// TestProfileDifferencesExact: on the reference's real profile result,
// equal values are no difference, a value that differs in the last digit
// is, and a column on one side only is one difference, not one per
// statistic.
func TestProfileDifferencesExact(t *testing.T) {
	s, err := Load(fixtures.Path(t, "recce-state", "recce_tests_v11.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res *ProfileDiffResult
	for _, r := range s.Runs {
		if r.Type == ProfileDiff && r.CheckID != "" {
			v, err := DecodeResult(r)
			if err != nil {
				t.Fatal(err)
			}
			res = v.(*ProfileDiffResult)
		}
	}
	if res == nil {
		t.Fatal("no profile run")
	}
	before := ProfileDifferences(res)
	for _, d := range before {
		if d.Column != "customer_lifetime_value" || d.Change != "" {
			t.Errorf("unexpected difference %+v", d)
		}
	}
	// Remove first_name from current and nudge an equal average of base.
	var kept [][]any
	for _, row := range res.Current.Data {
		if row[0] != "first_name" {
			kept = append(kept, row)
		}
	}
	res.Current.Data = kept
	avgIdx := -1
	for i, c := range res.Base.Columns {
		if c.Name == "avg" {
			avgIdx = i
		}
	}
	var nudged string
	for _, row := range res.Base.Data {
		if f, ok := Float(row[avgIdx]); ok && row[0] != "customer_lifetime_value" {
			row[avgIdx] = math.Nextafter(f, math.Inf(1))
			nudged = row[0].(string)
			break
		}
	}
	after := ProfileDifferences(res)
	removed, stats := 0, 0
	for _, d := range after {
		switch {
		case d.Column == "first_name":
			removed++
			if d.Change != "removed" || d.Stat != "" {
				t.Errorf("removed column: %+v", d)
			}
		case d.Column == nudged:
			stats++
			if d.Stat != "avg" {
				t.Errorf("nudged column: %+v", d)
			}
		}
	}
	if removed != 1 || stats != 1 || len(after) != len(before)+2 {
		t.Errorf("%d lines for the removed column, %d for the nudged average; %d differences, %d before", removed, stats, len(after), len(before))
	}
}
