package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
	// The adapters register themselves with the warehouse package; adding
	// an engine is adding a package under internal/warehouse and its line
	// here.
	_ "gitlab.com/recce-go/recce/internal/warehouse/duckdb"
	_ "gitlab.com/recce-go/recce/internal/warehouse/postgres"
)

// warehouseFlags are the sandbox's flags, on every command that opens a
// warehouse (server, query, run, diff).
type warehouseFlags struct {
	bound          bool // false on commands without the flags (recce debug): the defaults
	queryTimeout   time.Duration
	externalAccess bool
}

// addWarehouseFlags binds the sandbox's flags.
func (a *app) addWarehouseFlags(f *pflag.FlagSet) {
	a.wh.bound = true
	f.DurationVar(&a.wh.queryTimeout, "query-timeout", warehouse.DefaultTimeout, "cancel, in the warehouse, any query that runs longer (0: no limit)")
	f.BoolVar(&a.wh.externalAccess, "duckdb-external-access", false, "let DuckDB queries read files and URLs (read_csv, read_parquet, ATTACH...), for models that are views over files; off, a query can name no path on this machine")
}

// warehouseOptions are the sandbox's settings from the flags.
func (a *app) warehouseOptions() (warehouse.Options, error) {
	o := warehouse.Options{ExternalAccess: a.wh.externalAccess, Limits: warehouse.Limits{Timeout: a.wh.queryTimeout}}
	switch {
	case !a.wh.bound:
		o.Limits.Timeout = 0 // the default
	case a.wh.queryTimeout < 0:
		return o, fmt.Errorf("--query-timeout %s: give a positive duration such as 2m, or 0 for no limit", a.wh.queryTimeout)
	case a.wh.queryTimeout == 0:
		o.Limits.Timeout = -1 // none
	}
	return o, nil
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

// openWarehouse connects to the warehouse of the profile's target, in the
// sandbox of the warehouse package: one read-only statement per query,
// with --query-timeout and the result byte cap (DuckDB read-only, without
// external access unless --duckdb-external-access). The caller closes it.
func (a *app) openWarehouse(ctx context.Context) (warehouse.Warehouse, *dbt.Target, error) {
	o, err := a.warehouseOptions()
	if err != nil {
		return nil, nil, err
	}
	t, err := a.loadTarget()
	if err != nil {
		return nil, nil, fmt.Errorf("warehouse connection: %w", err)
	}
	w, err := warehouse.Open(ctx, t, o)
	if err != nil {
		return nil, nil, err
	}
	return w, t, nil
}
