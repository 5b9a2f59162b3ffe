package lineage

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
)

func load(t *testing.T, base, current string) *Result {
	t.Helper()
	b, c, err := dbt.LoadPair(context.Background(), fixtures.Path(t, "dbt", base), fixtures.Path(t, "dbt", current))
	if err != nil {
		t.Fatal(err)
	}
	return Diff(b, c)
}

func ids(r *Result, keep func(*Node) bool) []string {
	var out []string
	for _, n := range r.Nodes {
		if keep(n) {
			out = append(out, n.UniqueID)
		}
	}
	return out
}

func changed(ch Change) func(*Node) bool { return func(n *Node) bool { return n.Change == ch } }

func eq(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func TestJaffleRecce(t *testing.T) {
	r := load(t, "jaffle-recce/base", "jaffle-recce/current")
	eq(t, "added", ids(r, changed(Added)), "model.jaffle_shop.int_customer_orders", "model.jaffle_shop.int_customer_payments")
	eq(t, "removed", ids(r, changed(Removed)))
	eq(t, "modified", ids(r, changed(Modified)), "model.jaffle_shop.customers")
	if got := r.Node("model.jaffle_shop.customers").Reasons; len(got) != 1 || got[0] != ReasonCode {
		t.Errorf("customers reasons %v, want [code]", got)
	}
	// Impacted: the changed nodes and everything downstream of them
	// (checked against the manifest's child_map).
	eq(t, "impacted", ids(r, func(n *Node) bool { return n.Impacted }),
		"model.jaffle_shop.customers", "model.jaffle_shop.int_customer_orders", "model.jaffle_shop.int_customer_payments",
		"model.jaffle_shop.customer_order_pattern", "model.jaffle_shop.customer_segments")
	eq(t, "unchanged sources and staging", ids(r, func(n *Node) bool { return n.Change == Unchanged && n.ResourceType == dbt.Source }),
		"source.jaffle_shop.jaffle-shop-data.raw_customers", "source.jaffle_shop.jaffle-shop-data.raw_orders", "source.jaffle_shop.jaffle-shop-data.raw_payments")

	var added []string
	for _, e := range r.Edges {
		if e.Change == Added {
			added = append(added, e.Source+" -> "+e.Target)
		}
	}
	eq(t, "added edges", added,
		"model.jaffle_shop.int_customer_orders -> model.jaffle_shop.customers",
		"model.jaffle_shop.int_customer_payments -> model.jaffle_shop.customers",
		"model.jaffle_shop.stg_orders -> model.jaffle_shop.int_customer_orders",
		"model.jaffle_shop.stg_orders -> model.jaffle_shop.int_customer_payments",
		"model.jaffle_shop.stg_payments -> model.jaffle_shop.int_customer_payments",
	)
	var removed []string
	for _, e := range r.Edges {
		if e.Change == Removed {
			removed = append(removed, e.Source+" -> "+e.Target)
		}
	}
	eq(t, "removed edges", removed,
		"model.jaffle_shop.stg_orders -> model.jaffle_shop.customers",
		"model.jaffle_shop.stg_payments -> model.jaffle_shop.customers",
	)

	// Schema diff of customers, against the catalogs read independently.
	cols := r.Node("model.jaffle_shop.customers").Columns
	if cols == nil || cols.Differs() {
		t.Errorf("customers columns should be the same in both catalogs: %+v", cols)
	}
	if c := r.Node("model.jaffle_shop.int_customer_orders").Columns; c == nil || len(c.Added) == 0 {
		t.Errorf("an added model's columns are all added: %+v", c)
	}
}

func TestJaffleNoChangeBetweenIdenticalSides(t *testing.T) {
	r := load(t, "jaffle-recce/current", "jaffle-recce/current")
	if got := ids(r, func(n *Node) bool { return n.Changed() || n.Impacted }); len(got) != 0 {
		t.Errorf("identical artifacts report changes: %v", got)
	}
}

func TestFivetranJira(t *testing.T) {
	r := load(t, "fivetran-jira/base", "fivetran-jira/current")
	// The nodes whose checksum changed are modified in their code.
	for _, id := range []string{"model.jira.int_jira__issue_comments", "seed.jira_integration_tests.comment"} {
		if n := r.Node(id); n.Change != Modified || n.Reasons[0] != ReasonCode {
			t.Errorf("%s: %s %v, want modified [code]", id, n.Change, n.Reasons)
		}
	}
	// The others are modified only because macros they call changed between
	// the two releases (dbt_utils.star, fivetran_utils.union_connections...:
	// their macro_sql differs in the two manifests), as dbt's
	// state:modified.macros says.
	for _, n := range r.Nodes {
		if n.Change == Modified && n.Reasons[0] != ReasonCode && (len(n.Reasons) != 1 || n.Reasons[0] != ReasonMacros) {
			t.Errorf("%s: reasons %v, want [macros]", n.UniqueID, n.Reasons)
		}
	}
	if n := r.Node("model.jira.stg_jira__issue_tmp"); n.Change != Modified {
		t.Errorf("stg_jira__issue_tmp calls fivetran_utils.union_connections, which changed: %s", n.Change)
	}
	eq(t, "added", ids(r, changed(Added)))
	eq(t, "removed", ids(r, changed(Removed)))

	// The catalog change, computed independently: columns that exist in a
	// base catalog node and not in the current one.
	gone := catalogColumnsGone(t, "fivetran-jira")
	var got []string
	for _, n := range r.Nodes {
		if n.Columns == nil {
			continue
		}
		for _, c := range n.Columns.Removed {
			got = append(got, n.UniqueID+"."+strings.ToLower(c))
		}
		if len(n.Columns.Added)+len(n.Columns.Changed) > 0 {
			t.Errorf("%s: unexpected added or changed columns %+v", n.UniqueID, n.Columns)
		}
	}
	sort.Strings(got)
	if len(gone) < 10 {
		t.Fatalf("expected the fixture to drop a column from many models, found %d", len(gone))
	}
	eq(t, "columns removed", got, gone...)
}

// catalogColumnsGone reads both catalogs with encoding/json, independently of
// the dbt package.
func catalogColumnsGone(t *testing.T, project string) []string {
	read := func(side string) map[string]map[string]bool {
		var c struct {
			Nodes map[string]struct {
				Columns map[string]struct{ Name string } `json:"columns"`
			} `json:"nodes"`
		}
		data, err := os.ReadFile(fixtures.Path(t, "dbt", project, side, "catalog.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]bool{}
		for id, n := range c.Nodes {
			out[id] = map[string]bool{}
			for name := range n.Columns {
				out[id][strings.ToLower(name)] = true
			}
		}
		return out
	}
	b, c := read("base"), read("current")
	var gone []string
	for id, cols := range b {
		if c[id] == nil {
			continue
		}
		for col := range cols {
			if !c[id][col] {
				gone = append(gone, id+"."+col)
			}
		}
	}
	return gone
}

func TestTuvaWhitespaceAndVersionNoise(t *testing.T) {
	r := load(t, "tuva/v11-dbt1.7.8", "tuva/v8-dbt1.4.9")
	if r.Base.SchemaVersion != 11 || r.Current.SchemaVersion != 8 {
		t.Fatalf("schema versions %d, %d", r.Base.SchemaVersion, r.Current.SchemaVersion)
	}
	ws, code, other := 0, 0, map[Reason]int{}
	for _, n := range r.Nodes {
		if n.Change != Modified {
			continue
		}
		for _, rs := range n.Reasons {
			if rs == ReasonWhitespace && len(n.Reasons) != 1 {
				t.Errorf("%s: whitespace with other reasons %v", n.UniqueID, n.Reasons)
			}
		}
		switch {
		case n.WhitespaceOnly():
			ws++
			// Impacted only through a parent, never by its own edit.
			viaParent := false
			for _, p := range r.Parents(n.UniqueID) {
				viaParent = viaParent || r.Node(p).Impacted
			}
			if n.Impacted != viaParent {
				t.Errorf("%s: impacted=%v but impacted parent=%v", n.UniqueID, n.Impacted, viaParent)
			}
		case len(n.Reasons) == 1 && n.Reasons[0] == ReasonCode:
			code++
		default:
			for _, rs := range n.Reasons {
				other[rs]++
			}
		}
	}
	// 140 nodes have a different checksum (counted independently): 104
	// models whose code differs only in line endings, 5 models with a real
	// edit (an added column...), and 31 seeds, whose files the manifest does
	// not hold: a changed seed is a changed seed. The configs differ only by
	// keys dbt 1.7 writes with defaults, docs colours and tags: none of it
	// may count.
	if ws != 104 || code != 36 {
		t.Errorf("whitespace-only %d (want 104), code %d (want 5 models + 31 seeds)", ws, code)
	}
	if len(other) != 0 {
		t.Errorf("version noise reported as changes: %v", other)
	}
	if r.Base.Database != "raw" || r.Current.Database != "dev_sarah" {
		t.Errorf("environment databases %q %q", r.Base.Database, r.Current.Database)
	}
}

func TestRealChangesAreNotNoise(t *testing.T) {
	dir := t.TempDir()
	src := fixtures.Path(t, "dbt", "jaffle-recce", "current", "manifest.json")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	nodes := m["nodes"].(map[string]any)
	orders := nodes["model.jaffle_shop.orders"].(map[string]any)
	orders["config"].(map[string]any)["materialized"] = "incremental"
	stg := nodes["model.jaffle_shop.stg_orders"].(map[string]any)
	stg["alias"] = "stg_orders_v2"
	pay := nodes["model.jaffle_shop.stg_payments"].(map[string]any)
	pay["contract"] = map[string]any{"enforced": true}
	cust := nodes["model.jaffle_shop.stg_customers"].(map[string]any)
	cust["raw_code"] = strings.ReplaceAll(cust["raw_code"].(string), "\n", "\r\n  ")
	cust["checksum"] = map[string]any{"name": "sha256", "checksum": "changed"}
	out, _ := json.Marshal(m)
	cur := filepath.Join(dir, "current")
	os.MkdirAll(cur, 0o755)
	os.WriteFile(filepath.Join(cur, "manifest.json"), out, 0o644)

	b, c, err := dbt.LoadPair(context.Background(), fixtures.Path(t, "dbt", "jaffle-recce", "current"), cur)
	if err != nil {
		t.Fatal(err)
	}
	r := Diff(b, c)
	want := map[string]Reason{
		"model.jaffle_shop.orders":        ReasonConfig,
		"model.jaffle_shop.stg_orders":    ReasonRelation,
		"model.jaffle_shop.stg_payments":  ReasonContract,
		"model.jaffle_shop.stg_customers": ReasonWhitespace,
	}
	for id, reason := range want {
		n := r.Node(id)
		if n.Change != Modified || len(n.Reasons) != 1 || n.Reasons[0] != reason {
			t.Errorf("%s: %s %v, want modified [%s]", id, n.Change, n.Reasons, reason)
		}
	}
	if !r.Node("model.jaffle_shop.customers").Impacted {
		t.Error("customers is downstream of stg_orders and should be impacted")
	}
}

func TestSameTokens(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"select a,b from t", "select a, b\r\nfrom   t\n", true},
		{"select a from t", "select  a  from t -- x", false},
		{"select 'a b'", "select 'a  b'", false},
		{"select \"my col\"", "select \"my  col\"", false},
		{"select ab", "select a b", false},
		{"select 'it''s' as x", "select 'it''s'  as x", true},
		{"{{ ref('x') }}", "{{ref('x')}}", true},
		{"-- don't  panic\nselect 'a'", "-- don't panic\r\nselect   'a'", true},
		{"/* it's */ select 1", "/*  it's */\nselect 1", true},
		{"-- it's\nselect 'a b'", "-- it's\nselect 'a  b'", false},
	}
	for _, c := range cases {
		if got := sameTokens(c.a, c.b); got != c.same {
			t.Errorf("sameTokens(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
