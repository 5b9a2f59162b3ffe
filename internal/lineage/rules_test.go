package lineage

import (
	"context"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
)

// diffDirs compares two artifact folders.
func diffDirs(t *testing.T, base, current string) *Result {
	t.Helper()
	b, c, err := dbt.LoadPair(context.Background(), base, current)
	if err != nil {
		t.Fatal(err)
	}
	return Diff(b, c)
}

func jaffleCurrent(t *testing.T, edit func(a *fixtures.Artifacts)) string {
	return fixtures.Variant(t, edit, "dbt", "jaffle-recce", "current")
}

func wantReasons(t *testing.T, r *Result, id string, want ...Reason) {
	t.Helper()
	n := r.Node(id)
	got := make([]string, len(n.Reasons))
	for i, x := range n.Reasons {
		got[i] = string(x)
	}
	w := make([]string, len(want))
	for i, x := range want {
		w[i] = string(x)
	}
	wantChange := Modified
	if len(want) == 0 {
		wantChange = Unchanged
	}
	if n.Change != wantChange || strings.Join(got, ",") != strings.Join(w, ",") {
		t.Errorf("%s: %s %v, want %s %v", id, n.Change, got, wantChange, w)
	}
}

// TestSourceFreshnessIsModified: dbt's state:modified counts a source whose
// freshness or loaded_at_field changed (SourceDefinition.same_freshness);
// so does recce, with the reason source, and the models reading it are
// impacted, as state:modified+ selects them.
func TestSourceFreshnessIsModified(t *testing.T) {
	const orders, payments = "source.jaffle_shop.jaffle-shop-data.raw_orders", "source.jaffle_shop.jaffle-shop-data.raw_payments"
	base := fixtures.Path(t, "dbt", "jaffle-recce", "current")
	cur := jaffleCurrent(t, func(a *fixtures.Artifacts) {
		o := fixtures.Object(t, a.Manifest, "sources", orders)
		o["freshness"] = map[string]any{"warn_after": map[string]any{"count": 12, "period": "hour"}, "error_after": map[string]any{"count": nil, "period": nil}, "filter": nil}
		o["loaded_at_field"] = "order_date"
		// Written without the all-null freshness older dbt versions write:
		// no change.
		delete(fixtures.Object(t, a.Manifest, "sources", payments), "freshness")
	})
	r := diffDirs(t, base, cur)
	wantReasons(t, r, orders, ReasonSource)
	wantReasons(t, r, payments)
	stg := r.Node("model.jaffle_shop.stg_orders")
	if !stg.Impacted || strings.Join(stg.ImpactedBy, ",") != orders {
		t.Errorf("stg_orders reads raw_orders: impacted %v by %v", stg.Impacted, stg.ImpactedBy)
	}

	// loaded_at_field alone, and in the config where dbt 1.10+ writes it.
	cur = jaffleCurrent(t, func(a *fixtures.Artifacts) {
		o := fixtures.Object(t, a.Manifest, "sources", orders)
		fixtures.Object(t, o, "config")["loaded_at_field"] = "_loaded_at"
	})
	wantReasons(t, diffDirs(t, base, cur), orders, ReasonSource)

	if got, err := dbt.Select(r, "state:modified", ""); err != nil || strings.Join(got, ",") != orders {
		t.Errorf("state:modified selects %v (%v)", got, err)
	}
}

// TestPersistedDescriptions follows dbt's same_persisted_description: with
// persist_docs on, a changed description changes the warehouse's comments,
// so the node is modified (state:modified.persisted_descriptions) and its
// children impacted; with persist_docs off it is no change.
func TestPersistedDescriptions(t *testing.T) {
	// flow-models v5: silver__labels has persist_docs {relation, columns}
	// and a column description changed between the two commits (and its
	// SQL only in whitespace).
	r := load(t, "flow-models/v5/base", "flow-models/v5/current")
	wantReasons(t, r, "model.flow_models.silver__labels", ReasonDescriptions)
	if !r.Node("model.flow_models.silver__labels").Impacted {
		t.Error("silver__labels is modified: impacted")
	}

	const customers = "model.jaffle_shop.customers"
	describe := func(persist map[string]any, description string) string {
		return jaffleCurrent(t, func(a *fixtures.Artifacts) {
			c := fixtures.Object(t, a.Manifest, "nodes", customers)
			fixtures.Object(t, c, "config")["persist_docs"] = persist
			if description != "" {
				fixtures.Object(t, c, "columns", "customer_id")["description"] = description
			}
		})
	}
	columns := map[string]any{"columns": true}
	base := describe(columns, "")
	r = diffDirs(t, base, describe(columns, "The customer, now documented better."))
	wantReasons(t, r, customers, ReasonDescriptions)
	seg := r.Node("model.jaffle_shop.customer_segments")
	if !seg.Impacted || strings.Join(seg.ImpactedBy, ",") != customers {
		t.Errorf("customer_segments is downstream of customers: impacted %v by %v", seg.Impacted, seg.ImpactedBy)
	}
	if got, _ := dbt.Select(r, "state:modified.persisted_descriptions", ""); strings.Join(got, ",") != customers {
		t.Errorf("state:modified.persisted_descriptions selects %v", got)
	}
	// persist_docs.relation only: column descriptions are not persisted.
	relation := map[string]any{"relation": true}
	wantReasons(t, diffDirs(t, describe(relation, ""), describe(relation, "Another text.")), customers)
	// No persist_docs: documentation only.
	wantReasons(t, diffDirs(t, describe(map[string]any{}, ""), describe(map[string]any{}, "Another text.")), customers)
}

// TestAdapterMacroPackages: the macros an adapter ships change with the
// adapter's version, which is the tool changing, not the project: the
// packages each adapter really ships are left out, dbt_spark on
// Databricks and dbt_postgres on Redshift among them.
func TestAdapterMacroPackages(t *testing.T) {
	const customers = "model.jaffle_shop.customers"
	withMacro := func(adapter, pkg, body string) string {
		return jaffleCurrent(t, func(a *fixtures.Artifacts) {
			fixtures.Object(t, a.Manifest, "metadata")["adapter_type"] = adapter
			id := "macro." + pkg + ".get_relation_comment"
			fixtures.Object(t, a.Manifest, "macros")[id] = map[string]any{
				"unique_id": id, "name": "get_relation_comment", "package_name": pkg, "macro_sql": body,
				"depends_on": map[string]any{"macros": []any{}},
			}
			dep := fixtures.Object(t, a.Manifest, "nodes", customers, "depends_on")
			dep["macros"] = []any{id}
		})
	}
	for _, c := range []struct {
		adapter, pkg string
		modified     bool
	}{
		{"databricks", "dbt_spark", false},
		{"databricks", "dbt_databricks", false},
		{"redshift", "dbt_postgres", false},
		{"snowflake", "dbt_snowflake", false},
		{"snowflake", "dbt_spark", true}, // not Snowflake's: a package of the project
		{"databricks", "my_macros", true},
	} {
		r := diffDirs(t, withMacro(c.adapter, c.pkg, "{% macro x() %}1{% endmacro %}"), withMacro(c.adapter, c.pkg, "{% macro x() %}2{% endmacro %}"))
		if c.modified {
			wantReasons(t, r, customers, ReasonMacros)
		} else {
			wantReasons(t, r, customers)
		}
	}
}

// TestFusionComparesUnchanged: a base built by dbt Core and a current
// built by dbt Fusion from the same code compare as unchanged; and Fusion
// on one side finds exactly the changes dbt Core finds.
func TestFusionComparesUnchanged(t *testing.T) {
	fusion := func(elem ...string) string {
		return fixtures.Variant(t, func(a *fixtures.Artifacts) { fixtures.Fusion(t, a.Manifest) }, elem...)
	}
	r := diffDirs(t, fixtures.Path(t, "dbt", "fivetran-jira", "base"), fusion("dbt", "fivetran-jira", "base"))
	if got := ids(r, func(n *Node) bool { return n.Changed() || n.Impacted }); len(got) != 0 {
		t.Errorf("the same project built by dbt Core and by Fusion: %d nodes reported changed or impacted: %v", len(got), got)
	}
	if r.Base.DBTVersion != "1.11.11" || r.Current.DBTVersion != "2.0.0-preview.76" {
		t.Errorf("versions %s, %s", r.Base.DBTVersion, r.Current.DBTVersion)
	}

	core := load(t, "jaffle-recce/base", "jaffle-recce/current")
	mixed := diffDirs(t, fixtures.Path(t, "dbt", "jaffle-recce", "base"), fusion("dbt", "jaffle-recce", "current"))
	state := func(r *Result) string {
		var b strings.Builder
		for _, n := range r.Nodes {
			b.WriteString(n.UniqueID + " " + string(n.Change) + " " + strings.Join(toStrings(n.Reasons), ",") + "\n")
		}
		return b.String()
	}
	if state(core) != state(mixed) {
		t.Errorf("Core→Core and Core→Fusion disagree:\n%s\nvs\n%s", state(core), state(mixed))
	}
	if core.Counts != mixed.Counts {
		t.Errorf("counts %+v vs %+v", core.Counts, mixed.Counts)
	}
}

func toStrings(rs []Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// TestImpactedByAndCounts: every impacted node says which changed nodes
// upstream impact it, and the counts every output shows add up.
func TestImpactedByAndCounts(t *testing.T) {
	r := load(t, "jaffle-recce/base", "jaffle-recce/current")
	const orders, payments, customers = "model.jaffle_shop.int_customer_orders", "model.jaffle_shop.int_customer_payments", "model.jaffle_shop.customers"
	for id, want := range map[string]string{
		"model.jaffle_shop.customer_segments":      strings.Join([]string{customers, orders, payments}, ","),
		"model.jaffle_shop.customer_order_pattern": strings.Join([]string{customers, orders, payments}, ","),
		customers:                      orders + "," + payments, // changed, and downstream of two other changes
		orders:                         "",
		"model.jaffle_shop.stg_orders": "",
	} {
		if got := strings.Join(r.Node(id).ImpactedBy, ","); got != want {
			t.Errorf("%s impacted by %q, want %q", id, got, want)
		}
	}
	if got := r.Counts.String(); got != "3 changed (2 added, 0 removed, 1 modified), 2 impacted downstream" {
		t.Errorf("counts: %s", got)
	}

	// On a pair with whitespace-only edits: changed + impacted downstream
	// is every impacted node, and whitespace-only edits are apart.
	tuva := load(t, "tuva/v11-dbt1.7.8", "tuva/v8-dbt1.4.9")
	impacted, ws := 0, 0
	for _, n := range tuva.Nodes {
		if n.Impacted {
			impacted++
			if !n.Changed() || n.WhitespaceOnly() {
				if len(n.ImpactedBy) == 0 {
					t.Errorf("%s is impacted by nothing", n.UniqueID)
				}
			}
		}
		if n.WhitespaceOnly() {
			ws++
		}
	}
	c := tuva.Counts
	if c.Changed+c.ImpactedDownstream != impacted || c.WhitespaceOnly != ws || c.Changed != c.Added+c.Removed+c.Modified || c.Nodes != len(tuva.Nodes) {
		t.Errorf("counts %+v: %d impacted, %d whitespace-only", c, impacted, ws)
	}
	sel, err := tuva.Select("state:modified", "")
	if err != nil {
		t.Fatal(err)
	}
	// state:modified selects the changed nodes and the whitespace-only
	// edits, some of them impacted from upstream.
	if sel.Counts.Nodes != len(sel.Nodes) || sel.Counts.Changed != c.Changed || sel.Counts.WhitespaceOnly != ws || sel.Counts.Nodes != c.Changed+ws {
		t.Errorf("a selection's counts are its own: %+v", sel.Counts)
	}
}

// TestColumnsUnknownWhereACatalogLacksARelation: a relation that a side's
// manifest has and its catalog lacks has unknown columns there (Missing),
// never all columns added or removed; sources in neither catalog (files
// the SQL reads) are no relation to compare.
func TestColumnsUnknownWhereACatalogLacksARelation(t *testing.T) {
	const customers, added, segments = "model.jaffle_shop.customers", "model.jaffle_shop.int_customer_orders", "model.jaffle_shop.customer_segments"
	cur := jaffleCurrent(t, func(a *fixtures.Artifacts) {
		nodes := fixtures.Object(t, a.Catalog, "nodes")
		delete(nodes, customers)
		delete(nodes, added)
	})
	base := fixtures.Variant(t, func(a *fixtures.Artifacts) {
		delete(fixtures.Object(t, a.Catalog, "nodes"), segments)
	}, "dbt", "jaffle-recce", "base")
	r := diffDirs(t, base, cur)
	for id, want := range map[string]string{customers: "current", added: "current", segments: "base"} {
		c := r.Node(id).Columns
		if c == nil || c.Missing != want || c.Changes() {
			t.Errorf("%s: columns %+v, want missing %s and nothing added or removed", id, c, want)
		}
	}
	if c := r.Node("source.jaffle_shop.jaffle-shop-data.raw_orders").Columns; c != nil {
		t.Errorf("a source in neither catalog: %+v", c)
	}
	both := jaffleCurrent(t, func(a *fixtures.Artifacts) { delete(fixtures.Object(t, a.Catalog, "nodes"), segments) })
	if c := diffDirs(t, base, both).Node(segments).Columns; c == nil || c.Missing != "both" {
		t.Errorf("a model in neither catalog: %+v", c)
	}
}
