package diff_test

import (
	"context"
	"encoding/csv"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/pgtest"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openPostgres creates a database for the test on the shared throwaway
// cluster (the test skips, loudly, when none can start).
func openPostgres(t *testing.T) (*postgres.Warehouse, string, string) {
	t.Helper()
	u := pgtest.NewDatabase(t)
	w, err := postgres.OpenURL(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	pu, _ := url.Parse(u)
	return w, u, strings.TrimPrefix(pu.Path, "/")
}

func execAll(t *testing.T, w *postgres.Warehouse, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := w.Pool().Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestPlantedPostgres(t *testing.T) {
	w, _, db := openPostgres(t)
	execAll(t, w, plantSQL(w.Dialect().QuoteIdent)...)
	checkPlanted(t, w, db)
}

var (
	intRE  = regexp.MustCompile(`^-?\d+$`)
	numRE  = regexp.MustCompile(`^-?\d+\.\d+$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$`)
	boolRE = regexp.MustCompile(`^(?i)(true|false)$`)
)

// loadSeed creates schema.name from a seed CSV, each column typed by what
// all its values look like, and copies the file in.
func loadSeed(t *testing.T, w *postgres.Warehouse, schema, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	q := w.Dialect().QuoteIdent
	var cols []string
	for i, name := range rows[0] {
		typ := ""
		for _, r := range rows[1:] {
			v := r[i]
			if v == "" {
				continue
			}
			var vt string
			switch {
			case intRE.MatchString(v):
				vt = "bigint"
			case numRE.MatchString(v):
				vt = "double precision"
			case timeRE.MatchString(v):
				vt = "timestamp"
			case boolRE.MatchString(v):
				vt = "boolean"
			default:
				vt = "text"
			}
			switch {
			case typ == "" || typ == vt:
				typ = vt
			case typ == "bigint" && vt == "double precision", typ == "double precision" && vt == "bigint":
				typ = "double precision"
			default:
				typ = "text"
			}
		}
		if typ == "" {
			typ = "text"
		}
		cols = append(cols, q(name)+" "+typ)
	}
	table := q(schema) + "." + q(strings.TrimSuffix(filepath.Base(path), ".csv"))
	execAll(t, w, "create table "+table+" ("+strings.Join(cols, ", ")+")")
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	conn, err := w.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Conn().PgConn().CopyFrom(context.Background(), f, "copy "+table+" from stdin with (format csv, header true)"); err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
}

// retargetSeeds points a manifest's seeds at database.schema, where the
// test loaded them.
func retargetSeeds(m *dbt.Manifest, d warehouse.Dialect, database, schema string) {
	for _, n := range m.Nodes {
		if n.ResourceType == dbt.Seed {
			n.Database, n.Schema = database, schema
			n.RelationName = d.Relation(database, schema, n.RelationAlias())
		}
	}
}

// TestFivetranJiraPostgres loads the fivetran-jira seeds into a base and a
// current schema, plants changes in current, and diffs them with the
// project's real manifests.
func TestFivetranJiraPostgres(t *testing.T) {
	ctx := context.Background()
	w, u, db := openPostgres(t)
	seeds, err := filepath.Glob(filepath.Join(fixtures.Path(t, "dbt", "fivetran-jira", "seeds"), "*.csv"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	execAll(t, w, "create schema base", "create schema current")
	csvRows := map[string]int64{}
	for _, s := range seeds {
		loadSeed(t, w, "base", s)
		loadSeed(t, w, "current", s)
		data, _ := os.ReadFile(s)
		r, _ := csv.NewReader(strings.NewReader(string(data))).ReadAll()
		csvRows[strings.TrimSuffix(filepath.Base(s), ".csv")] = int64(len(r) - 1)
	}
	// Planted: issue 10027 removed, 99999 added (a copy of 10018),
	// 10011's summary changed, 10015's resolved date set to null; one
	// priority added.
	execAll(t, w,
		`delete from current.issue where id = 10027`,
		`insert into current.issue select * from current.issue where id = 10018`,
		`update current.issue set id = 99999 where ctid = (select max(ctid) from current.issue where id = 10018)`,
		`update current.issue set summary = summary || ' (edited)' where id = 10011`,
		`update current.issue set resolved = null where id = 10015`,
		`insert into current.priority (id, name) values (99, 'Blocker')`,
		// A role that may read everything but current.priority.
		`create role reader login`,
		`grant usage on schema base, current to reader`,
		`grant select on all tables in schema base, current to reader`,
		`revoke select on current.priority from reader`,
	)
	base, cur, err := dbt.LoadPair(ctx, fixtures.Path(t, "dbt", "fivetran-jira", "base"), fixtures.Path(t, "dbt", "fivetran-jira", "current"))
	if err != nil {
		t.Fatal(err)
	}
	retargetSeeds(base.Manifest, w.Dialect(), db, "base")
	retargetSeeds(cur.Manifest, w.Dialect(), db, "current")
	e := &diff.Envs{Warehouse: w, Base: base.Manifest, Current: cur.Manifest}

	t.Run("row count", func(t *testing.T) {
		pu, _ := url.Parse(u)
		pu.User = url.User("reader")
		rw, err := postgres.OpenURL(ctx, pu.String())
		if err != nil {
			t.Fatal(err)
		}
		defer rw.Close()
		re := &diff.Envs{Warehouse: rw, Base: base.Manifest, Current: cur.Manifest}
		var ids []string
		for id := range cur.Manifest.Nodes {
			ids = append(ids, id)
		}
		res, err := diff.RowCount(ctx, re, ids, diff.RowCountOptions{})
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]int{}
		for _, n := range res.Nodes {
			node := cur.Manifest.Nodes[n.UniqueID]
			switch {
			case n.Name == "priority":
				if *n.Base != csvRows["priority"] || n.Current != nil || *n.CurrentStatus != diff.StatusPermissionDenied {
					t.Errorf("priority: %+v", n)
				}
			case node.ResourceType == dbt.Seed && csvRows[n.Name] == 0 && n.Name == "comment":
				// comment.csv is missing from the seeds: never loaded.
				if *n.BaseStatus != diff.StatusTableNotFound {
					t.Errorf("comment: %+v", n)
				}
			case node.ResourceType == dbt.Seed:
				if *n.Base != csvRows[n.Name] || *n.Current != csvRows[n.Name] {
					t.Errorf("%s: %s / %s, want %d", n.Name, show(n.Base), show(n.Current), csvRows[n.Name])
				}
			case node.Materialized() == "ephemeral":
				if *n.BaseStatus != diff.StatusUnsupportedMaterialization || *n.CurrentStatus != diff.StatusUnsupportedMaterialization {
					t.Errorf("%s: %+v", n.Name, n)
				}
			default: // models were not built here
				if n.Base != nil || n.CurrentStatus == nil || *n.CurrentStatus != diff.StatusTableNotFound {
					t.Errorf("%s: %+v, want table_not_found", n.Name, n)
				}
			}
			if n.CurrentStatus != nil {
				statuses[*n.CurrentStatus]++
			}
		}
		if statuses[diff.StatusUnsupportedMaterialization] != 13 || statuses[diff.StatusPermissionDenied] != 1 {
			t.Errorf("statuses %v, want 13 ephemeral models and 1 forbidden seed", statuses)
		}
		if len(res.Nodes) != 61+22 {
			t.Errorf("%d nodes, want the 61 models and 22 seeds", len(res.Nodes))
		}
	})

	t.Run("value diff", func(t *testing.T) {
		res, err := diff.Value(ctx, e, diff.ValueParams{Model: "issue", PrimaryKey: diff.Keys{"id"}})
		if err != nil {
			t.Fatal(err)
		}
		want := diff.ValueSummary{Total: 5, Added: 1, Removed: 1, Modified: 2, Unchanged: 1}
		if res.Summary != want {
			t.Errorf("summary %+v, want %+v", res.Summary, want)
		}
		for _, c := range res.Columns {
			wantMM := int64(0)
			if c.Name == "summary" || c.Name == "resolved" {
				wantMM = 1
			}
			if c.Mismatched != wantMM || c.Matched != 3-wantMM {
				t.Errorf("column %s: %+v", c.Name, c)
			}
		}
		det, err := diff.ValueDetail(ctx, e, diff.ValueDetailParams{ValueParams: diff.ValueParams{Model: "issue", PrimaryKey: diff.Keys{"id"}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range det.Rows {
			got = append(got, r.Status+":"+fmtAny(r.Key)+":"+strings.Join(r.Changed, ","))
		}
		if strings.Join(got, " ") != "modified:10011:summary modified:10015:resolved removed:10027: added:99999:" {
			t.Errorf("detail %v", got)
		}
	})

	t.Run("profile, top-k, histogram", func(t *testing.T) {
		p, err := diff.Profile(ctx, e, diff.ProfileParams{Model: "issue", Columns: []string{"id", "resolved", "summary"}})
		if err != nil {
			t.Fatal(err)
		}
		// resolved: null for 10027 in base, for 10015 in current.
		if p.Base[1].Nulls != 1 || p.Current[1].Nulls != 1 || *p.Current[0].DistinctCount != 4 || p.Current[0].Max != int64(99999) {
			t.Errorf("profile base %+v current %+v", p.Base, p.Current)
		}
		tk, err := diff.TopK(ctx, e, diff.TopKParams{Model: "issue_field_history", ColumnName: "issue_id"})
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, c := range tk.Base.Counts {
			sum += c
		}
		if sum != csvRows["issue_field_history"] || tk.Base.Total != sum {
			t.Errorf("top-k counts %v add up to %d, want %d", tk.Base.Counts, sum, csvRows["issue_field_history"])
		}
		h, err := diff.Histogram(ctx, e, diff.HistogramParams{Model: "issue", ColumnName: "created", NumBins: 5})
		if err != nil {
			t.Fatal(err)
		}
		if h.Kind != warehouse.KindDatetime || h.Base.Total != 4 || h.Current.Total != 4 || len(h.Labels) != 5 {
			t.Errorf("histogram %+v", h)
		}
		var nb int64
		for _, c := range h.Base.Counts {
			nb += c
		}
		if nb != 4 {
			t.Errorf("histogram base counts %v", h.Base.Counts)
		}
	})

	t.Run("models without data", func(t *testing.T) {
		_, err := diff.Value(ctx, e, diff.ValueParams{Model: "int_jira__issue_epic", PrimaryKey: diff.Keys{"issue_id"}})
		if err == nil || !strings.Contains(err.Error(), "is ephemeral: it has no relation in the warehouse") {
			t.Errorf("ephemeral: %v", err)
		}
		// The models were not built here, and the manifest places them
		// in database postgres, not the test's: the error says so, and
		// matches ErrRelationNotFound for callers that report a status.
		_, err = diff.Profile(ctx, e, diff.ProfileParams{Model: "jira__issue_enhanced"})
		if !errors.Is(err, warehouse.ErrRelationNotFound) || !strings.Contains(err.Error(), "jira__issue_enhanced") || !strings.Contains(err.Error(), "set dbname:") {
			t.Errorf("model in another database: %v", err)
		}
		// The same model pointed at the test's database, where it does not
		// exist either.
		for _, m := range []*dbt.Manifest{base.Manifest, cur.Manifest} {
			n := m.Lookup("jira__issue_enhanced")
			saved := n.RelationName
			n.RelationName = w.Dialect().Relation(db, "current", n.Alias)
			defer func() { n.RelationName = saved }()
		}
		_, err = diff.Profile(ctx, e, diff.ProfileParams{Model: "jira__issue_enhanced"})
		if !errors.Is(err, warehouse.ErrRelationNotFound) || !strings.Contains(err.Error(), " jira__issue_enhanced: ") || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("missing table: %v", err)
		}
	})

	t.Run("a json column compares as text", func(t *testing.T) {
		execAll(t, w,
			`create table base.events as select i as id, json_build_object('n', i) as payload from generate_series(1, 6) as t(i)`,
			`create table current.events as select id, case when id = 2 then json_build_object('n', 20) else payload end as payload from base.events`)
		je := &diff.Envs{Warehouse: w, Base: difftest.Manifest(db, "base", "events"), Current: difftest.Manifest(db, "current", "events")}
		res, err := diff.Value(ctx, je, diff.ValueParams{Model: "events", PrimaryKey: diff.Keys{"id"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.Modified != 1 || res.Columns[0].Mismatched != 1 {
			t.Errorf("%+v", res)
		}
		tk, err := diff.TopK(ctx, je, diff.TopKParams{Model: "events", ColumnName: "payload", K: 3})
		if err != nil || len(tk.Current.Values) != 3 {
			t.Errorf("top-k of json: %v %+v", err, tk)
		}
	})

	t.Run("query diff", func(t *testing.T) {
		res, err := diff.QueryDiff(ctx, e, diff.QueryDiffParams{SQLTemplate: "select id, name from {{ ref('priority') }}"})
		if err != nil {
			t.Fatal(err)
		}
		if *res.RowsOnlyInBase != 0 || *res.RowsOnlyInCurrent != 1 || *res.Current.Total != csvRows["priority"]+1 {
			t.Errorf("only in base %d, current %d, total %d", *res.RowsOnlyInBase, *res.RowsOnlyInCurrent, *res.Current.Total)
		}
		_, err = diff.Query(ctx, e, diff.QueryParams{SQLTemplate: "select * from {{ ref('priority') }} {% if x %}{% endif %}"})
		if err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("Jinja statement: %v", err)
		}
		_, err = diff.Query(ctx, e, diff.QueryParams{SQLTemplate: "select {{ var('x') }}"})
		if err == nil || !strings.Contains(err.Error(), "only ref() and source()") {
			t.Errorf("var(): %v", err)
		}
		_, err = diff.Query(ctx, e, diff.QueryParams{SQLTemplate: "select * from {{ ref('no_such_model') }}"})
		if err == nil || !strings.Contains(err.Error(), `no model, seed or snapshot "no_such_model"`) {
			t.Errorf("unknown ref: %v", err)
		}
	})

}

func TestSandboxDiffPostgres(t *testing.T) {
	w, u, db := openPostgres(t)
	execAll(t, w, plantSQL(w.Dialect().QuoteIdent)...)
	checkSandbox(t, sandboxEngine{
		database: db,
		escape:   "create table public.pwned (x int)",
		traced: func(t *testing.T) bool {
			_, r, err := warehouse.QueryRow(context.Background(), w, "select count(*) from pg_tables where tablename = 'pwned'")
			if err != nil {
				t.Fatal(err)
			}
			return warehouse.Int64(r[0]) > 0
		},
		slow: "select pg_sleep(600)",
		open: func(t *testing.T, l warehouse.Limits) warehouse.Warehouse {
			pw, err := postgres.OpenURL(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			g := warehouse.Guard(pw, l)
			t.Cleanup(func() { g.Close() })
			return g
		},
	})
}
