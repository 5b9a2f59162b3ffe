package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
	"gitlab.com/recce-go/recce/internal/warehouse/postgres"
)

// adapters opens a warehouse per profiles.yml type:. Adding an engine is
// adding a line here and a package under internal/warehouse.
var adapters = map[string]func(context.Context, *dbt.Target) (warehouse.Warehouse, error){
	"duckdb": func(ctx context.Context, t *dbt.Target) (warehouse.Warehouse, error) {
		return duckdb.OpenTarget(ctx, t) // read-only
	},
	"postgres": func(ctx context.Context, t *dbt.Target) (warehouse.Warehouse, error) {
		return postgres.OpenTarget(ctx, t)
	},
}

func supportedAdapters() string {
	names := make([]string, 0, len(adapters))
	for n := range adapters {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// loadTarget reads the profiles.yml output chosen by the shared flags.
func (a *app) loadTarget() (*dbt.Target, error) {
	getenv := a.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return dbt.LoadTarget(dbt.ProfileOptions{
		ProjectDir:  a.flags.projectDir,
		ProfilesDir: a.flags.profilesDir,
		Profile:     a.flags.profile,
		Target:      a.flags.target,
		Getenv:      getenv,
		HomeDir:     getenv("HOME"),
	})
}

// openWarehouse connects to the warehouse of the profile's target (DuckDB
// read-only). The caller closes it.
func (a *app) openWarehouse(ctx context.Context) (warehouse.Warehouse, *dbt.Target, error) {
	t, err := a.loadTarget()
	if err != nil {
		return nil, nil, fmt.Errorf("warehouse connection: %w", err)
	}
	open, ok := adapters[t.Type]
	if !ok {
		return nil, nil, fmt.Errorf("%s: output %s.%s has type: %s, which recce does not support (supported: %s)",
			t.ProfilesPath, t.Profile, t.Name, t.Type, supportedAdapters())
	}
	w, err := open(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	return w, t, nil
}
