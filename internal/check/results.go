package check

import (
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// The result shape of each run type, as stored in Run.Result (the state
// file, the server's API and the web app all use these), is defined in the
// type's file (kind_<type>.go). Where the reference has a result for the
// type, ours is that shape with, at most, fields added beside the
// reference's: the reference ignores them, and its own results decode into
// these types. docs/checks.md shows each one.

// DataFrame is the reference's DataFrame (recce/models/dataframe.py):
// columns with a name and a type (integer, number, text, boolean, date,
// datetime, timedelta, unknown), rows of values, the row cap (limit) and
// whether rows were left out (more). Total, ours, is the number of rows
// before the cap when known.
type DataFrame = diff.Table

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

// DecodeResult decodes a run's result into its type's shape: a pointer to
// one of LineageDiffResult, SchemaDiffResult, RowCountDiffResult,
// ValueDiffResult, ValueDiffDetailResult, ProfileDiffResult, QueryResult,
// QueryDiffResult, TopKDiffResult or HistogramDiffResult. A run without a
// result gives nil, nil.
func DecodeResult(r *Run) (any, error) {
	if len(r.Result) == 0 {
		return nil, nil
	}
	k, ok := Lookup(r.Type)
	if !ok {
		return nil, fmt.Errorf("run %s: type %q has no result shape", r.RunID, r.Type)
	}
	v, err := k.DecodeResult(r.Result)
	if err != nil {
		if !k.Runs() {
			return nil, fmt.Errorf("run %s: %w", r.RunID, err)
		}
		return nil, fmt.Errorf("run %s (%s): result is not in the %s shape: %w", r.RunID, r.Type, r.Type, err)
	}
	return v, nil
}
