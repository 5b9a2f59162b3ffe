// Package warehousetest holds the tests that every warehouse adapter must
// pass: the SQL sandbox's attacks (security issue 11, findings 2 and 6),
// replayed through the adapter under warehouse.Guard as recce opens it.
// An adapter's tests call Sandbox with its engine's SQL, then replay the
// attacks peculiar to its engine themselves.
package warehousetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Engine is the SQL of one engine that the attacks need.
type Engine struct {
	// Table is a relation holding rows, as the engine names it. The
	// attacks try to change it; Sandbox checks its count is unchanged.
	Table string
	// Slow is a query that would run for minutes.
	Slow string
	// Wide is a query of at least 1000 rows of about 1 KB each.
	Wide string
	// Writes are statements that would change the warehouse or the
	// session if run; each must be refused.
	Writes []string
}

// Open opens the engine's warehouse under the given limits, as recce
// does (warehouse.Open or warehouse.Guard over the adapter). The test
// closes it.
type Open func(t *testing.T, l warehouse.Limits) warehouse.Warehouse

// Sandbox replays the attacks any engine must refuse: several statements
// in one string (the query editor's wrapper closed by the user's SQL),
// writes, a query past the timeout, a result past the byte cap.
func Sandbox(t *testing.T, open Open, e Engine) {
	ctx := context.Background()
	w := open(t, warehouse.Limits{})
	count := func(t *testing.T) int64 {
		t.Helper()
		_, r, err := warehouse.QueryRow(ctx, w, "select count(*) from "+e.Table)
		if err != nil {
			t.Fatalf("the warehouse stopped answering: %v", err)
		}
		return warehouse.Int64(r[0])
	}
	rows := count(t)
	if rows == 0 {
		t.Fatalf("%s must hold rows", e.Table)
	}

	// refused runs each statement through Query and Check, which must
	// refuse it (saying want, when given), and then finds the table as
	// it was.
	refused := func(t *testing.T, stmts []string, want string) {
		t.Helper()
		for _, q := range stmts {
			rs, err := w.Query(ctx, q)
			if err == nil {
				rs.Close()
			}
			if !errors.Is(err, warehouse.ErrRefused) || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want a refusal saying %q", q, err, want)
			}
			if err := w.Check(ctx, q); !errors.Is(err, warehouse.ErrRefused) {
				t.Errorf("Check(%s): %v, want a refusal", q, err)
			}
		}
		if n := count(t); n != rows {
			t.Errorf("%s has %d rows, had %d", e.Table, n, rows)
		}
	}

	t.Run("several statements", func(t *testing.T) {
		attacks := []string{
			"select 1; select 2",
			"select * from (select 1) q; select * from " + e.Table,
			// The query editor's wrapper, select * from (%s) q, closed by
			// the user's SQL, as the review did it.
			"select * from (select 1) q; " + e.Writes[0] + "; select * from (select 1) q",
		}
		for _, w2 := range e.Writes {
			attacks = append(attacks, "select 1;\n"+w2)
		}
		refused(t, attacks, "one statement at a time")
	})

	t.Run("writes", func(t *testing.T) { refused(t, e.Writes, "read-only queries only") })

	t.Run("check", func(t *testing.T) {
		for _, q := range []string{"select 1", "with x as (select 1 as a) select a from x", "values (1), (2)",
			"select count(*) from " + e.Table + " -- a comment"} {
			if err := w.Check(ctx, q); err != nil {
				t.Errorf("Check(%s): %v", q, err)
			}
		}
		// Closing the wrapper's parenthesis to add SQL after it: the
		// statement does not parse alone.
		for _, q := range []string{"select 1) q, (select 2", "select 1) q union all select count(*) from (select 1",
			"select 1 /* unterminated"} {
			if err := w.Check(ctx, q); !errors.Is(err, warehouse.ErrRefused) {
				t.Errorf("Check(%s): %v, want a refusal of SQL that does not stand alone", q, err)
			}
		}
	})

	t.Run("timeout", func(t *testing.T) {
		slow := open(t, warehouse.Limits{Timeout: 500 * time.Millisecond})
		start := time.Now()
		_, _, err := warehouse.QueryAll(ctx, slow, e.Slow)
		var te *warehouse.TimeoutError
		if !errors.As(err, &te) || !errors.Is(err, warehouse.ErrTimeout) || !strings.Contains(err.Error(), "--query-timeout") {
			t.Errorf("a query past the timeout: %v, want a timeout error that says how to raise it", err)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("cancelled after %s", d)
		}
		// The warehouse, and the pool, still answer.
		for range 3 {
			if _, _, err := warehouse.QueryRow(ctx, slow, "select 1"); err != nil {
				t.Fatalf("after a timeout: %v", err)
			}
		}
		// A caller's own cancellation is not the limit's.
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		long := open(t, warehouse.Limits{Timeout: time.Hour})
		_, _, err = warehouse.QueryAll(cctx, long, e.Slow)
		if err == nil || errors.As(err, &te) {
			t.Errorf("a query cancelled by its caller: %v, want the cancellation, not a timeout", err)
		}
	})

	t.Run("byte cap", func(t *testing.T) {
		const capBytes = 64 << 10
		capped := open(t, warehouse.Limits{MaxBytes: capBytes})
		res, err := warehouse.Fetch(ctx, capped, e.Wide)
		if err != nil {
			t.Fatal(err)
		}
		var size int64
		for _, r := range res.Rows {
			size += warehouse.RowSize(r)
		}
		if !res.Truncated || len(res.Rows) == 0 || len(res.Rows) >= 1000 || size > capBytes {
			t.Errorf("a wide result under a %d-byte cap: %d rows, %d bytes, truncated %v", capBytes, len(res.Rows), size, res.Truncated)
		}
		if _, _, err := warehouse.QueryAll(ctx, capped, e.Wide); !errors.Is(err, warehouse.ErrTooLarge) {
			t.Errorf("QueryAll of a result past the cap: %v, want ErrTooLarge", err)
		}
		// Under the cap, nothing is cut, and the connection is fine.
		res, err = warehouse.Fetch(ctx, capped, "select count(*) from "+e.Table)
		if err != nil || res.Truncated || len(res.Rows) != 1 {
			t.Errorf("a small result: %+v %v", res, err)
		}
		full, err := warehouse.Fetch(ctx, w, e.Wide)
		if err != nil || full.Truncated || len(full.Rows) < 1000 {
			t.Errorf("the same result under the default cap: truncated %v, %d rows, %v", full != nil && full.Truncated, len(full.Rows), err)
		}
	})
}
