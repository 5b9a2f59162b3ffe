package check

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/diff"
)

// jaffleParams are the params of a check of each type on jaffle-recce:
// each type's test file (kind_<type>_test.go) adds its own, and
// TestEveryKindOnJaffle runs them all.
var jaffleParams = map[Type]Params{}

// TestRegistry: every type of the docs is registered once, in the docs'
// order (a new type among them), the note last, and looks itself up;
// unknown types are refused everywhere with the list of known ones.
func TestRegistry(t *testing.T) {
	docs := []Type{"lineage_diff", "schema_diff", "row_count_diff", "value_diff", "value_diff_detail", "profile_diff",
		"query", "query_base", "query_diff", "top_k_diff", "histogram_diff", "simple"}
	var known []Type
	for _, ty := range Types {
		if slices.Contains(docs, ty) {
			known = append(known, ty)
		}
	}
	if !slices.Equal(known, docs) || Types[len(Types)-1] != Simple {
		t.Fatalf("Types %v, want %v in this order, simple last", Types, docs)
	}
	names := map[string]bool{}
	for _, ty := range Types {
		k, ok := Lookup(ty)
		if !ok || k.Type() != ty {
			t.Fatalf("%s: lookup %v %v", ty, k, ok)
		}
		if k.Name() == "" || names[k.Name()] {
			t.Errorf("%s: name %q empty or taken", ty, k.Name())
		}
		names[k.Name()] = true
		if (ty == Simple) == k.Runs() {
			t.Errorf("%s: runs %v", ty, k.Runs())
		}
		if k.AutoApproves() != (ty == SchemaDiff || ty == RowCountDiff) {
			t.Errorf("%s: auto-approves %v", ty, k.AutoApproves())
		}
		// A comparison of another shape is refused, never a panic.
		if err := k.WriteText(&strings.Builder{}, 42); err == nil {
			t.Errorf("%s: printed a number as its comparison", ty)
		}
		if _, err := k.DecodeResult([]byte(`[1, 2]`)); err == nil {
			t.Errorf("%s: decoded a list as its result", ty)
		}
	}
	if _, ok := Lookup("column_impact"); ok {
		t.Error("an unknown type was found")
	}
	_, err := ParseParams("row_counts", Params{})
	var pe ParamErrors
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `unknown check type "row_counts" (known: lineage_diff, schema_diff, row_count_diff,`) {
		t.Errorf("unknown type: %v", err)
	}
	if err := WriteText(&strings.Builder{}, "row_counts", nil); err == nil {
		t.Error("text of an unknown type")
	}
	r := (&Runner{}).Run(context.Background(), &Check{CheckID: "x", Type: "row_counts"})
	if r.Status != Failed {
		t.Errorf("run of an unknown type: %+v", r)
	}
	if o := Assess(&Check{Type: "row_counts"}, &Run{Type: "row_counts", Status: Finished, Result: []byte(`{}`)}); o.Verdict != Incomplete || !strings.Contains(o.Reason, "has no result shape") {
		t.Errorf("verdict of an unknown type: %+v", o)
	}
}

// TestEveryKindOnJaffle runs a check of every runnable type on
// jaffle-recce and follows each run through its kind: the stored result
// decodes into the kind's shape, gets a verdict, and a mismatch has
// figures and graph marks.
func TestEveryKindOnJaffle(t *testing.T) {
	env := jaffleEnv(t)
	var checks []*Check
	for _, ty := range Types {
		p, ok := jaffleParams[ty]
		if !ok {
			t.Fatalf("no params for a %s check on jaffle-recce: add them to jaffleParams in kind_%s_test.go", ty, ty)
		}
		checks = append(checks, &Check{CheckID: string(ty), Name: string(ty), Type: ty, Params: p})
	}
	runs := (&Runner{Env: env}).RunAll(context.Background(), checks)
	for i, c := range checks {
		k, _ := Lookup(c.Type)
		r := runs[i]
		if !k.Runs() {
			if r != nil || Assess(c, r).Verdict != Info {
				t.Errorf("%s: a note ran: %+v", c.Type, r)
			}
			continue
		}
		if r == nil || r.Status != Finished {
			t.Fatalf("%s: %+v", c.Type, r)
		}
		res, err := DecodeResult(r)
		if err != nil {
			t.Fatalf("%s: %v", c.Type, err)
		}
		o := Assess(c, r)
		if o.Verdict == Incomplete || strings.HasPrefix(o.Reason, "no verdict") {
			t.Errorf("%s: %+v", c.Type, o)
		}
		if o.Verdict != Mismatch {
			continue
		}
		facts, tables := Figures(c, res)
		if len(facts)+len(tables) == 0 {
			t.Errorf("%s: a mismatch without figures", c.Type)
		}
		m := Marks(c, res, o)
		if c.Type != SchemaDiff && len(m.Figures)+len(m.Titled) == 0 {
			t.Errorf("%s: a mismatch marks no node of the graph", c.Type)
		}
	}
	// A comparison prints through its kind, as recce diff does.
	tk, err := diff.TopK(context.Background(), &diff.Envs{Warehouse: env.Warehouse, Base: env.Base.Manifest, Current: env.Current.Manifest},
		diff.TopKParams{Model: "orders", ColumnName: "status", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteText(&b, TopKDiff, tk); err != nil || !strings.Contains(b.String(), "Top 3 values of orders.status") {
		t.Errorf("top-k text %v:\n%s", err, b.String())
	}
}
