package summary

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// figures gives a mismatched check's key figures: the facts of its
// <details> section and its tables, all rows (the renderer caps them).
func figures(c *check.Check, res any) ([]Fact, []Table) {
	switch v := res.(type) {
	case *check.SchemaDiffResult:
		t := Table{Title: "Columns changed", Columns: []string{"Node", "Added", "Removed", "Retyped"}, Code: []bool{true, true, true, true}}
		for _, n := range v.Nodes {
			retyped := make([]string, len(n.Changed))
			for i, ch := range n.Changed {
				retyped[i] = fmt.Sprintf("%s: %s → %s", ch.Name, ch.BaseType, ch.CurrentType)
			}
			added, removed := strings.Join(n.Added, ", "), strings.Join(n.Removed, ", ")
			if n.Missing != "" {
				added = "(not in the " + n.Missing + " catalog)"
			}
			t.Rows = append(t.Rows, []string{n.Name, added, removed, strings.Join(retyped, ", ")})
		}
		return []Fact{{"Nodes with changed columns", strconv.Itoa(len(v.Nodes))}, {"Nodes selected", strconv.Itoa(v.Selected)}}, []Table{t}
	case *check.RowCountDiffResult:
		t := Table{Title: "Row counts that differ", Columns: []string{"Node", "Base", "Current", "Change"}, Code: []bool{true, false, false, false}}
		changed := 0
		for _, name := range sortedKeys(*v) {
			e := (*v)[name]
			if !e.Changed() {
				continue
			}
			changed++
			t.Rows = append(t.Rows, []string{name, count(e.Base, e.BaseMeta), count(e.Curr, e.CurrMeta), countChange(e)})
		}
		return []Fact{{"Models compared", strconv.Itoa(len(*v))}, {"Models that differ", strconv.Itoa(changed)}}, []Table{t}
	case *check.ValueDiffResult:
		s := v.Summary
		facts := []Fact{{"Model", c.Model()}, {"Primary key", strings.Join(v.PrimaryKey, ", ")}, {"Rows", num(s.Total)}, {"Added", num(s.Added)}, {"Removed", num(s.Removed)}}
		if v.Model != "" {
			facts[0].Value = v.Model
		}
		if len(v.PrimaryKey) == 0 {
			facts = append(facts[:1], facts[2:]...)
		}
		if s.Modified != nil {
			facts = append(facts, Fact{"Modified", num(*s.Modified)})
		}
		t := Table{Title: "Columns that differ", Columns: []string{"Column", "Matched", "Mismatched", "Match rate"}, Code: []bool{true, false, false, false}}
		for _, col := range v.ColumnRates() {
			if col.MatchedP == nil || *col.MatchedP >= 1 {
				continue
			}
			mis := num(col.Mismatched)
			if col.Mismatched < 0 {
				mis = "?"
			}
			t.Rows = append(t.Rows, []string{col.Name, num(col.Matched), mis, check.Percent(*col.MatchedP)})
		}
		return facts, []Table{t}
	case *check.ValueDiffDetailResult:
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
	case *check.ProfileDiffResult:
		t := Table{Title: "Statistics that differ", Columns: []string{"Column", "Statistic", "Base", "Current"}, Code: []bool{true, false, true, true}}
		for _, d := range check.ProfileDifferences(v) {
			if d.Change != "" {
				t.Rows = append(t.Rows, []string{d.Column, "column " + d.Change, "", ""})
				continue
			}
			b, cu := statPair(d.Stat, d.Base, d.Current)
			t.Rows = append(t.Rows, []string{d.Column, d.Stat, b, cu})
		}
		return []Fact{{"Model", firstNonEmpty(v.Model, c.Model())}}, []Table{t}
	case *check.QueryDiffResult:
		switch {
		case v.Summary != nil:
			s := v.Summary
			var tables []Table
			if v.Diff != nil {
				tables = keyedRows(v.Diff, v.PrimaryKeys)
			}
			return []Fact{{"Primary keys", strings.Join(v.PrimaryKeys, ", ")}, {"Keys", num(s.Total)}, {"Added", num(s.Added)}, {"Removed", num(s.Removed)}, {"Modified", num(s.Modified)}}, tables
		case v.Diff != nil: // the reference's keyed result: the differing rows only
			return []Fact{{"Differing row versions", strconv.Itoa(len(v.Diff.Data))}}, keyedRows(v.Diff, v.PrimaryKeys)
		case v.RowsOnlyInBase != nil && v.RowsOnlyInCurrent != nil:
			return []Fact{{"Rows only in base", num(*v.RowsOnlyInBase)}, {"Rows only in current", num(*v.RowsOnlyInCurrent)}}, unkeyedRows(v.Base, v.Current)
		case v.Base != nil && v.Current != nil:
			return []Fact{{"Rows in base", strconv.Itoa(len(v.Base.Data))}, {"Rows in current", strconv.Itoa(len(v.Current.Data))}}, unkeyedRows(v.Base, v.Current)
		}
		return nil, nil
	case *check.TopKDiffResult:
		t := Table{Title: "Values whose count differs", Columns: []string{"Value", "Base", "Current"}, Code: []bool{true, false, false}}
		for i, val := range v.Current.Values {
			b, cu := at(v.Base.Counts, i), at(v.Current.Counts, i)
			if b != cu {
				t.Rows = append(t.Rows, []string{value(val), num(b), num(cu)})
			}
		}
		return []Fact{{"Column", firstNonEmpty(v.Column, str(c.Params["column_name"]))}, {"Rows (base → current)", num(v.Base.Total) + " → " + num(v.Current.Total)},
			{"Non-null (base → current)", num(v.Base.Valids) + " → " + num(v.Current.Valids)}}, []Table{t}
	case *check.HistogramDiffResult:
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
			t.Rows = append(t.Rows, []string{label, num(b), num(cu)})
		}
		return []Fact{{"Column", firstNonEmpty(v.Column, str(c.Params["column_name"]))}, {"Values (base → current)", num(v.Base.Total) + " → " + num(v.Current.Total)}}, []Table{t}
	}
	return nil, nil
}

func at(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// num writes an integer with thousands separators (1,234,567).
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func count(n *int64, meta *check.RowCountMeta) string {
	if n != nil {
		return num(*n)
	}
	if meta != nil && meta.Status != "" {
		return "N/A (" + meta.Status + ")"
	}
	return "N/A"
}

func countChange(e check.RowCountEntry) string {
	delta := strings.TrimSpace(strings.TrimLeft(rowCountDelta(e), "🔼🔽"))
	if e.Base == nil || e.Curr == nil {
		return delta
	}
	d := *e.Curr - *e.Base
	sign := "+"
	if d < 0 {
		sign = ""
	}
	return sign + num(d) + " (" + delta + ")"
}

// value shows a value from the data: numbers plainly, times in ISO form,
// null as null.
func value(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return check.Number(x, 6)
	case *float64:
		if x == nil {
			return "null"
		}
		return check.Number(*x, 6)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// statPair shows a profile statistic's two values: proportions as
// percentages, numbers with the digits it takes to tell them apart (two
// values that differ never look alike), anything else as it is.
func statPair(stat string, base, current any) (string, string) {
	b, okB := check.Float(base)
	c, okC := check.Float(current)
	switch {
	case !okB || !okC:
		return value(base), value(current)
	case strings.HasSuffix(stat, "_proportion"):
		return check.PercentPair(b, c)
	}
	return check.NumberPair(b, c, 4)
}

// Bounds of a table of rows from the data: the renderer caps the rows.
const (
	maxRowColumns = 8
	maxCellChars  = 60
)

// keyedRows lists the differing rows of a keyed comparison (rows in the
// in_a/in_b shape: a modified key as its base row then its current row).
func keyedRows(t *check.DataFrame, keys []string) []Table {
	if t == nil || len(t.Data) == 0 || len(t.Columns) < 2 {
		return nil
	}
	n := len(t.Columns) - 2 // in_a, in_b last
	keyIdx := []int{}
	for _, k := range keys {
		for i, c := range t.Columns[:n] {
			if strings.EqualFold(c.Name, k) {
				keyIdx = append(keyIdx, i)
			}
		}
	}
	keyOf := func(row []any) string {
		parts := make([]string, len(keyIdx))
		for i, j := range keyIdx {
			if j < len(row) {
				parts[i] = fmt.Sprint(row[j])
			}
		}
		return strings.Join(parts, "\x00")
	}
	inBoth := map[string]int{}
	for _, row := range t.Data {
		if len(row) == n+2 && len(keyIdx) > 0 {
			inBoth[keyOf(row)]++
		}
	}
	var labels []string
	var rows [][]any
	for _, row := range t.Data {
		if len(row) != n+2 {
			continue
		}
		inA, _ := row[n].(bool)
		label := "added"
		if inA {
			label = "removed"
		}
		if len(keyIdx) > 0 && inBoth[keyOf(row)] > 1 {
			label = "modified: current"
			if inA {
				label = "modified: base"
			}
		}
		labels = append(labels, label)
		rows = append(rows, row[:n])
	}
	return []Table{rowsTable("Rows that differ", t.Columns[:n], labels, rows)}
}

// unkeyedRows lists the rows in one result and not the other (counted as
// a multiset), when both results were read whole; capped results cannot
// tell which rows differ.
func unkeyedRows(base, current *check.DataFrame) []Table {
	if base == nil || current == nil {
		return nil
	}
	if base.More || current.More {
		return []Table{{Title: "Rows that differ", Columns: []string{"Note"},
			Rows: [][]string{{"The results were capped: open the check in recce, or add primary_keys, to see the rows that differ."}}}}
	}
	keyOf := func(row []any) string {
		b, _ := json.Marshal(row)
		return string(b)
	}
	count := map[string]int{}
	for _, row := range current.Data {
		count[keyOf(row)]++
	}
	type side struct {
		label, key string
		row        []any
	}
	var diffs []side
	for _, row := range base.Data {
		if k := keyOf(row); count[k] > 0 {
			count[k]--
		} else {
			diffs = append(diffs, side{"only in base", k, row})
		}
	}
	for _, row := range current.Data {
		if k := keyOf(row); count[k] > 0 {
			count[k]--
			diffs = append(diffs, side{"only in current", k, row})
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	// In the rows' order, so that a row's two versions (the same first
	// values) come together, base first.
	sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].key < diffs[j].key })
	labels, rows := make([]string, len(diffs)), make([][]any, len(diffs))
	for i, d := range diffs {
		labels[i], rows[i] = d.label, d.row
	}
	return []Table{rowsTable("Rows that differ", current.Columns, labels, rows)}
}

// rowsTable lays out rows from the data: a change column, then at most
// maxRowColumns of the data's columns, each value clipped; every cell is
// shown as code (it is data).
func rowsTable(title string, cols []warehouse.Column, labels []string, rows [][]any) Table {
	shown := cols
	if len(shown) > maxRowColumns {
		shown = shown[:maxRowColumns]
		title += fmt.Sprintf(" (the first %d of %d columns)", maxRowColumns, len(cols))
	}
	t := Table{Title: title, Columns: []string{"Change"}, Code: []bool{false}}
	for _, c := range shown {
		t.Columns = append(t.Columns, c.Name)
		t.Code = append(t.Code, true)
	}
	for i, row := range rows {
		cells := []string{labels[i]}
		for j := range shown {
			v := "null"
			if j < len(row) {
				v = value(row[j])
			}
			cells = append(cells, clip(v, maxCellChars))
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}
