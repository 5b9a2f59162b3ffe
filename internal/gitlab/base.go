package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gl "gitlab.com/gitlab-org/api/client-go/v2"

	statefile "gitlab.com/recce-go/recce/internal/check"
)

// Base artifacts from GitLab: the merge request pipeline downloads the
// target branch's manifest.json and catalog.json from a job of that
// branch's latest successful pipeline, instead of building the target
// branch again.

// DefaultBaseJob is the job of the documented .gitlab-ci.yml that builds
// the default branch and keeps its artifacts.
const DefaultBaseJob = "recce-base"

// BaseFile is the provenance file FetchBase writes beside the artifacts:
// which pipeline, job and commit they come from, and how they stood
// against the merge request's merge base. `recce debug` reads it.
const BaseFile = "recce-base.json"

// MaxArtifactSize bounds one downloaded artifact file (GitLab's answers
// are not trusted to be sane).
const MaxArtifactSize = 2 << 30

// maxBasePipelines bounds how far back FetchBase looks for a pipeline
// with the job.
const maxBasePipelines = 50

// FetchBaseOptions say what to fetch and where.
type FetchBaseOptions struct {
	Project string
	// MR is the merge request; with an access token its target branch and
	// merge base are read from GitLab. 0 with a job token.
	MR int64
	// TargetBranch and MergeBase come from CI_MERGE_REQUEST_TARGET_BRANCH_NAME
	// and CI_MERGE_REQUEST_DIFF_BASE_SHA; GitLab's answer wins when MR is
	// read.
	TargetBranch, MergeBase string
	// Job is the job of the target branch's pipeline that keeps the
	// artifacts ("" for DefaultBaseJob).
	Job string
	// ArtifactPath is the folder of manifest.json in the job's artifacts
	// ("" for "target", dbt's default target path).
	ArtifactPath string
	// Dir receives manifest.json, catalog.json and BaseFile.
	Dir string
	// OnFile is told of each file as it is downloaded (progress).
	OnFile func(name string)
}

// BaseProvenance is where base artifacts come from (BaseFile).
type BaseProvenance struct {
	Project    string `json:"project"`
	Ref        string `json:"ref"`
	Job        string `json:"job"`
	JobID      int64  `json:"job_id,omitempty"`
	PipelineID int64  `json:"pipeline_id,omitempty"`
	// Commit is the commit the artifacts were built from ("" when GitLab
	// could not say: a job token reads no pipeline, and the manifest did
	// not carry CI_COMMIT_SHA).
	Commit      string    `json:"commit,omitempty"`
	PipelineURL string    `json:"pipeline_url,omitempty"`
	Skipped     int       `json:"skipped_pipelines,omitempty"` // newer successful pipelines without the job's artifacts
	Files       []string  `json:"files"`
	NoCatalog   bool      `json:"no_catalog,omitempty"`
	FetchedAt   time.Time `json:"fetched_at"`
	// MergeBase is the merge request's merge base when fetched. Behind is
	// how many commits of the target branch the merge base has that
	// Commit lacks, Ahead the converse; -1 when unknown.
	MergeBase string `json:"merge_base,omitempty"`
	Behind    int    `json:"behind"`
	Ahead     int    `json:"ahead"`
}

// Staleness says how the artifacts stand against mergeBase (the merge
// request's merge base now, "" for the one recorded): "" when they were
// built from it, else a warning. Comparing base artifacts of another
// commit shows the target branch's own changes as the merge request's.
func (p *BaseProvenance) Staleness(mergeBase string) string {
	if mergeBase == "" {
		mergeBase = p.MergeBase
	}
	switch {
	case mergeBase == "":
		return ""
	case p.Commit == "":
		return fmt.Sprintf("the commit of the base artifacts is unknown, so whether they match the merge base %s cannot be told: set DBT_ENV_CUSTOM_ENV_CI_COMMIT_SHA: $CI_COMMIT_SHA in the %s job (docs/examples/gitlab-ci.yml), or fetch with an access token", short(mergeBase), p.Job)
	case p.Commit == mergeBase:
		return ""
	case mergeBase != p.MergeBase || (p.Behind < 0 && p.Ahead < 0):
		return fmt.Sprintf("the base artifacts are of commit %s, not of the merge request's merge base %s: the comparison may show changes of %s as the merge request's", short(p.Commit), short(mergeBase), p.Ref)
	case p.Behind > 0:
		return fmt.Sprintf("the base artifacts' commit %s is %s behind the merge request's merge base %s: changes merged into %s since then show as the merge request's; run %s's pipeline (job %s) again, then fetch", short(p.Commit), plural(p.Behind, "commit"), short(mergeBase), p.Ref, p.Ref, p.Job)
	default:
		return fmt.Sprintf("the base artifacts' commit %s is %s ahead of the merge request's merge base %s: %s moved on since the merge request branched, and its new changes show as reverted by the merge request; rebase the merge request", short(p.Commit), plural(max(p.Ahead, 0), "commit"), short(mergeBase), p.Ref)
	}
}

// ReadBaseProvenance reads dir's BaseFile; a missing file is (nil, nil).
func ReadBaseProvenance(dir string) (*BaseProvenance, error) {
	b, err := os.ReadFile(filepath.Join(dir, BaseFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p BaseProvenance
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, BaseFile), err)
	}
	return &p, nil
}

// FetchBase downloads the base artifacts of a merge request: manifest.json
// and catalog.json from the named job of the target branch's latest
// successful pipeline that has them (the pipelines and jobs APIs, read_api
// is enough), into opts.Dir, with BaseFile. Each file is downloaded whole
// and checked (a dbt manifest, a dbt catalog) before it replaces the old
// one: a failure leaves the folder as it was.
func (c *Client) FetchBase(ctx context.Context, opts FetchBaseOptions) (*BaseProvenance, error) {
	opts = opts.withDefaults()
	if opts.MR > 0 {
		mr, err := c.GetMergeRequest(ctx, opts.Project, opts.MR)
		if err != nil {
			return nil, err
		}
		opts.TargetBranch = mr.TargetBranch
		if mr.BaseSHA != "" {
			opts.MergeBase = mr.BaseSHA
		}
	}
	if opts.TargetBranch == "" {
		return nil, errors.New("no target branch: pass --mr, or run in a merge request pipeline (CI_MERGE_REQUEST_TARGET_BRANCH_NAME)")
	}
	prov := &BaseProvenance{Project: opts.Project, Ref: opts.TargetBranch, Job: opts.Job, MergeBase: opts.MergeBase, Behind: -1, Ahead: -1}
	job, pipelineURL, err := c.findBaseJob(ctx, opts, prov)
	if err != nil {
		return nil, err
	}
	prov.JobID, prov.PipelineID, prov.Commit, prov.PipelineURL = job.ID, job.Pipeline.ID, job.Pipeline.Sha, pipelineURL
	if prov.Commit == "" && job.Commit != nil {
		prov.Commit = job.Commit.ID
	}
	artifactURL := func(name string) string {
		return fmt.Sprintf("projects/%s/jobs/%d/artifacts/%s", gl.PathEscape(opts.Project), job.ID, path.Join(opts.ArtifactPath, name))
	}
	if err := c.downloadBase(ctx, opts, prov, artifactURL, nil); err != nil {
		return nil, err
	}
	c.compareBase(ctx, opts.Project, prov)
	return prov, writeProvenance(opts.Dir, prov)
}

// FetchBaseWithJobToken is FetchBase inside a CI job, with its
// CI_JOB_TOKEN: GitLab lets a job token read job artifacts by branch
// (GET /projects/:id/jobs/artifacts/:ref/raw/*path?job=NAME, which takes
// the branch's latest successful pipeline only) but not list pipelines or
// read the merge request, so the target branch and merge base come from
// the CI variables, and the commit from the manifest's metadata when the
// base job recorded it (DBT_ENV_CUSTOM_ENV_CI_COMMIT_SHA).
func FetchBaseWithJobToken(ctx context.Context, copts Options, jobToken string, opts FetchBaseOptions) (*BaseProvenance, error) {
	c, err := newJobClient(copts, strings.TrimSpace(jobToken))
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if opts.TargetBranch == "" {
		return nil, errors.New("no target branch: CI_MERGE_REQUEST_TARGET_BRANCH_NAME is set only in merge request pipelines (rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\")")
	}
	prov := &BaseProvenance{Project: opts.Project, Ref: opts.TargetBranch, Job: opts.Job, MergeBase: opts.MergeBase, Behind: -1, Ahead: -1}
	artifactURL := func(name string) string {
		return fmt.Sprintf("projects/%s/jobs/artifacts/%s/raw/%s", gl.PathEscape(opts.Project), gl.PathEscape(opts.TargetBranch), path.Join(opts.ArtifactPath, name))
	}
	query := &struct {
		Job string `url:"job"`
	}{opts.Job}
	if err := c.downloadBase(ctx, opts, prov, artifactURL, query); err != nil {
		return nil, err
	}
	return prov, writeProvenance(opts.Dir, prov)
}

func (o FetchBaseOptions) withDefaults() FetchBaseOptions {
	if o.Job == "" {
		o.Job = DefaultBaseJob
	}
	if o.ArtifactPath == "" {
		o.ArtifactPath = "target"
	}
	o.ArtifactPath = strings.Trim(o.ArtifactPath, "/")
	return o
}

// findBaseJob walks the target branch's successful pipelines, newest
// first, to the first with a successful job of the name that kept its
// artifacts. (GitLab's by-branch artifact endpoint looks at the newest
// successful pipeline only, and fails when that one skipped the job.)
func (c *Client) findBaseJob(ctx context.Context, opts FetchBaseOptions, prov *BaseProvenance) (*gl.Job, string, error) {
	po := &gl.ListProjectPipelinesOptions{ListOptions: gl.ListOptions{PerPage: 20, Page: 1}, Ref: gl.Ptr(opts.TargetBranch),
		Status: gl.Ptr(gl.Success), OrderBy: gl.Ptr("id"), Sort: gl.Ptr("desc")}
	seen := 0
	for seen < maxBasePipelines {
		pls, resp, err := c.api.Pipelines.ListProjectPipelines(opts.Project, po, ctxOpt(ctx, read))
		if err != nil {
			return nil, "", c.projectErr(fmt.Sprintf("list the successful pipelines of %s", opts.TargetBranch), opts.Project, err)
		}
		for _, pl := range pls {
			seen++
			jobs, _, err := c.api.Jobs.ListPipelineJobs(opts.Project, pl.ID, &gl.ListJobsOptions{ListOptions: gl.ListOptions{PerPage: 100},
				Scope: &[]gl.BuildStateValue{gl.Success}}, ctxOpt(ctx, read))
			if err != nil {
				return nil, "", c.fail(fmt.Sprintf("list the jobs of pipeline %d", pl.ID), err)
			}
			for _, j := range jobs {
				if j.Name == opts.Job && j.ArtifactsFile.Filename != "" {
					return j, pl.WebURL, nil
				}
			}
			prov.Skipped++
		}
		if resp.NextPage == 0 {
			break
		}
		po.Page = resp.NextPage
	}
	return nil, "", &Error{Op: "find the base artifacts", Kind: KindNotFound, Status: http.StatusNotFound,
		Message: fmt.Sprintf("none of the %s successful pipelines of %s has a successful job %q that kept its artifacts", plural(seen, "latest"), opts.TargetBranch, opts.Job),
		Hint:    fmt.Sprintf("run %s's pipeline with the job %s (docs/examples/gitlab-ci.yml), check --job, and keep its artifacts long enough (artifacts: expire_in)", opts.TargetBranch, opts.Job)}
}

// downloadBase downloads manifest.json (required) and catalog.json
// (optional) to hidden files in opts.Dir, checks them, then moves them in.
func (c *Client) downloadBase(ctx context.Context, opts FetchBaseOptions, prov *BaseProvenance, url func(string) string, query any) error {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", opts.Dir, err)
	}
	staged := map[string]string{}
	defer func() {
		for _, tmp := range staged {
			os.Remove(tmp)
		}
	}()
	for _, name := range []string{"manifest.json", "catalog.json"} {
		if opts.OnFile != nil {
			opts.OnFile(name)
		}
		tmp := filepath.Join(opts.Dir, "."+name+".download")
		staged[name] = tmp
		err := statefile.WriteFileAtomic(tmp, func(w io.Writer) error { return c.download(ctx, url(name), query, w) })
		if name == "catalog.json" && KindOf(err) == KindNotFound {
			prov.NoCatalog = true
			delete(staged, name)
			continue
		}
		if err != nil {
			return c.baseDownloadErr(opts, name, err)
		}
		md, err := readArtifactMetadata(tmp)
		kind := strings.TrimSuffix(name, ".json")
		if err != nil || !strings.Contains(md.SchemaVersion, "/"+kind+"/") {
			return fmt.Errorf("%s of job %s on %s is not a dbt %s (dbt_schema_version %q): check --artifact-path", path.Join(opts.ArtifactPath, name), opts.Job, opts.TargetBranch, kind, md.SchemaVersion)
		}
		if name == "manifest.json" && prov.Commit == "" {
			prov.Commit, prov.PipelineID = md.Env["CI_COMMIT_SHA"], atoi64(md.Env["CI_PIPELINE_ID"])
			prov.JobID = atoi64(md.Env["CI_JOB_ID"])
		}
	}
	for name, tmp := range staged {
		if err := os.Rename(tmp, filepath.Join(opts.Dir, name)); err != nil {
			return fmt.Errorf("move %s into place: %w", name, err)
		}
		delete(staged, name)
		prov.Files = append(prov.Files, filepath.Join(opts.Dir, name))
	}
	if prov.NoCatalog {
		// A catalog of another build would pair with this manifest.
		if err := os.Remove(filepath.Join(opts.Dir, "catalog.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	prov.FetchedAt = time.Now().UTC().Truncate(time.Second)
	return nil
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// download streams one artifact file into w, at most MaxArtifactSize bytes.
func (c *Client) download(ctx context.Context, url string, query any, w io.Writer) error {
	req, err := c.api.NewRequest(http.MethodGet, url, query, []gl.RequestOptionFunc{ctxOpt(ctx, read)})
	if err != nil {
		return c.scrubErr(err)
	}
	lw := &limitWriter{w: w, left: MaxArtifactSize}
	if _, err := c.api.Do(req, lw); err != nil {
		if errors.Is(err, errTooLarge) {
			return err
		}
		return c.fail("download "+path.Base(url), err)
	}
	return nil
}

func (c *Client) baseDownloadErr(opts FetchBaseOptions, name string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case KindNotFound:
		e.Message = fmt.Sprintf("%s has no %s from a successful job %q (404): the latest successful pipeline of %s lacks the job, its artifacts expired, or they do not hold that file", opts.TargetBranch, path.Join(opts.ArtifactPath, name), opts.Job, opts.TargetBranch)
		e.Hint = fmt.Sprintf("run %s's pipeline with the job %s (docs/examples/gitlab-ci.yml) and keep %s in its artifacts; check --job and --artifact-path", opts.TargetBranch, opts.Job, opts.ArtifactPath+"/")
	case KindUnauthorized:
		e.Message = "GitLab does not accept the CI job token (401): it is valid only while its job runs"
		e.Hint = "run recce gitlab fetch-base inside the merge request pipeline's job, or give an access token with read_api (RECCE_GITLAB_TOKEN)"
	}
	return e
}

var errTooLarge = fmt.Errorf("an artifact file is larger than %d bytes: refused", MaxArtifactSize)

type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, errTooLarge
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

// artifactMetadata is the metadata block of a dbt artifact.
type artifactMetadata struct {
	SchemaVersion string            `json:"dbt_schema_version"`
	Env           map[string]string `json:"env"`
}

// readArtifactMetadata reads the metadata block of a dbt artifact file,
// skipping the rest without decoding it.
func readArtifactMetadata(file string) (artifactMetadata, error) {
	var md artifactMetadata
	f, err := os.Open(file)
	if err != nil {
		return md, err
	}
	defer f.Close()
	dec := jsontext.NewDecoder(f)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return md, errors.New("not a JSON object")
	}
	for dec.PeekKind() == '"' {
		key, err := dec.ReadToken()
		if err != nil {
			return md, err
		}
		if key.String() == "metadata" {
			return md, jsonv2.UnmarshalDecode(dec, &md)
		}
		if err := dec.SkipValue(); err != nil {
			return md, err
		}
	}
	return md, errors.New("no metadata block")
}

// compareBase counts how far the artifacts' commit is from the merge base
// (the compare API); it leaves -1 where GitLab cannot say.
func (c *Client) compareBase(ctx context.Context, project string, p *BaseProvenance) {
	if p.Commit == "" || p.MergeBase == "" {
		return
	}
	if p.Commit == p.MergeBase {
		p.Behind, p.Ahead = 0, 0
		return
	}
	count := func(from, to string) int {
		cmp, _, err := c.api.Repositories.Compare(project, &gl.CompareOptions{From: gl.Ptr(from), To: gl.Ptr(to)}, ctxOpt(ctx, read))
		if err != nil {
			return -1
		}
		return len(cmp.Commits)
	}
	p.Behind, p.Ahead = count(p.Commit, p.MergeBase), count(p.MergeBase, p.Commit)
}

func writeProvenance(dir string, p *BaseProvenance) error {
	return statefile.WriteFileAtomic(filepath.Join(dir, BaseFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	})
}
