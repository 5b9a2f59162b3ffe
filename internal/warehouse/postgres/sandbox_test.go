package postgres

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/warehousetest"
)

// shop creates a table t of 10 rows in a new database, as the
// superuser, and returns the database's URL.
func shop(t *testing.T) string {
	t.Helper()
	w, u := open(t)
	if _, err := w.Pool().Exec(t.Context(), "create table t as select g as id from generate_series(1, 10) g; create sequence s"); err != nil {
		t.Fatal(err)
	}
	return u
}

// openGuarded opens the database as recce does, under the sandbox's
// limits. The profile's user is the cluster's superuser: the sandbox must
// hold even then.
func openGuarded(t *testing.T, u string, l warehouse.Limits) *warehouse.Guarded {
	t.Helper()
	w, err := OpenURL(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	g := warehouse.Guard(w, l)
	t.Cleanup(func() { g.Close() })
	return g
}

func TestSandbox(t *testing.T) {
	u := shop(t)
	warehousetest.Sandbox(t, func(t *testing.T, l warehouse.Limits) warehouse.Warehouse {
		return openGuarded(t, u, l)
	}, warehousetest.Engine{
		Table: "t",
		Slow:  "select pg_sleep(600)",
		Wide:  "select g as id, repeat('x', 1000) as pad from generate_series(1, 2000) g",
		Writes: []string{
			"insert into t values (11)",
			"drop table t",
			"create table t2 (x int)",
			"update t set id = 0",
			"delete from t",
			"truncate t",
			"set search_path = nowhere",
			"copy t to stdout",
		},
	})
}

// The attacks of the review on PostgreSQL (issue 11, finding 2), as the
// superuser: each would succeed through the simple protocol outside a
// read-only transaction.
func TestSandboxPostgres(t *testing.T) {
	ctx := context.Background()
	u := shop(t)
	// One connection: what a query leaves in its session would meet the
	// next query.
	pu, _ := url.Parse(u)
	qs := pu.Query()
	qs.Set("pool_max_conns", "1")
	pu.RawQuery = qs.Encode()
	w := openGuarded(t, pu.String(), warehouse.Limits{})

	attacks := []string{
		// The query editor's wrapper closed by the user's SQL.
		"select * from (select 1) q; create table pwned (x int); select * from (select 1) q",
		"select * from (select 1) q; drop table t; select * from (select 1) q",
		// Data-modifying CTEs and functions that write.
		"with d as (delete from t returning *) select count(*) from d",
		"select nextval('s')",
		"select pg_catalog.set_config('default_transaction_read_only', 'off', false), count(*) from t; insert into t values (12)",
	}
	for _, a := range attacks {
		rows, err := w.Query(ctx, a)
		if err == nil {
			rows.Close()
			t.Errorf("%s: ran", a)
		}
	}
	// What a query sets in its session is undone with its transaction.
	if _, _, err := warehouse.QueryRow(ctx, w, "select set_config('search_path', 'nowhere', false), set_config('statement_timeout', '0', false)"); err != nil {
		t.Fatal(err)
	}
	// A superuser may read server files (pg_read_file, lo_import: what the
	// read-only role of the docs is for), but what lo_import stores is
	// rolled back.
	if _, _, err := warehouse.QueryRow(ctx, w, "select lo_import('/etc/hostname')"); err != nil {
		t.Fatal(err)
	}
	_, r, err := warehouse.QueryRow(ctx, w, "select current_setting('search_path'), current_setting('transaction_read_only'), (select count(*) from t), (select count(*) from pg_tables where tablename = 'pwned'), (select count(*) from pg_largeobject_metadata)")
	if err != nil {
		t.Fatal(err)
	}
	if r[0] == "nowhere" || r[1] != "on" || warehouse.Int64(r[2]) != 10 || warehouse.Int64(r[3]) != 0 || warehouse.Int64(r[4]) != 0 {
		t.Errorf("after the attacks: search_path %v, read only %v, %v rows, %v tables pwned, %v large objects", r[0], r[1], r[2], r[3], r[4])
	}

	// A query that turns its own statement_timeout off is still cut.
	short := openGuarded(t, u, warehouse.Limits{Timeout: 500 * time.Millisecond})
	start := time.Now()
	_, _, err = warehouse.QueryAll(ctx, short, "select set_config('statement_timeout', '0', true), pg_sleep(30)")
	if !errors.Is(err, warehouse.ErrTimeout) || time.Since(start) > 10*time.Second {
		t.Errorf("statement_timeout turned off by the query: %v after %s", err, time.Since(start))
	}
}

// The read-only role of docs/server.md, its SQL taken from the page: recce
// reads the project's schemas, tables dbt builds later included, and
// nothing else, whatever SQL reaches it.
func TestReadOnlyRoleOfTheDocs(t *testing.T) {
	ctx := context.Background()
	page, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "server.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)give recce a read-only role.*?```sql\n(.*?)```").FindSubmatch(page)
	if m == nil {
		t.Fatal("docs/server.md has no SQL block under \"give recce a read-only role\"")
	}
	admin, u := open(t)
	pu, _ := url.Parse(u)
	db := strings.TrimPrefix(pu.Path, "/")
	setup := []string{
		"create role dbt",
		"create schema prod authorization dbt",
		"create schema dbt_ci authorization dbt",
		"set role dbt",
		"create table prod.orders as select g as id from generate_series(1, 5) g",
		"reset role",
		"create table public.secrets as select 'x' as s",
	}
	docs := strings.ReplaceAll(strings.ReplaceAll(string(m[1]), "analytics", db), "'...'", "'change-me'")
	later := []string{"set role dbt", "create table dbt_ci.orders as select g as id from generate_series(1, 7) g", "reset role"}
	for _, s := range append(append(setup, docs), later...) {
		if _, err := admin.Pool().Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	port := 5432
	if p := pu.Port(); p != "" {
		port = atoi(t, p)
	}
	w, err := warehouse.Open(ctx, &dbt.Target{Type: "postgres", Host: pu.Hostname(), Port: port, User: "recce_reader",
		Password: "change-me", Database: db, SSLMode: "disable"}, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, r, err := warehouse.QueryRow(ctx, w, "select (select count(*) from prod.orders), (select count(*) from dbt_ci.orders), current_setting('default_transaction_read_only')")
	if err != nil || warehouse.Int64(r[0]) != 5 || warehouse.Int64(r[1]) != 7 || r[2] != "on" {
		t.Errorf("the project's schemas: %v %v", r, err)
	}
	for _, q := range []string{"select * from public.secrets", "select pg_read_file('/etc/hostname')", "select * from pg_ls_dir('.')"} {
		if _, _, err := warehouse.QueryAll(ctx, w, q); !errors.Is(err, warehouse.ErrPermissionDenied) {
			t.Errorf("%s: %v, want permission denied", q, err)
		}
	}
}

func atoi(t *testing.T, s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("port %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
