package summary

import (
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
)

// Options.Reason replaces the reason of the checks that did not complete,
// in the markdown and in the data; the other checks keep theirs.
func TestReasonOption(t *testing.T) {
	const leak = "Binder Error: column 'ssn' = '078-05-1120' not found"
	st := bigState(1, 2)
	st.Runs[len(st.Runs)-1].Error = leak
	st.Checks = append(st.Checks, &check.Check{CheckID: "never", Name: "Never ran", Type: check.Query, Params: check.Params{"sql_template": "select 1"}})
	plain, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plain.Markdown, "Binder Error") {
		t.Fatalf("without the option, the error is the reason:\n%s", plain.Markdown)
	}
	var seen []string
	res, err := Render(st, Options{Reason: func(c *check.Check, r *check.Run, assessed string) string {
		seen = append(seen, c.CheckID)
		if r == nil {
			return "not run in CI"
		}
		return "did not complete: see the review"
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Markdown, "Binder Error") || strings.Contains(res.Markdown, "078-05-1120") {
		t.Errorf("the error text is in the markdown:\n%s", res.Markdown)
	}
	for _, want := range []string{"did not complete: see the review", "not run in CI", "Row counts 0"} {
		if !strings.Contains(res.Markdown, want) {
			t.Errorf("%q missing:\n%s", want, res.Markdown)
		}
	}
	if strings.Join(seen, ",") != "bad,never" {
		t.Errorf("asked for %v, want the two incomplete checks", seen)
	}
	if got := res.Data.Incomplete[0].Reason; got != "did not complete: see the review" {
		t.Errorf("data: %q", got)
	}
}
