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
	// Missing names the catalog that lacks a node present in both manifests
	// ("base" or "current"): its columns are unknown there, not removed.
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
	return d != nil && (len(d.Added)+len(d.Removed)+len(d.Changed) > 0 || d.Missing != "")
}

func diffColumns(n *Node, baseCat, curCat *dbt.Catalog) *ColumnsDiff {
	bt, ct := table(baseCat, n.UniqueID), table(curCat, n.UniqueID)
	if bt == nil && ct == nil {
		return nil
	}
	d := &ColumnsDiff{Added: []string{}, Removed: []string{}, Changed: []ColumnChange{}}
	switch {
	case n.Base == nil && ct != nil:
		for _, c := range ct.Columns() {
			d.Added = append(d.Added, c.Name)
		}
		return d
	case n.Current == nil && bt != nil:
		for _, c := range bt.Columns() {
			d.Removed = append(d.Removed, c.Name)
		}
		return d
	case n.Base == nil || n.Current == nil:
		return nil
	case bt == nil:
		d.Missing = "base"
		return d
	case ct == nil:
		d.Missing = "current"
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
