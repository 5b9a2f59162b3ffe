package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// ProfileParams are the parameters of a profile diff.
type ProfileParams struct {
	Model string `json:"model"`
	// Columns to profile; empty means all.
	Columns []string `json:"columns,omitempty"`
}

// ProfileResult profiles a model's columns in both environments. A side
// is null when the model is not in that environment's manifest.
type ProfileResult struct {
	Model   string          `json:"model"`
	Base    []ColumnProfile `json:"base"`
	Current []ColumnProfile `json:"current"`
}

// ColumnProfile is one column's statistics; the field names are those of
// the reference's profile table. Measures that do not apply to the type
// (average of a text) are null.
type ColumnProfile struct {
	ColumnName         string   `json:"column_name"`
	DataType           string   `json:"data_type"`
	RowCount           int64    `json:"row_count"`
	Nulls              int64    `json:"nulls"`
	NotNullProportion  *float64 `json:"not_null_proportion"`
	DistinctCount      *int64   `json:"distinct_count"`
	DistinctProportion *float64 `json:"distinct_proportion"`
	IsUnique           *bool    `json:"is_unique"`
	Min                any      `json:"min"`
	Max                any      `json:"max"`
	Avg                *float64 `json:"avg"`
	Median             *float64 `json:"median"`
}

// Profile profiles the columns of a model: one query per environment for
// all columns (the reference runs one per column per environment), both
// environments at once.
func Profile(ctx context.Context, e *Envs, p ProfileParams) (*ProfileResult, error) {
	m, err := e.resolveModel(p.Model, false)
	if err != nil {
		return nil, err
	}
	res := &ProfileResult{Model: m.name}
	e.describe("Profiling " + m.name)
	g, gctx := newGroup(ctx)
	for _, side := range []struct {
		rel, label string
		dst        *[]ColumnProfile
	}{{m.baseRel, "base " + m.name, &res.Base}, {m.currentRel, "current " + m.name, &res.Current}} {
		if side.rel == "" {
			continue
		}
		g.Go(func() error {
			prof, err := profileRelation(gctx, e.Warehouse, side.rel, side.label, p.Columns)
			*side.dst = prof
			e.step(1)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}

// profileRelation runs the one query profiling every chosen column.
func profileRelation(ctx context.Context, w warehouse.Warehouse, rel, label string, only []string) ([]ColumnProfile, error) {
	d := w.Dialect()
	all, err := columnsOf(ctx, w, rel, label)
	if err != nil {
		return nil, err
	}
	cols := all
	if len(only) > 0 {
		cols = nil
		for _, name := range only {
			c, ok := findColumn(all, name)
			if !ok {
				return nil, noColumn(name, label, all)
			}
			cols = append(cols, c)
		}
	}
	// Each measure is a select item; idx remembers where each column's
	// measures are (-1 when the measure does not apply to its type).
	type measures struct{ count, distinct, min, max, avg, median int }
	sel := []string{"count(*)"}
	add := func(expr string) int { sel = append(sel, expr); return len(sel) - 1 }
	idx := make([]measures, len(cols))
	for i, c := range cols {
		q := d.QuoteIdent(c.Name)
		ms := measures{count: add("count(" + q + ")"), distinct: -1, min: -1, max: -1, avg: -1, median: -1}
		if c.Kind != warehouse.KindUnknown { // some types (json) cannot be compared
			ms.distinct = add("count(distinct " + q + ")")
		}
		if c.Kind.Numeric() || c.Kind.Temporal() {
			ms.min, ms.max = add("min("+q+")"), add("max("+q+")")
		}
		if c.Kind.Numeric() {
			ms.avg, ms.median = add(d.CastFloat("avg("+q+")")), add(d.Median(q))
		}
		idx[i] = ms
	}
	_, row, err := warehouse.QueryRow(ctx, w, "select "+strings.Join(sel, ", ")+" from "+rel)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", label, err)
	}
	total := warehouse.Int64(row[0])
	out := make([]ColumnProfile, len(cols))
	ratio := func(n int64) *float64 {
		if total == 0 {
			return nil
		}
		return new(float64(n) / float64(total))
	}
	for i, c := range cols {
		ms := idx[i]
		notNull := warehouse.Int64(row[ms.count])
		cp := ColumnProfile{ColumnName: c.Name, DataType: c.Type, RowCount: total, Nulls: total - notNull,
			NotNullProportion: ratio(notNull)}
		if ms.distinct >= 0 {
			dc := warehouse.Int64(row[ms.distinct])
			cp.DistinctCount, cp.DistinctProportion = &dc, ratio(dc)
			// Unique as dbt-profiler has it: as many distinct values as
			// rows (so a column with a null is not unique).
			cp.IsUnique = new(dc == total)
		}
		if ms.min >= 0 {
			cp.Min, cp.Max = row[ms.min], row[ms.max]
		}
		if ms.avg >= 0 {
			if f, ok := warehouse.Float64(row[ms.avg]); ok {
				cp.Avg = &f
			}
			if f, ok := warehouse.Float64(row[ms.median]); ok {
				cp.Median = &f
			}
		}
		out[i] = cp
	}
	return out, nil
}

// Changed reports whether any measure of any column differs between the
// environments, or a column was added or removed.
func (r *ProfileResult) Changed() bool {
	if len(r.Base) != len(r.Current) {
		return true
	}
	for i := range r.Base {
		b, err1 := json.Marshal(r.Base[i])
		c, err2 := json.Marshal(r.Current[i])
		if err1 != nil || err2 != nil || !bytes.Equal(b, c) {
			return true
		}
	}
	return false
}
