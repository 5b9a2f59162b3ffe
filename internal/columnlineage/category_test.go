package columnlineage_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

// envs is a base (schema prod) and a current (schema dev) project with the
// same sources.
type envs struct{ base, cur *project }

func newEnvs(adapter string) *envs {
	e := &envs{base: newProject(adapter), cur: newProject(adapter)}
	e.base.schema, e.cur.schema = "prod", "dev"
	return e
}

func (e *envs) source(name string, cols ...string) string {
	e.base.source(name, cols...)
	return e.cur.source(name, cols...)
}

// model adds a model to both; curSQL "" means the same SQL as base (in its
// own schema).
func (e *envs) model(name, baseSQL, curSQL string, parents []string) string {
	if curSQL == "" {
		curSQL = baseSQL
	}
	e.base.model(name, baseSQL, parents)
	return e.cur.model(name, curSQL, parents)
}

func (e *envs) diff(t *testing.T, modified ...string) *cl.Result {
	t.Helper()
	eng := cl.New(parser, nil)
	res, err := cl.Diff(context.Background(), eng.Project(e.base.artifacts()), eng.Project(e.cur.artifacts()), modified)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCategories(t *testing.T) {
	for _, tc := range []struct {
		name, base, cur string
		want            cl.Category
		columns         []string
		reason          string
	}{
		{"added column", `select id, amount from db.raw.orders`,
			`select id, amount, status from db.raw.orders`, cl.CategoryAdditive, []string{"status"}, ""},
		{"whitespace and comments", `select id, amount from db.raw.orders`,
			"-- a comment\nselect id,\n  amount\nfrom db.raw.orders", cl.CategoryAdditive, []string{}, ""},
		{"redefined column", `select id, amount from db.raw.orders`,
			`select id, amount * 100 as amount from db.raw.orders`, cl.CategoryColumn, []string{"amount"}, ""},
		{"removed column", `select id, amount, status from db.raw.orders`,
			`select id, amount from db.raw.orders`, cl.CategoryColumn, []string{"status"}, ""},
		{"renamed column", `select id, amount from db.raw.orders`,
			`select id, amount as total from db.raw.orders`, cl.CategoryColumn, []string{"total", "amount"}, ""},
		{"filter added", `select id, amount from db.raw.orders`,
			`select id, amount from db.raw.orders where status = 'paid'`, cl.CategoryModelWide, []string{}, "filters"},
		{"join type", `select o.id, c.name from db.raw.orders o join db.raw.customers c on o.customer_id = c.id`,
			`select o.id, c.name from db.raw.orders o left join db.raw.customers c on o.customer_id = c.id`,
			cl.CategoryModelWide, []string{}, "joins"},
		{"distinct", `select status from db.raw.orders`,
			`select distinct status from db.raw.orders`, cl.CategoryModelWide, []string{}, "distinct"},
		{"grouping", `select customer_id, sum(amount) as total from db.raw.orders group by customer_id`,
			`select customer_id, sum(amount) as total from db.raw.orders group by customer_id, status`,
			cl.CategoryModelWide, []string{}, "grouping"},
		{"aggregated", `select amount as total from db.raw.orders`,
			`select sum(amount) as total from db.raw.orders`, cl.CategoryModelWide, []string{"total"}, "grouping"},
		{"source relation", `select id from db.raw.orders`,
			`select id from db.raw.customers`, cl.CategoryModelWide, []string{"id"}, "relations read +source.p.raw.customers -source.p.raw.orders"},
		{"CTE column feeding a filter", `with o as (select id, amount from db.raw.orders) select id from o where amount > 0`,
			`with o as (select id, amount * 2 as amount from db.raw.orders) select id from o where amount > 0`,
			cl.CategoryModelWide, []string{}, "filters"},
		{"CTE column feeding a column", `with o as (select id, amount from db.raw.orders) select id, amount from o`,
			`with o as (select id, round(amount, 2) as amount from db.raw.orders) select id, amount from o`,
			cl.CategoryColumn, []string{"amount"}, ""},
		{"unparsable", `select id from db.raw.orders`, `select id from from db.raw.orders`,
			cl.CategoryUnknown, []string{}, "did not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvs("duckdb")
			o := e.source("orders", "id", "customer_id", "amount", "status")
			c := e.source("customers", "id", "name")
			m := e.model("m", tc.base, tc.cur, []string{o, c})
			ch := e.diff(t, m).Changes[m]
			if ch.Category != tc.want || !reflect.DeepEqual(ch.Columns, tc.columns) || !strings.Contains(ch.Reason, tc.reason) {
				t.Errorf("got %s %q (%s), want %s %q (reason with %q)", ch.Category, ch.Columns, ch.Reason, tc.want, tc.columns, tc.reason)
			}
		})
	}
}

// Base and current read their parents in different schemas: relations are
// compared by node.
func TestCategoryComparesRelationsByNode(t *testing.T) {
	e := newEnvs("postgres")
	src := e.source("orders", "id", "amount")
	stg := e.model("stg", `select id, amount from db.raw.orders`, "", []string{src})
	e.base.catalog[stg] = []string{"id", "amount"}
	e.cur.catalog[stg] = []string{"id", "amount"}
	m := e.model("m", `select s.id, s.amount from "db"."{{s}}"."stg" s where s.amount > 0`,
		`select s.id, s.amount, 1 as one from "db"."{{s}}"."stg" s where s.amount > 0`, []string{stg})
	ch := e.diff(t, m).Changes[m]
	if ch.Category != cl.CategoryAdditive || !reflect.DeepEqual(ch.Columns, []string{"one"}) {
		t.Fatalf("got %+v", ch)
	}
}

func TestParseCategoryReadsTheReferenceNames(t *testing.T) {
	for in, want := range map[string]cl.Category{
		"non_breaking": cl.CategoryAdditive, "partial_breaking": cl.CategoryColumn, "breaking": cl.CategoryModelWide,
		"additive": cl.CategoryAdditive, "column": cl.CategoryColumn, "model_wide": cl.CategoryModelWide,
		"unknown": cl.CategoryUnknown, " Breaking ": cl.CategoryModelWide,
	} {
		if got, err := cl.ParseCategory(in); err != nil || got != want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := cl.ParseCategory("major"); err == nil || !strings.Contains(err.Error(), "additive, column, model_wide or unknown") {
		t.Errorf("ParseCategory(major) error = %v", err)
	}
}
