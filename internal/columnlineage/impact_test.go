package columnlineage_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

// impacts renders the impact of every model: "name: impact [columns]".
func impacts(res *cl.Result) string {
	var lines []string
	for id, ni := range res.Impacts {
		if !strings.HasPrefix(id, "model.") {
			continue
		}
		line := short(id) + ": " + string(ni.Impact)
		if len(ni.ImpactedColumns) > 0 {
			line += " " + fmt.Sprint(ni.ImpactedColumns)
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// chain: src → a; a → b → c → e; a → d. b derives x2 from a.x and passes
// y; c filters on x2; d reads y only.
func chain(aBase, aCur string) (*envs, string) {
	e := newEnvs("duckdb")
	src := e.source("src", "id", "x", "y")
	a := e.model("a", aBase, aCur, []string{src})
	b := e.model("b", `select id, x * 2 as x2, y from db.{{s}}.a`, "", []string{a})
	c := e.model("c", `select id, y from db.{{s}}.b where x2 > 0`, "", []string{b})
	e.model("e", `select * from db.{{s}}.c`, "", []string{c})
	e.model("d", `select id, y from db.{{s}}.a`, "", []string{a})
	return e, a
}

func TestImpactOfAColumnChange(t *testing.T) {
	e, a := chain(`select id, x, y from db.raw.src`, `select id, x + 1 as x, y from db.raw.src`)
	res := e.diff(t, a)
	if ch := res.Changes[a]; ch.Category != cl.CategoryColumn || fmt.Sprint(ch.Columns) != "[x]" {
		t.Fatalf("a: %+v", ch)
	}
	// b's x2 comes from x; c filters on x2, so all of c (and e) may change;
	// d does not read x.
	want := `a: columns [x]
b: columns [x2]
c: model_wide
d: none
e: model_wide`
	if got := impacts(res); got != want {
		t.Errorf("impacts:\n%s\nwant:\n%s", got, want)
	}
}

func TestImpactOfAnAdditiveChange(t *testing.T) {
	e, a := chain(`select id, x, y from db.raw.src`, `select id, x, y, x + y as z from db.raw.src`)
	want := `a: columns [z]
b: none
c: none
d: none
e: none`
	if got := impacts(e.diff(t, a)); got != want {
		t.Errorf("impacts:\n%s\nwant:\n%s", got, want)
	}
}

func TestImpactOfAModelWideChange(t *testing.T) {
	e, a := chain(`select id, x, y from db.raw.src`, `select id, x, y from db.raw.src where y is not null`)
	want := `a: model_wide
b: model_wide
c: model_wide
d: model_wide
e: model_wide`
	if got := impacts(e.diff(t, a)); got != want {
		t.Errorf("impacts:\n%s\nwant:\n%s", got, want)
	}
}

// A column removed upstream disappears from the SELECT * downstream: only
// the base lineage shows which columns went.
func TestImpactOfARemovedColumnThroughStars(t *testing.T) {
	e := newEnvs("duckdb")
	src := e.source("src", "id", "x", "y")
	a := e.model("a", `select id, x, y from db.raw.src`, `select id, y from db.raw.src`, []string{src})
	b := e.model("b", `select * from db.{{s}}.a`, "", []string{a})
	e.model("c", `select * from db.{{s}}.b`, "", []string{b})
	e.model("d", `select id from db.{{s}}.b`, "", []string{b})
	want := `a: columns [x]
b: columns [x]
c: columns [x]
d: none`
	if got := impacts(e.diff(t, a)); got != want {
		t.Errorf("impacts:\n%s\nwant:\n%s", got, want)
	}
}

// A model downstream that does not parse is impacted wholly: which of its
// columns the change reaches is not known.
func TestImpactThroughAnUnparsableModel(t *testing.T) {
	e, a := chain(`select id, x, y from db.raw.src`, `select id, x + 1 as x, y from db.raw.src`)
	for _, p := range []*project{e.base, e.cur} {
		p.nodes["model.p.d"].CompiledCode = jsonString("select id, y from from db." + p.schema + ".a")
	}
	if got := impacts(e.diff(t, a)); !strings.Contains(got, "d: model_wide") {
		t.Errorf("impacts:\n%s\nwant d model_wide", got)
	}
}
