package diff_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// The attacks of the security review (issue 11) that go through the
// diffs: SQL that closes the query editor's wrapper (finding 2), a
// manifest whose relation_name is SQL (finding 4), a runaway query and a
// huge result (finding 6). Each would succeed on the code before the
// sandbox; each is refused here, on DuckDB and on PostgreSQL.

// sandboxEngine is what the attacks need of an engine.
type sandboxEngine struct {
	database string // the catalog the planted schemas are in
	// escape closes the wrapper and runs a statement that leaves a trace;
	// traced says whether it ran.
	escape string
	traced func(t *testing.T) bool
	// secretFile is a file the warehouse process can read, holding
	// secret, or "" when the warehouse runs elsewhere (PostgreSQL).
	secretFile, secret string
	slow               string
	// open opens the planted warehouse as recce does, under limits.
	open func(t *testing.T, l warehouse.Limits) warehouse.Warehouse
}

func checkSandbox(t *testing.T, s sandboxEngine) {
	ctx := context.Background()
	w := s.open(t, warehouse.Limits{})
	e := &diff.Envs{Warehouse: w, Base: difftest.Manifest(s.database, "base", plantedModels...),
		Current: difftest.Manifest(s.database, "current", plantedModels...)}

	t.Run("the query wrapper cannot be closed", func(t *testing.T) {
		for _, sql := range []string{
			"select 1) q; " + s.escape + "; select * from (select 1",
			"select 1 as x) q; " + s.escape + "; --",
			"select 1; " + s.escape,
		} {
			if _, err := diff.Query(ctx, e, diff.QueryParams{SQLTemplate: sql}); !errors.Is(err, warehouse.ErrRefused) {
				t.Errorf("query %q: %v, want a refusal", sql, err)
			}
			if _, err := diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: "select 1 as x", BaseSQLTemplate: sql}); !errors.Is(err, warehouse.ErrRefused) {
				t.Errorf("query diff, base %q: %v, want a refusal", sql, err)
			}
			if _, err := diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: sql, PrimaryKeys: []string{"x"}}); !errors.Is(err, warehouse.ErrRefused) {
				t.Errorf("keyed query diff %q: %v, want a refusal", sql, err)
			}
		}
		if s.traced(t) {
			t.Fatal("the statement after the wrapper ran")
		}
		// Closing the parenthesis to make another single query of it: the
		// SQL does not parse alone, so it is refused too.
		for _, sql := range []string{"select 1 as x) q, (select 2 as y", "select 1 as x) q union all select 2 from (select 1"} {
			if _, err := diff.Query(ctx, e, diff.QueryParams{SQLTemplate: sql}); err == nil {
				t.Errorf("query %q ran", sql)
			}
		}
		// What users write still works: a trailing comment, a semicolon.
		res, err := diff.Query(ctx, e, diff.QueryParams{SQLTemplate: "select count(*) as n from {{ ref('orders') }} -- all of them\n;"})
		if err != nil || len(res.Data) != 1 || warehouse.Int64(res.Data[0][0]) != 1015 {
			t.Errorf("a query with a trailing comment: %+v %v", res, err)
		}
	})

	t.Run("relation_name from a manifest is not SQL", func(t *testing.T) {
		hostile := []string{
			"(select 0 as n) x",
			`"base"."orders" where 1 = 0`,
			`"base"."orders"; select 1`,
			`"base"."orders" --`,
			`"base"."orders" as x, "base"."pairs"`,
			`base.orders.x.y`,
			`"unterminated`,
		}
		if s.secretFile != "" {
			hostile = append(hostile, "read_text('"+s.secretFile+"')", "read_csv('"+s.secretFile+"')")
		}
		for _, rel := range hostile {
			base := difftest.Manifest(s.database, "base", "orders")
			base.Nodes["model.planted.orders"].RelationName = rel
			he := &diff.Envs{Warehouse: w, Base: base, Current: difftest.Manifest(s.database, "current", "orders")}
			rc, err := diff.RowCount(ctx, he, []string{"model.planted.orders"}, diff.RowCountOptions{})
			if err == nil || !strings.Contains(err.Error(), "relation_name in the manifest is not a relation") {
				t.Errorf("relation_name %q: %+v, %v; want a refusal", rel, rc, err)
				continue
			}
			if s.secret != "" && strings.Contains(err.Error(), s.secret) {
				t.Errorf("relation_name %q: the error holds the file: %v", rel, err)
			}
			if _, err := diff.Value(ctx, he, diff.ValueParams{Model: "orders", PrimaryKey: diff.Keys{"id"}}); err == nil {
				t.Errorf("value diff with relation_name %q ran", rel)
			}
			if _, err := diff.Query(ctx, he, diff.QueryParams{Base: true, SQLTemplate: "select * from {{ ref('orders') }}"}); err == nil {
				t.Errorf("query of ref() with relation_name %q ran", rel)
			}
		}
		// relation_name as dbt writes it is used, quoted again.
		for _, rel := range []string{`"` + s.database + `"."base"."orders"`, `base.orders`, `"base".orders`} {
			base := difftest.Manifest(s.database, "base", "orders")
			base.Nodes["model.planted.orders"].RelationName = rel
			he := &diff.Envs{Warehouse: w, Base: base, Current: difftest.Manifest(s.database, "current", "orders")}
			rc, err := diff.RowCount(ctx, he, []string{"model.planted.orders"}, diff.RowCountOptions{})
			if err != nil || *rc.Nodes[0].Base != 1000 {
				t.Errorf("relation_name %s: %+v %v", rel, rc, err)
			}
		}
	})

	t.Run("a runaway query is cancelled at the timeout", func(t *testing.T) {
		short := &diff.Envs{Warehouse: s.open(t, warehouse.Limits{Timeout: 500 * time.Millisecond}), Base: e.Base, Current: e.Current}
		start := time.Now()
		_, err := diff.Query(ctx, short, diff.QueryParams{SQLTemplate: s.slow})
		if !errors.Is(err, warehouse.ErrTimeout) || !strings.Contains(err.Error(), "--query-timeout") {
			t.Errorf("a runaway query: %v, want a timeout that says how to raise it", err)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("cancelled after %s", d)
		}
	})

	t.Run("a result past the byte cap is cut and flagged", func(t *testing.T) {
		const capBytes = 32 << 10
		capped := &diff.Envs{Warehouse: s.open(t, warehouse.Limits{MaxBytes: capBytes}), Base: e.Base, Current: e.Current}
		wide := "select id, b || repeat('x', 500) as pad from {{ ref('orders') }}"
		res, err := diff.Query(ctx, capped, diff.QueryParams{SQLTemplate: wide})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Truncated || !res.More || len(res.Data) == 0 || len(res.Data) >= 1000 || *res.Total != 1015 {
			t.Errorf("%d rows, truncated %v, more %v, total %d: want cut under 1015 rows, flagged, total exact", len(res.Data), res.Truncated, res.More, *res.Total)
		}
		js, _ := json.Marshal(res)
		if len(js) > capBytes || !strings.Contains(string(js), `"truncated":true`) {
			t.Errorf("JSON of %d bytes (cap %d), truncated flag: %v", len(js), capBytes, strings.Contains(string(js), `"truncated":true`))
		}
		qd, err := diff.QueryDiff(ctx, capped, diff.QueryDiffParams{SQLTemplate: wide, BaseSQLTemplate: "select id, 'x' as pad from {{ ref('orders') }}", PrimaryKeys: []string{"id"}})
		if err != nil {
			t.Fatal(err)
		}
		if !qd.Diff.Truncated || !qd.Detail.Truncated || len(qd.Diff.Data) == 0 || qd.Summary.Modified != 990 {
			t.Errorf("keyed query diff: %d rows, truncated %v, summary %+v", len(qd.Diff.Data), qd.Diff.Truncated, qd.Summary)
		}
		// Under the default cap, the same query is whole.
		res, err = diff.Query(ctx, e, diff.QueryParams{SQLTemplate: wide})
		if err != nil || res.Truncated || len(res.Data) != 1015 {
			t.Errorf("under the default cap: %d rows, truncated %v, %v", len(res.Data), res.Truncated, err)
		}
	})
}

func TestSandboxDiffDuckDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "shop.duckdb")
	rw, err := duckdb.Open(ctx, path, duckdb.Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range plantSQL(rw.Dialect().QuoteIdent) {
		if _, err := rw.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	rw.Close()
	key := filepath.Join(dir, "secret.key")
	const secret = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLXRlc3Q="
	if err := os.WriteFile(key, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pwned.csv")
	checkSandbox(t, sandboxEngine{
		database: "shop",
		escape:   "copy (select 'pwned') to '" + out + "'",
		traced: func(t *testing.T) bool {
			_, err := os.Stat(out)
			return err == nil
		},
		secretFile: key, secret: secret,
		slow: "select count(*) from range(100000000000) r(a) where a % 7 = 3",
		open: func(t *testing.T, l warehouse.Limits) warehouse.Warehouse {
			w, err := warehouse.Open(ctx, &dbt.Target{Type: "duckdb", Path: path}, warehouse.Options{Limits: l})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			return w
		},
	})
}
