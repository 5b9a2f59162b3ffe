package check

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/term"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// value_diff: a model's rows compared by primary key (added, removed,
// modified, unchanged) and, per column, how many rows match. A mismatch:
// rows added, removed or modified, or a column below a 100% match.

// ValueDiff is the type of a value diff check.
const ValueDiff Type = "value_diff"

func init() {
	register(&kind[diff.ValueParams, *diff.ValueResult, ValueDiffResult]{
		typ: ValueDiff, name: "Value diff", warehouse: true,
		params:  readValueParams,
		compare: onWarehouse(diff.Value),
		result:  valueResult,
		assess:  assessValues,
		figures: valueFigures,
		text:    writeValues,
	}, 40)
}

// readValueParams reads the params of value_diff and value_diff_detail.
func readValueParams(r *paramReader) diff.ValueParams {
	return diff.ValueParams{Model: r.str("model", true), PrimaryKey: r.strList("primary_key"), Columns: r.strList("columns")}
}

// ValueDiffResult is a value_diff run's result: the reference's
// ValueDiffResult (recce/tasks/valuediff.py), a summary {total, added,
// removed} and a DataFrame of columns (column, matched, matched_p), with
// ours beside it: modified and unchanged rows in the summary, and the
// per-column figures with mismatched counts in columns.
type ValueDiffResult struct {
	Summary ValueDiffSummary `json:"summary"`
	Data    DataFrame        `json:"data"`

	Model                string             `json:"model,omitempty"`
	PrimaryKey           []string           `json:"primary_key,omitempty"`
	Columns              []diff.ColumnMatch `json:"columns,omitempty"`
	ColumnsOnlyInBase    []string           `json:"columns_only_in_base,omitempty"`
	ColumnsOnlyInCurrent []string           `json:"columns_only_in_current,omitempty"`
}

// ValueDiffSummary counts rows by key: total (the union of keys), added,
// removed (the reference's), modified and unchanged (ours; absent in the
// reference's results).
type ValueDiffSummary struct {
	Total     int64  `json:"total"`
	Added     int64  `json:"added"`
	Removed   int64  `json:"removed"`
	Modified  *int64 `json:"modified,omitempty"`
	Unchanged *int64 `json:"unchanged,omitempty"`
}

// ColumnRates returns each compared column's figures, from our columns
// when present, else from the reference's data frame (where mismatched is
// unknown and left -1).
func (r *ValueDiffResult) ColumnRates() []diff.ColumnMatch {
	if len(r.Columns) > 0 {
		return r.Columns
	}
	var out []diff.ColumnMatch
	for _, row := range r.Data.Data {
		if len(row) < 3 {
			continue
		}
		name, _ := row[0].(string)
		matched, _ := Float(row[1])
		cm := diff.ColumnMatch{Name: name, Matched: int64(matched), Mismatched: -1}
		if p, ok := Float(row[2]); ok {
			cm.MatchedP = &p
		}
		out = append(out, cm)
	}
	return out
}

func valueResult(v *diff.ValueResult) *ValueDiffResult {
	data := DataFrame{Columns: []warehouse.Column{
		{Name: "column", Kind: warehouse.KindText},
		{Name: "matched", Kind: warehouse.KindNumber},
		{Name: "matched_p", Kind: warehouse.KindNumber},
	}, Data: [][]any{}}
	for _, c := range v.Columns {
		data.Data = append(data.Data, []any{c.Name, c.Matched, c.MatchedP})
	}
	modified, unchanged := v.Summary.Modified, v.Summary.Unchanged
	return &ValueDiffResult{
		Summary: ValueDiffSummary{Total: v.Summary.Total, Added: v.Summary.Added, Removed: v.Summary.Removed, Modified: &modified, Unchanged: &unchanged},
		Data:    data, Model: v.Model, PrimaryKey: v.PrimaryKey, Columns: v.Columns,
		ColumnsOnlyInBase: v.ColumnsOnlyInBase, ColumnsOnlyInCurrent: v.ColumnsOnlyInCurrent,
	}
}

func assessValues(c *Check, v *ValueDiffResult) Outcome {
	s := v.Summary
	var below []string
	for _, c := range v.ColumnRates() {
		if c.MatchedP != nil && *c.MatchedP < 1 {
			below = append(below, c.Name)
		}
	}
	modified := int64(0)
	if s.Modified != nil {
		modified = *s.Modified
	}
	changed := s.Added > 0 || s.Removed > 0 || modified > 0 || len(below) > 0
	reason := fmt.Sprintf("%d rows: %d added, %d removed", s.Total, s.Added, s.Removed)
	if s.Modified != nil {
		reason += fmt.Sprintf(", %d modified", modified)
	}
	if len(below) > 0 {
		cols := "columns"
		if len(below) == 1 {
			cols = "column"
		}
		reason += fmt.Sprintf("; %d %s below 100%% match", len(below), cols)
	}
	return modelOutcome(c, changed, reason)
}

func valueFigures(c *Check, v *ValueDiffResult) ([]Fact, []Table) {
	s := v.Summary
	facts := []Fact{{"Model", c.Model()}, {"Primary key", strings.Join(v.PrimaryKey, ", ")}, {"Rows", Thousands(s.Total)}, {"Added", Thousands(s.Added)}, {"Removed", Thousands(s.Removed)}}
	if v.Model != "" {
		facts[0].Value = v.Model
	}
	if len(v.PrimaryKey) == 0 {
		facts = append(facts[:1], facts[2:]...)
	}
	if s.Modified != nil {
		facts = append(facts, Fact{"Modified", Thousands(*s.Modified)})
	}
	t := Table{Title: "Columns that differ", Columns: []string{"Column", "Matched", "Mismatched", "Match rate"}, Code: []bool{true, false, false, false}}
	for _, col := range v.ColumnRates() {
		if col.MatchedP == nil || *col.MatchedP >= 1 {
			continue
		}
		mis := Thousands(col.Mismatched)
		if col.Mismatched < 0 {
			mis = "?"
		}
		t.Rows = append(t.Rows, []string{col.Name, Thousands(col.Matched), mis, Percent(*col.MatchedP)})
	}
	return facts, []Table{t}
}

func writeValues(w io.Writer, r *diff.ValueResult) error {
	writeKeyedSummary(w, r.Model, r.PrimaryKey, r.Summary)
	if err := writeColumnMatches(w, r.Columns); err != nil {
		return err
	}
	if len(r.ColumnsOnlyInBase)+len(r.ColumnsOnlyInCurrent) > 0 {
		fmt.Fprintln(w)
	}
	if len(r.ColumnsOnlyInBase) > 0 {
		fmt.Fprintf(w, "Not compared, only in base: %s\n", strings.Join(r.ColumnsOnlyInBase, ", "))
	}
	if len(r.ColumnsOnlyInCurrent) > 0 {
		fmt.Fprintf(w, "Not compared, only in current: %s\n", strings.Join(r.ColumnsOnlyInCurrent, ", "))
	}
	return nil
}

// writeKeyedSummary prints the rows of a keyed comparison (a value diff, a
// query diff with primary keys) by what happened to them.
func writeKeyedSummary(w io.Writer, what string, keys []string, s diff.ValueSummary) {
	fmt.Fprintf(w, "%s by %s: %d rows\n", what, strings.Join(keys, ", "), s.Total)
	line := func(label string, n int64, paint func(io.Writer, string) string) {
		v := strconv.FormatInt(n, 10)
		if n > 0 && paint != nil {
			v = paint(w, v)
		}
		fmt.Fprintf(w, "  %-10s %s\n", label, v)
	}
	line("added", s.Added, term.Green)
	line("removed", s.Removed, term.Red)
	line("modified", s.Modified, term.Yellow)
	line("unchanged", s.Unchanged, nil)
}

// writeColumnMatches prints how well each compared column matches.
func writeColumnMatches(w io.Writer, cols []diff.ColumnMatch) error {
	if len(cols) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	t := term.NewTable(w, "COLUMN", "MATCHED", "MISMATCHED", "MATCH RATE").AlignRight(1, 2, 3)
	for _, c := range cols {
		p := "-"
		if c.MatchedP != nil {
			p = Percent(*c.MatchedP)
			if c.Mismatched > 0 {
				p = term.Yellow(w, p)
			}
		}
		t.Row(c.Name, strconv.FormatInt(c.Matched, 10), strconv.FormatInt(c.Mismatched, 10), p)
	}
	return t.Flush()
}
