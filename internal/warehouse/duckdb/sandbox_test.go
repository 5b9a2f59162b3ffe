package duckdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/warehousetest"
)

// shopFile builds a database file with a table shop.main.t of 10 rows,
// as dbt would, and returns its path.
func shopFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.duckdb")
	rw, err := Open(t.Context(), path, Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, err := rw.DB().ExecContext(t.Context(), "create table t as select range as id from range(10)"); err != nil {
		t.Fatal(err)
	}
	return path
}

// openShop opens the file as recce does: through the registry, read-only,
// under the sandbox.
func openShop(t *testing.T, path string, o warehouse.Options) warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(t.Context(), &dbt.Target{Type: "duckdb", Path: path}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestSandbox(t *testing.T) {
	path := shopFile(t)
	warehousetest.Sandbox(t, func(t *testing.T, l warehouse.Limits) warehouse.Warehouse {
		return openShop(t, path, warehouse.Options{Limits: l})
	}, warehousetest.Engine{
		Table: "t",
		Slow:  "select count(*) from range(100000000000) r(a) where a % 7 = 3",
		Wide:  "select range as id, repeat('x', 1000) as pad from range(2000)",
		Writes: []string{
			"create table t2 as select 1 as x",
			"insert into t values (11)",
			"drop table t",
			"create table memory.main.t2 as select 1 as x",
		},
	})
}

// The attacks of the review on DuckDB (issue 11, findings 2 and 3): each
// would succeed on a DuckDB opened as recce used to; each is refused, and
// no answer carries what the files hold.
func TestSandboxDuckDB(t *testing.T) {
	ctx := context.Background()
	path := shopFile(t)
	dir := t.TempDir()
	// Stand-ins for the server's key file and its SQLite store.
	key := filepath.Join(dir, "secret.key")
	store := filepath.Join(dir, "recce.db")
	const secret = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLXRlc3Q="
	for _, f := range []string{key, store} {
		if err := os.WriteFile(f, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out.csv")
	other := filepath.Join(dir, "other.duckdb")
	q := NewDialect().QuoteString

	w := openShop(t, path, warehouse.Options{})
	attacks := []string{
		// Files: the key and the store, by every reader DuckDB has.
		"select * from read_text(" + q(key) + ")",
		"select * from read_blob(" + q(key) + ")",
		"select * from read_csv(" + q(key) + ")",
		"select * from read_csv_auto(" + q(store) + ")",
		"select * from read_json(" + q(key) + ")",
		"select * from read_parquet(" + q(store) + ")",
		"select * from sniff_csv(" + q(key) + ")",
		"select * from glob(" + q(dir+"/*") + ")",
		"select * from " + q(key),
		"select * from read_text(" + q("https://example.com/") + ")",
		// Writing a file, as a statement and through the wrapper.
		"copy (select 1) to " + q(out),
		"select * from (select 1) q; copy (select 1) to " + q(out) + "; select * from (select 1) q",
		"export database " + q(dir+"/export"),
		// Other databases, read-write, and a table created in them.
		"attach " + q(other) + " as other",
		"attach " + q(store) + " as st (type sqlite)",
		"attach ':memory:' as m2",
		"create table memory.main.x as select 1 as x",
		"create temp table x as select 1 as x",
		"create macro m() as 1",
		// The warehouse itself, for every later query.
		"detach shop",
		"use memory",
		// Settings and extensions.
		"set enable_external_access = true",
		"set threads = 1",
		"reset threads",
		"set lock_configuration = false",
		"install httpfs",
		"load httpfs",
		"pragma enable_profiling",
		"call pragma_version()",
		"checkpoint",
		"select * from query(" + q("attach "+q(other)+" as o") + ")",
	}
	for _, a := range attacks {
		rows, err := w.Query(ctx, a)
		if err == nil {
			rows.Close()
			t.Errorf("%s: ran", a)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error carries the file's content: %v", a, err)
		}
	}
	for _, f := range []string{out, other, filepath.Join(dir, "export")} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was written: %v", f, err)
		}
	}
	// Later queries still see the warehouse, on every connection, with
	// the sandbox's settings in force.
	for range 4 {
		_, r, err := warehouse.QueryRow(ctx, w, "select count(*), current_database(), current_setting('enable_external_access'), current_setting('lock_configuration') from t")
		if err != nil {
			t.Fatal(err)
		}
		if warehouse.Int64(r[0]) != 10 || r[1] != "shop" || r[2] != false || r[3] != true {
			t.Errorf("after the attacks: %v", r)
		}
	}

	// With --duckdb-external-access, files can be read (what the flag is
	// for); the statement gate and the locked configuration still hold.
	open := openShop(t, path, warehouse.Options{ExternalAccess: true})
	if _, r, err := warehouse.QueryRow(ctx, open, "select content from read_text("+q(key)+")"); err != nil || r[0] != secret+"\n" {
		t.Errorf("external access on: read_text gave %v, %v", r, err)
	}
	for _, a := range []string{"copy (select 1) to " + q(out), "attach " + q(other) + " as other", "set threads = 1", "detach shop"} {
		if _, err := open.Query(ctx, a); !errors.Is(err, warehouse.ErrRefused) {
			t.Errorf("external access on: %s: %v, want a refusal", a, err)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was written", out)
	}
}

// A database built for writing (the demo, test helpers) is trusted code's
// and has no sandbox; its Query still runs one SELECT only.
func TestReadWriteQueryIsOneSelect(t *testing.T) {
	w, err := Open(t.Context(), ":memory:", Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, q := range []string{"create table x as select 1", "select 1; select 2"} {
		if _, err := w.Query(t.Context(), q); !errors.Is(err, warehouse.ErrRefused) {
			t.Errorf("%s: %v", q, err)
		}
	}
}
