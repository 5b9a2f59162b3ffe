package check

import (
	"fmt"
	"reflect"
	"strings"
)

// Verdict is what a check's latest run says about the change.
type Verdict string

const (
	// Clean: the check ran and found no difference.
	Clean Verdict = "clean"
	// Mismatch: the check ran and found a difference in the data or the
	// schema ("data mismatch detected" in the summary).
	Mismatch Verdict = "mismatch"
	// Info: the check ran but compares nothing that can mismatch: a
	// lineage diff (a merge request is meant to change code), a query on
	// one environment, a note.
	Info Verdict = "info"
	// Incomplete: the check failed, was cancelled, is still running or
	// never ran.
	Incomplete Verdict = "incomplete"
)

// Outcome is a check's verdict with what supports it.
type Outcome struct {
	Verdict Verdict `json:"verdict"`
	// Nodes are the names of the nodes (models) where a difference was
	// found, for multi-node checks; the model, for single-model checks.
	Nodes []string `json:"nodes,omitempty"`
	// Reason says in one line why (figures, or the error).
	Reason string `json:"reason"`
}

// What counts as a mismatch, per type (the reference's
// TaskResultDiffer of each type, made explicit):
//
//   - schema_diff: a selected node has a column added, removed or retyped,
//     or is missing from one catalog;
//   - row_count_diff: a node's counts differ, or only one side has one;
//   - value_diff: rows added, removed or modified, or a column below a
//     100% match;
//   - value_diff_detail: any differing row;
//   - profile_diff: any statistic of any column differs;
//   - query_diff: the results differ (rows in one result only, or keyed
//     rows added, removed or modified);
//   - top_k_diff: any value's count, or the valid or total counts, differ;
//   - histogram_diff: any bin's count, or the totals, differ.
//
// lineage_diff, query, query_base and simple are Info.

// Assess gives the verdict of a check from its latest run (nil when it
// never ran).
func Assess(c *Check, r *Run) Outcome {
	if c.Type == Simple {
		return Outcome{Verdict: Info, Reason: "note"}
	}
	if r == nil {
		return Outcome{Verdict: Incomplete, Reason: "not run"}
	}
	switch r.Status {
	case Failed:
		return Outcome{Verdict: Incomplete, Reason: firstLine(r.Error)}
	case Cancelled:
		reason := "cancelled"
		if r.Error != "" {
			reason = firstLine(r.Error)
		}
		return Outcome{Verdict: Incomplete, Reason: reason}
	case Running:
		return Outcome{Verdict: Incomplete, Reason: "still running"}
	}
	res, err := DecodeResult(r)
	if err != nil {
		return Outcome{Verdict: Incomplete, Reason: err.Error()}
	}
	if res == nil {
		return Outcome{Verdict: Incomplete, Reason: "the run has no result"}
	}
	return assessResult(c, res)
}

func assessResult(c *Check, res any) Outcome {
	model := c.Model()
	one := func(changed bool, reason string) Outcome {
		if !changed {
			return Outcome{Verdict: Clean, Reason: reason}
		}
		var nodes []string
		if model != "" {
			nodes = []string{model}
		}
		return Outcome{Verdict: Mismatch, Nodes: nodes, Reason: reason}
	}
	switch v := res.(type) {
	case *LineageDiffResult:
		if len(v.Nodes) == 0 && v.Impacted == 0 {
			return Outcome{Verdict: Info, Reason: fmt.Sprintf("no change among %d selected nodes", v.Selected)}
		}
		return Outcome{Verdict: Info, Reason: v.Counts().String()}
	case *SchemaDiffResult:
		return assessSchema(v)
	case *RowCountDiffResult:
		return assessRowCounts(*v)
	case *ValueDiffResult:
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
		return one(changed, reason)
	case *ValueDiffDetailResult:
		more := ""
		if v.More {
			more = "+"
		}
		return one(len(v.Data) > 0, fmt.Sprintf("%d%s differing row versions", len(v.Data), more))
	case *ProfileDiffResult:
		cols := profileDifferences(v)
		return one(len(cols) > 0, fmt.Sprintf("%d of %d columns differ", len(cols), max(len(v.Base.Data), len(v.Current.Data))))
	case *QueryResult:
		return Outcome{Verdict: Info, Reason: fmt.Sprintf("%d rows", len(v.Data))}
	case *QueryDiffResult:
		return one(queryDiffChanged(v), queryDiffReason(v))
	case *TopKDiffResult:
		changed := !reflect.DeepEqual(v.Base.Counts, v.Current.Counts) || v.Base.Valids != v.Current.Valids || v.Base.Total != v.Current.Total
		return one(changed, fmt.Sprintf("%d top values; %d rows in base, %d in current", len(v.Current.Values), v.Base.Total, v.Current.Total))
	case *HistogramDiffResult:
		bins := 0
		for i := range max(len(v.Base.Counts), len(v.Current.Counts)) {
			if at(v.Base.Counts, i) != at(v.Current.Counts, i) {
				bins++
			}
		}
		changed := bins > 0 || v.Base.Total != v.Current.Total
		return one(changed, fmt.Sprintf("%d of %d bins differ", bins, max(len(v.Base.Counts), len(v.Current.Counts))))
	}
	return Outcome{Verdict: Incomplete, Reason: fmt.Sprintf("no verdict for %T", res)}
}

// assessSchema: columns seen added, removed or retyped are a mismatch;
// otherwise a selected relation missing from a catalog (its columns
// unknown) makes the check incomplete, since nothing was compared there.
func assessSchema(v *SchemaDiffResult) Outcome {
	var changed []string
	missing := map[string][]string{}
	for _, n := range v.Nodes {
		if n.Missing != "" {
			missing[n.Missing] = append(missing[n.Missing], n.Name)
			continue
		}
		changed = append(changed, n.Name)
	}
	unseen := ""
	if len(missing) > 0 {
		var parts []string
		for _, side := range []string{"base", "current", "both"} {
			names := missing[side]
			if len(names) == 0 {
				continue
			}
			where := "the " + side + " catalog"
			if side == "both" {
				where = "either catalog"
			}
			parts = append(parts, fmt.Sprintf("%s not in %s", nameList(names), where))
		}
		unseen = strings.Join(parts, "; ") + ": their columns are unknown; run `dbt docs generate` where they are missing"
	}
	switch {
	case len(changed) > 0 && unseen != "":
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("columns changed in %d of %d selected nodes; %s", len(changed), v.Selected, unseen)}
	case len(changed) > 0:
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("columns changed in %d of %d selected nodes", len(changed), v.Selected)}
	case unseen != "":
		return Outcome{Verdict: Incomplete, Reason: unseen}
	case v.Selected == 0:
		return Outcome{Verdict: Clean, Reason: "nothing to compare: the selection matched no node"}
	}
	return Outcome{Verdict: Clean, Reason: fmt.Sprintf("no column changed in %d selected nodes", v.Selected)}
}

// assessRowCounts: counts that differ are a mismatch; otherwise a relation
// the warehouse lacks or refuses makes the check incomplete.
func assessRowCounts(v RowCountDiffResult) Outcome {
	var changed, unseen []string
	for _, name := range sortedKeys(v) {
		switch e := v[name]; {
		case e.Changed():
			changed = append(changed, name)
		case e.Unseen() != "":
			unseen = append(unseen, name+" ("+e.Unseen()+")")
		}
	}
	notCounted := ""
	if len(unseen) > 0 {
		notCounted = fmt.Sprintf("%s could not be counted: build them in that environment, or check the warehouse's permissions", nameList(unseen))
	}
	switch {
	case len(changed) > 0 && notCounted != "":
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("row counts differ in %d of %d models; %s", len(changed), len(v), notCounted)}
	case len(changed) > 0:
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("row counts differ in %d of %d models", len(changed), len(v))}
	case notCounted != "":
		return Outcome{Verdict: Incomplete, Reason: notCounted}
	case len(v) == 0:
		return Outcome{Verdict: Clean, Reason: "nothing to count: the selection matched no model, seed or snapshot"}
	}
	return Outcome{Verdict: Clean, Reason: fmt.Sprintf("same row counts in %d models", len(v))}
}

// nameList names at most five names, and how many more.
func nameList(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
}

func at(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// queryDiffChanged tells whether a query diff found a difference. Our
// results carry exact counts; the reference's carry only the (capped)
// rows, which are then compared: both results, or the differing rows of a
// keyed diff.
func queryDiffChanged(v *QueryDiffResult) bool {
	switch {
	case v.Summary != nil || v.RowsOnlyInBase != nil:
		return v.Changed()
	case v.Diff != nil:
		return len(v.Diff.Data) > 0
	case v.Base != nil && v.Current != nil:
		return !reflect.DeepEqual(v.Base.Data, v.Current.Data)
	}
	return false
}

func queryDiffReason(v *QueryDiffResult) string {
	if v.Summary != nil {
		s := v.Summary
		return fmt.Sprintf("%d keys: %d added, %d removed, %d modified", s.Total, s.Added, s.Removed, s.Modified)
	}
	if v.RowsOnlyInBase != nil && v.RowsOnlyInCurrent != nil {
		return fmt.Sprintf("%d rows only in base, %d only in current", *v.RowsOnlyInBase, *v.RowsOnlyInCurrent)
	}
	if v.Diff != nil {
		return fmt.Sprintf("%d differing row versions", len(v.Diff.Data))
	}
	if v.Base != nil && v.Current != nil {
		return fmt.Sprintf("%d rows in base, %d in current", len(v.Base.Data), len(v.Current.Data))
	}
	return "results compared"
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

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// LatestRuns maps each check id to its latest run (by run_at, then by
// position in the list).
func LatestRuns(runs []*Run) map[string]*Run {
	latest := map[string]*Run{}
	for _, r := range runs {
		if r.CheckID == "" {
			continue
		}
		if prev := latest[r.CheckID]; prev == nil || !r.RunAt.Before(prev.RunAt.Time) {
			latest[r.CheckID] = r
		}
	}
	return latest
}
