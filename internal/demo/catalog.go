package demo

import (
	"context"
	"database/sql"
	"fmt"
)

// catalog.json, schema v1, as dbt-duckdb writes it: one entry per built
// relation (models that are not ephemeral, seeds) and per source, with the
// columns and types DuckDB reports. DuckDB keeps no table statistics that
// dbt reads, so every entry says has_stats false, like the real catalog.

type catalogMeta struct {
	DBTSchemaVersion    string            `json:"dbt_schema_version"`
	DBTVersion          string            `json:"dbt_version"`
	GeneratedAt         string            `json:"generated_at"`
	InvocationID        string            `json:"invocation_id"`
	InvocationStartedAt string            `json:"invocation_started_at"`
	Env                 map[string]string `json:"env"`
}

type tableMeta struct {
	Type     string `json:"type"`
	Schema   string `json:"schema"`
	Name     string `json:"name"`
	Database string `json:"database"`
	Comment  any    `json:"comment"`
	Owner    any    `json:"owner"`
}

type catalogColumn struct {
	Type    string `json:"type"`
	Index   int    `json:"index"`
	Name    string `json:"name"`
	Comment any    `json:"comment"`
}

type statsItem struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Value       any    `json:"value"`
	Include     bool   `json:"include"`
	Description string `json:"description"`
}

type catalogTable struct {
	Metadata tableMeta           `json:"metadata"`
	Columns  omap[catalogColumn] `json:"columns"`
	Stats    omap[statsItem]     `json:"stats"`
	UniqueID string              `json:"unique_id"`
}

type catalog struct {
	Metadata catalogMeta        `json:"metadata"`
	Nodes    omap[catalogTable] `json:"nodes"`
	Sources  omap[catalogTable] `json:"sources"`
	Errors   any                `json:"errors"`
}

// relationRef is a relation the catalog describes, with the columns the
// project declares for it.
type relationRef struct {
	uniqueID, schema, name, kind string // kind: "BASE TABLE" or "VIEW"
	columns                      []column
}

// catalogRelations lists, in a stable order, what a catalog of p covers.
func catalogRelations(p *project) (nodes, sources []relationRef, err error) {
	order, err := p.buildOrder()
	if err != nil {
		return nil, nil, err
	}
	for _, m := range order {
		if m.materialized == "ephemeral" {
			continue
		}
		kind := "BASE TABLE"
		if m.materialized == "view" {
			kind = "VIEW"
		}
		nodes = append(nodes, relationRef{modelID(m.name), p.env.schema, m.name, kind, m.columns})
	}
	for _, s := range p.seeds {
		nodes = append(nodes, relationRef{seedID(s.name), p.env.schema, s.name, "BASE TABLE", s.columns})
	}
	for _, s := range p.sources {
		sources = append(sources, relationRef{sourceID(s.sourceName, s.name), rawSchema, s.name, "BASE TABLE", s.columns})
	}
	return nodes, sources, nil
}

func newCatalog(e env) *catalog {
	st := stamps[e.name]
	return &catalog{Metadata: catalogMeta{
		DBTSchemaVersion: catalogSchema, DBTVersion: dbtVersion,
		GeneratedAt:  st.catalogAt,
		InvocationID: st.invocationID, InvocationStartedAt: st.startedAt, Env: map[string]string{},
	}}
}

func catalogEntry(r relationRef, cols omap[catalogColumn]) catalogTable {
	return catalogTable{
		Metadata: tableMeta{Type: r.kind, Schema: r.schema, Name: r.name, Database: dbCatalog},
		Columns:  cols,
		Stats: omap[statsItem]{{"has_stats", statsItem{ID: "has_stats", Label: "Has Stats?", Value: false,
			Description: "Indicates whether there are statistics for this table"}}},
		UniqueID: r.uniqueID,
	}
}

// declaredCatalog is the catalog of p from the types the project declares:
// what --artifacts-only writes, and (tests check it) exactly what DuckDB
// reports once the project is built.
func declaredCatalog(p *project) (*catalog, error) {
	nodes, sources, err := catalogRelations(p)
	if err != nil {
		return nil, err
	}
	c := newCatalog(p.env)
	conv := func(r relationRef) catalogTable {
		cols := make(omap[catalogColumn], 0, len(r.columns))
		for i, col := range r.columns {
			cols.add(col.name, catalogColumn{Type: col.typ, Index: i + 1, Name: col.name})
		}
		return catalogEntry(r, cols)
	}
	for _, r := range nodes {
		c.Nodes.add(r.uniqueID, conv(r))
	}
	for _, r := range sources {
		c.Sources.add(r.uniqueID, conv(r))
	}
	return c, nil
}

// queryCatalog reads p's relations from DuckDB's information_schema, as
// dbt-duckdb's catalog macro does. A relation the project declares but the
// database lacks is an error: the build went wrong.
func queryCatalog(ctx context.Context, db *sql.DB, p *project) (*catalog, error) {
	nodes, sources, err := catalogRelations(p)
	if err != nil {
		return nil, err
	}
	type key struct{ schema, name string }
	kinds := map[key]string{}
	cols := map[key]omap[catalogColumn]{}

	rows, err := db.QueryContext(ctx, `select table_schema, table_name, table_type
		from information_schema.tables where table_catalog = ? and table_schema in (?, ?)`, dbCatalog, p.env.schema, rawSchema)
	if err != nil {
		return nil, fmt.Errorf("read the tables of schema %s: %w", p.env.schema, err)
	}
	for rows.Next() {
		var k key
		var kind string
		if err := rows.Scan(&k.schema, &k.name, &kind); err != nil {
			rows.Close()
			return nil, err
		}
		kinds[k] = kind
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = db.QueryContext(ctx, `select table_schema, table_name, column_name, ordinal_position, data_type
		from information_schema.columns where table_catalog = ? and table_schema in (?, ?)
		order by table_schema, table_name, ordinal_position`, dbCatalog, p.env.schema, rawSchema)
	if err != nil {
		return nil, fmt.Errorf("read the columns of schema %s: %w", p.env.schema, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var c catalogColumn
		if err := rows.Scan(&k.schema, &k.name, &c.Name, &c.Index, &c.Type); err != nil {
			return nil, err
		}
		m := cols[k]
		m.add(c.Name, c)
		cols[k] = m
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	c := newCatalog(p.env)
	conv := func(r relationRef) (catalogTable, error) {
		k := key{r.schema, r.name}
		kind, ok := kinds[k]
		if !ok {
			return catalogTable{}, fmt.Errorf("relation %s was not built", relation(r.schema, r.name))
		}
		r.kind = kind
		return catalogEntry(r, cols[k]), nil
	}
	for _, r := range nodes {
		t, err := conv(r)
		if err != nil {
			return nil, err
		}
		c.Nodes.add(r.uniqueID, t)
	}
	for _, r := range sources {
		t, err := conv(r)
		if err != nil {
			return nil, err
		}
		c.Sources.add(r.uniqueID, t)
	}
	return c, nil
}
