package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	xterm "golang.org/x/term"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/store"
	"gitlab.com/recce-go/recce/internal/summary"
	"gitlab.com/recce-go/recce/internal/term"
)

// Purposes bound to sealed secrets (see secret.Box.Seal), shared with the server.
const (
	purposeToken         = gitlab.SecretPurposeToken
	purposeWebhookSecret = gitlab.SecretPurposeWebhookSecret
)

// gitlabCLI holds the flags shared by the gitlab subcommands.
type gitlabCLI struct {
	a         *app
	url       string
	project   string
	tokenFile string
	caFile    string
	dataDir   string
	// databaseURL is recce server's --database-url (else RECCE_DATABASE_URL).
	databaseURL string
	debug       bool
	// allowLinkLocal: --allow-link-local-gitlab.
	allowLinkLocal bool
	retry          gitlab.RetryPolicy
}

// gitlabRetry is the retry policy of the gitlab commands: the defaults (waits
// of seconds, a minute for the notes rate limit). Tests shrink the waits.
var gitlabRetry gitlab.RetryPolicy

func (a *app) gitlabCmd() *cobra.Command {
	g := &gitlabCLI{a: a, retry: gitlabRetry}
	cmd := &cobra.Command{
		Use:   "gitlab",
		Short: "GitLab integration: check the token, list merge requests, post summaries and notes",
		Long: `Connect recce to a GitLab project with a personal, project or group access token.

With the api scope recce tracks merge requests and posts its summaries and
notes on them; with read_api it only tracks them. In a GitLab merge request
pipeline no flag is needed: the token comes from the masked variable
RECCE_GITLAB_TOKEN, the instance, project and merge request from CI_API_V4_URL,
CI_PROJECT_ID and CI_MERGE_REQUEST_IID.

The token is never taken as a flag value (it would end up in shell history
and process lists): use RECCE_GITLAB_TOKEN, --token-file, or the connection
stored by "recce gitlab connect".`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&g.url, "gitlab-url", "", "GitLab instance URL (default: CI_API_V4_URL or CI_SERVER_URL, the stored connection, else https://gitlab.com)")
	pf.StringVar(&g.project, "project", "", "project id or group/project path (default: CI_PROJECT_ID, else the stored connection)")
	pf.StringVar(&g.tokenFile, "token-file", "", "read the token from this file (default: RECCE_GITLAB_TOKEN, else the stored connection)")
	pf.StringVar(&g.caFile, "gitlab-ca-file", "", "PEM bundle of extra certificate authorities (self-managed GitLab behind a private CA)")
	pf.StringVar(&g.dataDir, "data-dir", "", "where recce keeps its data (default: $XDG_DATA_HOME/recce or ~/.local/share/recce)")
	pf.StringVar(&g.databaseURL, "database-url", "", "the team server's PostgreSQL database (default: RECCE_DATABASE_URL, else SQLite in the data directory)")
	pf.BoolVar(&g.debug, "debug", false, "log each GitLab request (method, path, status) to standard error")
	pf.BoolVar(&g.allowLinkLocal, "allow-link-local-gitlab", false, "let the GitLab URL lead to a link-local or cloud metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254), refused by default")
	cmd.AddCommand(g.doctorCmd(), g.mrsCmd(), g.postSummaryCmd(), g.noteCmd(), g.connectCmd(), g.disconnectCmd(), g.syncCmd(), g.fetchBaseCmd())
	return cmd
}

func (g *gitlabCLI) env(k string) string {
	if g.a.getenv == nil {
		return ""
	}
	return strings.TrimSpace(g.a.getenv(k))
}

func (g *gitlabCLI) logger() *slog.Logger {
	if !g.debug {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(g.a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// ciURL is the instance from GitLab CI's variables.
func (g *gitlabCLI) ciURL() string {
	if u := g.env("CI_API_V4_URL"); u != "" {
		return u
	}
	return g.env("CI_SERVER_URL")
}

// session is a resolved GitLab target: a client, the project, and the store
// when the token came from the stored connection.
type session struct {
	client  *gitlab.Client
	project string
	store   *store.Store      // nil unless opened
	conn    *store.Connection // nil unless the token came from the store
}

func (s *session) Close() {
	if s.store != nil {
		s.store.Close()
	}
}

// readTokenFile reads a token file; the error never quotes its content.
func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read --token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("--token-file %s is empty", path)
	}
	if strings.ContainsAny(tok, "\r\n\t ") {
		return "", fmt.Errorf("--token-file %s holds more than one line or word; it must hold the token only", path)
	}
	return tok, nil
}

// open resolves the token, the URL and the project: a token from
// --token-file or RECCE_GITLAB_TOKEN goes with --gitlab-url (else the CI
// variables, else gitlab.com); the stored connection's token goes only to
// its own instance, so that a flag can never send it elsewhere.
func (g *gitlabCLI) open(ctx context.Context, needProject bool) (*session, error) {
	s := &session{}
	token, url := "", g.url
	switch {
	case g.tokenFile != "":
		t, err := readTokenFile(g.tokenFile)
		if err != nil {
			return nil, err
		}
		token = t
	case g.env("RECCE_GITLAB_TOKEN") != "":
		token = g.env("RECCE_GITLAB_TOKEN")
	default:
		st, conn, box, err := g.openStored(ctx)
		if err != nil {
			return nil, err
		}
		s.store, s.conn = st, conn
		plain, err := box.Open(conn.TokenSealed, purposeToken)
		if err != nil {
			s.Close()
			return nil, err
		}
		token = string(plain)
		if url != "" {
			want, _ := gitlab.NormalizeURL(url)
			if want != conn.GitLabURL {
				s.Close()
				return nil, fmt.Errorf("the stored token is for %s, not %s: pass the token for that instance with RECCE_GITLAB_TOKEN or --token-file, or run `recce gitlab connect --gitlab-url %s`", conn.GitLabURL, want, want)
			}
		}
		url = conn.GitLabURL
	}
	if url == "" {
		url = g.ciURL()
	}
	s.project = g.project
	if s.project == "" {
		s.project = g.env("CI_PROJECT_ID")
	}
	if s.project == "" && s.conn != nil {
		s.project = strconv.FormatInt(s.conn.ProjectID, 10)
	}
	if needProject && s.project == "" {
		s.Close()
		return nil, errors.New("no project: pass --project with the numeric id or the group/project path (in GitLab CI, CI_PROJECT_ID is used)")
	}
	c, err := gitlab.New(gitlab.Options{URL: url, Token: token, CAFile: g.caFile, Retry: g.retry, Logger: g.logger(), AllowLinkLocal: g.allowLinkLocal})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.client = c
	return s, nil
}

// openStored opens the store and reads the connection and the key.
func (g *gitlabCLI) openStored(ctx context.Context) (*store.Store, *store.Connection, *secret.Box, error) {
	st, err := g.openStore(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	conn, err := st.Connection(ctx)
	if errors.Is(err, store.ErrNotConnected) {
		st.Close()
		return nil, nil, nil, errors.New("no GitLab token: set RECCE_GITLAB_TOKEN (a masked CI/CD variable in GitLab CI), pass --token-file, or run `recce gitlab connect`")
	}
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	box, err := secret.Load(g.a.getenv, "")
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, conn, box, nil
}

func (g *gitlabCLI) openStore(ctx context.Context) (*store.Store, error) {
	dir := g.dataDir
	if dir == "" {
		d, err := store.DefaultDataDir(g.a.getenv)
		if err != nil {
			return nil, err
		}
		dir = d
	}
	// The same database as recce server's: a team on PostgreSQL connects
	// and syncs its one shared connection from here too.
	st, _, err := g.a.openServerStore(ctx, dir, g.databaseURL)
	return st, err
}

// mrIID is --mr, else CI_MERGE_REQUEST_IID.
func (g *gitlabCLI) mrIID(flag int64) (int64, error) {
	if flag > 0 {
		return flag, nil
	}
	v := g.env("CI_MERGE_REQUEST_IID")
	if v == "" {
		return 0, errors.New("no merge request: pass --mr, or run in a merge request pipeline (CI_MERGE_REQUEST_IID is set only there: give the job `rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"`)")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("CI_MERGE_REQUEST_IID %q is not a merge request number", v)
	}
	return n, nil
}

// ---- doctor ----

func (g *gitlabCLI) doctorCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the GitLab connection: token, scopes, expiry, project, role",
		Long: `Check everything the GitLab integration needs and say what to do about each
problem: the URL answers as GitLab, the token is valid (not expired, not
revoked), its scopes (api to post summaries and notes, read_api to only track
merge requests), its expiry, the project, and the token user's role (Maintainer
or Owner). Exit status 0 when the connection is usable, 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer s.Close()
			r, err := s.client.Check(cmd.Context(), s.project)
			if err != nil {
				return err
			}
			if s.conn != nil {
				b, _ := json.Marshal(r)
				_ = s.store.UpdateConnectionCheck(cmd.Context(), string(r.Mode), string(b), r.CheckedAt)
			}
			if format == "json" {
				if err := writeJSON(g.a.stdout, r); err != nil {
					return err
				}
			} else {
				printReport(g.a.stdout, r)
			}
			if !r.OK {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

// printReport writes the connection check for people: a summary, then a
// table of checks with ✓ / ! / ✗ and each hint under its check.
func printReport(w io.Writer, r *gitlab.Report) {
	fmt.Fprintf(w, "%s  %s\n", term.Bold(w, "GitLab "), r.GitLabURL)
	if r.User != nil {
		fmt.Fprintf(w, "%s  %s (id %d)\n", term.Bold(w, "User   "), r.User.Username, r.User.ID)
	}
	if t := r.Token; t != nil {
		scopes := strings.Join(t.Scopes, ", ")
		if t.Granular {
			scopes = "fine-grained"
		}
		exp := "no expiry"
		if t.ExpiresAt != "" {
			exp = "expires " + t.ExpiresAt
			if t.DaysLeft != nil {
				exp += fmt.Sprintf(" (%d days)", *t.DaysLeft)
			}
		}
		fmt.Fprintf(w, "%s  %s, scopes %s, %s\n", term.Bold(w, "Token  "), t.Name, scopes, exp)
	}
	if p := r.Project; p != nil {
		fmt.Fprintf(w, "%s  %s (id %d), role %s\n", term.Bold(w, "Project"), p.Path, p.ID, p.Role)
	}
	mode := string(r.Mode)
	switch r.Mode {
	case gitlab.ModeFull:
		mode = term.Green(w, mode) + ": merge requests tracked, summaries and notes posted"
	case gitlab.ModeReadOnly:
		mode = term.Yellow(w, mode) + ": merge requests tracked, summaries and notes NOT posted"
	default:
		mode = term.Red(w, mode) + ": the token cannot be used"
	}
	fmt.Fprintf(w, "%s  %s\n\n", term.Bold(w, "Mode   "), mode)

	t := term.NewTable(w)
	for _, c := range r.Checks {
		mark := term.Green(w, "✓")
		switch {
		case !c.OK && c.Severity == gitlab.SeverityError:
			mark = term.Red(w, "✗")
		case !c.OK || c.Severity == gitlab.SeverityWarning:
			mark = term.Yellow(w, "!")
		}
		t.Row(mark, c.Name, c.Message)
		if c.Hint != "" && (!c.OK || c.Severity != gitlab.SeverityInfo) {
			t.Row("", "", term.Gray(w, "→ "+c.Hint))
		}
	}
	_ = t.Flush()
	fmt.Fprintln(w)
	switch {
	case r.OK && r.Mode == gitlab.ModeReadOnly:
		fmt.Fprintln(w, term.Yellow(w, "Usable, read only: summaries and notes will not be posted (the api scope is needed)."))
	case r.OK:
		fmt.Fprintln(w, term.Green(w, "The connection is usable."))
	default:
		fmt.Fprintln(w, term.Red(w, "The connection is not usable: fix the ✗ checks above."))
	}
}

// ---- mrs ----

func (g *gitlabCLI) mrsCmd() *cobra.Command {
	var format, state string
	cmd := &cobra.Command{
		Use:   "mrs",
		Short: "List the project's merge requests (every page)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch state {
			case "opened", "merged", "closed", "locked", "all":
			default:
				return fmt.Errorf("--state %q is not one of opened|merged|closed|locked|all", state)
			}
			s, err := g.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			bar := term.NewProgress(g.a.stderr, "merge requests", -1)
			mrs, err := s.client.ListMergeRequests(cmd.Context(), s.project, gitlab.ListOptions{State: state, OnPage: func(n int) { bar.Describe(fmt.Sprintf("%d merge requests", n)) }})
			bar.Done()
			if err != nil {
				return err
			}
			if mrs == nil {
				mrs = []gitlab.MergeRequest{}
			}
			if format == "json" {
				return writeJSON(g.a.stdout, mrs)
			}
			w := g.a.stdout
			if len(mrs) == 0 {
				fmt.Fprintf(w, "No %s merge requests in %s.\n", state, s.project)
				return nil
			}
			t := term.NewTable(w, "IID", "STATE", "TITLE", "BRANCHES", "AUTHOR", "UPDATED").AlignRight(0)
			for i := len(mrs) - 1; i >= 0; i-- { // most recently updated first
				m := mrs[i]
				title := m.Title
				if m.Draft && !strings.HasPrefix(strings.ToLower(title), "draft") {
					title = "Draft: " + title
				}
				t.Row("!"+strconv.FormatInt(m.IID, 10), m.State, truncate(title, 60), m.SourceBranch+" → "+m.TargetBranch, m.Author, m.UpdatedAt.Format("2006-01-02 15:04"))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&state, "state", "opened", "opened|merged|closed|locked|all")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ---- post-summary and note ----

// postSummaryOptions are the flags of recce gitlab post-summary.
type postSummaryOptions struct {
	format, summaryFile, statusName string
	mr                              int64
	withStatus, threads             bool
}

func (g *gitlabCLI) postSummaryCmd() *cobra.Command {
	var o postSummaryOptions
	cmd := &cobra.Command{
		Use:   "post-summary [STATE_FILE]",
		Short: "Post the summary as one note on the merge request, edited in place on later runs",
		Long: `Post the validation summary on the merge request as ONE note, found again on
every later run (a hidden marker and the token user's id) and edited only when
the summary changed. With --commit-status, also set a commit status (named
` + gitlab.DefaultStatusName + `, or --status-name) on the merge request's head
commit: success when the state has no mismatch and no failed check, failed
otherwise. The status name must not be the name of a CI job of the pipeline:
GitLab refuses it.

The summary comes from --summary-file (markdown rendered by recce run
--summary; it carries its status in a <!-- recce:status=... --> line) or from
a state file. A read_api token writes nothing and exits 1.

With --threads (STATE_FILE only), also keep one resolvable thread per check
that found a mismatch or did not complete, resolved when the check passes or
is approved, reopened when it fails again (unless a person resolved it). With
GitLab's "All threads must be resolved" setting, mismatches then hold the merge
until someone looks.

On a fork's merge request GitLab takes no commit status (the commit is on no
branch of the project): the note is posted, recce says so, and the exit status
carries the verdict instead (1 when the summary is failed).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return g.runPostSummary(cmd.Context(), o, args) },
	}
	f := cmd.Flags()
	f.StringVar(&o.summaryFile, "summary-file", "", "markdown summary to post")
	f.Int64Var(&o.mr, "mr", 0, "merge request IID (default: CI_MERGE_REQUEST_IID)")
	f.BoolVar(&o.withStatus, "commit-status", false, "also set a commit status on the merge request's head commit")
	f.StringVar(&o.statusName, "status-name", gitlab.DefaultStatusName, "name of the commit status (never the name of a CI job: GitLab refuses it)")
	f.BoolVar(&o.threads, "threads", false, "also keep one resolvable thread per check that found a mismatch or did not complete (needs STATE_FILE)")
	addFormatFlag(cmd, &o.format, "text", "json")
	return cmd
}

func (g *gitlabCLI) runPostSummary(ctx context.Context, o postSummaryOptions, args []string) error {
	var body, gate string
	var threads []summary.Thread
	switch {
	case len(args) == 1 && o.summaryFile != "":
		return errors.New("give either --summary-file or STATE_FILE, not both")
	case o.threads && len(args) == 0:
		return errors.New("--threads needs STATE_FILE: a summary file does not say what each check found")
	case len(args) == 1:
		res, st, err := summaryFromState(args[0])
		if err != nil {
			return err
		}
		body, gate = res.Markdown, st
		if o.threads {
			threads = res.Data.Threads()
		}
	case o.summaryFile != "":
		b, err := os.ReadFile(o.summaryFile)
		if err != nil {
			return fmt.Errorf("read --summary-file: %w", err)
		}
		body = string(b)
		if o.withStatus {
			st, err := gitlab.SummaryStatus(body)
			if err != nil {
				return fmt.Errorf("--summary-file %s: %w", o.summaryFile, err)
			}
			gate = st
		}
	default:
		return errors.New("nothing to post: give STATE_FILE or --summary-file FILE (render one with `recce run --summary summary.md`)")
	}
	if strings.TrimSpace(body) == "" {
		return errors.New("the summary is empty")
	}
	if strings.TrimSpace(o.statusName) == "" {
		return errors.New("--status-name is empty: give the commit status a name that no CI job has")
	}
	if !o.withStatus {
		gate = ""
	}
	iid, err := g.mrIID(o.mr)
	if err != nil {
		return err
	}
	s, err := g.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.client.PostSummary(ctx, s.project, iid, gitlab.Summary{Body: body, Status: gate, StatusName: o.statusName,
		// The note starts with what changed since the previous summary,
		// which the previous note remembers.
		Compose: func(previous, head string) string { return summary.WithHistory(body, previous, head) }})
	if res == nil {
		return err
	}
	if s.store != nil {
		_ = s.store.RecordSummaryNote(ctx, s.conn.ProjectID, iid, res.NoteID, gitlab.BodyHash(gitlab.SummaryBody(body)), time.Now())
	}
	// The note is posted; the status may have failed (err). The threads
	// are notes: they go either way.
	var tres *gitlab.ThreadsResult
	var terr error
	if o.threads {
		tres, terr = s.client.SyncThreads(ctx, s.project, iid, threads)
	}
	if o.format == "json" {
		out := struct {
			*gitlab.PostResult
			CommitStatusError string                `json:"commit_status_error,omitempty"`
			Threads           *gitlab.ThreadsResult `json:"threads,omitempty"`
		}{PostResult: res, Threads: tres}
		if err != nil {
			out.CommitStatusError = err.Error()
		}
		if werr := writeJSON(g.a.stdout, out); werr != nil {
			return werr
		}
	} else {
		g.printPosted(iid, res)
		if tres != nil {
			fmt.Fprintf(g.a.stdout, "Threads on !%d: %d opened, %d reopened, %d edited, %d resolved; %d open.\n", iid, tres.Opened, tres.Reopened, tres.Updated, tres.Resolved, tres.Open)
		}
	}
	if terr != nil {
		return terr
	}
	switch {
	case err == nil:
		return nil
	case gitlab.KindOf(err) == gitlab.KindNoBranch:
		fmt.Fprintf(g.a.stderr, "%s %v\n", term.Yellow(g.a.stderr, "warning:"), err)
		if gate == gitlab.StatusFailed {
			return &exitError{code: 1, err: errors.New("no commit status on a fork's merge request, and the summary is failed: this job's exit status is the gate")}
		}
		return nil
	}
	return err
}

// printPosted says what post-summary did.
func (g *gitlabCLI) printPosted(iid int64, res *gitlab.PostResult) {
	w := g.a.stdout
	switch res.Action {
	case "created":
		fmt.Fprintf(w, "%s summary note on !%d: %s\n", term.Green(w, "Created"), iid, res.URL)
	case "updated":
		fmt.Fprintf(w, "%s summary note on !%d: %s\n", term.Green(w, "Updated"), iid, res.URL)
	default:
		fmt.Fprintf(w, "Summary note on !%d is already up to date: %s\n", iid, res.URL)
	}
	if st := res.CommitStatus; st != nil {
		paint := term.Green
		if st.State == gitlab.StatusFailed {
			paint = term.Red
		}
		fmt.Fprintf(w, "Commit status %s: %s on %.8s (%s)\n", st.Name, paint(w, st.State), st.SHA, st.Description)
	}
}

// summaryFromState renders the summary and the gate status of a state file.
// Wiring the summary renderer (internal/summary) is this function only: it
// returns the rendering and gitlab.StatusSuccess or gitlab.StatusFailed.
func summaryFromState(path string) (*summary.Result, string, error) {
	st, err := check.Load(path)
	if err != nil {
		return nil, "", err
	}
	// Room for the marker line SummaryBody puts above the summary, and for
	// what WithHistory adds.
	res, err := summary.Render(st, summary.Options{MaxChars: gitlab.MaxNoteLength - len(gitlab.SummaryMarker) - 2 - summary.HistoryReserve})
	if err != nil {
		return nil, "", err
	}
	if summary.Status(st) == summary.StatusSuccess {
		return res, gitlab.StatusSuccess, nil
	}
	return res, gitlab.StatusFailed, nil
}

func (g *gitlabCLI) noteCmd() *cobra.Command {
	var format, bodyFile string
	var mr int64
	cmd := &cobra.Command{
		Use:   "note --body-file FILE",
		Short: "Post a plain note on the merge request (quick actions neutralised)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if bodyFile == "" {
				return errors.New("give the note's markdown with --body-file FILE (- for standard input)")
			}
			var b []byte
			var err error
			if bodyFile == "-" {
				b, err = io.ReadAll(io.LimitReader(g.a.stdin, 4*gitlab.MaxNoteLength+1))
			} else {
				b, err = os.ReadFile(bodyFile)
			}
			if err != nil {
				return fmt.Errorf("read --body-file: %w", err)
			}
			iid, err := g.mrIID(mr)
			if err != nil {
				return err
			}
			s, err := g.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer s.Close()
			n, err := s.client.PostNote(cmd.Context(), s.project, iid, string(b))
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(g.a.stdout, n)
			}
			fmt.Fprintf(g.a.stdout, "%s note on !%d: %s\n", term.Green(g.a.stdout, "Posted"), iid, n.URL)
			return nil
		},
	}
	cmd.Flags().StringVar(&bodyFile, "body-file", "", "markdown of the note (- for standard input)")
	cmd.Flags().Int64Var(&mr, "mr", 0, "merge request IID (default: CI_MERGE_REQUEST_IID)")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

// ---- connect, disconnect, sync ----

// readTokenInput reads the token from --token-file or standard input, without
// echo on a terminal.
func (g *gitlabCLI) readTokenInput() (string, error) {
	if g.tokenFile != "" {
		return readTokenFile(g.tokenFile)
	}
	if f, ok := g.a.stdin.(*os.File); ok && xterm.IsTerminal(int(f.Fd())) {
		fmt.Fprint(g.a.stderr, "GitLab token (input hidden): ")
		b, err := xterm.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.a.stderr)
		if err != nil {
			return "", fmt.Errorf("read the token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	line, err := bufio.NewReader(io.LimitReader(g.a.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the token from standard input: %w", err)
	}
	tok := strings.TrimSpace(line)
	if tok == "" {
		return "", errors.New("no token on standard input: pipe it in (for example: recce gitlab connect < token.txt) or pass --token-file")
	}
	return tok, nil
}

type connectResult struct {
	Connected bool        `json:"connected"`
	Mode      gitlab.Mode `json:"mode"`
	GitLabURL string      `json:"gitlab_url"`
	Project   string      `json:"project"`
	ProjectID int64       `json:"project_id"`
	User      string      `json:"user"`
	WebhookID int64       `json:"webhook_id,omitempty"`
	// OldWebhook is the webhook of the replaced connection, deleted.
	OldWebhook *gitlab.WebhookRemoval `json:"old_webhook,omitempty"`
	Database   string                 `json:"database"`
	Check      *gitlab.Report         `json:"check"`
}

func (g *gitlabCLI) connectCmd() *cobra.Command {
	var format, hookURL string
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Store a GitLab connection (token read from standard input or --token-file, encrypted)",
		Long: `Check a token and store the connection: URL, project, the token encrypted
with AES-256-GCM (key from RECCE_SECRET_KEY, else a private key file in your
config directory, never next to the data), and the check result. An unusable
token is refused with the reasons. The token is read from standard input
(hidden on a terminal) or --token-file, never from a flag value.

With --create-webhook URL, also create the project webhook for merge request
events, with a generated secret (needs the api scope and the Maintainer role).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			token, err := g.readTokenInput()
			if err != nil {
				return err
			}
			url := g.url
			if url == "" {
				url = g.ciURL()
			}
			project := g.project
			if project == "" {
				project = g.env("CI_PROJECT_ID")
			}
			if project == "" {
				return errors.New("no project: pass --project with the numeric id or the group/project path")
			}
			c, err := gitlab.New(gitlab.Options{URL: url, Token: token, CAFile: g.caFile, Retry: g.retry, Logger: g.logger(), AllowLinkLocal: g.allowLinkLocal})
			if err != nil {
				return err
			}
			r, err := c.Check(ctx, project)
			if err != nil {
				return err
			}
			if !r.OK {
				if format == "json" {
					_ = writeJSON(g.a.stdout, connectResult{Mode: r.Mode, GitLabURL: r.GitLabURL, Project: project, Check: r})
				} else {
					printReport(g.a.stdout, r)
				}
				return fmt.Errorf("not connected: the token cannot be used for %s (see the ✗ checks); nothing was stored", project)
			}
			// The key first: if it cannot be had, nothing is created.
			box, err := secret.Load(g.a.getenv, "")
			if err != nil {
				return err
			}
			conn := store.Connection{
				GitLabURL: r.GitLabURL, Project: project, ProjectID: r.Project.ID, ProjectPath: r.Project.Path,
				TokenName: r.Token.Name, TokenExpiresAt: r.Token.ExpiresAt, UserID: r.User.ID, Username: r.User.Username,
				Mode: string(r.Mode), CheckedAt: r.CheckedAt,
			}
			if conn.TokenSealed, err = box.Seal([]byte(token), purposeToken); err != nil {
				return err
			}
			if hookURL != "" && r.Mode != gitlab.ModeFull {
				return errors.New("--create-webhook needs a token with the api scope; this one is read only")
			}
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			prev, err := st.Connection(ctx)
			if err != nil && !errors.Is(err, store.ErrNotConnected) {
				return err
			}
			// The webhook of the same project stays, as in the server's
			// Settings: its secret does not depend on the token. One that
			// this connection replaces is deleted once the new one is stored.
			var oldHook *store.Connection
			if prev != nil && prev.WebhookID != 0 {
				if prev.GitLabURL == conn.GitLabURL && prev.ProjectID == conn.ProjectID && hookURL == "" {
					conn.WebhookID, conn.WebhookURL, conn.WebhookSecretSealed = prev.WebhookID, prev.WebhookURL, prev.WebhookSecretSealed
				} else {
					oldHook = prev
				}
			}
			if hookURL != "" {
				hookSecret, err := newWebhookSecret()
				if err != nil {
					return err
				}
				id, err := c.CreateWebhook(ctx, project, hookURL, hookSecret)
				if err != nil {
					return err
				}
				conn.WebhookID, conn.WebhookURL = id, hookURL
				if conn.WebhookSecretSealed, err = box.Seal([]byte(hookSecret), purposeWebhookSecret); err != nil {
					return err
				}
			}
			b, _ := json.Marshal(r)
			conn.CheckJSON = string(b)
			if err := st.SaveConnection(ctx, conn); err != nil {
				return err
			}
			var hookRemoved *gitlab.WebhookRemoval
			if oldHook != nil {
				hookRemoved = g.removeWebhook(ctx, oldHook)
			}
			res := connectResult{Connected: true, Mode: r.Mode, GitLabURL: r.GitLabURL, Project: r.Project.Path, ProjectID: r.Project.ID,
				User: r.User.Username, WebhookID: conn.WebhookID, OldWebhook: hookRemoved, Database: st.Path(), Check: r}
			if format == "json" {
				return writeJSON(g.a.stdout, res)
			}
			w := g.a.stdout
			printReport(w, r)
			fmt.Fprintf(w, "\n%s %s on %s as %s (mode %s). Stored in %s.\n", term.Green(w, "Connected"), r.Project.Path, r.GitLabURL, r.User.Username, r.Mode, st.Path())
			switch {
			case hookURL != "":
				fmt.Fprintf(w, "Created the project webhook %d for merge request events → %s.\n", conn.WebhookID, hookURL)
			case conn.WebhookID != 0:
				fmt.Fprintf(w, "The project webhook %d is kept.\n", conn.WebhookID)
			}
			printWebhookRemoval(w, hookRemoved, oldHook)
			return nil
		},
	}
	cmd.Flags().StringVar(&hookURL, "create-webhook", "", "also create the project webhook, sending merge request events to this URL (the server's /api/integrations/gitlab/webhook)")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

// newWebhookSecret is 32 random bytes, URL-safe: GitLab sends it back as is.
func newWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a webhook secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (g *gitlabCLI) disconnectCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "disconnect",
		Short: "Remove the stored GitLab connection, its token (no copy left in the database files) and the webhook it made",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, err := g.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			conn, err := st.Connection(ctx)
			if err != nil && !errors.Is(err, store.ErrNotConnected) {
				return err
			}
			// The webhook goes first, while its token is still stored; a
			// failure there is told but does not keep the connection.
			var hook *gitlab.WebhookRemoval
			if conn != nil && conn.WebhookID != 0 {
				hook = g.removeWebhook(ctx, conn)
			}
			removed, err := st.DeleteConnection(ctx)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(g.a.stdout, map[string]any{"disconnected": removed, "database": st.Path(), "webhook": hook})
			}
			w := g.a.stdout
			if !removed {
				fmt.Fprintln(w, "No GitLab connection was stored.")
				return nil
			}
			fmt.Fprintf(w, "Disconnected from %s on %s: the token and the webhook secret were erased from %s.\n", conn.ProjectPath, conn.GitLabURL, st.Path())
			printWebhookRemoval(w, hook, conn)
			fmt.Fprintf(w, "To revoke the token itself, go to %s.\n", gitlab.TokenSettingsURL(conn.GitLabURL))
			return nil
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

// printWebhookRemoval tells what became of conn's webhook, if it had one.
func printWebhookRemoval(w io.Writer, hook *gitlab.WebhookRemoval, conn *store.Connection) {
	switch {
	case hook == nil:
	case hook.Deleted:
		fmt.Fprintf(w, "Deleted the project webhook %d of %s in GitLab.\n", hook.ID, conn.ProjectPath)
	default:
		fmt.Fprintf(w, "%s The project webhook %d of %s could not be deleted (%s): remove it in %s.\n",
			term.Yellow(w, "!"), hook.ID, conn.ProjectPath, hook.Error, hook.SettingsURL)
	}
}

// removeWebhook deletes the connection's project webhook with its own
// stored token, on its own instance.
func (g *gitlabCLI) removeWebhook(ctx context.Context, conn *store.Connection) *gitlab.WebhookRemoval {
	err := func() error {
		box, err := secret.Load(g.a.getenv, "")
		if err != nil {
			return err
		}
		token, err := box.Open(conn.TokenSealed, purposeToken)
		if err != nil {
			return err
		}
		c, err := gitlab.New(gitlab.Options{URL: conn.GitLabURL, Token: string(token), CAFile: g.caFile, Retry: g.retry, Logger: g.logger(), AllowLinkLocal: g.allowLinkLocal})
		if err != nil {
			return err
		}
		return c.DeleteWebhook(ctx, strconv.FormatInt(conn.ProjectID, 10), conn.WebhookID)
	}()
	return gitlab.NewWebhookRemoval(conn.GitLabURL, conn.ProjectPath, conn.WebhookID, err)
}

func (g *gitlabCLI) syncCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Bring the stored merge requests of the project up to date (first all opened, then what changed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := g.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			if s.store == nil {
				if s.store, err = g.openStore(ctx); err != nil {
					return err
				}
			}
			projectID := int64(0)
			if s.conn != nil && (g.project == "" || g.project == s.conn.Project || g.project == strconv.FormatInt(s.conn.ProjectID, 10)) {
				projectID = s.conn.ProjectID
			} else {
				r, err := s.client.Check(ctx, s.project)
				if err != nil {
					return err
				}
				if r.Project == nil {
					return fmt.Errorf("project %s: %s", s.project, firstFailure(r))
				}
				projectID = r.Project.ID
			}
			bar := term.NewProgress(g.a.stderr, "merge requests", -1)
			res, err := s.client.Sync(ctx, s.store, projectID, func(n int) { bar.Describe(fmt.Sprintf("%d merge requests", n)) })
			bar.Done()
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(g.a.stdout, res)
			}
			kind := "Incremental sync"
			if res.Full {
				kind = "First sync (opened merge requests)"
			}
			fmt.Fprintf(g.a.stdout, "%s of %s: %d fetched, %d new %s, %d with new activity %s, %d touched without activity (such as recce's own notes).\n",
				kind, s.project, res.Fetched, len(res.New), iids(res.New), len(res.Changed), iids(res.Changed), res.Unchanged)
			return nil
		},
	}
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func firstFailure(r *gitlab.Report) string {
	for _, c := range r.Failed() {
		return c.Message + "; " + c.Hint
	}
	return "not usable"
}

func iids(ns []int64) string {
	if len(ns) == 0 {
		return ""
	}
	parts := make([]string, 0, len(ns))
	for i, n := range ns {
		if i == 10 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, "!"+strconv.FormatInt(n, 10))
	}
	return "(" + strings.Join(parts, " ") + ")"
}
