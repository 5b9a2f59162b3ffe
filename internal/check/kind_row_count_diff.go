package check

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/term"
)

// row_count_diff: count(*) of each selected model, seed and snapshot in
// both environments. A mismatch: counts differ, or one side has a count
// and the other no relation by construction (added, removed, made
// ephemeral). Incomplete: a relation the warehouse lacks or refuses.

// RowCountDiff is the type of a row count diff check.
const RowCountDiff Type = "row_count_diff"

func init() {
	register(&kind[NodeSelection, *diff.RowCountResult, RowCountDiffResult]{
		typ: RowCountDiff, name: "Row count diff", warehouse: true, autoApprove: true,
		params:  readSelection,
		compare: countRows,
		result:  rowCountResult,
		assess:  assessRowCounts,
		figures: rowCountFigures,
		marks:   rowCountMarks,
		text:    writeRowCounts,
	}, 30)
}

// RowCountDiffResult is a row_count_diff run's result, the reference's
// shape (recce/tasks/rowcount.py): node name to {"base": n, "curr": n},
// a count being null when there is none, and then, as in the reference's
// later versions, base_meta/curr_meta {"status": ...} saying why
// (table_not_found, permission_denied, not_in_manifest,
// unsupported_materialization). unique_id is ours.
type RowCountDiffResult map[string]RowCountEntry

// RowCountEntry is one node's counts.
type RowCountEntry struct {
	Base     *int64        `json:"base"`
	Curr     *int64        `json:"curr"`
	BaseMeta *RowCountMeta `json:"base_meta,omitempty"`
	CurrMeta *RowCountMeta `json:"curr_meta,omitempty"`
	UniqueID string        `json:"unique_id,omitempty"`
}

// RowCountMeta says why a side has no count.
type RowCountMeta struct {
	Status string `json:"status"`
}

// Changed reports whether the counts differ: both counted and unequal,
// or one side counted and the other without a relation by construction
// (the model added or removed, or made ephemeral). Two missing counts are
// no difference, as in the reference; a relation the warehouse lacks or
// refuses is no difference either, but Unseen.
func (e RowCountEntry) Changed() bool {
	switch {
	case e.Base != nil && e.Curr != nil:
		return *e.Base != *e.Curr
	case e.Base == nil && e.Curr == nil:
		return false
	case e.Unseen() != "":
		return false
	}
	return true
}

// Unseen says why a node's counts could not be compared ("" when they
// could, or when there is nothing to count): a side's relation is missing
// from the warehouse (table_not_found) or cannot be read
// (permission_denied), or neither side has a count nor says why (the
// reference's results before it wrote statuses).
func (e RowCountEntry) Unseen() string {
	var why []string
	for _, side := range []struct {
		name  string
		count *int64
		meta  *RowCountMeta
	}{{"base", e.Base, e.BaseMeta}, {"current", e.Curr, e.CurrMeta}} {
		if side.count == nil && side.meta != nil && (side.meta.Status == diff.StatusTableNotFound || side.meta.Status == diff.StatusPermissionDenied) {
			why = append(why, side.name+" "+side.meta.Status)
		}
	}
	if len(why) == 0 && e.Base == nil && e.Curr == nil && e.BaseMeta == nil && e.CurrMeta == nil {
		return "no count on either side"
	}
	return strings.Join(why, ", ")
}

// rowCountEntry is a counted node as the result stores it.
func rowCountEntry(n diff.RowCountNode) RowCountEntry {
	meta := func(s *string) *RowCountMeta {
		if s == nil {
			return nil
		}
		return &RowCountMeta{Status: *s}
	}
	return RowCountEntry{Base: n.Base, Curr: n.Current, BaseMeta: meta(n.BaseStatus), CurrMeta: meta(n.CurrentStatus), UniqueID: n.UniqueID}
}

// countRows counts the countable selected nodes (models, seeds,
// snapshots). The selection comes first: a selection that matches nothing
// is the check's own problem, and when nothing changed a row count has
// nothing to count, warehouse or not.
func countRows(ctx context.Context, env *Env, s NodeSelection) (*diff.RowCountResult, error) {
	countable := func(n *lineage.Node) bool { return diff.Countable(n.Node()) }
	nodes, err := selected(env, s, "model, seed or snapshot", countable)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, n := range nodes {
		if countable(n) {
			ids = append(ids, n.UniqueID)
		}
	}
	if len(ids) == 0 {
		return &diff.RowCountResult{Nodes: []diff.RowCountNode{}}, nil
	}
	envs, err := env.data()
	if err != nil {
		return nil, err
	}
	return diff.RowCount(ctx, envs, ids, diff.RowCountOptions{})
}

// rowCountResult is the counts in the reference's shape, keyed by node
// name (by package.name when two packages share a name).
func rowCountResult(rc *diff.RowCountResult) *RowCountDiffResult {
	names := map[string]int{}
	for _, n := range rc.Nodes {
		names[n.Name]++
	}
	pkg := func(id string) string {
		parts := strings.SplitN(id, ".", 3)
		if len(parts) == 3 {
			return parts[1] + "."
		}
		return ""
	}
	out := RowCountDiffResult{}
	for _, n := range rc.Nodes {
		key := n.Name
		if names[n.Name] > 1 {
			key = pkg(n.UniqueID) + n.Name
		}
		out[key] = rowCountEntry(n)
	}
	return &out
}

// assessRowCounts: counts that differ are a mismatch; otherwise a relation
// the warehouse lacks or refuses makes the check incomplete.
func assessRowCounts(_ *Check, p *RowCountDiffResult) Outcome {
	v := *p
	var changed, unseen []string
	for _, name := range sortedKeys(v) {
		switch e := v[name]; {
		case e.Changed():
			changed = append(changed, name)
		case e.Unseen() != "":
			unseen = append(unseen, name+" ("+e.Unseen()+")")
		}
	}
	notCounted := ""
	if len(unseen) > 0 {
		notCounted = fmt.Sprintf("%s could not be counted: build them in that environment, or check the warehouse's permissions", nameList(unseen))
	}
	switch {
	case len(changed) > 0 && notCounted != "":
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("row counts differ in %d of %d models; %s", len(changed), len(v), notCounted)}
	case len(changed) > 0:
		return Outcome{Verdict: Mismatch, Nodes: changed, Reason: fmt.Sprintf("row counts differ in %d of %d models", len(changed), len(v))}
	case notCounted != "":
		return Outcome{Verdict: Incomplete, Reason: notCounted}
	case len(v) == 0:
		return Outcome{Verdict: Clean, Reason: "nothing to count: the selection matched no model, seed or snapshot"}
	}
	return Outcome{Verdict: Clean, Reason: fmt.Sprintf("same row counts in %d models", len(v))}
}

func rowCountFigures(_ *Check, p *RowCountDiffResult) ([]Fact, []Table) {
	v := *p
	t := Table{Title: "Row counts that differ", Columns: []string{"Node", "Base", "Current", "Change"}, Code: []bool{true, false, false, false}}
	changed := 0
	for _, name := range sortedKeys(v) {
		e := v[name]
		if !e.Changed() {
			continue
		}
		changed++
		t.Rows = append(t.Rows, []string{name, countText(e.Base, e.BaseMeta), countText(e.Curr, e.CurrMeta), countChange(e)})
	}
	return []Fact{{"Models compared", strconv.Itoa(len(v))}, {"Models that differ", strconv.Itoa(changed)}}, []Table{t}
}

// rowCountMarks label each node whose count changed with the change.
func rowCountMarks(_ *Check, p *RowCountDiffResult, _ Outcome) NodeMarks {
	m := NodeMarks{Figures: map[string]string{}}
	for name, e := range *p {
		if !e.Changed() {
			continue
		}
		label := "Row Count " + rowCountDelta(e)
		m.Figures[name] = label
		if e.UniqueID != "" {
			m.Figures[e.UniqueID] = label
		}
	}
	return m
}

// rowCountDelta shows a count change relative to the BASE count (the
// reference divides by the current count; people expect base), rounded as
// every percentage is (Percent).
func rowCountDelta(e RowCountEntry) string {
	status := func(m *RowCountMeta) string {
		if m == nil || m.Status == "" {
			return "no count"
		}
		return m.Status
	}
	switch {
	case e.Base == nil && e.Curr != nil && status(e.BaseMeta) == diff.StatusNotInManifest:
		return fmt.Sprintf("🔼 %s rows (new)", Thousands(*e.Curr))
	case e.Base != nil && e.Curr == nil && status(e.CurrMeta) == diff.StatusNotInManifest:
		return fmt.Sprintf("🔽 %s rows (gone)", Thousands(*e.Base))
	case e.Base == nil:
		return "N/A (" + status(e.BaseMeta) + ")"
	case e.Curr == nil:
		return "N/A (" + status(e.CurrMeta) + ")"
	case *e.Base == 0:
		return fmt.Sprintf("🔼 +%s rows (base empty)", Thousands(*e.Curr))
	}
	b, c := *e.Base, *e.Curr
	p := Percent(float64(c-b) / float64(b))
	if c < b {
		return "🔽 " + p
	}
	return "🔼 +" + p
}

func countText(n *int64, meta *RowCountMeta) string {
	if n != nil {
		return Thousands(*n)
	}
	if meta != nil && meta.Status != "" {
		return "N/A (" + meta.Status + ")"
	}
	return "N/A"
}

func countChange(e RowCountEntry) string {
	delta := strings.TrimSpace(strings.TrimLeft(rowCountDelta(e), "🔼🔽"))
	if e.Base == nil || e.Curr == nil {
		return delta
	}
	d := *e.Curr - *e.Base
	sign := "+"
	if d < 0 {
		sign = ""
	}
	return sign + Thousands(d) + " (" + delta + ")"
}

// writeRowCounts prints each counted node, what changed, and what could
// not be counted, by the check's own rules (RowCountEntry).
func writeRowCounts(w io.Writer, r *diff.RowCountResult) error {
	if len(r.Nodes) == 0 {
		_, err := fmt.Fprintln(w, "No model, seed or snapshot selected.")
		return err
	}
	t := term.NewTable(w, "NAME", "BASE", "CURRENT", "CHANGE").AlignRight(1, 2, 3)
	changed, unseen := 0, 0
	for _, n := range r.Nodes {
		side := func(c *int64, status *string) string {
			if c != nil {
				return strconv.FormatInt(*c, 10)
			}
			return term.Gray(w, *status)
		}
		change := ""
		switch e := rowCountEntry(n); {
		case e.Changed():
			changed++
		case e.Unseen() != "":
			unseen++
			change = term.Yellow(w, "not counted")
		}
		switch {
		case n.BaseStatus != nil && *n.BaseStatus == diff.StatusNotInManifest && n.Current != nil:
			change = term.Green(w, "added")
		case n.CurrentStatus != nil && *n.CurrentStatus == diff.StatusNotInManifest && n.Base != nil:
			change = term.Red(w, "removed")
		}
		if n.Base != nil && n.Current != nil && *n.Base != *n.Current {
			d := *n.Current - *n.Base
			change = fmt.Sprintf("%+d", d)
			if *n.Base != 0 {
				p := Percent(float64(d) / float64(*n.Base))
				if d > 0 {
					p = "+" + p
				}
				change += " (" + p + ")"
			}
			change = term.Yellow(w, change)
		}
		t.Row(n.Name, side(n.Base, n.BaseStatus), side(n.Current, n.CurrentStatus), change)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d of %d nodes changed row count.\n", changed, len(r.Nodes))
	if unseen > 0 {
		fmt.Fprintf(w, "%s %d could not be counted (table_not_found: not built in that environment; permission_denied: not readable): their row counts are unknown.\n",
			term.Yellow(w, "!"), unseen)
	}
	return nil
}
