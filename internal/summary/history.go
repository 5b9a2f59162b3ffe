package summary

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
)

// The summary note remembers what it said, so that the next summary on
// the merge request can start with what changed since: a hidden line at
// its end, `<!-- recce:history {...} -->`, holds each check's verdict and
// the impacted models, as JSON (HTML-escaped by encoding/json, so no
// "-->" can end the comment early, and no line starts with a slash).
// The note itself is the durable store: whoever posts next (the CLI in
// another pipeline, the server after a restart) reads it there.

// Bounds of the history line: it must not crowd the summary out of its
// note.
const (
	maxHistoryChecks   = 300
	maxHistoryName     = 60
	maxHistoryImpacted = 40_000 // characters of impacted model names
	// HistoryReserve is the room WithHistory may add to a rendered
	// summary: the previous review's line and the "since" section. Render
	// with MaxChars less this when the body will go through WithHistory.
	HistoryReserve = 60_000
)

// Snapshot is one review as the history line keeps it.
type Snapshot struct {
	// Commit is the reviewed commit ("" until WithHistory sets it).
	Commit string `json:"commit,omitempty"`
	// Checks are [check id, verdict, name] (verdict as in check.Verdict,
	// with "+approved" when approved).
	Checks [][3]string `json:"checks"`
	// Impacted are the names of the changed models and their
	// descendants; Over when they were too many to keep.
	Impacted []string `json:"impacted"`
	Over     bool     `json:"over,omitempty"`
}

type history struct {
	V    int       `json:"v"`
	Cur  *Snapshot `json:"cur"`
	Prev *Snapshot `json:"prev,omitempty"`
}

var historyLine = regexp.MustCompile(`(?m)^<!-- recce:history (\{.*\}) -->$`)

const historyPrefix = "<!-- recce:history "

// snapshot is the summary's review, bounded.
func (s *Summary) snapshot() *Snapshot {
	snap := &Snapshot{Checks: [][3]string{}, Impacted: []string{}}
	for i, c := range s.all {
		if i == maxHistoryChecks {
			snap.Over = true
			break
		}
		snap.Checks = append(snap.Checks, [3]string{c.CheckID, verdictCode(c), check.Clip(c.Name, maxHistoryName)})
	}
	if s.Lineage != nil {
		n := 0
		for _, name := range s.Lineage.impacted {
			if n += len(name) + 3; n > maxHistoryImpacted {
				snap.Over = true
				break
			}
			snap.Impacted = append(snap.Impacted, name)
		}
	}
	return snap
}

func verdictCode(c CheckReport) string {
	if c.Approved {
		return string(c.Verdict) + "+approved"
	}
	return string(c.Verdict)
}

func (h history) line() string {
	b, _ := json.Marshal(h) // HTML-escaped: "<", ">" and "&" become \u003c...
	return historyPrefix + string(b) + " -->"
}

// readHistory finds the history line of a note body.
func readHistory(body string) *history {
	m := historyLine.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		return nil
	}
	var h history
	if json.Unmarshal([]byte(m[len(m)-1][1]), &h) != nil || h.Cur == nil {
		return nil
	}
	return &h
}

// WithHistory completes a rendered summary body for the merge request
// whose previous summary note is previous ("" for none), commit being the
// reviewed commit: the summary then starts, under its headline, with what
// changed since the previous summary (checks whose verdict flipped, new
// mismatches, newly impacted models), and its history line remembers this
// review and the one it was compared with. Posting the same review again
// gives the same bytes: when nothing changed since the previous summary,
// it is compared with what that one was compared with.
func WithHistory(body, previous, commit string) string {
	h := readHistory(body)
	if h == nil {
		return body // not a rendered summary: nothing to compare
	}
	cur := *h.Cur
	cur.Commit = commit
	next := history{V: 1, Cur: &cur}
	if prev := readHistory(previous); prev != nil {
		next.Prev = prev.Cur
		if sameReview(prev.Cur, &cur) {
			next.Prev = prev.Prev
		}
	}
	body = historyLine.ReplaceAllLiteralString(body, next.line())
	if next.Prev == nil {
		return body
	}
	section := sinceSection(next.Prev, &cur)
	at := strings.Index(body, "\n## Manifest Information\n")
	if at < 0 {
		return body
	}
	return body[:at+1] + section + "\n" + body[at+1:]
}

func sameReview(a, b *Snapshot) bool {
	return a.Commit == b.Commit && a.Over == b.Over && slices.Equal(a.Checks, b.Checks) && slices.Equal(a.Impacted, b.Impacted)
}

// maxSinceRows bounds the lists of the section.
const maxSinceRows = 20

// sinceSection says what changed from prev to cur.
func sinceSection(prev, cur *Snapshot) string {
	var b strings.Builder
	b.WriteString("## Since the Previous Summary\n")
	if prev.Commit != "" {
		fmt.Fprintf(&b, "_Compared with the summary of commit `%s`._\n\n", shortCommit(prev.Commit))
	}
	before := map[string][3]string{}
	for _, c := range prev.Checks {
		before[c[0]] = c
	}
	type flip struct{ name, was, now string }
	var flips []flip
	newMismatches, nowPassing := 0, 0
	seen := map[string]bool{}
	for _, c := range cur.Checks {
		seen[c[0]] = true
		was, ok := before[c[0]]
		switch {
		case !ok:
			flips = append(flips, flip{c[2], "", c[1]})
		case was[1] != c[1]:
			flips = append(flips, flip{c[2], was[1], c[1]})
		default:
			continue
		}
		if isMismatch(c[1]) && (!ok || !isMismatch(was[1])) {
			newMismatches++
		}
		if ok && !passes(was[1]) && passes(c[1]) {
			nowPassing++
		}
	}
	for _, c := range prev.Checks {
		if !seen[c[0]] {
			flips = append(flips, flip{c[2], c[1], "removed"})
		}
	}
	oldImpacted := map[string]bool{}
	for _, n := range prev.Impacted {
		oldImpacted[n] = true
	}
	var newly []string
	for _, n := range cur.Impacted {
		if !oldImpacted[n] {
			newly = append(newly, n)
		}
	}
	sort.Strings(newly)

	if len(flips) == 0 && len(newly) == 0 && !prev.Over && !cur.Over {
		b.WriteString("No check changed its verdict and no model is newly impacted.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "**New mismatches:** %d · **Now passing:** %d · **Newly impacted models:** %d\n", newMismatches, nowPassing, len(newly))
	if len(flips) > 0 {
		b.WriteString("\n" + tableHead("Check", "Before", "Now"))
		for i, f := range flips {
			if i == maxSinceRows {
				b.WriteString(row(fmt.Sprintf("… and %d more checks", len(flips)-i), " ", " "))
				break
			}
			b.WriteString(row(cell(f.name), verdictText(f.was), verdictText(f.now)))
		}
	}
	if len(newly) > 0 {
		names := make([]string, 0, min(len(newly), maxSinceRows))
		for i, n := range newly {
			if i == maxSinceRows {
				names = append(names, fmt.Sprintf("and %d more", len(newly)-i))
				break
			}
			names = append(names, code(n))
		}
		b.WriteString("\n**Newly impacted:** " + strings.Join(names, ", ") + "\n")
	}
	if prev.Over || cur.Over {
		b.WriteString("\n_Too many checks or impacted models to compare them all: the lists above may be incomplete._\n")
	}
	return b.String()
}

func isMismatch(v string) bool { return strings.HasPrefix(v, string(check.Mismatch)) }

// passes: nothing left to look at (clean, info, or approved).
func passes(v string) bool {
	return v == string(check.Clean) || v == string(check.Info) || strings.HasSuffix(v, "+approved")
}

func verdictText(v string) string {
	approved := strings.HasSuffix(v, "+approved")
	v = strings.TrimSuffix(v, "+approved")
	s := map[string]string{"": "—", "removed": "removed", string(check.Clean): "✅ clean", string(check.Mismatch): "❌ mismatch",
		string(check.Incomplete): "⚠️ incomplete", string(check.Info): "ℹ️ info"}[v]
	if s == "" {
		s = cell(v)
	}
	if approved {
		s += " (approved)"
	}
	return s
}

func shortCommit(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}
