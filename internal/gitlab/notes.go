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

// CommitStatusName is the name of the commit status recce sets.
const CommitStatusName = "recce"

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
	// Status, when not "", is also set as the commit status "recce" on the
	// merge request's head commit: StatusSuccess or StatusFailed.
	Status string
	// Description of the commit status (one line, 255 characters at most);
	// "" for a default that matches Status.
	Description string
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

// prepareBody makes a body safe to post: quick actions neutralised, within
// GitLab's length limit.
func prepareBody(op, body string) (string, error) {
	body = markdown.NeutralizeQuickActions(body)
	if n := utf8.RuneCountInString(body); n > MaxNoteLength {
		return "", &Error{Op: op, Kind: KindTooLong,
			Message: fmt.Sprintf("the body is %d characters, over GitLab's limit of %d for a note", n, MaxNoteLength),
			Hint:    "it is not cut, which could break its tables and code blocks: let `recce run --summary` render the summary (it shortens its own output by its rules), or shorten the file"}
	}
	return body, nil
}

// SummaryBody is the body PostSummary posts for body: neutralised, with the
// marker. The server stores its hash to tell whether a new post is needed.
func SummaryBody(body string) string {
	body = markdown.NeutralizeQuickActions(strings.TrimRight(body, "\n"))
	if !strings.Contains(body, SummaryMarker) {
		body = SummaryMarker + "\n\n" + body
	}
	return body + "\n"
}

// BodyHash is the hash of a posted body, for stores.
func BodyHash(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:])
}

// PostSummary keeps exactly one summary note on merge request iid: it finds
// recce's note (marker and author, over every page of notes), edits it when
// the body changed, does nothing when it did not, creates it otherwise. With
// s.Status it also sets the commit status "recce" on the head commit. A
// read_api token makes no write request and gets KindReadOnly.
func (c *Client) PostSummary(ctx context.Context, project string, iid int64, s Summary) (*PostResult, error) {
	op := fmt.Sprintf("post the summary on !%d", iid)
	body := SummaryBody(s.Body)
	if _, err := prepareBody(op, body); err != nil {
		return nil, err
	}
	if s.Status != "" && s.Status != StatusSuccess && s.Status != StatusFailed {
		return nil, fmt.Errorf("%s: commit status %q is not %s or %s", op, s.Status, StatusSuccess, StatusFailed)
	}
	existing, mr, mine, err := c.markedNote(ctx, op, project, iid, SummaryMarker)
	if err != nil {
		return nil, err
	}
	res := &PostResult{}
	switch {
	case existing == nil:
		n, err := c.createNote(ctx, project, iid, body, mine)
		if err != nil {
			return nil, err
		}
		res.Action, res.NoteID = "created", n.ID
		if n.Body != body { // found after a failed create, from an older body
			if err := c.updateNote(ctx, project, iid, n.ID, body); err != nil {
				return nil, err
			}
		}
	case existing.Body == body:
		res.Action, res.NoteID = "unchanged", existing.ID
	default:
		if err := c.updateNote(ctx, project, iid, existing.ID, body); err != nil {
			return nil, err
		}
		res.Action, res.NoteID = "updated", existing.ID
	}
	res.URL = fmt.Sprintf("%s#note_%d", mr.WebURL, res.NoteID)
	if s.Status != "" {
		st, err := c.SetCommitStatus(ctx, project, mr.SHA, s.Status, s.Description, res.URL)
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
	// GitLab's clock may run behind ours: allow some skew.
	since := time.Now().Add(-5 * time.Minute)
	mine := func(n *gl.Note) bool {
		return !n.System && n.Author.ID == id.User.ID && n.Body == body && n.CreatedAt != nil && n.CreatedAt.After(since)
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
	body, err := prepareBody(op, strings.TrimRight(body, "\n")+"\n\n"+marker+"\n")
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
	var last error
	for attempt := 1; attempt <= c.policy.CreateAttempts; attempt++ {
		n, resp, err := c.api.Notes.CreateMergeRequestNote(project, iid, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, ctxOpt(ctx, write))
		if err == nil {
			if resp.StatusCode == http.StatusAccepted || n.ID == 0 {
				return nil, &Error{Op: op, Kind: KindBadRequest,
					Message: "GitLab ran the body as quick actions and created no note",
					Hint:    "this is a bug in recce: please report it"}
			}
			return n, nil
		}
		last = c.fail(op, err)
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
			e.(*Error).Hint = "only a note's author can edit it: post with the same token that created the summary"
		}
		return e
	}
	return nil
}

// SetCommitStatus sets the commit status "recce" on sha: the merge gate
// (make it required with an external status check or "Pipelines must
// succeed"). description "" takes a default matching state.
func (c *Client) SetCommitStatus(ctx context.Context, project, sha, state, description, targetURL string) (*StatusResult, error) {
	op := "set the commit status " + CommitStatusName + " on " + short(sha)
	if _, err := c.requireWrite(ctx, op); err != nil {
		return nil, err
	}
	if description == "" {
		description = "recce: no mismatch, all checks passed"
		if state == StatusFailed {
			description = "recce: mismatch found or a check failed; see the summary note"
		}
	}
	description = oneLine(description, 255)
	o := &gl.SetCommitStatusOptions{State: gl.BuildStateValue(state), Name: gl.Ptr(CommitStatusName), Description: gl.Ptr(description)}
	if targetURL != "" {
		o.TargetURL = gl.Ptr(targetURL)
	}
	// Setting the same state twice is harmless: the client may retry it.
	_, _, err := c.api.Commits.SetCommitStatus(project, sha, o, ctxOpt(ctx, idempotentWrite))
	if err != nil {
		e := c.fail(op, err)
		var ge *Error
		if errors.As(e, &ge) && ge.Status == http.StatusBadRequest && strings.Contains(ge.Message, "Cannot transition status") {
			// The status already is in that state: done.
			return &StatusResult{Name: CommitStatusName, State: state, SHA: sha, Description: description}, nil
		}
		if KindOf(e) == KindForbidden {
			ge.Hint = "commit statuses need the Developer role or higher: ask a project Owner for the Maintainer role"
		}
		return nil, e
	}
	return &StatusResult{Name: CommitStatusName, State: state, SHA: sha, Description: description}, nil
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
		if KindOf(e) == KindForbidden {
			e.(*Error).Hint = "creating a webhook needs the Maintainer role on the project"
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
		e.(*Error).Hint = "deleting a webhook needs the Maintainer role on the project"
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
