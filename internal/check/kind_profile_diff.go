package check

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/term"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// profile_diff: per column of a model, in both environments: rows, nulls,
// distinct values, uniqueness, min, max, average, median. A mismatch: any
// statistic of any column differs (values compared exactly), or a column
// is on one side only.

// ProfileDiff is the type of a profile diff check.
const ProfileDiff Type = "profile_diff"

func init() {
	register(&kind[diff.ProfileParams, *diff.ProfileResult, ProfileDiffResult]{
		typ: ProfileDiff, name: "Profile diff", warehouse: true,
		params: func(r *paramReader) diff.ProfileParams {
			return diff.ProfileParams{Model: r.str("model", true), Columns: r.strList("columns")}
		},
		compare: onWarehouse(diff.Profile),
		result: func(v *diff.ProfileResult) *ProfileDiffResult {
			return &ProfileDiffResult{Base: profileFrame(v.Base), Current: profileFrame(v.Current), Model: v.Model}
		},
		assess: func(c *Check, v *ProfileDiffResult) Outcome {
			cols := profileDifferences(v)
			return modelOutcome(c, len(cols) > 0, fmt.Sprintf("%d of %d columns differ", len(cols), max(len(v.Base.Data), len(v.Current.Data))))
		},
		figures: profileFigures,
		text:    writeProfile,
	}, 60)
}

// ProfileDiffResult is a profile_diff run's result: the reference's
// ProfileDiffResult (recce/models/task_result_types.py), one DataFrame per
// environment with a row per column and the columns of ProfileColumns. A
// side whose model is missing has no rows.
type ProfileDiffResult struct {
	Base    DataFrame `json:"base"`
	Current DataFrame `json:"current"`
	Model   string    `json:"model,omitempty"`
}

// ProfileColumns are the columns of a profile data frame, as the
// reference names them.
var ProfileColumns = []warehouse.Column{
	{Name: "column_name", Kind: warehouse.KindText},
	{Name: "data_type", Kind: warehouse.KindText},
	{Name: "row_count", Kind: warehouse.KindInteger},
	{Name: "not_null_proportion", Kind: warehouse.KindNumber},
	{Name: "distinct_proportion", Kind: warehouse.KindNumber},
	{Name: "distinct_count", Kind: warehouse.KindInteger},
	{Name: "is_unique", Kind: warehouse.KindBoolean},
	{Name: "min", Kind: warehouse.KindText},
	{Name: "max", Kind: warehouse.KindText},
	{Name: "avg", Kind: warehouse.KindNumber},
	{Name: "median", Kind: warehouse.KindNumber},
}

func profileFrame(ps []diff.ColumnProfile) DataFrame {
	f := DataFrame{Columns: ProfileColumns, Data: [][]any{}}
	for _, p := range ps {
		f.Data = append(f.Data, []any{p.ColumnName, p.DataType, p.RowCount, p.NotNullProportion, p.DistinctProportion,
			p.DistinctCount, p.IsUnique, p.Min, p.Max, p.Avg, p.Median})
	}
	return f
}

// ProfileDifference is one statistic of one column that differs between
// the environments, or a column on one side only (Change "added" or
// "removed", with no statistic: one line, not a line per statistic).
type ProfileDifference struct {
	Column  string `json:"column"`
	Stat    string `json:"stat,omitempty"`
	Base    any    `json:"base"`
	Current any    `json:"current"`
	Change  string `json:"change,omitempty"`
}

// ProfileDifferences lists the statistics that differ, column by column,
// values compared exactly; a column on one side only is one difference.
func ProfileDifferences(v *ProfileDiffResult) []ProfileDifference {
	rows := func(f DataFrame) (map[string][]any, []string) {
		m := map[string][]any{}
		var order []string
		for _, r := range f.Data {
			if len(r) == 0 {
				continue
			}
			name := fmt.Sprint(r[0])
			if _, dup := m[name]; !dup {
				order = append(order, name)
			}
			m[name] = r
		}
		return m, order
	}
	base, bOrder := rows(v.Base)
	cur, cOrder := rows(v.Current)
	names := append([]string{}, cOrder...)
	for _, n := range bOrder {
		if _, ok := cur[n]; !ok {
			names = append(names, n)
		}
	}
	stats := func(f DataFrame) []string {
		out := make([]string, len(f.Columns))
		for i, c := range f.Columns {
			out[i] = c.Name
		}
		return out
	}
	colsB, colsC := stats(v.Base), stats(v.Current)
	value := func(row []any, cols []string, stat string) any {
		for i, c := range cols {
			if c == stat && i < len(row) {
				return row[i]
			}
		}
		return nil
	}
	statNames := colsC
	if len(statNames) == 0 {
		statNames = colsB
	}
	var out []ProfileDifference
	for _, n := range names {
		b, c := base[n], cur[n]
		switch {
		case b == nil:
			out = append(out, ProfileDifference{Column: n, Change: "added"})
			continue
		case c == nil:
			out = append(out, ProfileDifference{Column: n, Change: "removed"})
			continue
		}
		for _, s := range statNames {
			if s == "column_name" {
				continue
			}
			bv, cv := value(b, colsB, s), value(c, colsC, s)
			if !sameValue(bv, cv) {
				out = append(out, ProfileDifference{Column: n, Stat: s, Base: bv, Current: cv})
			}
		}
	}
	return out
}

// profileDifferences names the columns with at least one difference.
func profileDifferences(v *ProfileDiffResult) []string {
	seen := map[string]bool{}
	var cols []string
	for _, d := range ProfileDifferences(v) {
		if !seen[d.Column] {
			seen[d.Column] = true
			cols = append(cols, d.Column)
		}
	}
	return cols
}

// sameValue compares two decoded JSON values, numbers by value (an int64
// from a run in memory equals the float64 it decodes to).
func sameValue(a, b any) bool {
	fa, okA := number(a)
	fb, okB := number(b)
	if okA && okB {
		return fa == fb
	}
	return reflect.DeepEqual(a, b) || fmt.Sprint(a) == fmt.Sprint(b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case *float64:
		if x != nil {
			return *x, true
		}
	case *int64:
		if x != nil {
			return float64(*x), true
		}
	}
	return 0, false
}

func profileFigures(c *Check, v *ProfileDiffResult) ([]Fact, []Table) {
	t := Table{Title: "Statistics that differ", Columns: []string{"Column", "Statistic", "Base", "Current"}, Code: []bool{true, false, true, true}}
	for _, d := range ProfileDifferences(v) {
		if d.Change != "" {
			t.Rows = append(t.Rows, []string{d.Column, "column " + d.Change, "", ""})
			continue
		}
		b, cu := statPair(d.Stat, d.Base, d.Current)
		t.Rows = append(t.Rows, []string{d.Column, d.Stat, b, cu})
	}
	return []Fact{{"Model", firstNonEmpty(v.Model, c.Model())}}, []Table{t}
}

// statPair shows a profile statistic's two values: proportions as
// percentages, numbers with the digits it takes to tell them apart (two
// values that differ never look alike), anything else as it is.
func statPair(stat string, base, current any) (string, string) {
	b, okB := Float(base)
	c, okC := Float(current)
	switch {
	case !okB || !okC:
		return valueText(base), valueText(current)
	case strings.HasSuffix(stat, "_proportion"):
		return PercentPair(b, c)
	}
	return NumberPair(b, c, 4)
}

// writeProfile prints each column's measures; a measure that changed
// shows as base → current.
func writeProfile(w io.Writer, r *diff.ProfileResult) error {
	byName := map[string]*diff.ColumnProfile{}
	for i := range r.Base {
		byName[r.Base[i].ColumnName] = &r.Base[i]
	}
	t := term.NewTable(w, "COLUMN", "TYPE", "ROWS", "NULLS", "DISTINCT", "UNIQUE", "MIN", "MAX", "AVG", "MEDIAN").AlignRight(2, 3, 4, 8, 9)
	// The measures as values, compared exactly: two values that differ
	// are shown with the digits it takes to tell them apart, and equal
	// values are never shown as a change.
	measures := func(p *diff.ColumnProfile) []any {
		return []any{p.RowCount, p.Nulls, p.DistinctCount, p.IsUnique, p.Min, p.Max, p.Avg, p.Median}
	}
	one := func(v any) string {
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10)
		case *int64:
			if x != nil {
				return strconv.FormatInt(*x, 10)
			}
		case *float64:
			if x != nil {
				return Number(*x, 4)
			}
		case float64:
			return Number(x, 4)
		case *bool:
			if x != nil {
				return strconv.FormatBool(*x)
			}
		case nil:
		default:
			return textCell(w, v)
		}
		return "-"
	}
	pair := func(b, c any) (string, string, bool) {
		bf, okB := profileFloat(b)
		cf, okC := profileFloat(c)
		if okB && okC {
			bs, cs := NumberPair(bf, cf, 4)
			return bs, cs, bf != cf
		}
		bs, cs := one(b), one(c)
		return bs, cs, bs != cs
	}
	seen := map[string]bool{}
	add := func(name, typ string, b, c *diff.ColumnProfile) {
		row := []string{name, typ}
		switch {
		case b == nil:
			row[0], row[1] = term.Green(w, name), term.Green(w, typ+" (column added)")
			for _, v := range measures(c) {
				row = append(row, one(v))
			}
		case c == nil:
			row[0], row[1] = term.Red(w, name), term.Red(w, typ+" (column removed)")
			for _, v := range measures(b) {
				row = append(row, one(v))
			}
		default:
			if b.DataType != c.DataType {
				row[1] = term.Yellow(w, b.DataType+" → "+c.DataType)
			}
			bm, cm := measures(b), measures(c)
			for i := range cm {
				bs, cs, differ := pair(bm[i], cm[i])
				if differ {
					row = append(row, term.Yellow(w, bs+" → "+cs))
				} else {
					row = append(row, cs)
				}
			}
		}
		t.Row(row...)
	}
	for i := range r.Current {
		c := &r.Current[i]
		seen[c.ColumnName] = true
		add(c.ColumnName, c.DataType, byName[c.ColumnName], c)
	}
	for i := range r.Base {
		if b := &r.Base[i]; !seen[b.ColumnName] {
			add(b.ColumnName, b.DataType, b, nil)
		}
	}
	fmt.Fprintf(w, "Profile of %s\n\n", r.Model)
	return t.Flush()
}

// profileFloat reads a profile measure that is a number.
func profileFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case *float64:
		if x != nil {
			return *x, true
		}
		return 0, false
	case *int64:
		if x != nil {
			return float64(*x), true
		}
		return 0, false
	}
	return warehouse.Float64(v) // values from the warehouse; text stays text
}
