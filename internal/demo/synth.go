package demo

import (
	"fmt"
	"slices"
	"strings"
)

// The synthetic part of the graph, added around the shop when Options.Models
// asks for more models than the shop has: what a large company's dbt project
// looks like to the lineage diff. Sources feed staging views, staging feeds
// several layers of intermediate views (each model with 1 to 3 parents), and
// those feed marts (a fifth of them tables, the rest views). Every synthetic
// model has the same ten columns, so that any model can join any other on id
// and the SQL really builds; names, descriptions and SQL vary enough to look
// like a real project's.
//
// About 1% of the synthetic models change in current (half in code, half in
// whitespace only) and a few marts are added and removed.

// rng is splitmix64: tiny, fast, and fixed forever, so that the same options
// give the same project on every machine and Go version.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

var (
	domains  = []string{"billing", "crm", "marketing", "inventory", "support", "web", "finance", "logistics", "product", "risk", "sales", "people"}
	entities = []string{"accounts", "invoices", "sessions", "tickets", "shipments", "subscriptions", "refunds", "campaigns", "leads", "contracts", "events", "stock_moves", "warehouses", "carriers", "plans", "quotes", "renewals", "disputes", "visits", "signups", "transfers", "ledger_entries", "budgets", "forecasts"}
	verbs    = []string{"enriched", "joined", "deduplicated", "aggregated", "pivoted", "filtered", "scored", "reconciled", "unioned", "windowed"}
	teams    = []string{"the data platform team", "analytics engineering", "the finance analysts", "growth analytics", "the operations data team", "revenue operations"}
	cadences = []string{"hourly", "every morning at 06:00 UTC", "every 15 minutes", "nightly", "twice a day"}
)

// synthColumns are the columns of every synthetic staging, intermediate and
// mart model, as DuckDB types them.
func synthColumns(r *rng, domain, entity string) []column {
	grain := strings.TrimSuffix(entity, "s")
	return []column{
		{"id", tBigint, fmt.Sprintf("Surrogate key of the %s %s record; unique and never null.", domain, grain)},
		{"account_id", tBigint, fmt.Sprintf("The customer account the %s belongs to (crm accounts).", grain)},
		{"event_date", tDate, fmt.Sprintf("Business date (UTC) of the %s; %s.", grain, pick(r, []string{"used to partition downstream marts", "the grain of daily reporting", "late records are re-dated by the loader"}))},
		{"category", tVarchar, fmt.Sprintf("Lower-cased category of the %s in the %s application.", grain, domain)},
		{"quantity", tInteger, fmt.Sprintf("Units, summed over the joined records; %s.", pick(r, []string{"never negative", "zero for cancelled records", "capped at 10,000 by the source system"}))},
		{"amount", tDecimal, fmt.Sprintf("Amount in dollars, summed over the joined records; %s.", pick(r, []string{"excludes taxes", "includes shipping", "before refunds", "net of discounts"}))},
		{"score", tDouble, fmt.Sprintf("Score between 0 and 1, averaged; computed by %s.", pick(r, teams))},
		{"is_active", tBoolean, fmt.Sprintf("Whether the %s is still active (not closed, deleted or merged).", grain)},
		{"updated_at", tTimestamp, fmt.Sprintf("Latest change (UTC) of the joined records; loads run %s.", pick(r, cadences))},
		{"note", tVarchar, fmt.Sprintf("Free-text note from the %s application; may contain PII.", domain)},
	}
}

// synthSourceColumns are the columns of a synthetic raw table.
func synthSourceColumns() []column {
	return []column{
		{"id", tBigint, "Primary key."},
		{"account_id", tBigint, "Owning account."},
		{"event_ts", tTimestamp, "When the event happened (UTC)."},
		{"category", tVarchar, "Category as entered in the application."},
		{"quantity", tInteger, "Units."},
		{"amount_cents", tBigint, "Amount in cents."},
		{"score", tDouble, "Score between 0 and 1."},
		{"is_active", tBoolean, "False once closed or deleted."},
		{"updated_at", tTimestamp, "Last change in the source (UTC)."},
		{"note", tVarchar, "Free-text note."},
	}
}

// synthRows is the size of every synthetic raw table: they only need to
// exist so that the synthetic models build; the shop carries the big data.
const synthRows = 1000

type synthModel struct {
	m       *model
	layer   int // 0 staging, 1..n intermediate, n+1 marts
	parents []string
	change  int // changeNone, changeCode, changeWhitespace, changeAdded, changeRemoved
}

const (
	changeNone = iota
	changeCode
	changeWhitespace
	changeAdded
	changeRemoved
)

// synthGraph holds the synthetic sources and models for both environments.
type synthGraph struct {
	sources []*source
	models  []*synthModel
}

// newSynthGraph lays out n synthetic models (n counted in base).
func newSynthGraph(n int) *synthGraph {
	g := &synthGraph{}
	if n <= 0 {
		return g
	}
	r := rng(20240601)
	staging := max(1, n*12/100)
	marts := max(1, n*15/100)
	if staging+marts > n {
		staging, marts = max(1, n/2), n-max(1, n/2)
	}
	inter := n - staging - marts
	layers := 1
	switch {
	case inter >= 400:
		layers = 4
	case inter >= 40:
		layers = 2
	}

	// One raw table per 8 staging models, grouped in one dbt source per domain.
	nsrc := max(1, staging/8)
	for i := range nsrc {
		d, e := domains[i%len(domains)], entities[(i/len(domains)+i)%len(entities)]
		g.sources = append(g.sources, &source{
			sourceName:  d,
			name:        fmt.Sprintf("%s_%04d", e, i),
			loader:      pick(&r, []string{"fivetran", "airbyte", "stitch", "custom_python"}),
			description: fmt.Sprintf("Raw %s of the %s application, replicated %s.", strings.ReplaceAll(e, "_", " "), d, pick(&r, cadences)),
			columns:     synthSourceColumns(),
		})
	}

	var byLayer [][]*synthModel
	add := func(layer int, sm *synthModel) {
		for len(byLayer) <= layer {
			byLayer = append(byLayer, nil)
		}
		byLayer[layer] = append(byLayer[layer], sm)
		g.models = append(g.models, sm)
	}
	idx := 0
	newModel := func(prefix, dir string) (*model, string, string) {
		d, e := pick(&r, domains), pick(&r, entities)
		name := fmt.Sprintf("%s_%s__%s_%04d", prefix, d, e, idx)
		idx++
		return &model{name: name, dir: dir + "/" + d, key: "id", materialized: "view"}, d, e
	}

	for i := range staging {
		m, d, e := newModel("stg", "staging")
		src := g.sources[i%nsrc]
		m.materialized = "view"
		m.description = fmt.Sprintf("Staged %s from the %s source: renamed, typed and with amounts in dollars. One row per %s. Owned by %s; refreshed %s.",
			strings.ReplaceAll(e, "_", " "), src.sourceName, strings.TrimSuffix(e, "s"), pick(&r, teams), pick(&r, cadences))
		m.columns = synthColumns(&r, d, e)
		m.raw = synthStagingSQL(src)
		add(0, &synthModel{m: m, layer: 0})
	}
	perLayer := (inter + layers - 1) / max(1, layers)
	for i := range inter {
		layer := 1 + i/max(1, perLayer)
		m, d, e := newModel("int", "intermediate")
		parents := pickParents(&r, byLayer, layer)
		m.description = synthDescription(&r, d, e, parents)
		m.columns = synthColumns(&r, d, e)
		add(layer, &synthModel{m: m, layer: layer, parents: parents})
	}
	martLayer := len(byLayer)
	for range marts {
		prefix := pick(&r, []string{"fct", "dim", "rpt"})
		m, d, e := newModel(prefix, "marts")
		m.materialized = "table"
		// Most synthetic marts override the folder's table default with a
		// view in schema.yml: a table costs DuckDB a few hundred KB even for
		// 1,000 rows, and 10,000-model builds must stay cheap.
		if r.intn(5) != 0 {
			m.materialized, m.configFrom = "view", configFromYAML
		}
		parents := pickParents(&r, byLayer[:martLayer], martLayer)
		m.description = synthDescription(&r, d, e, parents)
		m.columns = synthColumns(&r, d, e)
		add(martLayer, &synthModel{m: m, layer: martLayer, parents: parents})
	}
	for _, sm := range g.models {
		if sm.layer > 0 {
			sm.m.raw = synthJoinSQL(&r, sm.parents)
			// Like in real projects, downstream models are documented and
			// tested less thoroughly than staging ones.
			sm.m.documented = 4 + r.intn(7)
			if r.intn(20) >= 7 {
				sm.m.key = ""
			}
		}
	}

	// Deliberate changes: ~1% of intermediate and mart models modified, half
	// of them in whitespace only; a few marts removed, a few added.
	for i, sm := range g.models {
		switch {
		case sm.layer == 0:
		case i%200 == 37:
			sm.change = changeCode
		case i%200 == 137:
			sm.change = changeWhitespace
		}
	}
	few := max(1, n/2000)
	mart := byLayer[martLayer]
	for i := 0; i < few && i < len(mart)-1; i++ {
		mart[len(mart)-1-i].change = changeRemoved
	}
	for range few {
		m, d, e := newModel("fct", "marts")
		m.materialized = "table"
		parents := pickParents(&r, byLayer[:martLayer], martLayer)
		m.description = "New in this merge request: " + synthDescription(&r, d, e, parents)
		m.columns = synthColumns(&r, d, e)
		m.raw = synthJoinSQL(&r, parents)
		g.models = append(g.models, &synthModel{m: m, layer: martLayer, parents: parents, change: changeAdded})
	}
	return g
}

// pickParents chooses 1 to 3 parents for a model of the given layer: the
// first from the layer just below (so the graph is layered), the others
// from the staging layer (so it is not a mere tree). Drawing the others
// from any layer would look the same to the lineage diff but makes DuckDB
// expand exponentially many nested views when it binds a deep model.
func pickParents(r *rng, byLayer [][]*synthModel, layer int) []string {
	k := 1 + r.intn(3)
	ps := []string{pick(r, byLayer[layer-1]).m.name}
	for len(ps) < k {
		name := pick(r, byLayer[0]).m.name
		if slices.Contains(ps, name) {
			break
		}
		ps = append(ps, name)
	}
	return ps
}

func synthDescription(r *rng, domain, entity string, parents []string) string {
	return fmt.Sprintf("%s %s of the %s domain, %s from %d upstream model(s) on the record id. One row per %s; inactive records are kept and flagged. Owned by %s; refreshed %s. See the %s runbook before changing the grain.",
		strings.ToUpper(entity[:1])+strings.ReplaceAll(entity[1:], "_", " "), pick(r, verbs), domain, pick(r, verbs), len(parents),
		strings.TrimSuffix(entity, "s"), pick(r, teams), pick(r, cadences), domain)
}

func synthStagingSQL(src *source) string {
	return fmt.Sprintf(`with source as (

    select * from {{ source('%s', '%s') }}

),

renamed as (

    select
        id,
        account_id,
        cast(event_ts as date) as event_date,
        lower(category) as category,
        quantity,
        {{ cents_to_dollars('amount_cents') }} as amount,
        score,
        is_active,
        updated_at,
        note

    from source

)

select * from renamed
`, src.sourceName, src.name)
}

// synthJoinSQL joins a model's parents on id, the way intermediate models
// of real projects combine their inputs.
func synthJoinSQL(r *rng, parents []string) string {
	var b strings.Builder
	b.WriteString("with")
	for i, p := range parents {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n\n%s as (\n\n    select * from {{ ref('%s') }}\n\n)", p, p)
	}
	a := parents[0]
	coalesce := func(col, dflt string) string {
		s := a + "." + col
		for _, p := range parents[1:] {
			s += ", " + p + "." + col
		}
		if dflt != "" {
			s += ", " + dflt
		}
		if len(parents) == 1 && dflt == "" {
			return s
		}
		return "coalesce(" + s + ")"
	}
	sum := func(col string) string {
		s := a + "." + col
		for _, p := range parents[1:] {
			s += " + coalesce(" + p + "." + col + ", 0)"
		}
		return s
	}
	avg := a + ".score"
	for _, p := range parents[1:] {
		avg += " + coalesce(" + p + ".score, " + a + ".score)"
	}
	fmt.Fprintf(&b, `,

joined as (

    select
        %s.id,
        %s.account_id,
        %s as event_date,
        %s as category,
        %s as quantity,
        cast(%s as decimal(18, 2)) as amount,
        round((%s) / %d, 4) as score,
        %s.is_active,
        %s as updated_at,
        %s.note

    from %s
`, a, a, coalesce("event_date", ""), coalesce("category", "'unknown'"), sum("quantity"), sum("amount"), avg, len(parents), a, coalesce("updated_at", ""), a, a)
	for _, p := range parents[1:] {
		fmt.Fprintf(&b, "\n    left join %s\n        on %s.id = %s.id\n", p, a, p)
	}
	if r.intn(3) == 0 {
		b.WriteString("\n    where " + a + ".event_date >= date '2020-01-01'\n")
	}
	b.WriteString("\n)\n\nselect * from joined\n")
	return b.String()
}

// synthModels returns the synthetic models as they are in environment e.
func (g *synthGraph) modelsFor(e env) []*model {
	out := make([]*model, 0, len(g.models))
	for _, sm := range g.models {
		switch {
		case sm.change == changeAdded && e == baseEnv, sm.change == changeRemoved && e == currentEnv:
			continue
		case e == currentEnv && sm.change == changeCode:
			m := *sm.m
			m.raw = strings.Replace(m.raw, ", 4) as score,", ", 2) as score,  -- two decimals are enough for the dashboards", 1)
			out = append(out, &m)
		case e == currentEnv && sm.change == changeWhitespace:
			m := *sm.m
			m.raw = strings.ReplaceAll(m.raw, "\n\n", "\n  \n") + "\n"
			out = append(out, &m)
		default:
			out = append(out, sm.m)
		}
	}
	return out
}

func (g *synthGraph) changes() Changes {
	var c Changes
	for _, sm := range g.models {
		switch sm.change {
		case changeCode:
			c.Modified = append(c.Modified, sm.m.name)
		case changeWhitespace:
			c.WhitespaceOnly = append(c.WhitespaceOnly, sm.m.name)
		case changeAdded:
			c.Added = append(c.Added, sm.m.name)
		case changeRemoved:
			c.Removed = append(c.Removed, sm.m.name)
		}
	}
	return c
}
