package columnlineage

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// kind is what a column is, while following it through a statement.
type kind uint8

const (
	kDirect  kind = iota // a chain of bare references to upstream columns
	kDerived             // computed
	kSource              // no upstream column
	kUnknown             // could not be followed
)

// col is a column of a relation in scope: a node's column, or an output
// column of a CTE, subquery or the statement itself. Immutable once built,
// so relations share them.
type col struct {
	name    string
	up      []ColumnRef
	kind    kind
	hash    uint64
	unnamed bool // an expression without alias: its name is the warehouse's
	lit     bool // a constant: the same on every row
}

// rel is a relation in a FROM clause, or the result of a query.
type rel struct {
	alias  string   // lower-case name that qualifies its columns
	names  []string // further lower-case qualified names (schema.table...)
	cols   []*col
	byName map[string]*col
	// open, when set, answers for columns beyond cols: the relation's
	// columns are not all known (a table without catalog entry, a table
	// function, a SELECT * over such).
	open func(name string) *col
	// fallback answers for a column a node's catalog lacks, when nothing
	// else has it: catalogs go stale.
	fallback func(name string) *col
	hidden   bool            // the right side of a semi or anti join: not in *
	skip     map[string]bool // lower names left out of an unqualified * (USING)

	rowHash    uint64
	rowDeps    []ColumnRef // upstream columns that decide which rows there are
	rowUnknown bool        // some of those could not be followed
	sig        signature
}

func (x *rel) answers(q string) bool {
	return x.alias == q || slices.Contains(x.names, q)
}

// known returns a column the relation is known to have.
func (x *rel) known(name string) *col {
	if len(x.cols) > 12 {
		if x.byName == nil {
			x.byName = make(map[string]*col, len(x.cols))
			for _, c := range x.cols {
				if _, dup := x.byName[lower(c.name)]; !dup {
					x.byName[lower(c.name)] = c
				}
			}
		}
		return x.byName[lower(name)]
	}
	for _, c := range x.cols {
		if equalFold(c.name, name) {
			return c
		}
	}
	return nil
}

func (x *rel) get(name string) *col {
	if c := x.known(name); c != nil {
		return c
	}
	if x.open != nil {
		return x.open(name)
	}
	return nil
}

// aliased is a relation under another name, with its columns renamed by
// position when aliases are given.
func aliased(x *rel, alias string, colAliases []string) *rel {
	y := *x
	y.alias, y.names, y.skip, y.hidden = lower(alias), nil, nil, false
	if len(colAliases) > 0 {
		y.byName = nil
		y.cols = make([]*col, len(x.cols))
		copy(y.cols, x.cols)
		for i, a := range colAliases {
			if i < len(y.cols) {
				c := *y.cols[i]
				c.name, c.unnamed = a, false
				y.cols[i] = &c
			}
		}
	}
	return &y
}

// scope is what names resolve against.
type scope struct {
	rels   []*rel
	outer  *scope
	items  []*col // select items so far: aliases are visible after the FROM columns
	lambda []string
	ctes   *cteEnv
}

type cteEnv struct {
	name string
	res  *rel
	next *cteEnv
}

// resolver follows one statement.
type resolver struct {
	index *relationIndex
	// nodeCols returns a node's columns, and false when they are unknown.
	nodeCols func(id string) ([]*col, bool)
	// ephemeral maps the CTE names dbt gives ephemeral models
	// (__dbt__cte__name, lower-case) to their node.
	ephemeral map[string]string
	parents   []string // the model's depends_on nodes
	depth     int
}

// maxDepth bounds nesting (subqueries in subqueries...): the tree comes from
// untrusted SQL.
const maxDepth = 400

type tooDeep struct{}

func directCol(id, name string) *col {
	h := newHash("col")
	h.str(id)
	h.fold(name)
	return &col{name: name, up: []ColumnRef{{Node: id, Column: name}}, kind: kDirect, hash: h.sum()}
}

func unknownCol(name string) *col {
	h := newHash("unknown")
	h.fold(name)
	return &col{name: name, kind: kUnknown, hash: h.sum()}
}

func constCol(tag, name string) *col {
	h := newHash(tag)
	h.fold(name)
	return &col{name: name, kind: kSource, hash: h.sum()}
}

func (r *resolver) nodeRel(id string) *rel {
	x := &rel{rowHash: hashOf("node", id)}
	x.sig.Relations = []string{id}
	if cols, ok := r.nodeCols(id); ok {
		x.cols = cols
		x.fallback = func(name string) *col { return directCol(id, name) }
	} else {
		x.open = func(name string) *col { return directCol(id, name) }
	}
	return x
}

func hashOf(tag, s string) uint64 {
	h := newHash(tag)
	h.str(s)
	return h.sum()
}

// table resolves a named relation: a CTE, a node, or a relation outside
// the graph.
func (r *resolver) table(t *Table, sc *scope) *rel {
	alias := t.Alias
	if alias == "" && len(t.Parts) > 0 {
		alias = t.Parts[len(t.Parts)-1]
	}
	if len(t.Parts) == 1 {
		name := lower(t.Parts[0])
		for e := sc.ctes; e != nil; e = e.next {
			if e.name == name {
				return aliased(e.res, alias, t.ColumnAliases)
			}
		}
	}
	var x *rel
	if id := r.index.match(t.Parts, r.parents); id != "" {
		x = r.nodeRel(id)
	} else {
		full := lower(strings.Join(t.Parts, "."))
		x = &rel{rowHash: hashOf("outside", full)}
		x.sig.Relations = []string{full}
		x.open = func(name string) *col { return constCol("outside:"+full, name) }
	}
	x = aliased(x, alias, t.ColumnAliases)
	if t.Alias == "" {
		for i := 0; i < len(t.Parts)-1; i++ {
			x.names = append(x.names, lower(strings.Join(t.Parts[i:], ".")))
		}
	}
	return x
}

// ref resolves a column reference: the column and the struct fields after it.
func (r *resolver) ref(parts []string, sc *scope) (*col, []string) {
	for s := sc; s != nil; s = s.outer {
		if slices.ContainsFunc(s.lambda, func(p string) bool { return equalFold(p, parts[0]) }) {
			return constCol("lambda", parts[0]), parts[1:]
		}
		if c, rest := s.find(parts); c != nil {
			return c, rest
		}
	}
	if niladic[lower(parts[0])] {
		return constCol("niladic", parts[0]), parts[1:]
	}
	for s := sc; s != nil; s = s.outer {
		var fb []*rel
		for _, x := range s.rels {
			if x.fallback != nil && !x.hidden {
				fb = append(fb, x)
			}
		}
		if len(fb) == 1 {
			return fb[0].fallback(parts[0]), parts[1:]
		}
	}
	return nil, nil
}

func (s *scope) find(parts []string) (*col, []string) {
	for i := len(parts) - 1; i >= 1; i-- {
		q := lower(strings.Join(parts[:i], "."))
		for _, x := range s.rels {
			if !x.answers(q) {
				continue
			}
			if c := x.get(parts[i]); c != nil {
				return c, parts[i+1:]
			}
			if x.fallback != nil {
				return x.fallback(parts[i]), parts[i+1:]
			}
			return unknownCol(parts[i]), parts[i+1:]
		}
	}
	name := parts[0]
	for _, x := range s.rels {
		if c := x.known(name); c != nil {
			return c, parts[1:]
		}
	}
	for _, c := range s.items {
		if equalFold(c.name, name) {
			return c, parts[1:]
		}
	}
	if len(parts) == 1 && niladic[lower(name)] && !dateParts[lower(name)] {
		return nil, nil // current_date and the like, unless a relation has such a column
	}
	var open *rel
	for _, x := range s.rels {
		if x.open == nil {
			continue
		}
		if open != nil {
			return unknownCol(name), parts[1:] // ambiguous
		}
		open = x
	}
	if open != nil {
		return open.open(name), parts[1:]
	}
	return nil, nil
}

// val is what an expression computes from.
type val struct {
	hash uint64
	up   []ColumnRef
	kind kind
	agg  bool // calls an aggregate outside a window
}

// acc accumulates the inputs of an expression.
type acc struct {
	up      []ColumnRef
	unknown bool
	agg     bool
}

func (a *acc) add(v val) {
	a.up = addRefs(a.up, v.up)
	a.unknown = a.unknown || v.kind == kUnknown
	a.agg = a.agg || v.agg
}

func (a *acc) addCol(c *col) {
	a.up = addRefs(a.up, c.up)
	a.unknown = a.unknown || c.kind == kUnknown
}

func (a *acc) kind() kind {
	switch {
	case a.unknown:
		return kUnknown
	case len(a.up) > 0:
		return kDerived
	}
	return kSource
}

func (a *acc) val(hash uint64) val {
	return val{hash: hash, up: a.up, kind: a.kind(), agg: a.agg}
}

// addRefs appends the refs of src that dst lacks.
func addRefs(dst, src []ColumnRef) []ColumnRef {
	if len(dst) == 0 {
		return src // shared: never appended to in place (see below)
	}
	var out []ColumnRef
	for _, s := range src {
		if slices.Contains(dst, s) || slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return dst
	}
	// Copy: dst may be shared with a column.
	merged := make([]ColumnRef, 0, len(dst)+len(out))
	return append(append(merged, dst...), out...)
}

func derivedKind(k kind) kind {
	if k == kDirect {
		return kDerived
	}
	return k
}

func (r *resolver) expr(e Expr, sc *scope) val {
	switch x := e.(type) {
	case *Ref:
		if len(x.Parts) == 0 {
			break
		}
		c, rest := r.ref(x.Parts, sc)
		if c == nil {
			h := newHash("unresolved")
			for _, p := range x.Parts {
				h.fold(p)
			}
			return val{hash: h.sum(), kind: kUnknown}
		}
		if len(rest) == 0 {
			return val{hash: c.hash, up: c.up, kind: c.kind}
		}
		h := newHash("field")
		h.u64(c.hash)
		for _, f := range rest {
			h.fold(f)
		}
		k := derivedKind(c.kind)
		if k == kDerived && len(c.up) == 0 {
			k = kSource
		}
		return val{hash: h.sum(), up: c.up, kind: k}
	case *Literal:
		return val{hash: hashOf("lit", x.Text), kind: kSource}
	case *Ordered:
		v := r.expr(x.Expr, sc)
		h := newHash("order")
		h.str(x.Order)
		h.u64(v.hash)
		v.hash = h.sum()
		return v
	case *Call:
		return r.call(x, sc)
	case *Subquery:
		var a acc
		h := newHash("subquery")
		h.str(x.Kind)
		h.str(x.Op)
		if x.Left != nil {
			v := r.expr(x.Left, sc)
			h.u64(v.hash)
			a.add(v)
		}
		res := r.query(x.Query, sc, sc.ctes)
		h.u64(res.rowHash)
		for _, c := range res.cols {
			h.u64(c.hash)
			a.addCol(c)
		}
		a.up = addRefs(a.up, res.rowDeps)
		a.unknown = a.unknown || res.rowUnknown || (res.open != nil && len(res.cols) == 0)
		return a.val(h.sum())
	case *Lambda:
		inner := &scope{outer: sc, lambda: x.Params, ctes: sc.ctes}
		v := r.expr(x.Body, inner)
		h := newHash("lambda")
		for _, p := range x.Params {
			h.fold(p)
		}
		h.u64(v.hash)
		v.hash = h.sum()
		v.kind = derivedKind(v.kind)
		if v.kind == kDerived && len(v.up) == 0 {
			v.kind = kSource
		}
		return v
	case *Star:
		var a acc
		h := newHash("star")
		cols, opens := r.star(x, sc)
		for _, c := range cols {
			h.u64(c.hash)
			a.addCol(c)
		}
		if len(opens) > 0 {
			a.unknown = true
		}
		return a.val(h.sum())
	case *Positional:
		n := 0
		for _, x2 := range sc.rels {
			for _, c := range x2.cols {
				if n++; n == x.Index {
					return val{hash: c.hash, up: c.up, kind: c.kind}
				}
			}
		}
		return val{hash: hashOf("positional", strconv.Itoa(x.Index)), kind: kUnknown}
	}
	return val{hash: hashOf("expr", fmt.Sprintf("%T", e)), kind: kUnknown}
}

func (r *resolver) call(x *Call, sc *scope) val {
	var a acc
	h := newHash("call")
	h.str(x.Op)
	h.flag(x.Distinct)
	datePart := dateFunctions[x.Op]
	for _, arg := range x.Args {
		if ref, ok := arg.(*Ref); ok && datePart && len(ref.Parts) == 1 && dateParts[lower(ref.Parts[0])] {
			// DATEADD(day, ...): a keyword, not a column.
			h.fold(ref.Parts[0])
			continue
		}
		v := r.expr(arg, sc)
		h.u64(v.hash)
		a.add(v)
	}
	h.str("extra")
	for _, arg := range x.Extra {
		v := r.expr(arg, sc)
		h.u64(v.hash)
		a.add(v)
	}
	if w := x.Window; w != nil {
		h.str("over")
		for _, p := range w.PartitionBy {
			v := r.expr(p, sc)
			h.u64(v.hash)
			a.add(v)
		}
		h.str("order")
		for _, o := range w.OrderBy {
			v := r.expr(o, sc)
			h.u64(v.hash)
			a.add(v)
		}
		h.str(w.Frame)
		for _, f := range w.FrameArgs {
			v := r.expr(f, sc)
			h.u64(v.hash)
			a.add(v)
		}
	} else if aggregates[x.Op] {
		a.agg = true
	}
	return a.val(h.sum())
}

// star expands * (or rel.*, COLUMNS(...)) over the scope's relations. opens
// are the relations whose columns are not all known.
func (r *resolver) star(s *Star, sc *scope) (cols []*col, opens []*rel) {
	var rels []*rel
	if s.Relation != "" {
		q := lower(s.Relation)
		for sc2 := sc; sc2 != nil && rels == nil; sc2 = sc2.outer {
			for _, x := range sc2.rels {
				if x.answers(q) {
					rels = []*rel{x}
					break
				}
			}
		}
		if rels == nil {
			for e := sc.ctes; e != nil; e = e.next {
				if e.name == q {
					rels = []*rel{e.res}
					break
				}
			}
		}
		if rels == nil {
			return nil, []*rel{{alias: q, open: unknownCol}}
		}
	} else {
		for _, x := range sc.rels {
			if !x.hidden {
				rels = append(rels, x)
			}
		}
	}
	var pattern *regexp.Regexp
	if s.Columns {
		if l, ok := s.Pattern.(*Literal); ok {
			pattern, _ = regexp.Compile(unquote(l.Text))
		}
	}
	for _, x := range rels {
		if x.open != nil {
			opens = append(opens, x)
		}
		for _, c := range x.cols {
			lc := lower(c.name)
			if (s.Relation == "" && x.skip[lc]) || slices.ContainsFunc(s.Exclude, func(e string) bool { return equalFold(e, c.name) }) {
				continue
			}
			if s.Columns && s.Pattern != nil && (pattern == nil || !pattern.MatchString(c.name)) {
				if _, isStar := s.Pattern.(*Star); !isStar {
					continue
				}
			}
			for _, rep := range s.Replace {
				if equalFold(rep.Alias, c.name) {
					v := r.expr(rep.Expr, sc)
					c = &col{name: c.name, up: v.up, kind: v.kind, hash: v.hash}
				}
			}
			for _, rn := range s.Rename {
				if equalFold(rn[0], c.name) {
					c2 := *c
					c2.name = rn[1]
					c = &c2
				}
			}
			cols = append(cols, c)
		}
	}
	return cols, opens
}

// unquote returns the text of a quoted string literal.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// openOf answers for columns of a SELECT * over relations whose columns are
// not all known.
func openOf(opens []*rel, s *Star) func(string) *col {
	return func(name string) *col {
		if len(opens) != 1 || (s != nil && slices.ContainsFunc(s.Exclude, func(e string) bool { return equalFold(e, name) })) {
			return unknownCol(name)
		}
		return opens[0].get(name)
	}
}

func (r *resolver) query(q *Query, outer *scope, ctes *cteEnv) *rel {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		panic(tooDeep{})
	}
	env := ctes
	for _, c := range q.CTEs {
		var res *rel
		if id := r.ephemeral[lower(c.Name)]; id != "" {
			res = r.nodeRel(id)
		} else {
			res = aliased(r.query(c.Query, outer, env), c.Name, c.ColumnAliases)
		}
		env = &cteEnv{name: lower(c.Name), res: res, next: env}
	}
	var res *rel
	switch b := q.Body.(type) {
	case *Select:
		return r.selectBlock(b, q, outer, env)
	case *SetOp:
		l := r.query(b.Left, outer, env)
		rt := r.query(b.Right, outer, env)
		res = r.setOp(b.Op, b.All, l, rt)
	case *RecursiveUnion:
		anchor := aliased(r.query(b.Anchor, outer, env), b.Name, b.ColumnAliases)
		rec := r.query(b.Rec, outer, &cteEnv{name: lower(b.Name), res: anchor, next: env})
		res = r.setOp("union", b.All, anchor, rec)
		res = aliased(res, "", b.ColumnAliases)
	default:
		res = &rel{open: unknownCol, rowUnknown: true, rowHash: hashOf("body", fmt.Sprintf("%T", q.Body))}
	}
	if len(q.Limit) > 0 {
		sc := &scope{rels: []*rel{res}, ctes: env, outer: outer}
		r.limit(q, sc, res.cols, res)
	}
	return res
}

// limit folds ORDER BY ... LIMIT into the rows' definition.
func (r *resolver) limit(q *Query, sc *scope, items []*col, out *rel) {
	var a acc
	h := newHash("limit")
	for _, e := range q.OrderBy {
		v := r.item(e, sc, items)
		h.u64(v.hash)
		a.add(v)
	}
	h.str("n")
	for _, e := range q.Limit {
		v := r.expr(e, sc)
		h.u64(v.hash)
		a.add(v)
	}
	mix(&out.sig.Limit, h.sum())
	out.rowDeps = addRefs(out.rowDeps, a.up)
	out.rowUnknown = out.rowUnknown || a.unknown
	rh := newHash("rows")
	rh.u64(out.rowHash)
	rh.u64(h.sum())
	out.rowHash = rh.sum()
}

// item evaluates a GROUP BY or ORDER BY expression, where an integer
// stands for the select item at that position.
func (r *resolver) item(e Expr, sc *scope, items []*col) val {
	inner, order := e, ""
	if o, ok := e.(*Ordered); ok {
		inner, order = o.Expr, o.Order
	}
	if l, ok := inner.(*Literal); ok {
		if n, err := strconv.Atoi(l.Text); err == nil && n >= 1 && n <= len(items) {
			c := items[n-1]
			h := newHash("item")
			h.str(order)
			h.u64(c.hash)
			return val{hash: h.sum(), up: c.up, kind: c.kind}
		}
	}
	return r.expr(e, sc)
}

func (r *resolver) setOp(op string, all bool, l, rt *rel) *rel {
	out := &rel{}
	h := newHash("setop")
	h.str(op)
	h.flag(all)
	h.u64(l.rowHash)
	h.u64(rt.rowHash)
	// Only UNION ALL keeps rows without comparing them: the others
	// compare whole rows, so every column decides which rows there are.
	compares := !all || (op != "union" && op != "union_by_name")
	var a acc
	pair := func(i int, lc *col) *col {
		if op == "union_by_name" {
			return rt.known(lc.name)
		}
		if i < len(rt.cols) {
			return rt.cols[i]
		}
		return nil
	}
	sh := newHash("setop")
	sh.str(op)
	sh.flag(all)
	for i, lc := range l.cols {
		rc := pair(i, lc)
		c := lc
		if rc != nil {
			if compares {
				h.u64(rc.hash)
				sh.u64(rc.hash)
				a.addCol(rc)
			}
			if op != "except" {
				c = mergeCols(lc, rc)
			}
		}
		if compares {
			h.u64(lc.hash)
			sh.u64(lc.hash)
			a.addCol(lc)
		}
		out.cols = append(out.cols, c)
	}
	if op == "union_by_name" {
		for _, rc := range rt.cols {
			if l.known(rc.name) == nil {
				out.cols = append(out.cols, rc)
			}
		}
	}
	out.open = l.open
	out.rowDeps = addRefs(addRefs(addRefs(nil, l.rowDeps), rt.rowDeps), a.up)
	out.rowUnknown = l.rowUnknown || rt.rowUnknown || a.unknown
	out.sig.add(&l.sig)
	out.sig.add(&rt.sig)
	mix(&out.sig.SetOps, sh.sum())
	out.rowHash = h.sum()
	return out
}

func mergeCols(l, r *col) *col {
	h := newHash("merge")
	h.u64(l.hash)
	h.u64(r.hash)
	c := &col{name: l.name, up: addRefs(addRefs(nil, l.up), r.up), hash: h.sum(), unnamed: l.unnamed, lit: l.lit && r.lit}
	switch {
	case l.kind == kUnknown || r.kind == kUnknown:
		c.kind = kUnknown
	case l.kind == kDirect && r.kind == kDirect:
		c.kind = kDirect
	case len(c.up) > 0:
		c.kind = kDerived
	default:
		c.kind = kSource
	}
	return c
}

func (r *resolver) selectBlock(s *Select, q *Query, outer *scope, ctes *cteEnv) *rel {
	sc := &scope{outer: outer, ctes: ctes}
	out := &rel{}
	var deps acc
	h := newHash("select")
	if s.From != nil {
		h.u64(r.from(s.From, sc, out, &deps))
	}

	var opens []*rel
	var star *Star
	aggItem := make([]bool, 0, len(s.Items))
	for i, it := range s.Items {
		if st, ok := it.Expr.(*Star); ok {
			cols, o := r.star(st, sc)
			out.cols = append(out.cols, cols...)
			for range cols {
				aggItem = append(aggItem, false)
			}
			opens = append(opens, o...)
			star = st
			continue
		}
		v := r.expr(it.Expr, sc)
		c := &col{name: it.Alias, up: v.up, kind: v.kind, hash: v.hash}
		c.lit = constant(it.Expr)
		if c.name == "" {
			c.name, c.unnamed = exprName(it.Expr, i), true
		}
		out.cols = append(out.cols, c)
		aggItem = append(aggItem, v.agg)
		sc.items = out.cols
	}
	sc.items = out.cols
	if len(opens) > 0 {
		out.open = openOf(opens, star)
	}
	agg := slices.Contains(aggItem, true)

	if s.Where != nil {
		v := r.expr(s.Where, sc)
		deps.add(v)
		mix(&out.sig.Filters, v.hash)
		h.str("where")
		h.u64(v.hash)
	}
	if s.GroupAll || len(s.GroupBy) > 0 || s.GroupingSets != "" || s.Having != nil || agg {
		g := newHash("group")
		g.flag(s.GroupAll)
		g.str(s.GroupingSets)
		if s.GroupAll {
			for i, c := range out.cols {
				if !aggItem[i] {
					g.u64(c.hash)
					deps.addCol(c)
				}
			}
		}
		for _, e := range s.GroupBy {
			v := r.item(e, sc, out.cols)
			g.u64(v.hash)
			deps.add(v)
		}
		if s.Having != nil {
			v := r.expr(s.Having, sc)
			g.str("having")
			g.u64(v.hash)
			deps.add(v)
		}
		mix(&out.sig.Grouping, g.sum())
		h.u64(g.sum())
	}
	if s.Qualify != nil {
		v := r.expr(s.Qualify, sc)
		deps.add(v)
		mix(&out.sig.Qualify, v.hash)
		h.str("qualify")
		h.u64(v.hash)
	}
	if q.Distinct || len(q.DistinctOn) > 0 {
		d := newHash("distinct")
		if len(q.DistinctOn) > 0 {
			for _, e := range q.DistinctOn {
				v := r.item(e, sc, out.cols)
				d.u64(v.hash)
				deps.add(v)
			}
		} else {
			// A constant is the same on every row: it makes no row distinct.
			for _, c := range out.cols {
				if !c.lit {
					d.u64(c.hash)
					deps.addCol(c)
				}
			}
			deps.unknown = deps.unknown || out.open != nil
		}
		mix(&out.sig.Distinct, d.sum())
		h.u64(d.sum())
	}
	if s.Sample != "" {
		x := hashOf("sample", s.Sample)
		mix(&out.sig.Other, x)
		h.u64(x)
	}
	out.rowDeps = addRefs(out.rowDeps, deps.up)
	out.rowUnknown = out.rowUnknown || deps.unknown
	out.rowHash = h.sum()
	if len(q.Limit) > 0 {
		r.limit(q, sc, out.cols, out)
	}
	return out
}

// exprName is the name of a select item without alias: a column keeps its
// name; other expressions get the warehouse's own name, which only the
// catalog knows (see resolveModel).
func exprName(e Expr, i int) string {
	switch x := e.(type) {
	case *Ref:
		return x.Parts[len(x.Parts)-1]
	case *Call:
		if x.Op == "cast" || x.Op == "try_cast" {
			if len(x.Args) > 0 {
				if ref, ok := x.Args[0].(*Ref); ok {
					return ref.Parts[len(ref.Parts)-1]
				}
			}
		}
		return x.Op
	}
	return "#" + strconv.Itoa(i+1)
}

// from resolves a FROM item: its relations join the scope, what decides
// their rows joins out's.
func (r *resolver) from(t TableRef, sc *scope, out *rel, deps *acc) uint64 {
	switch x := t.(type) {
	case *Table:
		rl := r.table(x, sc)
		r.enter(rl, sc, out, deps)
		if x.Sample != "" {
			s := hashOf("sample", x.Sample)
			mix(&out.sig.Other, s)
			h := newHash("sampled")
			h.u64(rl.rowHash)
			h.u64(s)
			return h.sum()
		}
		return rl.rowHash
	case *SubqueryRef:
		res := r.query(x.Query, sc, sc.ctes)
		rl := aliased(res, x.Alias, x.ColumnAliases)
		r.enter(rl, sc, out, deps)
		return rl.rowHash
	case *Join:
		lh := r.from(x.Left, sc, out, deps)
		n := len(sc.rels)
		rh := r.from(x.Right, sc, out, deps)
		left, right := sc.rels[:n], sc.rels[n:]
		h := newHash("join")
		h.str(x.Kind)
		h.flag(x.Natural)
		h.u64(lh)
		h.u64(rh)
		if x.On != nil {
			v := r.expr(x.On, sc)
			h.u64(v.hash)
			deps.add(v)
		}
		using := x.Using
		if x.Natural {
			using = nil
			for _, rr := range right {
				for _, c := range rr.cols {
					for _, lr := range left {
						if lr.known(c.name) != nil {
							using = append(using, c.name)
						}
					}
				}
			}
		}
		for _, u := range using {
			h.fold(u)
			for _, x2 := range sc.rels {
				if c := x2.get(u); c != nil {
					h.u64(c.hash)
					deps.addCol(c)
				}
			}
			for _, rr := range right {
				if rr.skip == nil {
					rr.skip = map[string]bool{}
				}
				rr.skip[lower(u)] = true
			}
		}
		if x.Kind == "semi" || x.Kind == "anti" {
			for _, rr := range right {
				rr.hidden = true
			}
		}
		mix(&out.sig.Joins, h.sum())
		return h.sum()
	case *TableFunction:
		if id := r.index.function(x); id != "" {
			alias := x.Alias
			if alias == "" {
				alias = x.Name
			}
			rl := aliased(r.nodeRel(id), alias, x.ColumnAliases)
			r.enter(rl, sc, out, deps)
			return rl.rowHash
		}
		var a acc
		fh := newHash("function")
		fh.fold(x.Name)
		for _, arg := range x.Args {
			v := r.expr(arg, sc)
			fh.u64(v.hash)
			a.add(v)
		}
		argHash, k, up := fh.sum(), a.kind(), a.up
		colOf := func(name string) *col {
			h := newHash("function column")
			h.u64(argHash)
			h.fold(name)
			return &col{name: name, up: up, kind: k, hash: h.sum()}
		}
		alias := x.Alias
		if alias == "" {
			alias = x.Name
		}
		rl := &rel{alias: lower(alias), rowHash: argHash, rowDeps: up, rowUnknown: a.unknown}
		if len(x.ColumnAliases) > 0 {
			for _, n := range x.ColumnAliases {
				rl.cols = append(rl.cols, colOf(n))
			}
		} else {
			rl.open = colOf
		}
		mix(&rl.sig.Other, argHash)
		r.enter(rl, sc, out, deps)
		return argHash
	case *Values:
		h := newHash("values")
		rl := &rel{alias: lower(x.Alias)}
		width := 0
		for _, row := range x.Rows {
			width = max(width, len(row))
		}
		for i := range width {
			var a acc
			ch := newHash("values column")
			for _, row := range x.Rows {
				if i < len(row) {
					v := r.expr(row[i], sc)
					ch.u64(v.hash)
					a.add(v)
				}
			}
			name := "col" + strconv.Itoa(i)
			if i < len(x.ColumnAliases) {
				name = x.ColumnAliases[i]
			}
			rl.cols = append(rl.cols, &col{name: name, up: a.up, kind: a.kind(), hash: ch.sum()})
			h.u64(ch.sum())
		}
		rl.rowHash = h.sum()
		mix(&rl.sig.Other, rl.rowHash)
		r.enter(rl, sc, out, deps)
		return rl.rowHash
	case *Opaque:
		h := newHash("opaque")
		h.str(x.Kind)
		h.str(x.Spec)
		inner := &scope{outer: sc.outer, ctes: sc.ctes}
		tmp := &rel{}
		for _, in := range x.Inputs {
			h.u64(r.from(in, inner, tmp, deps))
		}
		rl := &rel{alias: lower(x.Alias), open: unknownCol, rowHash: h.sum(), sig: tmp.sig}
		mix(&rl.sig.Other, rl.rowHash)
		r.enter(rl, sc, out, deps)
		return rl.rowHash
	}
	rl := &rel{open: unknownCol, rowUnknown: true, rowHash: hashOf("from", fmt.Sprintf("%T", t))}
	r.enter(rl, sc, out, deps)
	return rl.rowHash
}

func (r *resolver) enter(rl *rel, sc *scope, out *rel, deps *acc) {
	sc.rels = append(sc.rels, rl)
	out.sig.add(&rl.sig)
	deps.up = addRefs(deps.up, rl.rowDeps)
	deps.unknown = deps.unknown || rl.rowUnknown
}

// constant tells a literal, or a cast of one: the same value on every row.
func constant(e Expr) bool {
	switch x := e.(type) {
	case *Literal:
		return true
	case *Call:
		return (x.Op == "cast" || x.Op == "try_cast") && len(x.Args) > 0 && constant(x.Args[0])
	}
	return false
}
