// Package difftest builds real warehouses for tests from the shared test
// data: the two environments of jaffle-recce in DuckDB, by running each
// model's compiled SQL in dependency order, as dbt would.
package difftest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// Jaffle is jaffle-recce built in a DuckDB file: schema prod from the base
// manifest, schema dev from the current one.
type Jaffle struct {
	Dir     string // the project folder: jaffle_shop.duckdb and the jaffle-shop-data link
	DBPath  string
	BaseDir string // artifacts folders (in the shared test data)
	CurDir  string
	Base    *dbt.Manifest
	Current *dbt.Manifest
}

// BuildJaffle builds both environments and changes the working directory
// to the project folder for the rest of the test (t.Chdir), because the
// staging views read 'jaffle-shop-data/...csv' relative to it, as they do
// when dbt-duckdb runs in the project folder. Tests using it cannot be
// parallel.
func BuildJaffle(t testing.TB) *Jaffle {
	t.Helper()
	ctx := context.Background()
	src := fixtures.Path(t, "dbt", "jaffle-recce")
	j := &Jaffle{Dir: t.TempDir(), BaseDir: filepath.Join(src, "base"), CurDir: filepath.Join(src, "current")}
	// The catalog must be named jaffle_shop, as in the compiled SQL:
	// DuckDB names it after the file.
	j.DBPath = filepath.Join(j.Dir, "jaffle_shop.duckdb")
	if err := os.Symlink(filepath.Join(src, "jaffle-shop-data"), filepath.Join(j.Dir, "jaffle-shop-data")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(j.Dir)
	base, cur, err := dbt.LoadPair(ctx, j.BaseDir, j.CurDir)
	if err != nil {
		t.Fatal(err)
	}
	j.Base, j.Current = base.Manifest, cur.Manifest
	w, err := duckdb.Open(ctx, j.DBPath, duckdb.Options{ReadWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, m := range []*dbt.Manifest{j.Base, j.Current} {
		if err := BuildEnv(ctx, w.DB(), m); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

// BuildEnv creates every model of a manifest that has compiled SQL, in
// dependency order: views as views, tables and incremental models as
// tables. Ephemeral models are inlined by dbt in their children's compiled
// SQL, so they are skipped.
func BuildEnv(ctx context.Context, db *sql.DB, m *dbt.Manifest) error {
	order, err := buildOrder(m)
	if err != nil {
		return err
	}
	schemas := map[string]bool{}
	for _, n := range order {
		if !schemas[n.Schema] {
			if _, err := db.ExecContext(ctx, fmt.Sprintf(`create schema if not exists %q`, n.Schema)); err != nil {
				return err
			}
			schemas[n.Schema] = true
		}
		kind := "table"
		switch n.Materialized() {
		case "ephemeral":
			continue
		case "view":
			kind = "view"
		}
		stmt := fmt.Sprintf("create or replace %s %s as %s", kind, n.RelationName, n.Compiled())
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("build %s: %w", n.UniqueID, err)
		}
	}
	return nil
}

// buildOrder sorts the models topologically (parents first), ties by id
// for a stable order.
func buildOrder(m *dbt.Manifest) ([]*dbt.Node, error) {
	var ids []string
	for id, n := range m.Nodes {
		if n.ResourceType == dbt.Model && n.Compiled() != "" {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	state := map[string]int{} // 1 visiting, 2 done
	var out []*dbt.Node
	var visit func(id string) error
	visit = func(id string) error {
		n := m.Nodes[id]
		if n == nil || n.ResourceType != dbt.Model || n.Compiled() == "" || state[id] == 2 {
			return nil
		}
		if state[id] == 1 {
			return fmt.Errorf("dependency cycle at %s", id)
		}
		state[id] = 1
		for _, p := range n.DependsOn.Nodes {
			if err := visit(p); err != nil {
				return err
			}
		}
		state[id] = 2
		out = append(out, n)
		return nil
	}
	for _, id := range ids {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Manifest is a small manifest of table models, all in one database and
// schema, for tests that create their own relations. Relations are left
// without relation_name, so that the dialect quotes database, schema and
// name itself.
func Manifest(database, schema string, models ...string) *dbt.Manifest {
	m := &dbt.Manifest{Nodes: map[string]*dbt.Node{}}
	for _, name := range models {
		id := "model.planted." + name
		m.Nodes[id] = &dbt.Node{UniqueID: id, Name: name, ResourceType: dbt.Model, PackageName: "planted",
			Database: database, Schema: schema, Alias: name, Config: dbt.Config{Materialized: "table"}}
	}
	return m
}
