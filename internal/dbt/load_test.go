package dbt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/fixtures"
)

func TestParseManifestEveryVersion(t *testing.T) {
	cases := []struct {
		file    string
		version int
		counts  map[string]int
		macros  int
	}{
		{"manifest-versions/manifests_manifest_v4.json", 4, map[string]int{"model": 5, "seed": 3, "test": 20}, 179},
		{"manifest-versions/manifests_manifest_v5.json", 5, map[string]int{"model": 5, "seed": 3, "test": 20}, 181},
		{"manifest-versions/manifests_manifest_v6.json", 6, map[string]int{"model": 5, "seed": 3, "test": 20}, 267},
		{"manifest-versions/manifests_manifest_v7.json", 7, map[string]int{"model": 5, "seed": 3, "test": 20}, 303},
		{"manifest-versions/manifests_manifest_v8.json", 8, map[string]int{"model": 5, "seed": 3, "test": 19}, 296},
		{"manifest-versions/manifests_manifest_v9.json", 9, map[string]int{"model": 5, "seed": 3, "test": 20}, 322},
		{"manifest-versions/manifests_manifest_v10.json", 10, map[string]int{"model": 5, "seed": 3, "test": 20}, 372},
		{"manifest-versions/manifests_manifest_v11.json", 11, map[string]int{"model": 34, "operation": 2, "seed": 3, "test": 19}, 1064},
		{"manifest-versions/manifests_manifest_v11_no_tracking.json", 11, map[string]int{"model": 5, "seed": 3, "test": 20}, 375},
		{"manifest-versions/target_manifest.json", 11, map[string]int{"model": 5, "seed": 3, "test": 19}, 391},
		{"dbt-core-state/manifest_v10.json", 10, map[string]int{"analysis": 1, "exposure": 1, "metric": 4, "model": 2, "seed": 1, "semantic_model": 1, "snapshot": 1, "source": 1, "test": 3}, 355},
		{"dbt-core-state/manifest_v11.json", 11, map[string]int{"analysis": 1, "exposure": 1, "metric": 4, "model": 2, "seed": 1, "semantic_model": 1, "snapshot": 1, "source": 1, "test": 3}, 404},
		{"dbt-core-state/manifest_v12.json", 12, map[string]int{"analysis": 1, "exposure": 1, "metric": 4, "model": 2, "seed": 1, "semantic_model": 1, "snapshot": 1, "source": 1, "test": 3}, 450},
		{"tuva/v8-dbt1.4.9/manifest.json", 8, map[string]int{"model": 307, "seed": 77, "test": 57}, 459},
		{"tuva/v11-dbt1.7.8/manifest.json", 11, map[string]int{"model": 297, "seed": 77, "test": 57}, 577},
		{"fivetran-jira/base/manifest.json", 12, map[string]int{"analysis": 2, "model": 61, "seed": 22, "source": 18, "test": 40}, 747},
		{"jaffle-recce/current/manifest.json", 12, map[string]int{"model": 9, "source": 3, "test": 25}, 699},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(fixtures.Path(t, "dbt", c.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseManifest(data)
			if err != nil {
				t.Fatal(err)
			}
			if m.SchemaVersion != c.version {
				t.Errorf("schema version %d, want %d", m.SchemaVersion, c.version)
			}
			got := map[string]int{}
			for id, n := range m.Nodes {
				got[n.ResourceType]++
				if n.UniqueID != id {
					t.Errorf("node %s has unique_id %s", id, n.UniqueID)
				}
			}
			if !equalCounts(got, c.counts) {
				t.Errorf("node counts %v, want %v", got, c.counts)
			}
			if len(m.Macros) != c.macros {
				t.Errorf("%d macros, want %d", len(m.Macros), c.macros)
			}
			// Every model has its SQL, whichever key the version used.
			for _, n := range m.Nodes {
				if n.ResourceType == Model && n.Code() == "" {
					t.Errorf("model %s has no code", n.UniqueID)
				}
			}
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestManifestFields(t *testing.T) {
	base, current, err := LoadPair(context.Background(),
		fixtures.Path(t, "dbt", "jaffle-recce", "base"), fixtures.Path(t, "dbt", "jaffle-recce", "current"))
	if err != nil {
		t.Fatal(err)
	}
	c := current.Manifest.Nodes["model.jaffle_shop.customers"]
	if c.Schema != "dev" || c.Database != "jaffle_shop" || c.RelationName != `"jaffle_shop"."dev"."customers"` {
		t.Errorf("relation: %q %q %q", c.Database, c.Schema, c.RelationName)
	}
	if c.Config.Materialized != "table" {
		t.Errorf("materialized %q", c.Config.Materialized)
	}
	want := []string{"customer_id", "first_name", "last_name", "first_order", "most_recent_order", "number_of_orders", "total_order_amount"}
	var cols []string
	for _, col := range c.Columns() {
		cols = append(cols, col.Name)
	}
	if strings.Join(cols, ",") != strings.Join(want, ",") {
		t.Errorf("columns in YAML order: %v, want %v", cols, want)
	}
	if got := strings.Join(c.DependsOn.Nodes, ","); !strings.Contains(got, "model.jaffle_shop.int_customer_orders") {
		t.Errorf("depends_on %s", got)
	}
	if base.Manifest.Nodes["model.jaffle_shop.customers"].Schema != "prod" {
		t.Error("base customers should be in prod")
	}
	if base.Catalog == nil || current.Catalog == nil {
		t.Fatal("catalogs not loaded")
	}
	ct := current.Catalog.Nodes["model.jaffle_shop.customers"]
	if ct == nil || len(ct.Columns()) == 0 || ct.Columns()[0].Name != "customer_id" {
		t.Fatalf("catalog customers: %+v", ct)
	}
	keys := current.Manifest.TestedColumns("unique")["model.jaffle_shop.customers"]
	if len(keys) != 1 || keys[0] != "customer_id" {
		t.Errorf("unique-tested columns of customers: %v", keys)
	}
	if n := current.Manifest.Lookup("customers"); n == nil || n.UniqueID != "model.jaffle_shop.customers" {
		t.Errorf("Lookup(customers) = %v", n)
	}
	if n := current.Manifest.Lookup("jaffle-shop-data.raw_customers"); n == nil || n.ResourceType != Source {
		t.Errorf("Lookup(source) = %v", n)
	}
}

func TestOldManifestRawSQL(t *testing.T) {
	data, err := os.ReadFile(fixtures.Path(t, "dbt", "manifest-versions", "manifests_manifest_v4.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	n := m.Nodes["model.demo.stg_customers"]
	if n == nil || !strings.Contains(n.Code(), "select") || !strings.Contains(n.Compiled(), "select") {
		t.Fatalf("v4 raw_sql/compiled_sql not read: %+v", n)
	}
	if cols := m.TestedColumns("not_null")["model.demo.stg_customers"]; len(cols) == 0 {
		t.Error("v4 tests without attached_node not mapped to their model")
	}
}

func TestDefinitionFingerprintIgnoresVersionNoise(t *testing.T) {
	load := func(v string) *Manifest {
		data, err := os.ReadFile(fixtures.Path(t, "dbt", "dbt-core-state", "manifest_"+v+".json"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	v11, v12 := load("v11"), load("v12")
	for id, n := range v12.Nodes {
		if n.ResourceType != Exposure && n.ResourceType != Metric && n.ResourceType != SemanticModel {
			continue
		}
		if n.Definition == "" {
			t.Errorf("%s has no definition fingerprint", id)
		}
		if o := v11.Nodes[id]; o != nil && o.ResourceType == Exposure && o.Definition != n.Definition {
			t.Errorf("%s: the same exposure written by dbt 1.7 and 1.11 fingerprints differently", id)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	real, err := os.ReadFile(fixtures.Path(t, "dbt", "jaffle-recce", "base", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}

	truncated := write("truncated", "")
	os.WriteFile(filepath.Join(truncated, "manifest.json"), real[:len(real)/2], 0o644)

	catalogOnly := write("catalog-only", "")
	cat, _ := os.ReadFile(fixtures.Path(t, "dbt", "jaffle-recce", "base", "catalog.json"))
	os.WriteFile(filepath.Join(catalogOnly, "catalog.json"), cat, 0o644)

	v13 := write("v13", "")
	os.WriteFile(filepath.Join(v13, "manifest.json"), []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v13.json", "dbt_version": "1.13.0"}, "nodes": {}}`), 0o644)

	fusion := write("fusion", "")
	os.WriteFile(filepath.Join(fusion, "manifest.json"), []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v20.json", "dbt_version": "2.0.0-preview.45"}, "nodes": {}}`), 0o644)

	garbage := write("garbage", "")
	os.WriteFile(filepath.Join(garbage, "manifest.json"), []byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": {"a": [}`), 0o644)

	cases := []struct {
		dir  string
		env  Env
		want []string
	}{
		{filepath.Join(dir, "nope"), Base, []string{"does not exist", "dbt docs generate --target-path", "base branch"}},
		{truncated, Current, []string{"manifest.json", "byte offset", "truncated", "regenerate"}},
		{catalogOnly, Current, []string{"catalog.json but no manifest.json", "dbt docs generate"}},
		{v13, Current, []string{"manifest schema v13", "not supported", "v4 to v12"}},
		{fusion, Base, []string{"manifest schema v20", "2.0.0-preview.45", "not supported", "dbt Fusion's v12"}},
		{garbage, Current, []string{"byte offset 104", "/nodes/a"}},
	}
	for _, c := range cases {
		_, err := Load(context.Background(), c.dir, c.env)
		if err == nil {
			t.Errorf("%s: no error", c.dir)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not say %q", filepath.Base(c.dir), msg, w)
			}
		}
	}
}

// TestFusionManifestIsRead: a manifest as dbt Fusion writes it (dbt_version
// 2.x, schema v12 claimed) is read like dbt Core's of the same project.
func TestFusionManifestIsRead(t *testing.T) {
	fusion := fixtures.Variant(t, func(a *fixtures.Artifacts) { fixtures.Fusion(t, a.Manifest) }, "dbt", "fivetran-jira", "base")
	core, err := Load(context.Background(), fixtures.Path(t, "dbt", "fivetran-jira", "base"), Base)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(context.Background(), fusion, Current)
	if err != nil {
		t.Fatalf("a dbt Fusion manifest is refused: %v", err)
	}
	if f.Manifest.SchemaVersion != 12 || f.Manifest.Metadata.DBTVersion != "2.0.0-preview.76" {
		t.Errorf("schema v%d, dbt %s", f.Manifest.SchemaVersion, f.Manifest.Metadata.DBTVersion)
	}
	if len(f.Manifest.Nodes) != len(core.Manifest.Nodes) || len(f.Manifest.Macros) != len(core.Manifest.Macros) {
		t.Errorf("%d nodes and %d macros, want %d and %d", len(f.Manifest.Nodes), len(f.Manifest.Macros), len(core.Manifest.Nodes), len(core.Manifest.Macros))
	}
	n := f.Manifest.Nodes["model.jira.jira__issue_enhanced"]
	if n == nil || n.Checksum.Name != "SHA256" || n.Code() == "" || n.Config.Materialized != "table" {
		t.Errorf("model read from the Fusion manifest: %+v", n)
	}
}

// TestLoadPairNamesBothErrors: when both manifests are unsupported, the
// error names both, base first, every time (the loads run concurrently).
func TestLoadPairNamesBothErrors(t *testing.T) {
	dir := t.TempDir()
	for _, env := range []string{"base", "current"} {
		if err := os.MkdirAll(filepath.Join(dir, env), 0o755); err != nil {
			t.Fatal(err)
		}
		body := `{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v20.json", "dbt_version": "2.0.0-preview.45"}, "nodes": {}}`
		if err := os.WriteFile(filepath.Join(dir, env, "manifest.json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var first string
	for i := range 30 {
		_, _, err := LoadPair(context.Background(), filepath.Join(dir, "base"), filepath.Join(dir, "current"))
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		b, c := strings.Index(msg, "base artifacts:"), strings.Index(msg, "current artifacts:")
		if b != 0 || c < 0 || strings.Contains(msg, "\n") {
			t.Fatalf("error does not name base then current on one line: %q", msg)
		}
		if i == 0 {
			first = msg
		} else if msg != first {
			t.Fatalf("the error changes from run to run:\n%q\n%q", first, msg)
		}
	}
}

func TestInternalMacroPackages(t *testing.T) {
	for adapter, want := range map[string]string{
		"databricks": "dbt dbt_databricks dbt_spark",
		"redshift":   "dbt dbt_redshift dbt_postgres",
		"synapse":    "dbt dbt_synapse dbt_sqlserver dbt_fabric",
		"snowflake":  "dbt dbt_snowflake",
		"exasol":     "dbt dbt_exasol", // not in the table: its own package by convention
		"":           "dbt",
	} {
		if got := strings.Join(InternalMacroPackages(adapter), " "); got != want {
			t.Errorf("%q: %s, want %s", adapter, got, want)
		}
	}
}
