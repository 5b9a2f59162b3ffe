package server

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
)

// ids lists the check ids of GET /api/checks, in order.
func (h *harness) checkIDs() []string {
	var list []map[string]any
	h.ok(200, "GET", "/api/checks", nil).json(h.t, &list)
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c["check_id"].(string)
	}
	return ids
}

func TestChecksLifecycleOnJaffle(t *testing.T) {
	h := newHarness(t, jaffleWarehouseEnv(t))

	// Create: 201, with an id, timestamps, a default name, no run yet.
	c := h.ok(201, "POST", "/api/checks", map[string]any{"type": "row_count_diff", "params": map[string]any{"node_names": []string{"customers", "int_customer_orders"}}}).object(t)
	id, _ := c["check_id"].(string)
	if len(id) != 36 || c["name"] != "Row count diff" || c["last_run"] != nil || c["is_checked"] != false || c["created_at"] == nil {
		t.Fatalf("created check: %v", c)
	}
	if cs, ok := c["comments"].([]any); !ok || len(cs) != 0 {
		t.Errorf("comments %v, want []", c["comments"])
	}

	// Run: 202 Running at once, then Finished with jaffle's real counts.
	run := h.ok(202, "POST", "/api/checks/"+id+"/run", nil).object(t)
	if run["status"] != "Running" || run["check_id"] != id || run["result"] != nil || run["progress"] == nil {
		t.Fatalf("started run: %v", run)
	}
	done := h.waitRun(run["run_id"].(string))
	if done["status"] != "Finished" || done["error"] != nil || done["progress"] != nil {
		t.Fatalf("run: %v", done)
	}
	res := done["result"].(map[string]any)
	cust := res["customers"].(map[string]any)
	added := res["int_customer_orders"].(map[string]any)
	if cust["base"] != 100.0 || cust["curr"] != 100.0 || added["base"] != nil || added["curr"] != 62.0 {
		t.Errorf("row counts: customers %v, int_customer_orders %v", cust, added)
	}
	got := h.ok(200, "GET", "/api/checks/"+id, nil).object(t)
	if lr := got["last_run"].(map[string]any); lr["run_id"] != run["run_id"] || lr["status"] != "Finished" {
		t.Errorf("last_run %v", lr)
	}

	// Approve, comment, patch.
	ap := h.ok(200, "POST", "/api/checks/"+id+"/approve", map[string]any{"approved": true}).object(t)
	note := ap["note"].(map[string]any)
	if ap["is_checked"] != true || note["posted"] != false || !strings.Contains(note["reason"].(string), "not connected") {
		t.Errorf("approve: is_checked %v, note %v", ap["is_checked"], note)
	}
	h.ok(422, "POST", "/api/checks/"+id+"/approve", map[string]any{})
	cm := h.ok(201, "POST", "/api/checks/"+id+"/comments", map[string]any{"body": "Counts match; the two new models are expected."}).object(t)
	if cm["author"] != "ana" || cm["body"] != "Counts match; the two new models are expected." || cm["id"] == "" || cm["created_at"] == nil {
		t.Errorf("comment %v", cm)
	}
	h.ok(422, "POST", "/api/checks/"+id+"/comments", map[string]any{"body": "  "})
	p := h.ok(200, "PATCH", "/api/checks/"+id, map[string]any{"name": "Row counts of customers", "description": "d", "view_options": map[string]any{"changed_only": true}}).object(t)
	if p["name"] != "Row counts of customers" || p["description"] != "d" || p["is_checked"] != true || len(p["comments"].([]any)) != 1 {
		t.Errorf("patched: %v", p)
	}
	h.ok(422, "PATCH", "/api/checks/"+id, map[string]any{"name": " "})
	if m := h.ok(422, "PATCH", "/api/checks/"+id, map[string]any{"params": map[string]any{"node_names": 3}}).object(t); m["detail"] == nil {
		t.Errorf("invalid params answer has no detail: %v", m)
	}
	h.ok(400, "PATCH", "/api/checks/"+id, map[string]any{"nmae": "typo"})

	// A second and third check; reorder; delete.
	s := h.ok(201, "POST", "/api/checks", map[string]any{"type": "schema_diff", "params": map[string]any{"select": "state:modified+"}, "name": "Schema"}).object(t)
	n := h.ok(201, "POST", "/api/checks", map[string]any{"type": "simple", "name": "Read the docs change", "description": "by hand"}).object(t)
	sid, nid := s["check_id"].(string), n["check_id"].(string)
	if ids := h.checkIDs(); !slices.Equal(ids, []string{id, sid, nid}) {
		t.Fatalf("order %v", ids)
	}
	var reordered []map[string]any
	h.ok(200, "POST", "/api/checks/reorder", map[string]any{"check_ids": []string{nid, id, sid}}).json(t, &reordered)
	if len(reordered) != 3 || reordered[0]["check_id"] != nid || reordered[2]["check_id"] != sid {
		t.Errorf("reordered %v", reordered)
	}
	conflict := h.ok(409, "POST", "/api/checks/reorder", map[string]any{"check_ids": []string{nid, id, "nope"}}).object(t)
	if d := conflict["detail"].(map[string]any); len(d["missing"].([]any)) != 1 || len(d["unknown"].([]any)) != 1 {
		t.Errorf("reorder conflict detail %v", d)
	}
	if ids := h.checkIDs(); !slices.Equal(ids, []string{nid, id, sid}) {
		t.Errorf("a refused reorder changed the order: %v", ids)
	}
	h.ok(422, "POST", "/api/checks/"+nid+"/run", nil) // a note has nothing to run
	h.ok(204, "DELETE", "/api/checks/"+nid, nil)
	h.ok(404, "GET", "/api/checks/"+nid, nil)
	h.ok(404, "DELETE", "/api/checks/"+nid, nil)

	// Invalid creations say what is wrong.
	for _, bad := range []map[string]any{
		{"type": "row_count_dif", "params": map[string]any{}},
		{"type": "value_diff", "params": map[string]any{"primary_key": "id"}},
		{"params": map[string]any{}},
	} {
		m := h.ok(422, "POST", "/api/checks", bad).object(t)
		if m["error"] == "" {
			t.Errorf("%v: %v", bad, m)
		}
	}
	h.ok(400, "POST", "/api/checks", "{not json")
}

func TestAddRunToChecklist(t *testing.T) {
	h := newHarness(t, jaffleWarehouseEnv(t))
	// "Run a row count from a node, then add it to the checklist."
	run := h.ok(202, "POST", "/api/runs", map[string]any{"type": "row_count_diff", "params": map[string]any{"node_ids": []string{"model.jaffle_shop.customers"}}}).object(t)
	if run["check_id"] != nil || run["name"] != "Row count diff of customers" {
		t.Errorf("ad-hoc run: %v", run)
	}
	rid := run["run_id"].(string)
	h.waitRun(rid)
	c := h.ok(201, "POST", "/api/checks", map[string]any{"run_id": rid}).object(t)
	if c["type"] != "row_count_diff" || c["name"] != "Row count diff of customers" {
		t.Errorf("adopted check %v", c)
	}
	lr, _ := c["last_run"].(map[string]any)
	if lr == nil || lr["run_id"] != rid || lr["check_id"] != c["check_id"] || lr["status"] != "Finished" {
		t.Fatalf("last_run %v", lr)
	}
	if m := h.ok(409, "POST", "/api/checks", map[string]any{"run_id": rid}).object(t); !strings.Contains(m["error"].(string), "already belongs") {
		t.Errorf("second adoption: %v", m)
	}
	other := h.ok(202, "POST", "/api/runs", map[string]any{"type": "lineage_diff", "params": map[string]any{}}).object(t)["run_id"].(string)
	h.waitRun(other)
	h.ok(422, "POST", "/api/checks", map[string]any{"run_id": other, "type": "schema_diff"})
	h.ok(404, "POST", "/api/checks", map[string]any{"run_id": "nope"})

	var runs []map[string]any
	h.ok(200, "GET", "/api/runs", nil).json(t, &runs)
	if len(runs) != 2 || runs[0]["run_id"] != other || runs[1]["check_id"] != c["check_id"] {
		t.Errorf("runs, newest first: %v", runs)
	}
}

func TestQueryRuns(t *testing.T) {
	h := newHarness(t, jaffleWarehouseEnv(t))
	sql := "select customer_id, number_of_orders from {{ ref('customers') }}"

	cur := h.waitRun(h.ok(202, "POST", "/api/query", map[string]any{"sql_template": sql}).object(t)["run_id"].(string))
	if cur["type"] != "query" || cur["status"] != "Finished" {
		t.Fatalf("query: %v", cur)
	}
	var frame check.DataFrame
	data, _ := json.Marshal(cur["result"])
	if err := json.Unmarshal(data, &frame); err != nil || len(frame.Data) != 100 || len(frame.Columns) != 2 {
		t.Errorf("query result: %v, %d rows, %d columns", err, len(frame.Data), len(frame.Columns))
	}

	base := h.waitRun(h.ok(202, "POST", "/api/query", map[string]any{"sql_template": sql, "env": "base"}).object(t)["run_id"].(string))
	if base["type"] != "query_base" || base["status"] != "Finished" {
		t.Errorf("query base: %v", base)
	}

	d := h.waitRun(h.ok(202, "POST", "/api/query", map[string]any{"sql_template": sql, "env": "diff", "primary_keys": []string{"customer_id"}}).object(t)["run_id"].(string))
	if d["type"] != "query_diff" || d["status"] != "Finished" {
		t.Fatalf("query diff: %v", d)
	}
	if p := d["params"].(map[string]any); p["primary_keys"].([]any)[0] != "customer_id" {
		t.Errorf("query diff params %v", p)
	}
	if _, ok := d["result"].(map[string]any)["diff"]; !ok {
		t.Errorf("a keyed query diff has a diff table: %v", d["result"])
	}

	// A query that fails in the warehouse is a Failed run saying why.
	bad := h.waitRun(h.ok(202, "POST", "/api/query", map[string]any{"sql_template": "select nope from {{ ref('customers') }}"}).object(t)["run_id"].(string))
	if bad["status"] != "Failed" || !strings.Contains(bad["error"].(string), "nope") {
		t.Errorf("failing query: %v", bad)
	}
	h.ok(422, "POST", "/api/query", map[string]any{"sql_template": ""})
	h.ok(422, "POST", "/api/query", map[string]any{"sql_template": sql, "env": "prod"})
	h.ok(422, "POST", "/api/query", map[string]any{"sql_template": sql, "primary_keys": []string{"customer_id"}})
}

func TestCancelRun(t *testing.T) {
	h := newHarness(t, jaffleWarehouseEnv(t))
	// Long enough to still be going when the cancel arrives.
	slow := "select count(*) as n from range(100000000000) a"
	run := h.ok(202, "POST", "/api/query", map[string]any{"sql_template": slow}).object(t)
	id := run["run_id"].(string)
	cancelled := h.ok(200, "POST", "/api/runs/"+id+"/cancel", nil).object(t)
	if cancelled["status"] != "Cancelled" {
		t.Fatalf("after cancel: %v", cancelled)
	}
	// Cancelling again answers the run as it is.
	if again := h.ok(200, "POST", "/api/runs/"+id+"/cancel", nil).object(t); again["status"] != "Cancelled" {
		t.Errorf("second cancel: %v", again)
	}
	h.ok(404, "POST", "/api/runs/nope/cancel", nil)
	h.ok(404, "GET", "/api/runs/nope", nil)
}

func TestReviewModeRefusesDataRuns(t *testing.T) {
	env := jaffleEnv(t)
	env.NoWarehouse = errWarehouseForTest
	h := newHarness(t, env, func(o *Options) { o.Mode = ModeReview; o.WarehouseType = "" })
	if m := h.ok(200, "GET", "/api/info", nil).object(t); m["mode"] != "review" || m["warehouse"] != nil {
		t.Errorf("info: mode %v warehouse %v", m["mode"], m["warehouse"])
	}
	m := h.ok(409, "POST", "/api/runs", map[string]any{"type": "row_count_diff", "params": map[string]any{}}).object(t)
	if !strings.Contains(m["error"].(string), errWarehouseForTest.Error()) {
		t.Errorf("refusal does not say why: %v", m)
	}
	h.ok(409, "POST", "/api/query", map[string]any{"sql_template": "select 1"})
	// Lineage and schema diffs read the artifacts only: they run.
	run := h.waitRun(h.ok(202, "POST", "/api/runs", map[string]any{"type": "schema_diff", "params": map[string]any{"select": "state:modified+"}}).object(t)["run_id"].(string))
	if run["status"] != "Finished" {
		t.Fatalf("schema diff in review mode: %v", run)
	}
	nodes := run["result"].(map[string]any)["nodes"].([]any)
	if len(nodes) != 2 {
		t.Errorf("schema diff found %d nodes, want the two added models", len(nodes))
	}
}

var errWarehouseForTest = errorString("this server reviews a state file (--review), without a warehouse")

type errorString string

func (e errorString) Error() string { return string(e) }

func TestDefaultNames(t *testing.T) {
	for _, c := range []struct {
		t    check.Type
		p    check.Params
		want string
	}{
		{check.TopKDiff, check.Params{"model": "orders", "column_name": "status"}, "Top-K diff of orders"},
		{check.RowCountDiff, check.Params{"node_ids": []any{"model.shop.customers"}}, "Row count diff of customers"},
		{check.SchemaDiff, check.Params{"select": "state:modified+"}, "Schema diff of state:modified+"},
		{check.QueryBase, check.Params{"sql_template": "select 1"}, "Query on base"},
		{check.LineageDiff, check.Params{"node_names": []any{"a", "b"}}, "Lineage diff"},
	} {
		if got := defaultName(c.t, c.p); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.t, c.p, got, c.want)
		}
	}
}

func TestLooseRunsArePruned(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	c := h.ok(201, "POST", "/api/checks", map[string]any{"type": "lineage_diff", "params": map[string]any{}}).object(t)
	checkRun := h.waitRun(h.ok(202, "POST", "/api/checks/"+c["check_id"].(string)+"/run", nil).object(t)["run_id"].(string))
	var first string
	for i := range MaxLooseRuns + 5 {
		id := h.ok(202, "POST", "/api/runs", map[string]any{"type": "lineage_diff", "params": map[string]any{}}).object(t)["run_id"].(string)
		h.waitRun(id)
		if i == 0 {
			first = id
		}
	}
	var runs []map[string]any
	h.ok(200, "GET", "/api/runs", nil).json(t, &runs)
	if len(runs) != MaxLooseRuns+1 {
		t.Errorf("%d runs kept, want %d loose ones and the check's", len(runs), MaxLooseRuns)
	}
	h.ok(404, "GET", "/api/runs/"+first, nil)
	h.ok(200, "GET", "/api/runs/"+checkRun["run_id"].(string), nil)
}
