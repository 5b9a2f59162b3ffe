package gitlab

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"
	"unicode"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// Kind classifies a failure by what the user has to do about it.
type Kind string

const (
	KindUnauthorized      Kind = "unauthorized"       // unknown token
	KindTokenExpired      Kind = "token_expired"      // 401, "Token is expired"
	KindTokenRevoked      Kind = "token_revoked"      // 401, "Token was revoked"
	KindInsufficientScope Kind = "insufficient_scope" // 403 for the token's scopes
	KindReadOnly          Kind = "read_only"          // we refused to write with a read_api token
	KindForbidden         Kind = "forbidden"          // 403 for the user's role
	KindNotFound          Kind = "not_found"
	KindBadRequest        Kind = "bad_request"
	KindRateLimited       Kind = "rate_limited"
	KindServer            Kind = "server_error"
	KindTimeout           Kind = "timeout"
	KindUnreachable       Kind = "unreachable"
	KindTLS               Kind = "tls"
	KindNotGitLab         Kind = "not_gitlab"
	KindRedirected        Kind = "redirected"      // a redirect to another origin, not followed
	KindRefusedAddress    Kind = "refused_address" // a link-local or metadata address
	KindTooLong           Kind = "too_long"
	KindOther             Kind = "other"

	KindArchived        Kind = "archived"          // 403: the project is archived, every write refused
	KindLocked          Kind = "locked"            // 403: the merge request's discussion is locked to members
	KindNotMember       Kind = "not_member"        // 403: a public or internal project read by a non-member
	KindStatusNameTaken Kind = "status_name_taken" // 400: a CI job of the pipeline has the status's name
	KindNoBranch        Kind = "no_branch"         // 404: the commit is on no branch of the project (a fork's)
	KindConflict        Kind = "conflict"          // 409: the commit status lock stayed held
	KindURLBlocked      Kind = "url_blocked"       // 422: GitLab refuses the webhook address
	KindNotesLimit      Kind = "notes_limit"       // 400: the merge request holds 5,000 notes
)

// Error is a GitLab failure with what to do about it. Its text never holds
// the token.
type Error struct {
	Op      string // what we were doing: "list the notes of !12"
	Kind    Kind
	Status  int    // HTTP status, 0 when there was no answer
	Message string // what went wrong, GitLab's words when it gave some
	Hint    string // what to do
	// Scope is the scope field of a 403 insufficient_scope answer: every
	// scope the endpoint accepts, not the one the token lacks.
	Scope string
	// RetryAfter is, for KindRateLimited, how long GitLab asks to wait
	// (Retry-After, RateLimit-Reset, or the notes rate limit's minute).
	RetryAfter time.Duration
	err        error
}

func (e *Error) Error() string {
	s := e.Op + ": " + e.Message
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns the underlying network or context error (never a client
// error object, whose text is not scrubbed).
func (e *Error) Unwrap() error { return e.err }

// Permanent reports whether a failure of this kind stays until someone
// acts (replaces the token, gives a role, unarchives the project, renames
// the status...): repeating the same request cannot help. Rate limits,
// server errors, timeouts and a held status lock pass.
func (k Kind) Permanent() bool {
	switch k {
	case KindUnauthorized, KindTokenExpired, KindTokenRevoked, KindInsufficientScope, KindReadOnly,
		KindForbidden, KindNotFound, KindBadRequest, KindTooLong, KindArchived, KindLocked, KindNotMember,
		KindStatusNameTaken, KindNoBranch, KindURLBlocked, KindNotesLimit, KindInvalidJobToken:
		return true
	}
	return false
}

// KindOf returns the Kind of a failure from this package (KindOther otherwise).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// gitlabBody is what GitLab puts in error answers: {"message": ...} or
// {"error", "error_description", "scope"}. message may be a string or an
// object of field errors.
type gitlabBody struct {
	Message     any    `json:"message"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Scope       string `json:"scope"`
}

// maxEchoedMessage bounds the part of GitLab's error message that is
// repeated in an error.
const maxEchoedMessage = 300

// parseErrorBody reads an error answer's body as GitLab's API writes it: a
// JSON object (Content-Type application/json) with no fields but GitLab's
// error fields. Anything else (an HTML page, a proxy's page, another
// service's JSON, a cloud metadata document) is not GitLab's, and its
// text is never repeated: ok is false, unless the body is empty.
func parseErrorBody(er *gl.ErrorResponse) (gitlabBody, bool) {
	var body gitlabBody
	if len(bytes.TrimSpace(er.Body)) == 0 {
		return body, true
	}
	if er.Response != nil {
		if mt, _, err := mime.ParseMediaType(er.Response.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return body, false
		}
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(er.Body, &fields) != nil {
		return body, false
	}
	for k := range fields {
		switch k {
		case "message", "error", "error_description", "scope", "state":
		default:
			return body, false
		}
	}
	if json.Unmarshal(er.Body, &body) != nil {
		return gitlabBody{}, false
	}
	return body, true
}

// clipText keeps the first n characters of s, on one line, without control
// characters.
func clipText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func (b gitlabBody) text() string {
	switch {
	case b.Description != "":
		return b.Description
	case b.Message != nil:
		return flatten(b.Message)
	default:
		return b.Error
	}
}

func flatten(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, x := range v {
			parts = append(parts, flatten(x))
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		var parts []string
		for k, x := range v {
			if k == "error" || k == "base" {
				parts = append(parts, flatten(x))
			} else {
				parts = append(parts, k+" "+flatten(x))
			}
		}
		return strings.Join(parts, "; ")
	default:
		return fmt.Sprint(v)
	}
}

// fail turns whatever the client returned into an *Error with a hint, and
// scrubs it.
func (c *Client) fail(op string, err error) error {
	e := &Error{Op: op, Kind: KindOther}
	var er *gl.ErrorResponse
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var redirect *RedirectError
	switch {
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message, e.err = KindTimeout, "canceled", err
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Kind, e.err = KindTimeout, err
		e.Message = "GitLab did not answer in time"
		e.Hint = "try again; if it keeps happening, check the instance's health and the network"
	case errors.As(err, &er):
		c.fromResponse(e, er)
	case errors.As(err, &redirect):
		e.Kind, e.err = KindRedirected, err
		e.Message = redirect.Error()
		e.Hint = "recce follows redirects only within the GitLab URL's own scheme, host and port"
	case errors.Is(err, ErrLinkLocal):
		var ll *linkLocalError
		errors.As(err, &ll)
		e.Kind, e.err = KindRefusedAddress, ErrLinkLocal
		e.Message = ll.Error()
		e.Hint = "give the instance's own address; link-local and metadata addresses are allowed only by the administrator's flag"
	case isTLSError(err):
		e.Kind, e.err = KindTLS, err
		e.Message = "TLS failure talking to " + c.url + ": " + tlsReason(err)
		e.Hint = "if your instance uses a private certificate authority, pass its CA bundle with --gitlab-ca-file"
	case isNoSuchHost(err) || isConnRefused(err) || isNetError(err):
		e.Kind, e.err = KindUnreachable, err
		e.Message = "cannot reach " + c.url + ": " + netReason(err)
		e.Hint = "check the URL (--gitlab-url, or CI_SERVER_URL in CI) and the network: proxy, VPN, firewall"
	case errors.As(err, &syn) || errors.As(err, &typ):
		e.Kind, e.err = KindNotGitLab, err
		e.Message = c.url + " does not answer like GitLab's API (the answer is not GitLab JSON)"
		e.Hint = "give the instance's address (https://gitlab.example.com, or with its sub-path), not a project or page URL"
	default:
		e.Message, e.err = err.Error(), err
	}
	e.Message = c.scrub(e.Message)
	e.Hint = c.scrub(e.Hint)
	return e
}

func (c *Client) fromResponse(e *Error, er *gl.ErrorResponse) {
	e.Status = er.StatusCode
	body, ok := parseErrorBody(er)
	if !ok && e.Status < 500 {
		e.Kind = KindNotGitLab
		e.Message = fmt.Sprintf("%s answered %d with something that is not a GitLab API error (not shown)", c.url, e.Status)
		e.Hint = "give the instance's address (https://gitlab.example.com, or with its sub-path)"
		return
	}
	msg := clipText(body.text(), maxEchoedMessage)
	if msg == "" {
		msg = fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	}
	e.Message = "GitLab answered " + msg
	if !strings.HasPrefix(msg, fmt.Sprint(e.Status)) {
		e.Message = fmt.Sprintf("GitLab answered %d: %s", e.Status, msg)
	}
	settings := c.TokenSettingsURL()
	switch {
	case e.Status == http.StatusUnauthorized && strings.Contains(strings.ToLower(body.Description), "expired"):
		e.Kind = KindTokenExpired
		e.Message = "the GitLab token has expired"
		e.Hint = "create a new token with the api scope at " + settings + " and replace the old one (RECCE_GITLAB_TOKEN, or recce gitlab connect)"
	case e.Status == http.StatusUnauthorized && strings.Contains(strings.ToLower(body.Description), "revoked"):
		e.Kind = KindTokenRevoked
		e.Message = "the GitLab token was revoked"
		e.Hint = "create a new token with the api scope at " + settings + " and replace the old one; never use a rotated-away token again: GitLab then revokes its replacement too"
	case e.Status == http.StatusUnauthorized:
		e.Kind = KindUnauthorized
		e.Message = "GitLab does not accept the token (401 Unauthorized): it is mistyped, deleted, or for another instance"
		e.Hint = "check RECCE_GITLAB_TOKEN / --token-file and --gitlab-url, or create a token with the api scope at " + settings
	case e.Status == http.StatusForbidden && body.Error == "insufficient_scope":
		e.Kind, e.Scope = KindInsufficientScope, body.Scope
		e.Message = "the token's scopes do not allow this (403 insufficient_scope)"
		e.Hint = "create a token with the api scope at " + settings
	case e.Status == http.StatusForbidden:
		// Write paths replace this with explainForbidden's diagnosis
		// (archived project, locked discussion, no membership, role).
		e.Kind = KindForbidden
		e.Hint = "the token's user lacks the role for this on the project: ask a project Owner for the Maintainer role"
	case e.Status == http.StatusNotFound:
		e.Kind = KindNotFound
	case e.Status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.Message = fmt.Sprintf("GitLab's rate limit was still in force after %d retries", c.policy.MaxRetries)
		if c.policy.NoRateLimitWait {
			e.Message = "GitLab's rate limit is in force"
		}
		if er.Response != nil {
			e.RetryAfter = c.rateLimitWait(er.Response.Header, c.policy.MinWait)
		}
		e.Hint = "creating notes is limited to 60 a minute per user on gitlab.com (300 by default on self-managed): wait a minute and run the command again"
		if er.Response != nil && er.Response.Header.Get("Retry-After") != "" {
			e.Hint = fmt.Sprintf("GitLab asks to wait %s (Retry-After); creating notes is limited to 60 a minute per user on gitlab.com (300 by default on self-managed): run the command again then", e.RetryAfter.Round(time.Second))
		}
	case e.Status >= 500:
		e.Kind = KindServer
		e.Hint = "GitLab or a proxy in front of it failed; try again later"
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity:
		e.Kind = KindBadRequest
	}
}

// tokenPattern matches GitLab token formats, scrubbed as a second line of
// defence in case a token other than ours shows up in a message.
var tokenPattern = regexp.MustCompile(`\b(glpat|glptt|gldt|glrt|glcbt|glsoat|gloas|glimt|glagent|glffct|glft)-[A-Za-z0-9_.\-]{8,}`)

// scrub removes the token from s.
func (c *Client) scrub(s string) string {
	return Scrub(s, c.token)
}

// Scrub removes the given secrets, and anything shaped like a GitLab token,
// from s.
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return tokenPattern.ReplaceAllString(s, "[REDACTED]")
}

// scrubErr returns an error whose text is scrubbed (for errors not built by fail).
func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(c.scrub(err.Error()))
}

// ---- network error classes ----

func isTLSError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) ||
		errors.As(err, &rh) || errors.As(err, &alert) || strings.Contains(err.Error(), "tls: ")
}

func tlsReason(err error) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &ua):
		return "the certificate is signed by an unknown authority"
	case errors.As(err, &he):
		return "the certificate is not valid for this host name (" + he.Host + ")"
	case errors.As(err, &ci):
		return "the certificate is invalid (expired or not yet valid?)"
	case errors.As(err, &rh):
		return "the server does not speak TLS (try http://, or the right port)"
	}
	return "handshake failed"
}

func isNoSuchHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

func isConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

func isNetError(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns) || errors.Is(err, syscall.ECONNRESET)
}

// isRefusedDestination: a redirect or an address this client refuses;
// trying again changes nothing.
func isRefusedDestination(err error) bool {
	var redirect *RedirectError
	return errors.As(err, &redirect) || errors.Is(err, ErrLinkLocal)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func netReason(err error) string {
	switch {
	case isNoSuchHost(err):
		return "no such host"
	case isConnRefused(err):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	return "network error"
}

// errorClass is a short, secret-free name of a transport error for logs.
func errorClass(err error) string {
	switch {
	case isTimeout(err):
		return "timeout"
	case isTLSError(err):
		return "tls"
	case isNoSuchHost(err):
		return "no such host"
	case isConnRefused(err):
		return "connection refused"
	}
	return "network"
}
