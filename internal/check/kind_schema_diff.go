package check

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/lineage"
)

// schema_diff: the columns added, removed or retyped in the selected
// relations, from both environments' catalog.json. It reads the artifacts
// only. A mismatch: a column changed. Incomplete: a side has no catalog
// (the run fails), or a selected relation is missing from a catalog.
// `recce schema-diff` prints the lineage package's diff itself.

// SchemaDiff is the type of a schema diff check.
const SchemaDiff Type = "schema_diff"

func init() {
	register(&kind[NodeSelection, []*lineage.Node, SchemaDiffResult]{
		typ: SchemaDiff, name: "Schema diff", autoApprove: true,
		params: readSelection,
		compare: func(_ context.Context, env *Env, s NodeSelection) ([]*lineage.Node, error) {
			if err := CatalogsPresent(env.Base, env.Current); err != nil {
				return nil, err
			}
			return selected(env, s, "relation (model, seed, snapshot or source)", func(n *lineage.Node) bool { return n.Node().HasRelation() })
		},
		result:  schemaResult,
		assess:  assessSchema,
		figures: schemaFigures,
		// The graph's own catalog comparison says Schema.
		marks: func(*Check, *SchemaDiffResult, Outcome) NodeMarks { return NodeMarks{} },
	}, 20)
}

// SchemaDiffResult is a schema_diff run's result. The reference computes
// schema diffs from the catalogs when it renders them and stores no
// result; ours keeps the nodes whose columns differ, with the columns.
type SchemaDiffResult struct {
	Selected int          `json:"selected"`
	Nodes    []SchemaNode `json:"nodes"`
}

// SchemaNode is a node whose columns differ. Missing names the catalog
// ("base" or "current") that lacks a node present in both manifests.
type SchemaNode struct {
	UniqueID string                 `json:"unique_id"`
	Name     string                 `json:"name"`
	Added    []string               `json:"added"`
	Removed  []string               `json:"removed"`
	Changed  []lineage.ColumnChange `json:"changed"`
	Missing  string                 `json:"missing,omitempty"`
}

// CatalogsPresent fails a schema diff that cannot see the columns of a
// side: without its catalog.json, nothing can be compared there. The
// error says how to produce the catalogs.
func CatalogsPresent(base, current *dbt.Artifacts) error {
	b, c := base.Catalog != nil, current.Catalog != nil
	switch {
	case !b && !c:
		return errors.New("neither environment has a catalog.json, so no columns can be compared: " +
			"generate both with `dbt docs generate` (on the base branch and on the merge request's branch) and run the check again")
	case !b:
		return errors.New("the base environment has no catalog.json: its columns are unknown, so nothing can be compared; " +
			"generate it with `dbt docs generate` on the base branch and run the check again")
	case !c:
		return errors.New("the current environment has no catalog.json: its columns are unknown, so nothing can be compared; " +
			"generate it with `dbt docs generate` on the merge request's branch and run the check again")
	}
	return nil
}

func schemaResult(nodes []*lineage.Node) *SchemaDiffResult {
	res := &SchemaDiffResult{Selected: len(nodes), Nodes: []SchemaNode{}}
	for _, n := range nodes {
		if !n.Columns.Differs() {
			continue
		}
		c := n.Columns
		res.Nodes = append(res.Nodes, SchemaNode{UniqueID: n.UniqueID, Name: n.Name, Added: c.Added, Removed: c.Removed, Changed: c.Changed, Missing: c.Missing})
	}
	return res
}

// assessSchema: columns seen added, removed or retyped are a mismatch;
// otherwise a selected relation missing from a catalog (its columns
// unknown) makes the check incomplete, since nothing was compared there.
func assessSchema(_ *Check, v *SchemaDiffResult) Outcome {
	var changed []string
	missing := map[string][]string{}
	for _, n := range v.Nodes {
		if n.Missing != "" {
			missing[n.Missing] = append(missing[n.Missing], n.Name)
			continue
		}
		changed = append(changed, n.Name)
	}
	unseen := ""
	if len(missing) > 0 {
		var parts []string
		for _, side := range []string{"base", "current", "both"} {
			names := missing[side]
			if len(names) == 0 {
				continue
			}
			where := "the " + side + " catalog"
			if side == "both" {
				where = "either catalog"
			}
			parts = append(parts, fmt.Sprintf("%s not in %s", nameList(names), where))
		}
		unseen = strings.Join(parts, "; ") + ": their columns are unknown; run `dbt docs generate` where they are missing"
	}
	switch {
	case len(changed) > 0 && unseen != "":
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("columns changed in %d of %d selected nodes; %s", len(changed), v.Selected, unseen)}
	case len(changed) > 0:
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("columns changed in %d of %d selected nodes", len(changed), v.Selected)}
	case unseen != "":
		return Outcome{Verdict: Incomplete, Reason: unseen}
	case v.Selected == 0:
		return Outcome{Verdict: Clean, Reason: "nothing to compare: the selection matched no node"}
	}
	return Outcome{Verdict: Clean, Reason: fmt.Sprintf("no column changed in %d selected nodes", v.Selected)}
}

func schemaFigures(_ *Check, v *SchemaDiffResult) ([]Fact, []Table) {
	t := Table{Title: "Columns changed", Columns: []string{"Node", "Added", "Removed", "Retyped"}, Code: []bool{true, true, true, true}}
	for _, n := range v.Nodes {
		retyped := make([]string, len(n.Changed))
		for i, ch := range n.Changed {
			retyped[i] = fmt.Sprintf("%s: %s → %s", ch.Name, ch.BaseType, ch.CurrentType)
		}
		added, removed := strings.Join(n.Added, ", "), strings.Join(n.Removed, ", ")
		if n.Missing != "" {
			added = "(not in the " + n.Missing + " catalog)"
		}
		t.Rows = append(t.Rows, []string{n.Name, added, removed, strings.Join(retyped, ", ")})
	}
	return []Fact{{"Nodes with changed columns", strconv.Itoa(len(v.Nodes))}, {"Nodes selected", strconv.Itoa(v.Selected)}}, []Table{t}
}
