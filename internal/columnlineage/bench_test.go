package columnlineage_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
	"gitlab.com/recce-go/recce/internal/lineage"
)

var (
	bench10kOnce sync.Once
	bench10kDir  string
	bench10kErr  error
)

// demo10k generates the synthetic 10,000-model pair once per run, or uses
// the one RECCE_BENCH_DEMO10K names (written by recce demo --models 10000
// --artifacts-only DIR), so that runs alternated with other commands do not
// generate it each time.
func demo10k(b *testing.B) (base, current *dbt.Artifacts) {
	b.Helper()
	bench10kOnce.Do(func() {
		if dir := os.Getenv("RECCE_BENCH_DEMO10K"); dir != "" {
			bench10kDir = dir
			return
		}
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
	cpu := cpuTime()
	defer reportCPU(b, cpu)
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
	cpu := cpuTime()
	defer reportCPU(b, cpu)
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

// BenchmarkAllColumns10kCached is the same with the cache of a previous
// run, persisted and loaded: nothing is parsed.
func BenchmarkAllColumns10kCached(b *testing.B) {
	_, current := demo10k(b)
	p := duckdbparserNew()
	defer p.Close()
	cache := cl.NewCache()
	if _, err := cl.New(p, cache).Project(current).AllLineage(context.Background()); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(bench10kDir, "cll-cache.json")
	if err := cache.SaveFile(path); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer reportCPU(b, cpu)
	for b.Loop() {
		loaded, err := cl.LoadCacheFile(path)
		if err != nil {
			b.Fatal(err)
		}
		pr := cl.New(p, loaded).Project(current)
		if _, err := pr.AllLineage(context.Background()); err != nil {
			b.Fatal(err)
		}
		if st := pr.Stats(); st.Parsed != 0 || st.Cached < 10000 {
			b.Fatalf("%+v", st)
		}
	}
}

// BenchmarkLineageDiff10k and BenchmarkLineageDiffWithColumns10k are what
// recce lineage-diff does without and with categories and the impact
// radius: load both environments, diff them (internal/lineage), then
// classify and compute the impact. The difference is the cost of the
// columns; docs/benchmarks.md compares it with the budget.
func BenchmarkLineageDiff10k(b *testing.B) { benchLineageDiff(b, false) }

func BenchmarkLineageDiffWithColumns10k(b *testing.B) { benchLineageDiff(b, true) }

func benchLineageDiff(b *testing.B, columns bool) {
	demo10k(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	defer reportCPU(b, cpu)
	for b.Loop() {
		ctx := context.Background()
		p := duckdbparserNew()
		if columns {
			// Started while the artifacts load, as a caller would.
			go p.Open(ctx)
		}
		base, current, err := dbt.LoadPair(ctx, filepath.Join(bench10kDir, "target-base"), filepath.Join(bench10kDir, "target"))
		if err != nil {
			b.Fatal(err)
		}
		d := lineage.Diff(base, current)
		if columns {
			var mods []string
			for _, n := range d.Nodes {
				if n.Change == lineage.Modified {
					mods = append(mods, n.UniqueID)
				}
			}
			eng := cl.New(p, nil)
			if _, err := cl.Diff(ctx, eng.Project(base), eng.Project(current), mods); err != nil {
				b.Fatal(err)
			}
		}
		p.Close()
	}
}
