package summary

import (
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/markdown"
)

func TestThreadsOfTheChecks(t *testing.T) {
	approved := rowCheck("c3", "Approved /close")
	approved.IsChecked = true
	st := pushState([]string{"revenue"}, []*check.Check{rowCheck("c1", "/merge revenue"), rowCheck("c2", "Clean"), approved, rowCheck("c4", "Never ran"),
		{CheckID: "c5", Name: "A note", Type: check.Simple}},
		map[string]string{"c1": `{"revenue": {"base": 5, "curr": 9}}`, "c2": `{"revenue": {"base": 5, "curr": 5}}`, "c3": `{"revenue": {"base": 5, "curr": 7}}`})
	res, err := Render(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	threads := res.Data.Threads()
	want := []struct {
		key   string
		open  bool
		title string
	}{{"c1", true, "❌ Data mismatch"}, {"c2", false, "✅ Passes now"}, {"c3", false, "✅ Approved in recce"}, {"c4", true, "⚠️ Did not complete"}}
	if len(threads) != len(want) {
		t.Fatalf("threads: %+v", threads)
	}
	for i, w := range want {
		th := threads[i]
		if th.Key != w.key || th.Open != w.open || !strings.HasPrefix(th.Body, "#### "+w.title+": ") {
			t.Errorf("thread %d: %+v", i, th)
		}
		if lines := markdown.ExecutableLines(th.Body); len(lines) > 0 {
			t.Errorf("thread %s runs %+v", th.Key, lines)
		}
	}
	if !strings.Contains(threads[0].Body, "`revenue`") || !strings.Contains(threads[3].Body, "`not run`") {
		t.Errorf("bodies:\n%s\n%s", threads[0].Body, threads[3].Body)
	}
}
