package columnlineage

import (
	"slices"
	"strings"
	"sync"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// Identifiers compare case-insensitively. Warehouses fold unquoted names
// (Snowflake to upper case, PostgreSQL and DuckDB to lower case, BigQuery
// keeps table names as written); the parser does not say which names were
// quoted, so "Orders" and "orders" are the same relation here. Projects
// with two relations differing only in case are not supported.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func equalFold(a, b string) bool { return a == b || strings.EqualFold(a, b) }

// relationIndex finds the node a relation name in compiled SQL stands for:
// compiled SQL has no refs, only database.schema.identifier names. Names
// are looked up among the model's parents first (almost always enough);
// the index of every node's names is built only when that fails.
type relationIndex struct {
	manifest *dbt.Manifest
	once     sync.Once
	byName   map[string][]string // lower-case qualified name → unique_ids
	// byFunction finds the nodes whose relation is a table function (the
	// external sources of dbt-duckdb: read_csv('...')), by functionKey.
	byFunction map[string]string
	// functions are those nodes' relation names, to parse.
	functions map[string]string // unique_id → relation_name
}

func newRelationIndex(m *dbt.Manifest) *relationIndex {
	x := &relationIndex{manifest: m}
	for id, n := range m.Nodes {
		if strings.Contains(n.RelationName, "(") && n.HasRelation() {
			if x.functions == nil {
				x.functions = map[string]string{}
			}
			x.functions[id] = n.RelationName
		}
	}
	return x
}

// relationKeys are the lower-case names that stand for a node's relation:
// database.schema.name, schema.name and name. Ephemeral models have none:
// dbt inlines them as CTEs (see resolver.ephemeral).
func relationKeys(n *dbt.Node) (keys [3]string, ok bool) {
	if !n.HasRelation() || strings.Contains(n.RelationName, "(") {
		return keys, false
	}
	name := lower(n.RelationAlias())
	schema, db := lower(n.Schema), lower(n.Database)
	if parts := relationParts(n.RelationName); len(parts) > 0 {
		// relation_name is what dbt writes into compiled SQL.
		name = lower(parts[len(parts)-1])
		if len(parts) >= 2 {
			schema = lower(parts[len(parts)-2])
		}
		if len(parts) >= 3 {
			db = lower(parts[len(parts)-3])
		}
	}
	return [3]string{db + "." + schema + "." + name, schema + "." + name, name}, true
}

func (x *relationIndex) build() {
	x.byName = make(map[string][]string, len(x.manifest.Nodes)*3)
	for id, n := range x.manifest.Nodes {
		keys, ok := relationKeys(n)
		if !ok {
			continue
		}
		for _, k := range keys {
			if ids := x.byName[k]; !slices.Contains(ids, id) {
				x.byName[k] = append(ids, id)
			}
		}
	}
}

// match returns the node of a relation name as written (1 to 3 parts),
// or "". A parent of the model wins; otherwise the name must be one
// node's.
func (x *relationIndex) match(parts []string, parents []string) string {
	if len(parts) == 0 || len(parts) > 3 {
		return ""
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(lower(p))
	}
	key := b.String()
	found := ""
	for _, id := range parents {
		n := x.manifest.Nodes[id]
		if n == nil {
			continue
		}
		if keys, ok := relationKeys(n); ok && slices.Contains(keys[:], key) {
			if found != "" && found != id {
				return "" // two parents of that name
			}
			found = id
		}
	}
	if found != "" {
		return found
	}
	x.once.Do(x.build)
	if ids := x.byName[key]; len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// relationParts splits a relation_name such as "db"."schema"."t" or
// `project`.`dataset`.`t` into its unquoted parts.
func relationParts(s string) []string {
	var parts []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			if i+1 < len(s) && s[i+1] == quote {
				cur.WriteByte(c)
				i++
			} else {
				quote = 0
			}
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '`' || c == '[':
			quote = c
			if c == '[' {
				quote = ']'
			}
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		case c == ' ' || c == '\t' || c == '\n':
		default:
			cur.WriteByte(c)
		}
	}
	if s != "" {
		parts = append(parts, cur.String())
	}
	return parts
}

// niladic are functions called without parentheses, which the parser reads
// as column names: when no relation has such a column, they are constants.
var niladic = map[string]bool{
	"current_date": true, "current_time": true, "current_timestamp": true, "localtime": true,
	"localtimestamp": true, "current_user": true, "session_user": true, "user": true,
	"current_role": true, "current_schema": true, "current_database": true, "current_catalog": true,
	"sysdate": true, "sysdatetime": true, "getdate": true, "current_region": true, "current_account": true,
	"current_warehouse": true, "current_session": true, "current_statement": true, "null": true,
	"true": true, "false": true,
}

func init() {
	for p := range dateParts {
		niladic[p] = true
	}
}

// dateParts are the date parts written bare in DATEADD(day, ...),
// DATE_TRUNC(x, MONTH)...
var dateParts = map[string]bool{
	"year": true, "years": true, "yyyy": true, "yy": true, "quarter": true, "qtr": true, "month": true,
	"months": true, "mm": true, "mon": true, "week": true, "weeks": true, "wk": true, "isoweek": true,
	"day": true, "days": true, "dd": true, "d": true, "dayofweek": true, "dayofyear": true, "dow": true,
	"doy": true, "hour": true, "hours": true, "hh": true, "minute": true, "minutes": true, "mi": true,
	"second": true, "seconds": true, "ss": true, "millisecond": true, "milliseconds": true, "ms": true,
	"microsecond": true, "microseconds": true, "us": true, "nanosecond": true, "ns": true, "epoch": true,
	"isoyear": true, "weekday": true, "yearofweek": true,
}

// dateFunctions take a bare date part as an argument.
var dateFunctions = map[string]bool{
	"dateadd": true, "datediff": true, "date_add": true, "date_diff": true, "date_sub": true,
	"timestampadd": true, "timestampdiff": true, "timestamp_add": true, "timestamp_diff": true,
	"timestamp_sub": true, "timeadd": true, "timediff": true, "date_trunc": true, "datetime_trunc": true,
	"timestamp_trunc": true, "time_trunc": true, "datepart": true, "date_part": true, "last_day": true,
	"time_slice": true, "datetime_add": true, "datetime_diff": true, "datetime_sub": true, "extract": true,
}

// aggregates are the aggregate functions of the supported warehouses: a
// SELECT that calls one outside a window returns one row per group.
var aggregates = map[string]bool{
	"sum": true, "count": true, "count_star": true, "avg": true, "mean": true, "min": true, "max": true,
	"any_value": true, "arbitrary": true, "first": true, "last": true, "array_agg": true, "list": true,
	"string_agg": true, "listagg": true, "group_concat": true, "median": true, "mode": true,
	"stddev": true, "stddev_pop": true, "stddev_samp": true, "variance": true, "var_pop": true,
	"var_samp": true, "approx_count_distinct": true, "approx_distinct": true, "approx_quantile": true,
	"approx_percentile": true, "quantile": true, "quantile_cont": true, "quantile_disc": true,
	"percentile_cont": true, "percentile_disc": true, "bool_and": true, "bool_or": true, "booland_agg": true,
	"boolor_agg": true, "every": true, "bit_and": true, "bit_or": true, "bit_xor": true, "corr": true,
	"covar_pop": true, "covar_samp": true, "regr_slope": true, "regr_intercept": true, "regr_r2": true,
	"regr_count": true, "regr_avgx": true, "regr_avgy": true, "arg_max": true, "arg_min": true,
	"max_by": true, "min_by": true, "argmax": true, "argmin": true, "count_if": true, "countif": true,
	"logical_or": true, "logical_and": true, "hll": true, "hll_count": true, "object_agg": true,
	"array_union_agg": true, "array_unique_agg": true, "histogram": true, "entropy": true,
	"kurtosis": true, "skewness": true, "product": true, "fsum": true, "sumkahan": true, "favg": true,
	"geomean": true, "approx_top_k": true, "reservoir_quantile": true, "mad": true, "array_concat_agg": true,
	"approx_count_distinct_ds_hll": true, "hash_agg": true, "minhash": true, "kurtosis_pop": true,
	"string_agg_distinct": true, "collect_list": true, "collect_set": true, "percentile": true,
	"percentile_approx": true, "bitstring_agg": true, "json_group_array": true,
	"json_group_object": true, "json_agg": true, "jsonb_agg": true, "json_object_agg": true,
	"jsonb_object_agg": true, "xmlagg": true, "stddev_samp_distinct": true,
}

// function returns the node whose relation is the table function call, or "".
func (x *relationIndex) function(f *TableFunction) string {
	if len(x.byFunction) == 0 {
		return ""
	}
	if k := functionKey(f.Name, f.Args); k != "" {
		return x.byFunction[k]
	}
	return ""
}

// functionKey renders a table function call whose arguments are constants
// ("" otherwise): the same call in a model's SQL and in a source's
// relation_name give the same key.
func functionKey(name string, args []Expr) string {
	var b strings.Builder
	b.WriteString(lower(name))
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteByte(',')
		}
		if !renderConst(&b, a) {
			return ""
		}
	}
	b.WriteByte(')')
	return b.String()
}

func renderConst(b *strings.Builder, e Expr) bool {
	switch x := e.(type) {
	case *Literal:
		b.WriteString(x.Text)
		return true
	case *Call:
		b.WriteString(lower(x.Op))
		b.WriteByte('(')
		for i, a := range x.Args {
			if i > 0 {
				b.WriteByte(',')
			}
			if !renderConst(b, a) {
				return false
			}
		}
		b.WriteByte(')')
		return x.Window == nil && len(x.Extra) == 0
	}
	return false
}
