package lineage

import (
	"bytes"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// ColumnsDiff is how a node's columns changed between the two catalogs.
// Columns are matched by name case-insensitively (Snowflake upper-cases
// them) and listed in the relation's column order.
type ColumnsDiff struct {
	Added   []string       `json:"added"`
	Removed []string       `json:"removed"`
	Changed []ColumnChange `json:"changed"`
	// Missing names the catalog that lacks a relation its manifest has
	// ("base", "current" or "both"): its columns are unknown there, not
	// added or removed, and nothing was compared.
	Missing string `json:"missing,omitempty"`
}

// ColumnChange is a column whose type changed.
type ColumnChange struct {
	Name        string `json:"name"`
	BaseType    string `json:"base_type"`
	CurrentType string `json:"current_type"`
}

// Differs reports whether the columns differ in any way, a missing catalog
// entry included.
func (d *ColumnsDiff) Differs() bool {
	return d != nil && (d.Changes() || d.Missing != "")
}

// Changes reports whether columns were seen added, removed or retyped.
func (d *ColumnsDiff) Changes() bool {
	return d != nil && len(d.Added)+len(d.Removed)+len(d.Changed) > 0
}

// diffColumns compares a node's relation in the two catalogs. Nodes
// without a relation (ephemeral models, exposures, metrics) have none, nor
// do sources in neither catalog; a relation that one side's manifest has
// and its catalog lacks is Missing there.
func diffColumns(n *Node, baseCat, curCat *dbt.Catalog) *ColumnsDiff {
	inBase := n.Base != nil && n.Base.HasRelation()
	inCur := n.Current != nil && n.Current.HasRelation()
	if !inBase && !inCur {
		return nil
	}
	bt, ct := table(baseCat, n.UniqueID), table(curCat, n.UniqueID)
	d := &ColumnsDiff{Added: []string{}, Removed: []string{}, Changed: []ColumnChange{}}
	switch missB, missC := inBase && bt == nil, inCur && ct == nil; {
	case missB && missC && n.ResourceType == dbt.Source:
		// dbt does not build sources, and sources it cannot see (files
		// the SQL reads, tables of another database) are in no catalog:
		// nothing to compare, nothing missed. One catalog lacking a
		// source that the other has is still Missing.
		return nil
	case missB && missC:
		d.Missing = "both"
		return d
	case missB:
		d.Missing = "base"
		return d
	case missC:
		d.Missing = "current"
		return d
	}
	switch {
	case !inBase: // added, or a relation now (it was ephemeral)
		for _, c := range ct.Columns() {
			d.Added = append(d.Added, c.Name)
		}
		return d
	case !inCur:
		for _, c := range bt.Columns() {
			d.Removed = append(d.Removed, c.Name)
		}
		return d
	case bytes.Equal(bt.ColumnsJSON, ct.ColumnsJSON):
		return d
	}
	baseList, curList := bt.Columns(), ct.Columns()
	baseCols := map[string]dbt.CatalogColumn{}
	for _, c := range baseList {
		baseCols[strings.ToLower(c.Name)] = c
	}
	curCols := map[string]bool{}
	for _, c := range curList {
		k := strings.ToLower(c.Name)
		curCols[k] = true
		b, ok := baseCols[k]
		switch {
		case !ok:
			d.Added = append(d.Added, c.Name)
		case !strings.EqualFold(b.Type, c.Type):
			d.Changed = append(d.Changed, ColumnChange{Name: c.Name, BaseType: b.Type, CurrentType: c.Type})
		}
	}
	for _, c := range baseList {
		if !curCols[strings.ToLower(c.Name)] {
			d.Removed = append(d.Removed, c.Name)
		}
	}
	return d
}

func table(c *dbt.Catalog, id string) *dbt.CatalogTable {
	if c == nil {
		return nil
	}
	return c.Nodes[id]
}
