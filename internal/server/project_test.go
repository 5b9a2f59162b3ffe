package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestHealthAndReady(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	if m := h.ok(200, "GET", "/api/health", nil).object(t); m["ok"] != true || m["version"] != "test" {
		t.Errorf("health: %v", m)
	}
	if m := h.ok(200, "GET", "/api/ready", nil).object(t); m["ok"] != true {
		t.Errorf("ready: %v", m)
	}
	h.store.Close() // the database goes away: not ready
	r := h.ok(503, "GET", "/api/ready", nil)
	if m := r.object(t); !strings.Contains(m["error"].(string), "database") {
		t.Errorf("ready error does not name the database: %v", m)
	}
}

func TestInfoOnJaffle(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	var info struct {
		Mode        string          `json:"mode"`
		Warehouse   *warehouseView  `json:"warehouse"`
		PullRequest json.RawMessage `json:"pull_request"`
		GitLab      gitlabBrief     `json:"gitlab"`
		Lineage     struct {
			Base    map[string]any   `json:"base"`
			Current map[string]any   `json:"current"`
			Nodes   []map[string]any `json:"nodes"`
			Edges   []map[string]any `json:"edges"`
		} `json:"lineage"`
	}
	h.ok(200, "GET", "/api/info", nil).json(t, &info)
	if info.Mode != "live" || string(info.PullRequest) != "null" || info.GitLab != (gitlabBrief{Connected: false, Mode: "none"}) {
		t.Errorf("info: mode %q, pull_request %s, gitlab %+v", info.Mode, info.PullRequest, info.GitLab)
	}
	// Live without a warehouse: there, unavailable (a live server whose
	// profiles.yml could not be opened says why in error).
	if info.Warehouse == nil || info.Warehouse.Available {
		t.Errorf("warehouse %+v, want present and unavailable", info.Warehouse)
	}
	// The lineage is exactly `recce lineage-diff --format json`: 12 nodes,
	// customers modified in its code, two models added.
	if len(info.Lineage.Nodes) != 12 || len(info.Lineage.Edges) == 0 {
		t.Fatalf("lineage: %d nodes, %d edges", len(info.Lineage.Nodes), len(info.Lineage.Edges))
	}
	if info.Lineage.Base["project_name"] != "jaffle_shop" || info.Lineage.Current["has_catalog"] != true {
		t.Errorf("environments: %v / %v", info.Lineage.Base, info.Lineage.Current)
	}
	changes := map[string]string{}
	for _, n := range info.Lineage.Nodes {
		changes[n["name"].(string)] = n["change"].(string)
	}
	for name, want := range map[string]string{"customers": "modified", "int_customer_orders": "added", "int_customer_payments": "added", "orders": "unchanged"} {
		if changes[name] != want {
			t.Errorf("%s: change %q, want %q", name, changes[name], want)
		}
	}
}

func TestNodeDetail(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	var n nodeView
	h.ok(200, "GET", "/api/nodes/"+url.PathEscape("model.jaffle_shop.customers"), nil).json(t, &n)
	if n.Name != "customers" || n.Change != "modified" || len(n.Reasons) != 1 || n.Reasons[0] != "code" {
		t.Errorf("customers: %+v", n)
	}
	if n.Base == nil || n.Current == nil {
		t.Fatalf("customers is on both sides: base %v current %v", n.Base, n.Current)
	}
	if n.Base.Relation != `"jaffle_shop"."prod"."customers"` || n.Current.Relation != `"jaffle_shop"."dev"."customers"` {
		t.Errorf("relations %s / %s", n.Base.Relation, n.Current.Relation)
	}
	if n.Current.Materialized != "table" || !strings.Contains(strings.ToLower(n.Current.Code), "select") || n.Base.Code == n.Current.Code {
		t.Errorf("materialized %q, code differs %v", n.Current.Materialized, n.Base.Code != n.Current.Code)
	}
	// Columns come from the catalog, with the warehouse's types.
	if len(n.Current.Columns) == 0 || n.Current.Columns[0].Name != "customer_id" || n.Current.Columns[0].Type == "" {
		t.Errorf("current columns %+v", n.Current.Columns)
	}
	if !slices.Equal(n.PrimaryKey, []string{"customer_id"}) {
		t.Errorf("primary key %v, want customer_id (unique and not_null tests)", n.PrimaryKey)
	}

	// An added model has no base side.
	var added nodeView
	h.ok(200, "GET", "/api/nodes/model.jaffle_shop.int_customer_orders", nil).json(t, &added)
	if added.Base != nil || added.Current == nil || added.Change != "added" || added.Columns == nil || len(added.Columns.Added) != 4 {
		t.Errorf("added node: %+v columns %+v", added, added.Columns)
	}
	if raw := h.ok(200, "GET", "/api/nodes/model.jaffle_shop.int_customer_orders", nil).object(t); raw["base"] != nil {
		t.Errorf("base of an added node is %v, want null", raw["base"])
	}

	r := h.ok(404, "GET", "/api/nodes/model.jaffle_shop.nope", nil)
	if m := r.object(t); !strings.Contains(m["error"].(string), "model.jaffle_shop.nope") {
		t.Errorf("404 does not name the node: %v", m)
	}
}

func TestSelect(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	var res struct {
		Nodes []string `json:"nodes"`
	}
	h.ok(200, "GET", "/api/select?select="+url.QueryEscape("state:modified+")+"&exclude="+url.QueryEscape("customer_segments"), nil).json(t, &res)
	want := []string{"model.jaffle_shop.customer_order_pattern", "model.jaffle_shop.customers", "model.jaffle_shop.int_customer_orders", "model.jaffle_shop.int_customer_payments"}
	for _, id := range want {
		if !slices.Contains(res.Nodes, id) {
			t.Errorf("state:modified+ lacks %s: %v", id, res.Nodes)
		}
	}
	if slices.Contains(res.Nodes, "model.jaffle_shop.customer_segments") || slices.Contains(res.Nodes, "model.jaffle_shop.orders") {
		t.Errorf("selection holds excluded or unchanged nodes: %v", res.Nodes)
	}
	h.ok(200, "GET", "/api/select", nil).json(t, &res)
	if len(res.Nodes) != 12 {
		t.Errorf("empty selection: %d nodes, want all 12", len(res.Nodes))
	}
	m := h.ok(400, "GET", "/api/select?select="+url.QueryEscape("state:"), nil).object(t)
	if !strings.HasPrefix(m["error"].(string), "invalid selector") {
		t.Errorf("bad selector: %v", m)
	}
}

func TestUnknownAPIPathsAnswerJSON(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	if m := h.ok(404, "GET", "/api/nope", nil).object(t); !strings.Contains(m["error"].(string), "docs/api.md") {
		t.Errorf("404: %v", m)
	}
	r := h.ok(405, "DELETE", "/api/info", nil)
	if r.header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	if m := r.object(t); !strings.Contains(m["error"].(string), "not allowed") {
		t.Errorf("405: %v", m)
	}
}

func TestJSONAnswersCompressed(t *testing.T) {
	h := newHarness(t, jaffleEnv(t))
	plain := h.ok(200, "GET", "/api/info", nil, "Accept-Encoding", "identity")
	z := h.ok(200, "GET", "/api/info", nil, "Accept-Encoding", "gzip, deflate")
	if z.header.Get("Content-Encoding") != "gzip" || plain.header.Get("Content-Encoding") != "" || len(z.body) >= len(plain.body)/3 {
		t.Fatalf("gzip: %q (%d bytes), plain %q (%d bytes)", z.header.Get("Content-Encoding"), len(z.body), plain.header.Get("Content-Encoding"), len(plain.body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(z.body))
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(zr); !bytes.Equal(body, plain.body) {
		t.Error("the gzipped answer differs from the plain one")
	}
	// Errors and empty answers too are well-formed.
	if r := h.ok(404, "GET", "/api/nodes/nope", nil, "Accept-Encoding", "gzip"); r.header.Get("Content-Encoding") == "gzip" {
		if _, err := gzip.NewReader(bytes.NewReader(r.body)); err != nil {
			t.Errorf("gzipped 404: %v", err)
		}
	}
}
