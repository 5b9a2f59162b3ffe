package summary

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/markdown"
)

// pushState is a review of a chain of three models where changed are the
// models whose code changed, and counts the row count results by check id
// (a check without one never ran).
func pushState(changed []string, checks []*check.Check, counts map[string]string) *check.State {
	code := func(name string) string {
		for _, c := range changed {
			if c == name {
				return "select 1 + 1"
			}
		}
		return "select 1"
	}
	models := []string{"orders", "customers", "revenue"}
	var base, cur [][2]string
	for _, m := range models {
		base = append(base, [2]string{m, "select 1"})
		cur = append(cur, [2]string{m, code(m)})
	}
	st := &check.State{Checks: checks, Artifacts: check.Artifacts{
		Base: check.ArtifactFiles{Manifest: manifestJSON("prod", base)}, Current: check.ArtifactFiles{Manifest: manifestJSON("dev", cur)}}}
	for _, c := range checks {
		if r, ok := counts[c.CheckID]; ok {
			st.Runs = append(st.Runs, &check.Run{RunID: "r" + c.CheckID, CheckID: c.CheckID, Type: c.Type, Status: check.Finished, Result: json.RawMessage(r)})
		}
	}
	return st
}

func rowCheck(id, name string) *check.Check {
	return &check.Check{CheckID: id, Name: name, Type: check.RowCountDiff, Params: check.Params{}}
}

func renderBody(t *testing.T, st *check.State) string {
	t.Helper()
	res, err := Render(st, Options{MaxChars: DefaultMaxChars - HistoryReserve})
	if err != nil {
		t.Fatal(err)
	}
	return res.Markdown
}

// Issue 14, point 11: the summary starts with what changed since the
// previous summary on the merge request, remembered in the note itself.
func TestSinceThePreviousSummary(t *testing.T) {
	same, more := `{"revenue": {"base": 5, "curr": 5}}`, `{"revenue": {"base": 5, "curr": 9}}`
	first := pushState([]string{"revenue"}, []*check.Check{rowCheck("c1", "Revenue rows"), rowCheck("c3", "Old check"), rowCheck("c4", "/merge")},
		map[string]string{"c1": same, "c3": same})
	note1 := WithHistory(renderBody(t, first), "", strings.Repeat("a", 40))
	if strings.Contains(note1, "Since the Previous Summary") || !strings.Contains(note1, `"commit":"`+strings.Repeat("a", 40)) {
		t.Fatalf("first summary:\n%s", note1)
	}
	// The same review posted again: the same bytes.
	if again := WithHistory(renderBody(t, first), note1, strings.Repeat("a", 40)); again != note1 {
		t.Fatalf("re-post differs:\n%s", firstDiff(note1, again))
	}

	// A push: c1 flips to a mismatch, c2 is new and mismatched, c3 is
	// gone, customers is newly impacted.
	second := pushState([]string{"customers"}, []*check.Check{rowCheck("c1", "Revenue rows"), rowCheck("c2", "/close customers"), rowCheck("c4", "/merge")},
		map[string]string{"c1": more, "c2": `{"customers": {"base": 1, "curr": 2}}`})
	note2 := WithHistory(renderBody(t, second), note1, strings.Repeat("b", 40))
	for _, want := range []string{
		"## Since the Previous Summary\n_Compared with the summary of commit `aaaaaaaa`._",
		"**New mismatches:** 2 · **Now passing:** 0 · **Newly impacted models:** 1",
		"| Revenue rows | ✅ clean | ❌ mismatch |",
		"| /close customers | — | ❌ mismatch |", // in a table cell: never a quick action
		"| Old check | ✅ clean | removed |",
		"**Newly impacted:** `customers`",
	} {
		if !strings.Contains(note2, want) {
			t.Errorf("missing %q in:\n%s", want, note2)
		}
	}
	if strings.Index(note2, "## Since the Previous Summary") > strings.Index(note2, "## Manifest Information") {
		t.Error("the section does not come first")
	}
	if len(markdown.ExecutableLines(note2)) > 0 {
		t.Errorf("quick actions: %+v", markdown.ExecutableLines(note2))
	}
	// Posted again (another pipeline of the same commit): unchanged.
	if again := WithHistory(renderBody(t, second), note2, strings.Repeat("b", 40)); again != note2 {
		t.Fatalf("re-post differs:\n%s", firstDiff(note2, again))
	}
	// A push that changes no result says so, against the last summary.
	note3 := WithHistory(renderBody(t, second), note2, strings.Repeat("c", 40))
	if !strings.Contains(note3, "_Compared with the summary of commit `bbbbbbbb`._\n\nNo check changed its verdict and no model is newly impacted.") {
		t.Errorf("no change:\n%s", note3)
	}
	// A check that passes again counts as now passing.
	third := pushState([]string{"customers"}, []*check.Check{rowCheck("c1", "Revenue rows"), rowCheck("c2", "/close customers"), rowCheck("c4", "/merge")},
		map[string]string{"c1": same, "c2": `{"customers": {"base": 1, "curr": 2}}`})
	if note4 := WithHistory(renderBody(t, third), note3, strings.Repeat("d", 40)); !strings.Contains(note4, "**New mismatches:** 0 · **Now passing:** 1") {
		t.Errorf("now passing:\n%s", note4)
	}
}

// The history line stays bounded, and a summary without one (an older
// recce's) gives no section.
func TestHistoryIsBounded(t *testing.T) {
	var checks []*check.Check
	for i := range 1000 {
		checks = append(checks, rowCheck(fmt.Sprintf("c%04d", i), strings.Repeat("long name ", 20)))
	}
	body := renderBody(t, pushState([]string{"orders"}, checks, nil))
	line := historyLine.FindString(body)
	if n := utf8.RuneCountInString(line); n == 0 || n > HistoryReserve/2 {
		t.Fatalf("history line of %d characters", n)
	}
	if h := readHistory(body); h == nil || !h.Cur.Over || len(h.Cur.Checks) != maxHistoryChecks {
		t.Fatalf("history: %+v", h)
	}
	note := WithHistory(body, "<!-- recce:summary -->\n# Recce Summary\nan older note", "abc")
	if strings.Contains(note, "Since the Previous Summary") {
		t.Error("a section without a previous history")
	}
	if got := WithHistory("not a summary", "", "abc"); got != "not a summary" {
		t.Errorf("a body without a history line: %q", got)
	}
}
