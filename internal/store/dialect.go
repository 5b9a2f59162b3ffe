package store

import (
	"strconv"
	"strings"
)

// dialect is everything that differs between the SQL databases the store
// runs on. The rest of the package writes one portable SQL: "?" placeholders,
// INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING (SQLite 3.24+ and PostgreSQL
// 9.5+ share it), times as integer Unix milliseconds, booleans as integers.
// Adding PostgreSQL (issue 7) means a driver import, a constructor, and this
// value; no query changes.
type dialect struct {
	name   string
	driver string // database/sql driver name
	// numbered placeholders ($1, $2...) instead of "?"
	numbered bool
	// types substituted in migrations: {{int64}}, {{blob}}
	types map[string]string
}

var sqliteDialect = dialect{
	name:   "sqlite",
	driver: "sqlite",
	types:  map[string]string{"{{int64}}": "INTEGER", "{{blob}}": "BLOB"},
}

// postgresDialect is ready for the PostgreSQL backend of issue 7.
var postgresDialect = dialect{
	name:     "postgres",
	driver:   "pgx",
	numbered: true,
	types:    map[string]string{"{{int64}}": "BIGINT", "{{blob}}": "BYTEA"},
}

// rebind turns "?" placeholders into the dialect's. Queries in this package
// never hold a literal "?" inside a string, so a plain scan is enough.
func (d dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// ddl renders a migration for the dialect.
func (d dialect) ddl(s string) string {
	for k, v := range d.types {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}
