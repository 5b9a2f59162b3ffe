// Package summary renders a review's state as the merge request summary:
// markdown for a GitLab note (and the same content as data, for JSON).
//
// It keeps the reference system's sections (# Recce Summary, ## Manifest
// Information, ## Lineage Graph, ## Checks Summary, ### Checks of Data
// Mismatch Detected; see recce/summary.py of the reference) and adds a
// status marker and a headline at the top, and a collapsible section of
// figures per mismatched check.
//
// Three rules shape the code:
//
//   - Deterministic: the same state gives the same bytes (stable order, no
//     clock, no ids), so an unchanged summary is never posted again.
//   - Bounded: the mermaid graph stays within mermaid's 50,000 characters
//     (cut at a whole level of the graph, saying so) and the whole summary
//     within Options.MaxChars (GitLab's 1,000,000-character note limit by
//     default), by dropping detail, never by cutting a table or a fence.
//   - Safe to post: text that comes from users or models (check names,
//     descriptions, node names, SQL, errors, values) never begins a line
//     of a plain paragraph, where GitLab would run "/merge" or "/close"
//     as a command. It goes in table cells, code spans, a mermaid fence or
//     HTML-escaped <summary> lines (see internal/markdown).
package summary

import (
	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/lineage"
)

// Limits.
const (
	// DefaultMaxChars is GitLab's note limit.
	DefaultMaxChars = 1_000_000
	// MaxMermaidChars is mermaid's default maxTextSize: a longer graph is
	// not drawn at all.
	MaxMermaidChars = 50_000
)

// The two statuses of a summary, agreed with the GitLab poster, which
// reads the marker line and sets the commit status from it.
const (
	StatusSuccess = "success"
	StatusFailed  = "failed"
)

// Marker is the line that carries the status at the top of the markdown:
// exactly `<!-- recce:status=success -->` or `<!-- recce:status=failed -->`.
func Marker(status string) string { return "<!-- recce:status=" + status + " -->" }

// NoteMarker follows the status line. It is the hidden marker by which the
// GitLab poster finds its note again (gitlab.SummaryMarker, the same text):
// carrying it here makes the rendered summary exactly what is posted, so
// MaxChars bounds the note itself.
const NoteMarker = "<!-- recce:summary -->"

// Options tune the rendering.
type Options struct {
	// MaxChars bounds the markdown, in characters (0: DefaultMaxChars).
	MaxChars int
	// Base and Current, when set, are the state's artifacts already
	// parsed (recce run has them): the embedded ones are then not parsed
	// again, which takes seconds on a large project.
	Base, Current *dbt.Artifacts
	// Lineage, when set, is the lineage diff of Base and Current,
	// computed already (recce run's checks computed it): it is not
	// computed again.
	Lineage *lineage.Result
	// Reason, when set, gives the reason shown for each check that did not
	// complete, from the check, its latest run (nil when it never ran) and
	// the reason check.Assess gives, which is the run's error text for a
	// failed run. The team server keeps that text out of the notes it
	// posts: a warehouse's error can quote the data it read.
	Reason func(c *check.Check, r *check.Run, assessed string) string
}

// Status is the state's verdict for the merge gate: failed when a check
// found a data mismatch or did not complete (failed, cancelled, never
// run, or could not see what it compares), success otherwise. Lineage and
// schema diffs without a run (a state file of the reference) are computed
// from the state's artifacts first, as the summary does.
func Status(s *check.State) string { return StatusOf(s.WithArtifactRuns(nil, nil).Tally()) }

// StatusOf is a tally's status: success when it passed, failed otherwise.
func StatusOf(t check.Tally) string {
	if t.Passed() {
		return StatusSuccess
	}
	return StatusFailed
}

// Summary is the content of a summary as data: what `recce summary
// --format json` prints and what the markdown shows.
type Summary struct {
	Status       string             `json:"status"`
	Headline     string             `json:"headline"`
	PullRequest  *check.PullRequest `json:"pull_request,omitempty"`
	Environments []Environment      `json:"environments"`
	Lineage      *Lineage           `json:"lineage"`
	Checks       Stats              `json:"checks"`
	// Mismatched are the checks that found a difference, in checklist
	// order; Incomplete those that did not complete.
	Mismatched []CheckReport `json:"mismatched"`
	Incomplete []CheckReport `json:"incomplete"`
	// Notices say what the markdown left out to stay within MaxChars.
	Notices []string `json:"notices,omitempty"`

	// all is every check with its verdict (notes excepted), for the
	// summary's history block and the merge request threads.
	all []CheckReport
}

// Environment is a row of the Manifest Information table.
type Environment struct {
	Name string `json:"name"` // Base, Current
	// When the artifacts were generated, "" when unknown (a catalog may be
	// missing).
	ManifestGeneratedAt string `json:"manifest_generated_at"`
	CatalogGeneratedAt  string `json:"catalog_generated_at"`
}

// Stats count the checks (notes are not counted: they do not run).
type Stats struct {
	Run        int `json:"run"`
	Mismatch   int `json:"mismatch"`
	Incomplete int `json:"incomplete"`
	Approved   int `json:"approved"`
}

// CheckReport is a check with its verdict and key figures.
type CheckReport struct {
	CheckID     string        `json:"check_id"`
	Name        string        `json:"name"`
	Type        check.Type    `json:"type"`
	Description string        `json:"description,omitempty"`
	Verdict     check.Verdict `json:"verdict"`
	Approved    bool          `json:"approved"`
	// Nodes are where the difference is (for multi-node checks).
	Nodes  []string `json:"nodes,omitempty"`
	Reason string   `json:"reason"`
	Facts  []Fact   `json:"facts,omitempty"`
	Tables []Table  `json:"tables,omitempty"`
}

// Fact is a labelled figure ("Rows added": "3"): each check type's
// figures (check.Figures).
type Fact = check.Fact

// Table is a small table of figures. Cells flagged in Code hold text from
// the data or the project (names, values) and are shown as code.
type Table = check.Table
