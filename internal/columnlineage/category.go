package columnlineage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// Category classifies a modified model's change by what it can do
// downstream.
type Category string

const (
	// CategoryAdditive: only new columns (or no change to the data at all):
	// nothing downstream is impacted.
	CategoryAdditive Category = "additive"
	// CategoryColumn: some columns were added, removed or redefined; the
	// rows are the same.
	CategoryColumn Category = "column"
	// CategoryModelWide: a filter, join, grouping, distinct or source
	// relation changed: every row may change.
	CategoryModelWide Category = "model_wide"
	// CategoryUnknown: the SQL could not be parsed; treated as model-wide.
	CategoryUnknown Category = "unknown"
)

// ParseCategory reads a category, including the reference's earlier names
// found in state files: non_breaking (additive), partial_breaking (column)
// and breaking (model_wide).
func ParseCategory(s string) (Category, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "additive", "non_breaking":
		return CategoryAdditive, nil
	case "column", "partial_breaking":
		return CategoryColumn, nil
	case "model_wide", "breaking":
		return CategoryModelWide, nil
	case "unknown":
		return CategoryUnknown, nil
	}
	return "", fmt.Errorf("unknown change category %q: expected additive, column, model_wide or unknown", s)
}

// ColumnChange says how one column changed: "added", "removed" or
// "redefined".
type ColumnChange struct {
	Name   string `json:"name"`
	Change string `json:"change"`
}

// Change is the classification of a modified model's change.
type Change struct {
	Category Category `json:"change_category"`
	// Columns names the added, removed and redefined columns.
	Columns []string `json:"changed_columns"`
	// ColumnChanges says how each of Columns changed.
	ColumnChanges []ColumnChange `json:"column_changes"`
	// Reason says, for a model-wide or unknown change, what changed or
	// why it could not be told.
	Reason string `json:"change_reason,omitempty"`
}

// Classify computes the category of each modified node's change from its
// lineage in both environments (parsing only those models, and the
// parents whose columns the catalogs lack).
func Classify(ctx context.Context, base, current *Project, modified []string) (map[string]*Change, error) {
	var bm, cm []*Model
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { bm, err = base.Lineage(gctx, modified...); return err })
	g.Go(func() (err error) { cm, err = current.Lineage(gctx, modified...); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]*Change, len(modified))
	for i, id := range modified {
		out[id] = classify(base.art.Manifest.Nodes[id], bm[i], cm[i])
	}
	return out, nil
}

func classify(n *dbt.Node, b, c *Model) *Change {
	ch := &Change{Columns: []string{}, ColumnChanges: []ColumnChange{}}
	switch {
	case b == nil || c == nil:
		ch.Category, ch.Reason = CategoryUnknown, "the node is not in both environments"
		return ch
	case !b.sql || !c.sql:
		ch.Category, ch.Reason = CategoryUnknown, noSQLReason(n, b, c)
		return ch
	}
	for _, cc := range c.Columns {
		bc := b.Column(cc.Name)
		switch {
		case bc == nil:
			ch.add(cc.Name, "added")
		case bc.hash != cc.hash:
			ch.add(cc.Name, "redefined")
		}
	}
	for _, bc := range b.Columns {
		if c.Column(bc.Name) == nil {
			ch.add(bc.Name, "removed")
		}
	}
	switch {
	case b.rowHash != c.rowHash:
		ch.Category = CategoryModelWide
		if parts := b.sig.diff(&c.sig); len(parts) > 0 {
			ch.Reason = "changed: " + strings.Join(parts, ", ")
		} else {
			ch.Reason = "changed: the query's structure"
		}
	case slices.ContainsFunc(ch.ColumnChanges, func(x ColumnChange) bool { return x.Change != "added" }):
		ch.Category = CategoryColumn
	default:
		ch.Category = CategoryAdditive
	}
	return ch
}

func (ch *Change) add(name, how string) {
	ch.Columns = append(ch.Columns, name)
	ch.ColumnChanges = append(ch.ColumnChanges, ColumnChange{Name: name, Change: how})
}

func noSQLReason(n *dbt.Node, b, c *Model) string {
	for _, m := range []*Model{c, b} {
		if m.Unknown {
			return m.Reason
		}
	}
	if n != nil && n.ResourceType == dbt.Seed {
		return "a seed's rows changed: which ones is not known"
	}
	return "the node has no SQL to compare"
}
