// Package diff computes the data diffs between the base and the current
// environment of a dbt project: row counts, values, value details,
// profiles, top-k, histograms and query diffs.
//
// Each diff is a function taking a context first and returning a typed
// result whose JSON is what `recce diff ... --format json` prints and what
// checks store. The SQL is written once over warehouse.Dialect; names from
// manifests or users are always quoted by the dialect, never pasted.
//
// The point of the package is to do in few scans what the reference system
// does in many: a value diff is one full outer join for all columns (the
// reference runs one per column), a profile is one query per environment
// (the reference runs one per column), row counts are batched and run
// concurrently (the reference runs them one after another).
package diff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Envs is what every diff needs: the warehouse and the two manifests that
// say where each environment's relations are.
type Envs struct {
	Warehouse warehouse.Warehouse
	Base      *dbt.Manifest
	Current   *dbt.Manifest
	// Progress, when set, is told how far long work has got (a
	// *term.Progress shows a bar on a terminal).
	Progress Progress
}

// Progress receives progress reports; *term.Progress implements it.
type Progress interface {
	Describe(text string)
	Add(steps int)
}

func (e *Envs) describe(s string) {
	if e.Progress != nil {
		e.Progress.Describe(s)
	}
}

func (e *Envs) step(n int) {
	if e.Progress != nil {
		e.Progress.Add(n)
	}
}

func (e *Envs) dialect() warehouse.Dialect { return e.Warehouse.Dialect() }

// Keys is a primary key: one or more column names. In JSON it is a string
// or a list of strings, as the reference's check params have it.
type Keys []string

// UnmarshalJSON accepts "id" as well as ["id", "day"].
func (k *Keys) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*k = Keys{one}
		if one == "" {
			*k = nil
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("primary key must be a column name or a list of column names")
	}
	*k = many
	return nil
}

// model is one model resolved in both manifests. A side is nil when the
// model is not in that environment's manifest.
type model struct {
	name          string
	base, current *dbt.Node
	baseRel       string // relation to select from; "" when the side is missing
	currentRel    string
}

// resolveModel finds a model (or seed, snapshot, source) by name or
// unique_id in both manifests. needBoth makes a model present on one side
// only an error.
func (e *Envs) resolveModel(name string, needBoth bool) (*model, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("no model given: pass --model NAME")
	}
	m := &model{name: name}
	if e.Base != nil {
		m.base = e.Base.Lookup(name)
	}
	if e.Current != nil {
		m.current = e.Current.Lookup(name)
	}
	switch {
	case m.base == nil && m.current == nil:
		return nil, fmt.Errorf("model %q is in neither manifest (or its name is ambiguous: use package.name or the unique_id)", name)
	case needBoth && m.base == nil:
		return nil, fmt.Errorf("model %q is not in the base manifest (it is added by this change): there is nothing to compare it with; use `recce query` to look at it", name)
	case needBoth && m.current == nil:
		return nil, fmt.Errorf("model %q is not in the current manifest (it is removed by this change): there is nothing to compare it with; use `recce query --base` to look at it", name)
	}
	var err error
	if m.base != nil {
		if m.baseRel, err = relationOf(e.dialect(), m.base); err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
	}
	if m.current != nil {
		if m.currentRel, err = relationOf(e.dialect(), m.current); err != nil {
			return nil, fmt.Errorf("current: %w", err)
		}
	}
	return m, nil
}

// relationOf is where a node lives: the manifest's relation_name (dbt
// wrote it for this very adapter), else database.schema.alias quoted by
// the dialect. relation_name is used only when it is one to three
// identifiers, and is then quoted again by the dialect: a manifest comes
// from whoever ran the pipeline, and SQL in it would run as recce.
func relationOf(d warehouse.Dialect, n *dbt.Node) (string, error) {
	if n.Materialized() == "ephemeral" {
		return "", fmt.Errorf("%s is ephemeral: it has no relation in the warehouse", n.Name)
	}
	if n.RelationName != "" {
		rel, err := warehouse.SafeRelation(d, n.RelationName)
		if err != nil {
			return "", fmt.Errorf("%s: relation_name in the manifest is not a relation (one to three identifiers, plain or double-quoted, separated by dots): %w; regenerate the artifacts with dbt, and check where this manifest came from", n.Name, err)
		}
		return rel, nil
	}
	if n.Schema == "" {
		return "", fmt.Errorf("%s has neither relation_name nor schema in the manifest: regenerate the artifacts with dbt docs generate", n.Name)
	}
	return d.Relation(n.Database, n.Schema, n.RelationAlias()), nil
}

// columnsOf lists a relation's (or subquery's) columns, asking the
// warehouse rather than catalog.json, which can be stale.
func columnsOf(ctx context.Context, w warehouse.Warehouse, from, label string) ([]warehouse.Column, error) {
	rows, err := w.Query(ctx, "select * from "+from+" q where 1 = 0")
	if errors.Is(err, warehouse.ErrRelationNotFound) {
		return nil, fmt.Errorf("%s: %w; build it in that environment (dbt run), or point recce at the artifacts of what was built", label, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	cols := rows.Columns()
	rows.Close()
	return cols, nil
}

// findColumn finds a column by exact name, else by a unique
// case-insensitive match (users type customer_id for CUSTOMER_ID on
// Snowflake).
func findColumn(cols []warehouse.Column, name string) (warehouse.Column, bool) {
	for _, c := range cols {
		if c.Name == name {
			return c, true
		}
	}
	var found []warehouse.Column
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return warehouse.Column{}, false
}

func columnNames(cols []warehouse.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// noColumn is the error for a column that is not there.
func noColumn(name, where string, cols []warehouse.Column) error {
	names := columnNames(cols)
	if len(names) > 30 {
		names = append(names[:30], "...")
	}
	return fmt.Errorf("column %q is not in %s (columns: %s)", name, where, strings.Join(names, ", "))
}

// InferPrimaryKey finds a model's primary key from its definition: dbt's
// primary_key (1.9+), then config.unique_key, then a column that has both
// a unique and a not_null test. The current environment is asked first,
// since that is what the change ships. It returns nil when nothing says.
func InferPrimaryKey(current, base *dbt.Manifest, name string) []string {
	for _, m := range []*dbt.Manifest{current, base} {
		if m == nil {
			continue
		}
		n := m.Lookup(name)
		if n == nil {
			continue
		}
		if len(n.PrimaryKey) > 0 {
			return n.PrimaryKey
		}
		if len(n.Config.UniqueKey) > 0 {
			return n.Config.UniqueKey
		}
		unique := m.TestedColumns("unique")[n.UniqueID]
		notNull := m.TestedColumns("not_null")[n.UniqueID]
		var both []string
		for _, c := range unique {
			if slices.Contains(notNull, c) && !slices.Contains(both, c) {
				both = append(both, c)
			}
		}
		if len(both) == 0 {
			continue
		}
		// Several candidates: prefer the first documented column, then
		// the alphabetical first, so that the choice is stable.
		for _, col := range n.Columns() {
			if slices.Contains(both, col.Name) {
				return []string{col.Name}
			}
		}
		sort.Strings(both)
		return both[:1]
	}
	return nil
}

// quoteList quotes names with the dialect, each prefixed (for a table
// alias) when prefix is not empty.
func quoteList(d warehouse.Dialect, prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + d.QuoteIdent(n)
	}
	return out
}

// stripSQL trims a user's SQL of surrounding space and trailing
// semicolons, so that it can be used as a subquery.
func stripSQL(sql string) string {
	return strings.TrimRight(strings.TrimSpace(sql), "; \t\n")
}

// subquery checks that a user's SQL is one read query, as the engine
// parses it alone (warehouse.Check), and puts it in parentheses, on lines
// of its own so that a trailing -- comment cannot swallow the closing
// one. A string that parses alone is complete (its parentheses, quotes
// and comments are closed), so it cannot close the parenthesis and add
// SQL after it.
func subquery(ctx context.Context, w warehouse.Warehouse, sql, label string) (string, error) {
	if err := w.Check(ctx, sql); err != nil {
		return "", fmt.Errorf("%s: %w", label, err)
	}
	return "(\n" + sql + "\n)", nil
}
