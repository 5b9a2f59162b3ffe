package diff

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// DefaultBins is the reference's default number of bins.
const DefaultBins = 50

// HistogramParams are the parameters of a histogram diff.
type HistogramParams struct {
	Model      string `json:"model"`
	ColumnName string `json:"column_name"`
	NumBins    int    `json:"num_bins,omitempty"`
}

// HistogramResult bins a numeric or date column of both environments on
// the same edges (from the smaller min to the larger max of the two).
// Bin i holds values from BinEdges[i] (included) to BinEdges[i+1]
// (excluded, except for the last bin, which holds the max).
type HistogramResult struct {
	Model    string         `json:"model"`
	Column   string         `json:"column"`
	Kind     warehouse.Kind `json:"type"`
	Base     HistogramSide  `json:"base"`
	Current  HistogramSide  `json:"current"`
	Min      any            `json:"min"`
	Max      any            `json:"max"`
	BinEdges []any          `json:"bin_edges"`
	Labels   []string       `json:"labels"`
}

// HistogramSide is one environment's counts per bin, and its count of
// non-null values.
type HistogramSide struct {
	Counts []int64 `json:"counts"`
	Total  int64   `json:"total"`
}

// Histogram compares the distribution of a numeric or date column. Both
// sides' min and max come first (two queries at once), then both sides'
// bin counts (two queries at once).
func Histogram(ctx context.Context, e *Envs, p HistogramParams) (*HistogramResult, error) {
	bins := p.NumBins
	if bins <= 0 {
		bins = DefaultBins
	}
	m, bs, cs, err := e.columnSides(ctx, p.Model, p.ColumnName)
	if err != nil {
		return nil, err
	}
	sides := []*sideSelect{&bs, &cs}
	var kind warehouse.Kind
	var colName string
	for _, s := range sides {
		if s.rel == "" {
			continue
		}
		k := s.col.Kind
		if !k.Numeric() && !k.Temporal() {
			return nil, fmt.Errorf("column %s of %s is %s (%s): a histogram needs numbers or dates; use top-k for this column", s.col.Name, s.label, s.col.Type, k)
		}
		if kind == "" || k == warehouse.KindNumber || k == warehouse.KindDatetime {
			kind = k // a side that became non-integer (or a timestamp) sets the binning
		}
		colName = s.col.Name
	}
	if bs.rel != "" && cs.rel != "" && bs.col.Kind.Numeric() != cs.col.Kind.Numeric() {
		return nil, fmt.Errorf("column %s is %s in base and %s in current: the histograms cannot share bins", colName, bs.col.Type, cs.col.Type)
	}
	d := e.dialect()
	// x is the value binned: the number itself, or seconds since 1970.
	x := func(s *sideSelect) string {
		q := d.QuoteIdent(s.col.Name)
		if kind.Temporal() {
			return d.Epoch(q)
		}
		return q
	}

	res := &HistogramResult{Model: m.name, Column: colName, Kind: kind, BinEdges: []any{}, Labels: []string{}}
	type bounds struct {
		lo, hi       float64
		loRaw, hiRaw any
		ok           bool
	}
	var bnd [2]bounds
	g, gctx := newGroup(ctx)
	for i, s := range sides {
		if s.rel == "" {
			continue
		}
		g.Go(func() error {
			q := d.QuoteIdent(s.col.Name)
			_, r, err := warehouse.QueryRow(gctx, e.Warehouse, fmt.Sprintf("select min(%s), max(%s), min(%s), max(%s), count(%s) from %s", x(s), x(s), q, q, q, s.rel))
			if err != nil {
				return fmt.Errorf("histogram of %s: %w", s.label, err)
			}
			lo, ok1 := warehouse.Float64(r[0])
			hi, ok2 := warehouse.Float64(r[1])
			bnd[i] = bounds{lo, hi, r[2], r[3], ok1 && ok2}
			dst := &res.Base
			if i == 1 {
				dst = &res.Current
			}
			dst.Total = warehouse.Int64(r[4])
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var lo, hi float64
	have := false
	for _, b := range bnd {
		if !b.ok {
			continue
		}
		if !have || b.lo < lo {
			lo, res.Min = b.lo, b.loRaw
		}
		if !have || b.hi > hi {
			hi, res.Max = b.hi, b.hiRaw
		}
		have = true
	}
	res.Base.Counts, res.Current.Counts = []int64{}, []int64{}
	if !have { // no values on either side
		return res, nil
	}

	edges, width := binEdges(kind, lo, hi, bins)
	bins = len(edges) - 1
	for i := range bins {
		res.BinEdges = append(res.BinEdges, edgeValue(kind, edges[i]))
		res.Labels = append(res.Labels, edgeLabel(kind, edges[i])+" - "+edgeLabel(kind, edges[i+1]))
	}
	res.BinEdges = append(res.BinEdges, edgeValue(kind, edges[bins]))

	res.Base.Counts, res.Current.Counts = make([]int64, bins), make([]int64, bins)
	g, gctx = newGroup(ctx)
	for i, s := range sides {
		if s.rel == "" {
			continue
		}
		dst := res.Base.Counts
		if i == 1 {
			dst = res.Current.Counts
		}
		g.Go(func() error {
			bin := fmt.Sprintf("floor((%s - %s) / %s)", x(s), literal(lo), literal(width))
			_, rows, err := warehouse.QueryAll(gctx, e.Warehouse, fmt.Sprintf("select %s as bin, count(*) from %s where %s is not null group by %s",
				bin, s.rel, d.QuoteIdent(s.col.Name), bin))
			if err != nil {
				return fmt.Errorf("histogram of %s: %w", s.label, err)
			}
			for _, r := range rows {
				f, _ := warehouse.Float64(r[0])
				// The max lands on the last edge: it belongs to the last
				// bin; float rounding can push a value a bin off too.
				b := min(max(int(f), 0), bins-1)
				dst[b] += warehouse.Int64(r[1])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	e.step(1)
	return res, nil
}

const day = 86400.0

// binEdges chooses the edges: integers get whole-number bins (one per
// value when the range is small), dates whole days, others equal widths.
func binEdges(kind warehouse.Kind, lo, hi float64, bins int) (edges []float64, width float64) {
	switch kind {
	case warehouse.KindInteger, warehouse.KindDate:
		unit := 1.0
		if kind == warehouse.KindDate {
			unit = day
		}
		values := math.Round((hi-lo)/unit) + 1
		if values < float64(bins) {
			bins = int(values)
		}
		width = math.Ceil(values/float64(bins)) * unit
	default:
		width = (hi - lo) / float64(bins)
		if width == 0 {
			bins, width = 1, 1
		}
	}
	for i := 0; i <= bins; i++ {
		edges = append(edges, lo+float64(i)*width)
	}
	return edges, width
}

func edgeValue(kind warehouse.Kind, v float64) any {
	switch kind {
	case warehouse.KindInteger:
		return int64(v)
	case warehouse.KindDate, warehouse.KindDatetime:
		return time.Unix(0, 0).UTC().Add(time.Duration(v * float64(time.Second)))
	}
	return v
}

func edgeLabel(kind warehouse.Kind, v float64) string {
	switch kind {
	case warehouse.KindDate:
		return edgeValue(kind, v).(time.Time).Format(time.DateOnly)
	case warehouse.KindDatetime:
		return edgeValue(kind, v).(time.Time).Format(time.DateTime)
	case warehouse.KindInteger:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// literal writes a number for SQL: integers without a fraction, others in
// full precision.
func literal(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Changed reports whether the distributions differ.
func (r *HistogramResult) Changed() bool {
	return r.Base.Total != r.Current.Total || !slices.Equal(r.Base.Counts, r.Current.Counts)
}
