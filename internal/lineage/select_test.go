package lineage

import (
	"context"
	"sort"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
)

func TestSelectOnJaffle(t *testing.T) {
	r := load(t, "jaffle-recce/base", "jaffle-recce/current")
	cases := []struct {
		include, exclude string
		want             []string
	}{
		{"state:modified", "", []string{"customers", "int_customer_orders", "int_customer_payments"}},
		{"state:new", "", []string{"int_customer_orders", "int_customer_payments"}},
		{"state:modified.body", "state:new", []string{"customers"}},
		{"customers+", "", []string{"customer_order_pattern", "customer_segments", "customers"}},
		{"customers+1", "", []string{"customer_order_pattern", "customer_segments", "customers"}},
		{"+int_customer_orders", "", []string{"int_customer_orders", "raw_orders", "stg_orders"}},
		{"1+int_customer_orders", "", []string{"int_customer_orders", "stg_orders"}},
		{"@int_customer_orders", "", []string{"customer_order_pattern", "customer_segments", "customers", "int_customer_orders", "int_customer_payments",
			"raw_customers", "raw_orders", "raw_payments", "stg_customers", "stg_orders", "stg_payments"}},
		{"state:modified,config.materialized:table", "", []string{"customers", "int_customer_orders", "int_customer_payments"}},
		{"state:modified config.materialized:view", "", []string{"customers", "int_customer_orders", "int_customer_payments", "stg_customers", "stg_orders", "stg_payments"}},
		{"state:modified,config.materialized:view", "", nil},
		{"resource_type:source", "", []string{"raw_customers", "raw_orders", "raw_payments"}},
		{"source:jaffle-shop-data.raw_orders+1", "", []string{"raw_orders", "stg_orders"}},
		// As in dbt, sources are selected by the path of their YAML file.
		{"path:models/staging", "resource_type:source", []string{"stg_customers", "stg_orders", "stg_payments"}},
		{"path:models/staging/sources.yml", "", []string{"raw_customers", "raw_orders", "raw_payments"}},
		{"models/staging/stg_orders.sql", "", []string{"stg_orders"}},
		{"stg_*", "stg_payments", []string{"stg_customers", "stg_orders"}},
		{"jaffle_shop.staging.*", "", []string{"raw_customers", "raw_orders", "raw_payments", "stg_customers", "stg_orders", "stg_payments"}},
		{"jaffle_shop.staging.stg_*", "", []string{"stg_customers", "stg_orders", "stg_payments"}},
		{"package:jaffle_shop,resource_type:model", "tag:nothing path:models/staging", []string{"customer_order_pattern", "customer_segments", "customers", "int_customer_orders", "int_customer_payments", "orders"}},
	}
	for _, c := range cases {
		ids, err := dbt.Select(r, c.include, c.exclude)
		if err != nil {
			t.Errorf("%q: %v", c.include, err)
			continue
		}
		var names []string
		for _, id := range ids {
			names = append(names, r.Node(id).Name)
		}
		sort.Strings(names)
		if strings.Join(names, " ") != strings.Join(c.want, " ") {
			t.Errorf("select %q exclude %q:\n got  %v\n want %v", c.include, c.exclude, names, c.want)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	r := load(t, "jaffle-recce/base", "jaffle-recce/current")
	for sel, want := range map[string]string{
		"colour:red":    `unknown method "colour"`,
		"state:changed": `unknown state "changed"`,
		"config:table":  "config needs a key",
		"@customers+":   "@ cannot be combined with +",
		"tag:":          "missing value",
		"a,,b":          "empty part",
	} {
		_, err := dbt.Select(r, sel, "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", sel, err, want)
		}
	}
	// Without a base environment, state: selectors are refused clearly.
	cur, err := dbt.Load(context.Background(), fixtures.Path(t, "dbt", "jaffle-recce", "current"), dbt.Current)
	if err != nil {
		t.Fatal(err)
	}
	g := dbt.NewManifestGraph(cur.Manifest)
	if _, err := dbt.Select(g, "state:modified", ""); err == nil || !strings.Contains(err.Error(), "base environment") {
		t.Errorf("state: without base: %v", err)
	}
	ids, err := dbt.Select(g, "+customers", "resource_type:source")
	if err != nil || len(ids) != 6 {
		t.Errorf("+customers on one manifest: %v %v", ids, err)
	}
}
