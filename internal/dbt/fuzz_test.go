package dbt_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"slices"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
)

// Manifests and catalogs arrive in uploads from anyone who can run a
// pipeline: whatever the bytes, the decoders return a value or a
// *dbt.FormatError, never panic or hang, and what they return is safe to
// use. `go test` runs the seeds; fuzz by hand with, for example,
//
//	go test ./internal/dbt -run '^$' -fuzz FuzzParseManifest -fuzztime 5m
//	go test ./internal/dbt -run '^$' -fuzz FuzzParseCatalog -fuzztime 5m

// demoArtifacts generates the demo's artifacts (no data: fast) and returns
// both environments' manifest and catalog bytes.
func demoArtifacts(f *testing.F) (manifests, catalogs [][]byte) {
	f.Helper()
	res, err := demo.Generate(f.Context(), f.TempDir(), demo.Options{ArtifactsOnly: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range []demo.Artifacts{res.Base, res.Current} {
		m, err := os.ReadFile(a.Manifest)
		if err != nil {
			f.Fatal(err)
		}
		c, err := os.ReadFile(a.Catalog)
		if err != nil {
			f.Fatal(err)
		}
		manifests, catalogs = append(manifests, m), append(catalogs, c)
	}
	return manifests, catalogs
}

// pruned keeps an artifact's metadata and its first n entries of each map
// (nodes, sources, macros...): small seeds the fuzzer mutates quickly.
func pruned(f *testing.F, artifact []byte, n int) []byte {
	f.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(artifact, &top); err != nil {
		f.Fatal(err)
	}
	for k, v := range top {
		var entries map[string]json.RawMessage
		if k == "metadata" || json.Unmarshal(v, &entries) != nil {
			continue
		}
		ids := slices.Sorted(maps.Keys(entries))
		kept := map[string]json.RawMessage{}
		for _, id := range ids[:min(n, len(ids))] {
			kept[id] = entries[id]
		}
		top[k], _ = json.Marshal(kept)
	}
	out, err := json.Marshal(top)
	if err != nil {
		f.Fatal(err)
	}
	return out
}

func addSeeds(f *testing.F, full [][]byte) {
	for _, a := range full {
		f.Add(a)
		f.Add(pruned(f, a, 1))
		f.Add(pruned(f, a, 3))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"metadata": {}}`))
	f.Add([]byte(`[]`))
}

// A node whose parent is not in the manifest (found by
// FuzzParseManifest: selection with + panicked on it).
func TestSelectionThroughAMissingParent(t *testing.T) {
	m, err := dbt.ParseManifest([]byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
		"nodes": {"model.p.a": {"resource_type": "model", "name": "a", "package_name": "p",
			"depends_on": {"nodes": ["model.p.gone", "model.p.a"]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := dbt.ParseSelector("+a @a")
	if err != nil {
		t.Fatal(err)
	}
	got, err := sel.Match(dbt.NewManifestGraph(m))
	if err != nil || len(got) != 1 || !got["model.p.a"] {
		t.Errorf("selected %v, %v; want model.p.a alone", got, err)
	}
}

// Columns without a name: their name is their key (found by
// FuzzParseCatalog: reading the key after the column panicked).
func TestColumnsNamedByTheirKey(t *testing.T) {
	c, err := dbt.ParseCatalog([]byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
		"nodes": {"model.p.a": {"columns": {"ID": {"type": "INTEGER", "index": 1}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cols := c.Nodes["model.p.a"].Columns(); len(cols) != 1 || cols[0].Name != "ID" {
		t.Errorf("catalog columns %+v", cols)
	}
	m, err := dbt.ParseManifest([]byte(`{"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
		"nodes": {"model.p.a": {"resource_type": "model", "name": "a", "columns": {"id": {"description": "key"}}}, "model.p.b": null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cols := m.Nodes["model.p.a"].Columns(); len(cols) != 1 || cols[0].Name != "id" || len(m.Nodes) != 1 {
		t.Errorf("manifest columns %+v, nodes %d", cols, len(m.Nodes))
	}
}

// selectors exercise the graph of a decoded manifest: a hostile one may
// hold cycles, dangling and self references.
var selectors = []string{"+orders+", "@customers", "2+stg_orders+3", "tag:nightly,config.materialized:table", "path:models/marts", "*", "package:recce_demo"}

func FuzzParseManifest(f *testing.F) {
	manifests, _ := demoArtifacts(f)
	addSeeds(f, manifests)
	var parsed []*dbt.Selector
	for _, s := range selectors {
		sel, err := dbt.ParseSelector(s)
		if err != nil {
			f.Fatal(err)
		}
		parsed = append(parsed, sel)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := dbt.ParseManifest(data)
		if err != nil {
			var fe *dbt.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("an error that is not a FormatError: %T %v", err, err)
			}
			return
		}
		for id, n := range m.Nodes {
			if n == nil || n.UniqueID == "" {
				t.Fatalf("node %q decoded as %+v", id, n)
			}
			_, _, _, _ = n.Materialized(), n.RelationAlias(), n.Code(), n.Compiled()
			for _, c := range n.Columns() {
				_ = c.Name
			}
			m.Lookup(n.Name)
		}
		m.Children()
		m.TestedColumns("unique")
		g := dbt.NewManifestGraph(m)
		for _, sel := range parsed {
			if _, err := sel.Match(g); err != nil {
				t.Fatalf("selection on a decoded manifest: %v", err)
			}
		}
	})
}

func FuzzParseCatalog(f *testing.F) {
	_, catalogs := demoArtifacts(f)
	addSeeds(f, catalogs)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := dbt.ParseCatalog(data)
		if err != nil {
			var fe *dbt.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("an error that is not a FormatError: %T %v", err, err)
			}
			return
		}
		for id, tb := range c.Nodes {
			if tb == nil || tb.UniqueID != id {
				t.Fatalf("table %q decoded as %+v", id, tb)
			}
			tb.Columns()
		}
	})
}
