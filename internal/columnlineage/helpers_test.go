package columnlineage_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
	"gitlab.com/recce-go/recce/internal/columnlineage/duckdbparser"
	"gitlab.com/recce-go/recce/internal/dbt"
)

// parser is shared by the tests: one DuckDB instance, as in the product.
var parser *duckdbparser.Parser

func TestMain(m *testing.M) {
	parser = duckdbparser.New(duckdbparser.Options{})
	code := m.Run()
	parser.Close()
	os.Exit(code)
}

// project builds artifacts by hand: sources and models with their SQL and
// catalog columns.
type project struct {
	adapter string
	schema  string // of the models
	nodes   map[string]*dbt.Node
	catalog map[string][]string
}

func newProject(adapter string) *project {
	return &project{adapter: adapter, schema: "analytics", nodes: map[string]*dbt.Node{}, catalog: map[string][]string{}}
}

func jsonString(s string) jsontext.Value {
	b, _ := json.Marshal(s)
	return b
}

// source adds source.p.raw.<name>, relation db.raw.<name>; cols nil means
// no catalog entry.
func (p *project) source(name string, cols ...string) string {
	id := "source.p.raw." + name
	p.nodes[id] = &dbt.Node{UniqueID: id, Name: name, ResourceType: dbt.Source, SourceName: "raw",
		Database: "db", Schema: "raw", Identifier: name, RelationName: `"db"."raw"."` + name + `"`}
	if cols != nil {
		p.catalog[id] = cols
	}
	return id
}

// model adds model.p.<name> in the project's schema; cols nil means no
// catalog entry. Parents are the ids its SQL reads; {{s}} in the SQL
// stands for the schema.
func (p *project) model(name, sql string, parents []string, cols ...string) string {
	id := "model.p." + name
	sql = strings.ReplaceAll(sql, "{{s}}", p.schema)
	p.nodes[id] = &dbt.Node{UniqueID: id, Name: name, ResourceType: dbt.Model, Database: "db", Schema: p.schema,
		RelationName: `"db"."` + p.schema + `"."` + name + `"`, CompiledCode: jsonString(sql), Language: "sql",
		DependsOn: dbt.DependsOn{Nodes: parents}, Config: dbt.Config{Materialized: "view"}}
	if cols != nil {
		p.catalog[id] = cols
	}
	return id
}

func (p *project) artifacts() *dbt.Artifacts {
	m := &dbt.Manifest{Nodes: p.nodes, Metadata: dbt.Metadata{AdapterType: p.adapter}}
	c := &dbt.Catalog{Nodes: map[string]*dbt.CatalogTable{}}
	for id, cols := range p.catalog {
		var b strings.Builder
		b.WriteByte('{')
		for i, name := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `%s:{"name":%s,"type":"TEXT","index":%d}`, jsonString(name), jsonString(name), i+1)
		}
		b.WriteByte('}')
		c.Nodes[id] = &dbt.CatalogTable{UniqueID: id, ColumnsJSON: jsontext.Value(b.String())}
	}
	return &dbt.Artifacts{Manifest: m, Catalog: c}
}

// lineage computes one model's lineage.
func (p *project) lineage(t *testing.T, id string) *cl.Model {
	t.Helper()
	pr := cl.New(parser, nil).Project(p.artifacts())
	ms, err := pr.Lineage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ms[0]
}

// describe renders a model's lineage compactly: "col: transformation <-
// node.col, ...", one line per column, then "model-wide: ...".
func describe(m *cl.Model) string {
	var b strings.Builder
	if m.Unknown {
		fmt.Fprintf(&b, "unknown: %s\n", m.Reason)
	}
	for _, c := range m.Columns {
		fmt.Fprintf(&b, "%s: %s", c.Name, c.Transformation)
		for i, u := range c.Upstream {
			sep := ", "
			if i == 0 {
				sep = " <- "
			}
			fmt.Fprintf(&b, "%s%s.%s", sep, short(u.Node), u.Column)
		}
		b.WriteByte('\n')
	}
	b.WriteString("model-wide:")
	for _, u := range m.ModelWide {
		fmt.Fprintf(&b, " %s.%s", short(u.Node), u.Column)
	}
	return b.String()
}

// short drops the resource type and package of a unique_id.
func short(id string) string {
	parts := strings.Split(id, ".")
	return parts[len(parts)-1]
}

func expectLineage(t *testing.T, m *cl.Model, want string) {
	t.Helper()
	if got := describe(m); got != strings.TrimSpace(want) {
		t.Errorf("lineage of %s:\n%s\nwant:\n%s", m.UniqueID, got, strings.TrimSpace(want))
	}
}
