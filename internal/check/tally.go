package check

import "fmt"

// "Did this state pass?" has one answer, computed here: each check's
// verdict from its latest run (Assessments), their counts (Tally), and a
// merge gate's decision from the counts (Tally.Gate). The summary's status
// line, the team server's session status and `recce run --fail-on` are
// encodings of it.

// Assessment is a check with its latest run (nil when it never ran) and
// the verdict of that run.
type Assessment struct {
	Check *Check
	Run   *Run
	Outcome
}

// IsNote reports whether the check is a note: it never runs, and is
// neither counted nor reported.
func (a Assessment) IsNote() bool {
	k, ok := Lookup(a.Check.Type)
	return ok && !k.Runs()
}

// Assessments gives each check of the state its verdict, in checklist
// order.
func (s *State) Assessments() []Assessment {
	latest := LatestRuns(s.Runs)
	out := make([]Assessment, len(s.Checks))
	for i, c := range s.Checks {
		r := latest[c.CheckID]
		out[i] = Assessment{Check: c, Run: r, Outcome: Assess(c, r)}
	}
	return out
}

// Tally counts the state's checks by verdict (see TallyOf).
func (s *State) Tally() Tally { return TallyOf(s.Assessments()) }

// Tally counts checks by verdict. Notes are not counted: they do not run.
type Tally struct {
	// Checks is how many checks there are, notes left out.
	Checks     int `json:"checks"`
	Clean      int `json:"clean"`
	Mismatch   int `json:"mismatch"`
	Incomplete int `json:"incomplete"`
	// NotRun counts the incomplete checks that never ran.
	NotRun int `json:"not_run"`
	Info   int `json:"info"`
	// Approved counts the checks a reviewer (or auto-approval) ticked.
	Approved int `json:"approved"`
}

// TallyOf counts assessed checks.
func TallyOf(as []Assessment) Tally {
	var t Tally
	for _, a := range as {
		if a.IsNote() {
			continue
		}
		t.Checks++
		if a.Check.IsChecked {
			t.Approved++
		}
		switch a.Verdict {
		case Clean:
			t.Clean++
		case Mismatch:
			t.Mismatch++
		case Incomplete:
			t.Incomplete++
			if a.Run == nil {
				t.NotRun++
			}
		case Info:
			t.Info++
		}
	}
	return t
}

// Passed reports whether nothing stands in the way: no check found a data
// mismatch, and every check completed (an incomplete check compared
// nothing, so it is never a pass).
func (t Tally) Passed() bool { return t.Mismatch == 0 && t.Incomplete == 0 }

// FailOn is a merge gate's policy: what fails it (`recce run --fail-on`).
type FailOn string

const (
	// FailOnNever fails nothing, as the reference system.
	FailOnNever FailOn = "never"
	// FailOnError fails when a check did not complete.
	FailOnError FailOn = "error"
	// FailOnMismatch fails when a check found a difference, or did not
	// complete.
	FailOnMismatch FailOn = "mismatch"
)

// ParseFailOn reads a gate policy: never, error or mismatch.
func ParseFailOn(s string) (FailOn, error) {
	switch p := FailOn(s); p {
	case FailOnNever, FailOnError, FailOnMismatch:
		return p, nil
	}
	return "", fmt.Errorf("%q is not one of never|error|mismatch", s)
}

// Gate is the decision of a gate with policy p: nil when it passes, else
// why it fails.
func (t Tally) Gate(p FailOn) error {
	switch {
	case p == FailOnMismatch && t.Mismatch+t.Incomplete > 0:
		return fmt.Errorf("%s found a data mismatch and %d did not complete (--fail-on mismatch)", Plural(t.Mismatch, "check", "checks"), t.Incomplete)
	case p == FailOnError && t.Incomplete > 0:
		return fmt.Errorf("%s did not complete (--fail-on error)", Plural(t.Incomplete, "check", "checks"))
	}
	return nil
}
