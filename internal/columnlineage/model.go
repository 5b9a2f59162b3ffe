package columnlineage

import (
	"cmp"
	"fmt"
	"slices"
)

// resolveModel follows a parsed statement to the lineage of the model's
// columns. own are the model's columns in the catalog, nil without an
// entry: they name the columns that SELECT * over an unknown relation
// yields, and the unnamed expressions.
func (r *resolver) resolveModel(id string, q *Query, own []string) (m *Model) {
	defer func() {
		if p := recover(); p != nil {
			reason := "the statement nests too deeply to follow"
			if _, ok := p.(tooDeep); !ok {
				reason = fmt.Sprintf("internal error while following the SQL (%v): please report it", p)
			}
			m = unknownModel(id, reason, own)
		}
	}()
	res := r.query(q, nil, nil)
	cols := res.cols
	if res.open != nil {
		for _, name := range own {
			if !slices.ContainsFunc(cols, func(c *col) bool { return equalFold(c.name, name) }) {
				cols = append(cols, res.open(name))
			}
		}
	}
	m = &Model{
		UniqueID: id, sql: true, rowHash: res.rowHash, sig: res.sig,
		wideUnknown: res.rowUnknown, open: res.open != nil && len(own) == 0,
		ModelWide: sortedRefs(res.rowDeps),
	}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		name := c.name
		if c.unnamed && len(own) == len(res.cols) && findFold(own, name) == "" {
			// The warehouse named the expression; the catalog says how.
			name = own[i]
		}
		if spelled := findFold(own, name); spelled != "" {
			name = spelled
		}
		if seen[lower(name)] {
			continue
		}
		seen[lower(name)] = true
		m.Columns = append(m.Columns, &Column{Name: name, Transformation: transformation(c, name), Upstream: sortedRefs(c.up), hash: c.hash})
	}
	if m.Columns == nil {
		m.Columns = []*Column{}
	}
	return m
}

func transformation(c *col, name string) Transformation {
	switch c.kind {
	case kUnknown:
		return TransformUnknown
	case kSource:
		return TransformSource
	case kDerived:
		if len(c.up) == 0 {
			return TransformSource
		}
		return TransformDerived
	}
	if len(c.up) == 0 {
		return TransformSource
	}
	for _, u := range c.up {
		if !equalFold(u.Column, name) {
			return TransformRenamed
		}
	}
	return TransformPassthrough
}

func findFold(names []string, name string) string {
	for _, n := range names {
		if equalFold(n, name) {
			return n
		}
	}
	return ""
}

func sortedRefs(refs []ColumnRef) []ColumnRef {
	out := slices.Clone(refs)
	slices.SortFunc(out, func(a, b ColumnRef) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(lower(a.Column), lower(b.Column)))
	})
	out = slices.CompactFunc(out, func(a, b ColumnRef) bool { return a.Node == b.Node && equalFold(a.Column, b.Column) })
	if out == nil {
		out = []ColumnRef{}
	}
	return out
}

// unknownModel is a model whose SQL could not be followed: its catalog
// columns, of unknown lineage.
func unknownModel(id, reason string, own []string) *Model {
	m := &Model{UniqueID: id, Unknown: true, Reason: reason, Columns: make([]*Column, 0, len(own)), ModelWide: []ColumnRef{}}
	for _, n := range own {
		m.Columns = append(m.Columns, &Column{Name: n, Transformation: TransformUnknown, Upstream: []ColumnRef{}})
	}
	return m
}

// sourceModel is a node without SQL (a source or a seed): its columns are
// where lineage starts.
func sourceModel(id string, own []string) *Model {
	m := &Model{UniqueID: id, Columns: make([]*Column, 0, len(own)), ModelWide: []ColumnRef{}}
	for _, n := range own {
		m.Columns = append(m.Columns, &Column{Name: n, Transformation: TransformSource, Upstream: []ColumnRef{}})
	}
	return m
}
