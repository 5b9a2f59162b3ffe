package check

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/term"
)

// value_diff_detail: the rows of a model that differ between the
// environments, by primary key (up to 1,000 keys). A mismatch: any
// differing row.

// ValueDiffDetail is the type of a value diff detail check.
const ValueDiffDetail Type = "value_diff_detail"

func init() {
	register(&kind[diff.ValueDetailParams, *diff.ValueDetailResult, ValueDiffDetailResult]{
		typ: ValueDiffDetail, name: "Value diff detail", warehouse: true,
		params: func(r *paramReader) diff.ValueDetailParams {
			return diff.ValueDetailParams{ValueParams: readValueParams(r)}
		},
		compare: onWarehouse(diff.ValueDetail),
		result: func(v *diff.ValueDetailResult) *ValueDiffDetailResult {
			return &ValueDiffDetailResult{DataFrame: *v.DataFrame(), Model: v.Model, PrimaryKey: v.PrimaryKey}
		},
		assess: func(c *Check, v *ValueDiffDetailResult) Outcome {
			more := ""
			if v.More {
				more = "+"
			}
			return modelOutcome(c, len(v.Data) > 0, fmt.Sprintf("%d%s differing row versions", len(v.Data), more))
		},
		figures: valueDetailFigures,
		text:    writeValueDetail,
	}, 50)
}

// ValueDiffDetailResult is a value_diff_detail run's result: the
// reference's DataFrame of differing rows (recce/tasks/valuediff.py
// ValueDiffDetailResult), the compared columns then in_a (in base) and
// in_b (in current), a modified key as two rows; with the model and
// primary key beside it (ours).
type ValueDiffDetailResult struct {
	DataFrame
	Model      string   `json:"model,omitempty"`
	PrimaryKey []string `json:"primary_key,omitempty"`
}

func valueDetailFigures(c *Check, v *ValueDiffDetailResult) ([]Fact, []Table) {
	added, removed := 0, 0
	for _, row := range v.Data {
		if len(row) < 2 {
			continue
		}
		inA, _ := row[len(row)-2].(bool)
		inB, _ := row[len(row)-1].(bool)
		switch {
		case inA && !inB:
			removed++
		case inB && !inA:
			added++
		}
	}
	more := ""
	if v.More {
		more = " (more not listed)"
	}
	return []Fact{{"Model", firstNonEmpty(v.Model, c.Model())}, {"Row versions only in base", strconv.Itoa(removed)},
		{"Row versions only in current", strconv.Itoa(added) + more}}, keyedRows(&v.DataFrame, v.PrimaryKey)
}

// writeValueDetail prints the differing rows, base and current side by
// side, with what changed in each modified row.
func writeValueDetail(w io.Writer, r *diff.ValueDetailResult) error {
	if len(r.Rows) == 0 {
		_, err := fmt.Fprintf(w, "No differing rows in %s.\n", r.Model)
		return err
	}
	nk := len(r.PrimaryKey)
	header := append([]string{"STATUS"}, r.PrimaryKey...)
	t := term.NewTable(w, append(header, "CHANGES (base → current)")...)
	for _, row := range r.Rows {
		cells := []string{row.Status}
		switch row.Status {
		case diff.RowAdded:
			cells[0] = term.Green(w, "+ added")
		case diff.RowRemoved:
			cells[0] = term.Red(w, "- removed")
		default:
			cells[0] = term.Yellow(w, "~ modified")
		}
		for _, k := range row.Key {
			cells = append(cells, textCell(w, k))
		}
		var changes []string
		for i, c := range r.Columns[nk:] {
			if row.Status == diff.RowModified && slices.Contains(row.Changed, c.Name) {
				changes = append(changes, fmt.Sprintf("%s: %s → %s", c.Name, textCell(w, row.Base[nk+i]), textCell(w, row.Current[nk+i])))
			}
		}
		t.Row(append(cells, strings.Join(changes, "; "))...)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	switch {
	case r.Truncated:
		fmt.Fprintf(w, "\nOnly the first %d differing keys are shown: the rows reached the size cap of a result (%s).\n", len(r.Rows), truncatedHint)
	case r.More:
		fmt.Fprintf(w, "\nOnly the first %d differing keys are shown: raise --limit for more.\n", r.Limit)
	}
	return nil
}
