package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/report"
	"gitlab.com/recce-go/recce/internal/summary"
	"gitlab.com/recce-go/recce/internal/term"
)

// runOptions are the flags of recce run.
type runOptions struct {
	output, stateFile, summaryFile, failOn, format string
	junit, codeQuality                             string
}

func (a *app) runCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the preset checks, write the state file and the merge request summary",
		Long: `Runs the checks of recce.yml (or, with --state-file, re-runs the checks of a
state file) against the base and current artifacts and the warehouse, shows
the result of each, and writes the state file: checks, runs, both
environments' artifacts and the merge request, all that recce summary and a
review need. Without recce.yml it runs the row counts of the modified table
models and the schema diff of the modified nodes.

Checks that only read the artifacts (lineage_diff, schema_diff) need no
warehouse; the others use the profile's target in profiles.yml. A check that
cannot run is reported as incomplete, and the others still run.

--junit and --codequality write GitLab's test report and Code Quality report
(declare them as artifacts:reports:junit and artifacts:reports:codequality):
reviewers see every check in the merge request, without any token.

--fail-on chooses the exit status, the merge gate: never (the default, as
the reference system), error (a check could not run) or mismatch (a check
found a difference, or could not run).

In a GitLab merge request pipeline the merge request (CI_MERGE_REQUEST_IID,
its title and branches, CI_PROJECT_PATH, CI_PROJECT_URL) is recorded in the
state file.`,
		Example: `  recce run
  recce run --summary summary.md --fail-on mismatch
  recce run --state-file recce_state.json -o recce_state.json
  recce run --summary summary.md --junit recce-junit.xml --codequality recce-codequality.json`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if _, err := check.ParseFailOn(o.failOn); err != nil {
				return fmt.Errorf("--fail-on %w", err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.runChecks(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "recce_state.json", "state file to write")
	f.StringVar(&o.stateFile, "state-file", "", "re-run the checks of this state file instead of recce.yml's")
	f.StringVar(&o.summaryFile, "summary", "", "also write the merge request summary (markdown) to this file")
	f.StringVar(&o.failOn, "fail-on", "never", "what makes the exit status 1: never|error|mismatch")
	f.StringVar(&o.junit, "junit", "", "also write GitLab's JUnit test report (one test case per check) to this file")
	f.StringVar(&o.codeQuality, "codequality", "", "also write GitLab's Code Quality report (one finding per mismatch or incomplete check and model) to this file")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"never", "error", "mismatch"}, cobra.ShellCompDirectiveNoFileComp))
	a.addWarehouseFlags(f)
	addFormatFlag(cmd, &o.format, "text", "json")
	return cmd
}

// runReport is the JSON output of recce run.
type runReport struct {
	Status      string        `json:"status"` // success | failed, as the summary's marker
	StateFile   string        `json:"state_file"`
	SummaryFile string        `json:"summary_file,omitempty"`
	Checks      []checkReport `json:"checks"`
}

type checkReport struct {
	CheckID    string        `json:"check_id"`
	Name       string        `json:"name"`
	Type       check.Type    `json:"type"`
	Status     check.Status  `json:"status,omitempty"` // the run's; empty for notes
	Verdict    check.Verdict `json:"verdict"`
	Approved   bool          `json:"approved"`
	DurationMS int64         `json:"duration_ms"`
	Reason     string        `json:"reason"`
	Nodes      []string      `json:"nodes,omitempty"`
}

func (a *app) runChecks(ctx context.Context, o runOptions) error {
	failOn, err := check.ParseFailOn(o.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on %w", err)
	}
	var prev *check.State
	var checks []*check.Check
	if o.stateFile != "" {
		if prev, err = check.Load(o.stateFile); err != nil {
			return err
		}
	} else {
		cfg, err := check.LoadConfig(a.projectPath(a.flags.config))
		if err != nil {
			return err
		}
		for _, w := range cfg.Warnings {
			fmt.Fprintf(a.stderr, "%s %s: %s\n", term.Yellow(a.stderr, "warning:"), cfg.Path, w)
		}
		if cfg.Path == "" {
			fmt.Fprintf(a.stderr, "%s not found: running the default checks (row counts of modified table models, schema diff of modified nodes)\n", a.projectPath(a.flags.config))
		}
		checks = cfg.Checks
	}
	if checks == nil {
		checks = prev.Checks
	}

	env, files, err := a.runEnv(ctx, prev)
	if err != nil {
		return err
	}
	runnable := 0
	for _, c := range checks {
		k, ok := check.Lookup(c.Type)
		if ok && !k.Runs() {
			continue
		}
		runnable++
		if ok && k.NeedsWarehouse() && env.Warehouse == nil && env.NoWarehouse == nil {
			w, _, err := a.openWarehouse(ctx)
			if err != nil {
				env.NoWarehouse = err
				fmt.Fprintf(a.stderr, "%s %v: the checks that query data will be incomplete\n", term.Yellow(a.stderr, "warning:"), err)
			} else {
				env.Warehouse = w
				defer w.Close()
			}
		}
	}

	p := term.NewProgress(a.stderr, "Running checks", runnable)
	st, tally, interrupted := check.Review(ctx, check.ReviewInput{
		Env: env, Files: files, Checks: checks, Previous: prev, Policy: check.RunAll,
		Origin: check.OriginFromEnv(version, a.getenv),
		OnUpdate: func(c *check.Check, r *check.Run) {
			if r.Status == check.Running {
				p.Describe(c.Name)
			} else {
				p.Add(1)
			}
		},
	})
	p.Done()
	// The state is written even when interrupted: the runs that finished
	// are worth keeping, and the others say Cancelled.
	if err := check.Save(context.WithoutCancel(ctx), o.output, st); err != nil {
		return fmt.Errorf("%w (is the folder writable? choose another file with -o)", err)
	}
	if o.summaryFile != "" {
		// The file is for recce gitlab post-summary, which adds what changed
		// since the previous summary: room is left for it.
		res, err := summary.Render(st, summary.Options{Base: env.Base, Current: env.Current, Lineage: env.Lineage(), MaxChars: summary.DefaultMaxChars - summary.HistoryReserve})
		if err != nil {
			return err
		}
		if err := check.WriteFileAtomic(o.summaryFile, func(w io.Writer) error {
			_, err := io.WriteString(w, res.Markdown)
			return err
		}); err != nil {
			return err
		}
	}

	if err := a.writeReports(o, st, env); err != nil {
		return err
	}

	report := runReport{Status: summary.StatusOf(tally), StateFile: o.output, SummaryFile: o.summaryFile, Checks: []checkReport{}}
	for _, x := range st.Assessments() {
		c := x.Check
		cr := checkReport{CheckID: c.CheckID, Name: c.Name, Type: c.Type, Verdict: x.Verdict, Approved: c.IsChecked, Reason: x.Reason, Nodes: x.Nodes}
		if r := x.Run; r != nil {
			cr.Status, cr.DurationMS = r.Status, r.DurationMS
		}
		report.Checks = append(report.Checks, cr)
	}
	if o.format == "json" {
		if err := writeJSON(a.stdout, report); err != nil {
			return err
		}
	} else if err := a.printRun(report, tally); err != nil {
		return err
	}
	if interrupted != nil {
		return fmt.Errorf("interrupted: %d checks cancelled; the state file has the runs that finished", tally.Incomplete)
	}
	if err := tally.Gate(failOn); err != nil {
		return &exitError{code: 1, err: err}
	}
	return nil
}

// writeReports writes --junit and --codequality (internal/report), each
// whole or not at all.
func (a *app) writeReports(o runOptions, st *check.State, env *check.Env) error {
	in := report.Input{State: st, Base: env.Base, Current: env.Current, Root: a.flags.projectDir, Config: a.flags.config}
	for _, r := range []struct {
		file  string
		write func(io.Writer, report.Input) error
	}{{o.junit, report.WriteJUnit}, {o.codeQuality, report.WriteCodeQuality}} {
		if r.file == "" {
			continue
		}
		if err := check.WriteFileAtomic(r.file, func(w io.Writer) error { return r.write(w, in) }); err != nil {
			return err
		}
	}
	return nil
}

// runEnv loads the artifacts to run against, each file read once: the
// artifact folders, or, when re-running a state file and the folders are
// absent, the artifacts embedded in it.
func (a *app) runEnv(ctx context.Context, prev *check.State) (*check.Env, check.Artifacts, error) {
	baseDir, curDir := a.projectPath(a.flags.targetBasePath), a.projectPath(a.flags.targetPath)
	_, errB := os.Stat(filepath.Join(baseDir, "manifest.json"))
	_, errC := os.Stat(filepath.Join(curDir, "manifest.json"))
	if prev != nil && (errors.Is(errB, fs.ErrNotExist) || errors.Is(errC, fs.ErrNotExist)) {
		base, cur, err := prev.LoadArtifacts()
		if err != nil {
			return nil, check.Artifacts{}, err
		}
		fmt.Fprintf(a.stderr, "artifact folders %s and %s not both found: using the artifacts of the state file\n", baseDir, curDir)
		return &check.Env{Base: base, Current: cur}, prev.Artifacts, nil
	}
	p := term.NewProgress(a.stderr, "Loading artifacts", -1)
	defer p.Done()
	return check.LoadArtifactDirs(ctx, baseDir, curDir)
}

var verdictMarks = map[check.Verdict]struct {
	mark  string
	paint func(io.Writer, string) string
}{
	check.Clean:      {"✓ clean", term.Green},
	check.Mismatch:   {"✗ mismatch", term.Red},
	check.Incomplete: {"! incomplete", term.Yellow},
	check.Info:       {"· info", term.Gray},
}

func (a *app) printRun(r runReport, tally check.Tally) error {
	mismatches, incomplete := tally.Mismatch, tally.Incomplete
	w := a.stdout
	t := term.NewTable(w, "STATUS", "NAME", "TYPE", "TIME", "REASON")
	t.AlignRight(3)
	for _, c := range r.Checks {
		m := verdictMarks[c.Verdict]
		status := m.paint(w, m.mark)
		if c.Approved {
			status += " (approved)"
		}
		elapsed := ""
		if c.Status != "" {
			elapsed = (time.Duration(c.DurationMS) * time.Millisecond).Round(10 * time.Millisecond).String()
		}
		t.Row(status, c.Name, string(c.Type), elapsed, c.Reason)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	checks := check.Plural(len(r.Checks), "check", "checks")
	switch {
	case len(r.Checks) == 0:
		fmt.Fprintln(w, "No checks to run.")
	case mismatches > 0 && incomplete > 0:
		fmt.Fprintf(w, "%s Data mismatch detected in %d of %s; %d did not complete.\n", term.Red(w, "✗"), mismatches, checks, incomplete)
	case mismatches > 0:
		fmt.Fprintf(w, "%s Data mismatch detected in %d of %s.\n", term.Red(w, "✗"), mismatches, checks)
	case incomplete > 0:
		// Never "no mismatch": what an incomplete check compares is unknown.
		fmt.Fprintf(w, "%s %d of %s did not complete: the change is not fully validated.\n", term.Yellow(w, "!"), incomplete, checks)
	default:
		fmt.Fprintf(w, "%s No data mismatch detected: %s ran clean.\n", term.Green(w, "✓"), checks)
	}
	fmt.Fprintf(w, "State written to %s", r.StateFile)
	if r.SummaryFile != "" {
		fmt.Fprintf(w, ", summary to %s", r.SummaryFile)
	}
	fmt.Fprintln(w, ".")
	return nil
}

func (a *app) summaryCmd() *cobra.Command {
	var format string
	var maxChars int
	cmd := &cobra.Command{
		Use:   "summary STATE_FILE",
		Short: "Print the merge request summary of a state file",
		Long: `Renders the validation summary of a state file written by recce run (or by
the reference system): the lineage graph of the change, the checks, and the
figures of each check that found a mismatch. It needs nothing but the state
file. The same state always gives the same bytes.

The markdown starts with a status line, <!-- recce:status=success --> or
<!-- recce:status=failed --> (a mismatch was found or a check did not
complete), and stays within --max-chars characters (GitLab's note limit by
default) by leaving out detail. --format json gives the same content as data.`,
		Example: `  recce summary recce_state.json > summary.md
  recce summary recce_state.json --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := check.Load(args[0])
			if err != nil {
				return err
			}
			res, err := summary.Render(st, summary.Options{MaxChars: maxChars})
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.stdout, res.Data)
			}
			_, err = io.WriteString(a.stdout, res.Markdown)
			return err
		},
	}
	addFormatFlag(cmd, &format, "markdown", "json")
	cmd.Flags().IntVar(&maxChars, "max-chars", summary.DefaultMaxChars, "longest summary, in characters")
	return cmd
}
