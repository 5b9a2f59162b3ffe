package demo

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The files of the project as a dbt user sees them on the merge request's
// branch (the current environment): dbt_project.yml, profiles.yml,
// recce.yml, models, macros and seeds.

const dbtProjectYML = `# The recce demo project, written by ` + "`recce demo`" + `. A dbt project of a small
# online shop; see models/overview.md.
name: recce_demo
version: "1.0.0"
config-version: 2
profile: recce_demo

model-paths: ["models"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
target-path: target
clean-targets: ["target", "dbt_packages"]

models:
  recce_demo:
    staging:
      +materialized: view
    intermediate:
      +materialized: view
    marts:
      +materialized: table
`

// profilesYML points both environments at the same DuckDB file; the path is
// relative to the project folder (run commands from there).
const profilesYML = `recce_demo:
  target: dev
  outputs:
    dev:       # current: the merge request's branch
      type: duckdb
      path: demo.duckdb
      schema: dev
      threads: 4
    prod:      # base: the target branch
      type: duckdb
      path: demo.duckdb
      schema: prod
      threads: 4
`

// recceYML holds the preset checks, in the reference's format.
const recceYML = `# Preset checks: ` + "`recce run`" + ` runs them all and the summary reports them.
checks:
  - name: Row count diff
    description: Row counts of the modified table models.
    type: row_count_diff
    params:
      select: state:modified,config.materialized:table
  - name: Schema diff
    description: Columns added, removed or retyped in the modified models and downstream.
    type: schema_diff
    params:
      select: state:modified+
  - name: Value diff of orders
    description: Orders whose values changed, were added or were removed.
    type: value_diff
    params:
      model: orders
      primary_key: order_id
  - name: Profile diff of customers
    description: Nulls, distinct values, min, max and average of every column of customers.
    type: profile_diff
    params:
      model: customers
  - name: Revenue by order status
    description: Order count and revenue per status, base against current.
    type: query_diff
    params:
      sql_template: select status, count(*) as order_count, sum(amount) as revenue from {{ ref("orders") }} group by status
      primary_keys:
        - status
`

// The shapes of models/schema.yml and seeds/properties.yml, in dbt's key
// order (yaml.v3 writes struct fields in declaration order).
type ymlColumn struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	DataType    string   `yaml:"data_type"`
	DataTests   []string `yaml:"data_tests,omitempty"`
}

type ymlModel struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Config      map[string]string `yaml:"config,omitempty"`
	Columns     []ymlColumn       `yaml:"columns"`
}

type ymlTable struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Columns     []ymlColumn `yaml:"columns"`
}

type ymlSource struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description"`
	Schema      string     `yaml:"schema"`
	Loader      string     `yaml:"loader"`
	Tables      []ymlTable `yaml:"tables"`
}

type ymlExposure struct {
	Name        string            `yaml:"name"`
	Label       string            `yaml:"label"`
	Type        string            `yaml:"type"`
	Maturity    string            `yaml:"maturity"`
	URL         string            `yaml:"url"`
	Description string            `yaml:"description"`
	DependsOn   []string          `yaml:"depends_on"`
	Owner       map[string]string `yaml:"owner"`
}

type ymlSchema struct {
	Version   int           `yaml:"version"`
	Sources   []ymlSource   `yaml:"sources,omitempty"`
	Models    []ymlModel    `yaml:"models,omitempty"`
	Seeds     []ymlModel    `yaml:"seeds,omitempty"`
	Exposures []ymlExposure `yaml:"exposures,omitempty"`
}

func ymlColumns(cols []column, key string) []ymlColumn {
	out := make([]ymlColumn, len(cols))
	for i, c := range cols {
		out[i] = ymlColumn{Name: c.name, Description: c.description, DataType: strings.ToLower(c.typ)}
		if c.name == key {
			out[i].DataTests = []string{"unique", "not_null"}
		}
	}
	return out
}

func schemaYML(p *project) ([]byte, error) {
	s := ymlSchema{Version: 2}
	bySource := map[string]int{}
	for _, src := range p.sources {
		i, ok := bySource[src.sourceName]
		if !ok {
			i = len(s.Sources)
			bySource[src.sourceName] = i
			s.Sources = append(s.Sources, ymlSource{Name: src.sourceName, Schema: rawSchema, Loader: src.loader,
				Description: "Tables replicated from the " + src.sourceName + " application database."})
		}
		s.Sources[i].Tables = append(s.Sources[i].Tables, ymlTable{Name: src.name, Description: src.description, Columns: ymlColumns(src.columns, "")})
	}
	for _, m := range p.models {
		ym := ymlModel{Name: m.name, Description: m.description, Columns: ymlColumns(m.documentedColumns(), m.key)}
		if m.configFrom == configFromYAML {
			ym.Config = map[string]string{"materialized": m.materialized}
		}
		if m.materialized == "ephemeral" {
			// Ephemeral models are not relations: nothing to test.
			for i := range ym.Columns {
				ym.Columns[i].DataTests = nil
			}
		}
		s.Models = append(s.Models, ym)
	}
	for _, x := range p.exposures {
		deps := make([]string, len(x.dependsOn))
		for i, d := range x.dependsOn {
			deps[i] = "ref('" + d + "')"
		}
		s.Exposures = append(s.Exposures, ymlExposure{Name: x.name, Label: x.label, Type: x.typ, Maturity: x.maturity,
			URL: x.url, Description: x.description, DependsOn: deps, Owner: map[string]string{"name": x.ownerName, "email": x.ownerEmail}})
	}
	return marshalYAML(s)
}

func seedsYML(p *project) ([]byte, error) {
	s := ymlSchema{Version: 2}
	for _, sd := range p.seeds {
		s.Seeds = append(s.Seeds, ymlModel{Name: sd.name, Description: sd.description, Columns: ymlColumns(sd.columns, sd.key)})
	}
	return marshalYAML(s)
}

func marshalYAML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// writer writes files under a root folder and counts what it wrote.
type writer struct {
	root  string
	bytes int64
	files int
}

func (w *writer) path(rel string) string { return filepath.Join(w.root, filepath.FromSlash(rel)) }

func (w *writer) file(rel string, data []byte) error {
	return w.stream(rel, func(out io.Writer) error { _, err := out.Write(data); return err })
}

// stream writes a file through fn, for the large artifacts that are never
// held in memory whole.
func (w *writer) stream(rel string, fn func(io.Writer) error) error {
	p := w.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	cw := &countingWriter{w: f}
	if err := fn(cw); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	w.bytes += cw.n
	w.files++
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeProjectFiles writes the dbt project of p (the current environment).
func writeProjectFiles(w *writer, p *project) error {
	files := []struct {
		rel  string
		data string
	}{
		{"dbt_project.yml", dbtProjectYML},
		{"profiles.yml", profilesYML},
		{"recce.yml", recceYML},
		{"models/overview.md", "{% docs __overview__ %}\n" + overview + "\n{% enddocs %}\n"},
		{"macros/cents_to_dollars.sql", centsMacroSQL + "\n"},
	}
	for _, f := range files {
		if err := w.file(f.rel, []byte(f.data)); err != nil {
			return err
		}
	}
	for _, m := range p.models {
		if err := w.file("models/"+m.path(), []byte(m.raw)); err != nil {
			return err
		}
	}
	for _, s := range p.seeds {
		if err := w.file("seeds/"+s.name+".csv", []byte(seedCSV(s))); err != nil {
			return err
		}
	}
	y, err := schemaYML(p)
	if err != nil {
		return fmt.Errorf("models/schema.yml: %w", err)
	}
	if err := w.file("models/schema.yml", y); err != nil {
		return err
	}
	y, err = seedsYML(p)
	if err != nil {
		return fmt.Errorf("seeds/properties.yml: %w", err)
	}
	return w.file("seeds/properties.yml", y)
}
