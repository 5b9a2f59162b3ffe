package diff

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// DefaultTopK is the reference's default k.
const DefaultTopK = 10

// TopKParams are the parameters of a top-k diff.
type TopKParams struct {
	Model      string `json:"model"`
	ColumnName string `json:"column_name"`
	K          int    `json:"k,omitempty"`
}

// TopKResult holds the k most frequent non-null values of a column, ranked
// by their count in current (then in base), with both sides' counts.
// Values is the same list on both sides, as in the reference.
type TopKResult struct {
	Model   string   `json:"model"`
	Column  string   `json:"column"`
	Base    TopKSide `json:"base"`
	Current TopKSide `json:"current"`
}

// TopKSide is one environment's counts of the top values, its count of
// non-null values (valids) and of rows (total).
type TopKSide struct {
	Values []any   `json:"values"`
	Counts []int64 `json:"counts"`
	Valids int64   `json:"valids"`
	Total  int64   `json:"total"`
}

// sideSelect is a column of a model on one side, for the diffs that read
// one column of both sides.
type sideSelect struct {
	rel, label string
	col        warehouse.Column
}

// columnSides resolves a model and finds a column on each side; a side
// whose model is missing has an empty rel.
func (e *Envs) columnSides(ctx context.Context, name, column string) (m *model, base, current sideSelect, err error) {
	if m, err = e.resolveModel(name, false); err != nil {
		return nil, base, current, err
	}
	if strings.TrimSpace(column) == "" {
		return nil, base, current, fmt.Errorf("no column given: pass --column NAME")
	}
	base = sideSelect{rel: m.baseRel, label: "base " + m.name}
	current = sideSelect{rel: m.currentRel, label: "current " + m.name}
	g, gctx := newGroup(ctx)
	for _, s := range []*sideSelect{&base, &current} {
		if s.rel == "" {
			continue
		}
		g.Go(func() error {
			cols, err := columnsOf(gctx, e.Warehouse, s.rel, s.label)
			if err != nil {
				return err
			}
			c, ok := findColumn(cols, column)
			if !ok {
				return noColumn(column, s.label, cols)
			}
			s.col = c
			return nil
		})
	}
	return m, base, current, g.Wait()
}

// TopK compares the most frequent values of a column: one query groups
// both sides and joins the groups; a second, run at the same time, counts
// rows and non-null values.
func TopK(ctx context.Context, e *Envs, p TopKParams) (*TopKResult, error) {
	k := p.K
	if k <= 0 {
		k = DefaultTopK
	}
	m, bs, cs, err := e.columnSides(ctx, p.Model, p.ColumnName)
	if err != nil {
		return nil, err
	}
	d := e.dialect()
	// Values compare as they are, unless the column changed kind between
	// the sides or has a type without equality: then as text.
	asText := (bs.rel != "" && cs.rel != "" && needsText(bs.col.Kind, cs.col.Kind)) ||
		bs.col.Kind == warehouse.KindUnknown || cs.col.Kind == warehouse.KindUnknown
	group := func(s sideSelect) string {
		if s.rel == "" { // the model is missing on this side: no values
			return "select null as v, 0 as n where 1 = 0"
		}
		v := d.QuoteIdent(s.col.Name)
		if asText {
			v = d.CastText(v)
		}
		return fmt.Sprintf("select %s as v, count(*) as n from %s where %s is not null group by %s", v, s.rel, d.QuoteIdent(s.col.Name), v)
	}
	sql := fmt.Sprintf(`with b as (%s), c as (%s)
select coalesce(c.v, b.v) as v, coalesce(b.n, 0) as base_n, coalesce(c.n, 0) as current_n
from c full outer join b on c.v = b.v
order by current_n desc, base_n desc, v
limit %d`, group(bs), group(cs), k)

	res := &TopKResult{Model: m.name, Column: p.ColumnName}
	if cs.col.Name != "" {
		res.Column = cs.col.Name
	} else if bs.col.Name != "" {
		res.Column = bs.col.Name
	}
	var rows [][]any
	g, gctx := newGroup(ctx)
	g.Go(func() (err error) {
		_, rows, err = warehouse.QueryAll(gctx, e.Warehouse, sql)
		if err != nil {
			return fmt.Errorf("top-k of %s.%s: %w", m.name, p.ColumnName, err)
		}
		return nil
	})
	for _, side := range []struct {
		s   sideSelect
		dst *TopKSide
	}{{bs, &res.Base}, {cs, &res.Current}} {
		if side.s.rel == "" {
			continue
		}
		g.Go(func() error {
			_, r, err := warehouse.QueryRow(gctx, e.Warehouse, fmt.Sprintf("select count(*), count(%s) from %s", d.QuoteIdent(side.s.col.Name), side.s.rel))
			if err != nil {
				return fmt.Errorf("count %s: %w", side.s.label, err)
			}
			side.dst.Total, side.dst.Valids = warehouse.Int64(r[0]), warehouse.Int64(r[1])
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res.Base.Values, res.Current.Values = []any{}, []any{}
	res.Base.Counts, res.Current.Counts = []int64{}, []int64{}
	for _, r := range rows {
		res.Base.Values = append(res.Base.Values, r[0])
		res.Current.Values = append(res.Current.Values, r[0])
		res.Base.Counts = append(res.Base.Counts, warehouse.Int64(r[1]))
		res.Current.Counts = append(res.Current.Counts, warehouse.Int64(r[2]))
	}
	return res, nil
}

// Changed reports whether the counts (of the top values, of non-null
// values or of rows) differ between the environments.
func (r *TopKResult) Changed() bool {
	return r.Base.Valids != r.Current.Valids || r.Base.Total != r.Current.Total || !slices.Equal(r.Base.Counts, r.Current.Counts)
}
