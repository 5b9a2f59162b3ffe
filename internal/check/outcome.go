package check

import (
	"fmt"
	"strings"
)

// Verdict is what a check's latest run says about the change.
type Verdict string

const (
	// Clean: the check ran and found no difference.
	Clean Verdict = "clean"
	// Mismatch: the check ran and found a difference in the data or the
	// schema ("data mismatch detected" in the summary).
	Mismatch Verdict = "mismatch"
	// Info: the check ran but compares nothing that can mismatch: a
	// lineage diff (a merge request is meant to change code), a query on
	// one environment, a note.
	Info Verdict = "info"
	// Incomplete: the check failed, was cancelled, is still running or
	// never ran.
	Incomplete Verdict = "incomplete"
)

// Outcome is a check's verdict with what supports it.
type Outcome struct {
	Verdict Verdict `json:"verdict"`
	// Nodes are the names of the nodes (models) where a difference was
	// found, for multi-node checks; the model, for single-model checks.
	Nodes []string `json:"nodes,omitempty"`
	// Reason says in one line why (figures, or the error).
	Reason string `json:"reason"`
}

// What counts as a mismatch is each type's own rule: see its Kind
// (kind_<type>.go) and docs/checks.md. lineage_diff, query, query_base and
// simple are Info.

// Assess gives the verdict of a check from its latest run (nil when it
// never ran).
func Assess(c *Check, r *Run) Outcome {
	k, known := Lookup(c.Type)
	if known && !k.Runs() {
		return Outcome{Verdict: Info, Reason: "note"}
	}
	if r == nil {
		return Outcome{Verdict: Incomplete, Reason: "not run"}
	}
	switch r.Status {
	case Failed:
		return Outcome{Verdict: Incomplete, Reason: firstLine(r.Error)}
	case Cancelled:
		reason := "cancelled"
		if r.Error != "" {
			reason = firstLine(r.Error)
		}
		return Outcome{Verdict: Incomplete, Reason: reason}
	case Running:
		return Outcome{Verdict: Incomplete, Reason: "still running"}
	}
	res, err := DecodeResult(r)
	if err != nil {
		return Outcome{Verdict: Incomplete, Reason: err.Error()}
	}
	if res == nil {
		return Outcome{Verdict: Incomplete, Reason: "the run has no result"}
	}
	return k.Assess(c, res)
}

// modelOutcome is the outcome of a single-model check: a mismatch names
// the model.
func modelOutcome(c *Check, changed bool, reason string) Outcome {
	if !changed {
		return Outcome{Verdict: Clean, Reason: reason}
	}
	var nodes []string
	if model := c.Model(); model != "" {
		nodes = []string{model}
	}
	return Outcome{Verdict: Mismatch, Nodes: nodes, Reason: reason}
}

// nameList names at most five names, and how many more.
func nameList(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// LatestRuns maps each check id to its latest run (by run_at, then by
// position in the list).
func LatestRuns(runs []*Run) map[string]*Run {
	latest := map[string]*Run{}
	for _, r := range runs {
		if r.CheckID == "" {
			continue
		}
		if prev := latest[r.CheckID]; prev == nil || !r.RunAt.Before(prev.RunAt.Time) {
			latest[r.CheckID] = r
		}
	}
	return latest
}
