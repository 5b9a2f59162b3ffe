package check

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// jaffleEnv builds jaffle-recce in DuckDB and returns an Env on it.
func jaffleEnv(t *testing.T) *Env {
	t.Helper()
	env, _, _ := jaffleDirs(t)
	return env
}

func TestRunnerResultsOnJaffle(t *testing.T) {
	env := jaffleEnv(t)
	checks := []*Check{
		{CheckID: "rows", Name: "rows", Type: RowCountDiff, Params: Params{"node_names": []any{"customers", "int_customer_orders"}}},
		{CheckID: "schema", Name: "schema", Type: SchemaDiff, Params: Params{"node_ids": []any{"model.jaffle_shop.customers"}}},
		{CheckID: "value", Name: "value", Type: ValueDiff, Params: Params{"model": "orders", "primary_key": "order_id"}},
		{CheckID: "profile", Name: "profile", Type: ProfileDiff, Params: Params{"model": "customers", "columns": []any{"customer_id"}}},
		{CheckID: "sql", Name: "sql", Type: QueryDiff, Params: Params{"sql_template": "select * from {{ ref('no_such') }}"}},
		{CheckID: "missing", Name: "missing", Type: ValueDiff, Params: Params{"model": "orders", "primary_key": "no_column"}},
		{CheckID: "params", Name: "params", Type: TopKDiff, Params: Params{"model": 3}},
		{CheckID: "note", Name: "note", Type: Simple},
	}
	var mu sync.Mutex
	updates := map[string][]Status{}
	at := time.Date(2024, 11, 5, 8, 0, 0, 0, time.UTC)
	rn := &Runner{Env: env, Now: func() time.Time { return at }, OnUpdate: func(c *Check, r *Run) {
		mu.Lock()
		defer mu.Unlock()
		updates[c.CheckID] = append(updates[c.CheckID], r.Status)
	}}
	runs := rn.RunAll(context.Background(), checks)
	if runs[7] != nil {
		t.Error("a note has no run")
	}
	for i, want := range []Status{Finished, Finished, Finished, Finished, Failed, Failed, Failed} {
		r := runs[i]
		if r.Status != want || r.CheckID != checks[i].CheckID || r.Type != checks[i].Type || r.RunAt.Time != at || len(r.RunID) != 36 {
			t.Errorf("%s: %+v", checks[i].Name, r)
		}
		if u := updates[checks[i].CheckID]; len(u) != 2 || u[0] != Running || u[1] != want {
			t.Errorf("%s: updates %v", checks[i].Name, u)
		}
	}
	for i, want := range map[int]string{4: "no_such", 5: "no_column", 6: "invalid params: params.model: must be a string, not a number; params.column_name: is required"} {
		if !strings.Contains(runs[i].Error, want) {
			t.Errorf("%s: error %q lacks %q", checks[i].Name, runs[i].Error, want)
		}
	}
	res, _ := DecodeResult(runs[0])
	rows := *res.(*RowCountDiffResult)
	if c := rows["customers"]; c.Base == nil || *c.Base != 100 || *c.Curr != 100 || c.UniqueID != "model.jaffle_shop.customers" {
		t.Errorf("customers %+v", c)
	}
	if c := rows["int_customer_orders"]; c.Base != nil || c.BaseMeta == nil || c.BaseMeta.Status != "not_in_manifest" || c.Curr == nil {
		t.Errorf("int_customer_orders is new: %+v", c)
	}
	// The row count found a new model: a mismatch, not auto-approved; the
	// schema of customers did not change: approved, as the reference does.
	if checks[0].IsChecked || !checks[1].IsChecked || checks[2].IsChecked {
		t.Errorf("approvals: rows %v schema %v value %v", checks[0].IsChecked, checks[1].IsChecked, checks[2].IsChecked)
	}
	if checks[1].UpdatedAt.Time != at {
		t.Error("an approval updates updated_at")
	}
	v, _ := DecodeResult(runs[2])
	vd := v.(*ValueDiffResult)
	if vd.Summary.Modified == nil || vd.Summary.Total == 0 || len(vd.Data.Data) != len(vd.Columns) || vd.Data.Columns[2].Name != "matched_p" {
		t.Errorf("value diff in the reference's shape: %+v", vd)
	}
	p, _ := DecodeResult(runs[3])
	pd := p.(*ProfileDiffResult)
	if len(pd.Base.Data) != 1 || pd.Base.Data[0][0] != "customer_id" || len(pd.Base.Columns) != len(ProfileColumns) {
		t.Errorf("profile frame %+v", pd.Base)
	}
}

// A run never panics out of the runner, even when the code under it does
// (on the run's goroutine: a panic in a goroutine a diff starts itself is
// out of any caller's reach).
type panickyWarehouse struct{ warehouse.Warehouse }

func (panickyWarehouse) Dialect() warehouse.Dialect { panic("driver bug") }

func TestRunnerSurvivesPanicsAndCancellation(t *testing.T) {
	good := jaffleEnv(t)
	env := &Env{Base: good.Base, Current: good.Current, Warehouse: panickyWarehouse{good.Warehouse}}
	c := &Check{CheckID: "x", Name: "x", Type: QueryDiff, Params: Params{"sql_template": "select 1"}}
	r := (&Runner{Env: env}).Run(context.Background(), c)
	if r.Status != Failed || !strings.Contains(r.Error, "internal error while running the check") || !strings.Contains(r.Error, "driver bug") {
		t.Errorf("panic: %+v", r)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	runs := (&Runner{Env: good, Concurrency: 1}).RunAll(ctx, []*Check{c, {CheckID: "y", Type: SchemaDiff}})
	for _, r := range runs {
		if r.Status != Cancelled || r.Result != nil {
			t.Errorf("cancelled: %+v", r)
		}
	}

	noWarehouse := &Env{Base: env.Base, Current: env.Current, NoWarehouse: errStr("profiles.yml not found")}
	r = (&Runner{Env: noWarehouse}).Run(context.Background(), c)
	if r.Status != Failed || r.Error != "this check queries the warehouse, which is not available: profiles.yml not found" {
		t.Errorf("no warehouse: %+v", r)
	}
	r = (&Runner{Env: noWarehouse}).Run(context.Background(), &Check{CheckID: "l", Type: LineageDiff, Params: Params{"select": "state:modified"}})
	if r.Status != Finished {
		t.Errorf("a lineage diff needs no warehouse: %+v", r)
	}
	res, _ := DecodeResult(r)
	if l := res.(*LineageDiffResult); len(l.Nodes) != 3 || l.Nodes[0].Name != "customers" || l.Nodes[0].Change != "modified" {
		t.Errorf("lineage %+v", l)
	}
	r = (&Runner{Env: noWarehouse}).Run(context.Background(), &Check{CheckID: "s", Type: SchemaDiff, Params: Params{"select": "state:modified++"}})
	if r.Status != Failed || !strings.Contains(r.Error, `node selection (select "state:modified++"`) {
		t.Errorf("bad selector: %+v", r)
	}
	r = (&Runner{Env: good}).Run(context.Background(), &Check{CheckID: "n", Type: RowCountDiff, Params: Params{"node_names": "nope"}})
	if r.Status != Failed || r.Error != `node_names: "nope" is in neither manifest` {
		t.Errorf("unknown node: %+v", r)
	}
}

type errStr string

func (e errStr) Error() string { return string(e) }
