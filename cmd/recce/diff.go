package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

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
			}, a.printRowCount)
		},
	}
	cmd.Flags().StringVarP(&sel, "select", "s", "", "nodes to count, in dbt's selector syntax (default: all)")
	cmd.Flags().StringVar(&exclude, "exclude", "", "nodes to leave out, in dbt's selector syntax")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) printRowCount(w io.Writer, r *diff.RowCountResult) error {
	if len(r.Nodes) == 0 {
		_, err := fmt.Fprintln(w, "No model, seed or snapshot selected.")
		return err
	}
	t := term.NewTable(w, "NAME", "BASE", "CURRENT", "CHANGE").AlignRight(1, 2, 3)
	changed, unseen := 0, 0
	meta := func(s *string) *check.RowCountMeta {
		if s == nil {
			return nil
		}
		return &check.RowCountMeta{Status: *s}
	}
	for _, n := range r.Nodes {
		side := func(c *int64, status *string) string {
			if c != nil {
				return strconv.FormatInt(*c, 10)
			}
			return term.Gray(w, *status)
		}
		change := ""
		// What counts as a change, or as not counted, is the check's rule.
		e := check.RowCountEntry{Base: n.Base, Curr: n.Current, BaseMeta: meta(n.BaseStatus), CurrMeta: meta(n.CurrentStatus)}
		switch {
		case e.Changed():
			changed++
		case e.Unseen() != "":
			unseen++
			change = term.Yellow(w, "not counted")
		}
		switch {
		case n.BaseStatus != nil && *n.BaseStatus == diff.StatusNotInManifest && n.Current != nil:
			change = term.Green(w, "added")
		case n.CurrentStatus != nil && *n.CurrentStatus == diff.StatusNotInManifest && n.Base != nil:
			change = term.Red(w, "removed")
		}
		if n.Base != nil && n.Current != nil && *n.Base != *n.Current {
			d := *n.Current - *n.Base
			change = fmt.Sprintf("%+d", d)
			if *n.Base != 0 {
				p := check.Percent(float64(d) / float64(*n.Base))
				if d > 0 {
					p = "+" + p
				}
				change += " (" + p + ")"
			}
			change = term.Yellow(w, change)
		}
		t.Row(n.Name, side(n.Base, n.BaseStatus), side(n.Current, n.CurrentStatus), change)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d of %d nodes changed row count.\n", changed, len(r.Nodes))
	if unseen > 0 {
		fmt.Fprintf(w, "%s %d could not be counted (table_not_found: not built in that environment; permission_denied: not readable): their row counts are unknown.\n",
			term.Yellow(w, "!"), unseen)
	}
	return nil
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
			}, printValue)
		},
	}
	keyFlags(cmd, &model, &key, &columns)
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func printSummary(w io.Writer, what string, keys []string, s diff.ValueSummary) {
	fmt.Fprintf(w, "%s by %s: %d rows\n", what, strings.Join(keys, ", "), s.Total)
	line := func(label string, n int64, paint func(io.Writer, string) string) {
		v := strconv.FormatInt(n, 10)
		if n > 0 && paint != nil {
			v = paint(w, v)
		}
		fmt.Fprintf(w, "  %-10s %s\n", label, v)
	}
	line("added", s.Added, term.Green)
	line("removed", s.Removed, term.Red)
	line("modified", s.Modified, term.Yellow)
	line("unchanged", s.Unchanged, nil)
}

func printColumns(w io.Writer, cols []diff.ColumnMatch) error {
	if len(cols) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	t := term.NewTable(w, "COLUMN", "MATCHED", "MISMATCHED", "MATCH RATE").AlignRight(1, 2, 3)
	for _, c := range cols {
		p := "-"
		if c.MatchedP != nil {
			p = check.Percent(*c.MatchedP)
			if c.Mismatched > 0 {
				p = term.Yellow(w, p)
			}
		}
		t.Row(c.Name, strconv.FormatInt(c.Matched, 10), strconv.FormatInt(c.Mismatched, 10), p)
	}
	return t.Flush()
}

func printValue(w io.Writer, r *diff.ValueResult) error {
	printSummary(w, r.Model, r.PrimaryKey, r.Summary)
	if err := printColumns(w, r.Columns); err != nil {
		return err
	}
	if len(r.ColumnsOnlyInBase)+len(r.ColumnsOnlyInCurrent) > 0 {
		fmt.Fprintln(w)
	}
	if len(r.ColumnsOnlyInBase) > 0 {
		fmt.Fprintf(w, "Not compared, only in base: %s\n", strings.Join(r.ColumnsOnlyInBase, ", "))
	}
	if len(r.ColumnsOnlyInCurrent) > 0 {
		fmt.Fprintf(w, "Not compared, only in current: %s\n", strings.Join(r.ColumnsOnlyInCurrent, ", "))
	}
	return nil
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
			}, printDetail)
		},
	}
	keyFlags(cmd, &model, &key, &columns)
	cmd.Flags().IntVar(&limit, "limit", diff.DefaultDetailLimit, "most differing keys to show")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func printDetail(w io.Writer, r *diff.ValueDetailResult) error {
	if len(r.Rows) == 0 {
		_, err := fmt.Fprintf(w, "No differing rows in %s.\n", r.Model)
		return err
	}
	nk := len(r.PrimaryKey)
	header := append([]string{"STATUS"}, r.PrimaryKey...)
	t := term.NewTable(w, append(header, "CHANGES (base → current)")...)
	for _, row := range r.Rows {
		cells := []string{row.Status}
		switch row.Status {
		case diff.RowAdded:
			cells[0] = term.Green(w, "+ added")
		case diff.RowRemoved:
			cells[0] = term.Red(w, "- removed")
		default:
			cells[0] = term.Yellow(w, "~ modified")
		}
		for _, k := range row.Key {
			cells = append(cells, cell(w, k))
		}
		var changes []string
		for i, c := range r.Columns[nk:] {
			if row.Status == diff.RowModified && containsName(row.Changed, c.Name) {
				changes = append(changes, fmt.Sprintf("%s: %s → %s", c.Name, cell(w, row.Base[nk+i]), cell(w, row.Current[nk+i])))
			}
		}
		t.Row(append(cells, strings.Join(changes, "; "))...)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	switch {
	case r.Truncated:
		fmt.Fprintf(w, "\nOnly the first %d differing keys are shown: the rows reached the size cap of a result (%s).\n", len(r.Rows), truncatedHint)
	case r.More:
		fmt.Fprintf(w, "\nOnly the first %d differing keys are shown: raise --limit for more.\n", r.Limit)
	}
	return nil
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// cell formats a value for a table cell.
func cell(w io.Writer, v any) string {
	switch x := v.(type) {
	case nil:
		return term.Gray(w, "NULL")
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case float64:
		if math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		if len(x) > 60 {
			return x[:57] + "..."
		}
		return x
	case []byte:
		return fmt.Sprintf("<%d bytes>", len(x))
	}
	return fmt.Sprint(v)
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
			}, printProfile)
		},
	}
	modelFlags(cmd, &model, nil)
	cmd.Flags().StringVar(&columns, "columns", "", "columns to profile, comma-separated (default: all)")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func printProfile(w io.Writer, r *diff.ProfileResult) error {
	byName := map[string]*diff.ColumnProfile{}
	for i := range r.Base {
		byName[r.Base[i].ColumnName] = &r.Base[i]
	}
	t := term.NewTable(w, "COLUMN", "TYPE", "ROWS", "NULLS", "DISTINCT", "UNIQUE", "MIN", "MAX", "AVG", "MEDIAN").AlignRight(2, 3, 4, 8, 9)
	// The measures as values, compared exactly: two values that differ
	// are shown with the digits it takes to tell them apart, and equal
	// values are never shown as a change.
	measures := func(p *diff.ColumnProfile) []any {
		return []any{p.RowCount, p.Nulls, p.DistinctCount, p.IsUnique, p.Min, p.Max, p.Avg, p.Median}
	}
	one := func(v any) string {
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10)
		case *int64:
			if x != nil {
				return strconv.FormatInt(*x, 10)
			}
		case *float64:
			if x != nil {
				return check.Number(*x, 4)
			}
		case float64:
			return check.Number(x, 4)
		case *bool:
			if x != nil {
				return strconv.FormatBool(*x)
			}
		case nil:
		default:
			return cell(w, v)
		}
		return "-"
	}
	pair := func(b, c any) (string, string, bool) {
		bf, okB := profileFloat(b)
		cf, okC := profileFloat(c)
		if okB && okC {
			bs, cs := check.NumberPair(bf, cf, 4)
			return bs, cs, bf != cf
		}
		bs, cs := one(b), one(c)
		return bs, cs, bs != cs
	}
	seen := map[string]bool{}
	add := func(name, typ string, b, c *diff.ColumnProfile) {
		row := []string{name, typ}
		switch {
		case b == nil:
			row[0], row[1] = term.Green(w, name), term.Green(w, typ+" (column added)")
			for _, v := range measures(c) {
				row = append(row, one(v))
			}
		case c == nil:
			row[0], row[1] = term.Red(w, name), term.Red(w, typ+" (column removed)")
			for _, v := range measures(b) {
				row = append(row, one(v))
			}
		default:
			if b.DataType != c.DataType {
				row[1] = term.Yellow(w, b.DataType+" → "+c.DataType)
			}
			bm, cm := measures(b), measures(c)
			for i := range cm {
				bs, cs, differ := pair(bm[i], cm[i])
				if differ {
					row = append(row, term.Yellow(w, bs+" → "+cs))
				} else {
					row = append(row, cs)
				}
			}
		}
		t.Row(row...)
	}
	for i := range r.Current {
		c := &r.Current[i]
		seen[c.ColumnName] = true
		add(c.ColumnName, c.DataType, byName[c.ColumnName], c)
	}
	for i := range r.Base {
		if b := &r.Base[i]; !seen[b.ColumnName] {
			add(b.ColumnName, b.DataType, b, nil)
		}
	}
	fmt.Fprintf(w, "Profile of %s\n\n", r.Model)
	return t.Flush()
}

// profileFloat reads a profile measure that is a number.
func profileFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case *float64:
		if x != nil {
			return *x, true
		}
		return 0, false
	case *int64:
		if x != nil {
			return float64(*x), true
		}
		return 0, false
	}
	return warehouse.Float64(v) // values from the warehouse; text stays text
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
			}, printTopK)
		},
	}
	modelFlags(cmd, &model, &column)
	cmd.Flags().IntVarP(&k, "k", "k", diff.DefaultTopK, "number of values")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func printTopK(w io.Writer, r *diff.TopKResult) error {
	fmt.Fprintf(w, "Top %d values of %s.%s\n\n", len(r.Current.Values), r.Model, r.Column)
	t := term.NewTable(w, "VALUE", "BASE", "CURRENT", "CHANGE").AlignRight(1, 2, 3)
	for i, v := range r.Current.Values {
		b, c := r.Base.Counts[i], r.Current.Counts[i]
		change := ""
		if b != c {
			change = term.Yellow(w, fmt.Sprintf("%+d", c-b))
		}
		t.Row(cell(w, v), strconv.FormatInt(b, 10), strconv.FormatInt(c, 10), change)
	}
	t.Row(term.Gray(w, "(non-null / rows)"), fmt.Sprintf("%d / %d", r.Base.Valids, r.Base.Total), fmt.Sprintf("%d / %d", r.Current.Valids, r.Current.Total), "")
	return t.Flush()
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
			}, printHistogram)
		},
	}
	modelFlags(cmd, &model, &column)
	cmd.Flags().IntVar(&bins, "bins", diff.DefaultBins, "number of bins")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func printHistogram(w io.Writer, r *diff.HistogramResult) error {
	fmt.Fprintf(w, "Histogram of %s.%s (%s, %d base and %d current values)\n\n", r.Model, r.Column, r.Kind, r.Base.Total, r.Current.Total)
	if len(r.Labels) == 0 {
		_, err := fmt.Fprintln(w, "No values on either side.")
		return err
	}
	var top int64 = 1
	for i := range r.Current.Counts {
		top = max(top, r.Current.Counts[i], r.Base.Counts[i])
	}
	t := term.NewTable(w, "BIN", "BASE", "CURRENT", "").AlignRight(1, 2)
	for i, l := range r.Labels {
		b, c := r.Base.Counts[i], r.Current.Counts[i]
		bar := strings.Repeat("█", int(20*c/top))
		if b != c {
			bar = term.Yellow(w, bar)
		}
		t.Row(l, strconv.FormatInt(b, 10), strconv.FormatInt(c, 10), bar)
	}
	return t.Flush()
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
			}, printQueryDiff)
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

func printQueryDiff(w io.Writer, r *diff.QueryDiffResult) error {
	if r.Summary != nil {
		printSummary(w, "Query results", r.PrimaryKeys, *r.Summary)
		if err := printColumns(w, r.Columns); err != nil {
			return err
		}
		fmt.Fprintln(w)
		return printDetail(w, r.Detail)
	}
	fmt.Fprintf(w, "Rows only in base: %d\nRows only in current: %d\n", *r.RowsOnlyInBase, *r.RowsOnlyInCurrent)
	for _, side := range []struct {
		name string
		t    *diff.Table
	}{{"Base", r.Base}, {"Current", r.Current}} {
		fmt.Fprintf(w, "\n%s (%d rows):\n", side.name, *side.t.Total)
		if err := printTable(w, side.t, 20); err != nil {
			return err
		}
	}
	return nil
}

// printTable prints up to max rows of a result, and how many there are.
func printTable(w io.Writer, t *diff.Table, maxRows int) error {
	names := make([]string, len(t.Columns))
	var right []int
	for i, c := range t.Columns {
		names[i] = c.Name
		if c.Kind.Numeric() {
			right = append(right, i)
		}
	}
	tab := term.NewTable(w, names...).AlignRight(right...)
	for i, row := range t.Data {
		if maxRows > 0 && i == maxRows {
			break
		}
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = cell(w, v)
		}
		tab.Row(cells...)
	}
	if err := tab.Flush(); err != nil {
		return err
	}
	shown := len(t.Data)
	if maxRows > 0 {
		shown = min(shown, maxRows)
	}
	if t.Total != nil && int64(shown) < *t.Total {
		fmt.Fprintf(w, "%s\n", term.Gray(w, fmt.Sprintf("(%d of %d rows shown)", shown, *t.Total)))
	}
	if t.Truncated {
		fmt.Fprintf(w, "%s\n", term.Gray(w, fmt.Sprintf("(only %d rows were fetched: the result reached the size cap of a result, %s)", len(t.Data), truncatedHint)))
	}
	return nil
}

// truncatedHint says what a result cut at the byte cap means to a user.
var truncatedHint = fmt.Sprintf("%d MiB; select fewer or narrower columns", warehouse.DefaultMaxBytes>>20)

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
			}, func(w io.Writer, t *diff.Table) error { return printTable(w, t, 0) })
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
