package summary

import (
	"fmt"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/markdown"
)

// Thread is the merge request thread of one check: open while the check
// found a mismatch or did not complete and nobody approved it, resolved
// otherwise. With GitLab's "All threads must be resolved" setting, an
// open thread holds the merge until someone looks.
type Thread struct {
	// Key identifies the check (its id) across runs.
	Key  string `json:"key"`
	Name string `json:"name"`
	Open bool   `json:"open"`
	// Body is the thread's markdown: user text only in code spans and
	// table cells, so no line can run as a quick action.
	Body string `json:"body"`
}

// Threads are the threads of the summary's checks, in checklist order
// (notes excepted).
func (s *Summary) Threads() []Thread {
	out := make([]Thread, 0, len(s.all))
	for _, c := range s.all {
		open := (c.Verdict == check.Mismatch || c.Verdict == check.Incomplete) && !c.Approved
		out = append(out, Thread{Key: c.CheckID, Name: c.Name, Open: open, Body: threadBody(c, open)})
	}
	return out
}

func threadBody(c CheckReport, open bool) string {
	var b strings.Builder
	var title, note string
	switch {
	case open && c.Verdict == check.Mismatch:
		title = "❌ Data mismatch"
		note = "Review the difference: recce resolves this thread when the check passes, or when it is approved in recce once the difference is expected."
	case open:
		title = "⚠️ Did not complete"
		note = "What this check compares is unknown until it runs: fix its configuration (or give recce the warehouse), and recce resolves this thread when it passes or is approved."
	case c.Approved:
		title = "✅ Approved in recce"
		note = "Resolved by recce: the check was approved."
	default:
		title = "✅ Passes now"
		note = "Resolved by recce: the check passes."
	}
	fmt.Fprintf(&b, "#### %s: %s\n\n", title, code(c.Name))
	b.WriteString(tableHead("Type", "Where", "Why"))
	where := "N/A"
	if len(c.Nodes) > 0 {
		where = nodeList(c.Nodes)
	}
	b.WriteString(row(c.Type.Title(), where, code(check.Clip(c.Reason, 500))))
	if c.Description != "" {
		b.WriteString("\n" + tableHead("Description") + row(cell(c.Description)))
	}
	b.WriteString("\n_" + note + "_\n")
	return markdown.NeutralizeQuickActions(b.String())
}
