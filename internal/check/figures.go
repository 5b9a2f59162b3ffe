package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// The figures of a mismatched check, as the summary shows them (each
// kind's Figures), and the pieces the kinds share to lay them out.

// Fact is a labelled figure ("Rows added": "3").
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Table is a small table of figures. Cells flagged in Code hold text from
// the data or the project (names, values) and are shown as code.
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Code    []bool     `json:"-"`
	Rows    [][]string `json:"rows"`
}

// Figures gives a mismatched check's key figures from its decoded result
// (DecodeResult): the facts and tables of its section in the summary.
func Figures(c *Check, result any) ([]Fact, []Table) {
	k, ok := Lookup(c.Type)
	if !ok {
		return nil, nil
	}
	return k.Figures(c, result)
}

// Marks gives what a mismatched check adds to the nodes of the summary's
// lineage graph, from its decoded result and its outcome.
func Marks(c *Check, result any, o Outcome) NodeMarks {
	k, ok := Lookup(c.Type)
	if !ok {
		return NodeMarks{Titled: o.Nodes}
	}
	return k.Marks(c, result, o)
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

// Clip cuts s to n characters, marking the cut with "…".
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// valueText shows a value from the data: numbers plainly, times in ISO
// form, null as null.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return Number(x, 6)
	case *float64:
		if x == nil {
			return "null"
		}
		return Number(*x, 6)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// Bounds of a table of rows from the data: the summary caps the rows.
const (
	maxRowColumns = 8
	maxCellChars  = 60
)

// keyedRows lists the differing rows of a keyed comparison (rows in the
// in_a/in_b shape: a modified key as its base row then its current row).
func keyedRows(t *DataFrame, keys []string) []Table {
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
func unkeyedRows(base, current *DataFrame) []Table {
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
				v = valueText(row[j])
			}
			cells = append(cells, Clip(v, maxCellChars))
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}
