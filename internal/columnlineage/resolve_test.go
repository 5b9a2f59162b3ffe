package columnlineage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

func TestCTEStarAndRename(t *testing.T) {
	p := newProject("duckdb")
	orders := p.source("orders", "id", "customer_id", "amount", "status")
	m := p.model("stg_orders", `
with source as (select * from "db"."raw"."orders"),
renamed as (
  select id as order_id, customer_id, amount * 100 as amount_cents, 'x' as kind
  from source
  where status <> 'cancelled'
)
select * from renamed`, []string{orders})
	expectLineage(t, p.lineage(t, m), `
order_id: renamed <- orders.id
customer_id: passthrough <- orders.customer_id
amount_cents: derived <- orders.amount
kind: source
model-wide: orders.status`)
}

func TestJoinsAndUnqualifiedColumns(t *testing.T) {
	p := newProject("postgres")
	o := p.source("orders", "order_id", "customer_id", "amount")
	c := p.source("customers", "id", "name", "region")
	// name and amount are unqualified: each belongs to one relation only.
	m := p.model("report", `
select o.order_id, name, amount, c.region as customer_region
from raw.orders o
left join raw.customers c on o.customer_id = c.id
where region is not null`, []string{o, c})
	expectLineage(t, p.lineage(t, m), `
order_id: passthrough <- orders.order_id
name: passthrough <- customers.name
amount: passthrough <- orders.amount
customer_region: renamed <- customers.region
model-wide: customers.id customers.region orders.customer_id`)
}

func TestJoinUsingAndStar(t *testing.T) {
	p := newProject("duckdb")
	a := p.source("a", "id", "x")
	b := p.source("b", "id", "y")
	// USING makes one id column; * does not repeat it.
	m := p.model("ab", `select * from db.raw.a join db.raw.b using (id)`, []string{a, b})
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- a.id
x: passthrough <- a.x
y: passthrough <- b.y
model-wide: a.id b.id`)
}

func TestUnion(t *testing.T) {
	p := newProject("duckdb")
	a := p.source("a", "id", "amount")
	b := p.source("b", "id", "total")
	m := p.model("u", `
select id, amount from db.raw.a
union all
select id, total * 2 from db.raw.b`, []string{a, b})
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- a.id, b.id
amount: derived <- a.amount, b.total
model-wide:`)

	// UNION (distinct) compares whole rows: every column decides the rows.
	d := p.model("d", `select id from db.raw.a union select id from db.raw.b`, []string{a, b})
	expectLineage(t, p.lineage(t, d), `
id: passthrough <- a.id, b.id
model-wide: a.id b.id`)
}

func TestWindowAndQualify(t *testing.T) {
	p := newProject("snowflake")
	e := p.source("events", "ID", "USER_ID", "TS", "KIND")
	m := p.model("latest", `
select id, user_id, kind,
       row_number() over (partition by user_id order by ts desc) as rn
from db.raw.events
qualify rn = 1`, []string{e}, "ID", "USER_ID", "KIND", "RN")
	// Catalog spelling (Snowflake upper case) wins; QUALIFY's window
	// columns are model-wide.
	expectLineage(t, p.lineage(t, m), `
ID: passthrough <- events.ID
USER_ID: passthrough <- events.USER_ID
KIND: passthrough <- events.KIND
RN: derived <- events.TS, events.USER_ID
model-wide: events.TS events.USER_ID`)
}

func TestGroupByHavingDistinct(t *testing.T) {
	p := newProject("duckdb")
	o := p.source("orders", "customer_id", "amount", "status")
	m := p.model("totals", `
select customer_id, sum(amount) as total, count(*) as n
from db.raw.orders
group by 1
having sum(amount) > 0`, []string{o})
	expectLineage(t, p.lineage(t, m), `
customer_id: passthrough <- orders.customer_id
total: derived <- orders.amount
n: source
model-wide: orders.amount orders.customer_id`)

	d := p.model("statuses", `select distinct status from db.raw.orders`, []string{o})
	expectLineage(t, p.lineage(t, d), `
status: passthrough <- orders.status
model-wide: orders.status`)
}

func TestSubqueries(t *testing.T) {
	p := newProject("postgres")
	c := p.source("customers", "id", "name")
	o := p.source("orders", "id", "customer_id", "amount")
	m := p.model("c", `
select id,
       (select max(amount) from raw.orders o where o.customer_id = c.id) as biggest
from raw.customers c
where exists (select 1 from raw.orders o2 where o2.customer_id = c.id)`, []string{c, o})
	// The scalar subquery's filter feeds the column; EXISTS in WHERE is
	// model-wide, correlated column included.
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- customers.id
biggest: derived <- customers.id, orders.amount, orders.customer_id
model-wide: customers.id orders.customer_id`)
}

func TestStarExcludeReplaceAndLateral(t *testing.T) {
	p := newProject("duckdb")
	t1 := p.source("t", "id", "a", "b", "tags")
	m := p.model("m", `
select * exclude (a) replace (b + 1 as b), tag
from db.raw.t, unnest(tags) as u(tag)`, []string{t1})
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- t.id
b: derived <- t.b
tags: passthrough <- t.tags
tag: derived <- t.tags
model-wide: t.tags`)
}

func TestRecursiveCTEAndValues(t *testing.T) {
	p := newProject("duckdb")
	m := p.model("numbers", `
with recursive r(n) as (select 1 union all select n + 1 from r where n < 10)
select n, v.label from r join (values (1, 'one'), (2, 'two')) v(k, label) on v.k = r.n`, nil)
	expectLineage(t, p.lineage(t, m), `
n: source
label: source
model-wide:`)
}

func TestUnknownRelationsAndOpenStars(t *testing.T) {
	p := newProject("duckdb")
	// The parent has no catalog entry and no lineage to tell its columns:
	// the model's own catalog says what SELECT * yields.
	up := p.source("raw_events")
	m := p.model("events", `select *, current_date as loaded_on from db.raw.raw_events`, []string{up}, "id", "payload", "loaded_on")
	expectLineage(t, p.lineage(t, m), `
loaded_on: source
id: passthrough <- raw_events.id
payload: passthrough <- raw_events.payload
model-wide:`)

	// A relation outside the graph is where columns start.
	ext := p.model("ext", `select a, b as c from some_schema.not_in_dbt`, nil)
	expectLineage(t, p.lineage(t, ext), `
a: source
c: source
model-wide:`)
}

func TestUpstreamLineageWhereTheCatalogLacksAModel(t *testing.T) {
	p := newProject("duckdb")
	src := p.source("src", "id", "amount")
	stg := p.model("stg", `select id, amount / 100 as dollars from db.raw.src`, []string{src}) // no catalog
	mart := p.model("mart", `select * from db.analytics.stg`, []string{stg})
	expectLineage(t, p.lineage(t, mart), `
id: passthrough <- stg.id
dollars: passthrough <- stg.dollars
model-wide:`)
}

func TestEphemeralModelsAreNodes(t *testing.T) {
	p := newProject("postgres")
	src := p.source("src", "id", "amount")
	eph := p.model("eph", `select id, amount * 2 as double_amount from "db"."raw"."src"`, []string{src})
	p.nodes[eph].Config.Materialized = "ephemeral"
	m := p.model("m", `with __dbt__cte__eph as (
select id, amount * 2 as double_amount from "db"."raw"."src"
) select id, double_amount from __dbt__cte__eph`, []string{eph}, "id", "double_amount")
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- eph.id
double_amount: passthrough <- eph.double_amount
model-wide:`)
}

func TestSnowflakeSemiStructuredAccess(t *testing.T) {
	p := newProject("snowflake")
	raw := p.source("blocks", "BLOCK_ID", "HEADER", "_INGESTED_AT")
	m := p.model("blocks", `
SELECT block_id AS block_height,
       COALESCE(header :block_id, header :block_header :block_id) :: STRING AS id,
       header:parent.id::string as parent_id,
       header :txs :: ARRAY AS txs
FROM db.raw.blocks
WHERE _ingested_at :: DATE >= CURRENT_DATE - 2`, []string{raw}, "BLOCK_HEIGHT", "ID", "PARENT_ID", "TXS")
	expectLineage(t, p.lineage(t, m), `
BLOCK_HEIGHT: renamed <- blocks.BLOCK_ID
ID: derived <- blocks.HEADER
PARENT_ID: derived <- blocks.HEADER
TXS: derived <- blocks.HEADER
model-wide: blocks._INGESTED_AT`)
}

func TestBigQueryQuoting(t *testing.T) {
	p := newProject("bigquery")
	raw := p.source("orders", "id", "status")
	p.nodes[raw].RelationName = "`db`.`raw`.`orders`"
	m := p.model("orders", "select id, safe_cast(id as string) as id_text, * except (id) "+
		"from `db.raw.orders` where status != \"cancelled\" and regexp_contains(status, r'^[a-z]+$')", []string{raw})
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- orders.id
id_text: derived <- orders.id
status: passthrough <- orders.status
model-wide: orders.status`)
}

func TestWithinGroup(t *testing.T) {
	p := newProject("snowflake")
	raw := p.source("t", "K", "V", "POS")
	m := p.model("agg", `select k, listagg(v, ',') within group (order by pos) as vs from db.raw.t group by k`, []string{raw}, "K", "VS")
	expectLineage(t, p.lineage(t, m), `
K: passthrough <- t.K
VS: derived <- t.POS, t.V
model-wide: t.K`)
}

func TestUnparsableSQLIsUnknown(t *testing.T) {
	p := newProject("duckdb")
	m := p.model("bad", `select from where`, nil, "a", "b")
	got := p.lineage(t, m)
	if !got.Unknown || !strings.Contains(got.Reason, "did not parse") {
		t.Fatalf("want unknown with a reason, got %+v", got)
	}
	expectLineage(t, got, `
unknown: `+got.Reason+`
a: unknown
b: unknown
model-wide:`)
}

func TestDeeplyNestedSQLIsUnknown(t *testing.T) {
	p := newProject("duckdb")
	sql := strings.Repeat("select * from (", 450) + "select 1 as a" + strings.Repeat(") x", 450)
	m := p.model("deep", sql, nil, "a")
	got := p.lineage(t, m)
	if !got.Unknown || !strings.Contains(got.Reason, "nests too deeply") {
		t.Fatalf("450 nested subqueries: %+v", got)
	}
}

func TestDownstream(t *testing.T) {
	p := newProject("duckdb")
	src := p.source("src", "id", "amount", "status")
	a := p.model("a", `select id, amount, status from db.raw.src`, []string{src}, "id", "amount", "status")
	p.model("b", `select id, amount * 2 as doubled from db.analytics.a where status = 'ok'`, []string{a}, "id", "doubled")
	p.model("c", `select sum(amount) as total from db.analytics.a`, []string{a}, "total")
	pr := cl.New(parser, nil).Project(p.artifacts())
	down, err := pr.Downstream(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%v %v | %v %v | %v %v", down["id"].Columns, down["id"].ModelWide,
		down["amount"].Columns, down["amount"].ModelWide, down["status"].Columns, down["status"].ModelWide)
	want := "[{model.p.b id}] [] | [{model.p.b doubled} {model.p.c total}] [] | [] [model.p.b]"
	if got != want {
		t.Errorf("downstream of a:\n%s\nwant:\n%s", got, want)
	}
}

func TestStarRenameColumnsAndQualifiedExclude(t *testing.T) {
	p := newProject("duckdb")
	src := p.source("t", "id", "x_a", "x_b", "y")
	m := p.model("m", `
with r as (select * rename (y as why) from db.raw.t),
c as (select id, columns('x_.*') from db.raw.t)
select r.* exclude (r.x_a), c.x_b as cb from r join c using (id)`, []string{src})
	expectLineage(t, p.lineage(t, m), `
id: passthrough <- t.id
x_b: passthrough <- t.x_b
why: renamed <- t.y
cb: renamed <- t.x_b
model-wide: t.id`)
}
