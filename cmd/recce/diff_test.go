package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/diff/difftest"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// jaffleProject builds jaffle-recce's environments in DuckDB and lays out
// a dbt project folder around them (dbt_project.yml, profiles.yml). It
// returns the flags that point recce at it.
func jaffleProject(t *testing.T, profiles string) []string {
	t.Helper()
	j := difftest.BuildJaffle(t)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(j.Dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dbt_project.yml", "name: jaffle_shop\nprofile: jaffle_shop\n")
	if profiles == "" {
		profiles = "jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: jaffle_shop.duckdb\n"
	}
	write("profiles.yml", profiles)
	return []string{"--project-dir", j.Dir, "--target-path", j.CurDir, "--target-base-path", j.BaseDir}
}

func recceOK(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := runRecce(t, args...)
	if code != 0 {
		t.Fatalf("recce %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func TestDiffCommandsOnJaffle(t *testing.T) {
	project := jaffleProject(t, "")
	with := func(args ...string) []string { return append(args, project...) }

	t.Run("row-count json", func(t *testing.T) {
		out := recceOK(t, with("diff", "row-count", "--select", "customers int_customer_orders", "--format", "json")...)
		var res struct {
			Nodes []map[string]any `json:"nodes"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(res.Nodes) != 2 {
			t.Fatalf("nodes %v", res.Nodes)
		}
		c, io := res.Nodes[0], res.Nodes[1]
		if c["name"] != "customers" || c["base"] != 100.0 || c["current"] != 100.0 || c["base_status"] != nil || c["unique_id"] != "model.jaffle_shop.customers" {
			t.Errorf("customers %v", c)
		}
		if io["base"] != nil || io["base_status"] != "not_in_manifest" || io["current"] != 62.0 {
			t.Errorf("int_customer_orders %v", io)
		}
		for _, key := range []string{"unique_id", "name", "base", "current", "base_status", "current_status"} {
			if _, ok := c[key]; !ok {
				t.Errorf("key %s missing", key)
			}
		}
	})

	t.Run("row-count text", func(t *testing.T) {
		// jaffle's staging models are views over its CSV files, which
		// DuckDB may read only with --duckdb-external-access.
		out := recceOK(t, with("diff", "row-count")...)
		if !strings.Contains(out, "stg_payments            permission_denied  permission_denied") {
			t.Errorf("views over files without --duckdb-external-access:\n%s", out)
		}
		out = recceOK(t, with("diff", "row-count", "--duckdb-external-access")...)
		for _, s := range []string{"NAME", "customers", "not_in_manifest", "2 of 9 nodes changed row count"} {
			if !strings.Contains(out, s) {
				t.Errorf("output lacks %q:\n%s", s, out)
			}
		}
		if !strings.Contains(out, "int_customer_orders     not_in_manifest       62   added\n") ||
			!strings.Contains(out, "stg_payments                        113      113") {
			t.Errorf("columns not aligned:\n%s", out)
		}
	})

	t.Run("value json has the issue's shape", func(t *testing.T) {
		out := recceOK(t, with("diff", "value", "--model", "customers", "--columns", "first_name,number_of_orders", "--format", "json")...)
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		summary := res["summary"].(map[string]any)
		if res["model"] != "customers" || res["primary_key"].([]any)[0] != "customer_id" || summary["total"] != 100.0 || summary["unchanged"] != 100.0 {
			t.Errorf("value json %s", out)
		}
		for _, k := range []string{"total", "added", "removed", "modified", "unchanged"} {
			if _, ok := summary[k]; !ok {
				t.Errorf("summary lacks %s", k)
			}
		}
		cols := res["columns"].([]any)
		first := cols[0].(map[string]any)
		if len(cols) != 2 || first["name"] != "first_name" || first["matched"] != 100.0 || first["mismatched"] != 0.0 || first["matched_p"] != 1.0 {
			t.Errorf("columns %v", cols)
		}
	})

	t.Run("value text", func(t *testing.T) {
		out := recceOK(t, with("diff", "value", "--model", "customers")...)
		for _, s := range []string{"customers by customer_id: 100 rows", "unchanged  100", "customer_lifetime_value", "100.00"} {
			if !strings.Contains(out, s) {
				t.Errorf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("query diff with keys", func(t *testing.T) {
		out := recceOK(t, with("diff", "query", "--sql", `select customer_id, first_name from {{ ref("customers") }} where customer_id <= 3`,
			"--base-sql", `select customer_id, upper(first_name) as first_name from {{ ref("customers") }} where customer_id between 2 and 3`,
			"--primary-keys", "customer_id")...)
		for _, s := range []string{"added      1", "modified   2", "+ added", "~ modified", "first_name: SHAWN → Shawn"} {
			if !strings.Contains(out, s) {
				t.Errorf("output lacks %q:\n%s", s, out)
			}
		}
	})

	t.Run("query", func(t *testing.T) {
		out := recceOK(t, with("query", "--base", "--sql", `select customer_id, first_name from {{ ref('customers') }} order by customer_id`, "--limit", "2")...)
		if !strings.Contains(out, "Michael") || strings.Contains(out, "Kathleen") || !strings.Contains(out, "(2 of 100 rows shown)") {
			t.Errorf("query output:\n%s", out)
		}
		// A query of current needs no base artifacts.
		out = recceOK(t, append(with("query", "--sql", `select count(*) as n from {{ ref('int_customer_orders') }}`, "--format", "json"),
			"--target-base-path", filepath.Join(t.TempDir(), "missing"))...)
		if !strings.Contains(out, `"data": [
    [
      62
    ]
  ]`) {
			t.Errorf("query json:\n%s", out)
		}
	})

	t.Run("profile, top-k, histogram, value-detail", func(t *testing.T) {
		out := recceOK(t, with("diff", "profile", "--model", "customers", "--columns", "number_of_orders")...)
		if !strings.Contains(out, "number_of_orders") || !strings.Contains(out, "1.5968") {
			t.Errorf("profile:\n%s", out)
		}
		// Every column: equal measures are never shown as a change; the
		// changed ones show two different texts.
		out = recceOK(t, with("diff", "profile", "--model", "customers")...)
		for _, line := range strings.Split(out, "\n") {
			for _, f := range strings.Split(line, "  ") {
				if b, c, ok := strings.Cut(strings.TrimSpace(f), " → "); ok && b == c {
					t.Errorf("an equal value shown as a change: %q", line)
				}
			}
		}
		out = recceOK(t, with("diff", "top-k", "--model", "customers", "--column", "number_of_orders", "--k", "2")...)
		if !strings.Contains(out, "Top 2 values of customers.number_of_orders") || !strings.Contains(out, "62 / 100") {
			t.Errorf("top-k:\n%s", out)
		}
		out = recceOK(t, with("diff", "histogram", "--model", "customers", "--column", "first_order", "--bins", "4", "--format", "json")...)
		var h map[string]any
		if err := json.Unmarshal([]byte(out), &h); err != nil || len(h["labels"].([]any)) != 4 || h["type"] != "date" {
			t.Errorf("histogram %s %v", out, err)
		}
		out = recceOK(t, with("diff", "value-detail", "--model", "orders")...)
		if !strings.Contains(out, "No differing rows in orders.") {
			t.Errorf("value-detail:\n%s", out)
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			args []string
			want string
		}{
			{[]string{"diff", "value", "--model", "nope"}, `model "nope" is in neither manifest`},
			{[]string{"diff", "value", "--model", "int_customer_orders"}, "not in the base manifest"},
			{[]string{"diff", "value", "--model", "customers", "--primary-key", "last_name"}, "is not unique and not null in base customers"},
			{[]string{"diff", "histogram", "--model", "customers", "--column", "first_name"}, "needs numbers or dates"},
			{[]string{"diff", "top-k", "--model", "customers", "--column", "nope"}, `column "nope" is not in`},
			{[]string{"query", "--sql", "select {{ var('x') }}"}, "only ref() and source()"},
		}
		for _, c := range cases {
			_, errOut, code := runRecce(t, with(c.args...)...)
			if code != 1 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("recce %s: exit %d, stderr %q, want one line with %q", strings.Join(c.args, " "), code, errOut, c.want)
			}
		}
	})
}

func TestDiffProfileErrors(t *testing.T) {
	const secret = "s3cr3t-pa55word"
	cases := []struct {
		name, profiles, want string
	}{
		{"unknown type", "jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: oracle\n", "type: oracle, which recce does not support (supported: duckdb, postgres)"},
		{"missing database file", "jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: nowhere.duckdb\n", "nowhere.duckdb does not exist"},
		{"unreachable postgres", "jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: 127.0.0.1\n      port: 1\n      user: u\n      password: " + secret + "\n      dbname: d\n      schema: s\n", "connect to postgres u@127.0.0.1:1/d"},
		{"missing env var", "jaffle_shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('JAFFLE_DB') }}\"\n", "JAFFLE_DB is not set"},
	}
	project := jaffleProject(t, "")
	dir := project[1]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(c.profiles), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := runRecce(t, append([]string{"diff", "row-count"}, project...)...)
			if code != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, errOut, c.want)
			}
			if strings.Contains(out+errOut, secret) {
				t.Errorf("the password was printed: %s", errOut)
			}
		})
	}
	if !slices.Contains(project, "--project-dir") {
		t.Fatal("project flags")
	}
}

// TestRowCountNotBuilt: a model of the current manifest that is not in the
// warehouse is not counted, and not called a change.
func TestRowCountNotBuilt(t *testing.T) {
	project := jaffleProject(t, "")
	ctx := context.Background()
	w, err := duckdb.Open(ctx, filepath.Join(project[1], "jaffle_shop.duckdb"), duckdb.Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB().ExecContext(ctx, `drop table "jaffle_shop"."dev"."customer_segments"`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := recceOK(t, append([]string{"diff", "row-count", "--select", "orders customer_segments"}, project...)...)
	if !strings.Contains(out, "0 of 2 nodes changed row count.") || !strings.Contains(out, "not counted") || !strings.Contains(out, "1 could not be counted") {
		t.Errorf("row-count:\n%s", out)
	}
}
