package gitlab

import (
	"context"
	"fmt"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// MergeRequest is a merge request as recce uses it (the JSON of `recce gitlab mrs`).
type MergeRequest struct {
	ProjectID    int64     `json:"project_id"`
	IID          int64     `json:"iid"`
	Title        string    `json:"title"`
	State        string    `json:"state"`
	Draft        bool      `json:"draft"`
	SourceBranch string    `json:"source_branch"`
	TargetBranch string    `json:"target_branch"`
	SHA          string    `json:"sha"`
	Author       string    `json:"author"`
	WebURL       string    `json:"web_url"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ListOptions filter ListMergeRequests.
type ListOptions struct {
	State        string    // opened, closed, locked, merged, all ("" = opened)
	UpdatedAfter time.Time // inclusive; zero for no filter
	// OnPage is called after each page with the number of merge requests so far.
	OnPage func(n int)
}

// perPage is GitLab's maximum page size: fewer requests, same results.
const perPage = 100

// ListMergeRequests returns every merge request of project matching opts,
// following X-Next-Page until it is empty. Totals are never trusted: GitLab
// leaves them out past 10,000 results, and the Link header may name another
// host behind a proxy.
func (c *Client) ListMergeRequests(ctx context.Context, project string, opts ListOptions) ([]MergeRequest, error) {
	state := opts.State
	if state == "" {
		state = "opened"
	}
	o := &gl.ListProjectMergeRequestsOptions{
		ListOptions: gl.ListOptions{PerPage: perPage, Page: 1},
		State:       gl.Ptr(state),
		OrderBy:     gl.Ptr("updated_at"),
		Sort:        gl.Ptr("asc"),
	}
	if !opts.UpdatedAfter.IsZero() {
		o.UpdatedAfter = gl.Ptr(opts.UpdatedAfter.UTC())
	}
	var out []MergeRequest
	for {
		page, resp, err := c.api.MergeRequests.ListProjectMergeRequests(project, o, ctxOpt(ctx, read))
		if err != nil {
			return nil, c.projectErr(fmt.Sprintf("list the merge requests of %s (page %d)", project, o.Page), project, err)
		}
		for _, m := range page {
			mr := MergeRequest{ProjectID: m.ProjectID, IID: m.IID, Title: m.Title, State: m.State, Draft: m.Draft,
				SourceBranch: m.SourceBranch, TargetBranch: m.TargetBranch, SHA: m.SHA, WebURL: m.WebURL}
			if m.Author != nil {
				mr.Author = m.Author.Username
			}
			if m.UpdatedAt != nil {
				mr.UpdatedAt = m.UpdatedAt.UTC()
			}
			out = append(out, mr)
		}
		if opts.OnPage != nil {
			opts.OnPage(len(out))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		o.Page = resp.NextPage
	}
}

// GetMergeRequest returns one merge request; a 404 says which flag to check.
func (c *Client) GetMergeRequest(ctx context.Context, project string, iid int64) (*MergeRequest, error) {
	m, _, err := c.api.MergeRequests.GetMergeRequest(project, iid, nil, ctxOpt(ctx, read))
	if err != nil {
		e := c.fail(fmt.Sprintf("read merge request !%d of %s", iid, project), err)
		if KindOf(e) == KindNotFound {
			e.(*Error).Message = fmt.Sprintf("merge request !%d or project %s not found, or the token's user cannot see it", iid, project)
			e.(*Error).Hint = "check --mr (CI_MERGE_REQUEST_IID: run the job in a merge request pipeline) and --project (CI_PROJECT_ID)"
		}
		return nil, e
	}
	mr := &MergeRequest{ProjectID: m.ProjectID, IID: m.IID, Title: m.Title, State: m.State, Draft: m.Draft,
		SourceBranch: m.SourceBranch, TargetBranch: m.TargetBranch, SHA: m.SHA, WebURL: m.WebURL}
	if m.Author != nil {
		mr.Author = m.Author.Username
	}
	if m.UpdatedAt != nil {
		mr.UpdatedAt = m.UpdatedAt.UTC()
	}
	if mr.SHA == "" && m.DiffRefs.HeadSha != "" {
		mr.SHA = m.DiffRefs.HeadSha
	}
	return mr, nil
}

// projectErr adds the usual advice to a 404 on a project endpoint.
func (c *Client) projectErr(op, project string, err error) error {
	e := c.fail(op, err)
	if KindOf(e) == KindNotFound {
		e.(*Error).Message = fmt.Sprintf("project %s not found, or the token's user cannot see it", project)
		e.(*Error).Hint = "check --project (CI_PROJECT_ID), and run `recce gitlab doctor`"
	}
	return e
}
