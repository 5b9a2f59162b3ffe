package diff_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// Planted differences: base and current schemas whose differences are
// made on purpose, so that every count is known. The SQL is the common
// subset of DuckDB and PostgreSQL, and the same checks run on both.

// hostileModel and hostileColumn hold a space, a double quote and a
// keyword: any name pasted into SQL unquoted (or badly quoted) breaks.
const (
	hostileModel  = `my "odd" select model`
	hostileColumn = `select "x" from`
	hostileKey    = `order`
)

var plantedModels = []string{"orders", "pairs", "dupes", "lonely", "nullkey", hostileModel}

// plantSQL creates schemas base and current.
func plantSQL(q func(string) string) []string {
	hm, hc, hk := q(hostileModel), q(hostileColumn), q(hostileKey)
	return []string{
		`create schema base`,
		`create schema current`,
		// orders: ids 1..1000; c is null for every tenth id; legacy is
		// only in base.
		`create table base.orders as
			select i as id, i % 7 as a, 'n' || i as b,
				case when i % 10 = 0 then null else i * 1.5 end as c,
				date '2024-01-01' + cast(i as integer) as d, 'old' as legacy
			from generate_series(1, 1000) as t(i)`,
		// current: ids 1..10 removed, 1001..1025 added; a changed for
		// 11..40, b for 36..45 (overlap 36..40), c from null to 0.5 for
		// the tenth ids in 100..200 (11 rows) and to null for 301..305;
		// extra is only in current.
		`create table current.orders as
			select id,
				case when id between 11 and 40 then a + 1 else a end as a,
				case when id between 36 and 45 then b || 'x' else b end as b,
				case when id % 10 = 0 and id between 100 and 200 then 0.5
					when id between 301 and 305 then null else c end as c,
				d, 'new' as extra
			from base.orders where id > 10
			union all
			select 1000 + i, 0, 'added', 2.5, date '2030-01-01', 'new' from generate_series(1, 25) as t(i)`,
		// pairs: a composite key (k1, k2); (1,'x') removed, (11,'x')
		// added, (2,'y') modified.
		`create table base.pairs as
			select k1, k2, k1 * 10 as v from generate_series(1, 10) as t(k1), (select 'x' as k2 union all select 'y') s`,
		`create table current.pairs as
			select k1, k2, case when k1 = 2 and k2 = 'y' then -1 else v end as v from base.pairs where not (k1 = 1 and k2 = 'x')
			union all select 11, 'x', 110`,
		// dupes: id 7 three times, 5 twice, one null id.
		`create table base.dupes as
			select i as id from generate_series(1, 10) as t(i)
			union all select 7 union all select 7 union all select 5 union all select null`,
		`create table current.dupes as select i as id from generate_series(1, 10) as t(i)`,
		// lonely: duplicated keys present on one side only (50 in base,
		// 60 in current), which no joined row multiplies.
		`create table base.lonely as select i as id from generate_series(1, 10) as t(i) union all select 50 union all select 50`,
		`create table current.lonely as select i as id from generate_series(1, 10) as t(i) union all select 60 union all select 60`,
		// nullkey: a composite key with a null part in current only.
		`create table base.nullkey as select i as k1, 'a' as k2 from generate_series(1, 5) as t(i)`,
		`create table current.nullkey as select i as k1, case when i = 3 then null else 'a' end as k2 from generate_series(1, 5) as t(i)`,
		// The hostile model: two values changed.
		`create table base.` + hm + ` as select i as ` + hk + `, 'v' || i as ` + hc + ` from generate_series(1, 20) as t(i)`,
		`create table current.` + hm + ` as select ` + hk + `, case when ` + hk + ` in (3, 4) then 'changed' else ` + hc + ` end as ` + hc + ` from base.` + hm,
	}
}

// checkPlanted runs every diff on the planted schemas and checks the
// known counts. database is the catalog holding the schemas.
func checkPlanted(t *testing.T, w warehouse.Warehouse, database string) {
	ctx := context.Background()
	e := &diff.Envs{Warehouse: w, Base: difftest.Manifest(database, "base", plantedModels...),
		Current: difftest.Manifest(database, "current", plantedModels...)}

	t.Run("value", func(t *testing.T) {
		res, err := diff.Value(ctx, e, diff.ValueParams{Model: "orders", PrimaryKey: diff.Keys{"id"}})
		if err != nil {
			t.Fatal(err)
		}
		want := diff.ValueSummary{Total: 1025, Added: 25, Removed: 10, Modified: 51, Unchanged: 939}
		if res.Summary != want {
			t.Errorf("summary %+v, want %+v", res.Summary, want)
		}
		mismatched := map[string]int64{"a": 30, "b": 10, "c": 16, "d": 0}
		if len(res.Columns) != len(mismatched) {
			t.Fatalf("columns %+v", res.Columns)
		}
		for _, c := range res.Columns {
			if c.Mismatched != mismatched[c.Name] || c.Matched != 990-mismatched[c.Name] || *c.MatchedP != float64(990-mismatched[c.Name])/990 {
				t.Errorf("column %s: %+v, want %d mismatched of 990", c.Name, c, mismatched[c.Name])
			}
		}
		if strings.Join(res.ColumnsOnlyInBase, ",") != "legacy" || strings.Join(res.ColumnsOnlyInCurrent, ",") != "extra" {
			t.Errorf("one-sided columns %v %v", res.ColumnsOnlyInBase, res.ColumnsOnlyInCurrent)
		}
		// Asking for a one-sided column is an error that says so.
		_, err = diff.Value(ctx, e, diff.ValueParams{Model: "orders", PrimaryKey: diff.Keys{"id"}, Columns: []string{"a", "extra"}})
		if err == nil || !strings.Contains(err.Error(), "only in current") {
			t.Errorf("one-sided column asked: %v", err)
		}
	})

	t.Run("composite key", func(t *testing.T) {
		res, err := diff.Value(ctx, e, diff.ValueParams{Model: "pairs", PrimaryKey: diff.Keys{"k1", "k2"}})
		if err != nil {
			t.Fatal(err)
		}
		want := diff.ValueSummary{Total: 21, Added: 1, Removed: 1, Modified: 1, Unchanged: 18}
		if res.Summary != want || len(res.Columns) != 1 || res.Columns[0].Mismatched != 1 {
			t.Errorf("summary %+v columns %+v, want %+v and v mismatched once", res.Summary, res.Columns, want)
		}
		det, err := diff.ValueDetail(ctx, e, diff.ValueDetailParams{ValueParams: diff.ValueParams{Model: "pairs", PrimaryKey: diff.Keys{"k1", "k2"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, r := range det.Rows {
			got = append(got, r.Status+":"+fmtAny(r.Key))
		}
		if strings.Join(got, " ") != "removed:1/x modified:2/y added:11/x" {
			t.Errorf("detail rows %v", got)
		}
	})

	t.Run("duplicated key refused", func(t *testing.T) {
		_, err := diff.Value(ctx, e, diff.ValueParams{Model: "dupes", PrimaryKey: diff.Keys{"id"}})
		var ke *diff.KeyError
		if !errors.As(err, &ke) {
			t.Fatalf("error %v, want a KeyError", err)
		}
		if ke.Side != "base dupes" || ke.Offenders != 3 || len(ke.Examples) != 3 || ke.Examples[0][0] != int64(7) || ke.ExampleNum[0] != 3 {
			t.Errorf("key error %+v", ke)
		}
		for _, s := range []string{"id=7 (3 rows)", "id=5 (2 rows)", "id=NULL (1 rows)", "--primary-key"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q lacks %q", err, s)
			}
		}
	})

	t.Run("duplicates without a match and null key parts refused", func(t *testing.T) {
		_, err := diff.Value(ctx, e, diff.ValueParams{Model: "lonely", PrimaryKey: diff.Keys{"id"}})
		var ke *diff.KeyError
		if !errors.As(err, &ke) || ke.Side != "base lonely" || ke.Examples[0][0] != int64(50) || ke.ExampleNum[0] != 2 {
			t.Errorf("lonely: %v", err)
		}
		_, err = diff.Value(ctx, e, diff.ValueParams{Model: "nullkey", PrimaryKey: diff.Keys{"k1", "k2"}})
		if !errors.As(err, &ke) || ke.Side != "current nullkey" || ke.Examples[0][0] != int64(3) || ke.Examples[0][1] != nil {
			t.Errorf("nullkey: %v", err)
		}
		// The query diff validates its keys the same way.
		_, err = diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: "select * from {{ ref('lonely') }}", PrimaryKeys: []string{"id"}})
		if !errors.As(err, &ke) || ke.Side != "base query" {
			t.Errorf("query diff on lonely: %v", err)
		}
	})

	t.Run("value detail", func(t *testing.T) {
		det, err := diff.ValueDetail(ctx, e, diff.ValueDetailParams{ValueParams: diff.ValueParams{Model: "orders", PrimaryKey: diff.Keys{"id"}}, Limit: 12})
		if err != nil {
			t.Fatal(err)
		}
		if len(det.Rows) != 12 || !det.More {
			t.Fatalf("%d rows, more %v", len(det.Rows), det.More)
		}
		for i, r := range det.Rows[:10] {
			if r.Status != diff.RowRemoved || r.Key[0] != int64(i+1) || r.Current != nil {
				t.Errorf("row %d: %+v, want id %d removed", i, r, i+1)
			}
		}
		if r := det.Rows[10]; r.Status != diff.RowModified || r.Key[0] != int64(11) || strings.Join(r.Changed, ",") != "a" {
			t.Errorf("row 10: %+v, want id 11 with a changed", r)
		}
		df := det.DataFrame()
		if len(df.Data) != 10+2*2 || df.Columns[len(df.Columns)-1].Name != "in_b" {
			t.Errorf("data frame %d rows, columns %v", len(df.Data), df.Columns)
		}
		// Values to and from null show as differences.
		all, err := diff.ValueDetail(ctx, e, diff.ValueDetailParams{ValueParams: diff.ValueParams{Model: "orders", PrimaryKey: diff.Keys{"id"}, Columns: []string{"c"}}})
		if err != nil {
			t.Fatal(err)
		}
		var toNull, fromNull int
		for _, r := range all.Rows {
			if r.Status != diff.RowModified {
				continue
			}
			switch {
			case r.Base[1] == nil && r.Current[1] != nil:
				fromNull++
			case r.Base[1] != nil && r.Current[1] == nil:
				toNull++
			}
		}
		if fromNull != 11 || toNull != 5 || len(all.Rows) != 10+25+16 {
			t.Errorf("from null %d, to null %d, rows %d; want 11, 5, 51", fromNull, toNull, len(all.Rows))
		}
	})

	t.Run("profile", func(t *testing.T) {
		res, err := diff.Profile(ctx, e, diff.ProfileParams{Model: "orders", Columns: []string{"id", "c", "b"}})
		if err != nil {
			t.Fatal(err)
		}
		b, c := res.Base[1], res.Current[1]
		// base: 100 nulls of 1000; current: 990 kept rows lose 11 nulls
		// and gain 5, the 25 added have a value.
		if b.RowCount != 1000 || b.Nulls != 100 || c.RowCount != 1015 || c.Nulls != 100-1-11+5 {
			t.Errorf("c: base %+v current %+v", b, c)
		}
		if mx, _ := warehouse.Float64(b.Max); mx != 999*1.5 {
			t.Errorf("base max of c %v", b.Max)
		}
		if *res.Base[0].IsUnique != true || *res.Base[2].DistinctCount != 1000 || *res.Current[2].DistinctCount != 990+1 {
			t.Errorf("id unique %v, b distinct %d / %d", *res.Base[0].IsUnique, *res.Base[2].DistinctCount, *res.Current[2].DistinctCount)
		}
		if !res.Changed() {
			t.Error("profile: Changed is false")
		}
		if res.Base[0].Median == nil || *res.Base[0].Median != 500.5 {
			t.Errorf("median of id %v", res.Base[0].Median)
		}
	})

	t.Run("top-k and histogram", func(t *testing.T) {
		tk, err := diff.TopK(ctx, e, diff.TopKParams{Model: "orders", ColumnName: "b", K: 1})
		if err != nil {
			t.Fatal(err)
		}
		if tk.Current.Values[0] != "added" || tk.Current.Counts[0] != 25 || tk.Base.Counts[0] != 0 || !tk.Changed() {
			t.Errorf("top-1 of b: %+v %+v", tk.Base, tk.Current)
		}
		h, err := diff.Histogram(ctx, e, diff.HistogramParams{Model: "orders", ColumnName: "d", NumBins: 10})
		if err != nil {
			t.Fatal(err)
		}
		// Dates 2024-01-02 .. 2030-01-01 shared: base values all fall in the
		// first bins, the 25 added rows in the last.
		var nb, nc int64
		for i := range h.Base.Counts {
			nb, nc = nb+h.Base.Counts[i], nc+h.Current.Counts[i]
		}
		if nb != 1000 || nc != 1015 || h.Current.Counts[9] != 25 || h.Base.Counts[9] != 0 || h.Kind != warehouse.KindDate || !h.Changed() {
			t.Errorf("histogram of d: %+v", h)
		}
		hc, err := diff.Histogram(ctx, e, diff.HistogramParams{Model: "orders", ColumnName: "c", NumBins: 4})
		if err != nil {
			t.Fatal(err)
		}
		// Non-null c in current: 900 - 9 removed + 11 from null - 5 to
		// null + 25 added = 922; the smallest is the planted 0.5.
		if mn, _ := warehouse.Float64(hc.Min); mn != 0.5 || hc.Base.Total != 900 || hc.Current.Counts[0]+hc.Current.Counts[1]+hc.Current.Counts[2]+hc.Current.Counts[3] != 922 {
			t.Errorf("histogram of c: %+v", hc)
		}
	})

	t.Run("hostile names", func(t *testing.T) {
		res, err := diff.Value(ctx, e, diff.ValueParams{Model: hostileModel, PrimaryKey: diff.Keys{hostileKey}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.Modified != 2 || res.Columns[0].Name != hostileColumn || res.Columns[0].Mismatched != 2 {
			t.Errorf("%+v", res)
		}
		if _, err := diff.Profile(ctx, e, diff.ProfileParams{Model: hostileModel}); err != nil {
			t.Error(err)
		}
		tk, err := diff.TopK(ctx, e, diff.TopKParams{Model: hostileModel, ColumnName: hostileColumn, K: 1})
		if err != nil || tk.Current.Values[0] != "changed" || tk.Current.Counts[0] != 2 {
			t.Errorf("top-k %+v %v", tk, err)
		}
		if _, err := diff.Histogram(ctx, e, diff.HistogramParams{Model: hostileModel, ColumnName: hostileKey}); err != nil {
			t.Error(err)
		}
		qd, err := diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: `select * from {{ ref('` + hostileModel + `') }}`, PrimaryKeys: []string{hostileKey}})
		if err != nil {
			t.Fatal(err)
		}
		if qd.Summary.Modified != 2 || len(qd.Diff.Data) != 4 {
			t.Errorf("query diff %+v", qd.Summary)
		}
		rc, err := diff.RowCount(ctx, e, []string{"model.planted." + hostileModel, "model.planted.orders"}, diff.RowCountOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *rc.Nodes[0].Base != 20 || *rc.Nodes[1].Base != 1000 || *rc.Nodes[1].Current != 1015 {
			t.Errorf("row counts %+v", rc.Nodes)
		}
	})
}

func fmtAny(vals []any) string {
	var s []string
	for _, v := range vals {
		s = append(s, fmt.Sprint(v))
	}
	return strings.Join(s, "/")
}

func TestPlantedDuckDB(t *testing.T) {
	ctx := context.Background()
	w, err := duckdb.Open(ctx, ":memory:", duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, stmt := range plantSQL(w.Dialect().QuoteIdent) {
		if _, err := w.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	checkPlanted(t, w, "memory")
}
