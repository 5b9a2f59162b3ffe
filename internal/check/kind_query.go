package check

import (
	"fmt"
	"io"

	"gitlab.com/recce-go/recce/internal/diff"
)

// query and query_base: a SQL template run on one environment (current,
// or base), its result capped at 2,000 rows with the total. It compares
// nothing: its verdict is Info.

// Query and QueryBase are the types of a query on current and on base.
const (
	Query     Type = "query"
	QueryBase Type = "query_base"
)

func init() {
	register(queryKind(Query, "Query", false), 70)
	register(queryKind(QueryBase, "Query on base", true), 80)
}

func queryKind(t Type, name string, base bool) Kind {
	return &kind[diff.QueryParams, *diff.Table, QueryResult]{
		typ: t, name: name, warehouse: true,
		params: func(r *paramReader) diff.QueryParams {
			return diff.QueryParams{SQLTemplate: r.str("sql_template", true), Base: base}
		},
		compare: onWarehouse(diff.Query),
		assess: func(_ *Check, v *QueryResult) Outcome {
			return Outcome{Verdict: Info, Reason: fmt.Sprintf("%d rows", len(v.Data))}
		},
		text: func(w io.Writer, t *diff.Table) error { return writeRows(w, t, 0) },
	}
}

// QueryResult is a query or query_base run's result: the reference's
// QueryResult, a DataFrame (capped at 2,000 rows), with total (ours).
type QueryResult = DataFrame
