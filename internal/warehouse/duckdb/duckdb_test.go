package duckdb

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/warehouse"
)

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shop.duckdb")
	if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("opening a missing file read-only: %v", err)
	}
	w, err := Open(ctx, path, Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB().ExecContext(ctx, `create table t as select 1 as "x y", 2.5::decimal(4,2) as d, 12345678901234::hugeint as h, uuid '00000000-0000-0000-0000-000000000001' as u`); err != nil {
		t.Fatal(err)
	}
	w.Close()

	r, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.DB().ExecContext(ctx, "insert into t values (2, 1, 1, null)"); err == nil {
		t.Fatal("a read-only database accepted a write")
	}
	cols, rows, err := warehouse.QueryAll(ctx, r, "select * from t")
	if err != nil {
		t.Fatal(err)
	}
	if cols[0].Name != "x y" || cols[0].Kind != warehouse.KindInteger || cols[1].Kind != warehouse.KindNumber || cols[3].Kind != warehouse.KindText {
		t.Errorf("columns %+v", cols)
	}
	want := []any{int64(1), 2.5, int64(12345678901234), "00000000-0000-0000-0000-000000000001"}
	for i, v := range rows[0] {
		if v != want[i] {
			t.Errorf("value %d: %#v, want %#v", i, v, want[i])
		}
	}
}

func TestErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, ":memory:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, q := range []string{"select * from no_such_table", "select * from no_such_schema.t"} {
		_, err := w.Query(ctx, q)
		if !errors.Is(err, warehouse.ErrRelationNotFound) || errors.Is(err, warehouse.ErrPermissionDenied) {
			t.Errorf("%s: %v is not classified as relation not found", q, err)
		}
	}
	_, err = w.Query(ctx, "select no_such_column from range(1)")
	if err == nil || errors.Is(err, warehouse.ErrRelationNotFound) {
		t.Errorf("a missing column is not a missing relation: %v", err)
	}
}

func TestCancelInterruptsTheQuery(t *testing.T) {
	w, err := Open(context.Background(), ":memory:", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	// Minutes of work if it ran to the end.
	_, _, err = warehouse.QueryAll(ctx, w, "select count(*) from range(100000000000) r(a) where a % 7 = 3")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the query was not interrupted: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("interrupted after %v", d)
	}
}
