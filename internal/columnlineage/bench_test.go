package columnlineage_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
)

var (
	bench10kOnce sync.Once
	bench10kDir  string
	bench10kErr  error
)

// demo10k generates the synthetic 10,000-model pair once per run.
func demo10k(b *testing.B) (base, current *dbt.Artifacts) {
	b.Helper()
	bench10kOnce.Do(func() {
		bench10kDir, bench10kErr = filepathTemp()
		if bench10kErr == nil {
			_, bench10kErr = demo.Generate(context.Background(), bench10kDir, demo.Options{Models: 10000, ArtifactsOnly: true})
		}
	})
	if bench10kErr != nil {
		b.Fatal(bench10kErr)
	}
	base, current, err := dbt.LoadPair(context.Background(), filepath.Join(bench10kDir, "target-base"), filepath.Join(bench10kDir, "target"))
	if err != nil {
		b.Fatal(err)
	}
	return base, current
}

// BenchmarkAllColumns10k is the lineage of every column of every model of
// the synthetic 10,000-model project (current side), from cold: no cache,
// a fresh parser (DuckDB started inside the timing).
func BenchmarkAllColumns10k(b *testing.B) {
	_, current := demo10k(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := duckdbparserNew()
		pr := cl.New(p, nil).Project(current)
		ms, err := pr.AllLineage(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if st := pr.Stats(); st.Parsed < 10000 || len(ms) == 0 {
			b.Fatalf("parsed %+v", st)
		}
		p.Close()
	}
}

// BenchmarkDiff10k is what lineage-diff adds for categories and the
// impact radius on the synthetic pair: both environments' projects, the
// categories of the modified models and the impact over the whole graph,
// from cold (fresh parser, no cache).
func BenchmarkDiff10k(b *testing.B) {
	base, current := demo10k(b)
	mods := modified(base, current)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := duckdbparserNew()
		eng := cl.New(p, nil)
		res, err := cl.Diff(context.Background(), eng.Project(base), eng.Project(current), mods)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Impacts) < 10000 {
			b.Fatalf("%d impacts", len(res.Impacts))
		}
		p.Close()
	}
}
