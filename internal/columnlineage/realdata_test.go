package columnlineage_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/lineage"
)

// loadPair loads a real base/current pair of the shared test data.
func loadPair(t *testing.T, base, current string) (*dbt.Artifacts, *dbt.Artifacts) {
	t.Helper()
	b, c, err := dbt.LoadPair(context.Background(), fixtures.Path(t, "dbt", base), fixtures.Path(t, "dbt", current))
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

// modified lists the nodes the lineage diff finds modified.
func modified(base, current *dbt.Artifacts) []string {
	var ids []string
	for _, n := range lineage.Diff(base, current).Nodes {
		if n.Change == lineage.Modified {
			ids = append(ids, n.UniqueID)
		}
	}
	return ids
}

func column(t *testing.T, m *cl.Model, name string) string {
	t.Helper()
	c := m.Column(name)
	if c == nil {
		t.Fatalf("%s has no column %s", m.UniqueID, name)
	}
	s := string(c.Transformation)
	for _, u := range c.Upstream {
		s += " " + u.Node + "." + u.Column
	}
	return s
}

func expectColumns(t *testing.T, m *cl.Model, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got := column(t, m, name); got != w {
			t.Errorf("%s.%s: %s, want %s", m.UniqueID, name, got, w)
		}
	}
}

// jaffle-recce: customers stops aggregating stg_orders and stg_payments
// itself and joins the two new int_ models instead.
func TestJaffleCustomersChange(t *testing.T) {
	base, current := loadPair(t, "jaffle-recce/base", "jaffle-recce/current")
	eng := cl.New(parser, nil)
	bp, cp := eng.Project(base), eng.Project(current)
	ctx := context.Background()
	const customers = "model.jaffle_shop.customers"

	bm, err := bp.Lineage(ctx, customers, "model.jaffle_shop.stg_customers")
	if err != nil {
		t.Fatal(err)
	}
	expectColumns(t, bm[0], map[string]string{
		"customer_id":             "passthrough model.jaffle_shop.stg_customers.customer_id",
		"first_order":             "derived model.jaffle_shop.stg_orders.order_date",
		"number_of_orders":        "derived model.jaffle_shop.stg_orders.order_id",
		"customer_lifetime_value": "derived model.jaffle_shop.stg_payments.amount",
	})
	// Grouped by stg_orders.customer_id, payments joined on order_id,
	// customers joined on customer_id.
	if got := fmt.Sprint(bm[0].ModelWide); got != "[{model.jaffle_shop.stg_customers customer_id} {model.jaffle_shop.stg_orders customer_id} {model.jaffle_shop.stg_orders order_id} {model.jaffle_shop.stg_payments order_id}]" {
		t.Errorf("base model-wide columns: %s", got)
	}
	// stg_customers reads read_csv(...), the relation of an external source
	// of dbt-duckdb.
	expectColumns(t, bm[1], map[string]string{
		"customer_id": "renamed source.jaffle_shop.jaffle-shop-data.raw_customers.id",
		"first_name":  "passthrough source.jaffle_shop.jaffle-shop-data.raw_customers.first_name",
	})

	cm, err := cp.Lineage(ctx, customers)
	if err != nil {
		t.Fatal(err)
	}
	expectColumns(t, cm[0], map[string]string{
		"first_order":             "passthrough model.jaffle_shop.int_customer_orders.first_order",
		"customer_lifetime_value": "renamed model.jaffle_shop.int_customer_payments.total_amount",
	})

	mods := modified(base, current)
	if !reflect.DeepEqual(mods, []string{customers}) {
		t.Fatalf("modified: %v", mods)
	}
	res, err := cl.Diff(ctx, bp, cp, mods)
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Changes[customers]
	if ch.Category != cl.CategoryModelWide ||
		!strings.Contains(ch.Reason, "relations read +model.jaffle_shop.int_customer_orders +model.jaffle_shop.int_customer_payments -model.jaffle_shop.stg_orders -model.jaffle_shop.stg_payments") ||
		!strings.Contains(ch.Reason, "joins") || !strings.Contains(ch.Reason, "grouping") || strings.Contains(ch.Reason, "filters") {
		t.Errorf("customers: %+v", ch)
	}
	if got := fmt.Sprint(ch.Columns); got != "[first_order most_recent_order number_of_orders customer_lifetime_value]" {
		t.Errorf("customers changed columns: %s", got)
	}
	for id, want := range map[string]cl.Impact{
		customers: cl.ImpactModelWide, "model.jaffle_shop.customer_segments": cl.ImpactModelWide,
		"model.jaffle_shop.customer_order_pattern": cl.ImpactModelWide, "model.jaffle_shop.int_customer_orders": cl.ImpactModelWide,
		"model.jaffle_shop.stg_orders": cl.ImpactNone, "model.jaffle_shop.orders": cl.ImpactNone,
	} {
		if got := res.Impacts[id].Impact; got != want {
			t.Errorf("impact of %s: %s, want %s", id, got, want)
		}
	}
}

// fivetran-jira (PostgreSQL): a macro upgrade drops _dbt_source_relation
// from every stg_*_tmp model; int_jira__issue_comments casts created_at to
// TEXT in conversation.
func TestFivetranJiraChanges(t *testing.T) {
	base, current := loadPair(t, "fivetran-jira/base", "fivetran-jira/current")
	eng := cl.New(parser, nil)
	bp, cp := eng.Project(base), eng.Project(current)
	res, err := cl.Diff(context.Background(), bp, cp, modified(base, current))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"model.jira.stg_jira__user_tmp":       "column [{_dbt_source_relation removed}]",
		"model.jira.stg_jira__issue_tmp":      "column [{_dbt_source_relation removed}]",
		"model.jira.int_jira__issue_comments": "column [{conversation redefined}]",
		"model.jira.int_jira__issue_users":    "additive []",
		"seed.jira_integration_tests.comment": "unknown []",
	} {
		ch := res.Changes[id]
		if ch == nil {
			t.Errorf("%s: not classified", id)
			continue
		}
		if got := fmt.Sprintf("%s %v", ch.Category, ch.ColumnChanges); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	// conversation flows into int_jira__issue_join and jira__issue_enhanced
	// only; no model reads _dbt_source_relation.
	for id, want := range map[string]string{
		"model.jira.int_jira__issue_join":   "columns [conversation]",
		"model.jira.jira__issue_enhanced":   "columns [conversation]",
		"model.jira.stg_jira__user":         "none []",
		"model.jira.jira__user_enhanced":    "none []",
		"model.jira.stg_jira__user_tmp":     "columns [_dbt_source_relation]",
		"model.jira.jira__project_enhanced": "none []",
	} {
		ni := res.Impacts[id]
		if got := fmt.Sprintf("%s %v", ni.Impact, ni.ImpactedColumns); got != want {
			t.Errorf("impact of %s: %s, want %s", id, got, want)
		}
	}

	ms, err := cp.Lineage(context.Background(), "model.jira.stg_jira__user_tmp", "model.jira.jira__user_enhanced")
	if err != nil {
		t.Fatal(err)
	}
	// The source and the integration tests' seed share "postgres"."public"."user":
	// the model's parent is the source.
	expectColumns(t, ms[0], map[string]string{"name": "passthrough source.jira.jira.user.name"})
	// int_jira__user_metrics is ephemeral: dbt inlines it as the CTE
	// __dbt__cte__int_jira__user_metrics, which stands for the node.
	expectColumns(t, ms[1], map[string]string{
		"count_closed_issues":    "derived model.jira.int_jira__user_metrics.count_closed_issues",
		"median_close_time_days": "passthrough model.jira.int_jira__user_metrics.median_close_time_days",
		"user_display_name":      "passthrough model.jira.stg_jira__user.user_display_name",
		"projects":               "derived model.jira.jira__issue_enhanced.project_name",
	})
}

// flow-models (Snowflake): col:path access, QUALIFY, :: casts.
func TestFlowModelsSnowflake(t *testing.T) {
	base, _ := loadPair(t, "flow-models/v5/base", "flow-models/v5/current")
	pr := cl.New(parser, nil).Project(base)
	ms, err := pr.Lineage(context.Background(), "model.flow_models.silver__blocks", "model.flow_models.silver__events")
	if err != nil {
		t.Fatal(err)
	}
	expectColumns(t, ms[0], map[string]string{
		"BLOCK_HEIGHT": "renamed model.flow_models.bronze__blocks.BLOCK_ID",
		"ID":           "derived model.flow_models.bronze__blocks.HEADER",
		"NETWORK":      "passthrough model.flow_models.bronze__blocks.NETWORK",
	})
	// WHERE _ingested_at ... QUALIFY ROW_NUMBER() OVER (PARTITION BY block_id ORDER BY _ingested_at DESC) = 1
	if got := fmt.Sprint(ms[0].ModelWide); got != "[{model.flow_models.bronze__blocks _INGESTED_AT} {model.flow_models.bronze__blocks BLOCK_ID}]" {
		t.Errorf("silver__blocks model-wide: %s", got)
	}
	// LATERAL FLATTEN(input => transaction_result:events): VALUE comes from
	// the flattened column.
	expectColumns(t, ms[1], map[string]string{
		"EVENT_TYPE": "derived model.flow_models.silver__transactions.TRANSACTION_RESULT",
		"TX_ID":      "passthrough model.flow_models.silver__transactions.TX_ID",
	})
	if st := pr.Stats(); st.Unparsed != 0 {
		t.Errorf("stats: %+v", st)
	}
}

// tuva (Snowflake, 297 models): every model parses; a run-timestamp
// literal compiled into the SQL changes only that column.
func TestTuvaSnowflake(t *testing.T) {
	base, current := loadPair(t, "tuva/v11-dbt1.7.8", "tuva/v8-dbt1.4.9")
	eng := cl.New(parser, nil)
	bp, cp := eng.Project(base), eng.Project(current)
	if _, err := bp.AllLineage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := bp.Stats(); st.Parsed != 297 || st.Unparsed != 0 {
		t.Errorf("tuva base: %+v, want all 297 models parsed", st)
	}
	res, err := cl.Diff(context.Background(), bp, cp, modified(base, current))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"model.the_tuva_project.acute_inpatient__data_quality_summary":       "column [TUVA_LAST_RUN]",
		"model.the_tuva_project.acute_inpatient__claims_with_encounter_data": "column [TUVA_LAST_RUN]",
		// SELECT DISTINCT ..., cast('<run time>' as timestamp) as tuva_last_run:
		// a constant makes no row distinct.
		"model.the_tuva_project.core__stg_claims_condition": "column [TUVA_LAST_RUN]",
		// UNION DISTINCT compares the constants of both sides.
		"model.the_tuva_project.acute_inpatient__encounter_id": "model_wide [TUVA_LAST_RUN]",
	} {
		ch := res.Changes[id]
		if got := fmt.Sprintf("%s %v", ch.Category, ch.Columns); got != want {
			t.Errorf("%s: %s (%s), want %s", id, got, ch.Reason, want)
		}
	}
}
