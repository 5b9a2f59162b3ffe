package gitlab

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// MergeRequest is a merge request as recce uses it (the JSON of `recce gitlab mrs`).
type MergeRequest struct {
	ProjectID    int64  `json:"project_id"`
	IID          int64  `json:"iid"`
	Title        string `json:"title"`
	State        string `json:"state"`
	Draft        bool   `json:"draft"`
	SourceBranch string `json:"source_branch"`
	TargetBranch string `json:"target_branch"`
	SHA          string `json:"sha"`
	// BaseSHA is the merge base (diff_refs.base_sha), read by
	// GetMergeRequest only.
	BaseSHA   string    `json:"base_sha,omitempty"`
	Author    string    `json:"author"`
	WebURL    string    `json:"web_url"`
	UpdatedAt time.Time `json:"updated_at"`
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

// maxTiePasses bounds the listings of one crowded timestamp (see
// ListMergeRequests).
const maxTiePasses = 5

// ListMergeRequests returns every merge request of project matching opts,
// oldest update first, each once.
//
// GitLab pages merge requests by page number only, and a merge request
// updated while the pages are read moves to the end of an updated_at
// listing: every later page shifts by one, and the merge request that
// crossed the page boundary is never seen. So the listing is by key
// instead: each request asks for updated_after the last update seen
// (inclusive, to the millisecond), page 1, and the few merge requests seen
// twice are kept once. A merge request updated meanwhile is seen at the
// end, with its new state. When a whole page shares one timestamp (a bulk
// update), that millisecond is listed by page number between
// updated_after and updated_before, again until a pass finds nothing new.
// Totals are never trusted: GitLab leaves them out past 10,000 results,
// and the Link header may name another host behind a proxy.
func (c *Client) ListMergeRequests(ctx context.Context, project string, opts ListOptions) ([]MergeRequest, error) {
	state := opts.State
	if state == "" {
		state = "opened"
	}
	l := &mrLister{c: c, project: project, state: state, index: map[int64]int{}, onPage: opts.OnPage}
	bound := opts.UpdatedAfter
	for {
		last, more, err := l.page(ctx, bound, time.Time{}, 1)
		if err != nil || !more {
			return l.out, err
		}
		if bound.IsZero() || last.After(bound) {
			bound = last
			continue
		}
		// A full page at the bound: the bound's millisecond holds more
		// than a page of merge requests.
		if err := l.crowded(ctx, bound); err != nil {
			return l.out, err
		}
		bound = bound.Truncate(time.Millisecond).Add(time.Millisecond)
	}
}

// mrLister collects the pages of one listing, each merge request once
// (its latest version).
type mrLister struct {
	c       *Client
	project string
	state   string
	out     []MergeRequest
	index   map[int64]int // iid -> position in out
	onPage  func(int)
	pages   int
}

// page lists one page of merge requests updated in [after, before] (zero
// for no bound), and returns the last one's update time and whether
// GitLab has a next page.
func (l *mrLister) page(ctx context.Context, after, before time.Time, page int) (time.Time, bool, error) {
	o := &gl.ListProjectMergeRequestsOptions{
		ListOptions: gl.ListOptions{PerPage: perPage, Page: int64(page)},
		State:       gl.Ptr(l.state),
		OrderBy:     gl.Ptr("updated_at"),
		Sort:        gl.Ptr("asc"),
	}
	l.pages++
	items, resp, err := l.c.api.MergeRequests.ListProjectMergeRequests(l.project, o, ctxOpt(ctx, read), timeParams(after, before))
	if err != nil {
		return time.Time{}, false, l.c.projectErr(fmt.Sprintf("list the merge requests of %s (request %d)", l.project, l.pages), l.project, err)
	}
	var last time.Time
	for _, m := range items {
		mr := fromAPI(m)
		if i, ok := l.index[mr.IID]; ok {
			l.out[i] = mr
		} else {
			l.index[mr.IID] = len(l.out)
			l.out = append(l.out, mr)
		}
		last = mr.UpdatedAt
	}
	if l.onPage != nil {
		l.onPage(len(l.out))
	}
	return last, resp.NextPage != 0 && len(items) > 0, nil
}

// crowded lists the merge requests of one millisecond by page number. A
// merge request updated meanwhile leaves the millisecond (and is seen
// later by key), which can shift a later page: the pass is repeated
// until one finds nothing it had not seen.
func (l *mrLister) crowded(ctx context.Context, at time.Time) error {
	from := at.Truncate(time.Millisecond)
	to := from.Add(time.Millisecond - time.Nanosecond)
	for range maxTiePasses {
		before := len(l.out)
		for page := 1; ; page++ {
			_, more, err := l.page(ctx, from, to, page)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
		if len(l.out) == before {
			return nil
		}
	}
	return nil
}

// timeParams sets updated_after and updated_before to the millisecond: the
// client's options would send whole seconds.
func timeParams(after, before time.Time) gl.RequestOptionFunc {
	return func(r *retryablehttp.Request) error {
		q := r.URL.Query()
		if !after.IsZero() {
			q.Set("updated_after", after.UTC().Format(msTime))
		}
		if !before.IsZero() {
			q.Set("updated_before", before.UTC().Format(msTime))
		}
		r.URL.RawQuery = q.Encode()
		return nil
	}
}

// msTime is ISO 8601 to the millisecond, as GitLab writes its timestamps.
const msTime = "2006-01-02T15:04:05.000Z07:00"

func fromAPI(m *gl.BasicMergeRequest) MergeRequest {
	mr := MergeRequest{ProjectID: m.ProjectID, IID: m.IID, Title: m.Title, State: m.State, Draft: m.Draft,
		SourceBranch: m.SourceBranch, TargetBranch: m.TargetBranch, SHA: m.SHA, WebURL: m.WebURL}
	if m.Author != nil {
		mr.Author = m.Author.Username
	}
	if m.UpdatedAt != nil {
		mr.UpdatedAt = m.UpdatedAt.UTC()
	}
	return mr
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
	v := fromAPI(&m.BasicMergeRequest)
	mr := &v
	mr.BaseSHA = m.DiffRefs.BaseSha
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
