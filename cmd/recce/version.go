package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/term"
)

// Set at build time by scripts/release:
//
//	-ldflags "-X main.buildVersion=v1.2.3 -X main.buildCommit=<sha> -X main.buildDate=<RFC 3339>"
//
// Left empty by `go install`, `go build` and `go run`, where the Go build
// information stands in (see readVersion).
var buildVersion, buildCommit, buildDate string

// version is what recce reports itself as (state files, the server's health
// answer, the upload client's User-Agent).
var version = readVersion(buildVersion, buildCommit, buildDate, debug.ReadBuildInfo).Version

// versionInfo is what `recce version` prints. Unknown fields are empty.
type versionInfo struct {
	Version    string `json:"version"`
	Commit     string `json:"commit"`
	Modified   bool   `json:"modified"`    // built from a work tree with uncommitted changes
	BuildDate  string `json:"build_date"`  // set by the release build only
	CommitDate string `json:"commit_date"` // from the Go build information, when the build had VCS data
	Go         string `json:"go"`
	Platform   string `json:"platform"`
}

// readVersion prefers the values set with -ldflags -X and falls back to the
// Go build information: the module version under `go install module@version`,
// the VCS revision and commit time under `go build` in a git work tree.
func readVersion(ldVersion, ldCommit, ldDate string, buildInfo func() (*debug.BuildInfo, bool)) versionInfo {
	v := versionInfo{
		Version:   ldVersion,
		Commit:    ldCommit,
		BuildDate: ldDate,
		Go:        runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := buildInfo(); ok && bi != nil {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		// The VCS data describe this build only when -ldflags did not name
		// another commit (they always agree in a release build).
		if v.Commit == "" || v.Commit == settings["vcs.revision"] {
			v.Commit = settings["vcs.revision"]
			v.CommitDate = settings["vcs.time"]
			v.Modified = settings["vcs.modified"] == "true"
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

type versionOptions struct {
	format string
	info   versionInfo
}

func (a *app) versionCmd() *cobra.Command {
	o := &versionOptions{info: readVersion(buildVersion, buildCommit, buildDate, debug.ReadBuildInfo)}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and the build date",
		Long: `Print the version of recce, the commit it was built from and when.

Release builds (scripts/release build) carry all three. A binary from
"go install gitlab.com/recce-go/recce/cmd/recce@VERSION" knows its version;
one built with "go build" in a git clone knows its commit and the commit's date.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.runVersion(o) },
	}
	addFormatFlag(cmd, &o.format, "text", "json")
	return cmd
}

func (a *app) runVersion(o *versionOptions) error {
	v := o.info
	if o.format == "json" {
		return writeJSON(a.stdout, v)
	}
	w := a.stdout
	fmt.Fprintf(w, "recce %s\n", term.Bold(w, v.Version))
	t := term.NewTable(w)
	commit := v.Commit
	switch {
	case commit == "":
		commit = term.Gray(w, "unknown (not a release build, and built without git information)")
	case v.Modified:
		commit += " " + term.Yellow(w, "with uncommitted changes")
	}
	t.Row("  commit", commit)
	if v.BuildDate != "" {
		t.Row("  built", v.BuildDate)
	}
	if v.CommitDate != "" {
		t.Row("  committed", v.CommitDate)
	}
	t.Row("  go", strings.TrimSpace(v.Go+" "+v.Platform))
	return t.Flush()
}
