package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
)

// manifest has the models orders and customers, with their SQL files.
func manifest(schema string) []byte {
	node := func(name string) string {
		return fmt.Sprintf(`"model.shop.%[1]s": {"unique_id": "model.shop.%[1]s", "name": %[1]q, "resource_type": "model", "package_name": "shop", "schema": %[2]q, "database": "db",
			"original_file_path": "models/marts/%[1]s.sql", "path": "marts/%[1]s.sql", "checksum": {"name": "sha256", "checksum": "x"}, "config": {"materialized": "table"}, "depends_on": {"nodes": [], "macros": []}, "raw_code": "select 1"}`, name, schema)
	}
	return []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "dbt_version": "1.8.1", "project_name": "shop"}, "nodes": {` +
		node("orders") + "," + node("customers") + `}, "sources": {}, "macros": {}}`)
}

// state: a row count mismatch on orders (customers clean), a value diff
// of customers that failed, a schema diff of nothing in particular that
// failed, an approved mismatch, a lineage diff (info), a note, and a
// check whose name is hostile XML.
func state() *check.State {
	st := &check.State{Artifacts: check.Artifacts{
		Base:    check.ArtifactFiles{Manifest: manifest("prod")},
		Current: check.ArtifactFiles{Manifest: manifest("dev")},
	}}
	add := func(id, name string, typ check.Type, params check.Params, approved bool, run *check.Run) {
		st.Checks = append(st.Checks, &check.Check{CheckID: id, Name: name, Type: typ, Params: params, IsChecked: approved})
		if run != nil {
			run.CheckID, run.Type, run.RunID = id, typ, "r-"+id
			st.Runs = append(st.Runs, run)
		}
	}
	add("c1", "Row counts", check.RowCountDiff, check.Params{"select": "state:modified"}, false,
		&check.Run{Status: check.Finished, DurationMS: 1500, Result: json.RawMessage(`{"orders": {"base": 10, "curr": 12}, "customers": {"base": 5, "curr": 5}}`)})
	add("c2", "Customers values", check.ValueDiff, check.Params{"model": "customers", "primary_key": "id"}, false,
		&check.Run{Status: check.Failed, Error: "Catalog Error: Table with name customers does not exist!\nmore"})
	add("c3", "Schema of everything", check.SchemaDiff, check.Params{}, false, &check.Run{Status: check.Failed, Error: "no catalog"})
	add("c4", "Approved counts", check.RowCountDiff, check.Params{"node_names": []any{"customers"}}, true,
		&check.Run{Status: check.Finished, Result: json.RawMessage(`{"customers": {"base": 5, "curr": 6}}`)})
	add("c5", "Lineage", check.LineageDiff, check.Params{}, false, &check.Run{Status: check.Finished, Result: json.RawMessage(`{"nodes": [], "impacted": 0, "selected": 2}`)})
	add("c6", "A note", check.Simple, nil, false, nil)
	add("c7", `</testcase><x a="1">&`, check.QueryDiff, check.Params{"sql_template": "select 1"}, false, nil)
	return st
}

func TestJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, Input{State: state()}); err != nil {
		t.Fatal(err)
	}
	var doc testSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	s := doc.Suites[0]
	if doc.Tests != 6 || doc.Failures != 2 || doc.Errors != 3 || s.Tests != 6 || len(s.Cases) != 6 {
		t.Fatalf("counts: %+v\n%s", doc, b.String())
	}
	byName := map[string]testCase{}
	for _, c := range s.Cases {
		byName[c.Name] = c
	}
	rc := byName["Row counts"]
	if rc.Failure == nil || rc.Failure.Type != "mismatch" || !strings.Contains(rc.Failure.Message, "data mismatch") ||
		!strings.Contains(rc.Failure.Text, "orders") || rc.Time != "1.500" || rc.Classname != "recce.row_count_diff" || rc.File != "models/marts/orders.sql" {
		t.Errorf("row counts: %+v", rc)
	}
	if v := byName["Customers values"]; v.Error == nil || v.Error.Type != "incomplete" || !strings.Contains(v.Error.Message, "Table with name customers does not exist") {
		t.Errorf("value diff: %+v", v)
	}
	if v := byName[`</testcase><x a="1">&`]; v.Error == nil || !strings.Contains(v.Error.Message, "not run") {
		t.Errorf("never run: %+v", v)
	}
	if v := byName["Approved counts"]; v.Failure == nil || !strings.Contains(v.Failure.Message, "approved in recce") {
		t.Errorf("approved: %+v", v)
	}
	if v := byName["Lineage"]; v.Failure != nil || v.Error != nil {
		t.Errorf("lineage: %+v", v)
	}
	if _, ok := byName["A note"]; ok {
		t.Error("a note is not a test")
	}
}

func TestCodeQuality(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "recce.yml"), []byte("checks:\n  - name: Row counts\n    type: row_count_diff\n  - name: \"Schema of everything\"\n    type: schema_diff\n"), 0o644)
	in := Input{State: state(), Root: dir, Config: "recce.yml"}
	findings := CodeQuality(in)
	got := map[string]Finding{}
	for _, f := range findings {
		got[f.CheckName+" "+f.Location.Path] = f
		if f.Fingerprint == "" || f.Location.Lines.Begin < 1 {
			t.Errorf("finding %+v", f)
		}
	}
	if len(findings) != 5 {
		t.Fatalf("%d findings: %+v", len(findings), findings)
	}
	orders := got["recce/row_count_diff "+filepath.Join(dir, "models/marts/orders.sql")]
	if orders.Severity != SeverityMismatch || !strings.Contains(orders.Description, "in orders") || !strings.Contains(orders.Description, `"Row counts"`) {
		t.Errorf("orders: %+v", orders)
	}
	if f := got["recce/value_diff "+filepath.Join(dir, "models/marts/customers.sql")]; f.Severity != SeverityIncomplete || !strings.Contains(f.Description, "did not complete") {
		t.Errorf("value diff: %+v", f)
	}
	if f := got["recce/schema_diff "+filepath.Join(dir, "recce.yml")]; f.Location.Lines.Begin != 4 || f.Severity != SeverityIncomplete {
		t.Errorf("schema diff points at its recce.yml entry: %+v", f)
	}
	if f := got["recce/row_count_diff "+filepath.Join(dir, "models/marts/customers.sql")]; f.Severity != SeverityApproved {
		t.Errorf("approved: %+v", f)
	}
	// Stable: the same findings from the checks in another order, with
	// other ids and runs.
	again := state()
	for i, j := 0, len(again.Checks)-1; i < j; i, j = i+1, j-1 {
		again.Checks[i], again.Checks[j] = again.Checks[j], again.Checks[i]
	}
	for _, c := range again.Checks {
		c.CheckID += "-other"
	}
	for _, r := range again.Runs {
		r.CheckID += "-other"
	}
	fps := map[string]bool{}
	for _, f := range CodeQuality(Input{State: again, Root: dir, Config: "recce.yml"}) {
		fps[f.Fingerprint] = true
	}
	for _, f := range findings {
		if !fps[f.Fingerprint] {
			t.Errorf("fingerprint of %q changed between runs", f.Description)
		}
	}
	var b bytes.Buffer
	if err := WriteCodeQuality(&b, Input{State: &check.State{Artifacts: state().Artifacts}}); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("no finding is an empty array: %q %v", b.String(), err)
	}
}
