package duckdbparser

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

// The statement tree that json_serialize_sql returns (the JSON form of
// DuckDB's parsed SQL: src/include/duckdb/storage/serialization/*.json in
// DuckDB's source), read straight into columnlineage's tree with a
// streaming decoder: a large project's statements add up to tens of
// megabytes of JSON, and decoding them into generic maps or wide structs
// first cost more than parsing them.

// key is a JSON member name the decoder knows; others are skipped.
type key uint8

const (
	kNone key = iota
	kClass
	kType
	kAlias
	kColumnNames
	kChildren
	kLeft
	kRight
	kInput
	kLower
	kUpper
	kCaseChecks
	kWhenExpr
	kThenExpr
	kElseExpr
	kChild
	kCastType
	kTryCast
	kCollation
	kValue
	kIsNull
	kID
	kFunctionName
	kSchema
	kDistinct
	kFilter
	kOrderBys
	kOrders
	kExpression
	kNullOrder
	kLhs
	kExpr
	kIndex
	kIdentifier
	kRelationName
	kExcludeList
	kQualifiedExcludeList
	kReplaceList
	kRenameList
	kColumns
	kKey
	kSubqueryType
	kSubquery
	kComparisonType
	kPartitions
	kStart
	kEnd
	kStartExpr
	kEndExpr
	kOffsetExpr
	kDefaultExpr
	kIgnoreNulls
	kFilterExpr
	kArgOrders
	kExcludeClause
	kSchemaName
	kTableName
	kCatalogName
	kColumnNameAlias
	kSample
	kCondition
	kJoinType
	kRefType
	kUsingColumns
	kFunction
	kValues
	kSource
	kModifiers
	kCTEMap
	kMap
	kAliases
	kQuery
	kSelectList
	kFromTable
	kWhereClause
	kGroupExpressions
	kGroupSets
	kAggregateHandling
	kHaving
	kQualify
	kSetopType
	kSetopAll
	kCTEName
	kUnionAll
	kDistinctOnTargets
	kLimit
	kOffset
	kNode
	kError
	kErrorMessage
	kStatements
	kAggregates
	kPivots
	kUnpivotNames
	kGroups
	kIncludeNulls
	kExpectedNames
	kColumn
)

var keys = map[string]key{
	"class": kClass, "type": kType, "alias": kAlias, "column_names": kColumnNames, "children": kChildren,
	"left": kLeft, "right": kRight, "input": kInput, "lower": kLower, "upper": kUpper,
	"case_checks": kCaseChecks, "when_expr": kWhenExpr, "then_expr": kThenExpr, "else_expr": kElseExpr,
	"child": kChild, "cast_type": kCastType, "try_cast": kTryCast, "collation": kCollation, "value": kValue,
	"is_null": kIsNull, "id": kID, "function_name": kFunctionName, "schema": kSchema, "distinct": kDistinct,
	"filter": kFilter, "order_bys": kOrderBys, "orders": kOrders, "expression": kExpression,
	"null_order": kNullOrder, "lhs": kLhs, "expr": kExpr, "index": kIndex, "identifier": kIdentifier,
	"relation_name": kRelationName, "exclude_list": kExcludeList, "qualified_exclude_list": kQualifiedExcludeList,
	"replace_list": kReplaceList, "rename_list": kRenameList, "columns": kColumns, "key": kKey,
	"subquery_type": kSubqueryType, "subquery": kSubquery, "comparison_type": kComparisonType,
	"partitions": kPartitions, "start": kStart, "end": kEnd, "start_expr": kStartExpr, "end_expr": kEndExpr,
	"offset_expr": kOffsetExpr, "default_expr": kDefaultExpr, "ignore_nulls": kIgnoreNulls,
	"filter_expr": kFilterExpr, "arg_orders": kArgOrders, "exclude_clause": kExcludeClause,
	"schema_name": kSchemaName, "table_name": kTableName, "catalog_name": kCatalogName,
	"column_name_alias": kColumnNameAlias, "sample": kSample, "condition": kCondition,
	"join_type": kJoinType, "ref_type": kRefType, "using_columns": kUsingColumns, "function": kFunction,
	"values": kValues, "source": kSource, "modifiers": kModifiers, "cte_map": kCTEMap, "map": kMap,
	"aliases": kAliases, "query": kQuery, "select_list": kSelectList, "from_table": kFromTable,
	"where_clause": kWhereClause, "group_expressions": kGroupExpressions, "group_sets": kGroupSets,
	"aggregate_handling": kAggregateHandling, "having": kHaving, "qualify": kQualify,
	"setop_type": kSetopType, "setop_all": kSetopAll, "cte_name": kCTEName, "union_all": kUnionAll,
	"distinct_on_targets": kDistinctOnTargets, "limit": kLimit, "offset": kOffset, "node": kNode,
	"error": kError, "error_message": kErrorMessage, "statements": kStatements,
	"aggregates": kAggregates, "pivots": kPivots, "unpivot_names": kUnpivotNames, "groups": kGroups,
	"include_nulls": kIncludeNulls, "expected_names": kExpectedNames, "column": kColumn,
}

type decoder struct {
	dec  *jsontext.Decoder
	strs interner
}

func newDecoder(data []byte, strs interner) *decoder {
	return &decoder{dec: jsontext.NewDecoder(bytes.NewReader(data)), strs: strs}
}

// interner keeps one copy of the strings the trees repeat (node classes,
// function and column names): each parser worker has its own, kept across
// statements, so that most strings cost no allocation.
type interner map[string]string

const maxInterned = 1 << 16

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if in != nil && len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// object reads an object (or null), calling f for each known member, which
// must consume the value.
func (d *decoder) object(f func(k key) error) error {
	tok, err := d.dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '{':
	default:
		return fmt.Errorf("expected an object, found %v", tok.Kind())
	}
	for d.dec.PeekKind() != '}' {
		name, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		k := keys[string(name[1:len(name)-1])] // DuckDB's member names have no escapes
		if k == kNone {
			if err := d.dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if err := f(k); err != nil {
			return err
		}
	}
	_, err = d.dec.ReadToken()
	return err
}

// array reads an array (or null), calling f for each element.
func (d *decoder) array(f func() error) error {
	tok, err := d.dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '[':
	default:
		return fmt.Errorf("expected an array, found %v", tok.Kind())
	}
	for d.dec.PeekKind() != ']' {
		if err := f(); err != nil {
			return err
		}
	}
	_, err = d.dec.ReadToken()
	return err
}

func (d *decoder) str() (string, error) {
	if d.dec.PeekKind() != '"' {
		return "", d.dec.SkipValue()
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return d.strs.get(v[1 : len(v)-1]), nil
	}
	var s string
	err = json.Unmarshal(v, &s)
	return s, err
}

func (d *decoder) boolean() (bool, error) {
	tok, err := d.dec.ReadToken()
	if err != nil {
		return false, err
	}
	return tok.Kind() == 't', nil
}

func (d *decoder) integer() (int, error) {
	tok, err := d.dec.ReadToken()
	if err != nil {
		return 0, err
	}
	if tok.Kind() != '0' {
		return 0, nil
	}
	n, err := tok.Int()
	return int(n), err
}

func (d *decoder) strings() ([]string, error) {
	var out []string
	err := d.array(func() error {
		if d.dec.PeekKind() != '"' {
			// Newer DuckDB versions write some name lists as objects:
			// keep what names they hold.
			var name string
			err := d.object(func(k key) error {
				switch k {
				case kColumnNames:
					names, err := d.strings()
					if len(names) > 0 {
						name = names[len(names)-1]
					}
					return err
				case kColumn, kKey, kValue:
					if d.dec.PeekKind() == '"' {
						var err error
						name, err = d.str()
						return err
					}
				}
				return d.dec.SkipValue()
			})
			if name != "" {
				out = append(out, name)
			}
			return err
		}
		s, err := d.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// locationRE finds the positions DuckDB writes into its tree: texts kept
// for comparison must not depend on where the SQL put things.
var locationRE = regexp.MustCompile(`"query_location":\d+,?`)

// raw reads a value as canonical text, positions removed.
func (d *decoder) raw() (string, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return "", err
	}
	return withoutLocations(v), nil
}

func withoutLocations(v []byte) string {
	if !bytes.Contains(v, []byte(`"query_location"`)) {
		return string(v)
	}
	return string(locationRE.ReplaceAll(v, nil))
}

// result is json_serialize_sql's answer.
type result struct {
	err        string
	statements []*cl.Query
}

func decodeResult(data []byte, strs interner) (*result, error) {
	d := newDecoder(data, strs)
	res := &result{}
	failed := false
	err := d.object(func(k key) (err error) {
		switch k {
		case kError:
			failed, err = d.boolean()
		case kErrorMessage:
			res.err, err = d.str()
		case kStatements:
			err = d.array(func() error {
				q, err := d.statement()
				res.statements = append(res.statements, q)
				return err
			})
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if failed && res.err == "" {
		res.err = "syntax error"
	}
	return res, nil
}

// statement reads a SelectStatement: {"node": QueryNode, ...}.
func (d *decoder) statement() (*cl.Query, error) {
	var q *cl.Query
	err := d.object(func(k key) (err error) {
		if k == kNode {
			q, err = d.queryNode()
			return err
		}
		return d.dec.SkipValue()
	})
	if err == nil && q == nil {
		err = errors.New("a statement without query")
	}
	return q, err
}

func (d *decoder) queryNode() (*cl.Query, error) {
	var (
		typ, setop, aggHandling, cteName string
		setopAll, unionAll               bool
		left, right                      *cl.Query
		aliases                          []string
		sel                              = &cl.Select{}
		q                                = &cl.Query{}
		groupSets                        string
	)
	err := d.object(func(k key) (err error) {
		switch k {
		case kType:
			typ, err = d.str()
		case kModifiers:
			err = d.array(func() error { return d.modifier(q) })
		case kCTEMap:
			err = d.cteMap(q)
		case kSelectList:
			err = d.array(func() error {
				e, alias, err := d.expr()
				sel.Items = append(sel.Items, cl.SelectItem{Expr: e, Alias: alias})
				return err
			})
		case kFromTable:
			sel.From, err = d.tableRef()
		case kWhereClause:
			sel.Where, err = d.exprOnly()
		case kGroupExpressions:
			sel.GroupBy, err = d.exprs()
		case kGroupSets:
			groupSets, err = d.raw()
		case kAggregateHandling:
			aggHandling, err = d.str()
		case kHaving:
			sel.Having, err = d.exprOnly()
		case kQualify:
			sel.Qualify, err = d.exprOnly()
		case kSample:
			sel.Sample, err = d.sample()
		case kSetopType:
			setop, err = d.str()
		case kSetopAll:
			setopAll, err = d.boolean()
		case kUnionAll:
			unionAll, err = d.boolean()
		case kCTEName:
			cteName, err = d.str()
		case kAliases:
			aliases, err = d.strings()
		case kLeft:
			left, err = d.queryNode()
		case kRight:
			right, err = d.queryNode()
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch typ {
	case "SELECT_NODE":
		sel.GroupAll = aggHandling == "FORCE_AGGREGATES"
		// One grouping set over all expressions is a plain GROUP BY.
		if groupSets != "" && groupSets != "[]" && !plainGroupSets(groupSets, len(sel.GroupBy)) {
			sel.GroupingSets = groupSets
		}
		q.Body = sel
	case "SET_OPERATION_NODE":
		if left == nil || right == nil {
			return nil, errors.New("a set operation without both sides")
		}
		q.Body = &cl.SetOp{Op: strings.ToLower(setop), All: setopAll, Left: left, Right: right}
	case "RECURSIVE_CTE_NODE":
		if left == nil || right == nil {
			return nil, errors.New("a recursive CTE without both parts")
		}
		q.Body = &cl.RecursiveUnion{Name: cteName, ColumnAliases: aliases, All: unionAll, Anchor: left, Rec: right}
	default:
		return nil, fmt.Errorf("unsupported query node %s", typ)
	}
	return q, nil
}

func plainGroupSets(s string, n int) bool {
	var b strings.Builder
	b.WriteString("[[")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, i)
	}
	b.WriteString("]]")
	return s == b.String()
}

func (d *decoder) modifier(q *cl.Query) error {
	var typ string
	var on, limit []cl.Expr
	var orders []cl.Expr
	err := d.object(func(k key) (err error) {
		switch k {
		case kType:
			typ, err = d.str()
		case kDistinctOnTargets:
			on, err = d.exprs()
		case kOrders:
			orders, err = d.orders()
		case kLimit, kOffset:
			var e cl.Expr
			if e, err = d.exprOnly(); e != nil {
				limit = append(limit, e)
			}
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	switch typ {
	case "DISTINCT_MODIFIER":
		q.Distinct, q.DistinctOn = true, on
	case "ORDER_MODIFIER":
		q.OrderBy = orders
	case "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER":
		if len(limit) == 0 {
			limit = []cl.Expr{&cl.Literal{Text: typ}}
		}
		q.Limit = append(q.Limit, limit...)
	}
	return err
}

func (d *decoder) cteMap(q *cl.Query) error {
	return d.object(func(k key) error {
		if k != kMap {
			return d.dec.SkipValue()
		}
		return d.array(func() error {
			cte := &cl.CTE{}
			err := d.object(func(k key) (err error) {
				switch k {
				case kKey:
					cte.Name, err = d.str()
				case kValue:
					err = d.object(func(k key) (err error) {
						switch k {
						case kAliases:
							cte.ColumnAliases, err = d.strings()
						case kQuery:
							cte.Query, err = d.statement()
						default:
							err = d.dec.SkipValue()
						}
						return err
					})
				default:
					err = d.dec.SkipValue()
				}
				return err
			})
			if err == nil && cte.Query == nil {
				err = fmt.Errorf("common table expression %s without query", cte.Name)
			}
			q.CTEs = append(q.CTEs, cte)
			return err
		})
	})
}

func (d *decoder) sample() (string, error) {
	if d.dec.PeekKind() == 'n' {
		return "", d.dec.SkipValue()
	}
	return d.raw()
}

func (d *decoder) exprOnly() (cl.Expr, error) {
	e, _, err := d.expr()
	return e, err
}

func (d *decoder) exprs() ([]cl.Expr, error) {
	var out []cl.Expr
	err := d.array(func() error {
		e, err := d.exprOnly()
		if e != nil {
			out = append(out, e)
		}
		return err
	})
	return out, err
}

// orders reads a list of OrderByNode.
func (d *decoder) orders() ([]cl.Expr, error) {
	var out []cl.Expr
	err := d.array(func() error {
		o := &cl.Ordered{}
		var typ, nulls string
		err := d.object(func(k key) (err error) {
			switch k {
			case kType:
				typ, err = d.str()
			case kNullOrder:
				nulls, err = d.str()
			case kExpression:
				o.Expr, err = d.exprOnly()
			default:
				err = d.dec.SkipValue()
			}
			return err
		})
		o.Order = typ + " " + nulls
		if o.Expr != nil {
			out = append(out, o)
		}
		return err
	})
	return out, err
}

// exprFields gathers an expression's members; which are set depends on
// its class.
type exprFields struct {
	class, typ, alias, fn, schema, collation, ident, relation string
	subqueryType, comparison, start, end, exclude, castType   string
	names                                                     []string
	children, partitions                                      []cl.Expr
	left, right, input, low, up, elseExpr, child, filter      cl.Expr
	lhs, expr, startExpr, endExpr, offsetExpr, defaultExpr    cl.Expr
	filterExpr                                                cl.Expr
	cases, orders, argOrders, orderBys                        []cl.Expr
	distinct, tryCast, columns, ignoreNulls                   bool
	index                                                     int
	value                                                     string
	excludes, renames                                         [][2]string
	replaces                                                  []cl.SelectItem
	subquery                                                  *cl.Query
}

// expr reads a ParsedExpression and its alias (nil for null).
func (d *decoder) expr() (cl.Expr, string, error) {
	if d.dec.PeekKind() == 'n' {
		return nil, "", d.dec.SkipValue()
	}
	var f exprFields
	err := d.object(func(k key) (err error) {
		switch k {
		case kClass:
			f.class, err = d.str()
		case kType:
			f.typ, err = d.str()
		case kAlias:
			f.alias, err = d.str()
		case kColumnNames:
			f.names, err = d.strings()
		case kChildren:
			err = d.array(func() error {
				e, alias, err := d.expr()
				if alias != "" && e != nil {
					e = &cl.Call{Op: "named:" + strings.ToLower(alias), Args: []cl.Expr{e}}
				}
				if e != nil {
					f.children = append(f.children, e)
				}
				return err
			})
		case kLeft:
			f.left, err = d.exprOnly()
		case kRight:
			f.right, err = d.exprOnly()
		case kInput:
			f.input, err = d.exprOnly()
		case kLower:
			f.low, err = d.exprOnly()
		case kUpper:
			f.up, err = d.exprOnly()
		case kCaseChecks:
			err = d.array(func() error {
				var when, then cl.Expr
				err := d.object(func(k key) (err error) {
					switch k {
					case kWhenExpr:
						when, err = d.exprOnly()
					case kThenExpr:
						then, err = d.exprOnly()
					default:
						err = d.dec.SkipValue()
					}
					return err
				})
				f.cases = append(f.cases, orNull(when), orNull(then))
				return err
			})
		case kElseExpr:
			f.elseExpr, err = d.exprOnly()
		case kChild:
			f.child, err = d.exprOnly()
		case kCastType:
			f.castType, err = d.raw()
		case kTryCast:
			f.tryCast, err = d.boolean()
		case kCollation:
			f.collation, err = d.str()
		case kValue:
			f.value, err = d.constant()
		case kFunctionName:
			f.fn, err = d.str()
		case kSchema:
			f.schema, err = d.str()
		case kDistinct:
			f.distinct, err = d.boolean()
		case kFilter:
			f.filter, err = d.exprOnly()
		case kOrderBys:
			err = d.object(func(k key) (err error) {
				if k == kOrders {
					f.orderBys, err = d.orders()
					return err
				}
				return d.dec.SkipValue()
			})
		case kLhs:
			f.lhs, err = d.exprOnly()
		case kExpr:
			f.expr, err = d.exprOnly()
		case kIndex:
			f.index, err = d.integer()
		case kIdentifier:
			f.ident, err = d.str()
		case kRelationName:
			f.relation, err = d.str()
		case kExcludeList, kQualifiedExcludeList:
			var names []string
			names, err = d.strings()
			for _, n := range names {
				f.excludes = append(f.excludes, [2]string{n})
			}
		case kReplaceList:
			err = d.array(func() error {
				var it cl.SelectItem
				err := d.object(func(k key) (err error) {
					switch k {
					case kKey:
						it.Alias, err = d.str()
					case kValue:
						it.Expr, err = d.exprOnly()
					default:
						err = d.dec.SkipValue()
					}
					return err
				})
				if it.Expr != nil {
					f.replaces = append(f.replaces, it)
				}
				return err
			})
		case kRenameList:
			err = d.array(func() error {
				var pair [2]string
				err := d.object(func(k key) (err error) {
					switch k {
					case kKey:
						err = d.object(func(k key) (err error) {
							switch k {
							case kColumnNames:
								var names []string
								names, err = d.strings()
								if len(names) > 0 {
									pair[0] = names[len(names)-1]
								}
								return err
							case kColumn:
								pair[0], err = d.str()
								return err
							}
							return d.dec.SkipValue()
						})
					case kValue:
						pair[1], err = d.str()
					default:
						err = d.dec.SkipValue()
					}
					return err
				})
				if pair[0] != "" && pair[1] != "" {
					f.renames = append(f.renames, pair)
				}
				return err
			})
		case kColumns:
			f.columns, err = d.boolean()
		case kSubqueryType:
			f.subqueryType, err = d.str()
		case kSubquery:
			f.subquery, err = d.statement()
		case kComparisonType:
			f.comparison, err = d.str()
		case kPartitions:
			f.partitions, err = d.exprs()
		case kOrders:
			f.orders, err = d.orders()
		case kArgOrders:
			f.argOrders, err = d.orders()
		case kStart:
			f.start, err = d.str()
		case kEnd:
			f.end, err = d.str()
		case kExcludeClause:
			f.exclude, err = d.str()
		case kStartExpr:
			f.startExpr, err = d.exprOnly()
		case kEndExpr:
			f.endExpr, err = d.exprOnly()
		case kOffsetExpr:
			f.offsetExpr, err = d.exprOnly()
		case kDefaultExpr:
			f.defaultExpr, err = d.exprOnly()
		case kFilterExpr:
			f.filterExpr, err = d.exprOnly()
		case kIgnoreNulls:
			f.ignoreNulls, err = d.boolean()
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	e, err := f.build()
	return e, f.alias, err
}

func orNull(e cl.Expr) cl.Expr {
	if e == nil {
		return &cl.Literal{Text: "NULL"}
	}
	return e
}

func nonNil(es ...cl.Expr) []cl.Expr {
	out := es[:0:0]
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// functionName is a function's canonical name: lower case, with its schema
// unless it is DuckDB's default one.
func functionName(schema, fn string) string {
	fn = strings.ToLower(fn)
	if s := strings.ToLower(schema); s != "" && s != "main" && s != "pg_catalog" {
		return s + "." + fn
	}
	return fn
}

func (f *exprFields) build() (cl.Expr, error) {
	switch f.class {
	case "COLUMN_REF":
		if len(f.names) == 0 {
			return nil, errors.New("a column reference without name")
		}
		return &cl.Ref{Parts: f.names}, nil
	case "CONSTANT":
		return &cl.Literal{Text: f.value}, nil
	case "PARAMETER":
		return &cl.Literal{Text: "$" + f.ident}, nil
	case "DEFAULT":
		return &cl.Literal{Text: "DEFAULT"}, nil
	case "POSITIONAL_REFERENCE":
		return &cl.Positional{Index: f.index}, nil
	case "FUNCTION":
		c := &cl.Call{Op: functionName(f.schema, f.fn), Distinct: f.distinct, Args: f.children}
		c.Extra = append(nonNil(f.filter), f.orderBys...)
		return c, nil
	case "WINDOW":
		c := &cl.Call{Op: functionName(f.schema, f.fn), Distinct: f.distinct,
			Args: append(f.children, nonNil(f.offsetExpr, f.defaultExpr)...)}
		c.Extra = append(nonNil(f.filterExpr), f.argOrders...)
		frame := f.start + " " + f.end + " " + f.exclude
		if f.ignoreNulls {
			frame += " ignore nulls"
		}
		c.Window = &cl.Window{PartitionBy: f.partitions, OrderBy: f.orders, Frame: frame, FrameArgs: nonNil(f.startExpr, f.endExpr)}
		return c, nil
	case "COMPARISON":
		return &cl.Call{Op: f.typ, Args: nonNil(f.left, f.right)}, nil
	case "CONJUNCTION", "OPERATOR":
		return &cl.Call{Op: f.typ, Args: f.children}, nil
	case "BETWEEN":
		return &cl.Call{Op: "between", Args: nonNil(f.input, f.low, f.up)}, nil
	case "CASE":
		return &cl.Call{Op: "case", Args: append(f.cases, orNull(f.elseExpr))}, nil
	case "CAST":
		op := "cast"
		if f.tryCast {
			op = "try_cast"
		}
		return &cl.Call{Op: op, Args: nonNil(f.child, &cl.Literal{Text: "type " + f.castType})}, nil
	case "COLLATE":
		return &cl.Call{Op: "collate", Args: nonNil(f.child, &cl.Literal{Text: "collation " + f.collation})}, nil
	case "SUBQUERY":
		if f.subquery == nil {
			return nil, errors.New("a subquery without query")
		}
		return &cl.Subquery{Kind: strings.ToLower(f.subqueryType), Op: f.comparison, Left: f.child, Query: f.subquery}, nil
	case "LAMBDA":
		l := &cl.Lambda{Body: f.expr}
		switch x := f.lhs.(type) {
		case *cl.Ref:
			l.Params = x.Parts[len(x.Parts)-1:]
		case *cl.Call:
			for _, a := range x.Args {
				if r, ok := a.(*cl.Ref); ok {
					l.Params = append(l.Params, r.Parts[len(r.Parts)-1])
				}
			}
		}
		if l.Body == nil {
			return nil, errors.New("a lambda without body")
		}
		return l, nil
	case "STAR":
		s := &cl.Star{Relation: f.relation, Replace: f.replaces, Rename: f.renames, Columns: f.columns, Pattern: f.expr}
		for _, e := range f.excludes {
			s.Exclude = append(s.Exclude, e[0])
		}
		return s, nil
	}
	return nil, fmt.Errorf("unsupported expression %s %s", f.class, f.typ)
}

// constant reads a Value ({"type": {"id": ...}, "is_null": ..., "value": ...})
// as canonical text: integers as digits, strings quoted, others with their type.
func (d *decoder) constant() (string, error) {
	var id, text string
	var isNull bool
	err := d.object(func(k key) (err error) {
		switch k {
		case kType:
			err = d.object(func(k key) (err error) {
				if k == kID {
					id, err = d.str()
					return err
				}
				return d.dec.SkipValue()
			})
		case kIsNull:
			isNull, err = d.boolean()
		case kValue:
			var v jsontext.Value
			if v, err = d.dec.ReadValue(); err == nil {
				if v.Kind() == '"' {
					var tok jsontext.Token
					dd := jsontext.NewDecoder(bytes.NewReader(v))
					if tok, err = dd.ReadToken(); err == nil {
						text = "'" + strings.ReplaceAll(tok.String(), "'", "''") + "'"
					}
				} else {
					text = withoutLocations(v)
				}
			}
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	switch {
	case isNull:
		return "NULL", err
	case id == "INTEGER" || id == "BIGINT" || id == "HUGEINT" || id == "UBIGINT" || id == "SMALLINT" || id == "TINYINT":
		return text, err
	case id == "VARCHAR":
		return text, err
	}
	return id + " " + text, err
}

func (d *decoder) tableRef() (cl.TableRef, error) {
	if d.dec.PeekKind() == 'n' {
		return nil, d.dec.SkipValue()
	}
	var (
		typ, alias, schema, table, catalog, joinType, refType, sample string
		colAliases, using, expected                                   []string
		sub                                                           *cl.Query
		left, right, source                                           cl.TableRef
		cond, fn                                                      cl.Expr
		values                                                        [][]cl.Expr
		spec                                                          strings.Builder
	)
	err := d.object(func(k key) (err error) {
		switch k {
		case kType:
			typ, err = d.str()
		case kAlias:
			alias, err = d.str()
		case kSchemaName:
			schema, err = d.str()
		case kTableName:
			table, err = d.str()
		case kCatalogName:
			catalog, err = d.str()
		case kColumnNameAlias:
			colAliases, err = d.strings()
		case kExpectedNames:
			expected, err = d.strings()
		case kSample:
			sample, err = d.sample()
		case kSubquery:
			sub, err = d.statement()
		case kLeft:
			left, err = d.tableRef()
		case kRight:
			right, err = d.tableRef()
		case kSource:
			source, err = d.tableRef()
		case kCondition:
			cond, err = d.exprOnly()
		case kJoinType:
			joinType, err = d.str()
		case kRefType:
			refType, err = d.str()
		case kUsingColumns:
			using, err = d.strings()
		case kFunction:
			fn, err = d.exprOnly()
		case kValues:
			err = d.array(func() error {
				row, err := d.exprs()
				values = append(values, row)
				return err
			})
		case kAggregates, kPivots, kUnpivotNames, kGroups, kIncludeNulls:
			var s string
			s, err = d.raw()
			spec.WriteString(s)
			spec.WriteByte(';')
		default:
			err = d.dec.SkipValue()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch typ {
	case "BASE_TABLE":
		t := &cl.Table{Alias: alias, ColumnAliases: colAliases, Sample: sample}
		for _, p := range []string{catalog, schema, table} {
			if p != "" {
				t.Parts = append(t.Parts, p)
			}
		}
		if len(t.Parts) == 0 {
			return nil, errors.New("a table without name")
		}
		return t, nil
	case "SUBQUERY":
		if sub == nil {
			return nil, errors.New("a subquery without query")
		}
		return &cl.SubqueryRef{Query: sub, Alias: alias, ColumnAliases: colAliases}, nil
	case "JOIN":
		if left == nil || right == nil {
			return nil, errors.New("a join without both sides")
		}
		j := &cl.Join{Kind: strings.ToLower(joinType), Left: left, Right: right, On: cond, Using: using}
		switch refType {
		case "NATURAL":
			j.Natural = true
		case "CROSS", "POSITIONAL", "ASOF", "DEPENDENT":
			if j.Kind == "inner" {
				j.Kind = strings.ToLower(refType)
			} else {
				j.Kind += " " + strings.ToLower(refType)
			}
		}
		return j, nil
	case "TABLE_FUNCTION":
		c, ok := fn.(*cl.Call)
		if !ok {
			return nil, errors.New("a table function that is not a function call")
		}
		// DuckDB reads named parameters (header = true) as comparisons.
		args := make([]cl.Expr, len(c.Args))
		for i, a := range c.Args {
			args[i] = a
			if cmp, ok := a.(*cl.Call); ok && cmp.Op == "COMPARE_EQUAL" && len(cmp.Args) == 2 {
				if ref, ok := cmp.Args[0].(*cl.Ref); ok && len(ref.Parts) == 1 {
					args[i] = &cl.Call{Op: "named:" + strings.ToLower(ref.Parts[0]), Args: cmp.Args[1:]}
				}
			}
		}
		return &cl.TableFunction{Name: c.Op, Args: args, Alias: alias, ColumnAliases: colAliases}, nil
	case "EXPRESSION_LIST":
		if len(colAliases) == 0 {
			colAliases = expected
		}
		return &cl.Values{Rows: values, Alias: alias, ColumnAliases: colAliases}, nil
	case "EMPTY", "EMPTY_FROM":
		return nil, nil
	case "PIVOT":
		o := &cl.Opaque{Kind: "pivot", Spec: spec.String(), Alias: alias}
		if source != nil {
			o.Inputs = []cl.TableRef{source}
		}
		return o, nil
	}
	return &cl.Opaque{Kind: strings.ToLower(typ), Spec: spec.String(), Alias: alias}, nil
}
