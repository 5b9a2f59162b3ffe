package columnlineage

// The statement tree a Parser returns: only what column lineage needs, in a
// form that does not depend on the parser. Names are kept as written
// (quoting removed); comparisons fold case.

// Query is a query expression: a SELECT or a set operation, with its WITH
// clause and the modifiers that apply to its result.
type Query struct {
	CTEs []*CTE
	// Body is a *Select, a *SetOp or a *RecursiveUnion.
	Body QueryBody
	// Distinct is SELECT DISTINCT; DistinctOn its ON expressions.
	Distinct   bool
	DistinctOn []Expr
	// OrderBy matters to the rows only together with Limit.
	OrderBy []Expr
	// Limit holds the LIMIT and OFFSET expressions (empty without LIMIT).
	Limit []Expr
}

// CTE is one common table expression of a WITH clause.
type CTE struct {
	Name          string
	ColumnAliases []string
	Query         *Query
}

// QueryBody is a *Select, a *SetOp or a *RecursiveUnion.
type QueryBody interface{ queryBody() }

// Select is one SELECT block.
type Select struct {
	Items []SelectItem
	// From is nil for a SELECT without FROM.
	From  TableRef
	Where Expr
	// GroupBy lists the grouping expressions; GroupAll is GROUP BY ALL.
	GroupBy  []Expr
	GroupAll bool
	// GroupingSets is a canonical text of GROUPING SETS, ROLLUP or CUBE ("" without).
	GroupingSets string
	Having       Expr
	Qualify      Expr
	// Sample is a canonical text of USING SAMPLE ("" without).
	Sample string
}

// SelectItem is one item of a select list: an expression (possibly a *Star)
// and its alias.
type SelectItem struct {
	Expr  Expr
	Alias string
}

// SetOp is UNION, EXCEPT or INTERSECT of two queries. Op is lower-case:
// "union", "union_by_name", "except", "intersect".
type SetOp struct {
	Op          string
	All         bool
	Left, Right *Query
}

// RecursiveUnion is the body of a WITH RECURSIVE common table expression:
// the anchor, then the part that refers to the expression's own name.
type RecursiveUnion struct {
	Name          string
	ColumnAliases []string
	All           bool
	Anchor, Rec   *Query
}

func (*Select) queryBody()         {}
func (*SetOp) queryBody()          {}
func (*RecursiveUnion) queryBody() {}

// TableRef is an item of a FROM clause.
type TableRef interface{ tableRef() }

// Table is a named relation: a table, a view, or a common table expression.
// Parts is the name as written, outermost first (database, schema, name).
type Table struct {
	Parts         []string
	Alias         string
	ColumnAliases []string
	Sample        string
}

// SubqueryRef is a subquery in FROM.
type SubqueryRef struct {
	Query         *Query
	Alias         string
	ColumnAliases []string
}

// Join is two FROM items joined. Kind is lower-case: "inner", "left",
// "right", "full", "cross", "semi", "anti", "asof", "positional".
type Join struct {
	Kind        string
	Natural     bool
	Left, Right TableRef
	On          Expr
	Using       []string
}

// TableFunction is a function in FROM (unnest, flatten, read_csv...).
type TableFunction struct {
	Name          string
	Args          []Expr
	Alias         string
	ColumnAliases []string
}

// Values is a VALUES list in FROM.
type Values struct {
	Rows          [][]Expr
	Alias         string
	ColumnAliases []string
}

// Opaque is a FROM item whose columns cannot be followed (PIVOT, UNPIVOT...).
// Spec is a canonical text of what defines it, Inputs the FROM items it
// reads.
type Opaque struct {
	Kind   string
	Spec   string
	Inputs []TableRef
	Alias  string
}

func (*Table) tableRef()         {}
func (*SubqueryRef) tableRef()   {}
func (*Join) tableRef()          {}
func (*TableFunction) tableRef() {}
func (*Values) tableRef()        {}
func (*Opaque) tableRef()        {}

// Expr is an expression.
type Expr interface{ expr() }

// Ref is a column reference as written: a.b.c may be a column of a
// relation, a column and its struct fields, or schema.table.column.
type Ref struct{ Parts []string }

// Literal is a constant, a parameter, or anything else without inputs; Text
// is canonical.
type Literal struct{ Text string }

// Call is a function, an operator, a cast, a CASE... Op is canonical (the
// function name in lower case, or the operator). Aggregates and window
// functions are calls too: Window is set for the latter.
type Call struct {
	Op       string
	Distinct bool
	Args     []Expr
	// Extra holds further inputs: FILTER, ORDER BY inside the call.
	Extra  []Expr
	Window *Window
}

// Window is an OVER clause.
type Window struct {
	PartitionBy []Expr
	OrderBy     []Expr
	// Frame is a canonical text of the frame; FrameArgs its expressions.
	Frame     string
	FrameArgs []Expr
}

// Subquery is a subquery used as an expression: Kind is "scalar", "exists",
// "any" (IN), "all" or "not_exists"; Left is the tested expression of
// IN/ANY/ALL.
type Subquery struct {
	Kind  string
	Op    string
	Left  Expr
	Query *Query
}

// Lambda is x -> expr; its parameters shadow columns in Body.
type Lambda struct {
	Params []string
	Body   Expr
}

// Star is * or rel.* (in a select list or as an argument), with DuckDB's
// EXCLUDE / REPLACE / RENAME and COLUMNS(...) (Pattern set).
type Star struct {
	Relation string
	Exclude  []string
	Replace  []SelectItem // Alias is the replaced column
	Rename   [][2]string  // old, new
	// Columns is COLUMNS(...): Pattern is its argument (a regular
	// expression literal, a lambda...).
	Columns bool
	Pattern Expr
}

// Positional is #n, a column by position.
type Positional struct{ Index int }

// Ordered is an ORDER BY item: Order is a canonical text of its direction
// and nulls placement. A bare integer Expr is a select item's position.
type Ordered struct {
	Expr  Expr
	Order string
}

func (*Ref) expr()        {}
func (*Literal) expr()    {}
func (*Call) expr()       {}
func (*Subquery) expr()   {}
func (*Lambda) expr()     {}
func (*Star) expr()       {}
func (*Positional) expr() {}
func (*Ordered) expr()    {}
