package columnlineage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
)

func generateDemo(t *testing.T, models int) (*demo.Result, *dbt.Artifacts, *dbt.Artifacts) {
	t.Helper()
	dir := t.TempDir()
	res, err := demo.Generate(context.Background(), dir, demo.Options{Models: models, ArtifactsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	base, current, err := dbt.LoadPair(context.Background(), filepath.Join(dir, "target-base"), filepath.Join(dir, "target"))
	if err != nil {
		t.Fatal(err)
	}
	return res, base, current
}

// The demo shop: orders swaps the status it filters out (model-wide),
// customers drops last_name and retypes lifetime_value (column).
func TestDemoShop(t *testing.T) {
	_, base, current := generateDemo(t, 0)
	eng := cl.New(parser, nil)
	bp, cp := eng.Project(base), eng.Project(current)
	res, err := cl.Diff(context.Background(), bp, cp, modified(base, current))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"model.recce_demo.orders":                "model_wide [amount discount shipped_date] changed: filters",
		"model.recce_demo.customers":             "column [lifetime_value last_name] ",
		"model.recce_demo.stg_products":          "additive [] ", // whitespace only
		"model.recce_demo.int_customer_payments": "additive [] ", // materialization only
	} {
		ch := res.Changes[id]
		if got := fmt.Sprintf("%s %v %s", ch.Category, ch.Columns, ch.Reason); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	for id, want := range map[string]cl.Impact{
		"model.recce_demo.orders":                cl.ImpactModelWide,
		"model.recce_demo.customers":             cl.ImpactModelWide, // downstream of orders
		"model.recce_demo.daily_revenue":         cl.ImpactModelWide,
		"exposure.recce_demo.revenue_dashboard":  cl.ImpactModelWide,
		"model.recce_demo.stg_products":          cl.ImpactNone,
		"model.recce_demo.int_customer_payments": cl.ImpactNone,
		"model.recce_demo.stg_orders":            cl.ImpactNone,
	} {
		if got := res.Impacts[id].Impact; got != want {
			t.Errorf("impact of %s: %s, want %s", id, got, want)
		}
	}
	// orders reads the ephemeral int_order_items through dbt's CTE.
	m := cp.Model("model.recce_demo.orders")
	expectColumns(t, m, map[string]string{
		"item_count": "passthrough model.recce_demo.int_order_items.item_count",
		"order_id":   "passthrough model.recce_demo.stg_orders.order_id",
	})
}

// The synthetic models: about 1 % change how they round score (a column
// change), as many change in whitespace only; score flows into every
// descendant, which joins on id and filters on event_date only.
func TestDemoSyntheticScoreChange(t *testing.T) {
	gen, base, current := generateDemo(t, 400)
	eng := cl.New(parser, nil)
	bp, cp := eng.Project(base), eng.Project(current)
	mods := modified(base, current)
	res, err := cl.Diff(context.Background(), bp, cp, mods)
	if err != nil {
		t.Fatal(err)
	}
	var code, ws int
	for _, id := range mods {
		name := id[strings.LastIndex(id, ".")+1:]
		ch := res.Changes[id]
		switch {
		case slices.Contains(gen.Changes.Modified, name) && !strings.Contains(id, "recce_demo.orders") && !strings.Contains(id, "recce_demo.customers"):
			code++
			if fmt.Sprintf("%s %v", ch.Category, ch.ColumnChanges) != "column [{score redefined}]" {
				t.Errorf("%s: %s %v", id, ch.Category, ch.ColumnChanges)
			}
		case slices.Contains(gen.Changes.WhitespaceOnly, name):
			ws++
			if ch.Category != cl.CategoryAdditive || len(ch.Columns) != 0 {
				t.Errorf("%s (whitespace): %s %v", id, ch.Category, ch.Columns)
			}
		}
	}
	if code == 0 || ws == 0 {
		t.Fatalf("no synthetic changes found (%d code, %d whitespace)", code, ws)
	}
	// Every synthetic model downstream of a changed one has score, and
	// only score, impacted.
	impacted := 0
	for id, ni := range res.Impacts {
		inBoth := base.Manifest.Nodes[id] != nil && current.Manifest.Nodes[id] != nil
		if !strings.Contains(id, "__") || ni.Impact == cl.ImpactNone || !inBoth {
			continue // the shop's models, or added and removed ones
		}
		impacted++
		if ni.Impact != cl.ImpactColumns || fmt.Sprint(ni.ImpactedColumns) != "[score]" {
			t.Errorf("%s: %s %v", id, ni.Impact, ni.ImpactedColumns)
		}
	}
	if impacted <= code {
		t.Errorf("%d synthetic models impacted for %d changed: nothing downstream?", impacted, code)
	}
}
