package diff_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// The jaffle tests diff jaffle-recce's two real environments, built from
// the manifests' compiled SQL. Expected numbers come from the raw CSVs
// (read here in Go) or from plain SQL written in the test, never from the
// code under test.

func openJaffle(t *testing.T) (*difftest.Jaffle, *diff.Envs) {
	t.Helper()
	j := difftest.BuildJaffle(t)
	// jaffle-recce's staging models are views over its CSV files: the
	// project needs --duckdb-external-access.
	w, err := duckdb.Open(context.Background(), j.DBPath, duckdb.Options{ExternalAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return j, &diff.Envs{Warehouse: w, Base: j.Base, Current: j.Current}
}

// readCSV reads one of the raw jaffle CSVs (header skipped).
func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("jaffle-shop-data", name)) // BuildJaffle chdir'ed
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// scalar runs a plain SQL of the test itself.
func scalar(t *testing.T, w warehouse.Warehouse, sql string) any {
	t.Helper()
	_, row, err := warehouse.QueryRow(context.Background(), w, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return row[0]
}

func TestJaffleRowCount(t *testing.T) {
	_, e := openJaffle(t)
	customers, orders, payments := readCSV(t, "raw_customers.csv"), readCSV(t, "raw_orders.csv"), readCSV(t, "raw_payments.csv")
	buyers := map[string]bool{}
	for _, o := range orders {
		buyers[o[1]] = true
	}
	// int_customer_payments groups payments by their order's customer;
	// payments whose order is unknown form one group of their own.
	orderCustomer := map[string]string{}
	for _, o := range orders {
		orderCustomer[o[0]] = o[1]
	}
	payers := map[string]bool{}
	for _, p := range payments {
		payers[orderCustomer[p[1]]] = true // "" for an unknown order: the null group
	}
	n := func(x int) *int64 { v := int64(x); return &v }
	want := map[string][2]*int64{
		"stg_customers":          {n(len(customers)), n(len(customers))},
		"stg_orders":             {n(len(orders)), n(len(orders))},
		"stg_payments":           {n(len(payments)), n(len(payments))},
		"customers":              {n(len(customers)), n(len(customers))},
		"orders":                 {n(len(orders)), n(len(orders))},
		"customer_segments":      {n(len(customers)), n(len(customers))},
		"customer_order_pattern": {n(len(customers)), n(len(customers))},
		"int_customer_orders":    {nil, n(len(buyers))},
		"int_customer_payments":  {nil, n(len(payers))},
	}
	var ids []string
	for id := range e.Current.Nodes {
		ids = append(ids, id) // tests and sources among them: they are left out
	}
	res, err := diff.RowCount(context.Background(), e, ids, diff.RowCountOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nodes) != len(want) {
		t.Fatalf("%d nodes, want %d: %+v", len(res.Nodes), len(want), res.Nodes)
	}
	for _, nd := range res.Nodes {
		w, ok := want[nd.Name]
		if !ok {
			t.Errorf("unexpected node %s", nd.UniqueID)
			continue
		}
		if !eqCount(nd.Base, w[0]) || !eqCount(nd.Current, w[1]) {
			t.Errorf("%s: base %v current %v, want %v %v", nd.Name, show(nd.Base), show(nd.Current), show(w[0]), show(w[1]))
		}
		if w[0] == nil && (nd.BaseStatus == nil || *nd.BaseStatus != diff.StatusNotInManifest) {
			t.Errorf("%s: base status %v, want not_in_manifest", nd.Name, nd.BaseStatus)
		}
		if w[0] != nil && (nd.BaseStatus != nil || nd.CurrentStatus != nil) {
			t.Errorf("%s: statuses %v %v beside counts", nd.Name, *nd.BaseStatus, *nd.CurrentStatus)
		}
	}
}

func eqCount(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func show(p *int64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatInt(*p, 10)
}

func TestJaffleValueDiffOfCustomers(t *testing.T) {
	_, e := openJaffle(t)
	ctx := context.Background()
	// The primary key is inferred from the unique and not_null tests.
	res, err := diff.Value(ctx, e, diff.ValueParams{Model: "customers"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PrimaryKey) != 1 || res.PrimaryKey[0] != "customer_id" {
		t.Fatalf("primary key %v, want [customer_id]", res.PrimaryKey)
	}
	// The change refactored customers into intermediate models: the
	// values must come out the same. Count independently what differs.
	differing := warehouse.Int64(scalar(t, e.Warehouse, `select count(*) from (
		select * from jaffle_shop.prod.customers except select * from jaffle_shop.dev.customers)`))
	customers := int64(len(readCSV(t, "raw_customers.csv")))
	want := diff.ValueSummary{Total: customers, Modified: differing, Unchanged: customers - differing}
	if res.Summary != want || res.Changed() != (differing > 0) {
		t.Errorf("summary %+v (changed %v), want %+v", res.Summary, res.Changed(), want)
	}
	wantCols := []string{"first_name", "last_name", "first_order", "most_recent_order", "number_of_orders", "customer_lifetime_value"}
	if len(res.Columns) != len(wantCols) {
		t.Fatalf("columns %+v", res.Columns)
	}
	for i, c := range res.Columns {
		if c.Name != wantCols[i] || c.Matched != customers || c.Mismatched != 0 || c.MatchedP == nil || *c.MatchedP != 1 {
			t.Errorf("column %d: %+v, want %s fully matched", i, c, wantCols[i])
		}
	}
}

func TestJaffleProfile(t *testing.T) {
	_, e := openJaffle(t)
	res, err := diff.Profile(context.Background(), e, diff.ProfileParams{Model: "customers", Columns: []string{"customer_id", "first_name", "number_of_orders", "first_order"}})
	if err != nil {
		t.Fatal(err)
	}
	customers, orders := readCSV(t, "raw_customers.csv"), readCSV(t, "raw_orders.csv")
	names := map[string]bool{}
	for _, c := range customers {
		names[c[1]] = true
	}
	perCustomer := map[string]int{}
	firstOrder := map[string]string{}
	for _, o := range orders {
		perCustomer[o[1]]++
		if d, ok := firstOrder[o[1]]; !ok || o[2] < d {
			firstOrder[o[1]] = o[2]
		}
	}
	var counts []float64
	sum := 0
	for _, n := range perCustomer {
		counts = append(counts, float64(n))
		sum += n
	}
	sort.Float64s(counts)
	median := counts[len(counts)/2]
	if len(counts)%2 == 0 {
		median = (counts[len(counts)/2-1] + counts[len(counts)/2]) / 2
	}
	var minFirst string
	for _, d := range firstOrder {
		if minFirst == "" || d < minFirst {
			minFirst = d
		}
	}
	total := int64(len(customers))
	buyers := int64(len(perCustomer))
	if res.Changed() {
		t.Errorf("the profiles of both environments are the same, Changed says otherwise")
	}
	for side, prof := range map[string][]diff.ColumnProfile{"base": res.Base, "current": res.Current} {
		if len(prof) != 4 {
			t.Fatalf("%s: %d columns", side, len(prof))
		}
		id, name, n, first := prof[0], prof[1], prof[2], prof[3]
		if id.RowCount != total || id.Nulls != 0 || *id.DistinctCount != total || !*id.IsUnique || id.Min != int64(1) || id.Max != total {
			t.Errorf("%s customer_id: %+v", side, id)
		}
		if *name.DistinctCount != int64(len(names)) || *name.IsUnique || name.Min != nil || name.Avg != nil {
			t.Errorf("%s first_name: %+v, want %d distinct", side, name, len(names))
		}
		if n.Nulls != total-buyers || *n.NotNullProportion != float64(buyers)/float64(total) ||
			*n.Avg != float64(sum)/float64(buyers) || *n.Median != median {
			t.Errorf("%s number_of_orders: %+v, want %d nulls, avg %v, median %v", side, n, total-buyers, float64(sum)/float64(buyers), median)
		}
		if first.Avg != nil || first.Min == nil || first.Min.(interface{ Format(string) string }).Format("2006-01-02") != minFirst {
			t.Errorf("%s first_order: min %v, want %s", side, first.Min, minFirst)
		}
	}
}

func TestJaffleTopKAndHistogram(t *testing.T) {
	_, e := openJaffle(t)
	ctx := context.Background()
	perCustomer := map[string]int{}
	for _, o := range readCSV(t, "raw_orders.csv") {
		perCustomer[o[1]]++
	}
	freq := map[int64]int64{}
	for _, n := range perCustomer {
		freq[int64(n)]++
	}
	topk, err := diff.TopK(ctx, e, diff.TopKParams{Model: "customers", ColumnName: "number_of_orders", K: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The two most frequent order counts, by frequency.
	type vf struct{ v, f int64 }
	var all []vf
	for v, f := range freq {
		all = append(all, vf{v, f})
	}
	sort.Slice(all, func(i, k int) bool { return all[i].f > all[k].f || (all[i].f == all[k].f && all[i].v < all[k].v) })
	for _, side := range []diff.TopKSide{topk.Base, topk.Current} {
		if len(side.Values) != 2 || side.Values[0] != all[0].v || side.Counts[0] != all[0].f ||
			side.Values[1] != all[1].v || side.Counts[1] != all[1].f {
			t.Errorf("top-2 %+v, want %+v", side, all[:2])
		}
		if side.Total != 100 || side.Valids != int64(len(perCustomer)) {
			t.Errorf("total %d valids %d, want 100 and %d", side.Total, side.Valids, len(perCustomer))
		}
	}

	if topk.Changed() {
		t.Error("top-k: the environments agree, Changed says otherwise")
	}
	// One bin per order count: the range 1..max is smaller than 50 bins.
	h, err := diff.Histogram(ctx, e, diff.HistogramParams{Model: "customers", ColumnName: "number_of_orders"})
	if err != nil {
		t.Fatal(err)
	}
	var maxN int64
	for v := range freq {
		maxN = max(maxN, v)
	}
	if len(h.Current.Counts) != int(maxN) || h.Min != int64(1) || h.Max != maxN {
		t.Fatalf("histogram %+v, want %d bins from 1 to %d", h, maxN, maxN)
	}
	for i, c := range h.Current.Counts {
		if c != freq[int64(i+1)] || h.Base.Counts[i] != c {
			t.Errorf("bin %d (%v): %d and %d, want %d", i, h.BinEdges[i], h.Base.Counts[i], c, freq[int64(i+1)])
		}
	}

	if h.Changed() {
		t.Error("histogram: the environments agree, Changed says otherwise")
	}
	// A string column is refused with a clear error.
	_, err = diff.Histogram(ctx, e, diff.HistogramParams{Model: "customers", ColumnName: "first_name"})
	if err == nil || !strings.Contains(err.Error(), "needs numbers or dates") {
		t.Errorf("histogram of a string: %v", err)
	}
}

func TestJaffleQueryDiff(t *testing.T) {
	_, e := openJaffle(t)
	ctx := context.Background()
	tpl := `select customer_id, first_name, number_of_orders from {{ ref("customers") }} where customer_id <= 10 order by customer_id`
	res, err := diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: tpl})
	if err != nil {
		t.Fatal(err)
	}
	customers := readCSV(t, "raw_customers.csv")
	if *res.Base.Total != 10 || len(res.Current.Data) != 10 || res.Current.Data[2][1] != customers[2][1] {
		t.Errorf("query results: base total %d, current %v", *res.Base.Total, res.Current.Data)
	}
	if *res.RowsOnlyInBase != 0 || *res.RowsOnlyInCurrent != 0 || res.Changed() {
		t.Errorf("rows only in base %d, current %d: the environments agree", *res.RowsOnlyInBase, *res.RowsOnlyInCurrent)
	}

	// A base query that differs: names upper-cased for ids 1..3, and id 11
	// instead of nothing.
	base := `select customer_id, case when customer_id <= 3 then upper(first_name) else first_name end as first_name, number_of_orders
		from {{ ref('jaffle_shop', 'customers') }} where customer_id <= 11 and customer_id <> 5`
	keyed, err := diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: tpl, BaseSQLTemplate: base, PrimaryKeys: []string{"customer_id"}})
	if err != nil {
		t.Fatal(err)
	}
	want := diff.ValueSummary{Total: 11, Added: 1, Removed: 1, Modified: 3, Unchanged: 6}
	if *keyed.Summary != want {
		t.Errorf("keyed summary %+v, want %+v", *keyed.Summary, want)
	}
	// In the reference's shape: removed 11 (base only), added 5, and the
	// three modified ids each as a base row and a current row.
	if got := len(keyed.Diff.Data); got != 1+1+3*2 {
		t.Errorf("%d diff rows: %v", got, keyed.Diff.Data)
	}
	first := keyed.Diff.Data[0]
	if first[0] != int64(1) || first[1] != "MICHAEL" || first[len(first)-2] != true || first[len(first)-1] != false {
		t.Errorf("first diff row %v, want customer 1's base version", first)
	}

	// The result is capped, the total is not.
	one, err := diff.Query(ctx, e, diff.QueryParams{SQLTemplate: "select * from {{ ref('stg_orders') }};", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if orders := len(readCSV(t, "raw_orders.csv")); len(one.Data) != 5 || !one.More || one.Truncated || *one.Total != int64(orders) || one.Columns[3].Name != "status" {
		t.Errorf("query: %d rows, more %v, truncated %v, total %d (want 5, true, false, %d), columns %v", len(one.Data), one.More, one.Truncated, *one.Total, orders, one.Columns)
	}

	// source() of a dbt-duckdb external source resolves to its
	// relation_name, a read_csv() call: SQL from a manifest, never pasted.
	_, err = diff.Query(ctx, e, diff.QueryParams{SQLTemplate: "select * from {{ source('jaffle-shop-data', 'raw_orders') }}"})
	if err == nil || !strings.Contains(err.Error(), "relation_name in the manifest is not a relation") {
		t.Errorf("a read_csv() relation_name: %v", err)
	}
}
