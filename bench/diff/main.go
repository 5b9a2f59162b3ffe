// Command diff benchmarks recce's value diff against the reference
// system's method and against the least work any value diff must do, on
// the demo's orders table (8 columns), in DuckDB and in PostgreSQL.
//
//	go run ./bench/diff -rows 10000000 -pg-rows 1000000 -runs 5
//
// Methods, each timed in a child process of its own (so that its peak
// memory is its own and caches of one method do not help another):
//
//   - recce: diff.Value, the key check on both sides included;
//   - reference: what the reference system runs, written here only: the
//     key check (dbt's unique test) on both sides, then one full outer join
//     per column (the key column included) on an MD5 surrogate key,
//     classifying each row and grouping;
//   - bare: one full outer join on the key counting, per column, the rows
//     whose values differ; no key check, no added/removed/modified.
//
// It prints the median of the runs per method, the ratios, and each
// method's peak resident memory (for PostgreSQL, the client's: the work is
// the server's).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/pgtest"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
	"gitlab.com/recce-go/recce/internal/warehouse/postgres"
)

var methods = []string{"recce", "bare", "reference"}

func main() {
	rows := flag.Int("rows", 10_000_000, "orders in the DuckDB demo")
	pgRows := flag.Int("pg-rows", 1_000_000, "orders in the PostgreSQL run (0 skips it)")
	runs := flag.Int("runs", 5, "runs per method (the median is reported)")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "recce-bench-diff"), "where the demo projects are generated (kept between runs)")
	skipDuck := flag.Bool("skip-duckdb", false, "only run PostgreSQL")
	only := flag.String("methods", strings.Join(methods, ","), "methods to run, comma-separated (the ratios need recce, bare and reference)")
	// Child mode: run one method once and print its time.
	child := flag.String("child", "", "internal: duckdb or postgres")
	method := flag.String("method", "", "internal: method to run")
	target := flag.String("target", "", "internal: database file or URL")
	baseRel := flag.String("base", "", "internal: base relation")
	curRel := flag.String("current", "", "internal: current relation")
	flag.Parse()
	methods = strings.Split(*only, ",")
	if *child != "" {
		runChild(*child, *method, *target, *baseRel, *curRel)
		return
	}
	ctx := context.Background()
	fmt.Printf("machine: %s/%s, %d cores, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	if !*skipDuck {
		p := prepareDemo(ctx, filepath.Join(*dir, fmt.Sprintf("duckdb-%d", *rows)), *rows)
		fmt.Printf("\nDuckDB, %d orders (%d base rows, %d current), 8 columns, %d runs per method\n", *rows, p.planted.Base, p.planted.Current, *runs)
		compare(p.db, "duckdb", p.baseRel, p.curRel, *runs, p.planted)
	}
	if *pgRows > 0 {
		p := prepareDemo(ctx, filepath.Join(*dir, fmt.Sprintf("duckdb-%d", *pgRows)), *pgRows)
		srv, err := pgtest.New()
		check(err, "start PostgreSQL")
		defer srv.Stop()
		url := loadIntoPostgres(ctx, srv, p)
		fmt.Printf("\nPostgreSQL, %d orders (%d base rows, %d current), 8 columns, %d runs per method\n", *pgRows, p.planted.Base, p.planted.Current, *runs)
		compare(url, "postgres", `"bench"."base_orders"`, `"bench"."current_orders"`, *runs, p.planted)
	}
}

type prepared struct {
	db, baseRel, curRel string
	planted             *demo.PlantedDiff
}

// prepareDemo generates the demo project (or reuses one generated before
// with the same size) and finds the orders relations in its manifests.
func prepareDemo(ctx context.Context, dir string, rows int) prepared {
	res, err := loadResult(dir)
	if err != nil {
		fmt.Printf("generating the demo with %d orders in %s...\n", rows, dir)
		start := time.Now()
		res, err = demo.Generate(ctx, dir, demo.Options{Rows: rows, Force: true})
		check(err, "generate the demo")
		fmt.Printf("generated in %s\n", time.Since(start).Round(time.Second))
		b, _ := json.Marshal(res)
		check(os.WriteFile(filepath.Join(dir, "bench-result.json"), b, 0o644), "save the demo result")
	}
	base, cur, err := dbt.LoadPair(ctx, res.Base.Dir, res.Current.Dir)
	check(err, "load the demo artifacts")
	rel := func(m *dbt.Manifest) string {
		n := m.Lookup("orders")
		if n == nil {
			check(fmt.Errorf("no orders model"), "demo manifest")
		}
		return n.RelationName
	}
	return prepared{db: res.Database, baseRel: rel(base.Manifest), curRel: rel(cur.Manifest), planted: res.Orders}
}

func loadResult(dir string) (*demo.Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, "bench-result.json"))
	if err != nil {
		return nil, err
	}
	var r demo.Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if _, err := os.Stat(r.Database); err != nil {
		return nil, err
	}
	return &r, nil
}

// loadIntoPostgres copies the demo's two orders tables into PostgreSQL,
// through CSV files exported by DuckDB.
func loadIntoPostgres(ctx context.Context, srv *pgtest.Server, p prepared) string {
	tmp, err := os.MkdirTemp("", "recce-bench-csv-")
	check(err, "temp folder")
	defer os.RemoveAll(tmp)
	// The export writes files: external access on (trusted code).
	w, err := duckdb.Open(ctx, p.db, duckdb.Options{ExternalAccess: true})
	check(err, "open the demo database")
	conn, err := pgx.Connect(ctx, srv.URL)
	check(err, "connect to PostgreSQL")
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "create schema bench")
	check(err, "create schema")
	for _, side := range []struct{ name, rel string }{{"base_orders", p.baseRel}, {"current_orders", p.curRel}} {
		file := filepath.Join(tmp, side.name+".csv")
		_, err := w.DB().ExecContext(ctx, fmt.Sprintf("copy (select order_id, customer_id, order_date, status, item_count, amount, discount, shipped_date from %s) to '%s' (header, delimiter ',')", side.rel, file))
		check(err, "export "+side.rel)
		_, err = conn.Exec(ctx, fmt.Sprintf(`create table bench.%s (order_id bigint, customer_id bigint, order_date date, status text,
			item_count bigint, amount numeric(18,2), discount numeric(18,2), shipped_date date)`, side.name))
		check(err, "create "+side.name)
		f, err := os.Open(file)
		check(err, "open csv")
		_, err = conn.PgConn().CopyFrom(ctx, f, fmt.Sprintf("copy bench.%s from stdin with (format csv, header true)", side.name))
		f.Close()
		check(err, "load "+side.name)
		_, err = conn.Exec(ctx, "analyze bench."+side.name)
		check(err, "analyze")
	}
	w.Close()
	return srv.URL
}

// result is what a child reports.
type result struct {
	Seconds float64 `json:"seconds"`
	Summary string  `json:"summary"`
}

// compare runs every method runs times, alternating their order, and
// prints the medians, ratios and peak memory.
func compare(target, engine, baseRel, curRel string, runs int, planted *demo.PlantedDiff) {
	times := map[string][]float64{}
	rss := map[string][]int64{}
	self, err := os.Executable()
	check(err, "find the benchmark binary")
	for r := 0; r < runs; r++ {
		order := slices.Clone(methods)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, m := range order {
			cmd := exec.Command(self, "-child", engine, "-method", m, "-target", target, "-base", baseRel, "-current", curRel)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			check(err, m)
			var res result
			check(json.Unmarshal(out, &res), "child output")
			times[m] = append(times[m], res.Seconds)
			rss[m] = append(rss[m], cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
			if r == 0 && m == "recce" {
				fmt.Printf("recce found: %s\n", res.Summary)
				if planted != nil {
					want := fmt.Sprintf("total %d added %d removed %d modified %d", planted.Total, planted.Added, planted.Removed, planted.Modified)
					status := "matches the demo's planted differences"
					if !strings.HasPrefix(res.Summary, want) {
						status = "DIFFERS from the demo's planted differences: " + want
					}
					fmt.Println(status)
				}
			}
		}
	}
	fmt.Printf("%-10s %12s %12s %14s   %s\n", "method", "median s", "min s", "peak RSS MiB", "all runs (s)")
	med := map[string]float64{}
	for _, m := range methods {
		med[m] = median(times[m])
		var all []string
		for _, s := range times[m] {
			all = append(all, strconv.FormatFloat(s, 'f', 2, 64))
		}
		fmt.Printf("%-10s %12.2f %12.2f %14.0f   %s\n", m, med[m], slices.Min(times[m]), float64(slices.Max(rss[m]))/1024, strings.Join(all, " "))
	}
	if med["reference"] > 0 && med["recce"] > 0 {
		fmt.Printf("reference / recce = %.1fx (must be >= 5)\n", med["reference"]/med["recce"])
	}
	if med["recce"] > 0 && med["bare"] > 0 {
		fmt.Printf("recce / bare      = %.2fx (must be <= 2)\n", med["recce"]/med["bare"])
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// runChild runs one method once and prints its result as JSON.
func runChild(engine, method, target, baseRel, curRel string) {
	ctx := context.Background()
	var w warehouse.Warehouse
	var err error
	switch engine {
	case "duckdb":
		w, err = duckdb.Open(ctx, target, duckdb.Options{})
	case "postgres":
		w, err = postgres.OpenURL(ctx, target)
	}
	check(err, "open")
	// As recce opens it: under the sandbox's default limits.
	w = warehouse.Guard(w, warehouse.Limits{})
	defer w.Close()
	start := time.Now()
	summary := ""
	switch method {
	case "recce":
		e := &diff.Envs{Warehouse: w, Base: manifestAt(baseRel), Current: manifestAt(curRel)}
		res, err := diff.Value(ctx, e, diff.ValueParams{Model: "orders", PrimaryKey: diff.Keys{"order_id"}})
		check(err, "value diff")
		s := res.Summary
		summary = fmt.Sprintf("total %d added %d removed %d modified %d unchanged %d", s.Total, s.Added, s.Removed, s.Modified, s.Unchanged)
	case "bare":
		summary = bareJoin(ctx, w, baseRel, curRel)
	case "reference":
		summary = referenceMethod(ctx, w, baseRel, curRel)
	default:
		check(fmt.Errorf("unknown method %q", method), "child")
	}
	out, _ := json.Marshal(result{Seconds: time.Since(start).Seconds(), Summary: summary})
	fmt.Println(string(out))
}

// manifestAt is a one-model manifest whose orders lives at rel.
func manifestAt(rel string) *dbt.Manifest {
	return &dbt.Manifest{Nodes: map[string]*dbt.Node{"model.bench.orders": {UniqueID: "model.bench.orders", Name: "orders",
		ResourceType: dbt.Model, RelationName: rel, Config: dbt.Config{Materialized: "table"}}}}
}

var compared = []string{"customer_id", "order_date", "status", "item_count", "amount", "discount", "shipped_date"}

// bareJoin is the least any value diff must do: one full outer join on
// the key, counting per column the rows whose values differ.
func bareJoin(ctx context.Context, w warehouse.Warehouse, baseRel, curRel string) string {
	var sel []string
	for _, c := range compared {
		sel = append(sel, fmt.Sprintf("count(case when b.%s is distinct from c.%s then 1 end)", c, c))
	}
	_, row, err := warehouse.QueryRow(ctx, w, fmt.Sprintf("select %s from %s b full outer join %s c on b.order_id = c.order_id",
		strings.Join(sel, ", "), baseRel, curRel))
	check(err, "bare join")
	return fmt.Sprint(row)
}

// referenceMethod is the reference system's value diff, as its
// documentation and code describe it: dbt's unique test on the key in
// each environment, then, for the key column and each other column, one
// full outer join on an MD5 surrogate key that classifies every row, run
// one after another on one connection.
func referenceMethod(ctx context.Context, w warehouse.Warehouse, baseRel, curRel string) string {
	for _, rel := range []string{baseRel, curRel} {
		_, _, err := warehouse.QueryAll(ctx, w, fmt.Sprintf(`select count(*) as invalids from (
			select order_id as unique_field, count(*) as n_records from %s where order_id is not null
			group by order_id having count(*) > 1) t`, rel))
		check(err, "reference key check")
	}
	pk := "md5(coalesce(cast(order_id as varchar), '_recce_surrogate_key_null_'))"
	var counts []string
	for _, col := range append([]string{"order_id"}, compared...) {
		sql := fmt.Sprintf(`with a_query as (select %[1]s as _pk, * from %[2]s),
b_query as (select %[1]s as _pk, * from %[3]s),
joined as (
  select coalesce(a_query._pk, b_query._pk) as _pk,
    case
      when a_query.%[4]s = b_query.%[4]s then 'perfect match'
      when a_query.%[4]s is null and b_query.%[4]s is null then 'both are null'
      when a_query._pk is null then 'missing from a'
      when b_query._pk is null then 'missing from b'
      when a_query.%[4]s is null then 'value is null in a only'
      when b_query.%[4]s is null then 'value is null in b only'
      when a_query.%[4]s != b_query.%[4]s then 'values do not match'
      else 'unknown'
    end as match_status
  from a_query full outer join b_query on a_query._pk = b_query._pk
),
aggregated as (
  select '%[4]s' as column_name, match_status, count(*) as count_records from joined group by column_name, match_status
)
select column_name, match_status, count_records, round(100.0 * count_records / sum(count_records) over (), 2) as percent_of_total
from aggregated`, pk, baseRel, curRel, col)
		_, rows, err := warehouse.QueryAll(ctx, w, sql)
		check(err, "reference join of "+col)
		counts = append(counts, fmt.Sprintf("%s:%d", col, len(rows)))
	}
	return strings.Join(counts, " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
	}
	return "unknown CPU"
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench/diff: %s: %v\n", what, err)
		os.Exit(1)
	}
}
