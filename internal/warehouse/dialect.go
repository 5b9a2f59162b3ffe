package warehouse

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Dialect writes the parts of SQL that differ between engines. Every
// method returns a SQL fragment; arguments named expr are SQL expressions
// (already quoted), never raw names.
type Dialect interface {
	// Name is the adapter type as in profiles.yml (duckdb, postgres...).
	Name() string
	// QuoteIdent quotes a name exactly as given: no case folding.
	QuoteIdent(name string) string
	// QuoteString writes a string literal.
	QuoteString(s string) string
	// FoldCase gives the name under which the warehouse stores an
	// identifier that dbt created unquoted (Snowflake upper-cases it;
	// DuckDB and PostgreSQL, where dbt quotes, keep it).
	FoldCase(name string) string
	// Relation writes database.schema.name, each part case-folded and
	// quoted; empty parts are left out.
	Relation(database, schema, name string) string
	// NullSafeEqual is true when a and b are equal or both null, never
	// null itself.
	NullSafeEqual(a, b string) string
	// CastText casts an expression to the engine's string type.
	CastText(expr string) string
	// CastFloat casts an expression to a double-precision float.
	CastFloat(expr string) string
	// Median is the aggregate median of a numeric expression.
	Median(expr string) string
	// Hash is a text hash of one or more expressions taken together, null
	// aware: two rows with equal values (nulls included) hash the same.
	Hash(exprs ...string) string
	// Epoch is the number of seconds since 1970 of a date or timestamp.
	Epoch(expr string) string
	// Kind classifies a type name as the driver reports it.
	Kind(typeName string) Kind
	// RelationsQuery lists the relations (tables and views) of the given
	// schemas, as rows of (database, schema, name). It should list
	// relations the user cannot read, so that those can be told apart
	// from missing ones.
	RelationsQuery(schemas []string) string
}

// BaseDialect is ANSI SQL, as DuckDB, PostgreSQL, Trino and most others
// write it. Adapters embed it and override what differs.
type BaseDialect struct {
	// Type is returned by Name.
	Type string
}

func (d BaseDialect) Name() string { return d.Type }

func (BaseDialect) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func (BaseDialect) QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (BaseDialect) FoldCase(name string) string { return name }

// Relation uses the receiver's QuoteIdent and FoldCase through the
// dialect passed in, so that a dialect embedding BaseDialect and
// overriding them still gets the right relation.
func (d BaseDialect) Relation(database, schema, name string) string {
	return RelationOf(d, database, schema, name)
}

// RelationOf writes database.schema.name with d's quoting and case: the
// shared implementation of Dialect.Relation for dialects that embed
// BaseDialect and override QuoteIdent or FoldCase.
func RelationOf(d Dialect, database, schema, name string) string {
	var parts []string
	for _, p := range []string{database, schema, name} {
		if p != "" {
			parts = append(parts, d.QuoteIdent(d.FoldCase(p)))
		}
	}
	return strings.Join(parts, ".")
}

func (BaseDialect) NullSafeEqual(a, b string) string {
	return "(" + a + " is not distinct from " + b + ")"
}

func (BaseDialect) CastText(expr string) string { return "cast(" + expr + " as varchar)" }

func (BaseDialect) CastFloat(expr string) string { return "cast(" + expr + " as double precision)" }

func (BaseDialect) Median(expr string) string {
	return "percentile_cont(0.5) within group (order by " + expr + ")"
}

// Hash joins the values as text with a unit separator, a null standing as
// NUL followed by N (so that null and ” differ; a text value holding that
// very pair of control characters would collide, an accepted risk), and
// takes their MD5.
func (d BaseDialect) Hash(exprs ...string) string {
	return HashOf(d, exprs...)
}

// HashOf is BaseDialect.Hash over any dialect's CastText.
func HashOf(d Dialect, exprs ...string) string {
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = "coalesce(" + d.CastText(e) + ", chr(30) || 'N')"
	}
	return "md5(" + strings.Join(parts, " || chr(31) || ") + ")"
}

func (BaseDialect) Epoch(expr string) string { return "extract(epoch from " + expr + ")" }

var typeParams = regexp.MustCompile(`\s*\(.*\)\s*$`)

func (BaseDialect) Kind(typeName string) Kind {
	t := strings.ToUpper(strings.TrimSpace(typeName))
	t = typeParams.ReplaceAllString(t, "")
	switch {
	case t == "":
		return KindUnknown
	case strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "_") || strings.HasPrefix(t, "STRUCT") ||
		strings.HasPrefix(t, "MAP") || strings.HasPrefix(t, "LIST") || strings.HasPrefix(t, "ARRAY"):
		return KindUnknown
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
		"UBIGINT", "UHUGEINT", "INT1", "INT2", "INT4", "INT8", "INT16", "INT32", "INT64", "BYTEINT", "LONG", "SHORT":
		return KindInteger
	case "DECIMAL", "NUMERIC", "NUMBER", "FLOAT", "FLOAT4", "FLOAT8", "FLOAT64", "DOUBLE", "DOUBLE PRECISION", "REAL":
		return KindNumber
	case "VARCHAR", "TEXT", "CHAR", "CHARACTER", "CHARACTER VARYING", "BPCHAR", "STRING", "NVARCHAR", "NCHAR",
		"NAME", "CITEXT", "UUID", "ENUM":
		return KindText
	case "BOOLEAN", "BOOL":
		return KindBoolean
	case "DATE":
		return KindDate
	case "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE",
		"TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS":
		return KindDatetime
	case "INTERVAL":
		return KindTimedelta
	}
	return KindUnknown
}

// RelationsQuery reads information_schema.tables, which most engines have.
func (d BaseDialect) RelationsQuery(schemas []string) string {
	return "select table_catalog, table_schema, table_name from information_schema.tables where " +
		InLower(d, "table_schema", schemas)
}

// InLower writes "lower(col) in (...)" over the given values, lower-cased:
// schema names are matched regardless of case, since the manifest and the
// warehouse may spell them differently (Snowflake).
func InLower(d Dialect, col string, values []string) string {
	if len(values) == 0 {
		return "1 = 0"
	}
	lits := make([]string, len(values))
	for i, v := range values {
		lits[i] = d.QuoteString(strings.ToLower(v))
	}
	return "lower(" + col + ") in (" + strings.Join(lits, ", ") + ")"
}

// SafeRelation reads a relation name as dbt writes one (relation_name in
// a manifest: one to three identifiers separated by dots, each plain or
// double-quoted) and writes it back with d's quoting, plain parts left
// plain so that the engine folds their case as dbt meant. Anything else
// (a subquery, a function call, a comment, a second statement) is an
// error: a manifest may come from anyone who can run a pipeline.
func SafeRelation(d Dialect, name string) (string, error) {
	var parts []string
	rest := name
	for {
		if len(parts) == 3 {
			return "", fmt.Errorf("more than three parts")
		}
		var part string
		switch {
		case strings.HasPrefix(rest, `"`):
			var ident strings.Builder
			i := 1
			for {
				j := strings.IndexByte(rest[i:], '"')
				if j < 0 {
					return "", fmt.Errorf("an unterminated quoted identifier")
				}
				ident.WriteString(rest[i : i+j])
				i += j + 1
				if !strings.HasPrefix(rest[i:], `"`) {
					break
				}
				ident.WriteByte('"') // "" is a quote inside the name
				i++
			}
			if ident.Len() == 0 {
				return "", fmt.Errorf("an empty quoted identifier")
			}
			part, rest = d.QuoteIdent(ident.String()), rest[i:]
		default:
			i := strings.IndexFunc(rest, func(r rune) bool { return !plainIdentRune(r) })
			if i < 0 {
				i = len(rest)
			}
			if i == 0 || unicode.IsDigit(rune(rest[0])) {
				return "", fmt.Errorf("%q is not an identifier", cut(rest, 40))
			}
			part, rest = rest[:i], rest[i:]
		}
		parts = append(parts, part)
		if rest == "" {
			return strings.Join(parts, "."), nil
		}
		if rest[0] != '.' {
			return "", fmt.Errorf("%q follows the identifiers", cut(rest, 40))
		}
		rest = rest[1:]
	}
}

// plainIdentRune is what an unquoted identifier holds: letters, digits,
// _ and $ (PostgreSQL, Snowflake and DuckDB all accept these).
func plainIdentRune(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
