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
			switch o.failOn {
			case "never", "error", "mismatch":
				return nil
			}
			return fmt.Errorf("--fail-on %q is not one of never|error|mismatch", o.failOn)
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
	var prev *check.State
	var checks []*check.Check
	if o.stateFile != "" {
		var err error
		if prev, err = check.Load(o.stateFile); err != nil {
			return err
		}
		checks = prev.Checks
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
	now := check.Now()
	for _, c := range checks {
		if c.CreatedAt.IsZero() {
			c.CreatedAt = now
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = now
		}
	}

	env, files, err := a.runEnv(ctx, prev)
	if err != nil {
		return err
	}
	for _, c := range checks {
		if c.Type.NeedsWarehouse() {
			w, _, err := a.openWarehouse(ctx)
			if err != nil {
				env.NoWarehouse = err
				fmt.Fprintf(a.stderr, "%s %v: the checks that query data will be incomplete\n", term.Yellow(a.stderr, "warning:"), err)
			} else {
				env.Warehouse = w
				defer w.Close()
			}
			break
		}
	}

	runnable := 0
	for _, c := range checks {
		if c.Type != check.Simple {
			runnable++
		}
	}
	p := term.NewProgress(a.stderr, "Running checks", runnable)
	runner := &check.Runner{Env: env, OnUpdate: func(c *check.Check, r *check.Run) {
		if r.Status == check.Running {
			p.Describe(c.Name)
		} else {
			p.Add(1)
		}
	}}
	runs := runner.RunAll(ctx, checks)
	p.Done()

	st := &check.State{
		Metadata:    check.Metadata{SchemaVersion: check.SchemaVersion, RecceVersion: version, GeneratedAt: check.Now()},
		Checks:      checks,
		Runs:        []*check.Run{},
		Artifacts:   files,
		Git:         check.GitFromEnv(a.getenv),
		PullRequest: check.PullRequestFromEnv(a.getenv),
	}
	for _, r := range runs {
		if r != nil {
			st.Runs = append(st.Runs, r)
		}
	}
	if prev != nil {
		if st.PullRequest == nil {
			st.PullRequest = prev.PullRequest
		}
		if st.Git == nil {
			st.Git = prev.Git
		}
	}
	// The state is written even when interrupted: the runs that finished
	// are worth keeping, and the others say Cancelled.
	if err := check.Save(context.WithoutCancel(ctx), o.output, st); err != nil {
		return fmt.Errorf("%w (is the folder writable? choose another file with -o)", err)
	}
	if o.summaryFile != "" {
		// The file is for recce gitlab post-summary, which adds what changed
		// since the previous summary: room is left for it.
		res, err := summary.Render(st, summary.Options{Base: env.Base, Current: env.Current, MaxChars: summary.DefaultMaxChars - summary.HistoryReserve})
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

	report := runReport{Status: summary.Status(st), StateFile: o.output, SummaryFile: o.summaryFile, Checks: []checkReport{}}
	var mismatches, incomplete int
	for i, c := range checks {
		out := check.Assess(c, runs[i])
		cr := checkReport{CheckID: c.CheckID, Name: c.Name, Type: c.Type, Verdict: out.Verdict, Approved: c.IsChecked, Reason: out.Reason, Nodes: out.Nodes}
		if r := runs[i]; r != nil {
			cr.Status, cr.DurationMS = r.Status, r.DurationMS
		}
		switch out.Verdict {
		case check.Mismatch:
			mismatches++
		case check.Incomplete:
			incomplete++
		}
		report.Checks = append(report.Checks, cr)
	}
	if o.format == "json" {
		if err := writeJSON(a.stdout, report); err != nil {
			return err
		}
	} else if err := a.printRun(report, mismatches, incomplete); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %d checks cancelled; the state file has the runs that finished", incomplete)
	}
	switch {
	case o.failOn == "mismatch" && mismatches+incomplete > 0:
		return &exitError{code: 1, err: fmt.Errorf("%s found a data mismatch and %d did not complete (--fail-on mismatch)", plural(mismatches, "check", "checks"), incomplete)}
	case o.failOn == "error" && incomplete > 0:
		return &exitError{code: 1, err: fmt.Errorf("%s did not complete (--fail-on error)", plural(incomplete, "check", "checks"))}
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

// runEnv loads the artifacts to run against: the artifact folders, or,
// when re-running a state file and the folders are absent, the artifacts
// embedded in it.
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
	base, cur, err := a.loadArtifacts(ctx)
	if err != nil {
		return nil, check.Artifacts{}, err
	}
	var files check.Artifacts
	if files.Base, err = check.ReadArtifactFiles(baseDir); err != nil {
		return nil, files, err
	}
	if files.Current, err = check.ReadArtifactFiles(curDir); err != nil {
		return nil, files, err
	}
	return &check.Env{Base: base, Current: cur}, files, nil
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

func (a *app) printRun(r runReport, mismatches, incomplete int) error {
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
	checks := plural(len(r.Checks), "check", "checks")
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

// plural says "1 check", "2 checks".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
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
