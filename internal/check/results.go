package check

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// The result shape of each run type, as stored in Run.Result (the state
// file, the server's API and the web app all use these). Where the
// reference has a result for the type, ours is that shape with, at most,
// fields added beside the reference's: the reference ignores them, and
// its own results decode into these types. docs/checks.md shows each one.

// DataFrame is the reference's DataFrame (recce/models/dataframe.py):
// columns with a name and a type (integer, number, text, boolean, date,
// datetime, timedelta, unknown), rows of values, the row cap (limit) and
// whether rows were left out (more). Total, ours, is the number of rows
// before the cap when known.
type DataFrame = diff.Table

// LineageDiffResult is a lineage_diff run's result. The reference has no
// stored result for this type (its app computes the lineage on the fly);
// ours lists the selected nodes that changed, so that the run stands on
// its own in a state file.
type LineageDiffResult struct {
	// Selected is how many nodes the check's selection matched.
	Selected int `json:"selected"`
	// Nodes are the selected nodes that were added, removed or modified,
	// by unique_id.
	Nodes []LineageNode `json:"nodes"`
	// Impacted counts the selected unchanged nodes downstream of a change.
	Impacted int `json:"impacted"`
}

// Counts counts the result's nodes as every output does (see
// lineage.Counts).
func (r *LineageDiffResult) Counts() lineage.Counts {
	c := lineage.Counts{Nodes: r.Selected, ImpactedDownstream: r.Impacted}
	for _, n := range r.Nodes {
		switch n.Change {
		case lineage.Added:
			c.Added++
		case lineage.Removed:
			c.Removed++
		case lineage.Modified:
			c.Modified++
		}
	}
	c.Changed = c.Added + c.Removed + c.Modified
	return c
}

// LineageNode is a changed node of a lineage diff.
type LineageNode struct {
	UniqueID     string           `json:"unique_id"`
	Name         string           `json:"name"`
	ResourceType string           `json:"resource_type"`
	Change       lineage.Change   `json:"change"`
	Reasons      []lineage.Reason `json:"reasons"`
}

// SchemaDiffResult is a schema_diff run's result. The reference computes
// schema diffs from the catalogs when it renders them and stores no
// result; ours keeps the nodes whose columns differ, with the columns.
type SchemaDiffResult struct {
	Selected int          `json:"selected"`
	Nodes    []SchemaNode `json:"nodes"`
}

// SchemaNode is a node whose columns differ. Missing names the catalog
// ("base" or "current") that lacks a node present in both manifests.
type SchemaNode struct {
	UniqueID string                 `json:"unique_id"`
	Name     string                 `json:"name"`
	Added    []string               `json:"added"`
	Removed  []string               `json:"removed"`
	Changed  []lineage.ColumnChange `json:"changed"`
	Missing  string                 `json:"missing,omitempty"`
}

// RowCountDiffResult is a row_count_diff run's result, the reference's
// shape (recce/tasks/rowcount.py): node name to {"base": n, "curr": n},
// a count being null when there is none, and then, as in the reference's
// later versions, base_meta/curr_meta {"status": ...} saying why
// (table_not_found, permission_denied, not_in_manifest,
// unsupported_materialization). unique_id is ours.
type RowCountDiffResult map[string]RowCountEntry

// RowCountEntry is one node's counts.
type RowCountEntry struct {
	Base     *int64        `json:"base"`
	Curr     *int64        `json:"curr"`
	BaseMeta *RowCountMeta `json:"base_meta,omitempty"`
	CurrMeta *RowCountMeta `json:"curr_meta,omitempty"`
	UniqueID string        `json:"unique_id,omitempty"`
}

// RowCountMeta says why a side has no count.
type RowCountMeta struct {
	Status string `json:"status"`
}

// Changed reports whether the counts differ: both counted and unequal,
// or one side counted and the other without a relation by construction
// (the model added or removed, or made ephemeral). Two missing counts are
// no difference, as in the reference; a relation the warehouse lacks or
// refuses is no difference either, but Unseen.
func (e RowCountEntry) Changed() bool {
	switch {
	case e.Base != nil && e.Curr != nil:
		return *e.Base != *e.Curr
	case e.Base == nil && e.Curr == nil:
		return false
	case e.Unseen() != "":
		return false
	}
	return true
}

// Unseen says why a node's counts could not be compared ("" when they
// could, or when there is nothing to count): a side's relation is missing
// from the warehouse (table_not_found) or cannot be read
// (permission_denied), or neither side has a count nor says why (the
// reference's results before it wrote statuses).
func (e RowCountEntry) Unseen() string {
	var why []string
	for _, side := range []struct {
		name  string
		count *int64
		meta  *RowCountMeta
	}{{"base", e.Base, e.BaseMeta}, {"current", e.Curr, e.CurrMeta}} {
		if side.count == nil && side.meta != nil && (side.meta.Status == diff.StatusTableNotFound || side.meta.Status == diff.StatusPermissionDenied) {
			why = append(why, side.name+" "+side.meta.Status)
		}
	}
	if len(why) == 0 && e.Base == nil && e.Curr == nil && e.BaseMeta == nil && e.CurrMeta == nil {
		return "no count on either side"
	}
	return strings.Join(why, ", ")
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

// Float reads a number from a result's value: a number, or a numeric
// string, as the reference writes some ("1856", "0.0118...") in its data
// frames.
func Float(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return warehouse.Float64(v)
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

// QueryResult is a query or query_base run's result: the reference's
// QueryResult, a DataFrame (capped at 2,000 rows), with total (ours).
type QueryResult = DataFrame

// QueryDiffResult is a query_diff run's result: the reference's
// QueryDiffResult {base, current} (without primary keys) or {diff} (with
// them, rows in the in_a/in_b shape), with ours beside: rows_only_in_base
// and rows_only_in_current (exact counts whatever the cap), primary_keys,
// and with keys a value diff summary and per-column matches.
type QueryDiffResult = diff.QueryDiffResult

// TopKDiffResult is a top_k_diff run's result: the reference's shape
// (recce/tasks/top_k.py) {base, current} each {values, counts, valids,
// total}, with model and column (ours).
type TopKDiffResult = diff.TopKResult

// HistogramDiffResult is a histogram_diff run's result: the reference's
// shape (recce/tasks/histogram.py) {base: {counts, total}, current, min,
// max, bin_edges, labels}, with type, model and column (ours).
type HistogramDiffResult = diff.HistogramResult

// DecodeResult decodes a run's result into its type's shape: a pointer to
// one of LineageDiffResult, SchemaDiffResult, RowCountDiffResult,
// ValueDiffResult, ValueDiffDetailResult, ProfileDiffResult, QueryResult,
// QueryDiffResult, TopKDiffResult or HistogramDiffResult. A run without a
// result gives nil, nil.
func DecodeResult(r *Run) (any, error) {
	if len(r.Result) == 0 {
		return nil, nil
	}
	var v any
	switch r.Type {
	case LineageDiff:
		v = &LineageDiffResult{}
	case SchemaDiff:
		v = &SchemaDiffResult{}
	case RowCountDiff:
		v = &RowCountDiffResult{}
	case ValueDiff:
		v = &ValueDiffResult{}
	case ValueDiffDetail:
		v = &ValueDiffDetailResult{}
	case ProfileDiff:
		v = &ProfileDiffResult{}
	case Query, QueryBase:
		v = &QueryResult{}
	case QueryDiff:
		v = &QueryDiffResult{}
	case TopKDiff:
		v = &TopKDiffResult{}
	case HistogramDiff:
		v = &HistogramDiffResult{}
	default:
		return nil, fmt.Errorf("run %s: type %q has no result shape", r.RunID, r.Type)
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		return nil, fmt.Errorf("run %s (%s): result is not in the %s shape: %w", r.RunID, r.Type, r.Type, err)
	}
	return v, nil
}
