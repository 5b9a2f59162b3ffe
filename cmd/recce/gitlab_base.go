package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/term"
)

// fetchBaseOptions are the flags of recce gitlab fetch-base.
type fetchBaseOptions struct {
	format, job, artifactPath string
	mr                        int64
}

func (g *gitlabCLI) fetchBaseCmd() *cobra.Command {
	var o fetchBaseOptions
	cmd := &cobra.Command{
		Use:   "fetch-base",
		Short: "Download the target branch's manifest.json and catalog.json from its latest successful pipeline",
		Long: `Download the base artifacts of the merge request, manifest.json and
catalog.json, into --target-base-path (default target-base/), from the job
--job (default ` + gitlab.DefaultBaseJob + `) of the target branch's latest successful
pipeline that has it, instead of building the target branch again in every
merge request pipeline. The files are written whole or not at all, with
` + gitlab.BaseFile + ` telling which pipeline, job and commit they come from.

It says which pipeline and commit it used, and warns when that commit is not
the merge request's merge base: the comparison would then show changes of the
target branch as the merge request's. recce debug shows the same.

In a merge request pipeline no flag is needed. With an access token
(RECCE_GITLAB_TOKEN; read_api is enough) recce reads the merge request and
walks back the target branch's successful pipelines; without one it uses the
job's own CI_JOB_TOKEN, which GitLab lets read job artifacts of the target
branch's latest successful pipeline only.`,
		Example: `  recce gitlab fetch-base
  recce gitlab fetch-base --job dbt-build-main --target-base-path target-base
  RECCE_GITLAB_TOKEN=... recce gitlab fetch-base --project data/analytics --mr 12`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return g.runFetchBase(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.job, "job", gitlab.DefaultBaseJob, "the target branch's job whose artifacts hold the base manifest.json and catalog.json")
	f.StringVar(&o.artifactPath, "artifact-path", "target", "folder of manifest.json and catalog.json in the job's artifacts")
	f.Int64Var(&o.mr, "mr", 0, "merge request IID (default: CI_MERGE_REQUEST_IID)")
	addFormatFlag(cmd, &o.format, "text", "json")
	return cmd
}

func (g *gitlabCLI) runFetchBase(ctx context.Context, o fetchBaseOptions) error {
	opts := gitlab.FetchBaseOptions{
		TargetBranch: g.env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"), MergeBase: g.env("CI_MERGE_REQUEST_DIFF_BASE_SHA"),
		Job: o.job, ArtifactPath: o.artifactPath, Dir: g.a.projectPath(g.a.flags.targetBasePath),
	}
	bar := term.NewProgress(g.a.stderr, "base artifacts", -1)
	opts.OnFile = func(name string) { bar.Describe("downloading " + name) }
	var prov *gitlab.BaseProvenance
	var err error
	if jobToken := g.env("CI_JOB_TOKEN"); g.tokenFile == "" && g.env("RECCE_GITLAB_TOKEN") == "" && jobToken != "" {
		opts.Project = g.project
		if opts.Project == "" {
			opts.Project = g.env("CI_PROJECT_ID")
		}
		if opts.Project == "" {
			return errors.New("no project: pass --project, or run in GitLab CI (CI_PROJECT_ID)")
		}
		url := g.url
		if url == "" {
			url = g.ciURL()
		}
		prov, err = gitlab.FetchBaseWithJobToken(ctx, gitlab.Options{URL: url, CAFile: g.caFile, Retry: g.retry, Logger: g.logger(), AllowLinkLocal: g.allowLinkLocal}, jobToken, opts)
	} else {
		if opts.MR, err = g.mrIID(o.mr); err != nil && opts.TargetBranch == "" {
			return err
		}
		s, oerr := g.open(ctx, true)
		if oerr != nil {
			return oerr
		}
		defer s.Close()
		opts.Project = s.project
		prov, err = s.client.FetchBase(ctx, opts)
	}
	bar.Done()
	if err != nil {
		return err
	}
	stale := prov.Staleness("")
	if o.format == "json" {
		return writeJSON(g.a.stdout, struct {
			*gitlab.BaseProvenance
			Warning string `json:"warning,omitempty"`
		}{prov, stale})
	}
	w := g.a.stdout
	fmt.Fprintf(w, "%s the base artifacts of %s into %s: %s.\n", term.Green(w, "Fetched"), prov.Ref, opts.Dir, describeBase(prov))
	for _, f := range prov.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	if prov.Skipped > 0 {
		fmt.Fprintf(w, "%d newer successful pipelines of %s had no job %s with artifacts.\n", prov.Skipped, prov.Ref, prov.Job)
	}
	if prov.NoCatalog {
		fmt.Fprintf(g.a.stderr, "%s the job's artifacts have no catalog.json: schema diffs of the base will be unavailable (add dbt docs generate to the %s job)\n", term.Yellow(g.a.stderr, "warning:"), prov.Job)
	}
	if stale != "" {
		fmt.Fprintf(g.a.stderr, "%s %s\n", term.Yellow(g.a.stderr, "warning:"), stale)
	}
	return nil
}

// describeBase names the job, pipeline and commit of base artifacts.
func describeBase(p *gitlab.BaseProvenance) string {
	s := "job " + p.Job
	if p.JobID != 0 {
		s += fmt.Sprintf(" (#%d)", p.JobID)
	}
	if p.PipelineID != 0 {
		s += fmt.Sprintf(" of pipeline #%d", p.PipelineID)
	}
	if p.Commit != "" {
		s += ", commit " + shortSHA(p.Commit)
	} else {
		s += ", commit unknown"
	}
	return s
}

func shortSHA(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}

// debugBase is recce debug's line about base artifacts fetched from
// GitLab: where they come from, and whether they match the merge request's
// merge base (CI_MERGE_REQUEST_DIFF_BASE_SHA, else the one recorded).
func (a *app) debugBase() []debugCheck {
	dir := a.projectPath(a.flags.targetBasePath)
	prov, err := gitlab.ReadBaseProvenance(dir)
	switch {
	case err != nil:
		return []debugCheck{{Name: "base origin", Message: err.Error(), Hint: "run recce gitlab fetch-base again"}}
	case prov == nil:
		return nil
	}
	c := debugCheck{Name: "base origin", OK: true, Message: fmt.Sprintf("%s of %s, fetched %s", describeBase(prov), prov.Ref, prov.FetchedAt.Format("2006-01-02 15:04 UTC"))}
	mergeBase := ""
	if a.getenv != nil {
		mergeBase = a.getenv("CI_MERGE_REQUEST_DIFF_BASE_SHA")
	}
	if stale := prov.Staleness(mergeBase); stale != "" {
		c.Warning, c.Hint = true, stale
	}
	return []debugCheck{c}
}
