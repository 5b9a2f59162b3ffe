package check

import (
	"fmt"
	"io"
	"reflect"
	"strconv"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/term"
)

// top_k_diff: the k most frequent values of a column, counted in both
// environments. A mismatch: a value's count, or the non-null or total
// counts, differ.

// TopKDiff is the type of a top-k diff check.
const TopKDiff Type = "top_k_diff"

func init() {
	register(&kind[diff.TopKParams, *diff.TopKResult, TopKDiffResult]{
		typ: TopKDiff, name: "Top-K diff", warehouse: true,
		params: func(r *paramReader) diff.TopKParams {
			return diff.TopKParams{Model: r.str("model", true), ColumnName: r.str("column_name", true), K: r.positiveInt("k", 1000)}
		},
		compare: onWarehouse(diff.TopK),
		assess: func(c *Check, v *TopKDiffResult) Outcome {
			changed := !reflect.DeepEqual(v.Base.Counts, v.Current.Counts) || v.Base.Valids != v.Current.Valids || v.Base.Total != v.Current.Total
			return modelOutcome(c, changed, fmt.Sprintf("%d top values; %d rows in base, %d in current", len(v.Current.Values), v.Base.Total, v.Current.Total))
		},
		figures: func(c *Check, v *TopKDiffResult) ([]Fact, []Table) {
			t := Table{Title: "Values whose count differs", Columns: []string{"Value", "Base", "Current"}, Code: []bool{true, false, false}}
			for i, val := range v.Current.Values {
				b, cu := at(v.Base.Counts, i), at(v.Current.Counts, i)
				if b != cu {
					t.Rows = append(t.Rows, []string{valueText(val), Thousands(b), Thousands(cu)})
				}
			}
			return []Fact{{"Column", firstNonEmpty(v.Column, str(c.Params["column_name"]))}, {"Rows (base → current)", Thousands(v.Base.Total) + " → " + Thousands(v.Current.Total)},
				{"Non-null (base → current)", Thousands(v.Base.Valids) + " → " + Thousands(v.Current.Valids)}}, []Table{t}
		},
		text: writeTopK,
	}, 100)
}

// TopKDiffResult is a top_k_diff run's result: the reference's shape
// (recce/tasks/top_k.py) {base, current} each {values, counts, valids,
// total}, with model and column (ours).
type TopKDiffResult = diff.TopKResult

func writeTopK(w io.Writer, r *diff.TopKResult) error {
	fmt.Fprintf(w, "Top %d values of %s.%s\n\n", len(r.Current.Values), r.Model, r.Column)
	t := term.NewTable(w, "VALUE", "BASE", "CURRENT", "CHANGE").AlignRight(1, 2, 3)
	for i, v := range r.Current.Values {
		b, c := r.Base.Counts[i], r.Current.Counts[i]
		change := ""
		if b != c {
			change = term.Yellow(w, fmt.Sprintf("%+d", c-b))
		}
		t.Row(textCell(w, v), strconv.FormatInt(b, 10), strconv.FormatInt(c, 10), change)
	}
	t.Row(term.Gray(w, "(non-null / rows)"), fmt.Sprintf("%d / %d", r.Base.Valids, r.Base.Total), fmt.Sprintf("%d / %d", r.Current.Valids, r.Current.Total), "")
	return t.Flush()
}
