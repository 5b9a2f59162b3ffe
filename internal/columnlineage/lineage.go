// Package columnlineage computes column-level lineage from the compiled SQL
// of a dbt project: for each column of a model, the upstream columns it is
// computed from and how (source, passthrough, renamed, derived, unknown),
// and the columns that affect every row (filters, joins, grouping). From the
// lineage of base and current it classifies each modified model's change
// (additive, column, model_wide, unknown) and the impact radius: which
// downstream models and columns a change can reach.
//
// Parsing is behind the Parser interface (the embedded DuckDB's parser is in
// the duckdbparser package); a model that does not parse is unknown, never
// an error. Results are cached by each model's compiled SQL and upstream
// columns (Cache), so that a re-run parses only what changed.
package columnlineage

import (
	"context"
)

// Parser parses SQL statements into trees.
type Parser interface {
	// Parse parses each of sqls, written for the dbt adapter dialect
	// ("snowflake", "bigquery", "postgres", "duckdb"...), and calls each
	// with its index and tree, or with the reason it did not parse. each
	// may be called concurrently and in any order. The error is for
	// failures of the parser itself (and a cancelled ctx), not of a
	// statement.
	Parse(ctx context.Context, dialect string, sqls []string, each func(i int, q *Query, err error)) error
}

// Transformation says how a column is computed from its upstream columns.
type Transformation string

const (
	// TransformSource: no upstream column in the graph (a constant, a
	// column of a source or seed, or read from outside dbt).
	TransformSource Transformation = "source"
	// TransformPassthrough: an upstream column, unchanged and under the same name.
	TransformPassthrough Transformation = "passthrough"
	// TransformRenamed: an upstream column, unchanged, under another name.
	TransformRenamed Transformation = "renamed"
	// TransformDerived: computed from its upstream columns.
	TransformDerived Transformation = "derived"
	// TransformUnknown: the SQL could not be followed.
	TransformUnknown Transformation = "unknown"
)

// ColumnRef names a column of a node.
type ColumnRef struct {
	Node   string `json:"node"`
	Column string `json:"column"`
}

// Column is the lineage of one column.
type Column struct {
	Name           string         `json:"name"`
	Transformation Transformation `json:"transformation"`
	// Upstream are the columns of the model's parents (models, sources,
	// seeds, snapshots) it is computed from.
	Upstream []ColumnRef `json:"upstream"`

	hash uint64 // the column's definition, upstream refs by node
}

// Model is the column lineage of one node in one environment.
type Model struct {
	UniqueID string `json:"unique_id"`
	// Unknown is set when the SQL could not be parsed (or the node has no
	// compiled SQL); Reason says why. Its columns (from the catalog) are
	// then unknown.
	Unknown bool   `json:"unknown,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Columns in the relation's order.
	Columns []*Column `json:"columns"`
	// ModelWide are the upstream columns used in WHERE, JOIN ... ON, GROUP
	// BY, HAVING, QUALIFY or DISTINCT: they affect every row.
	ModelWide []ColumnRef `json:"model_wide"`

	rowHash     uint64    // what defines the rows
	sig         signature // rowHash by component, for the reason of a change
	wideUnknown bool      // a row-defining reference could not be followed
	open        bool      // the column list may be incomplete
	sql         bool      // computed from SQL (not a source or seed)
}

// Column returns the named column (case-insensitively), or nil.
func (m *Model) Column(name string) *Column {
	for _, c := range m.Columns {
		if equalFold(c.Name, name) {
			return c
		}
	}
	return nil
}
