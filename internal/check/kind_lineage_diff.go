package check

import (
	"context"
	"fmt"

	"gitlab.com/recce-go/recce/internal/lineage"
)

// lineage_diff: the nodes of a selection that were added, removed or
// modified (and why), and how many more they impact downstream. It reads
// the manifests only, and its verdict is always Info: a merge request is
// meant to change the lineage. `recce lineage-diff` prints the lineage
// package's diff itself, so this kind has no text.

// LineageDiff is the type of a lineage diff check.
const LineageDiff Type = "lineage_diff"

func init() {
	register(&kind[NodeSelection, []*lineage.Node, LineageDiffResult]{
		typ: LineageDiff, name: "Lineage diff",
		params: readSelection,
		compare: func(_ context.Context, env *Env, s NodeSelection) ([]*lineage.Node, error) {
			return selected(env, s, "node", func(*lineage.Node) bool { return true })
		},
		result: lineageResult,
		assess: func(_ *Check, v *LineageDiffResult) Outcome {
			if len(v.Nodes) == 0 && v.Impacted == 0 {
				return Outcome{Verdict: Info, Reason: fmt.Sprintf("no change among %d selected nodes", v.Selected)}
			}
			return Outcome{Verdict: Info, Reason: v.Counts().String()}
		},
	}, 10)
}

// LineageDiffResult is a lineage_diff run's result. The reference has no
// stored result for this type (its app computes the lineage on the fly);
// ours lists the selected nodes that changed, so that the run stands on
// its own in a state file.
type LineageDiffResult struct {
	// Selected is how many nodes the check's selection matched.
	Selected int `json:"selected"`
	// Nodes are the selected nodes that were added, removed or modified,
	// by unique_id.
	Nodes []LineageNode `json:"nodes"`
	// Impacted counts the selected unchanged nodes downstream of a change.
	Impacted int `json:"impacted"`
}

// Counts counts the result's nodes as every output does (see
// lineage.Counts).
func (r *LineageDiffResult) Counts() lineage.Counts {
	c := lineage.Counts{Nodes: r.Selected, ImpactedDownstream: r.Impacted}
	for _, n := range r.Nodes {
		switch n.Change {
		case lineage.Added:
			c.Added++
		case lineage.Removed:
			c.Removed++
		case lineage.Modified:
			c.Modified++
		}
	}
	c.Changed = c.Added + c.Removed + c.Modified
	return c
}

// LineageNode is a changed node of a lineage diff.
type LineageNode struct {
	UniqueID     string           `json:"unique_id"`
	Name         string           `json:"name"`
	ResourceType string           `json:"resource_type"`
	Change       lineage.Change   `json:"change"`
	Reasons      []lineage.Reason `json:"reasons"`
}

func lineageResult(nodes []*lineage.Node) *LineageDiffResult {
	res := &LineageDiffResult{Selected: len(nodes), Nodes: []LineageNode{}}
	for _, n := range nodes {
		switch {
		case n.Changed() && !n.WhitespaceOnly():
			res.Nodes = append(res.Nodes, LineageNode{UniqueID: n.UniqueID, Name: n.Name, ResourceType: n.ResourceType, Change: n.Change, Reasons: n.Reasons})
		case n.Impacted:
			res.Impacted++
		}
	}
	return res
}
