package lineage

import (
	"context"
	"path/filepath"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
)

// BenchmarkLineageDiff10k loads and compares a synthetic pair of 10,000
// models each (about 90 MB per manifest, from the demo generator). The
// comparison with Python's json.load is bench/lineage.sh; see
// docs/benchmarks.md.
func BenchmarkLineageDiff10k(b *testing.B) {
	dir := b.TempDir()
	if _, err := demo.Generate(context.Background(), dir, demo.Options{Models: 10000, ArtifactsOnly: true}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		base, cur, err := dbt.LoadPair(context.Background(), filepath.Join(dir, "target-base"), filepath.Join(dir, "target"))
		if err != nil {
			b.Fatal(err)
		}
		Diff(base, cur)
	}
}
