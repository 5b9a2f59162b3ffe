package gitlab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/recce-go/recce/internal/markdown"
)

// SummaryMarker identifies recce's summary note among the notes of a merge
// request (with the author id: another user quoting the marker is not us).
// An HTML comment: invisible in GitLab's rendering.
const SummaryMarker = "<!-- recce:summary -->"

// MaxNoteLength is GitLab's limit on a note body, in characters.
const MaxNoteLength = 1_000_000

// Commit status states of the merge gate.
const (
	StatusSuccess = "success"
	StatusFailed  = "failed"
)

// DefaultStatusName is the name of the commit status recce sets unless
// told otherwise. GitLab keeps a status name unique among the jobs of the
// pipeline it joins (app/models/generic_commit_status.rb,
// name_uniqueness_across_types): it must not be the name of a CI job, and
// no job of the documented .gitlab-ci.yml (recce, recce-base,
// recce-doctor) is named like it.
const DefaultStatusName = "recce/review"

// MaxNotesPerMergeRequest is GitLab's limit on the notes of a merge
// request, system notes included (Noteable::MAX_NOTES_LIMIT).
const MaxNotesPerMergeRequest = 5000

var statusLine = regexp.MustCompile(`(?m)^[ \t]*<!--[ \t]*recce:status=([a-z]+)[ \t]*-->[ \t]*\r?$`)

// SummaryStatus reads the gate status a summary markdown carries, by the
// convention agreed with the summary renderer: a line
// `<!-- recce:status=success -->` or `<!-- recce:status=failed -->`.
func SummaryStatus(body string) (string, error) {
	m := statusLine.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		return "", errors.New("the summary has no `<!-- recce:status=success -->` or `<!-- recce:status=failed -->` line, so the commit status cannot be set; render it with `recce run --summary`, or post without --commit-status")
	}
	st := m[len(m)-1][1]
	if st != StatusSuccess && st != StatusFailed {
		return "", fmt.Errorf("the summary's status line says %q; it must be success or failed", st)
	}
	return st, nil
}

// Summary is what PostSummary posts.
type Summary struct {
	// Body is the markdown. Quick actions are neutralised and the marker is
	// added; it must fit GitLab's limit once that is done (the summary
	// renderer shortens its own output by its rules; it is never cut here).
	Body string
	// Status, when not "", is also set as a commit status on the merge
	// request's head commit: StatusSuccess or StatusFailed.
	Status string
	// StatusName names the commit status ("" for DefaultStatusName).
	StatusName string
	// Description of the commit status (one line, 255 characters at most);
	// "" for a default that matches Status.
	Description string
	// Compose, when set, makes the body from the previous summary note's
	// body ("" when there is none yet) and the merge request's head
	// commit: the summary's "since the last push" section is written from
	// what the previous note says. Body is then what Compose was given to
	// work on, and its result is what is posted.
	Compose func(previous, headSHA string) string
}

// PostResult is what PostSummary did.
type PostResult struct {
	Action       string        `json:"action"` // created, updated, unchanged
	NoteID       int64         `json:"note_id"`
	URL          string        `json:"url"`
	CommitStatus *StatusResult `json:"commit_status,omitempty"`
}

// StatusResult is the commit status that was set.
type StatusResult struct {
	Name        string `json:"name"`
	State       string `json:"state"`
	SHA         string `json:"sha"`
	Description string `json:"description"`
}

// ErrReadOnly is the refusal to write with a read_api token. No request is
// made: the token's scopes say it would fail.
func (c *Client) errReadOnly(op string) error {
	return &Error{Op: op, Kind: KindReadOnly,
		Message: "the token has the read_api scope only: recce can read merge requests but cannot post summaries and notes on them",
		Hint:    "the api scope is needed to receive generated summaries and notes on merge requests; create a token with the api scope at " + c.TokenSettingsURL() + " and use it instead"}
}

// requireWrite refuses, before any write request, a token whose scopes cannot
// write. Fine-grained tokens and tokens GitLab cannot describe are let through:
// their write ability is unknown, and a 403 will explain itself.
func (c *Client) requireWrite(ctx context.Context, op string) (*Identity, error) {
	id, err := c.whoami(ctx)
	if err != nil {
		return nil, err
	}
	if id.Token != nil && id.Token.WriteAccess == "no" {
		return nil, c.errReadOnly(op)
	}
	return id, nil
}

// StoredBody is body as GitLab stores a merge request note, on create and
// on update: every carriage return deleted and trailing white space
// stripped (lib/gitlab/quick_actions/extractor.rb: content.delete!("\r"),
// then content.rstrip; app/services/notes/create_service.rb and
// update_service.rb keep what the extractor returns, commands or not).
// Bodies recce sent are compared with what GitLab answers in this form:
// byte for byte, a summary ending in a newline never matched its own note.
func StoredBody(body string) string {
	return strings.TrimRight(strings.ReplaceAll(body, "\r", ""), " \t\n\v\f\r\x00")
}

// prepareBody makes a body safe to post: quick actions neutralised, in the
// form GitLab stores it, within GitLab's length limit.
func prepareBody(op, body string) (string, error) {
	body = StoredBody(markdown.NeutralizeQuickActions(StoredBody(body)))
	if n := utf8.RuneCountInString(body); n > MaxNoteLength {
		return "", &Error{Op: op, Kind: KindTooLong,
			Message: fmt.Sprintf("the body is %d characters, over GitLab's limit of %d for a note", n, MaxNoteLength),
			Hint:    "it is not cut, which could break its tables and code blocks: let `recce run --summary` render the summary (it shortens its own output by its rules), or shorten the file"}
	}
	return body, nil
}

// SummaryBody is the body PostSummary posts for body: neutralised, with the
// marker, as GitLab stores it (StoredBody). The server stores its hash to
// tell whether a new post is needed.
func SummaryBody(body string) string {
	body = markdown.NeutralizeQuickActions(StoredBody(body))
	if !strings.Contains(body, SummaryMarker) {
		body = SummaryMarker + "\n\n" + body
	}
	return StoredBody(body)
}

// BodyHash is the hash of a posted body, for stores.
func BodyHash(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:])
}

// PostSummary keeps exactly one summary note on merge request iid: it finds
// recce's note (marker and author, over every page of notes), edits it when
// the body changed, does nothing when it did not, creates it otherwise.
// Bodies are compared as GitLab stores them (StoredBody). With s.Status it
// also sets the commit status on the head commit; when that fails, the
// note is posted all the same and the result comes back with the error. A
// read_api token makes no write request and gets KindReadOnly.
func (c *Client) PostSummary(ctx context.Context, project string, iid int64, s Summary) (*PostResult, error) {
	op := fmt.Sprintf("post the summary on !%d", iid)
	if _, err := prepareBody(op, SummaryBody(s.Body)); err != nil {
		return nil, err
	}
	if s.Status != "" && s.Status != StatusSuccess && s.Status != StatusFailed {
		return nil, fmt.Errorf("%s: commit status %q is not %s or %s", op, s.Status, StatusSuccess, StatusFailed)
	}
	existing, mr, mine, err := c.markedNote(ctx, op, project, iid, SummaryMarker)
	if err != nil {
		return nil, err
	}
	body := SummaryBody(s.Body)
	if s.Compose != nil {
		previous := ""
		if existing != nil {
			previous = existing.Body
		}
		// What Compose adds must fit too; if it does not, the summary
		// goes without it rather than not at all.
		if composed := SummaryBody(s.Compose(previous, mr.SHA)); utf8.RuneCountInString(composed) <= MaxNoteLength {
			body = composed
		}
	}
	res := &PostResult{}
	switch {
	case existing == nil:
		n, err := c.createNote(ctx, project, iid, body, mine)
		if err != nil {
			return nil, err
		}
		res.Action, res.NoteID = "created", n.ID
		if StoredBody(n.Body) != body { // found after a failed create, from an older body
			if err := c.updateNote(ctx, project, iid, n.ID, body); err != nil {
				return nil, err
			}
		}
	case StoredBody(existing.Body) == body:
		res.Action, res.NoteID = "unchanged", existing.ID
	default:
		if err := c.updateNote(ctx, project, iid, existing.ID, body); err != nil {
			return nil, err
		}
		res.Action, res.NoteID = "updated", existing.ID
	}
	res.URL = fmt.Sprintf("%s#note_%d", mr.WebURL, res.NoteID)
	if s.Status != "" {
		st, err := c.SetCommitStatus(ctx, project, mr.SHA, CommitStatus{Name: s.StatusName, State: s.Status, Description: s.Description, TargetURL: res.URL})
		if err != nil {
			return res, err
		}
		res.CommitStatus = st
	}
	return res, nil
}

// Note is a posted note.
type Note struct {
	ID     int64  `json:"note_id"`
	URL    string `json:"url"`
	Action string `json:"action"` // created (PostNoteOnce: or existing)
}

// PostNote posts a plain note on merge request iid, under the same safety
// rules as the summary: neutralised, within the limit, never duplicated after
// a failed create (the same body by the same user since the call started is
// taken as ours), nothing written with a read_api token.
func (c *Client) PostNote(ctx context.Context, project string, iid int64, body string) (*Note, error) {
	op := fmt.Sprintf("post a note on !%d", iid)
	if strings.TrimSpace(body) == "" {
		return nil, &Error{Op: op, Kind: KindBadRequest, Message: "the body is empty"}
	}
	body, err := prepareBody(op, body)
	if err != nil {
		return nil, err
	}
	id, err := c.requireWrite(ctx, op)
	if err != nil {
		return nil, err
	}
	mr, err := c.GetMergeRequest(ctx, project, iid)
	if err != nil {
		return nil, err
	}
	// GitLab's clock may run behind ours: allow some skew. body is in the
	// form GitLab stores (prepareBody), so the note is recognised.
	since := time.Now().Add(-5 * time.Minute)
	mine := func(n *gl.Note) bool {
		return !n.System && n.Author.ID == id.User.ID && StoredBody(n.Body) == body && n.CreatedAt != nil && n.CreatedAt.After(since)
	}
	n, err := c.createNote(ctx, project, iid, body, mine)
	if err != nil {
		return nil, err
	}
	return &Note{ID: n.ID, URL: fmt.Sprintf("%s#note_%d", mr.WebURL, n.ID), Action: "created"}, nil
}

// noteKey is what a note key may hold: it goes into an HTML comment.
var noteKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// NoteKeyMarker is the hidden line PostNoteOnce adds to a note.
func NoteKeyMarker(key string) string { return "<!-- recce:note=" + key + " -->" }

// PostNoteOnce posts a plain note on merge request iid at most once per
// key, whatever happened before: a hidden marker made from key (an HTML
// comment, invisible in GitLab) is added to the body, and the notes are
// searched for it first. So a retry after a crash, a timeout or an
// ambiguous failure finds the note instead of posting it again, even
// hours later (PostNote's same-body rule only looks minutes back).
// Action is "created", or "existing" when the note was found.
func (c *Client) PostNoteOnce(ctx context.Context, project string, iid int64, body, key string) (*Note, error) {
	op := fmt.Sprintf("post a note on !%d", iid)
	if !noteKey.MatchString(key) {
		return nil, fmt.Errorf("%s: note key %q must be 1 to 100 letters, digits or ._:-", op, key)
	}
	if strings.TrimSpace(body) == "" {
		return nil, &Error{Op: op, Kind: KindBadRequest, Message: "the body is empty"}
	}
	marker := NoteKeyMarker(key)
	body, err := prepareBody(op, StoredBody(body)+"\n\n"+marker)
	if err != nil {
		return nil, err
	}
	n, mr, mine, err := c.markedNote(ctx, op, project, iid, marker)
	if err != nil {
		return nil, err
	}
	action := "existing"
	if n == nil {
		if n, err = c.createNote(ctx, project, iid, body, mine); err != nil {
			return nil, err
		}
		action = "created"
	}
	return &Note{ID: n.ID, URL: fmt.Sprintf("%s#note_%d", mr.WebURL, n.ID), Action: action}, nil
}

// markedNote checks that the token may write, then finds the token user's
// note carrying marker on !iid (nil when there is none yet). It returns the
// merge request too (its URL and head), and the match, for createNote to
// find the note again after a failed create.
func (c *Client) markedNote(ctx context.Context, op, project string, iid int64, marker string) (*gl.Note, *MergeRequest, func(*gl.Note) bool, error) {
	id, err := c.requireWrite(ctx, op)
	if err != nil {
		return nil, nil, nil, err
	}
	mr, err := c.GetMergeRequest(ctx, project, iid)
	if err != nil {
		return nil, nil, nil, err
	}
	mine := func(n *gl.Note) bool {
		return !n.System && n.Author.ID == id.User.ID && strings.Contains(n.Body, marker)
	}
	n, err := c.findNote(ctx, project, iid, mine)
	if err != nil {
		return nil, nil, nil, err
	}
	return n, mr, mine, nil
}

// findNote returns the oldest note matching mine, over every page.
func (c *Client) findNote(ctx context.Context, project string, iid int64, mine func(*gl.Note) bool) (*gl.Note, error) {
	o := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: perPage, Page: 1}}
	var found *gl.Note
	for {
		notes, resp, err := c.api.Notes.ListMergeRequestNotes(project, iid, o, ctxOpt(ctx, read))
		if err != nil {
			return nil, c.fail(fmt.Sprintf("list the notes of !%d (page %d)", iid, o.Page), err)
		}
		for _, n := range notes {
			if mine(n) && (found == nil || n.ID < found.ID) {
				found = n
			}
		}
		if resp.NextPage == 0 {
			return found, nil
		}
		o.Page = resp.NextPage
	}
}

// createNote creates a note without ever making two. The client does not
// retry a POST that may have reached GitLab, so on a failure that leaves the
// outcome unknown (timeout, 5xx, connection lost) the notes are listed again:
// if GitLab stored the note, that is the result; if not, the create is tried
// again, a bounded number of times.
func (c *Client) createNote(ctx context.Context, project string, iid int64, body string, mine func(*gl.Note) bool) (*gl.Note, error) {
	op := fmt.Sprintf("create a note on !%d", iid)
	return c.createOnce(ctx, op, project, iid, mine, func() (*gl.Note, *gl.Response, error) {
		return c.api.Notes.CreateMergeRequestNote(project, iid, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, ctxOpt(ctx, write))
	})
}

// createOnce runs create (a POST that makes a note: a plain note, or the
// first note of a thread) without ever making two: after a failure that
// leaves the outcome unknown, the notes are listed for one that mine
// recognises before create is tried again, a bounded number of times.
func (c *Client) createOnce(ctx context.Context, op, project string, iid int64, mine func(*gl.Note) bool, create func() (*gl.Note, *gl.Response, error)) (*gl.Note, error) {
	var last error
	for attempt := 1; attempt <= c.policy.CreateAttempts; attempt++ {
		n, resp, err := create()
		if err == nil {
			if resp.StatusCode == http.StatusAccepted || n == nil || n.ID == 0 {
				return nil, &Error{Op: op, Kind: KindBadRequest,
					Message: "GitLab ran the body as quick actions and created no note",
					Hint:    "this is a bug in recce: please report it"}
			}
			return n, nil
		}
		last = c.fail(op, err)
		if ge, ok := last.(*Error); ok && ge.Status == http.StatusBadRequest && strings.Contains(ge.Message, "Maximum number of comments exceeded") {
			ge.Kind = KindNotesLimit
			ge.Message = fmt.Sprintf("!%d holds GitLab's maximum of %d notes (system notes included): GitLab refuses every new comment on it", iid, MaxNotesPerMergeRequest)
			ge.Hint = "recce edits its notes in place, which still works, but cannot add one: delete old notes on the merge request, or continue the review in a new one"
			return nil, ge
		}
		if KindOf(last) == KindForbidden {
			return nil, c.explainForbidden(ctx, last, project, iid, "comment")
		}
		if !outcomeUnknown(KindOf(last)) || ctx.Err() != nil {
			return nil, last
		}
		c.log.Debug("note create failed, looking for it before trying again", "attempt", attempt, "kind", KindOf(last))
		found, ferr := c.findNote(ctx, project, iid, mine)
		if ferr != nil {
			return nil, errors.Join(last, ferr)
		}
		if found != nil {
			return found, nil
		}
		if attempt < c.policy.CreateAttempts {
			select {
			case <-time.After(c.backoff(c.policy.MinWait, c.policy.MaxWait, attempt, nil)):
			case <-ctx.Done():
				return nil, c.fail(op, ctx.Err())
			}
		}
	}
	return nil, last
}

// outcomeUnknown: failures after which GitLab may or may not have acted.
func outcomeUnknown(k Kind) bool {
	return k == KindTimeout || k == KindServer || k == KindUnreachable || k == KindOther
}

func (c *Client) updateNote(ctx context.Context, project string, iid, noteID int64, body string) error {
	// PUT of the same body is idempotent: safe for the client to retry.
	_, _, err := c.api.Notes.UpdateMergeRequestNote(project, iid, noteID, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, ctxOpt(ctx, idempotentWrite))
	if err != nil {
		e := c.fail(fmt.Sprintf("update note %d on !%d", noteID, iid), err)
		if KindOf(e) == KindForbidden {
			return c.explainForbidden(ctx, e, project, iid, "edit")
		}
		return e
	}
	return nil
}

// CommitStatus is a commit status to set.
type CommitStatus struct {
	Name        string // "" for DefaultStatusName
	State       string // pending, running, success, failed...
	Description string // "" for a default matching State
	TargetURL   string
}

// SetCommitStatus sets a commit status on sha: the merge gate (make it
// required with an external status check or "Pipelines must succeed").
// GitLab's refusals come back with what to do: a name taken by a CI job of
// the commit's pipeline, a commit on no branch of the project (a fork's
// merge request), a role or a project that does not allow it. A 409 (the
// status lock held by another request) is retried.
func (c *Client) SetCommitStatus(ctx context.Context, project, sha string, st CommitStatus) (*StatusResult, error) {
	if st.Name == "" {
		st.Name = DefaultStatusName
	}
	op := fmt.Sprintf("set the commit status %q on %s", st.Name, short(sha))
	if _, err := c.requireWrite(ctx, op); err != nil {
		return nil, err
	}
	description := st.Description
	if description == "" {
		description = "recce: no mismatch, all checks passed"
		if st.State == StatusFailed {
			description = "recce: mismatch found or a check failed; see the summary note"
		}
	}
	description = oneLine(description, 255)
	o := &gl.SetCommitStatusOptions{State: gl.BuildStateValue(st.State), Name: gl.Ptr(st.Name), Description: gl.Ptr(description)}
	if st.TargetURL != "" {
		o.TargetURL = gl.Ptr(st.TargetURL)
	}
	result := &StatusResult{Name: st.Name, State: st.State, SHA: sha, Description: description}
	// The 404 body tells a missing commit from a commit on no branch:
	// capture it, the client drops it.
	ctx, body404 := withBodyCapture(ctx)
	_, _, err := c.api.Commits.SetCommitStatus(project, sha, o, ctxOpt(ctx, statusWrite))
	if err == nil {
		return result, nil
	}
	e := c.fail(op, err).(*Error)
	switch {
	case e.Status == http.StatusBadRequest && strings.Contains(e.Message, "name has already been taken"):
		e.Kind = KindStatusNameTaken
		e.Message = fmt.Sprintf("GitLab refuses the commit status name %q on %s: the commit's newest pipeline has a CI job of that name, and GitLab keeps names unique within a pipeline (400: name has already been taken)", st.Name, short(sha))
		e.Hint = fmt.Sprintf("name the status after no CI job: recce gitlab post-summary --status-name NAME (recce server: --status-name NAME); the default %q is no job name of the documented .gitlab-ci.yml. Or rename the CI job %q", DefaultStatusName, st.Name)
	case e.Status == http.StatusBadRequest && (st.State == "pending" || st.State == "running") && strings.Contains(e.Message, "Cannot transition status via"):
		// Only pending and running statuses are reused: posting one over
		// the same state is refused, and means it is set already. (A
		// finished state posted twice makes a new status: no error.)
		return result, nil
	case e.Kind == KindNotFound && strings.Contains(string(body404.body), "References for commit"):
		e.Kind = KindNoBranch
		e.Message = fmt.Sprintf("GitLab will not take a commit status on %s: the commit is on no branch of %s and has no pipeline there (404 References for commit Not Found). The merge request comes from a fork", short(sha), project)
		e.Hint = "GitLab attaches commit statuses only to commits of the project's branches or pipelines: run recce in a merge request pipeline of the parent project (a maintainer can run the fork's merge request pipeline there) to gate the merge; meanwhile the job's exit status carries the verdict"
	case e.Kind == KindNotFound:
		e.Message = fmt.Sprintf("commit %s is not in project %s (404 Commit Not Found)", short(sha), project)
		e.Hint = "check --project (CI_PROJECT_ID) and the merge request"
	case e.Status == http.StatusConflict:
		e.Kind = KindConflict
		e.Message = fmt.Sprintf("another update to this commit status was in progress at each of %d tries (409)", c.policy.MaxRetries+1)
		e.Hint = "GitLab holds a lock per commit while it writes a status: run the command again"
	case e.Kind == KindForbidden:
		return nil, c.explainForbidden(ctx, e, project, 0, "status")
	}
	return nil, e
}

// CreateWebhook creates the project hook for merge request events, with the
// given secret (sent back by GitLab in X-Gitlab-Token). Needs Maintainer and api.
func (c *Client) CreateWebhook(ctx context.Context, project, hookURL, secret string) (int64, error) {
	op := "create the webhook on " + project
	if _, err := c.requireWrite(ctx, op); err != nil {
		return 0, err
	}
	h, _, err := c.api.Projects.AddProjectHook(project, &gl.AddProjectHookOptions{
		Name:                  gl.Ptr("recce"),
		URL:                   gl.Ptr(hookURL),
		Token:                 gl.Ptr(secret),
		MergeRequestsEvents:   gl.Ptr(true),
		NoteEvents:            gl.Ptr(false),
		PipelineEvents:        gl.Ptr(false),
		PushEvents:            gl.Ptr(false),
		EnableSSLVerification: gl.Ptr(true),
	}, ctxOpt(ctx, write))
	if err != nil {
		e := c.projectErr(op, project, err)
		switch ge, _ := e.(*Error); {
		case ge != nil && ge.Status == http.StatusUnprocessableEntity && strings.Contains(ge.Message, "Invalid url given"):
			ge.Kind = KindURLBlocked
			ge.Message = fmt.Sprintf("GitLab refuses the webhook address %s (422 Invalid url given): it is not http(s), or it points at a local or private network address, which GitLab refuses by default", hookURL)
			ge.Hint = "give an address GitLab can reach on a public network (recce server --public-url), or have a GitLab administrator allow it: Admin > Settings > Network > Outbound requests > \"Allow requests to the local network from webhooks and integrations\" (or add the host to the allowlist below it)"
		case KindOf(e) == KindForbidden:
			e = c.explainForbidden(ctx, e, project, 0, "webhook")
		}
		return 0, c.scrubErr2(e, secret)
	}
	return h.ID, nil
}

// DeleteWebhook removes the project hook that CreateWebhook made. A hook
// already gone (404) is not an error: deleting is idempotent, so the client
// may retry it.
func (c *Client) DeleteWebhook(ctx context.Context, project string, id int64) error {
	op := fmt.Sprintf("delete the webhook %d of %s", id, project)
	if _, err := c.requireWrite(ctx, op); err != nil {
		return err
	}
	_, err := c.api.Projects.DeleteProjectHook(project, id, ctxOpt(ctx, idempotentWrite))
	if err == nil {
		return nil
	}
	e := c.fail(op, err)
	switch KindOf(e) {
	case KindNotFound:
		return nil
	case KindForbidden:
		return c.explainForbidden(ctx, e, project, 0, "webhook")
	}
	return e
}

// WebhookRemoval tells what became of a connection's project webhook when
// the connection went or moved: deleted, or why not and where to delete it
// by hand.
type WebhookRemoval struct {
	ID          int64  `json:"id"`
	Deleted     bool   `json:"deleted"`
	Error       string `json:"error,omitempty"`
	SettingsURL string `json:"settings_url"`
}

// NewWebhookRemoval is the outcome of deleting webhook id of the project at
// projectPath on gitlabURL: err is nil when it was deleted.
func NewWebhookRemoval(gitlabURL, projectPath string, id int64, err error) *WebhookRemoval {
	r := &WebhookRemoval{ID: id, Deleted: err == nil, SettingsURL: strings.TrimRight(gitlabURL, "/") + "/" + projectPath + "/-/hooks"}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// scrubErr2 also removes the webhook secret from an error.
func (c *Client) scrubErr2(err error, secret string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Message, e.Hint = Scrub(e.Message, secret), Scrub(e.Hint, secret)
		return e
	}
	return errors.New(Scrub(err.Error(), c.token, secret))
}

func short(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}

func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > limit {
		r := []rune(s)
		s = string(r[:limit-1]) + "…"
	}
	return s
}
