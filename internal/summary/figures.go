package summary

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
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
			t.Rows = append(t.Rows, []string{col.Name, num(col.Matched), mis, percent(*col.MatchedP)})
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
			{"Row versions only in current", strconv.Itoa(added) + more}}, nil
	case *check.ProfileDiffResult:
		t := Table{Title: "Statistics that differ", Columns: []string{"Column", "Statistic", "Base", "Current"}, Code: []bool{true, false, true, true}}
		for _, d := range check.ProfileDifferences(v) {
			t.Rows = append(t.Rows, []string{d.Column, d.Stat, value(d.Base), value(d.Current)})
		}
		return []Fact{{"Model", firstNonEmpty(v.Model, c.Model())}}, []Table{t}
	case *check.QueryDiffResult:
		switch {
		case v.Summary != nil:
			s := v.Summary
			return []Fact{{"Primary keys", strings.Join(v.PrimaryKeys, ", ")}, {"Keys", num(s.Total)}, {"Added", num(s.Added)}, {"Removed", num(s.Removed)}, {"Modified", num(s.Modified)}}, nil
		case v.RowsOnlyInBase != nil && v.RowsOnlyInCurrent != nil:
			return []Fact{{"Rows only in base", num(*v.RowsOnlyInBase)}, {"Rows only in current", num(*v.RowsOnlyInCurrent)}}, nil
		case v.Base != nil && v.Current != nil:
			return []Fact{{"Rows in base", strconv.Itoa(len(v.Base.Data))}, {"Rows in current", strconv.Itoa(len(v.Current.Data))}}, nil
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

// percent shows a rate with two decimals, never rounding a rate below 1 up
// to 100% (99.999% shows as 99.99%).
func percent(p float64) string {
	v := float64(int64(p*10000)) / 100
	return strconv.FormatFloat(v, 'f', 2, 64) + "%"
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
		return strconv.FormatFloat(x, 'g', 10, 64)
	case *float64:
		if x == nil {
			return "null"
		}
		return strconv.FormatFloat(*x, 'g', 10, 64)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}
