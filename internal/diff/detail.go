package diff

import (
	"context"
	"fmt"
	"strings"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// DefaultDetailLimit is how many differing keys a value detail shows by
// default, as the reference does.
const DefaultDetailLimit = 1000

// ValueDetailParams are the parameters of a value detail.
type ValueDetailParams struct {
	ValueParams
	// Limit is the most differing keys returned (default 1000).
	Limit int `json:"limit,omitempty"`
}

// ValueDetailResult lists the rows that differ, ordered by key.
type ValueDetailResult struct {
	Model      string   `json:"model"`
	PrimaryKey []string `json:"primary_key"`
	// Columns are the key columns then the compared columns; Base and
	// Current of each row hold their values in this order.
	Columns []warehouse.Column `json:"columns"`
	Rows    []DetailRow        `json:"rows"`
	Limit   int                `json:"limit"`
	// More is true when more keys differ than Limit, or than fit in the
	// byte cap of a result.
	More bool `json:"more"`
	// Truncated is true when rows were left out at the byte cap of a
	// result (warehouse.Limits.MaxBytes).
	Truncated bool `json:"truncated,omitempty"`
}

// DetailRow is one differing key: added (only Current), removed (only
// Base) or modified (both, with the columns that differ).
type DetailRow struct {
	Status  string   `json:"status"` // added, removed, modified
	Key     []any    `json:"key"`
	Base    []any    `json:"base"`
	Current []any    `json:"current"`
	Changed []string `json:"changed,omitempty"`
}

// Changed reports whether any row differs.
func (r *ValueDetailResult) Changed() bool { return len(r.Rows) > 0 }

// Row statuses of a value detail.
const (
	RowAdded    = "added"
	RowRemoved  = "removed"
	RowModified = "modified"
)

// Table is a result set in the reference's DataFrame shape: columns with a
// kind, rows of values, the row cap and whether rows were left out. Total,
// when known, is the number of rows before the cap.
type Table struct {
	Columns []warehouse.Column `json:"columns"`
	Data    [][]any            `json:"data"`
	Limit   int                `json:"limit,omitempty"`
	More    bool               `json:"more"`
	// Truncated is true when rows were left out at the byte cap of a
	// result (warehouse.Limits.MaxBytes); More is then true as well.
	Truncated bool   `json:"truncated,omitempty"`
	Total     *int64 `json:"total,omitempty"`
}

// DataFrame gives the rows in the reference's shape: one row per version,
// a modified key as its base row then its current row, with in_a (in base)
// and in_b (in current) flags.
func (r *ValueDetailResult) DataFrame() *Table {
	t := &Table{Columns: append(append([]warehouse.Column{}, r.Columns...),
		warehouse.Column{Name: "in_a", Kind: warehouse.KindBoolean},
		warehouse.Column{Name: "in_b", Kind: warehouse.KindBoolean}),
		Data: [][]any{}, Limit: r.Limit, More: r.More, Truncated: r.Truncated}
	for _, row := range r.Rows {
		if row.Base != nil {
			t.Data = append(t.Data, append(append([]any{}, row.Base...), true, false))
		}
		if row.Current != nil {
			t.Data = append(t.Data, append(append([]any{}, row.Current...), false, true))
		}
	}
	return t
}

// ValueDetail lists the rows whose key was added or removed or whose
// values changed, base and current side by side, ordered by key: one query
// over the full outer join, like the value diff, filtered to differences.
func ValueDetail(ctx context.Context, e *Envs, p ValueDetailParams) (*ValueDetailResult, error) {
	m, plan, err := e.planModel(ctx, p.ValueParams)
	if err != nil {
		return nil, err
	}
	e.describe("Value detail: checking the primary key")
	if err := plan.checkKeys(ctx); err != nil {
		return nil, err
	}
	e.describe("Value detail: listing differences")
	res, err := plan.detail(ctx, p.Limit)
	if err != nil {
		return nil, err
	}
	res.Model = m.name
	return res, nil
}

// detail fetches up to limit differing keys.
func (p *keyedPlan) detail(ctx context.Context, limit int) (*ValueDetailResult, error) {
	if limit <= 0 {
		limit = DefaultDetailLimit
	}
	all := append(append([]pairCol{}, p.keys...), p.compare...)
	var sel, order []string
	for _, pc := range all {
		b, c := "b."+p.d.QuoteIdent(pc.base.Name), "c."+p.d.QuoteIdent(pc.current.Name)
		sel = append(sel, b, c)
	}
	for _, k := range p.keys {
		b, c := p.sides(k)
		order = append(order, "coalesce("+b+", "+c+")")
	}
	for _, pc := range p.compare {
		sel = append(sel, "case when "+p.equal(pc)+" then 0 else 1 end")
	}
	sel = append(sel, "case when "+p.inBase()+" then 1 else 0 end", "case when "+p.inCurrent()+" then 1 else 0 end")
	sql := fmt.Sprintf("select %s\nfrom %s\nwhere not (%s and %s) or not %s\norder by %s\nlimit %d",
		strings.Join(sel, ", "), p.join(), p.inBase(), p.inCurrent(), p.allEqual(), strings.Join(order, ", "), limit+1)
	fetched, err := warehouse.Fetch(ctx, p.w, sql)
	if err != nil {
		return nil, fmt.Errorf("value detail of %s and %s: %w", p.base.label, p.current.label, err)
	}
	rows := fetched.Rows
	res := &ValueDetailResult{PrimaryKey: p.keyNames(), Rows: []DetailRow{}, Limit: limit}
	for _, pc := range all {
		res.Columns = append(res.Columns, pc.current)
	}
	if len(rows) > limit {
		rows, res.More = rows[:limit], true
	}
	if fetched.Truncated {
		res.More, res.Truncated = true, true
	}
	n, nk := len(all), len(p.keys)
	for _, r := range rows {
		inB, inC := warehouse.Int64(r[2*n+len(p.compare)]) == 1, warehouse.Int64(r[2*n+len(p.compare)+1]) == 1
		row := DetailRow{}
		var base, cur []any
		for i := range all {
			base, cur = append(base, r[2*i]), append(cur, r[2*i+1])
		}
		switch {
		case inB && inC:
			row.Status, row.Base, row.Current, row.Key = RowModified, base, cur, cur[:nk]
			for i, pc := range p.compare {
				if warehouse.Int64(r[2*n+i]) == 1 {
					row.Changed = append(row.Changed, pc.name)
				}
			}
		case inB:
			row.Status, row.Base, row.Key = RowRemoved, base, base[:nk]
		default:
			row.Status, row.Current, row.Key = RowAdded, cur, cur[:nk]
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}
