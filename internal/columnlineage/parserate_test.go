package columnlineage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
)

// sharedManifests are the real projects of the shared test data whose
// manifests carry compiled SQL (flow-models has it on one side of each
// pair only), with their catalogs where they have one.
var sharedManifests = []string{
	"jaffle-recce/base", "jaffle-recce/current",
	"jaffle-recce-history/base", "jaffle-recce-history/current",
	"fivetran-jira/base", "fivetran-jira/current",
	"flow-models/v5/base", "flow-models/v4-to-v5/current",
	"tuva/v11-dbt1.7.8", "tuva/v8-dbt1.4.9",
	"manifest-versions/manifests_manifest_v11_no_tracking.json", "manifest-versions/target_manifest.json",
}

func loadShared(t *testing.T, rel string) *dbt.Artifacts {
	t.Helper()
	p := fixtures.Path(t, append([]string{"dbt"}, strings.Split(rel, "/")...)...)
	if strings.HasSuffix(p, ".json") {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := dbt.ParseManifest(data)
		if err != nil {
			t.Fatal(err)
		}
		return &dbt.Artifacts{Manifest: m, ManifestPath: p, Dir: filepath.Dir(p)}
	}
	a, err := dbt.Load(context.Background(), p, dbt.Current)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestParseRateOnSharedProjects measures, per adapter, how many models'
// compiled SQL parses as the adapter's SQL (normalised) and as plain
// DuckDB SQL, and how many columns end up of unknown lineage. The figures
// are in docs/benchmarks.md; every model parses.
func TestParseRateOnSharedProjects(t *testing.T) {
	type rate struct{ models, parsed, raw, columns, unknown int }
	rates := map[string]*rate{}
	for _, rel := range sharedManifests {
		a := loadShared(t, rel)
		adapter := a.Manifest.Metadata.AdapterType
		var sqls []string
		for _, n := range a.Manifest.Nodes {
			if (n.ResourceType == dbt.Model || n.ResourceType == dbt.Snapshot) && strings.TrimSpace(n.Compiled()) != "" {
				sqls = append(sqls, n.Compiled())
			}
		}
		if len(sqls) == 0 {
			t.Fatalf("%s: no compiled SQL", rel)
		}
		r := rates[adapter]
		if r == nil {
			r = &rate{}
			rates[adapter] = r
		}
		r.models += len(sqls)
		for _, pass := range []struct {
			dialect string
			count   *int
		}{{adapter, &r.parsed}, {"duckdb", &r.raw}} {
			var ok atomic.Int64
			err := parser.Parse(context.Background(), pass.dialect, sqls, func(_ int, q *cl.Query, _ error) {
				if q != nil {
					ok.Add(1)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			*pass.count += int(ok.Load())
		}
		ms, err := cl.New(parser, nil).Project(a).AllLineage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if n := a.Manifest.Nodes[m.UniqueID]; n.ResourceType != dbt.Model && n.ResourceType != dbt.Snapshot {
				continue
			}
			for _, c := range m.Columns {
				r.columns++
				if c.Transformation == cl.TransformUnknown {
					r.unknown++
				}
			}
		}
	}
	adapters := make([]string, 0, len(rates))
	for a := range rates {
		adapters = append(adapters, a)
	}
	sort.Strings(adapters)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| adapter | models | parsed | as plain DuckDB SQL | columns | unknown columns |\n|---|---|---|---|---|---|\n")
	for _, a := range adapters {
		r := rates[a]
		fmt.Fprintf(&b, "| %s | %d | %d (%.1f %%) | %d (%.1f %%) | %d | %d (%.2f %%) |\n", a, r.models,
			r.parsed, 100*float64(r.parsed)/float64(r.models), r.raw, 100*float64(r.raw)/float64(r.models),
			r.columns, r.unknown, 100*float64(r.unknown)/float64(max(1, r.columns)))
		if r.parsed != r.models {
			t.Errorf("%s: %d of %d models parsed", a, r.parsed, r.models)
		}
	}
	t.Log(b.String())
	if s := rates["snowflake"]; s == nil || s.raw >= s.parsed {
		t.Errorf("normalisation gained nothing on Snowflake: %+v", s)
	}
}
