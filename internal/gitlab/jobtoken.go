package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// CI job token verification: `recce upload`, run in a merge request
// pipeline, authenticates to the team server with the job's own
// CI_JOB_TOKEN. The server cannot check that token itself; it asks GitLab
// which job it belongs to (GET /api/v4/job with the JOB-TOKEN header), then
// checks that job against the connected project and the merge request
// (Job.CheckMergeRequestUpload). GitLab accepts a job token only while its
// job runs, so a leaked token is short-lived.

// Job is a CI job as GitLab describes it for its job token.
type Job struct {
	ID         int64
	Name       string
	Status     string // running while the token is valid
	Ref        string // a branch, or refs/merge-requests/<iid>/head|merge|train
	SHA        string // the commit the job ran on (a merge commit in a merged results pipeline)
	WebURL     string
	ProjectID  int64 // from the job's pipeline: the /job answer's project carries no id
	PipelineID int64
	// PipelineSource is how the pipeline started: "merge_request_event" for
	// a merge request pipeline, "push" for a branch pipeline... Empty on
	// GitLab versions that did not report it.
	PipelineSource string
}

// KindInvalidJobToken: GitLab does not accept the job token (unknown, or
// its job is no longer running).
const KindInvalidJobToken Kind = "invalid_job_token"

// ErrInvalidJobToken is what errors.Is finds in a VerifyJobToken error when
// GitLab refused the token, as opposed to GitLab being unreachable or
// failing (then the Kind is unreachable, timeout, tls, server_error...):
// the first is the uploader's problem (answer 401), the second the
// server's (answer 503, the pipeline may retry).
var ErrInvalidJobToken = errors.New("invalid CI job token")

// VerifyJobToken asks the GitLab instance at gitlabURL which job jobToken
// belongs to. The token is sent in the JOB-TOKEN header only and never
// appears in an error or a log line.
func VerifyJobToken(ctx context.Context, gitlabURL, jobToken string) (*Job, error) {
	return VerifyJobTokenWith(ctx, Options{URL: gitlabURL}, jobToken)
}

// VerifyJobTokenWith is VerifyJobToken with the options of the server's
// GitLab client (CA bundle, transport, logger, timeouts, retries);
// opts.Token is ignored.
func VerifyJobTokenWith(ctx context.Context, opts Options, jobToken string) (*Job, error) {
	jobToken = strings.TrimSpace(jobToken)
	c, err := newJobClient(opts, jobToken)
	if err != nil {
		return nil, err
	}
	const op = "check the CI job token"
	if jobToken == "" {
		return nil, &Error{Op: op, Kind: KindInvalidJobToken, Status: http.StatusUnauthorized,
			Message: "no CI job token was given", Hint: jobTokenHint(c.url), err: ErrInvalidJobToken}
	}
	req, err := c.api.NewRequest(http.MethodGet, "job", nil, []gl.RequestOptionFunc{ctxOpt(ctx, read)})
	if err != nil {
		return nil, c.scrubErr(fmt.Errorf("%s: %w", op, err))
	}
	var raw jobJSON
	if _, err := c.api.Do(req, &raw); err != nil {
		e := c.fail(op, err).(*Error)
		switch e.Kind {
		case KindUnauthorized, KindTokenExpired, KindTokenRevoked, KindForbidden, KindInsufficientScope, KindNotFound:
			// 401 for an unknown token or a finished job; 403/404 for a
			// token GitLab will not use here. Either way: not a job of ours.
			e.Kind, e.err = KindInvalidJobToken, ErrInvalidJobToken
			e.Message = fmt.Sprintf("GitLab at %s does not accept the CI job token (%d): its job is not running any more, or it is not a CI_JOB_TOKEN of this instance", c.url, e.Status)
			e.Hint = jobTokenHint(c.url)
		}
		return nil, e
	}
	j := &Job{ID: raw.ID, Name: raw.Name, Status: raw.Status, Ref: raw.Ref, SHA: raw.Commit.ID, WebURL: raw.WebURL,
		ProjectID: raw.Pipeline.ProjectID, PipelineID: raw.Pipeline.ID, PipelineSource: raw.Pipeline.Source}
	if j.SHA == "" {
		j.SHA = raw.Pipeline.SHA
	}
	if j.ID == 0 || j.ProjectID == 0 {
		return nil, &Error{Op: op, Kind: KindNotGitLab, Status: http.StatusOK,
			Message: c.url + " answered /job without a job id or project: it does not answer like GitLab"}
	}
	return j, nil
}

func jobTokenHint(base string) string {
	return "run `recce upload` inside a job of the merge request's pipeline on " + base +
		", where GitLab sets CI_JOB_TOKEN, or authenticate with a server API token from Settings"
}

// jobJSON is what GitLab answers to GET /job, decoded here rather than with
// the client's Job type, which leaves out the pipeline's source.
type jobJSON struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Ref    string `json:"ref"`
	WebURL string `json:"web_url"`
	Commit struct {
		ID string `json:"id"`
	} `json:"commit"`
	Pipeline struct {
		ID        int64  `json:"id"`
		ProjectID int64  `json:"project_id"`
		SHA       string `json:"sha"`
		Ref       string `json:"ref"`
		Source    string `json:"source"`
	} `json:"pipeline"`
}

// newJobClient is New for a CI job token: JOB-TOKEN authentication, all
// else alike.
func newJobClient(opts Options, jobToken string) (*Client, error) {
	return newClient(opts, jobToken, gl.NewJobClient)
}

// ErrJobNotForMergeRequest is what errors.Is finds when a valid job token
// belongs to a job that may not upload for the merge request (another
// project, another merge request, an older commit).
var ErrJobNotForMergeRequest = errors.New("the CI job is not a job of this merge request's pipeline")

var mergeRequestRef = regexp.MustCompile(`^refs/merge-requests/(\d+)/(head|merge|train)$`)

// CheckMergeRequestUpload applies the server's rule for uploads
// authenticated by a job token: the job must belong to the connected
// project, and to a pipeline of the merge request's current head:
//   - its commit is the merge request's head (a branch pipeline, or a merge
//     request pipeline on refs/merge-requests/<iid>/head), or
//   - it is a merge request pipeline (source merge_request_event) on the
//     merge request's merged results ref (refs/merge-requests/<iid>/merge,
//     or /train for merge trains), whose commit is a merge commit that
//     cannot equal the head.
//
// A merge request pipeline for an older head is refused (the newer
// pipeline's upload will come), and so is one of another merge request.
// projectID and headSHA come from the server's own view of the merge
// request (the store or GitLab), never from the uploader.
func (j *Job) CheckMergeRequestUpload(projectID, mrIID int64, headSHA string) error {
	if j.ProjectID != projectID {
		return fmt.Errorf("%w: job %d belongs to project %d, not to the connected project %d", ErrJobNotForMergeRequest, j.ID, j.ProjectID, projectID)
	}
	m := mergeRequestRef.FindStringSubmatch(j.Ref)
	if m != nil {
		if iid, _ := strconv.ParseInt(m[1], 10, 64); iid != mrIID {
			return fmt.Errorf("%w: job %d runs for merge request !%s, not !%d", ErrJobNotForMergeRequest, j.ID, m[1], mrIID)
		}
	}
	if headSHA != "" && j.SHA == headSHA {
		return nil
	}
	if m != nil && (m[2] == "merge" || m[2] == "train") && (j.PipelineSource == "merge_request_event" || j.PipelineSource == "") {
		return nil
	}
	return fmt.Errorf("%w: job %d ran on commit %s, but the head of !%d is %s (a newer pipeline's upload will replace this one)",
		ErrJobNotForMergeRequest, j.ID, shortSHA(j.SHA), mrIID, shortSHA(headSHA))
}

func shortSHA(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	if sha == "" {
		return "(unknown)"
	}
	return sha
}
