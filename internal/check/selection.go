package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/lineage"
)

// NodeSelection chooses the nodes of a multi-node check (lineage, schema
// and row count diffs): explicit node_ids or node_names when given,
// otherwise dbt's selector syntax in select and exclude (all nodes when
// both are empty).
type NodeSelection struct {
	Select    string
	Exclude   string
	NodeIDs   []string
	NodeNames []string
	// Packages keeps only nodes of these packages (the reference's
	// "packages" param).
	Packages []string
	// ViewMode "changed_models" keeps only changed nodes and their
	// descendants, as the reference's lineage view does.
	ViewMode string
}

// Explicit reports whether nodes are named one by one.
func (s NodeSelection) Explicit() bool { return len(s.NodeIDs)+len(s.NodeNames) > 0 }

// readSelection reads a multi-node check's params.
func readSelection(r *paramReader) NodeSelection {
	s := NodeSelection{
		Select:    r.str("select", false),
		Exclude:   r.str("exclude", false),
		NodeIDs:   r.strList("node_ids"),
		NodeNames: r.strList("node_names"),
		Packages:  r.strList("packages"),
		ViewMode:  r.str("view_mode", false),
	}
	// The reference's schema diff names its nodes in node_id (one id or a
	// list).
	s.NodeIDs = append(s.NodeIDs, r.strList("node_id")...)
	if s.ViewMode != "" && s.ViewMode != "all" && s.ViewMode != "changed_models" {
		r.fail("view_mode", fmt.Sprintf("must be all or changed_models, not %q", s.ViewMode))
	}
	return s
}

// selectNodes resolves a multi-node check's selection against the
// lineage diff (so that state:modified works), in unique_id order.
func selectNodes(r *lineage.Result, s NodeSelection) ([]*lineage.Node, error) {
	var nodes []*lineage.Node
	if s.Explicit() {
		seen := map[string]bool{}
		add := func(n *lineage.Node) {
			if !seen[n.UniqueID] {
				seen[n.UniqueID] = true
				nodes = append(nodes, n)
			}
		}
		for _, id := range s.NodeIDs {
			n := r.Node(id)
			if n == nil {
				return nil, fmt.Errorf("node_ids: %q is in neither manifest", id)
			}
			add(n)
		}
		for _, name := range s.NodeNames {
			n, err := nodeByName(r, name)
			if err != nil {
				return nil, fmt.Errorf("node_names: %w", err)
			}
			add(n)
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i].UniqueID < nodes[j].UniqueID })
	} else {
		sel, err := r.Select(s.Select, s.Exclude)
		if err != nil {
			return nil, fmt.Errorf("node selection (select %q, exclude %q): %w", s.Select, s.Exclude, err)
		}
		nodes = sel.Nodes
	}
	out := nodes[:0:0]
	for _, n := range nodes {
		if len(s.Packages) > 0 && !slices.Contains(s.Packages, n.PackageName) {
			continue
		}
		if s.ViewMode == "changed_models" && !n.Impacted {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// selectedSomething fails a multi-node check whose selection gave it
// nothing to look at (a typo in a name, a tag nobody has): no selected
// node that the check can look at (looks, described by what), unless the
// selection depends on the change (a state: method, or view_mode
// changed_models): that nothing was modified is then the answer, and the
// check passes with nothing to compare.
func selectedSomething(s NodeSelection, nodes []*lineage.Node, what string, looks func(*lineage.Node) bool) error {
	if s.Explicit() || strings.Contains(s.Select+" "+s.Exclude, "state:") || s.ViewMode == "changed_models" {
		return nil
	}
	if slices.ContainsFunc(nodes, looks) {
		return nil
	}
	sel := fmt.Sprintf("select %q", s.Select)
	if s.Select == "" {
		sel = "every node"
	}
	if s.Exclude != "" {
		sel += fmt.Sprintf(", exclude %q", s.Exclude)
	}
	if len(s.Packages) > 0 {
		sel += fmt.Sprintf(", packages %s", strings.Join(s.Packages, ", "))
	}
	return fmt.Errorf("the selection (%s) matched no %s, so there was nothing to compare: check its names (`recce lineage-diff --select ...` lists what a selector matches)", sel, what)
}

// selected runs a multi-node check's selection on env: the nodes, or why
// there is nothing to look at.
func selected(env *Env, s NodeSelection, what string, looks func(*lineage.Node) bool) ([]*lineage.Node, error) {
	nodes, err := selectNodes(env.Lineage(), s)
	if err != nil {
		return nil, err
	}
	if err := selectedSomething(s, nodes, what, looks); err != nil {
		return nil, err
	}
	return nodes, nil
}

// nodeByName finds a node by name, package.name, or source.table.
func nodeByName(r *lineage.Result, name string) (*lineage.Node, error) {
	var found []*lineage.Node
	for _, n := range r.Nodes {
		d := n.Node()
		if n.Name == name || n.PackageName+"."+n.Name == name || (n.ResourceType == dbt.Source && d.SourceName+"."+n.Name == name) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%q is in neither manifest", name)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, n := range found {
		ids[i] = n.UniqueID
	}
	return nil, fmt.Errorf("%q names several nodes (%s): use node_ids", name, strings.Join(ids, ", "))
}
