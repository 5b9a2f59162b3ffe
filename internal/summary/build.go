package summary

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/lineage"
)

// Build computes a summary's content from a state. It parses the embedded
// artifacts for the lineage graph; a state without artifacts gets a
// summary without the graph.
func Build(s *check.State) *Summary { return build(s, Options{}) }

// build uses opts' artifacts (and lineage) when given, else the state's
// artifacts. Checks that the reference computes from the artifacts
// (lineage and schema diffs without a run) are computed here too.
func build(s *check.State, opts Options) *Summary {
	base, current := opts.Base, opts.Current
	var artsErr error
	if base == nil || current == nil {
		base, current, artsErr = s.LoadArtifacts()
	}
	if artsErr == nil {
		s = s.WithArtifactRuns(base, current)
	} else {
		s = s.WithArtifactRuns(nil, nil) // Failed runs that say why
	}
	as := s.Assessments()
	t := check.TallyOf(as)
	sum := &Summary{Status: StatusOf(t), PullRequest: s.PullRequest, Mismatched: []CheckReport{}, Incomplete: []CheckReport{},
		Checks: Stats{Run: t.Checks, Mismatch: t.Mismatch, Incomplete: t.Incomplete, Approved: t.Approved}}
	for _, a := range as {
		c := a.Check
		rep := CheckReport{CheckID: c.CheckID, Name: c.Name, Type: c.Type, Description: c.Description, Verdict: a.Verdict,
			Approved: c.IsChecked, Nodes: a.Nodes, Reason: a.Reason}
		if !a.IsNote() {
			sum.all = append(sum.all, rep)
		}
		switch a.Verdict {
		case check.Mismatch:
			if res, err := check.DecodeResult(a.Run); err == nil {
				rep.Facts, rep.Tables = check.Figures(c, res)
			}
			sum.Mismatched = append(sum.Mismatched, rep)
		case check.Incomplete:
			sum.Incomplete = append(sum.Incomplete, rep)
		}
	}
	sum.Headline = headline(sum)

	if artsErr != nil {
		sum.Environments = []Environment{{Name: "Base"}, {Name: "Current"}}
		return sum
	}
	sum.Environments = []Environment{environment("Base", base), environment("Current", current)}
	lin := opts.Lineage
	if lin == nil {
		lin = lineage.Diff(base, current)
	}
	sum.Lineage = buildLineage(lin, as)
	return sum
}

func environment(name string, a *dbt.Artifacts) Environment {
	e := Environment{Name: name, ManifestGeneratedAt: stamp(a.Manifest.Metadata.GeneratedAt)}
	if a.Catalog != nil {
		e.CatalogGeneratedAt = stamp(a.Catalog.Metadata.GeneratedAt)
	}
	return e
}

// stamp shows an artifact's generated_at as the reference does
// ("2024-11-05 07:49:12", UTC).
func stamp(s string) string {
	t, err := check.ParseTime(s)
	if err != nil {
		return s
	}
	return t.Format(time.DateTime)
}

func headline(s *Summary) string {
	n := s.Checks
	checks := check.Plural(n.Run, "check", "checks")
	switch {
	case n.Run == 0:
		return "✅ No checks ran: add preset checks to recce.yml to validate the data."
	case n.Mismatch > 0 && n.Incomplete > 0:
		return fmt.Sprintf("❌ Data mismatch detected in %d of %s; %d did not complete.", n.Mismatch, checks, n.Incomplete)
	case n.Mismatch > 0:
		return fmt.Sprintf("❌ Data mismatch detected in %d of %s.", n.Mismatch, checks)
	case n.Incomplete > 0:
		// Never "no mismatch": what an incomplete check compares is unknown.
		return fmt.Sprintf("⚠️ %d of %s did not complete: the change is not fully validated.", n.Incomplete, checks)
	}
	return fmt.Sprintf("✅ No data mismatch detected: %s ran clean.", checks)
}

// Lineage is the graph of changed nodes and their descendants.
type Lineage struct {
	// Counts are the nodes changed and impacted downstream, as every
	// output says them (whitespace-only edits, which change no data, are
	// counted apart and not drawn).
	Counts lineage.Counts `json:"counts"`
	// Impacted counts the changed nodes and their descendants
	// (Counts.Changed + Counts.ImpactedDownstream); Shown those drawn,
	// level by level from the changed nodes, until the next level would
	// take the graph past MaxMermaidChars.
	Impacted    int         `json:"impacted"`
	Shown       int         `json:"shown"`
	Levels      int         `json:"levels"`
	ShownLevels int         `json:"shown_levels"`
	Nodes       []GraphNode `json:"nodes"`
	// Mermaid is the graph's text ("" when there is no change).
	Mermaid string `json:"mermaid"`

	// impacted names every changed node and descendant (drawn or not),
	// for the summary's history block.
	impacted []string
}

// Truncated reports whether part of the graph was left out.
func (l *Lineage) Truncated() bool { return l.Shown < l.Impacted }

// GraphNode is a node of the graph with what changed in it.
type GraphNode struct {
	UniqueID     string   `json:"unique_id"`
	Name         string   `json:"name"`
	ResourceType string   `json:"resource_type"`
	Change       string   `json:"change"`
	Level        int      `json:"level"`
	WhatChanged  []string `json:"what_changed"`
}

// nodeFlags maps node names and unique ids to what checks found there.
type nodeFlags struct {
	figure map[string]string   // node -> "Row Count 🔼 +5.05%"
	checks map[string][]string // node -> check type titles that found a mismatch there
}

func (f nodeFlags) of(n *lineage.Node) []string {
	var out []string
	if rc, ok := f.figure[n.UniqueID]; ok {
		out = append(out, rc)
	} else if rc, ok := f.figure[n.Name]; ok {
		out = append(out, rc)
	}
	seen := map[string]bool{}
	for _, key := range []string{n.UniqueID, n.Name} {
		for _, t := range f.checks[key] {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// flags reads what the mismatched checks mark on the graph's nodes (each
// check type's check.Marks).
func flags(as []check.Assessment) nodeFlags {
	f := nodeFlags{figure: map[string]string{}, checks: map[string][]string{}}
	for _, a := range as {
		if a.Verdict != check.Mismatch {
			continue
		}
		res, err := check.DecodeResult(a.Run)
		if err != nil {
			continue
		}
		m := check.Marks(a.Check, res, a.Outcome)
		for node, label := range m.Figures {
			f.figure[node] = label
		}
		for _, n := range m.Titled {
			f.checks[n] = append(f.checks[n], a.Check.Type.Title())
		}
	}
	return f
}

var reasonTitles = map[lineage.Reason]string{
	lineage.ReasonCode: "Code", lineage.ReasonConfig: "Config", lineage.ReasonRelation: "Relation",
	lineage.ReasonContract: "Contract", lineage.ReasonMacros: "Macros",
}

// buildLineage walks the graph level by level from the changed nodes and
// draws as many whole levels as fit in MaxMermaidChars.
func buildLineage(r *lineage.Result, as []check.Assessment) *Lineage {
	l := &Lineage{Nodes: []GraphNode{}, Counts: lineage.CountNodes(r.Nodes)}
	f := flags(as)
	var level []string
	for _, n := range r.Nodes { // r.Nodes is sorted by unique_id
		if n.Changed() && !n.WhitespaceOnly() {
			level = append(level, n.UniqueID)
		}
	}
	visited := map[string]int{}
	var levels [][]string
	for len(level) > 0 {
		for _, id := range level {
			visited[id] = len(levels)
		}
		levels = append(levels, level)
		var next []string
		for _, id := range level {
			for _, c := range r.Children(id) {
				if _, ok := visited[c]; !ok {
					visited[c] = -1
					next = append(next, c)
				}
			}
		}
		sort.Strings(next)
		level = next
	}
	l.Levels = len(levels)
	l.Impacted = len(visited)
	for id := range visited {
		l.impacted = append(l.impacted, displayName(r.Node(id)))
	}
	sort.Strings(l.impacted)
	if len(levels) == 0 {
		return l
	}

	g := &mermaid{ids: map[string]string{}}
	for depth, ids := range levels {
		var nodes []GraphNode
		for _, id := range ids {
			n := r.Node(id)
			gn := GraphNode{UniqueID: id, Name: displayName(n), ResourceType: n.ResourceType, Change: string(n.Change), Level: depth, WhatChanged: whatChanged(n, f)}
			nodes = append(nodes, gn)
		}
		if !g.addLevel(nodes, r) {
			break
		}
		l.Nodes = append(l.Nodes, nodes...)
		l.ShownLevels++
	}
	l.Shown = len(l.Nodes)
	l.Mermaid = g.text()
	return l
}

func displayName(n *lineage.Node) string {
	if n.ResourceType == dbt.Source {
		return n.Node().SourceName + "." + n.Name
	}
	return n.Name
}

func whatChanged(n *lineage.Node, f nodeFlags) []string {
	out := []string{}
	switch n.Change {
	case lineage.Added:
		out = append(out, "Added")
	case lineage.Removed:
		out = append(out, "Removed")
	case lineage.Modified:
		for _, x := range n.Reasons {
			if t, ok := reasonTitles[x]; ok {
				out = append(out, t)
			}
		}
	}
	if n.Change != lineage.Added && n.Change != lineage.Removed && n.Columns.Differs() {
		out = append(out, "Schema")
	}
	return append(out, f.of(n)...)
}

// mermaid builds the graph's text level by level.
type mermaid struct {
	ids     map[string]string // unique_id -> n0, n1... (ids never carry names)
	body    strings.Builder
	classes map[string][]string // change -> mermaid ids
}

var classStyles = []struct{ change, style string }{
	{"added", "stroke:#1dce00,stroke-width:3px"},
	{"modified", "stroke:#ffa502,stroke-width:3px"},
	{"removed", "stroke:#ff067e,stroke-width:3px,stroke-dasharray:5 5"},
}

// addLevel appends a level's nodes and the edges into them from the nodes
// already drawn, unless that would take the text past MaxMermaidChars.
func (g *mermaid) addLevel(nodes []GraphNode, r *lineage.Result) bool {
	ids := make(map[string]string, len(g.ids)+len(nodes))
	for k, v := range g.ids {
		ids[k] = v
	}
	classes := map[string][]string{}
	for k, v := range g.classes {
		classes[k] = append([]string{}, v...)
	}
	var b strings.Builder
	for _, n := range nodes {
		id := "n" + strconv.Itoa(len(ids))
		ids[n.UniqueID] = id
		label := mermaidText(n.Name)
		if len(n.WhatChanged) > 0 {
			label += "<br>[What's Changed]<br>" + mermaidText(strings.Join(n.WhatChanged, ", "))
		}
		open, close := `["`, `"]`
		if n.ResourceType == dbt.Source {
			open, close = `[("`, `")]`
		}
		fmt.Fprintf(&b, "%s%s%s%s\n", id, open, label, close)
		if n.Change != string(lineage.Unchanged) {
			classes[n.Change] = append(classes[n.Change], id)
		}
	}
	for _, n := range nodes {
		for _, p := range r.Parents(n.UniqueID) {
			if pid, ok := ids[p]; ok {
				arrow := "-->"
				if r.Node(n.UniqueID).Change == lineage.Removed || r.Node(p).Change == lineage.Removed {
					arrow = "-.->"
				}
				fmt.Fprintf(&b, "%s %s %s\n", pid, arrow, ids[n.UniqueID])
			}
		}
	}
	text := "graph LR\n" + g.body.String() + b.String() + classLines(classes)
	if len([]rune(text)) > MaxMermaidChars {
		return false
	}
	g.ids, g.classes = ids, classes
	g.body.WriteString(b.String())
	return true
}

func classLines(classes map[string][]string) string {
	var b strings.Builder
	for _, cs := range classStyles {
		if ids := classes[cs.change]; len(ids) > 0 {
			fmt.Fprintf(&b, "classDef %s %s\nclass %s %s\n", cs.change, cs.style, strings.Join(ids, ","), cs.change)
		}
	}
	return b.String()
}

func (g *mermaid) text() string {
	if len(g.ids) == 0 {
		return ""
	}
	return "graph LR\n" + g.body.String() + classLines(g.classes)
}

// mermaidText makes a name safe inside a quoted mermaid label: quotes,
// angle brackets, backticks (markdown strings) and # (entity codes) as
// mermaid entities, line breaks as spaces.
var mermaidText = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "`", "#96;",
	"\r\n", " ", "\n", " ", "\r", " ",
).Replace
