package demo

import (
	"fmt"
	"slices"
)

// The demo project is described once, in Go values (this file's types), and
// everything else is derived from that description: the files a dbt user
// would edit (models/*.sql, models/schema.yml), the compiled SQL that builds
// the DuckDB database, and the manifest.json and catalog.json dbt would
// write. Keeping one description is what makes the artifacts and the
// database agree with each other.

const (
	projectName = "recce_demo" // dbt project and profile name
	dbCatalog   = "demo"       // DuckDB names the catalog after the file: demo.duckdb
	dbFile      = "demo.duckdb"
	rawSchema   = "raw" // where the generated source tables live, shared by both environments
)

// env is one of the two environments a review compares.
type env struct {
	name      string // "base" or "current"
	schema    string // where its models are built: prod or dev
	targetDir string // where its artifacts go: target-base or target
}

var (
	baseEnv    = env{name: "base", schema: "prod", targetDir: "target-base"}
	currentEnv = env{name: "current", schema: "dev", targetDir: "target"}
)

// column is a column of a model, seed or source as declared in schema.yml.
// typ is the type DuckDB reports for it once built (the catalog's spelling),
// which is also what the artifacts-only mode writes into the catalogs.
type column struct {
	name        string
	typ         string
	description string
}

// Where a model's materialization is configured matters for the manifest:
// dbt records it in unrendered_config, and the lineage diff must see a
// materialization change in config alone, not in the SQL checksum.
const (
	configFromProject = iota // dbt_project.yml, per folder
	configFromSQL            // a {{ config(...) }} block at the top of the model
	configFromYAML           // config: in models/schema.yml
)

// model is one dbt model.
type model struct {
	name         string
	dir          string // folder under models/, e.g. "staging" or "intermediate/billing"
	materialized string // view, table, incremental or ephemeral
	configFrom   int
	uniqueKey    string // incremental models only
	description  string
	columns      []column
	raw          string // raw_code: SQL with {{ ref() }}, {{ source() }} and macro calls
	key          string // primary key column: gets unique and not_null tests ("" for none)
	tags         []string
	// documented is how many of the columns (the first ones) schema.yml
	// describes, and so the manifest lists; 0 means all. Real projects
	// document some columns only; the catalog has them all.
	documented int
}

func (m *model) path() string { return m.dir + "/" + m.name + ".sql" }

func (m *model) documentedColumns() []column {
	if m.documented > 0 && m.documented < len(m.columns) {
		return m.columns[:m.documented]
	}
	return m.columns
}

// source is a table of the raw schema, declared as a dbt source.
type source struct {
	sourceName  string // the source: block, e.g. "shop"
	name        string
	description string
	loader      string
	columns     []column
}

// seed is a CSV file under seeds/, loaded as a table.
type seed struct {
	name        string
	description string
	columns     []column
	rows        [][]string
	key         string
}

// exposure is a dashboard or application that uses models.
type exposure struct {
	name, label, typ, url, maturity string
	ownerName, ownerEmail           string
	description                     string
	dependsOn                       []string // model names
}

// project is one environment's version of the dbt project.
type project struct {
	env       env
	sources   []*source
	seeds     []*seed
	models    []*model
	exposures []*exposure

	byName map[string]*model
}

func (p *project) index() {
	p.byName = make(map[string]*model, len(p.models))
	for _, m := range p.models {
		p.byName[m.name] = m
	}
}

func (p *project) seedByName(name string) *seed {
	for _, s := range p.seeds {
		if s.name == name {
			return s
		}
	}
	return nil
}

// buildOrder returns the models in dependency order (parents first), the
// order in which dbt runs them. It fails on an unknown ref or a cycle: both
// are bugs in the generator, never user errors.
func (p *project) buildOrder() ([]*model, error) {
	state := make(map[string]int, len(p.models)) // 0 unseen, 1 visiting, 2 done
	out := make([]*model, 0, len(p.models))
	var visit func(m *model) error
	visit = func(m *model) error {
		switch state[m.name] {
		case 1:
			return fmt.Errorf("dependency cycle through model %s", m.name)
		case 2:
			return nil
		}
		state[m.name] = 1
		for _, r := range parseRefs(m.raw) {
			if parent, ok := p.byName[r]; ok {
				if err := visit(parent); err != nil {
					return err
				}
			} else if p.seedByName(r) == nil {
				return fmt.Errorf("model %s refers to %q, which is neither a model nor a seed", m.name, r)
			}
		}
		state[m.name] = 2
		out = append(out, m)
		return nil
	}
	for _, m := range p.models {
		if err := visit(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Changes names the deliberate differences between base and current, so that
// tests, benchmarks and the command's output can refer to them.
type Changes struct {
	Added          []string `json:"added"`           // models only in current
	Removed        []string `json:"removed"`         // models only in base
	Modified       []string `json:"modified"`        // SQL changed
	WhitespaceOnly []string `json:"whitespace_only"` // SQL changed in whitespace only
	Materialized   []string `json:"materialized"`    // materialization changed (config only)
	RemovedColumns []string `json:"removed_columns"` // "model.column"
	RetypedColumns []string `json:"retyped_columns"` // "model.column: BASE -> CURRENT"
}

func (c *Changes) sort() {
	for _, l := range []*[]string{&c.Added, &c.Removed, &c.Modified, &c.WhitespaceOnly, &c.Materialized, &c.RemovedColumns, &c.RetypedColumns} {
		slices.Sort(*l)
	}
}
