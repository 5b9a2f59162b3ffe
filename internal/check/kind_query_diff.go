package check

import (
	"fmt"
	"io"
	"reflect"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
)

// query_diff: a SQL template run on both environments and the results
// compared: in the warehouse by primary_keys when given (rows added,
// removed, modified), else row by row. A mismatch: the results differ.

// QueryDiff is the type of a query diff check.
const QueryDiff Type = "query_diff"

func init() {
	register(&kind[diff.QueryDiffParams, *diff.QueryDiffResult, QueryDiffResult]{
		typ: QueryDiff, name: "Query diff", warehouse: true,
		params: func(r *paramReader) diff.QueryDiffParams {
			return diff.QueryDiffParams{SQLTemplate: r.str("sql_template", true), BaseSQLTemplate: r.str("base_sql_template", false),
				PrimaryKeys: r.strList("primary_keys")}
		},
		compare: onWarehouse(diff.QueryDiff),
		assess: func(c *Check, v *QueryDiffResult) Outcome {
			return modelOutcome(c, queryDiffChanged(v), queryDiffReason(v))
		},
		figures: queryDiffFigures,
		text:    writeQueryDiff,
	}, 90)
}

// QueryDiffResult is a query_diff run's result: the reference's
// QueryDiffResult {base, current} (without primary keys) or {diff} (with
// them, rows in the in_a/in_b shape), with ours beside: rows_only_in_base
// and rows_only_in_current (exact counts whatever the cap), primary_keys,
// and with keys a value diff summary and per-column matches.
type QueryDiffResult = diff.QueryDiffResult

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

func queryDiffFigures(_ *Check, v *QueryDiffResult) ([]Fact, []Table) {
	switch {
	case v.Summary != nil:
		s := v.Summary
		var tables []Table
		if v.Diff != nil {
			tables = keyedRows(v.Diff, v.PrimaryKeys)
		}
		return []Fact{{"Primary keys", strings.Join(v.PrimaryKeys, ", ")}, {"Keys", Thousands(s.Total)}, {"Added", Thousands(s.Added)}, {"Removed", Thousands(s.Removed)}, {"Modified", Thousands(s.Modified)}}, tables
	case v.Diff != nil: // the reference's keyed result: the differing rows only
		return []Fact{{"Differing row versions", fmt.Sprint(len(v.Diff.Data))}}, keyedRows(v.Diff, v.PrimaryKeys)
	case v.RowsOnlyInBase != nil && v.RowsOnlyInCurrent != nil:
		return []Fact{{"Rows only in base", Thousands(*v.RowsOnlyInBase)}, {"Rows only in current", Thousands(*v.RowsOnlyInCurrent)}}, unkeyedRows(v.Base, v.Current)
	case v.Base != nil && v.Current != nil:
		return []Fact{{"Rows in base", fmt.Sprint(len(v.Base.Data))}, {"Rows in current", fmt.Sprint(len(v.Current.Data))}}, unkeyedRows(v.Base, v.Current)
	}
	return nil, nil
}

func writeQueryDiff(w io.Writer, r *diff.QueryDiffResult) error {
	if r.Summary != nil {
		writeKeyedSummary(w, "Query results", r.PrimaryKeys, *r.Summary)
		if err := writeColumnMatches(w, r.Columns); err != nil {
			return err
		}
		fmt.Fprintln(w)
		return writeValueDetail(w, r.Detail)
	}
	fmt.Fprintf(w, "Rows only in base: %d\nRows only in current: %d\n", *r.RowsOnlyInBase, *r.RowsOnlyInCurrent)
	for _, side := range []struct {
		name string
		t    *diff.Table
	}{{"Base", r.Base}, {"Current", r.Current}} {
		fmt.Fprintf(w, "\n%s (%d rows):\n", side.name, *side.t.Total)
		if err := writeRows(w, side.t, 20); err != nil {
			return err
		}
	}
	return nil
}
