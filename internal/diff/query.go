package diff

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// DefaultQueryLimit caps query results, as the reference does.
const DefaultQueryLimit = 2000

// QueryParams are the parameters of a query on one environment.
type QueryParams struct {
	SQLTemplate string `json:"sql_template"`
	// Base runs the query on the base environment (refs resolved against
	// the base manifest); the default is current.
	Base  bool `json:"-"`
	Limit int  `json:"limit,omitempty"` // default 2000
}

// QueryDiffParams are the parameters of a query diff.
type QueryDiffParams struct {
	SQLTemplate string `json:"sql_template"`
	// BaseSQLTemplate, when set, is run on base instead of SQLTemplate.
	BaseSQLTemplate string `json:"base_sql_template,omitempty"`
	// PrimaryKeys, when set, make the diff run in the warehouse, joined on
	// them; without, both results are fetched (capped) and compared here.
	PrimaryKeys []string `json:"primary_keys,omitempty"`
	Limit       int      `json:"limit,omitempty"` // default 2000
}

// QueryDiffResult is a query diff. Without primary keys, Base and Current
// hold both results (capped) and the Rows* counts, exact whatever the cap,
// tell how many rows (as whole rows, duplicates counted) are in one result
// only. With primary keys, Diff holds the differing rows in the
// reference's shape (in_a, in_b), with a value diff summary and per-column
// matches.
type QueryDiffResult struct {
	Base    *Table `json:"base,omitempty"`
	Current *Table `json:"current,omitempty"`
	Diff    *Table `json:"diff,omitempty"`

	RowsOnlyInBase    *int64 `json:"rows_only_in_base,omitempty"`
	RowsOnlyInCurrent *int64 `json:"rows_only_in_current,omitempty"`

	PrimaryKeys []string           `json:"primary_keys,omitempty"`
	Summary     *ValueSummary      `json:"summary,omitempty"`
	Columns     []ColumnMatch      `json:"columns,omitempty"`
	Detail      *ValueDetailResult `json:"-"`
}

// Changed reports whether the two results differ.
func (r *QueryDiffResult) Changed() bool {
	if r.Summary != nil {
		return r.Summary.Added+r.Summary.Removed+r.Summary.Modified > 0
	}
	return r.RowsOnlyInBase != nil && (*r.RowsOnlyInBase > 0 || *r.RowsOnlyInCurrent > 0)
}

// Query runs a SQL template on one environment: capped rows and the total
// count (both queries at once).
func Query(ctx context.Context, e *Envs, p QueryParams) (*Table, error) {
	m, env := e.Current, "current"
	if p.Base {
		m, env = e.Base, "base"
	}
	sql, err := Render(p.SQLTemplate, m, e.dialect())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	sub, err := subquery(ctx, e.Warehouse, sql, "query on "+env)
	if err != nil {
		return nil, err
	}
	return fetchCapped(ctx, e.Warehouse, sub, p.Limit, env)
}

// fetchCapped reads up to limit rows of a subquery (see subquery), and up
// to the warehouse's byte cap, and counts them all.
func fetchCapped(ctx context.Context, w warehouse.Warehouse, sub string, limit int, env string) (*Table, error) {
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	t := &Table{Limit: limit, Data: [][]any{}}
	var total int64
	g, gctx := newGroup(ctx)
	g.Go(func() error {
		res, err := warehouse.Fetch(gctx, w, fmt.Sprintf("select * from %s q limit %d", sub, limit+1))
		if err != nil {
			return fmt.Errorf("query on %s: %w", env, err)
		}
		rows := res.Rows
		if len(rows) > limit {
			rows, t.More = rows[:limit], true
		}
		if res.Truncated {
			t.More, t.Truncated = true, true
		}
		if rows != nil {
			t.Data = rows
		}
		t.Columns = res.Columns
		return nil
	})
	g.Go(func() error {
		_, r, err := warehouse.QueryRow(gctx, w, fmt.Sprintf("select count(*) from %s q", sub))
		if err != nil {
			return fmt.Errorf("query on %s: %w", env, err)
		}
		total = warehouse.Int64(r[0])
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	t.Total = &total
	return t, nil
}

// QueryDiff runs a SQL template on both environments and compares the
// results.
func QueryDiff(ctx context.Context, e *Envs, p QueryDiffParams) (*QueryDiffResult, error) {
	d := e.dialect()
	baseTpl := p.SQLTemplate
	if strings.TrimSpace(p.BaseSQLTemplate) != "" {
		baseTpl = p.BaseSQLTemplate
	}
	baseSQL, err := Render(baseTpl, e.Base, d)
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	curSQL, err := Render(p.SQLTemplate, e.Current, d)
	if err != nil {
		return nil, fmt.Errorf("current: %w", err)
	}
	if baseSQL, err = subquery(ctx, e.Warehouse, baseSQL, "base query"); err != nil {
		return nil, err
	}
	if curSQL, err = subquery(ctx, e.Warehouse, curSQL, "current query"); err != nil {
		return nil, err
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultQueryLimit
	}
	if len(p.PrimaryKeys) > 0 {
		return keyedQueryDiff(ctx, e, baseSQL, curSQL, p.PrimaryKeys, limit)
	}
	res := &QueryDiffResult{}
	g, gctx := newGroup(ctx)
	g.Go(func() (err error) { res.Base, err = fetchCapped(gctx, e.Warehouse, baseSQL, limit, "base"); return err })
	g.Go(func() (err error) {
		res.Current, err = fetchCapped(gctx, e.Warehouse, curSQL, limit, "current")
		return err
	})
	g.Go(func() (err error) {
		res.RowsOnlyInBase, res.RowsOnlyInCurrent, err = rowSetDiff(gctx, e.Warehouse, baseSQL, curSQL)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}

// rowSetDiff counts the rows of each result (subqueries, see subquery)
// that the other lacks, as
// multisets of whole rows, in the warehouse: each side is grouped by a
// hash of the row, and the groups are joined. Exact however large the
// results (the fetched rows are capped, these counts are not).
func rowSetDiff(ctx context.Context, w warehouse.Warehouse, baseSQL, curSQL string) (onlyBase, onlyCurrent *int64, err error) {
	d := w.Dialect()
	var bc, cc []warehouse.Column
	g, gctx := newGroup(ctx)
	g.Go(func() (err error) { bc, err = columnsOf(gctx, w, baseSQL, "base query"); return err })
	g.Go(func() (err error) { cc, err = columnsOf(gctx, w, curSQL, "current query"); return err })
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if len(bc) != len(cc) {
		// Rows of different widths are never equal.
		var nb, nc int64
		_, r, err := warehouse.QueryRow(ctx, w, fmt.Sprintf("select (select count(*) from %s b), (select count(*) from %s c)", baseSQL, curSQL))
		if err != nil {
			return nil, nil, err
		}
		nb, nc = warehouse.Int64(r[0]), warehouse.Int64(r[1])
		return &nb, &nc, nil
	}
	hash := func(sql string, cols []warehouse.Column) string {
		return fmt.Sprintf("select %s as h, count(*) as n from %s q group by 1", d.Hash(quoteList(d, "q.", columnNames(cols))...), sql)
	}
	sql := fmt.Sprintf(`with b as (%s), c as (%s)
select
  sum(case when coalesce(b.n, 0) > coalesce(c.n, 0) then coalesce(b.n, 0) - coalesce(c.n, 0) else 0 end),
  sum(case when coalesce(c.n, 0) > coalesce(b.n, 0) then coalesce(c.n, 0) - coalesce(b.n, 0) else 0 end)
from b full outer join c on b.h = c.h`, hash(baseSQL, bc), hash(curSQL, cc))
	_, r, err := warehouse.QueryRow(ctx, w, sql)
	if err != nil {
		return nil, nil, fmt.Errorf("compare query results: %w", err)
	}
	nb, nc := warehouse.Int64(r[0]), warehouse.Int64(r[1])
	return &nb, &nc, nil
}

// keyedQueryDiff joins both results on the keys in the warehouse: the key
// check, the summary and the differing rows, as a value diff does on
// relations.
func keyedQueryDiff(ctx context.Context, e *Envs, baseSQL, curSQL string, keys []string, limit int) (*QueryDiffResult, error) {
	plan, err := planKeyed(ctx, e.Warehouse, source{baseSQL, "base query"}, source{curSQL, "current query"}, keys, nil)
	if err != nil {
		return nil, err
	}
	// The summary validates the key; the detail then runs on a valid one.
	res := &QueryDiffResult{PrimaryKeys: plan.keyNames()}
	s, cols, err := plan.summary(ctx)
	if err != nil {
		return nil, err
	}
	res.Summary, res.Columns = &s, cols
	if res.Detail, err = plan.detail(ctx, limit); err != nil {
		return nil, err
	}
	res.Diff = res.Detail.DataFrame()
	return res, nil
}

var (
	jinjaExpr  = regexp.MustCompile(`(?s)\{\{(.*?)\}\}`)
	refOrSrc   = regexp.MustCompile(`^\s*(ref|source)\s*\((.*)\)\s*$`)
	stringArgs = regexp.MustCompile(`^\s*(?:'([^']*)'|"([^"]*)")\s*(?:,|$)`)
)

// Render resolves {{ ref('model') }}, {{ ref('package', 'model') }} and
// {{ source('source', 'table') }} against a manifest. Anything else that
// looks like Jinja is an error: recce does not run Jinja, and a statement
// half-rendered would run something else than the user wrote.
func Render(template string, m *dbt.Manifest, d warehouse.Dialect) (string, error) {
	if strings.TrimSpace(template) == "" {
		return "", fmt.Errorf("no SQL given: pass --sql 'select ...'")
	}
	if m == nil {
		return "", fmt.Errorf("no manifest to resolve ref() with")
	}
	for _, tok := range []string{"{%", "{#"} {
		if strings.Contains(template, tok) {
			return "", fmt.Errorf("jinja statements and comments (%s) are not supported in queries: only {{ ref('model') }}, {{ ref('package', 'model') }} and {{ source('source', 'table') }}", tok)
		}
	}
	var firstErr error
	out := jinjaExpr.ReplaceAllStringFunc(template, func(expr string) string {
		if firstErr != nil {
			return ""
		}
		rel, err := resolveRef(jinjaExpr.FindStringSubmatch(expr)[1], m, d)
		if err != nil {
			firstErr = fmt.Errorf("%s: %w", strings.TrimSpace(expr), err)
		}
		return rel
	})
	if firstErr != nil {
		return "", firstErr
	}
	if strings.Contains(out, "{{") || strings.Contains(out, "}}") {
		return "", fmt.Errorf("unbalanced {{ }} in the query")
	}
	return stripSQL(out), nil
}

func resolveRef(inner string, m *dbt.Manifest, d warehouse.Dialect) (string, error) {
	call := refOrSrc.FindStringSubmatch(inner)
	if call == nil {
		return "", fmt.Errorf("only ref() and source() are supported inside {{ }}")
	}
	var args []string
	rest := call[2]
	for strings.TrimSpace(rest) != "" {
		a := stringArgs.FindStringSubmatchIndex(rest)
		if a == nil {
			return "", fmt.Errorf("%s() takes quoted names only, as in %s('name')", call[1], call[1])
		}
		g := stringArgs.FindStringSubmatch(rest)
		args = append(args, g[1]+g[2])
		rest = rest[a[1]:]
	}
	var n *dbt.Node
	switch {
	case call[1] == "ref" && (len(args) == 1 || len(args) == 2):
		name := strings.Join(args, ".")
		n = m.Lookup(name)
		if n == nil || n.ResourceType == dbt.Source {
			return "", fmt.Errorf("no model, seed or snapshot %q in the manifest", name)
		}
	case call[1] == "source" && len(args) == 2:
		name := args[0] + "." + args[1]
		n = m.Lookup(name)
		if n == nil || n.ResourceType != dbt.Source {
			return "", fmt.Errorf("no source %q in the manifest", name)
		}
	default:
		return "", fmt.Errorf("%s() takes %s", call[1], map[string]string{"ref": "one or two names", "source": "two names"}[call[1]])
	}
	return relationOf(d, n)
}
