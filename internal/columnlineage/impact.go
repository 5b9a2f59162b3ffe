package columnlineage

import (
	"context"
	"slices"
	"sort"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// Impact says how much of a node a change can reach.
type Impact string

const (
	// ImpactModelWide: any row and column may differ.
	ImpactModelWide Impact = "model_wide"
	// ImpactColumns: only the impacted columns may differ.
	ImpactColumns Impact = "columns"
	// ImpactNone: nothing in the node can differ.
	ImpactNone Impact = "none"
)

// NodeImpact is what a node's impact is.
type NodeImpact struct {
	Impact Impact `json:"impact"`
	// ImpactedColumns are the columns that may differ when Impact is
	// "columns" (empty for model_wide: all may).
	ImpactedColumns []string `json:"impacted_columns"`
}

// Result is the change categories of the modified nodes and the impact on
// every node of both graphs.
type Result struct {
	Changes map[string]*Change
	Impacts map[string]*NodeImpact
}

// flow is what reaches a node's children from it.
type flow struct {
	whole   bool
	cols    map[string]bool // lower-case names of columns that may differ
	removed map[string]bool // those of them that no longer exist
}

// Diff classifies the modified nodes (see Classify) and computes the impact
// radius over the current graph: a model-wide (or unknown) change impacts
// every descendant wholly; a column change impacts the columns computed
// from the changed ones, and wholly the models that use them in a
// model-wide way; an additive change impacts nothing downstream. Added and
// removed nodes are impacted wholly themselves. Only the models a column
// change reaches are parsed.
func Diff(ctx context.Context, base, current *Project, modified []string) (*Result, error) {
	changes, err := Classify(ctx, base, current, modified)
	if err != nil {
		return nil, err
	}
	res := &Result{Changes: changes, Impacts: map[string]*NodeImpact{}}
	bm, cm := base.art.Manifest, current.art.Manifest
	for id, n := range bm.Nodes {
		if n.InGraph() && (cm.Nodes[id] == nil || !cm.Nodes[id].InGraph()) {
			res.Impacts[id] = &NodeImpact{Impact: ImpactModelWide, ImpactedColumns: []string{}}
		}
	}

	// Only what a change can reach needs a look: the modified and added
	// nodes and their descendants, parents first.
	var seeds []string
	for id, n := range cm.Nodes {
		if !n.InGraph() {
			continue
		}
		if _, ok := changes[id]; ok || bm.Nodes[id] == nil || !bm.Nodes[id].InGraph() {
			seeds = append(seeds, id)
		} else {
			res.Impacts[id] = &NodeImpact{Impact: ImpactNone, ImpactedColumns: []string{}}
		}
	}
	levels := descendantLevels(cm, seeds)
	flows := map[string]*flow{}
	for _, level := range levels {
		// The lineage the level needs, computed in one batch per environment.
		var needCur, needBase []string
		for _, id := range level {
			w, colParents, removed := inherited(cm.Nodes[id], flows)
			if !w && colParents {
				needCur = append(needCur, id)
				if removed && bm.Nodes[id] != nil {
					needBase = append(needBase, id)
				}
			}
		}
		if len(needCur) > 0 {
			if _, err := current.Lineage(ctx, needCur...); err != nil {
				return nil, err
			}
		}
		if len(needBase) > 0 {
			if _, err := base.Lineage(ctx, needBase...); err != nil {
				return nil, err
			}
		}
		for _, id := range level {
			n := cm.Nodes[id]
			f := &flow{cols: map[string]bool{}, removed: map[string]bool{}}
			impacted := map[string]string{} // lower → spelled
			whole, colParents, _ := inherited(n, flows)
			if !whole && colParents {
				whole = reach(n, current.Model(id), base.Model(id), flows, impacted, f)
			}
			if bm.Nodes[id] == nil || !bm.Nodes[id].InGraph() {
				whole = true // added
			}
			if ch := changes[id]; ch != nil {
				switch ch.Category {
				case CategoryModelWide, CategoryUnknown:
					whole = true
				default:
					for _, cc := range ch.ColumnChanges {
						impacted[lower(cc.Name)] = cc.Name
						if cc.Change != "added" {
							f.cols[lower(cc.Name)] = true
						}
						if cc.Change == "removed" {
							f.removed[lower(cc.Name)] = true
						}
					}
				}
			}
			ni := &NodeImpact{Impact: ImpactNone, ImpactedColumns: []string{}}
			switch {
			case whole:
				ni.Impact = ImpactModelWide
				flows[id] = &flow{whole: true}
			case len(impacted) > 0:
				ni.Impact = ImpactColumns
				ni.ImpactedColumns = orderedColumns(impacted, current.Model(id))
				if len(f.cols) > 0 {
					flows[id] = f
				}
			}
			res.Impacts[id] = ni
		}
	}
	return res, nil
}

// inherited tells what reaches n from its parents: wholly, some columns
// (colParents), some of them removed.
func inherited(n *dbt.Node, flows map[string]*flow) (whole, colParents, removed bool) {
	for _, p := range n.DependsOn.Nodes {
		f := flows[p]
		switch {
		case f == nil:
		case f.whole:
			return true, false, false
		default:
			colParents = true
			removed = removed || len(f.removed) > 0
		}
	}
	return false, colParents, removed
}

// reach finds which columns of n the changed columns of its parents reach,
// into impacted and f (what flows on). It reports whether n is impacted
// wholly.
func reach(n *dbt.Node, cur, base *Model, flows map[string]*flow, impacted map[string]string, f *flow) bool {
	if !hasColumns(n) || cur == nil || cur.Unknown || !cur.sql || cur.wideUnknown {
		return true
	}
	hit := func(u ColumnRef) bool {
		fl := flows[u.Node]
		return fl != nil && fl.cols[lower(u.Column)]
	}
	if slices.ContainsFunc(cur.ModelWide, hit) {
		return true
	}
	parentChanged := func() bool {
		for _, p := range n.DependsOn.Nodes {
			if flows[p] != nil {
				return true
			}
		}
		return false
	}()
	for _, c := range cur.Columns {
		// A column that could not be followed may come from anything.
		if slices.ContainsFunc(c.Upstream, hit) || (c.Transformation == TransformUnknown && parentChanged) {
			impacted[lower(c.Name)] = c.Name
			f.cols[lower(c.Name)] = true
		}
	}
	if base != nil && base.sql && !base.Unknown {
		// A column removed upstream disappears from a SELECT *: only the
		// base lineage still has it.
		gone := func(u ColumnRef) bool {
			fl := flows[u.Node]
			return fl != nil && fl.removed[lower(u.Column)]
		}
		for _, c := range base.Columns {
			if slices.ContainsFunc(c.Upstream, gone) {
				impacted[lower(c.Name)] = c.Name
				f.cols[lower(c.Name)] = true
				if cur.Column(c.Name) == nil {
					f.removed[lower(c.Name)] = true
				}
			}
		}
	}
	return false
}

// orderedColumns lists impacted columns in the model's column order, then
// the rest (removed ones) by name.
func orderedColumns(impacted map[string]string, m *Model) []string {
	out := make([]string, 0, len(impacted))
	done := map[string]bool{}
	if m != nil {
		for _, c := range m.Columns {
			if name, ok := impacted[lower(c.Name)]; ok && !done[lower(c.Name)] {
				out = append(out, name)
				done[lower(c.Name)] = true
			}
		}
	}
	var rest []string
	for k, name := range impacted {
		if !done[k] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// descendantLevels groups seeds and their descendants in the graph by
// depth (parents before children), each level sorted.
func descendantLevels(m *dbt.Manifest, seeds []string) [][]string {
	// parents lists a node's distinct parents (dbt writes each once; a
	// repeat would count twice below).
	parents := func(id string) []string {
		ps := m.Nodes[id].DependsOn.Nodes
		for i := 1; i < len(ps); i++ {
			if slices.Contains(ps[:i], ps[i]) {
				return slices.Compact(slices.Sorted(slices.Values(ps)))
			}
		}
		return ps
	}
	children := make(map[string][]string, len(m.Nodes))
	for id, n := range m.Nodes {
		if !n.InGraph() {
			continue
		}
		for _, p := range parents(id) {
			if p != id {
				children[p] = append(children[p], id)
			}
		}
	}
	reach := map[string]int{} // id → parents within reach not yet placed
	var stack []string
	for _, id := range seeds {
		if _, ok := reach[id]; !ok {
			reach[id] = 0
			stack = append(stack, id)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children[id] {
			if _, ok := reach[c]; !ok {
				reach[c] = 0
				stack = append(stack, c)
			}
		}
	}
	for id := range reach {
		for _, p := range parents(id) {
			if _, ok := reach[p]; ok && p != id {
				reach[id]++
			}
		}
	}
	var levels [][]string
	var level []string
	for id, n := range reach {
		if n == 0 {
			level = append(level, id)
		}
	}
	placed := 0
	for len(level) > 0 {
		sort.Strings(level)
		levels = append(levels, level)
		placed += len(level)
		var next []string
		for _, id := range level {
			for _, c := range children[id] {
				if _, ok := reach[c]; ok {
					if reach[c]--; reach[c] == 0 {
						next = append(next, c)
					}
				}
			}
		}
		level = next
	}
	if placed < len(reach) {
		// A cycle (dbt forbids them): its nodes go last rather than nowhere.
		var rest []string
		for id, n := range reach {
			if n > 0 {
				rest = append(rest, id)
			}
		}
		sort.Strings(rest)
		levels = append(levels, rest)
	}
	return levels
}
