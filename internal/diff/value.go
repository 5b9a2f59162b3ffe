package diff

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// ValueParams are the parameters of a value diff (and of a value detail).
// Their JSON names are the reference's check params.
type ValueParams struct {
	Model string `json:"model"`
	// PrimaryKey is inferred from the manifest when empty (see
	// InferPrimaryKey).
	PrimaryKey Keys `json:"primary_key,omitempty"`
	// Columns to compare; empty means every column present on both sides.
	Columns []string `json:"columns,omitempty"`
}

// ValueResult is a value diff: how many rows were added, removed,
// modified, and how well each column matches.
type ValueResult struct {
	Model      string        `json:"model"`
	PrimaryKey []string      `json:"primary_key"`
	Summary    ValueSummary  `json:"summary"`
	Columns    []ColumnMatch `json:"columns"`
	// Columns present on one side only are not compared; they are listed
	// here.
	ColumnsOnlyInBase    []string `json:"columns_only_in_base,omitempty"`
	ColumnsOnlyInCurrent []string `json:"columns_only_in_current,omitempty"`
}

// ValueSummary counts rows by key. Total counts the union of keys.
type ValueSummary struct {
	Total     int64 `json:"total"`
	Added     int64 `json:"added"`
	Removed   int64 `json:"removed"`
	Modified  int64 `json:"modified"`
	Unchanged int64 `json:"unchanged"`
}

// ColumnMatch is one column's comparison over the rows present on both
// sides. MatchedP is Matched divided by those rows, nil when there are
// none. Two nulls match.
type ColumnMatch struct {
	Name       string   `json:"name"`
	Matched    int64    `json:"matched"`
	Mismatched int64    `json:"mismatched"`
	MatchedP   *float64 `json:"matched_p"`
}

// Changed reports whether the value diff found any difference.
func (r *ValueResult) Changed() bool {
	return r.Summary.Added > 0 || r.Summary.Removed > 0 || r.Summary.Modified > 0
}

// source is what one side of a keyed diff selects from: a relation, or a
// query in parentheses.
type source struct {
	from  string // SQL usable after FROM (a relation or "(select ...)")
	label string // for errors: "base customers"
}

// pairCol is a column present on both sides, with each side's spelling.
type pairCol struct {
	name          string // the name shown (current side's)
	base, current warehouse.Column
}

// keyedPlan is a diff of two sources joined on a key: the SQL of the key
// check, the summary and the detail are all built from it.
type keyedPlan struct {
	w                     warehouse.Warehouse
	d                     warehouse.Dialect
	base, current         source
	keys                  []pairCol
	compare               []pairCol
	onlyBase, onlyCurrent []string
}

// planKeyed reads both sides' columns and pairs them. columns limits the
// compared columns; empty means all those present on both sides.
func planKeyed(ctx context.Context, w warehouse.Warehouse, base, current source, keys, columns []string) (*keyedPlan, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("no primary key")
	}
	var baseCols, curCols []warehouse.Column
	g, gctx := newGroup(ctx)
	g.Go(func() (err error) { baseCols, err = columnsOf(gctx, w, base.from, base.label); return err })
	g.Go(func() (err error) { curCols, err = columnsOf(gctx, w, current.from, current.label); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p := &keyedPlan{w: w, d: w.Dialect(), base: base, current: current}
	pair := func(name string) (pairCol, error) {
		b, okB := findColumn(baseCols, name)
		c, okC := findColumn(curCols, name)
		switch {
		case !okB && !okC:
			return pairCol{}, noColumn(name, base.label+" nor in "+current.label, curCols)
		case !okB:
			return pairCol{}, noColumn(name, base.label+" (it is only in current)", baseCols)
		case !okC:
			return pairCol{}, noColumn(name, current.label+" (it is only in base)", curCols)
		}
		return pairCol{name: c.Name, base: b, current: c}, nil
	}
	isKey := map[string]bool{}
	for _, k := range keys {
		pc, err := pair(k)
		if err != nil {
			return nil, fmt.Errorf("primary key: %w", err)
		}
		p.keys = append(p.keys, pc)
		isKey[strings.ToLower(pc.name)] = true
	}
	if len(columns) > 0 {
		for _, name := range columns {
			pc, err := pair(name)
			if err != nil {
				return nil, err
			}
			if !isKey[strings.ToLower(pc.name)] {
				p.compare = append(p.compare, pc)
			}
		}
		return p, nil
	}
	for _, b := range baseCols {
		c, ok := findColumn(curCols, b.Name)
		switch {
		case !ok:
			p.onlyBase = append(p.onlyBase, b.Name)
		case !isKey[strings.ToLower(c.Name)]:
			p.compare = append(p.compare, pairCol{name: c.Name, base: b, current: c})
		}
	}
	for _, c := range curCols {
		if _, ok := findColumn(baseCols, c.Name); !ok {
			p.onlyCurrent = append(p.onlyCurrent, c.Name)
		}
	}
	return p, nil
}

// sides returns the SQL of a column on each side of the join (aliases b
// and c), both cast to text when needsText says so.
func (p *keyedPlan) sides(pc pairCol) (b, c string) {
	b, c = "b."+p.d.QuoteIdent(pc.base.Name), "c."+p.d.QuoteIdent(pc.current.Name)
	if needsText(pc.base.Kind, pc.current.Kind) {
		b, c = p.d.CastText(b), p.d.CastText(c)
	}
	return b, c
}

func (p *keyedPlan) equal(pc pairCol) string {
	b, c := p.sides(pc)
	return p.d.NullSafeEqual(b, c)
}

// presence is the name of a constant column added to each side, so that
// a side's presence in a joined row is known even when its key is null.
const presence = "recce__in"

// needsText reports whether values of two kinds compare as text: when the
// kinds differ (a column retyped from number to text still compares
// instead of failing), or when a type is unknown (PostgreSQL's json has no
// equality, nested types may lack one).
func needsText(a, b warehouse.Kind) bool {
	if a == warehouse.KindUnknown || b == warehouse.KindUnknown {
		return true
	}
	return a != b && !(a.Numeric() && b.Numeric())
}

// join is the FROM clause joining the sides on the key. Keys are checked
// unique and not null (see summary and checkKeys), so plain equality is
// right (and lets the engine hash).
func (p *keyedPlan) join() string {
	var on []string
	for _, k := range p.keys {
		b, c := p.sides(k)
		on = append(on, b+" = "+c)
	}
	side := func(from string) string {
		return "(select 1 as " + p.d.QuoteIdent(presence) + ", q.* from " + from + " q)"
	}
	return side(p.base.from) + " b full outer join " + side(p.current.from) + " c on " + strings.Join(on, " and ")
}

func (p *keyedPlan) inBase() string    { return "b." + p.d.QuoteIdent(presence) + " is not null" }
func (p *keyedPlan) inCurrent() string { return "c." + p.d.QuoteIdent(presence) + " is not null" }

// keyExpr is one expression standing for a side's key: the column itself,
// or a hash of the columns of a composite key.
func (p *keyedPlan) keyExpr(alias string, base bool) string {
	cols := make([]string, len(p.keys))
	for i, k := range p.keys {
		c := k.current
		if base {
			c = k.base
		}
		cols[i] = alias + "." + p.d.QuoteIdent(c.Name)
	}
	if len(cols) == 1 {
		return cols[0]
	}
	return p.d.Hash(cols...)
}

// anyKeyNull is true when a side's row has a null in a key column.
func (p *keyedPlan) anyKeyNull(alias string, base bool) string {
	var parts []string
	for _, k := range p.keys {
		c := k.current
		if base {
			c = k.base
		}
		parts = append(parts, alias+"."+p.d.QuoteIdent(c.Name)+" is null")
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

// allEqual is true when every compared column matches.
func (p *keyedPlan) allEqual() string {
	if len(p.compare) == 0 {
		return "1 = 1"
	}
	eqs := make([]string, len(p.compare))
	for i, pc := range p.compare {
		eqs[i] = p.equal(pc)
	}
	return "(" + strings.Join(eqs, " and ") + ")"
}

func (p *keyedPlan) keyNames() []string {
	out := make([]string, len(p.keys))
	for i, k := range p.keys {
		out[i] = k.name
	}
	return out
}

// KeyError is a primary key that is not unique or has nulls on a side.
type KeyError struct {
	Side       string   // "base customers"
	Key        []string // column names
	Offenders  int64    // how many key values are duplicated or null
	Examples   [][]any  // a few offending key values
	ExampleNum []int64  // rows per example
}

func (e *KeyError) Error() string {
	var ex []string
	for i, vals := range e.Examples {
		var parts []string
		for j, v := range vals {
			parts = append(parts, e.Key[j]+"="+formatKeyValue(v))
		}
		ex = append(ex, fmt.Sprintf("%s (%d rows)", strings.Join(parts, ", "), e.ExampleNum[i]))
	}
	return fmt.Sprintf("primary key (%s) is not unique and not null in %s: %d offending key values, e.g. %s; pass the columns that identify a row with --primary-key",
		strings.Join(e.Key, ", "), e.Side, e.Offenders, strings.Join(ex, "; "))
}

func formatKeyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// checkKeys verifies, on both sides at once, that the key is unique and
// never null. Duplicated keys would multiply rows in the join and make
// every count wrong.
func (p *keyedPlan) checkKeys(ctx context.Context) error {
	const examples = 5
	check := func(ctx context.Context, src source, cols []warehouse.Column) error {
		q := quoteList(p.d, "q.", columnNames(cols))
		var nulls []string
		for _, k := range q {
			nulls = append(nulls, k+" is null")
		}
		sql := fmt.Sprintf("select %s, count(*) as n, count(*) over () as offenders from %s q group by %s having count(*) > 1 or %s order by n desc limit %d",
			strings.Join(q, ", "), src.from, strings.Join(q, ", "), strings.Join(nulls, " or "), examples)
		_, rows, err := warehouse.QueryAll(ctx, p.w, sql)
		if err != nil {
			return fmt.Errorf("check the primary key of %s: %w", src.label, err)
		}
		if len(rows) == 0 {
			return nil
		}
		ke := &KeyError{Side: src.label, Key: columnNames(cols), Offenders: warehouse.Int64(rows[0][len(cols)+1])}
		for _, r := range rows {
			ke.Examples = append(ke.Examples, r[:len(cols)])
			ke.ExampleNum = append(ke.ExampleNum, warehouse.Int64(r[len(cols)]))
		}
		return ke
	}
	var bk, ck []warehouse.Column
	for _, k := range p.keys {
		bk, ck = append(bk, k.base), append(ck, k.current)
	}
	// Both sides at once; base's error first when both fail, so that the
	// message does not depend on which query finished first.
	var errs [2]error
	g := &group{new(errgroup.Group)}
	g.Go(func() error { errs[0] = check(ctx, p.base, bk); return nil })
	g.Go(func() error { errs[1] = check(ctx, p.current, ck); return nil })
	_ = g.Wait()
	if errs[0] != nil {
		return errs[0]
	}
	return errs[1]
}

// summary runs the one query that counts added, removed and modified rows
// and each column's mismatches, and validates the key in the same pass,
// which costs next to nothing more than the join (a separate key check
// costs a hash aggregation per side, as much as the join itself):
//
//   - a null key on a side shows as a present row with a null key;
//   - a key duplicated on one side and present on the other multiplies
//     joined rows: the rows joined from the other side then outnumber
//     that side's table (counted at the same time, free in DuckDB);
//   - a key duplicated on one side only is an added or removed row
//     counted twice: the distinct count of added (removed) keys, over
//     those rows only, is smaller.
//
// When the key is not valid the counts are wrong, and checkKeys runs to
// name offending keys.
func (p *keyedPlan) summary(ctx context.Context) (ValueSummary, []ColumnMatch, error) {
	both := p.inBase() + " and " + p.inCurrent()
	sel := []string{
		"count(*)",
		"count(case when not (" + p.inBase() + ") then 1 end)",
		"count(case when not (" + p.inCurrent() + ") then 1 end)",
		"count(case when " + both + " and not " + p.allEqual() + " then 1 end)",
		// key validation, see above
		"count(case when " + p.inBase() + " then 1 end)",
		"count(case when " + p.inCurrent() + " then 1 end)",
		"count(case when " + p.inBase() + " and " + p.anyKeyNull("b", true) + " then 1 end)",
		"count(case when " + p.inCurrent() + " and " + p.anyKeyNull("c", false) + " then 1 end)",
		"count(distinct case when not (" + p.inBase() + ") then " + p.keyExpr("c", false) + " end)",
		"count(distinct case when not (" + p.inCurrent() + ") then " + p.keyExpr("b", true) + " end)",
	}
	const first = 10 // first per-column item
	for _, pc := range p.compare {
		sel = append(sel, "count(case when "+both+" and not "+p.equal(pc)+" then 1 end)")
	}
	sql := "select " + strings.Join(sel, ",\n  ") + "\nfrom " + p.join()
	var row []any
	var rowsB, rowsC int64
	g, gctx := newGroup(ctx)
	g.Go(func() (err error) {
		_, row, err = warehouse.QueryRow(gctx, p.w, sql)
		if err != nil {
			return fmt.Errorf("value diff of %s and %s: %w", p.base.label, p.current.label, err)
		}
		return nil
	})
	for _, side := range []struct {
		src source
		dst *int64
	}{{p.base, &rowsB}, {p.current, &rowsC}} {
		g.Go(func() error {
			_, r, err := warehouse.QueryRow(gctx, p.w, "select count(*) from "+side.src.from+" q")
			if err != nil {
				return fmt.Errorf("count rows of %s: %w", side.src.label, err)
			}
			*side.dst = warehouse.Int64(r[0])
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ValueSummary{}, nil, err
	}
	s := ValueSummary{Total: warehouse.Int64(row[0]), Added: warehouse.Int64(row[1]),
		Removed: warehouse.Int64(row[2]), Modified: warehouse.Int64(row[3])}
	valid := warehouse.Int64(row[4]) == rowsB && warehouse.Int64(row[5]) == rowsC &&
		warehouse.Int64(row[6]) == 0 && warehouse.Int64(row[7]) == 0 &&
		warehouse.Int64(row[8]) == s.Added && warehouse.Int64(row[9]) == s.Removed
	if !valid {
		if err := p.checkKeys(ctx); err != nil {
			return ValueSummary{}, nil, err
		}
		return ValueSummary{}, nil, fmt.Errorf("primary key (%s) of %s and %s: the join's counts show duplicated or null keys, but the key check found none; was the data changing during the diff?",
			strings.Join(p.keyNames(), ", "), p.base.label, p.current.label)
	}
	common := s.Total - s.Added - s.Removed
	s.Unchanged = common - s.Modified
	cols := make([]ColumnMatch, len(p.compare))
	for i, pc := range p.compare {
		mm := warehouse.Int64(row[first+i])
		cols[i] = ColumnMatch{Name: pc.name, Matched: common - mm, Mismatched: mm}
		if common > 0 {
			cols[i].MatchedP = new(float64(common-mm) / float64(common))
		}
	}
	return s, cols, nil
}

// Value runs a value diff: one query over the full outer join of base and
// current for all columns, which also checks that the key is unique and
// not null on both sides (an error names offending keys).
func Value(ctx context.Context, e *Envs, p ValueParams) (*ValueResult, error) {
	e.describe("Value diff: reading columns")
	m, plan, err := e.planModel(ctx, p)
	if err != nil {
		return nil, err
	}
	// The key is validated by the summary query itself.
	e.describe("Value diff: comparing")
	s, cols, err := plan.summary(ctx)
	if err != nil {
		return nil, err
	}
	e.step(1)
	return &ValueResult{Model: m.name, PrimaryKey: plan.keyNames(), Summary: s, Columns: cols,
		ColumnsOnlyInBase: plan.onlyBase, ColumnsOnlyInCurrent: plan.onlyCurrent}, nil
}

// planModel resolves a model on both sides, its key (given or inferred)
// and the columns to compare.
func (e *Envs) planModel(ctx context.Context, p ValueParams) (*model, *keyedPlan, error) {
	m, err := e.resolveModel(p.Model, true)
	if err != nil {
		return nil, nil, err
	}
	keys, err := e.primaryKey(p.Model, p.PrimaryKey)
	if err != nil {
		return nil, nil, err
	}
	plan, err := planKeyed(ctx, e.Warehouse, source{m.baseRel, "base " + m.name}, source{m.currentRel, "current " + m.name}, keys, p.Columns)
	return m, plan, err
}

// primaryKey returns the given key or infers one.
func (e *Envs) primaryKey(model string, given []string) ([]string, error) {
	var keys []string
	for _, k := range given {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		return keys, nil
	}
	if k := InferPrimaryKey(e.Current, e.Base, model); len(k) > 0 {
		return k, nil
	}
	return nil, fmt.Errorf("no primary key for %s: pass --primary-key COLUMN[,COLUMN], or declare one in the project (primary_key or a unique_key config, or unique and not_null tests on a column)", model)
}
