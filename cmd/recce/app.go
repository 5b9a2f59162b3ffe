package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/term"
)

// globalFlags are the flags users of the reference know, shared by every command.
type globalFlags struct {
	targetPath     string // current artifacts
	targetBasePath string // base artifacts
	projectDir     string
	profilesDir    string
	profile        string
	target         string
	config         string
}

// app holds what every command needs: flags and where to write.
type app struct {
	flags  globalFlags
	wh     warehouseFlags
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func newApp() *app {
	return &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "recce",
		Short: "Review the data changes of a dbt project in a merge request",
		Long: `recce compares two builds of a dbt project, base (the target branch) and
current (the merge request), and tells what the change does to the models and
to the data: lineage, schemas, row counts, values and profiles. It runs checks,
writes a validation summary and posts it on the GitLab merge request.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	f := root.PersistentFlags()
	f.StringVar(&a.flags.targetPath, "target-path", "target", "folder of the current environment's artifacts (manifest.json, catalog.json)")
	f.StringVar(&a.flags.targetBasePath, "target-base-path", "target-base", "folder of the base environment's artifacts")
	f.StringVar(&a.flags.projectDir, "project-dir", "", "dbt project folder (default: the working directory)")
	f.StringVar(&a.flags.profilesDir, "profiles-dir", "", "folder of profiles.yml (default: $DBT_PROFILES_DIR, the project folder, then ~/.dbt)")
	f.StringVar(&a.flags.profile, "profile", "", "profile in profiles.yml (default: the profile of dbt_project.yml)")
	f.StringVar(&a.flags.target, "target", "", "output of the profile (default: the profile's target)")
	f.StringVar(&a.flags.config, "config", "recce.yml", "checks configuration file")

	root.AddCommand(
		a.versionCmd(),
		a.debugCmd(),
		a.lineageDiffCmd(),
		a.schemaDiffCmd(),
		a.demoCmd(),
		a.diffCmd(),
		a.queryCmd(),
		a.runCmd(),
		a.summaryCmd(),
		a.gitlabCmd(),
		a.serverCmd(),
		a.uploadCmd(),
	)
	return root
}

// addFormatFlag adds --format to a command, validated against the given choices.
func addFormatFlag(cmd *cobra.Command, dst *string, choices ...string) {
	*dst = choices[0]
	cmd.Flags().StringVar(dst, "format", choices[0], "output format: "+joinChoices(choices))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp))
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		ok := false
		for _, ch := range choices {
			ok = ok || *dst == ch
		}
		if !ok {
			return fmt.Errorf("--format %q is not one of %s", *dst, joinChoices(choices))
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

func joinChoices(c []string) string {
	s := ""
	for i, x := range c {
		if i > 0 {
			s += "|"
		}
		s += x
	}
	return s
}

var _ = term.IsTerminal
