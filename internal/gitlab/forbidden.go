package gitlab

import (
	"context"
	"fmt"
)

// explainForbidden replaces the generic hint of a 403 on a write with
// what GitLab's policies make of the case, read back from GitLab (a few
// reads, after the failure only). "Ask for the Maintainer role" is the
// wrong advice for three of them:
//   - an archived project refuses every write whatever the role
//     (app/policies/project_policy.rb: rule { archived });
//   - a locked discussion refuses non-members only
//     (app/policies/issuable_policy.rb: locked & ~is_project_member);
//   - a public or internal project is readable, and open to comments, for
//     any signed-in user, but a commit status needs Developer and a
//     webhook Maintainer: the user is no member at all.
//
// what is the write: "comment", "edit", "status" or "webhook"; iid is the
// merge request (0 when none).
func (c *Client) explainForbidden(ctx context.Context, err error, project string, iid int64, what string) error {
	e, ok := err.(*Error)
	if !ok || ctx.Err() != nil {
		return err
	}
	need := map[string]string{
		"comment": "post notes", "edit": "edit this note",
		"status": "set commit statuses (Developer or higher)", "webhook": "manage webhooks (Maintainer or higher)",
	}[what]
	id, ierr := c.whoami(ctx)
	p, _, perr := c.api.Projects.GetProject(project, nil, ctxOpt(ctx, read))
	if ierr != nil || perr != nil {
		return e // the generic hint stays
	}
	user := id.User.Username
	if p.Archived {
		e.Kind = KindArchived
		e.Message = fmt.Sprintf("project %s is archived: GitLab refuses every write to an archived project, whatever the role (403)", p.PathWithNamespace)
		e.Hint = "unarchive it (Settings > General > Advanced > Unarchive project), or stop posting to it"
		return e
	}
	level := 0
	if m, _, err := c.api.ProjectMembers.GetInheritedProjectMember(p.ID, id.User.ID, ctxOpt(ctx, read)); err == nil {
		level = int(m.AccessLevel)
	}
	if iid > 0 && level == 0 && (what == "comment" || what == "edit") {
		if mr, _, err := c.api.MergeRequests.GetMergeRequest(p.ID, iid, nil, ctxOpt(ctx, read)); err == nil && mr.DiscussionLocked {
			e.Kind = KindLocked
			e.Message = fmt.Sprintf("the discussion of !%d is locked: GitLab lets only members of %s comment, and %s is none (403)", iid, p.PathWithNamespace, user)
			e.Hint = fmt.Sprintf("unlock the discussion (the merge request's menu, Unlock discussion), or ask a project Owner to add %s to the project (Manage > Members)", user)
			return e
		}
	}
	switch {
	case what == "edit" && level > 0:
		e.Hint = "only a note's author can edit it: post with the same token that created it"
	case level == 0:
		e.Kind = KindNotMember
		e.Message = fmt.Sprintf("%s is not a member of %s: GitLab lets it read the project, which is %s, but not %s (403)", user, p.PathWithNamespace, p.Visibility, need)
		e.Hint = fmt.Sprintf("ask a project Owner to add %s with the Maintainer role (Manage > Members)", user)
	default:
		e.Message = fmt.Sprintf("%s is %s on %s, which may not %s (403)", user, article(RoleName(level)), p.PathWithNamespace, need)
		e.Hint = fmt.Sprintf("ask a project Owner to give %s the Maintainer role (Manage > Members)", user)
	}
	return e
}
