package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// Mode is what recce can do with a token.
type Mode string

const (
	ModeFull     Mode = "full"      // api: track merge requests, post summaries and notes
	ModeReadOnly Mode = "read_only" // read_api: track merge requests, post nothing
	ModeNone     Mode = "none"      // cannot be used
)

// Severity of a check.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Names of the checks, stable for scripts.
const (
	CheckGitLabURL   = "gitlab_url"
	CheckToken       = "token"
	CheckTokenScope  = "token_scope"
	CheckTokenExpiry = "token_expiry"
	CheckProject     = "project"
	CheckProjectRole = "project_role"
)

// ExpiryWarningDays is how close to its expiry a token gets a warning.
const ExpiryWarningDays = 14

// CheckItem is one finding of the connection check.
type CheckItem struct {
	Name     string   `json:"name"`
	OK       bool     `json:"ok"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// ReportUser is the token's user.
type ReportUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name,omitempty"`
	Bot      bool   `json:"bot"` // project and group access tokens belong to bot users
}

// ReportToken describes the token, never its value.
type ReportToken struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt string   `json:"expires_at,omitempty"` // YYYY-MM-DD
	DaysLeft  *int     `json:"days_left,omitempty"`
	Granular  bool     `json:"granular,omitempty"`
	// WriteAccess is "yes" (api), "no" (read_api only) or "unknown"
	// (fine-grained tokens, whose rights are not in scopes).
	WriteAccess string `json:"write_access"`
}

// ReportProject is the project and the user's effective role on it.
type ReportProject struct {
	ID          int64  `json:"id"`
	Path        string `json:"path"`
	WebURL      string `json:"web_url,omitempty"`
	AccessLevel int    `json:"access_level"`
	Role        string `json:"role"`
}

// Report is the result of the connection check.
type Report struct {
	OK        bool           `json:"ok"`
	Mode      Mode           `json:"mode"`
	GitLabURL string         `json:"gitlab_url"`
	User      *ReportUser    `json:"user"`
	Token     *ReportToken   `json:"token"`
	Project   *ReportProject `json:"project"`
	Checks    []CheckItem    `json:"checks"`
	CheckedAt time.Time      `json:"checked_at"`
}

// Failed returns the checks that did not pass with severity error.
func (r *Report) Failed() []CheckItem {
	var out []CheckItem
	for _, c := range r.Checks {
		if !c.OK && c.Severity == SeverityError {
			out = append(out, c)
		}
	}
	return out
}

// CanPost reports whether summaries and notes may be posted (write access
// "yes" or "unknown"; a failed write then explains itself).
func (r *Report) CanPost() bool {
	return r.Mode == ModeFull
}

func (r *Report) add(name string, ok bool, sev Severity, msg, hint string) {
	r.Checks = append(r.Checks, CheckItem{Name: name, OK: ok, Severity: sev, Message: msg, Hint: hint})
}

// Identity is who the token is: its user and what GitLab says of the token.
type Identity struct {
	User  ReportUser
	Token *ReportToken // nil when GitLab cannot describe the token (before 15.5, or not a personal access token)
}

// selfToken is GET /personal_access_tokens/self, with the fields the client
// struct lacks (expired, granular).
type selfToken struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Revoked   bool     `json:"revoked"`
	Expired   bool     `json:"expired"`
	Active    bool     `json:"active"`
	Granular  bool     `json:"granular"`
	Scopes    []string `json:"scopes"`
	UserID    int64    `json:"user_id"`
	ExpiresAt *string  `json:"expires_at"`
}

// whoami reads /user and /personal_access_tokens/self, once per client.
func (c *Client) whoami(ctx context.Context) (*Identity, error) {
	c.mu.Lock()
	if c.identity != nil {
		id := c.identity
		c.mu.Unlock()
		return id, nil
	}
	c.mu.Unlock()

	u, _, err := c.api.Users.CurrentUser(ctxOpt(ctx, read))
	if err != nil {
		if KindOf(c.fail("", err)) == KindNotFound {
			return nil, c.notGitLab("read the token's user", "GET /api/v4/user answered 404")
		}
		return nil, c.fail("read the token's user", err)
	}
	if u.ID == 0 {
		return nil, c.notGitLab("read the token's user", "GET /api/v4/user answered without a user id")
	}
	id := &Identity{User: ReportUser{ID: u.ID, Username: u.Username, Name: u.Name, Bot: u.Bot}}
	tok, err := c.tokenSelf(ctx)
	switch {
	case err == nil:
		id.Token = tok
	case KindOf(err) == KindNotFound || KindOf(err) == KindBadRequest:
		// Before GitLab 15.5, or a token that is not a personal access
		// token: scopes unknown.
	default:
		return nil, err
	}
	c.mu.Lock()
	c.identity = id
	c.mu.Unlock()
	return id, nil
}

func (c *Client) tokenSelf(ctx context.Context) (*ReportToken, error) {
	req, err := c.api.NewRequest(http.MethodGet, "personal_access_tokens/self", nil, []gl.RequestOptionFunc{ctxOpt(ctx, read)})
	if err != nil {
		return nil, c.fail("read the token's scopes", err)
	}
	var st selfToken
	if _, err := c.api.Do(req, &st); err != nil {
		return nil, c.fail("read the token's scopes", err)
	}
	t := &ReportToken{Name: st.Name, Scopes: st.Scopes, Granular: st.Granular}
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	if st.ExpiresAt != nil {
		t.ExpiresAt = *st.ExpiresAt
		if d, err := time.Parse(time.DateOnly, t.ExpiresAt); err == nil {
			today := time.Now().UTC().Truncate(24 * time.Hour)
			days := int(d.Sub(today).Hours() / 24)
			t.DaysLeft = &days
		}
	}
	switch {
	case slices.Contains(t.Scopes, "api"):
		t.WriteAccess = "yes"
	case t.Granular:
		t.WriteAccess = "unknown"
	default:
		t.WriteAccess = "no"
	}
	return t, nil
}

func (c *Client) notGitLab(op, detail string) error {
	return &Error{Op: op, Kind: KindNotGitLab,
		Message: c.url + " does not answer like GitLab's API (" + detail + ")",
		Hint:    "give the instance's address (https://gitlab.example.com, or with its sub-path), not a project or page URL"}
}

// Check runs the connection check for project (numeric id or group/project
// path; "" checks the token only, and fails the project check). Every problem
// is a check in the report; the error is only for a canceled context.
func (c *Client) Check(ctx context.Context, project string) (*Report, error) {
	r := &Report{Mode: ModeNone, GitLabURL: c.url, CheckedAt: time.Now().UTC(), Checks: []CheckItem{}}
	settings := c.TokenSettingsURL()

	id, err := c.whoami(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		var e *Error
		errors.As(err, &e)
		switch e.Kind {
		case KindUnreachable, KindTLS, KindNotGitLab, KindTimeout, KindServer, KindOther:
			r.add(CheckGitLabURL, false, SeverityError, e.Message, e.Hint)
		case KindTokenExpired:
			r.add(CheckGitLabURL, true, SeverityInfo, "GitLab answers at "+c.url, "")
			r.add(CheckToken, false, SeverityError, "the token has expired (GitLab: Token is expired)",
				"a token cannot be extended: create a new one at "+settings+" with the api scope and an expiration date, then replace the old one")
		case KindTokenRevoked:
			r.add(CheckGitLabURL, true, SeverityInfo, "GitLab answers at "+c.url, "")
			r.add(CheckToken, false, SeverityError, "the token was revoked (GitLab: Token was revoked)",
				"create a new token at "+settings+" with the api scope and use it instead; do not retry the old token: presenting a rotated-away token makes GitLab revoke its replacement too")
		case KindUnauthorized:
			r.add(CheckGitLabURL, true, SeverityInfo, "GitLab answers at "+c.url, "")
			r.add(CheckToken, false, SeverityError, "GitLab does not know this token (401 Unauthorized): it is mistyped, was deleted, or belongs to another GitLab instance",
				"copy the token again (it is shown only once), or create one at "+settings+" with the api scope; check --gitlab-url")
		case KindInsufficientScope:
			// /user needs read_user, read_api or api: the token has none.
			r.add(CheckGitLabURL, true, SeverityInfo, "GitLab answers at "+c.url, "")
			r.add(CheckToken, true, SeverityInfo, "GitLab accepts the token", "")
			r.add(CheckTokenScope, false, SeverityError, "the token has neither the api nor the read_api scope: recce cannot read merge requests",
				"create a token at "+settings+" with the api scope (summaries and notes) or read_api (tracking only)")
		default:
			r.add(CheckGitLabURL, false, SeverityError, e.Message, e.Hint)
		}
		return r.finish(), nil
	}
	r.User = &id.User
	r.Token = id.Token
	r.add(CheckGitLabURL, true, SeverityInfo, "GitLab answers at "+c.url, "")
	who := "token of " + id.User.Username
	if id.User.Bot {
		who += " (a bot user: a project or group access token)"
	}
	r.add(CheckToken, true, SeverityInfo, who, "")

	r.Mode = c.scopeChecks(r, id.Token, settings)
	if r.Mode == ModeNone {
		return r.finish(), nil
	}
	c.projectChecks(ctx, r, project, id)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return r.finish(), nil
}

// scopeChecks adds the scope and expiry checks and returns the mode.
func (c *Client) scopeChecks(r *Report, t *ReportToken, settings string) Mode {
	if t == nil {
		r.add(CheckTokenScope, true, SeverityWarning, "GitLab cannot describe this token (GET /personal_access_tokens/self needs GitLab 15.5+ and a personal, project or group access token): its scopes are unknown",
			"use a personal, project or group access token with the api scope; a CI job token cannot post notes")
		return ModeFull
	}
	scopes := strings.Join(t.Scopes, ", ")
	mode := ModeNone
	switch {
	case slices.Contains(t.Scopes, "api"):
		mode = ModeFull
		r.add(CheckTokenScope, true, SeverityInfo, "scope api: recce can track merge requests and post summaries and notes", "")
	case t.Granular:
		mode = ModeFull
		r.add(CheckTokenScope, true, SeverityWarning, "fine-grained token: GitLab does not list its rights as scopes, so whether it may post notes and commit statuses is unknown until recce tries",
			"if posting fails with 403, give the token write access to merge request notes and commit statuses, or create a token with the api scope at "+settings)
	case slices.Contains(t.Scopes, "read_api"):
		mode = ModeReadOnly
		r.add(CheckTokenScope, true, SeverityWarning, "scope read_api only: recce can track merge requests but summaries and notes will NOT be posted on them",
			"to receive summaries and notes, create a token with the api scope at "+settings+" and use it instead")
	default:
		if scopes == "" {
			scopes = "none"
		}
		r.add(CheckTokenScope, false, SeverityError, "the token's scopes ("+scopes+") include neither api nor read_api: recce cannot read merge requests",
			"create a token at "+settings+" with the api scope (summaries and notes) or read_api (tracking only)")
	}
	switch {
	case t.ExpiresAt == "":
		r.add(CheckTokenExpiry, true, SeverityInfo, "the token does not expire", "")
	case t.DaysLeft != nil && *t.DaysLeft < ExpiryWarningDays:
		r.add(CheckTokenExpiry, true, SeverityWarning, fmt.Sprintf("the token expires on %s (in %s): it stops working at midnight UTC that day", t.ExpiresAt, plural(*t.DaysLeft, "day")),
			"create a replacement token at "+settings+" before then and update RECCE_GITLAB_TOKEN (or run recce gitlab connect again)")
	default:
		days := ""
		if t.DaysLeft != nil {
			days = " (in " + plural(*t.DaysLeft, "day") + ")"
		}
		r.add(CheckTokenExpiry, true, SeverityInfo, "the token expires on "+t.ExpiresAt+days, "")
	}
	return mode
}

func (c *Client) projectChecks(ctx context.Context, r *Report, project string, id *Identity) {
	if strings.TrimSpace(project) == "" {
		r.add(CheckProject, false, SeverityError, "no project given",
			"pass --project with the numeric id or the group/project path, or run in a GitLab CI job (CI_PROJECT_ID)")
		return
	}
	p, _, err := c.api.Projects.GetProject(project, nil, ctxOpt(ctx, read))
	if err != nil {
		e := c.fail("read project "+project, err).(*Error)
		switch e.Kind {
		case KindNotFound:
			r.Mode = ModeNone
			r.add(CheckProject, false, SeverityError, fmt.Sprintf("project %s not found, or %s cannot see it (404 Project Not Found)", project, id.User.Username),
				fmt.Sprintf("check --project / CI_PROJECT_ID (numeric id or full group/project path); if it is right, ask a project Owner to add %s as a Maintainer", id.User.Username))
		default:
			r.Mode = ModeNone
			r.add(CheckProject, false, SeverityError, e.Message, e.Hint)
		}
		return
	}
	r.Project = &ReportProject{ID: p.ID, Path: p.PathWithNamespace, WebURL: p.WebURL}
	if p.Archived {
		r.add(CheckProject, false, SeverityError, "project "+p.PathWithNamespace+" is archived: GitLab refuses every write to it, whatever the role, so recce can post nothing",
			"unarchive it (Settings > General > Advanced > Unarchive project), or connect recce to the project that replaced it")
		return
	}
	r.add(CheckProject, true, SeverityInfo, "project "+p.PathWithNamespace+" (id "+fmt.Sprint(p.ID)+") is visible", "")

	m, _, err := c.api.ProjectMembers.GetInheritedProjectMember(p.ID, id.User.ID, ctxOpt(ctx, read))
	level := 0
	switch {
	case err == nil:
		level = int(m.AccessLevel)
	case KindOf(c.fail("", err)) == KindNotFound:
		// No membership. An administrator still has access; otherwise the
		// project is visible (public or internal) but the user is no member.
		if u, _, uerr := c.api.Users.CurrentUser(ctxOpt(ctx, read)); uerr == nil && u.IsAdmin {
			level = 60
		}
	default:
		e := c.fail("read the role on "+p.PathWithNamespace, err).(*Error)
		r.add(CheckProjectRole, false, SeverityError, e.Message, e.Hint)
		return
	}
	r.Project.AccessLevel, r.Project.Role = level, RoleName(level)
	switch {
	case level >= 40:
		r.add(CheckProjectRole, true, SeverityInfo, fmt.Sprintf("%s is %s on %s", id.User.Username, article(RoleName(level)), p.PathWithNamespace), "")
	case level == 0:
		msg := fmt.Sprintf("%s is not a member of %s", id.User.Username, p.PathWithNamespace)
		if p.Visibility == gl.PublicVisibility || p.Visibility == gl.InternalVisibility {
			msg += fmt.Sprintf(": the project is %s, so it can read it and comment, but GitLab refuses its commit statuses and webhooks", p.Visibility)
		}
		r.add(CheckProjectRole, false, SeverityError, msg,
			fmt.Sprintf("ask a project Owner to add %s with the Maintainer role (Project > Manage > Members)", id.User.Username))
	default:
		r.add(CheckProjectRole, false, SeverityError, fmt.Sprintf("%s is %s on %s; recce needs Maintainer or Owner", id.User.Username, article(RoleName(level)), p.PathWithNamespace),
			fmt.Sprintf("ask a project Owner to give %s the Maintainer role (Project > Manage > Members)", id.User.Username))
	}
}

// finish sets OK: usable mode and no failed error check.
func (r *Report) finish() *Report {
	r.OK = r.Mode != ModeNone && len(r.Failed()) == 0
	return r
}

// RoleName names an access level as GitLab does.
func RoleName(level int) string {
	switch {
	case level >= 60:
		return "admin"
	case level >= 50:
		return "owner"
	case level >= 40:
		return "maintainer"
	case level >= 30:
		return "developer"
	case level >= 20:
		return "reporter"
	case level >= 15:
		return "planner"
	case level >= 10:
		return "guest"
	case level >= 5:
		return "minimal_access"
	}
	return "none"
}

func article(role string) string {
	title := strings.ToUpper(role[:1]) + strings.ReplaceAll(role[1:], "_", " ")
	if strings.ContainsAny(role[:1], "aeiou") {
		return "an " + title
	}
	return "a " + title
}

func plural(n int, word string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
