package check

import (
	"encoding/json"
	"testing"
)

// tallyState is a state with a check of each verdict: clean and approved,
// mismatch, failed, never run, info, and a note.
func tallyState(t *testing.T) *State {
	t.Helper()
	rows := func(base, curr int64) []byte {
		b, err := json.Marshal(RowCountDiffResult{"orders": {Base: &base, Curr: &curr}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return &State{
		Checks: []*Check{
			{CheckID: "same", Type: RowCountDiff, IsChecked: true},
			{CheckID: "more", Type: RowCountDiff},
			{CheckID: "failed", Type: ValueDiff, Params: Params{"model": "orders"}},
			{CheckID: "never", Type: QueryDiff},
			{CheckID: "lineage", Type: LineageDiff},
			{CheckID: "note", Type: Simple, IsChecked: true},
		},
		Runs: []*Run{
			{CheckID: "same", Type: RowCountDiff, Status: Finished, Result: rows(5, 5)},
			{CheckID: "more", Type: RowCountDiff, Status: Finished, Result: rows(5, 6)},
			{CheckID: "failed", Type: ValueDiff, Status: Failed, Error: "no such table"},
			{CheckID: "lineage", Type: LineageDiff, Status: Finished, Result: []byte(`{"selected": 3, "nodes": [], "impacted": 0}`)},
		},
	}
}

// TestTally: one count of verdicts, notes left out, and each gate
// policy's decision with its reason.
func TestTally(t *testing.T) {
	st := tallyState(t)
	got := st.Tally()
	want := Tally{Checks: 5, Clean: 1, Mismatch: 1, Incomplete: 2, NotRun: 1, Info: 1, Approved: 1}
	if got != want {
		t.Fatalf("tally %+v, want %+v", got, want)
	}
	as := st.Assessments()
	if len(as) != 6 || as[1].Verdict != Mismatch || as[1].Run != st.Runs[1] || as[3].Run != nil || as[3].Reason != "not run" || as[5].Verdict != Info {
		t.Errorf("assessments %+v", as)
	}
	if got.Passed() {
		t.Error("a mismatch passed")
	}
	for _, c := range []struct {
		policy FailOn
		tally  Tally
		want   string
	}{
		{FailOnNever, got, ""},
		{FailOnError, got, "2 checks did not complete (--fail-on error)"},
		{FailOnMismatch, got, "1 check found a data mismatch and 2 did not complete (--fail-on mismatch)"},
		{FailOnError, Tally{Checks: 1, Mismatch: 1}, ""},
		{FailOnMismatch, Tally{Checks: 1, Incomplete: 1}, "0 checks found a data mismatch and 1 did not complete (--fail-on mismatch)"},
		{FailOnMismatch, Tally{Checks: 3, Clean: 2, Info: 1}, ""},
	} {
		err := c.tally.Gate(c.policy)
		if (err == nil) != (c.want == "") || (err != nil && err.Error() != c.want) {
			t.Errorf("%s on %+v: %v, want %q", c.policy, c.tally, err, c.want)
		}
	}
	if !(Tally{Checks: 2, Clean: 1, Info: 1}).Passed() || (Tally{Checks: 1, Incomplete: 1}).Passed() {
		t.Error("Passed")
	}
	for _, s := range []string{"never", "error", "mismatch"} {
		if p, err := ParseFailOn(s); err != nil || string(p) != s {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseFailOn("always"); err == nil || err.Error() != `"always" is not one of never|error|mismatch` {
		t.Errorf("always: %v", err)
	}
}
