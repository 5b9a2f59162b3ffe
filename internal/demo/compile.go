package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// The models use the small part of dbt's Jinja that real projects use most:
// {{ ref('m') }}, {{ source('s', 't') }}, {{ config(...) }}, a project macro
// ({{ cents_to_dollars('col') }}) and an {% if is_incremental() %} block.
// This file renders exactly that subset, the way dbt compiles a full build
// (so the incremental block is dropped), and nothing more.

var (
	refRe       = regexp.MustCompile(`\{\{\s*ref\(\s*'([^']+)'\s*\)\s*\}\}`)
	sourceRe    = regexp.MustCompile(`\{\{\s*source\(\s*'([^']+)'\s*,\s*'([^']+)'\s*\)\s*\}\}`)
	configRe    = regexp.MustCompile(`\{\{\s*config\([^}]*\)\s*\}\}`)
	macroRe     = regexp.MustCompile(`\{\{\s*cents_to_dollars\(\s*'([^']+)'\s*\)\s*\}\}`)
	incrementRe = regexp.MustCompile(`(?s)\{%\s*if is_incremental\(\)\s*%\}.*?\{%\s*endif\s*%\}\n?`)
)

// The project's own macro, used by the staging models: dbt lists it in their
// depends_on.macros, which is what the lineage diff's "macros" reason reads.
const (
	centsMacroID  = "macro." + projectName + ".cents_to_dollars"
	centsMacroSQL = "{% macro cents_to_dollars(column_name, scale=2) -%}\n    ({{ column_name }} / 100)::decimal(18, {{ scale }})\n{%- endmacro %}"
	incrMacroID   = "macro.dbt.is_incremental"
)

func centsToDollars(col string) string { return "(" + col + " / 100)::decimal(18, 2)" }

// parseRefs returns the models and seeds a SQL body refers to, in order of
// first use, as dbt's parser records them.
func parseRefs(raw string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range refRe.FindAllStringSubmatch(raw, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// parseSources returns the (source, table) pairs a SQL body reads.
func parseSources(raw string) [][2]string {
	var out [][2]string
	for _, m := range sourceRe.FindAllStringSubmatch(raw, -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

// macrosUsed returns the unique ids of the macros a SQL body calls.
func macrosUsed(raw string) []string {
	var out []string
	if incrementRe.MatchString(raw) {
		out = append(out, incrMacroID)
	}
	if macroRe.MatchString(raw) {
		out = append(out, centsMacroID)
	}
	return out
}

// relation is the quoted three-part name dbt-duckdb gives a relation. The
// names are the generator's own (letters, digits, underscores), so Go's %q
// quotes them exactly as SQL would.
func relation(schema, name string) string {
	return fmt.Sprintf("%q.%q.%q", dbCatalog, schema, name)
}

func cteName(model string) string { return "__dbt__cte__" + model }

// compiler renders one environment's models, memoising each model's
// compiled SQL (a 10,000-model graph renders every parent many times).
type compiler struct {
	p    *project
	memo map[string]string
}

func newCompiler(p *project) *compiler {
	return &compiler{p: p, memo: make(map[string]string, len(p.models))}
}

// body renders a model's own SQL: refs become relations of this
// environment's schema (or the CTE name of an ephemeral model), sources
// become relations of the raw schema.
func (c *compiler) body(m *model) string {
	if s, ok := c.memo[m.name]; ok {
		return s
	}
	s := incrementRe.ReplaceAllString(m.raw, "")
	s = configRe.ReplaceAllString(s, "")
	s = macroRe.ReplaceAllStringFunc(s, func(x string) string {
		return centsToDollars(macroRe.FindStringSubmatch(x)[1])
	})
	s = sourceRe.ReplaceAllStringFunc(s, func(x string) string {
		return relation(rawSchema, sourceRe.FindStringSubmatch(x)[2])
	})
	s = refRe.ReplaceAllStringFunc(s, func(x string) string {
		name := refRe.FindStringSubmatch(x)[1]
		if parent := c.p.byName[name]; parent != nil && parent.materialized == "ephemeral" {
			return cteName(name)
		}
		return relation(c.p.env.schema, name)
	})
	c.memo[m.name] = s
	return s
}

// extraCTE is an ephemeral model injected into a child's compiled SQL.
type extraCTE struct {
	ID  string `json:"id"`
	SQL string `json:"sql"`
}

// compiled returns the SQL dbt would run for m, with the ephemeral models it
// uses injected as CTEs in front (as dbt does: "with __dbt__cte__x as (...)").
func (c *compiler) compiled(m *model) (string, []extraCTE) {
	var ctes []extraCTE
	seen := map[string]bool{}
	var collect func(m *model)
	collect = func(m *model) {
		for _, r := range parseRefs(m.raw) {
			parent := c.p.byName[r]
			if parent == nil || parent.materialized != "ephemeral" || seen[r] {
				continue
			}
			seen[r] = true
			collect(parent) // an ephemeral model's own ephemeral parents come first
			ctes = append(ctes, extraCTE{
				ID:  "model." + projectName + "." + r,
				SQL: " " + cteName(r) + " as (\n" + c.body(parent) + "\n)",
			})
		}
	}
	collect(m)
	sql := c.body(m)
	if len(ctes) == 0 {
		return sql, nil
	}
	parts := make([]string, len(ctes))
	for i, e := range ctes {
		parts[i] = e.SQL
	}
	injected := "with" + strings.Join(parts, ", ")
	// A body that already starts with a WITH clause gets the CTEs prepended
	// to its own list; otherwise they wrap it.
	trimmed := strings.TrimLeft(sql, " \n")
	if rest, ok := strings.CutPrefix(trimmed, "with"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\n') {
		return injected + "," + rest, ctes
	}
	return injected + "\n" + sql, ctes
}

// checksum is dbt's file checksum: sha256 of the file's contents.
func checksum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
