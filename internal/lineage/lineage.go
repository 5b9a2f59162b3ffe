// Package lineage compares the graphs of two dbt environments, base and
// current: which nodes were added, removed or modified (and why), which edges
// changed, which nodes are impacted downstream, and how the columns of the
// built relations changed.
package lineage

import (
	"fmt"
	"sort"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// Change says how a node or an edge differs between base and current.
type Change string

const (
	Added     Change = "added"
	Removed   Change = "removed"
	Modified  Change = "modified"
	Unchanged Change = "unchanged"
)

// Reason says why a node is modified.
type Reason string

const (
	// ReasonCode: the SQL body (or, for seeds, the file; for exposures,
	// metrics and semantic models, the definition) changed.
	ReasonCode Reason = "code"
	// ReasonWhitespace: the body changed only in whitespace or line endings.
	// A node with this reason has no other.
	ReasonWhitespace Reason = "whitespace"
	// ReasonConfig: a config that changes what is built changed.
	ReasonConfig Reason = "config"
	// ReasonRelation: database, schema or alias changed beyond the
	// environment's own schema and database.
	ReasonRelation Reason = "relation"
	// ReasonContract: the contract (enforcement, column types, constraints) changed.
	ReasonContract Reason = "contract"
	// ReasonMacros: the body of a macro the node calls (directly or not) changed.
	ReasonMacros Reason = "macros"
	// ReasonDescriptions: with persist_docs on, a description that dbt
	// writes into the warehouse's comments changed (dbt's
	// state:modified.persisted_descriptions).
	ReasonDescriptions Reason = "persisted_descriptions"
	// ReasonSource: a source's freshness, loaded_at_field,
	// loaded_at_query, quoting or external definition changed, which dbt's
	// state:modified counts as a change of the source.
	ReasonSource Reason = "source"
)

// Env describes one side of the comparison.
type Env struct {
	DBTVersion  string `json:"dbt_version"`
	GeneratedAt string `json:"generated_at"`
	ProjectName string `json:"project_name"`
	AdapterType string `json:"adapter_type,omitempty"`
	// SchemaVersion is the manifest schema version, e.g. 12.
	SchemaVersion int `json:"manifest_schema_version,omitempty"`
	// Schema and Database are the environment's own (target) schema and
	// database, inferred from the nodes without a custom schema.
	Schema   string `json:"schema,omitempty"`
	Database string `json:"database,omitempty"`
	// HasCatalog tells whether catalog.json was found.
	HasCatalog bool `json:"has_catalog"`
}

// Node is one node of the compared graphs.
type Node struct {
	UniqueID     string   `json:"unique_id"`
	Name         string   `json:"name"`
	ResourceType string   `json:"resource_type"`
	PackageName  string   `json:"package_name"`
	Materialized string   `json:"materialized,omitempty"`
	Change       Change   `json:"change"`
	Reasons      []Reason `json:"reasons"`
	// Impacted: the node changed (other than in whitespace alone) or is
	// downstream of such a node.
	Impacted bool `json:"impacted"`
	// ImpactedBy lists, for an impacted node, the changed nodes upstream
	// of it (whitespace-only edits aside) that impact it, by unique_id and
	// sorted; absent when there are none.
	ImpactedBy []string     `json:"impacted_by,omitempty"`
	Columns    *ColumnsDiff `json:"columns,omitempty"`

	// Base and Current are the node in each manifest (nil where absent).
	Base    *dbt.Node `json:"-"`
	Current *dbt.Node `json:"-"`
}

// Edge links a parent (Source) to a child (Target).
type Edge struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Change Change `json:"change"`
}

// Result is a lineage diff.
type Result struct {
	Base    Env     `json:"base"`
	Current Env     `json:"current"`
	Counts  Counts  `json:"counts"`
	Nodes   []*Node `json:"nodes"`
	Edges   []Edge  `json:"edges"`

	byID     map[string]*Node
	parents  map[string][]string
	children map[string][]string
}

// Node returns the node with the given unique_id, or nil.
func (r *Result) Node(id string) *Node { return r.byID[id] }

// Changed reports whether the node was added, removed or modified.
func (n *Node) Changed() bool { return n.Change != Unchanged }

// WhitespaceOnly reports whether the node's only change is whitespace.
func (n *Node) WhitespaceOnly() bool {
	return n.Change == Modified && len(n.Reasons) == 1 && n.Reasons[0] == ReasonWhitespace
}

// Node returns the current version of the node, or the base one for a
// removed node.
func (n *Node) Node() *dbt.Node {
	if n.Current != nil {
		return n.Current
	}
	return n.Base
}

// Diff compares two environments. Catalogs may be nil.
func Diff(base, current *dbt.Artifacts) *Result {
	bm, cm := base.Manifest, current.Manifest
	r := &Result{
		Base:     envOf(base),
		Current:  envOf(current),
		byID:     map[string]*Node{},
		parents:  map[string][]string{},
		children: map[string][]string{},
	}
	cmp := newComparer(bm, cm, r.Base, r.Current)

	for id, cn := range cm.Nodes {
		if !cn.InGraph() {
			continue
		}
		n := &Node{UniqueID: id, Current: cn, Base: bm.Nodes[id]}
		if n.Base != nil && !n.Base.InGraph() {
			n.Base = nil
		}
		if n.Base == nil {
			n.Change = Added
		} else if reasons := cmp.reasons(n.Base, cn); len(reasons) > 0 {
			n.Change, n.Reasons = Modified, reasons
		} else {
			n.Change = Unchanged
		}
		r.add(n)
	}
	for id, bn := range bm.Nodes {
		if !bn.InGraph() || r.byID[id] != nil {
			continue
		}
		r.add(&Node{UniqueID: id, Base: bn, Change: Removed})
	}
	sort.Slice(r.Nodes, func(i, j int) bool { return r.Nodes[i].UniqueID < r.Nodes[j].UniqueID })

	r.Edges = diffEdges(r, bm, cm)
	r.markImpacted()
	r.Counts = CountNodes(r.Nodes)
	if base.Catalog != nil || current.Catalog != nil {
		for _, n := range r.Nodes {
			n.Columns = diffColumns(n, base.Catalog, current.Catalog)
		}
	}
	return r
}

func (r *Result) add(n *Node) {
	d := n.Node()
	n.Name, n.ResourceType, n.PackageName, n.Materialized = d.Name, d.ResourceType, d.PackageName, d.Materialized()
	if n.Reasons == nil {
		n.Reasons = []Reason{}
	}
	r.Nodes = append(r.Nodes, n)
	r.byID[n.UniqueID] = n
}

func envOf(a *dbt.Artifacts) Env {
	md := a.Manifest.Metadata
	schema, database := targetLocation(a.Manifest)
	return Env{
		DBTVersion: md.DBTVersion, GeneratedAt: md.GeneratedAt, ProjectName: md.ProjectName,
		AdapterType: md.AdapterType, SchemaVersion: a.Manifest.SchemaVersion,
		Schema: schema, Database: database, HasCatalog: a.Catalog != nil,
	}
}

// diffEdges lists the edges between graph nodes of both manifests, marking
// those only in current as added and those only in base as removed.
func diffEdges(r *Result, bm, cm *dbt.Manifest) []Edge {
	type key struct{ s, t string }
	seen := map[key]Change{}
	collect := func(m *dbt.Manifest, ch Change) {
		for id, n := range m.Nodes {
			if r.byID[id] == nil || !n.InGraph() {
				continue
			}
			for _, p := range n.DependsOn.Nodes {
				if r.byID[p] == nil {
					continue
				}
				k := key{p, id}
				if prev, ok := seen[k]; ok && prev != ch {
					seen[k] = Unchanged
				} else if !ok {
					seen[k] = ch
				}
			}
		}
	}
	collect(bm, Removed)
	collect(cm, Added)
	edges := make([]Edge, 0, len(seen))
	for k, ch := range seen {
		edges = append(edges, Edge{Source: k.s, Target: k.t, Change: ch})
		r.children[k.s] = append(r.children[k.s], k.t)
		r.parents[k.t] = append(r.parents[k.t], k.s)
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].Source != edges[j].Source {
			return edges[i].Source < edges[j].Source
		}
		return edges[i].Target < edges[j].Target
	})
	for _, m := range []map[string][]string{r.children, r.parents} {
		for _, l := range m {
			sort.Strings(l)
		}
	}
	return edges
}

// markImpacted marks changed nodes and everything downstream of them, over
// the edges of both graphs, and records which changes impact each node.
// Whitespace-only changes change no data, so they impact nothing.
func (r *Result) markImpacted() {
	// One walk down from each change; seen[i] holds the number of the last
	// walk that reached node i, so that no walk allocates its own set.
	index := make(map[string]int, len(r.Nodes))
	for i, n := range r.Nodes {
		index[n.UniqueID] = i
	}
	seen := make([]int, len(r.Nodes))
	walk := 0
	var queue []int
	for i, root := range r.Nodes { // sorted: ImpactedBy comes out sorted
		if !root.Changed() || root.WhitespaceOnly() {
			continue
		}
		walk++
		root.Impacted = true
		seen[i] = walk
		queue = append(queue[:0], i)
		for len(queue) > 0 {
			id := r.Nodes[queue[0]].UniqueID
			queue = queue[1:]
			for _, c := range r.children[id] {
				j := index[c]
				if seen[j] == walk {
					continue
				}
				seen[j] = walk
				cn := r.Nodes[j]
				cn.Impacted = true
				cn.ImpactedBy = append(cn.ImpactedBy, root.UniqueID)
				queue = append(queue, j)
			}
		}
	}
}

// Counts say how many nodes changed and how many more their changes
// impact, in the words every output uses (see String).
type Counts struct {
	// Changed is Added + Removed + Modified; nodes changed only in
	// whitespace, which changes no data, are counted apart.
	Changed        int `json:"changed"`
	Added          int `json:"added"`
	Removed        int `json:"removed"`
	Modified       int `json:"modified"`
	WhitespaceOnly int `json:"whitespace_only"`
	// ImpactedDownstream counts the nodes impacted by a change without
	// being changed themselves (a whitespace-only edit included).
	ImpactedDownstream int `json:"impacted_downstream"`
	// Nodes counts every node compared.
	Nodes int `json:"nodes"`
}

// CountNodes counts a diff's nodes (or a selection of them).
func CountNodes(nodes []*Node) Counts {
	c := Counts{Nodes: len(nodes)}
	for _, n := range nodes {
		switch {
		case n.WhitespaceOnly():
			c.WhitespaceOnly++
			if n.Impacted {
				c.ImpactedDownstream++
			}
			continue
		case n.Change == Added:
			c.Added++
		case n.Change == Removed:
			c.Removed++
		case n.Change == Modified:
			c.Modified++
		case n.Impacted:
			c.ImpactedDownstream++
		}
	}
	c.Changed = c.Added + c.Removed + c.Modified
	return c
}

// String says the counts as every output does: "5 changed (2 added, 0
// removed, 3 modified), 2 impacted downstream".
func (c Counts) String() string {
	return fmt.Sprintf("%d changed (%d added, %d removed, %d modified), %d impacted downstream",
		c.Changed, c.Added, c.Removed, c.Modified, c.ImpactedDownstream)
}

// Parents returns the unique_ids of a node's parents over both graphs.
func (r *Result) Parents(id string) []string { return r.parents[id] }

// Children returns the unique_ids of a node's children over both graphs.
func (r *Result) Children(id string) []string { return r.children[id] }

// The methods below let dbt.Select work on the diff, state: selectors
// included.

// NodeIDs lists the nodes of both graphs, sorted.
func (r *Result) NodeIDs() []string {
	ids := make([]string, len(r.Nodes))
	for i, n := range r.Nodes {
		ids[i] = n.UniqueID
	}
	return ids
}

// GraphNode returns the current definition of a node, or the base one for a
// removed node.
func (r *Result) GraphNode(id string) *dbt.Node {
	if n := r.byID[id]; n != nil {
		return n.Node()
	}
	return nil
}

// State says how a node compares with base.
func (r *Result) State(id string) (string, []string) {
	n := r.byID[id]
	if n == nil {
		return "", nil
	}
	reasons := make([]string, len(n.Reasons))
	for i, x := range n.Reasons {
		reasons[i] = string(x)
	}
	return string(n.Change), reasons
}

// Select keeps the nodes matched by include (all when empty) and not by
// exclude, with the edges between them.
func (r *Result) Select(include, exclude string) (*Result, error) {
	ids, err := dbt.Select(r, include, exclude)
	if err != nil {
		return nil, err
	}
	keep := make(map[string]bool, len(ids))
	for _, id := range ids {
		keep[id] = true
	}
	out := *r
	out.Nodes = make([]*Node, 0, len(ids))
	for _, n := range r.Nodes {
		if keep[n.UniqueID] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	out.Counts = CountNodes(out.Nodes)
	out.Edges = make([]Edge, 0)
	for _, e := range r.Edges {
		if keep[e.Source] && keep[e.Target] {
			out.Edges = append(out.Edges, e)
		}
	}
	return &out, nil
}
