package check

import (
	"math"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/diff"
)

func init() { jaffleParams[ProfileDiff] = Params{"model": "customers"} }

// TestPrintProfileExact: values equal to the last bit are not a change;
// values that differ in the last bit show with the digits it takes; a
// column on one side only is one line that says so.
func TestPrintProfileExact(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	n := func(v int64) *int64 { return &v }
	avg := 2778.171647
	col := func(name string, a float64) diff.ColumnProfile {
		return diff.ColumnProfile{ColumnName: name, DataType: "DOUBLE", RowCount: 10, DistinctCount: n(10), Avg: f(a), Median: f(2)}
	}
	r := &diff.ProfileResult{Model: "m",
		Base:    []diff.ColumnProfile{col("same", avg), col("near", avg), col("gone", 1)},
		Current: []diff.ColumnProfile{col("same", avg), col("near", math.Nextafter(avg, 3000)), col("new", 1)},
	}
	var b strings.Builder
	if err := WriteText(&b, ProfileDiff, r); err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if fs := strings.Fields(l); len(fs) > 0 {
			lines[fs[0]] = l
		}
	}
	if strings.Contains(lines["same"], "→") {
		t.Errorf("equal values shown as a change: %q", lines["same"])
	}
	if !strings.Contains(lines["near"], "2778.171647 → 2778.1716470000") {
		t.Errorf("a difference in the last digits: %q", lines["near"])
	}
	if !strings.Contains(lines["gone"], "(column removed)") || !strings.Contains(lines["new"], "(column added)") {
		t.Errorf("columns on one side:\n%s", b.String())
	}
}
