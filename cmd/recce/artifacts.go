package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/term"
)

// projectPath resolves a path given on the command line against
// --project-dir, as dbt does for its target path.
func (a *app) projectPath(p string) string {
	if filepath.IsAbs(p) || a.flags.projectDir == "" {
		return p
	}
	return filepath.Join(a.flags.projectDir, p)
}

// loadArtifacts loads base and current artifacts, with a spinner on a
// terminal (large manifests take a moment).
func (a *app) loadArtifacts(ctx context.Context) (base, current *dbt.Artifacts, err error) {
	p := term.NewProgress(a.stderr, "Loading artifacts", -1)
	defer p.Done()
	return dbt.LoadPair(ctx, a.projectPath(a.flags.targetBasePath), a.projectPath(a.flags.targetPath))
}

// lineageDiff loads the artifacts and compares them.
func (a *app) lineageDiff(ctx context.Context) (*lineage.Result, error) {
	base, current, err := a.loadArtifacts(ctx)
	if err != nil {
		return nil, err
	}
	return lineage.Diff(base, current), nil
}

func (a *app) lineageDiffCmd() *cobra.Command {
	var format, sel, exclude string
	var showWhitespace bool
	cmd := &cobra.Command{
		Use:   "lineage-diff",
		Short: "Show which nodes were added, removed or modified, and what they impact",
		Long: `Compares the base and current manifests: nodes added, removed or modified
(with the reasons: code, whitespace, config, relation, persisted_descriptions,
source, contract, macros, as dbt's state:modified), the edges that changed,
and the nodes impacted downstream, each with the changes that impact it. The
text output lists changed and impacted nodes; --format json lists every node
(with impacted_by) and edge, and the counts.`,
		Example: `  recce lineage-diff
  recce lineage-diff --select state:modified+ --format json
  recce lineage-diff --target-base-path prod-artifacts --exclude tag:deprecated`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.lineageDiff(cmd.Context())
			if err != nil {
				return err
			}
			if r, err = r.Select(sel, exclude); err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.stdout, r)
			}
			return printLineage(a.stdout, r, a.flags, showWhitespace)
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	addSelectFlags(cmd, &sel, &exclude)
	cmd.Flags().BoolVar(&showWhitespace, "show-whitespace", false, "list the nodes changed only in whitespace (text format)")
	return cmd
}

func addSelectFlags(cmd *cobra.Command, sel, exclude *string) {
	cmd.Flags().StringVarP(sel, "select", "s", "", "nodes to include, in dbt's selector syntax (e.g. state:modified+)")
	if exclude != nil {
		cmd.Flags().StringVar(exclude, "exclude", "", "nodes to leave out, in dbt's selector syntax")
	}
}

func (a *app) schemaDiffCmd() *cobra.Command {
	var format, sel, exclude string
	cmd := &cobra.Command{
		Use:   "schema-diff",
		Short: "Show the columns added, removed and retyped between the two catalogs",
		Long: `Compares the base and current catalog.json: per node, the columns added,
removed and whose type changed. Columns are matched by name case-insensitively.
A node missing from one catalog is reported as such.`,
		Example: `  recce schema-diff
  recce schema-diff --select state:modified+ --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			base, current, err := a.loadArtifacts(cmd.Context())
			if err != nil {
				return err
			}
			// A side without its catalog has no known columns: nothing
			// can be compared, as the schema_diff check says too.
			if err := check.CatalogsPresent(base, current); err != nil {
				return err
			}
			r := lineage.Diff(base, current)
			if r, err = r.Select(sel, exclude); err != nil {
				return err
			}
			nodes := make([]*lineage.Node, 0)
			for _, n := range r.Nodes {
				if n.Columns.Differs() {
					nodes = append(nodes, n)
				}
			}
			if format == "json" {
				return writeJSON(a.stdout, map[string]any{"base": r.Base, "current": r.Current, "nodes": nodes})
			}
			return printSchemaDiff(a.stdout, nodes)
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	addSelectFlags(cmd, &sel, &exclude)
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

var changeMarks = map[lineage.Change]string{
	lineage.Added: "+", lineage.Removed: "-", lineage.Modified: "~", lineage.Unchanged: " ",
}

func paintChange(w io.Writer, ch lineage.Change, s string) string {
	switch ch {
	case lineage.Added:
		return term.Green(w, s)
	case lineage.Removed:
		return term.Red(w, s)
	case lineage.Modified:
		return term.Yellow(w, s)
	}
	return s
}

func envLine(e lineage.Env, dir string) string {
	at := e.GeneratedAt
	if len(at) >= 16 {
		at = strings.Replace(at[:16], "T", " ", 1)
	}
	parts := []string{}
	if e.ProjectName != "" {
		parts = append(parts, e.ProjectName)
	}
	parts = append(parts, "dbt "+e.DBTVersion, "generated "+at, dir)
	return strings.Join(parts, " · ")
}

func printLineage(w io.Writer, r *lineage.Result, f globalFlags, showWhitespace bool) error {
	c := r.Counts
	fmt.Fprintf(w, "%s  %s\n", term.Bold(w, "Base   "), envLine(r.Base, f.targetBasePath))
	fmt.Fprintf(w, "%s  %s\n\n", term.Bold(w, "Current"), envLine(r.Current, f.targetPath))

	ws := ""
	if c.WhitespaceOnly > 0 {
		ws = fmt.Sprintf("; %d more changed only in whitespace", c.WhitespaceOnly)
	}
	if c.Changed == 0 {
		if c.WhitespaceOnly > 0 {
			ws = fmt.Sprintf(" (%d changed only in whitespace)", c.WhitespaceOnly)
		}
		fmt.Fprintf(w, "%s No changed node among %d nodes%s.\n", term.Green(w, "✓"), c.Nodes, ws)
		if c.WhitespaceOnly == 0 || !showWhitespace {
			return nil
		}
		fmt.Fprintln(w)
	} else {
		// The same words and counts as the summary (lineage.Counts).
		fmt.Fprintf(w, "%s%s; %d nodes in all\n\n", c, ws, c.Nodes)
	}

	// Changed nodes first, then what they impact, then whitespace edits.
	rank := func(n *lineage.Node) int {
		switch {
		case n.WhitespaceOnly():
			return 4
		case n.Change == lineage.Added:
			return 0
		case n.Change == lineage.Modified:
			return 1
		case n.Change == lineage.Removed:
			return 2
		}
		return 3
	}
	var rows []*lineage.Node
	for _, n := range r.Nodes {
		if (n.Changed() || n.Impacted) && (showWhitespace || !n.WhitespaceOnly()) {
			rows = append(rows, n)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rank(rows[i]) < rank(rows[j]) })

	t := term.NewTable(w, "", "NODE", "TYPE", "MATERIALIZED", "CHANGE", "COLUMNS")
	for _, n := range rows {
		what := string(n.Change)
		if n.Change == lineage.Modified {
			rs := make([]string, len(n.Reasons))
			for i, x := range n.Reasons {
				rs[i] = string(x)
			}
			what = strings.Join(rs, ", ")
		}
		name := displayName(n)
		mark := paintChange(w, n.Change, changeMarks[n.Change])
		switch {
		case n.WhitespaceOnly():
			mark, name, what = term.Gray(w, mark), term.Gray(w, name), term.Gray(w, what)
			if n.Impacted {
				what += term.Gray(w, "; "+impactedBy(r, n))
			}
		case !n.Changed():
			what = term.Gray(w, impactedBy(r, n))
		default:
			name = paintChange(w, n.Change, name)
		}
		t.Row(mark, name, n.ResourceType, n.Materialized, what, columnsSummary(w, n.Columns))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if c.WhitespaceOnly > 0 && !showWhitespace {
		msg := fmt.Sprintf("%d nodes changed only in whitespace or line endings are not listed (--show-whitespace lists them).", c.WhitespaceOnly)
		if c.WhitespaceOnly == 1 {
			msg = "1 node changed only in whitespace or line endings is not listed (--show-whitespace lists it)."
		}
		fmt.Fprintf(w, "\n%s\n", term.Gray(w, msg))
	}
	return nil
}

// displayName is a node's name as people know it: source.table for a
// source.
func displayName(n *lineage.Node) string {
	if n.ResourceType == dbt.Source {
		return n.Node().SourceName + "." + n.Name
	}
	return n.Name
}

// impactedBy says which changes impact a node: "impacted by stg_orders,
// stg_payments and 3 more".
func impactedBy(r *lineage.Result, n *lineage.Node) string {
	var names []string
	for _, id := range n.ImpactedBy {
		if u := r.Node(id); u != nil {
			names = append(names, displayName(u))
		} else {
			names = append(names, id)
		}
	}
	switch {
	case len(names) == 0:
		return "impacted"
	case len(names) > 3:
		return fmt.Sprintf("impacted by %s and %d more", strings.Join(names[:2], ", "), len(names)-2)
	}
	return "impacted by " + strings.Join(names, ", ")
}

func columnsSummary(w io.Writer, c *lineage.ColumnsDiff) string {
	if c == nil {
		return ""
	}
	if c.Missing != "" {
		return term.Gray(w, missingText(c.Missing))
	}
	var parts []string
	if n := len(c.Added); n > 0 {
		parts = append(parts, term.Green(w, fmt.Sprintf("+%d", n)))
	}
	if n := len(c.Removed); n > 0 {
		parts = append(parts, term.Red(w, fmt.Sprintf("-%d", n)))
	}
	if n := len(c.Changed); n > 0 {
		parts = append(parts, term.Yellow(w, fmt.Sprintf("~%d", n)))
	}
	return strings.Join(parts, " ")
}

// missingText says which catalog lacks a node's relation.
func missingText(side string) string {
	if side == "both" {
		return "not in either catalog"
	}
	return "not in the " + side + " catalog"
}

func printSchemaDiff(w io.Writer, nodes []*lineage.Node) error {
	if len(nodes) == 0 {
		fmt.Fprintf(w, "%s No column changed.\n", term.Green(w, "✓"))
		return nil
	}
	t := term.NewTable(w, "NODE", "COLUMN", "CHANGE", "BASE TYPE", "CURRENT TYPE")
	for _, n := range nodes {
		c := n.Columns
		if c.Missing != "" {
			t.Row(n.Name, "", term.Yellow(w, missingText(c.Missing)+": columns unknown"), "", "")
			continue
		}
		for _, col := range c.Added {
			t.Row(n.Name, col, term.Green(w, "added"), "", "")
		}
		for _, col := range c.Removed {
			t.Row(n.Name, col, term.Red(w, "removed"), "", "")
		}
		for _, col := range c.Changed {
			t.Row(n.Name, col.Name, term.Yellow(w, "type changed"), col.BaseType, col.CurrentType)
		}
	}
	return t.Flush()
}

// debugCheck is one line of `recce debug`.
type debugCheck struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Warning bool   `json:"warning,omitempty"` // OK, but worth a look (stale base artifacts)
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func (a *app) debugCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "debug",
		Short: "Check that the artifacts of both environments (and the warehouse) are there",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			checks := a.debugChecks(cmd.Context())
			ok := true
			for _, c := range checks {
				ok = ok && c.OK
			}
			if format == "json" {
				if err := writeJSON(a.stdout, map[string]any{"ok": ok, "checks": checks}); err != nil {
					return err
				}
			} else {
				t := term.NewTable(a.stdout)
				for _, c := range checks {
					mark := term.Green(a.stdout, "✓")
					switch {
					case !c.OK:
						mark = term.Red(a.stdout, "✗")
					case c.Warning:
						mark = term.Yellow(a.stdout, "!")
					}
					t.Row(mark, c.Name, c.Message)
					if c.Hint != "" {
						t.Row("", "", term.Gray(a.stdout, "→ "+c.Hint))
					}
				}
				if err := t.Flush(); err != nil {
					return err
				}
			}
			if !ok {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) debugChecks(ctx context.Context) []debugCheck {
	var checks []debugCheck
	for _, env := range []struct {
		env dbt.Env
		dir string
	}{{dbt.Base, a.projectPath(a.flags.targetBasePath)}, {dbt.Current, a.projectPath(a.flags.targetPath)}} {
		art, err := dbt.Load(ctx, env.dir, env.env)
		if err != nil {
			checks = append(checks, debugCheck{Name: string(env.env) + " manifest", Message: err.Error()})
			continue
		}
		m := art.Manifest
		models := 0
		for _, n := range m.Nodes {
			if n.ResourceType == dbt.Model {
				models++
			}
		}
		checks = append(checks, debugCheck{Name: string(env.env) + " manifest", OK: true,
			Message: fmt.Sprintf("%s: %s, dbt %s, schema v%d, %d models, generated %s",
				art.ManifestPath, m.Metadata.ProjectName, m.Metadata.DBTVersion, m.SchemaVersion, models, m.Metadata.GeneratedAt)})
		if art.Catalog == nil {
			checks = append(checks, debugCheck{Name: string(env.env) + " catalog", Message: filepath.Join(env.dir, "catalog.json") + " not found: schema diffs will be unavailable",
				Hint: fmt.Sprintf("run `dbt docs generate --target-path %s`", env.dir)})
		} else {
			checks = append(checks, debugCheck{Name: string(env.env) + " catalog", OK: true,
				Message: fmt.Sprintf("%s: %d relations", art.CatalogPath, len(art.Catalog.Nodes))})
		}
	}
	cfg := a.projectPath(a.flags.config)
	if _, err := os.Stat(cfg); err == nil {
		checks = append(checks, debugCheck{Name: "checks config", OK: true, Message: cfg + " found"})
	} else {
		checks = append(checks, debugCheck{Name: "checks config", OK: true, Message: cfg + " not found: the default checks will run (row counts of modified table models, schema diff)"})
	}
	checks = append(checks, a.debugBase()...)
	return append(checks, a.debugWarehouse(ctx)...)
}
