package summary

import "gitlab.com/recce-go/recce/internal/check"

// restate gives the incomplete checks of sum the reasons of reason
// (Options.Reason).
func restate(sum *Summary, s *check.State, reason func(c *check.Check, r *check.Run, assessed string) string) {
	checks := map[string]*check.Check{}
	for _, c := range s.Checks {
		checks[c.CheckID] = c
	}
	latest := check.LatestRuns(s.Runs)
	for i, rep := range sum.Incomplete {
		if c := checks[rep.CheckID]; c != nil {
			sum.Incomplete[i].Reason = reason(c, latest[rep.CheckID], rep.Reason)
		}
	}
}
