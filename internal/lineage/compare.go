package lineage

import (
	"bytes"
	"maps"
	"sort"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// comparer decides why a node present in both environments is modified.
type comparer struct {
	base, current       Env
	changedMacros       map[string]bool // macros whose body differs, internal ones excluded
	macros              map[string]*dbt.Macro
	macroReachesChanged map[string]bool // memo: does this macro call a changed one?
}

func newComparer(bm, cm *dbt.Manifest, base, current Env) *comparer {
	c := &comparer{
		base: base, current: current,
		changedMacros:       map[string]bool{},
		macros:              cm.Macros,
		macroReachesChanged: map[string]bool{},
	}
	// dbt's own macros and the adapter's differ whenever the dbt version
	// does; that is the tool changing, not the project, so they never make a
	// node modified.
	internal := map[string]bool{}
	for _, a := range []string{base.AdapterType, current.AdapterType} {
		for _, p := range dbt.InternalMacroPackages(a) {
			internal[p] = true
		}
	}
	for id, m := range cm.Macros {
		if internal[m.PackageName] {
			continue
		}
		if o, ok := bm.Macros[id]; !ok || o.MacroSQL != m.MacroSQL {
			c.changedMacros[id] = true
		}
	}
	return c
}

// reasons lists why cur differs from base; none means unchanged.
func (c *comparer) reasons(base, cur *dbt.Node) []Reason {
	var rs []Reason
	body := bodyChange(base, cur)
	if body == ReasonCode {
		rs = append(rs, ReasonCode)
	}
	if !bytes.Equal(base.Config.Raw, cur.Config.Raw) && configChanged(cur.ResourceType, base.Config.Map(), cur.Config.Map()) {
		rs = append(rs, ReasonConfig)
	}
	if c.relationChanged(base, cur) {
		rs = append(rs, ReasonRelation)
	}
	if persistedDescriptionsChanged(base, cur) {
		rs = append(rs, ReasonDescriptions)
	}
	if cur.ResourceType == dbt.Source && sourceChanged(base, cur) {
		rs = append(rs, ReasonSource)
	}
	if contractChanged(base, cur) {
		rs = append(rs, ReasonContract)
	}
	if c.callsChangedMacro(cur) {
		rs = append(rs, ReasonMacros)
	}
	// A whitespace edit is worth reporting only when it is the whole change,
	// so that reviewers can filter such nodes out.
	if body == ReasonWhitespace && len(rs) == 0 {
		rs = append(rs, ReasonWhitespace)
	}
	return rs
}

// bodyChange compares the bodies: "" when equal, ReasonWhitespace when they
// differ only in whitespace or line endings, ReasonCode otherwise.
func bodyChange(base, cur *dbt.Node) Reason {
	if base.Definition != "" || cur.Definition != "" {
		if base.Definition != cur.Definition {
			return ReasonCode
		}
		return ""
	}
	// dbt Fusion names the hash "SHA256" where dbt Core says "sha256".
	if base.Checksum.Checksum == cur.Checksum.Checksum && strings.EqualFold(base.Checksum.Name, cur.Checksum.Name) {
		return ""
	}
	if bytes.Equal(base.RawCode, cur.RawCode) && len(base.RawCode) > 2 {
		return ReasonWhitespace // the same code: only line endings differed in the file
	}
	bc, cc := base.Code(), cur.Code()
	if bc == "" && cc == "" {
		// Seeds have no code: the checksum is the file's.
		return ReasonCode
	}
	if bc == cc || sameTokens(bc, cc) {
		return ReasonWhitespace
	}
	return ReasonCode
}

// configIgnored are config keys that do not change what is built: docs and
// ownership metadata (meta and docs are ignored by design, where dbt
// counts them: see docs/checks.md), tags (selection only), static_analysis
// (how dbt Fusion analyses the SQL), keys reported under another reason
// (contract, relation, persisted descriptions), and the
// schema/database/alias overrides whose effect the relation comparison
// sees.
var configIgnored = map[string]bool{
	"tags": true, "meta": true, "docs": true, "group": true, "access": true,
	"contract": true, "schema": true, "database": true, "alias": true, "static_analysis": true,
}

// sourceKeys are the config keys of a source (dbt 1.10 and later write
// them in its config too) that the source comparison reports.
var sourceKeys = map[string]bool{"freshness": true, "loaded_at_field": true, "loaded_at_query": true}

// configDefaults are values that newer dbt versions write for keys older
// versions leave out. A key present on one side only is a change only when
// its value is not the default.
var configDefaults = map[string]string{
	"on_configuration_change": `"apply"`,
	"on_schema_change":        `"ignore"`,
	"delimiter":               `","`,
	"lookback":                `1`,
	"enabled":                 `true`,
	"materialized":            `"view"`,
}

// configChanged compares two configs key by key. A key missing on one side
// counts as its default value.
func configChanged(resourceType string, base, cur map[string]jsontext.Value) bool {
	ignored := func(k string) bool { return configIgnored[k] || (resourceType == dbt.Source && sourceKeys[k]) }
	for k, cv := range cur {
		if !ignored(k) && !sameConfigValue(k, base[k], cv) {
			return true
		}
	}
	for k, bv := range base {
		if _, ok := cur[k]; !ok && !ignored(k) && !sameConfigValue(k, bv, nil) {
			return true
		}
	}
	return false
}

// sourceChanged follows dbt's SourceDefinition.same_contents beyond the
// relation and the config: freshness (with its loaded_at_field and, from
// dbt 1.10, loaded_at_query, read from the config when the top level has
// none), quoting and external. Empty values (null, {}, the all-null
// freshness older versions write) equal absent ones.
func sourceChanged(base, cur *dbt.Node) bool {
	bc, cc := base.Config.Map(), cur.Config.Map()
	pick := func(top jsontext.Value, cfg map[string]jsontext.Value, key string) string {
		if s := dbt.Canonical(top); s != "" {
			return s
		}
		return dbt.Canonical(cfg[key])
	}
	return pick(base.Freshness, bc, "freshness") != pick(cur.Freshness, cc, "freshness") ||
		pick(base.LoadedAtField, bc, "loaded_at_field") != pick(cur.LoadedAtField, cc, "loaded_at_field") ||
		pick(base.LoadedAtQuery, bc, "loaded_at_query") != pick(cur.LoadedAtQuery, cc, "loaded_at_query") ||
		dbt.Canonical(base.Quoting) != dbt.Canonical(cur.Quoting) ||
		dbt.Canonical(base.External) != dbt.Canonical(cur.External)
}

// persistedDescriptionsChanged follows dbt's same_persisted_description:
// with the current node's persist_docs.relation on, a changed description
// is a change (dbt writes it as the relation's comment), and with
// persist_docs.columns on, a changed column description (dbt writes the
// column comments). A change of persist_docs itself is a config change.
func persistedDescriptionsChanged(base, cur *dbt.Node) bool {
	pd := cur.Config.PersistDocs
	if pd.Relation && base.Description != cur.Description {
		return true
	}
	if !pd.Columns {
		return false
	}
	descriptions := func(n *dbt.Node) map[string]string {
		m := map[string]string{}
		for _, c := range n.Columns() {
			m[c.Name] = c.Description
		}
		return m
	}
	return !maps.Equal(descriptions(base), descriptions(cur))
}

func sameConfigValue(key string, a, b jsontext.Value) bool {
	if bytes.Equal(a, b) {
		return true
	}
	return normalConfig(key, a) == normalConfig(key, b)
}

// normalConfig is a config value in canonical form, "" when it is empty or
// the key's default.
func normalConfig(key string, v jsontext.Value) string {
	if v == nil {
		return ""
	}
	if d, ok := configDefaults[key]; ok && dbt.Canonical(v) == d {
		return ""
	}
	return dbt.Canonical(v)
}

// relationChanged compares where the node is built, seen relative to each
// environment's own schema and database: base in prod and current in dev is
// no change, but a new alias or custom schema is.
func (c *comparer) relationChanged(base, cur *dbt.Node) bool {
	if !strings.EqualFold(base.RelationAlias(), cur.RelationAlias()) {
		return true
	}
	if relative(base.Schema, c.base.Schema) != relative(cur.Schema, c.current.Schema) {
		return true
	}
	return relative(base.Database, c.base.Database) != relative(cur.Database, c.current.Database)
}

// relative replaces the environment's own name in a schema or database
// name: "prod" and "prod_staging" become "@" and "@_staging".
func relative(name, env string) string {
	l, e := strings.ToLower(name), strings.ToLower(env)
	switch {
	case e == "":
		return l
	case l == e:
		return "@"
	case strings.HasPrefix(l, e+"_"):
		return "@" + l[len(e):]
	}
	return l
}

// targetLocation infers an environment's own schema and database: the most
// common ones among the nodes that do not set a custom schema.
func targetLocation(m *dbt.Manifest) (schema, database string) {
	schemas, dbs := map[string]int{}, map[string]int{}
	for _, n := range m.Nodes {
		switch n.ResourceType {
		case dbt.Model, dbt.Seed, dbt.Snapshot:
		default:
			continue
		}
		if n.Config.Schema == "" && n.Schema != "" {
			schemas[n.Schema]++
		}
		if n.Config.Database == "" && n.Database != "" {
			dbs[n.Database]++
		}
	}
	return mostCommon(schemas), mostCommon(dbs)
}

func mostCommon(counts map[string]int) string {
	best, n := "", 0
	for k, c := range counts {
		if c > n || (c == n && k < best) {
			best, n = k, c
		}
	}
	return best
}

// contractChanged: enforcement switched, or an enforced contract's columns
// (names, types, constraints) changed.
func contractChanged(base, cur *dbt.Node) bool {
	if base.Contract.Enforced != cur.Contract.Enforced {
		return true
	}
	if !cur.Contract.Enforced {
		return false
	}
	if base.Contract.Checksum != "" && cur.Contract.Checksum != "" {
		return base.Contract.Checksum != cur.Contract.Checksum
	}
	return contractColumns(base) != contractColumns(cur)
}

func contractColumns(n *dbt.Node) string {
	var parts []string
	for _, c := range n.Columns() {
		s := strings.ToLower(c.Name) + " " + strings.ToLower(c.DataType)
		for _, con := range c.Constraints {
			s += " " + dbt.Canonical(con)
		}
		parts = append(parts, s)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}

// callsChangedMacro follows the node's macros, and the macros they call,
// to a macro whose body changed.
func (c *comparer) callsChangedMacro(n *dbt.Node) bool {
	if len(c.changedMacros) == 0 {
		return false
	}
	for _, m := range n.DependsOn.Macros {
		if c.reachesChanged(m, map[string]bool{}) {
			return true
		}
	}
	return false
}

func (c *comparer) reachesChanged(id string, visiting map[string]bool) bool {
	if v, ok := c.macroReachesChanged[id]; ok {
		return v
	}
	if c.changedMacros[id] {
		c.macroReachesChanged[id] = true
		return true
	}
	if visiting[id] {
		return false // a cycle; decided by the caller further up
	}
	visiting[id] = true
	found := false
	if m := c.macros[id]; m != nil {
		for _, dep := range m.DependsOn.Macros {
			if c.reachesChanged(dep, visiting) {
				found = true
				break
			}
		}
	}
	c.macroReachesChanged[id] = found
	return found
}
