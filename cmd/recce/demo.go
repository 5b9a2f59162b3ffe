package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/term"
)

func (a *app) demoCmd() *cobra.Command {
	var format string
	var opt demo.Options
	cmd := &cobra.Command{
		Use:   "demo [DIR]",
		Short: "Write a demo dbt project, built twice, to try recce on",
		Long: `Writes a small dbt project of an online shop into DIR (default recce-demo):
the models, profiles.yml, recce.yml with preset checks, a DuckDB database
(demo.duckdb) holding the shop's data built twice, base into schema prod and
current into schema dev, and the artifacts of both builds (target-base/ and
target/). Nothing needs to be installed: DuckDB is embedded.

The current build carries deliberate changes, so every check has something to
show: an added model, a removed model, a model whose values change, a removed
and a retyped column, a whitespace-only edit and a materialization change.

The same generator makes benchmark data: --models grows the graph to thousands
of models around the shop, --rows grows the orders table to millions of rows,
and --artifacts-only writes only the artifacts. The output is deterministic.

DIR must be empty, absent or a previous demo; --force writes into another
folder, replacing the demo's own files there (models/, target/, ...).`,
		Example: `  recce demo
  cd recce-demo && recce lineage-diff
  recce demo bench --models 10000 --artifacts-only
  recce demo big --rows 10000000`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "recce-demo"
			if len(args) == 1 {
				dir = args[0]
			}
			sp := &stageProgress{w: a.stderr}
			opt.Progress = sp.update
			res, err := demo.Generate(cmd.Context(), dir, opt)
			sp.done()
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.stdout, res)
			}
			if err := printDemo(a.stdout, dir, res); err != nil {
				return err
			}
			if opt.Models > 1000 {
				return nil // a wall of a thousand rows helps nobody
			}
			// End with the product's main job on the demo: its lineage diff.
			base, current, err := dbt.LoadPair(cmd.Context(), res.Base.Dir, res.Current.Dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\n%s\n\n", term.Bold(a.stdout, "Lineage diff of the demo (recce lineage-diff)"))
			flags := a.flags
			flags.targetBasePath, flags.targetPath = res.Base.Dir, res.Current.Dir
			return printLineage(a.stdout, lineage.Diff(base, current), flags, false)
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	f := cmd.Flags()
	f.IntVar(&opt.Models, "models", 0, "models in the base environment: the shop's 11, plus synthetic ones up to N")
	f.IntVar(&opt.Rows, "rows", 0, fmt.Sprintf("raw orders to generate (default %d); related tables grow in proportion", demo.DefaultRows))
	f.BoolVar(&opt.ArtifactsOnly, "artifacts-only", false, "write only target-base/ and target/ (no database, no project files): for artifact benchmarks")
	f.BoolVar(&opt.Force, "force", false, "write into a non-empty folder that is not a previous demo")
	return cmd
}

// stageProgress shows one progress bar per stage of the generation, on a
// terminal only.
type stageProgress struct {
	w     io.Writer
	stage string
	bar   *term.Progress
	n     int
}

func (s *stageProgress) update(stage string, done, total int) {
	if stage != s.stage {
		s.bar.Done()
		if total == 0 {
			total = -1 // a spinner
		}
		s.stage, s.bar, s.n = stage, term.NewProgress(s.w, stage, total), 0
	}
	if done > s.n {
		s.bar.Add(done - s.n)
		s.n = done
	}
}

func (s *stageProgress) done() { s.bar.Done() }

func printDemo(w io.Writer, dir string, r *demo.Result) error {
	rel := func(p string) string {
		if x, err := filepath.Rel(r.Dir, p); err == nil {
			return filepath.Join(dir, x)
		}
		return p
	}
	fmt.Fprintf(w, "%s %s (%d files, %.1f MB, %.1fs)\n\n", term.Bold(w, "Wrote the recce demo to"), dir,
		r.Files, float64(r.Bytes)/1e6, r.Elapsed.Seconds())

	t := term.NewTable(w)
	if r.Database != "" {
		t.Row("  dbt project", rel(r.Project)+", models/, seeds/, profiles.yml")
		t.Row("  warehouse", fmt.Sprintf("%s (DuckDB; raw data in schema raw, %s orders)", rel(r.Database), thousands(r.Rows)))
		t.Row("  checks", rel(r.Config))
	}
	t.Row("  base", fmt.Sprintf("%s/  (schema %s, %d models)", rel(r.Base.Dir), r.Base.Schema, r.BaseModels))
	t.Row("  current", fmt.Sprintf("%s/  (schema %s, %d models)", rel(r.Current.Dir), r.Current.Schema, r.CurrentModels))
	if err := t.Flush(); err != nil {
		return err
	}

	c := r.Changes
	fmt.Fprintf(w, "\n%s\n", term.Bold(w, "Deliberate changes in current"))
	t = term.NewTable(w)
	row := func(label string, names []string, paint func(io.Writer, string) string) {
		if len(names) > 0 {
			t.Row("  "+label, paint(w, shortList(names, 6)))
		}
	}
	row("added", c.Added, term.Green)
	row("removed", c.Removed, term.Red)
	row("modified", c.Modified, term.Yellow)
	row("whitespace only", c.WhitespaceOnly, term.Gray)
	row("view -> table", c.Materialized, term.Yellow)
	row("removed columns", c.RemovedColumns, term.Red)
	row("retyped columns", c.RetypedColumns, term.Yellow)
	if o := r.Orders; o != nil {
		t.Row("  orders rows", fmt.Sprintf("%s added, %s removed, %s modified of %s",
			thousands(o.Added), thousands(o.Removed), thousands(o.Modified), thousands(o.Total)))
	}
	if err := t.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\n%s\n  cd %s\n  recce lineage-diff\n  recce schema-diff\n", term.Bold(w, "Try next"), dir)
	if r.Database != "" {
		fmt.Fprintf(w, "  recce diff row-count --select state:modified\n  recce diff value --model orders\n  recce run\n")
	}
	return nil
}

// shortList names the first n items and counts the rest.
func shortList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// thousands writes 1234567 as 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
