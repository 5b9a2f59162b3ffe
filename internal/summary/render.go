package summary

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/markdown"
)

// Result is a rendered summary: the markdown and the content as data.
type Result struct {
	Markdown string
	Data     *Summary
}

// detail says how much of the summary to write. Render tries the richest
// first and drops detail until the markdown fits.
type detail struct {
	tableRows  int  // rows per figures table
	details    int  // how many mismatched checks get a <details> section
	graph      bool // draw the lineage graph
	listRows   int  // rows of the mismatch and incomplete tables
	reasonLen  int  // characters of an error shown
	omitDetail bool // say that details were left out
	noHistory  bool // leave out the history line (the last resort)
}

// Render renders a state's summary, within opts.MaxChars characters.
func Render(s *check.State, opts Options) (*Result, error) {
	sum := build(s, opts)
	if opts.Reason != nil {
		restate(sum, s, opts.Reason)
	}
	return RenderSummary(sum, opts)
}

// RenderSummary renders built content (the server may build once and
// render for several limits).
func RenderSummary(sum *Summary, opts Options) (*Result, error) {
	limit := opts.MaxChars
	if limit <= 0 {
		limit = DefaultMaxChars
	}
	n := len(sum.Mismatched)
	// From the richest to the leanest: fewer rows per table, then fewer
	// <details> sections, then no graph, then short lists.
	tries := []detail{
		{tableRows: 50, details: n, graph: true, listRows: 1 << 30, reasonLen: 500},
		{tableRows: 10, details: n, graph: true, listRows: 1 << 30, reasonLen: 500},
	}
	for k := n - 1; k >= 0; k-- {
		tries = append(tries, detail{tableRows: 10, details: k, graph: true, listRows: 1 << 30, reasonLen: 500, omitDetail: true})
	}
	tries = append(tries,
		detail{tableRows: 10, details: 0, graph: false, listRows: 1 << 30, reasonLen: 200, omitDetail: true},
		detail{tableRows: 10, details: 0, graph: false, listRows: 20, reasonLen: 100, omitDetail: true},
		detail{tableRows: 10, details: 0, graph: false, listRows: 20, reasonLen: 100, omitDetail: true, noHistory: true},
	)
	var md string
	for i, d := range tries {
		md = renderMarkdown(sum, d)
		if utf8.RuneCountInString(md) <= limit {
			out := *sum
			out.Notices = notices(sum, d, i > 0)
			return &Result{Markdown: md, Data: &out}, nil
		}
	}
	return nil, fmt.Errorf("the shortest summary is %d characters, more than the limit of %d: raise --max-chars", utf8.RuneCountInString(md), limit)
}

// Markdown building blocks. Every line starts with text of ours: a
// heading, a table pipe, an HTML tag, a fence, or bold text.

func row(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |\n" }

func tableHead(cols ...string) string {
	seps := make([]string, len(cols))
	for i := range seps {
		seps[i] = "---"
	}
	return row(cols...) + row(seps...)
}

// cell escapes text from users or data for a table cell.
func cell(s string) string {
	if s == "" {
		return " "
	}
	return markdown.TableCell(s)
}

func code(s string) string { return markdown.TableCode(s) }

// htmlText escapes text for an HTML line (a <summary>): one line, with
// markup shown as text.
func htmlText(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return html.EscapeString(s)
}

func renderMarkdown(s *Summary, d detail) string {
	var b strings.Builder
	b.WriteString(Marker(s.Status) + "\n" + NoteMarker + "\n")
	b.WriteString("# Recce Summary\n")
	b.WriteString("**" + s.Headline + "**\n\n")

	b.WriteString("## Manifest Information\n")
	b.WriteString(tableHead(" ", "Manifest", "Catalog"))
	for _, e := range s.Environments {
		b.WriteString(row(e.Name, cell(orNA(e.ManifestGeneratedAt)), cell(orNA(e.CatalogGeneratedAt))))
	}

	b.WriteString("\n## Lineage Graph\n")
	writeLineage(&b, s.Lineage, d)

	if s.Checks.Run > 0 {
		b.WriteString("\n## Checks Summary\n")
		b.WriteString(tableHead("Checks Run", "Data Mismatch Detected", "Incomplete Checks", "Approved"))
		b.WriteString(row(strconv.Itoa(s.Checks.Run), strconv.Itoa(s.Checks.Mismatch), strconv.Itoa(s.Checks.Incomplete), strconv.Itoa(s.Checks.Approved)))
		if s.Checks.Incomplete > 0 {
			b.WriteString("\n:warning: **Incomplete Checks** did not run to the end: a configuration or SQL error, a missing model, or no warehouse. The output of `recce run` says why.\n")
		}
	}

	if len(s.Mismatched) > 0 {
		b.WriteString("\n### Checks of Data Mismatch Detected\n")
		writeCheckList(&b, s.Mismatched, "Mismatched Nodes", d.listRows, func(c CheckReport) string { return nodeList(c.Nodes) })
		for i, c := range s.Mismatched {
			if i == d.details {
				break
			}
			writeDetails(&b, c, d)
		}
		if d.omitDetail && d.details < len(s.Mismatched) {
			fmt.Fprintf(&b, "\n_Figures of %d mismatched checks are left out to keep this note within its size limit; `recce summary STATE_FILE --format json` gives them all._\n", len(s.Mismatched)-d.details)
		}
	}

	if len(s.Incomplete) > 0 {
		b.WriteString("\n### Incomplete Checks\n")
		writeCheckList(&b, s.Incomplete, "Reason", d.listRows, func(c CheckReport) string { return code(check.Clip(c.Reason, d.reasonLen)) })
	}
	// What this review found, for the next summary's "since" section
	// (WithHistory).
	if !d.noHistory {
		b.WriteString("\n" + history{V: 1, Cur: s.snapshot()}.line() + "\n")
	}
	// Whatever slipped through above, no line may run as a quick action.
	return markdown.NeutralizeQuickActions(b.String())
}

// writeCheckList writes a table of checks (name, type, and a third
// column), at most limit rows and a row saying how many more.
func writeCheckList(b *strings.Builder, checks []CheckReport, third string, limit int, value func(CheckReport) string) {
	b.WriteString(tableHead("Name", "Type", third))
	for i, c := range checks {
		if i == limit {
			b.WriteString(row(fmt.Sprintf("… and %d more checks", len(checks)-i), " ", " "))
			return
		}
		b.WriteString(row(cell(c.Name), c.Type.Title(), value(c)))
	}
}

// notices say what a degraded rendering left out.
func notices(s *Summary, d detail, degraded bool) []string {
	var out []string
	if s.Lineage != nil && s.Lineage.Truncated() {
		out = append(out, fmt.Sprintf("lineage graph cut after %d of %d levels (%d of %d nodes)", s.Lineage.ShownLevels, s.Lineage.Levels, s.Lineage.Shown, s.Lineage.Impacted))
	}
	if !degraded {
		return out
	}
	out = append(out, fmt.Sprintf("tables of figures cut to %d rows", d.tableRows))
	if d.details < len(s.Mismatched) {
		out = append(out, fmt.Sprintf("figures of %d mismatched checks left out", len(s.Mismatched)-d.details))
	}
	if !d.graph && s.Lineage != nil && s.Lineage.Counts.Changed > 0 {
		out = append(out, "lineage graph left out")
	}
	if d.noHistory {
		out = append(out, "history line left out: the next summary cannot say what changed since this one")
	}
	return out
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}

// nodeList names at most three nodes, as the reference does.
func nodeList(nodes []string) string {
	if len(nodes) == 0 {
		return "N/A"
	}
	shown := nodes
	more := ""
	if len(nodes) > 3 {
		shown = nodes[:2]
		more = fmt.Sprintf(", and %d more nodes", len(nodes)-2)
	}
	parts := make([]string, len(shown))
	for i, n := range shown {
		parts[i] = code(n)
	}
	return strings.Join(parts, ", ") + more
}

func writeLineage(b *strings.Builder, l *Lineage, d detail) {
	switch {
	case l == nil:
		b.WriteString("_The state file has no artifacts: the lineage graph is unavailable._\n")
		return
	case l.Counts.Changed == 0:
		b.WriteString("No changed module was detected.\n")
		if l.Counts.WhitespaceOnly > 0 {
			fmt.Fprintf(b, "\n_%s changed only in whitespace or line endings, which changes no data._\n", check.Plural(l.Counts.WhitespaceOnly, "node", "nodes"))
		}
		return
	}
	fmt.Fprintf(b, "%s.\n", l.Counts)
	if l.Counts.WhitespaceOnly > 0 {
		fmt.Fprintf(b, "\n_%s changed only in whitespace or line endings: not shown, as that changes no data._\n", check.Plural(l.Counts.WhitespaceOnly, "more node", "more nodes"))
	}
	if !d.graph {
		b.WriteString("\n_The graph is left out to keep this note within its size limit; open the review in recce to see it._\n")
		return
	}
	if l.Mermaid == "" {
		fmt.Fprintf(b, "\n_Too many changed nodes to draw (mermaid draws at most %s characters); open the review in recce to see the graph._\n", check.Thousands(MaxMermaidChars))
		return
	}
	if l.Truncated() {
		fmt.Fprintf(b, "\n_The graph is cut after %d of %d levels (%d of %d nodes): mermaid draws at most %s characters. Open the review in recce for the whole graph._\n",
			l.ShownLevels, l.Levels, l.Shown, l.Impacted, check.Thousands(MaxMermaidChars))
	}
	b.WriteString("\n```mermaid\n")
	b.WriteString(l.Mermaid)
	b.WriteString("```\n")
}

func writeDetails(b *strings.Builder, c CheckReport, d detail) {
	fmt.Fprintf(b, "\n<details><summary>%s (%s): %s</summary>\n\n", htmlText(c.Name), c.Type.Title(), htmlText(c.Reason))
	if c.Description != "" {
		b.WriteString(tableHead("Description"))
		b.WriteString(row(cell(c.Description)))
		b.WriteString("\n")
	}
	if len(c.Facts) > 0 {
		labels := make([]string, len(c.Facts))
		values := make([]string, len(c.Facts))
		for i, f := range c.Facts {
			labels[i] = f.Label
			values[i] = cell(f.Value)
		}
		b.WriteString(tableHead(labels...))
		b.WriteString(row(values...))
	}
	for _, t := range c.Tables {
		if len(t.Rows) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n**%s**\n\n", t.Title)
		heads := make([]string, len(t.Columns)) // column names may come from the data
		for i, h := range t.Columns {
			heads[i] = cell(h)
		}
		b.WriteString(tableHead(heads...))
		for i, r := range t.Rows {
			if i == d.tableRows {
				cells := make([]string, len(t.Columns))
				cells[0] = fmt.Sprintf("… %d more rows", len(t.Rows)-i)
				for j := 1; j < len(cells); j++ {
					cells[j] = " "
				}
				b.WriteString(row(cells...))
				break
			}
			cells := make([]string, len(r))
			for j, v := range r {
				if j < len(t.Code) && t.Code[j] && v != "" {
					cells[j] = code(v)
				} else {
					cells[j] = cell(v)
				}
			}
			b.WriteString(row(cells...))
		}
	}
	b.WriteString("\n</details>\n")
}
