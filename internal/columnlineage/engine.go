package columnlineage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// engineVersion is part of every cache key: bump it when the lineage a
// statement gives changes, so that persisted caches are not reused.
const engineVersion = "columnlineage/1"

// Engine computes column lineage with a parser and an optional cache.
type Engine struct {
	parser Parser
	cache  *Cache
}

// New returns an engine; cache may be nil (no cache).
func New(p Parser, cache *Cache) *Engine { return &Engine{parser: p, cache: cache} }

// Project is one environment's artifacts, whose lineage is computed on
// demand and kept. Safe for concurrent use.
type Project struct {
	engine  *Engine
	art     *dbt.Artifacts
	dialect string
	index   *relationIndex

	fnMu   sync.Mutex // held while indexFunctions runs
	fnDone bool

	mu      sync.Mutex
	models  map[string]*Model
	keys    map[string]string
	catalog map[string][]string // catalog column names by node, decoded once
	cols    map[string][]*col
	stats   Stats
}

// Stats count how a project's models were computed.
type Stats struct {
	// Parsed models were parsed; Unparsed did not parse (unknown).
	Parsed, Unparsed int
	// Cached models came from the cache.
	Cached int
	// NoSQL nodes have no SQL: sources, seeds, and models without compiled
	// code or in Python.
	NoSQL int
}

// Project prepares an environment's artifacts.
func (e *Engine) Project(a *dbt.Artifacts) *Project {
	return &Project{
		engine: e, art: a, dialect: lower(a.Manifest.Metadata.AdapterType),
		index:   newRelationIndex(a.Manifest),
		models:  map[string]*Model{},
		keys:    map[string]string{},
		catalog: map[string][]string{},
		cols:    map[string][]*col{},
	}
}

// Stats says how the models computed so far were computed.
func (p *Project) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Artifacts are the project's artifacts.
func (p *Project) Artifacts() *dbt.Artifacts { return p.art }

// Model returns a node's lineage if it was computed, or nil.
func (p *Project) Model(id string) *Model {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.models[id]
}

// AllLineage computes the lineage of every model, snapshot, seed and source.
func (p *Project) AllLineage(ctx context.Context) ([]*Model, error) {
	var ids []string
	for id, n := range p.art.Manifest.Nodes {
		if hasColumns(n) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return p.Lineage(ctx, ids...)
}

// hasColumns tells the nodes that have column lineage.
func hasColumns(n *dbt.Node) bool {
	switch n.ResourceType {
	case dbt.Model, dbt.Snapshot, dbt.Seed, dbt.Source:
		return true
	}
	return false
}

// Lineage returns the lineage of the given nodes (nil for an id that is
// not a model, snapshot, seed or source of the manifest), computing what
// was not computed yet: statements are parsed concurrently and followed
// in dependency order. A model that cannot be parsed is Unknown; the error
// is for the parser failing (or ctx).
func (p *Project) Lineage(ctx context.Context, ids ...string) ([]*Model, error) {
	if err := p.indexFunctions(ctx); err != nil {
		return nil, err
	}
	need := p.closure(ids)
	var parse, sqls []string
	for _, id := range need {
		m, sql := p.direct(id)
		if m != nil {
			p.store(m)
			continue
		}
		parse, sqls = append(parse, id), append(sqls, sql)
	}
	if err := p.parseAndResolve(ctx, parse, sqls); err != nil {
		return nil, err
	}
	out := make([]*Model, len(ids))
	p.mu.Lock()
	for i, id := range ids {
		out[i] = p.models[id]
	}
	p.mu.Unlock()
	return out, nil
}

// indexFunctions parses, once, the relation names that are table function
// calls (dbt-duckdb's external sources), so that the same call in a
// model's SQL leads to the source.
func (p *Project) indexFunctions(ctx context.Context) error {
	p.fnMu.Lock()
	defer p.fnMu.Unlock()
	fns := p.index.functions
	if p.fnDone || len(fns) == 0 {
		return nil
	}
	ids := make([]string, 0, len(fns))
	sqls := make([]string, 0, len(fns))
	for id, rel := range fns {
		ids = append(ids, id)
		sqls = append(sqls, "select * from "+rel)
	}
	byFunction := map[string]string{}
	var mu sync.Mutex
	err := p.engine.parser.Parse(ctx, p.dialect, sqls, func(i int, q *Query, _ error) {
		if q == nil {
			return
		}
		if sel, ok := q.Body.(*Select); ok {
			if tf, ok := sel.From.(*TableFunction); ok {
				if k := functionKey(tf.Name, tf.Args); k != "" {
					mu.Lock()
					byFunction[k] = ids[i]
					mu.Unlock()
				}
			}
		}
	})
	if err != nil {
		return fmt.Errorf("column lineage: %w", err)
	}
	p.index.byFunction, p.fnDone = byFunction, true
	return nil
}

// closure lists the nodes to compute for ids, dependencies first: the
// parents whose columns the catalog lacks need their own lineage first.
func (p *Project) closure(ids []string) []string {
	var order []string
	seen := map[string]bool{}
	p.mu.Lock()
	defer p.mu.Unlock()
	var visit func(id string)
	visit = func(id string) {
		if seen[id] || p.models[id] != nil {
			return
		}
		seen[id] = true
		n := p.art.Manifest.Nodes[id]
		if n == nil || !hasColumns(n) {
			return
		}
		for _, parent := range p.lineageParents(n) {
			visit(parent)
		}
		order = append(order, id)
	}
	for _, id := range ids {
		visit(id)
	}
	return order
}

// lineageParents are a node's parents whose columns come from their
// lineage, not the catalog.
func (p *Project) lineageParents(n *dbt.Node) []string {
	var out []string
	for _, id := range n.DependsOn.Nodes {
		pn := p.art.Manifest.Nodes[id]
		if pn == nil || (pn.ResourceType != dbt.Model && pn.ResourceType != dbt.Snapshot) || id == n.UniqueID {
			continue
		}
		if p.catalogJSON(id) == "" {
			out = append(out, id)
		}
	}
	return out
}

func (p *Project) catalogColumnsLocked(id string) ([]string, bool) {
	if names, ok := p.catalog[id]; ok {
		return names, names != nil
	}
	var names []string
	if p.catalogJSON(id) != "" {
		names = catalogNames(p.art.Catalog.Nodes[id])
	}
	p.catalog[id] = names
	return names, names != nil
}

// catalogNames are a catalog table's column names in the relation's
// order. It reads only names and positions: decoding every column of a
// large catalog with dbt.CatalogTable.Columns took a tenth of the lineage
// of a whole project.
func catalogNames(t *dbt.CatalogTable) []string {
	type entry struct {
		name  string
		index int64
	}
	var cols []entry
	dec := jsontext.NewDecoder(bytes.NewReader(t.ColumnsJSON), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	// column reads one {"name": ..., "index": ...} object.
	column := func(e *entry) error {
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		for dec.PeekKind() == '"' {
			k, err := dec.ReadToken()
			if err != nil {
				return err
			}
			switch k.String() {
			case "name":
				v, err := dec.ReadToken()
				if err != nil {
					return err
				}
				if v.Kind() == '"' && v.String() != "" {
					e.name = v.String()
				}
			case "index":
				v, err := dec.ReadToken()
				if err != nil {
					return err
				}
				if v.Kind() == '0' {
					e.index, _ = v.Int()
				}
			default:
				if err := dec.SkipValue(); err != nil {
					return err
				}
			}
		}
		_, err := dec.ReadToken()
		return err
	}
	if tok, err := dec.ReadToken(); err == nil && tok.Kind() == '{' {
		for dec.PeekKind() == '"' {
			key, err := dec.ReadToken()
			if err != nil {
				break
			}
			e := entry{name: key.String(), index: int64(len(cols))}
			if dec.PeekKind() == '{' {
				err = column(&e)
			} else {
				err = dec.SkipValue()
			}
			if err != nil {
				break
			}
			cols = append(cols, e)
		}
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].index < cols[j].index })
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return names
}

func (p *Project) catalogColumns(id string) ([]string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.catalogColumnsLocked(id)
}

// direct returns the lineage of a node that needs no parsing: without SQL,
// or in the cache. Otherwise it returns the SQL to parse.
func (p *Project) direct(id string) (*Model, string) {
	n := p.art.Manifest.Nodes[id]
	if n.ResourceType == dbt.Source || n.ResourceType == dbt.Seed {
		own, _ := p.catalogColumns(id)
		p.count(func(s *Stats) { s.NoSQL++ })
		return sourceModel(id, own), ""
	}
	if n.Language != "" && n.Language != "sql" {
		own, _ := p.catalogColumns(id)
		p.count(func(s *Stats) { s.NoSQL++ })
		return unknownModel(id, fmt.Sprintf("a %s model: only SQL is followed", n.Language), own), ""
	}
	// The cache first: the key reads the SQL as JSON, unescaping it costs.
	if c := p.engine.cache; c != nil {
		if m := c.get(p.key(id)); m != nil {
			p.count(func(s *Stats) { s.Cached++ })
			cp := *m
			cp.UniqueID = id
			return &cp, ""
		}
	}
	sql := n.Compiled()
	if strings.TrimSpace(sql) == "" {
		own, _ := p.catalogColumns(id)
		p.count(func(s *Stats) { s.NoSQL++ })
		return unknownModel(id, "no compiled SQL in the manifest (written by dbt parse?): build the artifacts with dbt compile, run or docs generate", own), ""
	}
	return nil, sql
}

func (p *Project) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

func (p *Project) store(m *Model) {
	p.mu.Lock()
	p.models[m.UniqueID] = m
	p.mu.Unlock()
}

// key identifies what a model's lineage is computed from: its SQL, its
// catalog columns, and its parents' relation names and columns (for a
// parent without catalog entry, its own key).
func (p *Project) key(id string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keyLocked(id)
}

func (p *Project) keyLocked(id string) string {
	if k, ok := p.keys[id]; ok {
		return k
	}
	n := p.art.Manifest.Nodes[id]
	h := sha256.New()
	w := func(s ...string) {
		for _, x := range s {
			h.Write([]byte(x))
			h.Write([]byte{0})
		}
	}
	// The SQL and the catalog's columns as JSON: decoding them costs, and
	// they say the same.
	w(engineVersion, p.dialect, string(n.CompiledCode), p.catalogJSON(id))
	parents := slices.Clone(n.DependsOn.Nodes)
	sort.Strings(parents)
	for _, pid := range parents {
		pn := p.art.Manifest.Nodes[pid]
		if pn == nil {
			w(pid, "missing")
			continue
		}
		w(pid, pn.Database, pn.Schema, pn.RelationAlias(), pn.RelationName, pn.Config.Materialized, pn.Name)
		switch cols := p.catalogJSON(pid); {
		case cols != "":
			w("catalog", cols)
		case (pn.ResourceType == dbt.Model || pn.ResourceType == dbt.Snapshot) && pid != id:
			w("lineage", p.keyLocked(pid))
		default:
			w("unknown")
		}
	}
	k := hex.EncodeToString(h.Sum(nil))
	p.keys[id] = k
	return k
}

// catalogJSON is a node's catalog columns as JSON, "" without an entry.
func (p *Project) catalogJSON(id string) string {
	if p.art.Catalog != nil {
		if t := p.art.Catalog.Nodes[id]; t != nil && len(t.ColumnsJSON) > 0 {
			return string(t.ColumnsJSON)
		}
	}
	return ""
}

// nodeCols are the columns a relation of a node has: from the catalog, or
// from the node's lineage.
func (p *Project) nodeCols(id string) ([]*col, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cols, ok := p.cols[id]; ok {
		return cols, true
	}
	names, ok := p.catalogColumnsLocked(id)
	if !ok {
		if m := p.models[id]; m != nil && m.sql && !m.Unknown && !m.open {
			names, ok = make([]string, len(m.Columns)), true
			for i, c := range m.Columns {
				names[i] = c.Name
			}
		}
	}
	if !ok {
		return nil, false // not remembered: the lineage may come later
	}
	cols := make([]*col, len(names))
	for i, name := range names {
		cols[i] = directCol(id, name)
	}
	p.cols[id] = cols
	return cols, true
}

// resolver returns the resolver for one model.
func (p *Project) resolver(n *dbt.Node) *resolver {
	r := &resolver{index: p.index, nodeCols: p.nodeCols, parents: n.DependsOn.Nodes}
	for _, pid := range n.DependsOn.Nodes {
		if pn := p.art.Manifest.Nodes[pid]; pn != nil && pn.ResourceType == dbt.Model && !pn.HasRelation() {
			if r.ephemeral == nil {
				r.ephemeral = map[string]string{}
			}
			r.ephemeral["__dbt__cte__"+lower(pn.Name)] = pid
		}
	}
	return r
}

// task is a statement being parsed and followed.
type task struct {
	id         string
	q          *Query
	err        error
	parsed     bool
	waiting    int // lineage parents not followed yet
	dependents []*task
}

// parseAndResolve parses the statements of ids (in dependency order)
// concurrently and follows each as soon as it is parsed and its parents
// are followed.
func (p *Project) parseAndResolve(ctx context.Context, ids, sqls []string) error {
	if len(ids) == 0 {
		return nil
	}
	tasks := make([]*task, len(ids))
	byID := make(map[string]*task, len(ids))
	for i, id := range ids {
		tasks[i] = &task{id: id}
		byID[id] = tasks[i]
	}
	p.mu.Lock()
	for _, t := range tasks {
		for _, parent := range p.lineageParents(p.art.Manifest.Nodes[t.id]) {
			if pt := byID[parent]; pt != nil {
				t.waiting++
				pt.dependents = append(pt.dependents, t)
			}
		}
	}
	p.mu.Unlock()

	var mu sync.Mutex // guards the tasks' fields
	var run func(t *task)
	run = func(t *task) {
		p.follow(t)
		mu.Lock()
		var ready []*task
		for _, d := range t.dependents {
			if d.waiting--; d.waiting == 0 && d.parsed {
				ready = append(ready, d)
			}
		}
		mu.Unlock()
		for _, d := range ready {
			run(d)
		}
	}
	err := p.engine.parser.Parse(ctx, p.dialect, sqls, func(i int, q *Query, err error) {
		t := tasks[i]
		mu.Lock()
		t.q, t.err, t.parsed = q, err, true
		ready := t.waiting == 0
		mu.Unlock()
		if ready {
			run(t)
		}
	})
	if err != nil {
		return fmt.Errorf("column lineage: %w", err)
	}
	return nil
}

// follow computes a parsed task's lineage, stores and caches it.
func (p *Project) follow(t *task) {
	n := p.art.Manifest.Nodes[t.id]
	own, _ := p.catalogColumns(t.id)
	var m *Model
	if t.q == nil {
		reason := "the SQL did not parse"
		if t.err != nil {
			reason += ": " + t.err.Error()
		}
		m = unknownModel(t.id, reason, own)
		p.count(func(s *Stats) { s.Unparsed++ })
	} else {
		m = p.resolver(n).resolveModel(t.id, t.q, own)
		p.count(func(s *Stats) { s.Parsed++ })
	}
	t.q = nil // the tree is large: let it go
	p.store(m)
	if c := p.engine.cache; c != nil {
		c.put(p.key(t.id), m)
	}
}

// Downstream is how a column is used by the node's children.
type Downstream struct {
	// Columns are the children's columns computed from it.
	Columns []ColumnRef `json:"columns"`
	// ModelWide are the children whose rows it decides (a filter, join,
	// grouping... on it).
	ModelWide []string `json:"model_wide"`
}

// Downstream returns, for each column of a node (by its name in the node's
// lineage), how its children use it, computing the children's lineage.
// Children whose SQL could not be followed are not listed.
func (p *Project) Downstream(ctx context.Context, id string) (map[string]*Downstream, error) {
	var children []string
	for cid, n := range p.art.Manifest.Nodes {
		if hasColumns(n) && slices.Contains(n.DependsOn.Nodes, id) && cid != id {
			children = append(children, cid)
		}
	}
	sort.Strings(children)
	ms, err := p.Lineage(ctx, append([]string{id}, children...)...)
	if err != nil {
		return nil, err
	}
	out := map[string]*Downstream{}
	if ms[0] == nil {
		return out, nil
	}
	byLower := map[string]*Downstream{}
	for _, c := range ms[0].Columns {
		d := &Downstream{Columns: []ColumnRef{}, ModelWide: []string{}}
		out[c.Name] = d
		byLower[lower(c.Name)] = d
	}
	for _, m := range ms[1:] {
		if m == nil || m.Unknown {
			continue
		}
		for _, c := range m.Columns {
			for _, u := range c.Upstream {
				if d := byLower[lower(u.Column)]; u.Node == id && d != nil {
					d.Columns = append(d.Columns, ColumnRef{Node: m.UniqueID, Column: c.Name})
				}
			}
		}
		for _, u := range m.ModelWide {
			if d := byLower[lower(u.Column)]; u.Node == id && d != nil && !slices.Contains(d.ModelWide, m.UniqueID) {
				d.ModelWide = append(d.ModelWide, m.UniqueID)
			}
		}
	}
	return out, nil
}
