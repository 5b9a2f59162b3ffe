package check

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/term"
)

// histogram_diff: a numeric or date column binned on shared edges in both
// environments. A mismatch: a bin's count, or the totals, differ.

// HistogramDiff is the type of a histogram diff check.
const HistogramDiff Type = "histogram_diff"

func init() {
	register(&kind[diff.HistogramParams, *diff.HistogramResult, HistogramDiffResult]{
		typ: HistogramDiff, name: "Histogram diff", warehouse: true,
		params: func(r *paramReader) diff.HistogramParams {
			return diff.HistogramParams{Model: r.str("model", true), ColumnName: r.str("column_name", true), NumBins: r.positiveInt("num_bins", 1000)}
		},
		compare: onWarehouse(diff.Histogram),
		assess: func(c *Check, v *HistogramDiffResult) Outcome {
			bins := 0
			for i := range max(len(v.Base.Counts), len(v.Current.Counts)) {
				if at(v.Base.Counts, i) != at(v.Current.Counts, i) {
					bins++
				}
			}
			changed := bins > 0 || v.Base.Total != v.Current.Total
			return modelOutcome(c, changed, fmt.Sprintf("%d of %d bins differ", bins, max(len(v.Base.Counts), len(v.Current.Counts))))
		},
		figures: func(c *Check, v *HistogramDiffResult) ([]Fact, []Table) {
			t := Table{Title: "Bins whose count differs", Columns: []string{"Bin", "Base", "Current"}, Code: []bool{true, false, false}}
			for i := range max(len(v.Base.Counts), len(v.Current.Counts)) {
				b, cu := at(v.Base.Counts, i), at(v.Current.Counts, i)
				if b == cu {
					continue
				}
				label := strconv.Itoa(i + 1)
				if i < len(v.Labels) {
					label = v.Labels[i]
				}
				t.Rows = append(t.Rows, []string{label, Thousands(b), Thousands(cu)})
			}
			return []Fact{{"Column", firstNonEmpty(v.Column, str(c.Params["column_name"]))}, {"Values (base → current)", Thousands(v.Base.Total) + " → " + Thousands(v.Current.Total)}}, []Table{t}
		},
		text: writeHistogram,
	}, 110)
}

// HistogramDiffResult is a histogram_diff run's result: the reference's
// shape (recce/tasks/histogram.py) {base: {counts, total}, current, min,
// max, bin_edges, labels}, with type, model and column (ours).
type HistogramDiffResult = diff.HistogramResult

func writeHistogram(w io.Writer, r *diff.HistogramResult) error {
	fmt.Fprintf(w, "Histogram of %s.%s (%s, %d base and %d current values)\n\n", r.Model, r.Column, r.Kind, r.Base.Total, r.Current.Total)
	if len(r.Labels) == 0 {
		_, err := fmt.Fprintln(w, "No values on either side.")
		return err
	}
	var top int64 = 1
	for i := range r.Current.Counts {
		top = max(top, r.Current.Counts[i], r.Base.Counts[i])
	}
	t := term.NewTable(w, "BIN", "BASE", "CURRENT", "").AlignRight(1, 2)
	for i, l := range r.Labels {
		b, c := r.Base.Counts[i], r.Current.Counts[i]
		bar := strings.Repeat("█", int(20*c/top))
		if b != c {
			bar = term.Yellow(w, bar)
		}
		t.Row(l, strconv.FormatInt(b, 10), strconv.FormatInt(c, 10), bar)
	}
	return t.Flush()
}
