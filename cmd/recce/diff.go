package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/term"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// diffSession is what a data diff command works with: both environments'
// artifacts and the open warehouse.
type diffSession struct {
	envs          *diff.Envs
	base, current *dbt.Artifacts
	progress      *term.Progress
}

func (s *diffSession) close() {
	s.progress.Done()
	s.envs.Warehouse.Close()
}

// openDiff loads the artifacts and connects to the warehouse at the same
// time. The progress bar (a spinner on a terminal) is described by the
// diffs as they go.
// only, when set, loads one environment's artifacts (a query of one
// environment needs no other).
func (a *app) openDiff(ctx context.Context, what string, only dbt.Env) (*diffSession, error) {
	s := &diffSession{progress: term.NewProgress(a.stderr, what, -1)}
	var w warehouse.Warehouse
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		switch only {
		case dbt.Base:
			s.base, err = dbt.Load(gctx, a.projectPath(a.flags.targetBasePath), dbt.Base)
		case dbt.Current:
			s.current, err = dbt.Load(gctx, a.projectPath(a.flags.targetPath), dbt.Current)
		default:
			s.base, s.current, err = dbt.LoadPair(gctx, a.projectPath(a.flags.targetBasePath), a.projectPath(a.flags.targetPath))
		}
		return err
	})
	g.Go(func() (err error) { w, _, err = a.openWarehouse(gctx); return err })
	if err := g.Wait(); err != nil {
		s.progress.Done()
		if w != nil {
			w.Close()
		}
		return nil, err
	}
	s.envs = &diff.Envs{Warehouse: w, Progress: s.progress}
	if s.base != nil {
		s.envs.Base = s.base.Manifest
	}
	if s.current != nil {
		s.envs.Current = s.current.Manifest
	}
	return s, nil
}

// runDiff opens a session, runs one diff and prints it as JSON or text.
func runDiff[R any](a *app, cmd *cobra.Command, format, what string, only dbt.Env, do func(context.Context, *diffSession) (R, error), text func(io.Writer, R) error) error {
	s, err := a.openDiff(cmd.Context(), what, only)
	if err != nil {
		return err
	}
	res, err := do(cmd.Context(), s)
	s.close()
	if err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(a.stdout, res)
	}
	return text(a.stdout, res)
}

// textOf prints a comparison as its check type does (check.WriteText).
func textOf[R any](t check.Type) func(io.Writer, R) error {
	return func(w io.Writer, r R) error { return check.WriteText(w, t, r) }
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (a *app) diffCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Compare the data of the base and current environments",
		Long: `Data diffs run SQL on the warehouse of the dbt profile (profiles.yml, as dbt
finds it) against the relations of both environments, as the base manifest
(--target-base-path) and the current manifest (--target-path) name them.
DuckDB files are opened read-only.`,
	}
	cmd.AddCommand(a.rowCountCmd(), a.valueCmd(), a.valueDetailCmd(), a.profileCmd(), a.topKCmd(), a.histogramCmd(), a.queryDiffCmd())
	a.addWarehouseFlags(cmd.PersistentFlags())
	return cmd
}

func (a *app) rowCountCmd() *cobra.Command {
	var format, sel, exclude string
	cmd := &cobra.Command{
		Use:   "row-count",
		Short: "Row counts of the selected models in both environments",
		Long: `Counts the rows of the selected models, seeds and snapshots in both
environments: several relations per query, queries run concurrently. A side
that cannot be counted shows a status: unsupported_materialization
(ephemeral), table_not_found, permission_denied or not_in_manifest.`,
		Example: `  recce diff row-count
  recce diff row-count --select state:modified,config.materialized:table
  recce diff row-count --select customers+ --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Counting rows", "", func(ctx context.Context, s *diffSession) (*diff.RowCountResult, error) {
				res, err := lineage.Diff(s.base, s.current).Select(sel, exclude)
				if err != nil {
					return nil, fmt.Errorf("--select: %w", err)
				}
				ids := make([]string, len(res.Nodes))
				for i, n := range res.Nodes {
					ids[i] = n.UniqueID
				}
				return diff.RowCount(ctx, s.envs, ids, diff.RowCountOptions{})
			}, textOf[*diff.RowCountResult](check.RowCountDiff))
		},
	}
	cmd.Flags().StringVarP(&sel, "select", "s", "", "nodes to count, in dbt's selector syntax (default: all)")
	cmd.Flags().StringVar(&exclude, "exclude", "", "nodes to leave out, in dbt's selector syntax")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

// keyFlags are the flags of the diffs keyed on a primary key.
func keyFlags(cmd *cobra.Command, model, key, columns *string) {
	modelFlags(cmd, model, nil)
	cmd.Flags().StringVar(key, "primary-key", "", "primary key column(s), comma-separated (default: from the manifest: primary_key, unique_key, or unique and not_null tests)")
	cmd.Flags().StringVar(columns, "columns", "", "columns to compare, comma-separated (default: all present on both sides)")
}

// modelFlags adds the required --model and, when column is not nil, the
// required --column.
func modelFlags(cmd *cobra.Command, model, column *string) {
	cmd.Flags().StringVarP(model, "model", "m", "", "model (name, package.name or unique_id)")
	_ = cmd.MarkFlagRequired("model")
	if column != nil {
		cmd.Flags().StringVarP(column, "column", "c", "", "column")
		_ = cmd.MarkFlagRequired("column")
	}
}

func (a *app) valueCmd() *cobra.Command {
	var format, model, key, columns string
	cmd := &cobra.Command{
		Use:   "value",
		Short: "Rows added, removed, modified, and how well each column matches",
		Long: `Checks that the primary key is unique and not null on both sides, then
compares the model's rows by key in one query: rows added, removed, modified
and unchanged, and for each column the rows that match (two nulls match).`,
		Example: `  recce diff value --model customers
  recce diff value --model orders --primary-key order_id --columns amount,status
  recce diff value --model order_items --primary-key order_id,line --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Value diff", "", func(ctx context.Context, s *diffSession) (*diff.ValueResult, error) {
				return diff.Value(ctx, s.envs, diff.ValueParams{Model: model, PrimaryKey: splitList(key), Columns: splitList(columns)})
			}, textOf[*diff.ValueResult](check.ValueDiff))
		},
	}
	keyFlags(cmd, &model, &key, &columns)
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) valueDetailCmd() *cobra.Command {
	var format, model, key, columns string
	var limit int
	cmd := &cobra.Command{
		Use:   "value-detail",
		Short: "The rows that differ, base and current side by side, ordered by key",
		Example: `  recce diff value-detail --model customers
  recce diff value-detail --model orders --limit 50 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Value detail", "", func(ctx context.Context, s *diffSession) (*diff.ValueDetailResult, error) {
				return diff.ValueDetail(ctx, s.envs, diff.ValueDetailParams{
					ValueParams: diff.ValueParams{Model: model, PrimaryKey: splitList(key), Columns: splitList(columns)}, Limit: limit})
			}, textOf[*diff.ValueDetailResult](check.ValueDiffDetail))
		},
	}
	keyFlags(cmd, &model, &key, &columns)
	cmd.Flags().IntVar(&limit, "limit", diff.DefaultDetailLimit, "most differing keys to show")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) profileCmd() *cobra.Command {
	var format, model, columns string
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Per column: rows, nulls, distinct values, uniqueness, min, max, average, median",
		Long: `Profiles each column of a model in both environments, one query per
environment for all columns. A measure that changed shows as base → current.`,
		Example: `  recce diff profile --model customers
  recce diff profile --model orders --columns amount,status --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Profiling", "", func(ctx context.Context, s *diffSession) (*diff.ProfileResult, error) {
				return diff.Profile(ctx, s.envs, diff.ProfileParams{Model: model, Columns: splitList(columns)})
			}, textOf[*diff.ProfileResult](check.ProfileDiff))
		},
	}
	modelFlags(cmd, &model, nil)
	cmd.Flags().StringVar(&columns, "columns", "", "columns to profile, comma-separated (default: all)")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) topKCmd() *cobra.Command {
	var format, model, column string
	var k int
	cmd := &cobra.Command{
		Use:     "top-k",
		Short:   "The most frequent values of a column, counted in both environments",
		Example: `  recce diff top-k --model customers --column first_name --k 5`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Top-k", "", func(ctx context.Context, s *diffSession) (*diff.TopKResult, error) {
				return diff.TopK(ctx, s.envs, diff.TopKParams{Model: model, ColumnName: column, K: k})
			}, textOf[*diff.TopKResult](check.TopKDiff))
		},
	}
	modelFlags(cmd, &model, &column)
	cmd.Flags().IntVarP(&k, "k", "k", diff.DefaultTopK, "number of values")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) histogramCmd() *cobra.Command {
	var format, model, column string
	var bins int
	cmd := &cobra.Command{
		Use:     "histogram",
		Short:   "The distribution of a numeric or date column in both environments, on shared bins",
		Example: `  recce diff histogram --model orders --column amount --bins 20`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Histogram", "", func(ctx context.Context, s *diffSession) (*diff.HistogramResult, error) {
				return diff.Histogram(ctx, s.envs, diff.HistogramParams{Model: model, ColumnName: column, NumBins: bins})
			}, textOf[*diff.HistogramResult](check.HistogramDiff))
		},
	}
	modelFlags(cmd, &model, &column)
	cmd.Flags().IntVar(&bins, "bins", diff.DefaultBins, "number of bins")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) queryDiffCmd() *cobra.Command {
	var format, sql, baseSQL, keys string
	var limit int
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Run a query on both environments and compare the results",
		Long: `Runs the SQL on both environments, {{ ref("model") }}, {{ ref("package",
"model") }} and {{ source("source", "table") }} resolved against each side's
manifest. With --primary-keys the results are joined on the keys in the
warehouse (rows added, removed, modified); without, rows are compared whole.
Results are capped at --limit rows; counts are not.`,
		Example: `  recce diff query --sql 'select status, count(*) as n from {{ ref("orders") }} group by 1' --primary-keys status
  recce diff query --sql 'select * from {{ ref("customers") }}' --base-sql 'select * from {{ ref("customers") }} where customer_id > 10'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(a, cmd, format, "Query diff", "", func(ctx context.Context, s *diffSession) (*diff.QueryDiffResult, error) {
				return diff.QueryDiff(ctx, s.envs, diff.QueryDiffParams{SQLTemplate: sql, BaseSQLTemplate: baseSQL, PrimaryKeys: splitList(keys), Limit: limit})
			}, textOf[*diff.QueryDiffResult](check.QueryDiff))
		},
	}
	cmd.Flags().StringVar(&sql, "sql", "", "SQL to run, with {{ ref(\"model\") }}")
	cmd.Flags().StringVar(&baseSQL, "base-sql", "", "SQL to run on base instead of --sql")
	cmd.Flags().StringVar(&keys, "primary-keys", "", "columns identifying a row of the result, comma-separated")
	cmd.Flags().IntVar(&limit, "limit", diff.DefaultQueryLimit, "most rows to fetch per result")
	_ = cmd.MarkFlagRequired("sql")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) queryCmd() *cobra.Command {
	var format, sql string
	var base bool
	var limit int
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Run a query on the current (or base) environment",
		Long: `Runs the SQL on one environment, {{ ref("model") }}, {{ ref("package",
"model") }} and {{ source("source", "table") }} resolved against its manifest.
The result is capped at --limit rows; the total count is given.`,
		Example: `  recce query --sql 'select * from {{ ref("customers") }} order by customer_id'
  recce query --base --sql 'select count(*) from {{ ref("orders") }}' --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			env := dbt.Current
			if base {
				env = dbt.Base
			}
			return runDiff(a, cmd, format, "Query", env, func(ctx context.Context, s *diffSession) (*diff.Table, error) {
				return diff.Query(ctx, s.envs, diff.QueryParams{SQLTemplate: sql, Base: base, Limit: limit})
			}, textOf[*diff.Table](check.Query))
		},
	}
	cmd.Flags().StringVar(&sql, "sql", "", "SQL to run, with {{ ref(\"model\") }}")
	cmd.Flags().BoolVar(&base, "base", false, "run on the base environment")
	cmd.Flags().IntVar(&limit, "limit", diff.DefaultQueryLimit, "most rows to fetch")
	a.addWarehouseFlags(cmd.Flags())
	_ = cmd.MarkFlagRequired("sql")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}
