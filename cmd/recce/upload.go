package main

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/term"
)

// uploadFlags are the flags of recce upload.
type uploadFlags struct {
	server, caFile, format string
	mr                     int64
}

// uploadRetryWaits are the waits before the second and third attempts of
// an upload the server could not take (unreachable, 502/503/504); tests
// shrink them.
var uploadRetryWaits = []time.Duration{2 * time.Second, 8 * time.Second}

func (a *app) uploadCmd() *cobra.Command {
	var o uploadFlags
	cmd := &cobra.Command{
		Use:   "upload [STATE_FILE]",
		Short: "Send a merge request pipeline's state file to the recce server",
		Long: `Sends the state file that recce run wrote (or, without STATE_FILE, a state
built from the two artifact folders, target/ and target-base/, and the checks
of recce.yml) to the team's recce server, which reviews it as the merge
request's session: it runs the checks it can, posts or updates the summary
note and sets the commit status "recce", and the web app opens it for review.

In a GitLab merge request pipeline nothing else is needed but the server's
address (--server, or the CI/CD variable RECCE_SERVER_URL): the merge request
comes from CI_MERGE_REQUEST_IID, and the upload is authenticated by the job's
own CI_JOB_TOKEN, which the server checks with GitLab (the job must belong to
the connected project and to the merge request's latest commit). Elsewhere,
or when the server cannot reach GitLab's job API, set RECCE_SERVER_API_TOKEN
to a token created in the server's Settings.

Large uploads are compressed and show their progress on a terminal. An upload
the server could not take (unreachable, restarting) is tried three times.`,
		Example: `  recce run -o recce_state.json && recce upload recce_state.json --server https://recce.example.com
  RECCE_SERVER_URL=https://recce.example.com recce upload
  RECCE_SERVER_API_TOKEN=recce_... recce upload --mr 12 recce_state.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			return a.upload(cmd.Context(), o, path)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "", "the recce server's address, https://recce.example.com (default: RECCE_SERVER_URL)")
	f.Int64Var(&o.mr, "mr", 0, "merge request number (default: CI_MERGE_REQUEST_IID)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM bundle of extra certificate authorities (a server behind a private CA)")
	addFormatFlag(cmd, &o.format, "text", "json")
	return cmd
}

// uploadTarget is where an upload goes and how it authenticates.
type uploadTarget struct {
	endpoint string // .../api/mr/{iid}/upload?...
	server   string
	iid      int64
	header   http.Header // the credentials
	via      string      // "the CI job token" or "the API token", for messages
}

func (a *app) uploadTarget(o uploadFlags) (*uploadTarget, error) {
	env := func(k string) string { return strings.TrimSpace(a.getenv(k)) }
	server := o.server
	if server == "" {
		server = env("RECCE_SERVER_URL")
	}
	if server == "" {
		return nil, errors.New("no recce server: pass --server https://recce.example.com, or set RECCE_SERVER_URL (a CI/CD variable of the project)")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not an http(s) address like https://recce.example.com", server)
	}
	if u.User != nil {
		return nil, errors.New("--server must not hold credentials: set RECCE_SERVER_API_TOKEN instead")
	}
	server = strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/")
	iid := o.mr
	if iid <= 0 {
		v := env("CI_MERGE_REQUEST_IID")
		if v == "" {
			return nil, errors.New("no merge request: pass --mr, or run in a merge request pipeline (CI_MERGE_REQUEST_IID is set only there: give the job `rules: - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"`)")
		}
		if iid, err = strconv.ParseInt(v, 10, 64); err != nil || iid <= 0 {
			return nil, fmt.Errorf("CI_MERGE_REQUEST_IID %q is not a merge request number", v)
		}
	}
	t := &uploadTarget{server: server, iid: iid, header: http.Header{}}
	q := url.Values{}
	if p := env("CI_PROJECT_ID"); p != "" {
		q.Set("project", p)
	}
	switch {
	case env("RECCE_SERVER_API_TOKEN") != "":
		t.header.Set("Authorization", "Bearer "+env("RECCE_SERVER_API_TOKEN"))
		t.via = "the API token in RECCE_SERVER_API_TOKEN"
		// The commit the state reviews: in a merged results pipeline the
		// job's own commit is a merge commit, not the merge request's head.
		for _, k := range []string{"CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "CI_COMMIT_SHA"} {
			if sha := env(k); sha != "" {
				q.Set("head_sha", sha)
				break
			}
		}
	case env("CI_JOB_TOKEN") != "":
		t.header.Set("JOB-TOKEN", env("CI_JOB_TOKEN"))
		t.via = "the job's CI_JOB_TOKEN"
	default:
		return nil, errors.New("no credentials for the recce server: in a GitLab CI job, CI_JOB_TOKEN is used (run recce upload in a merge request pipeline job); elsewhere, set RECCE_SERVER_API_TOKEN to a token created in the server's Settings, API tokens")
	}
	t.endpoint = fmt.Sprintf("%s/api/mr/%d/upload", server, iid)
	if len(q) > 0 {
		t.endpoint += "?" + q.Encode()
	}
	return t, nil
}

func (a *app) upload(ctx context.Context, o uploadFlags, path string) error {
	t, err := a.uploadTarget(o)
	if err != nil {
		return err
	}
	body, size, what, err := a.uploadBody(ctx, path)
	if err != nil {
		return err
	}
	client, err := uploadClient(o.caFile)
	if err != nil {
		return err
	}
	var answer map[string]any
	var sent int64
	for attempt := 0; ; attempt++ {
		answer, sent, err = a.sendUpload(ctx, client, t, body, size)
		var retry *retryableUpload
		if !errors.As(err, &retry) || attempt >= len(uploadRetryWaits) {
			break
		}
		fmt.Fprintf(a.stderr, "%s %v; trying again in %s\n", term.Yellow(a.stderr, "warning:"), retry.err, uploadRetryWaits[attempt])
		select {
		case <-time.After(uploadRetryWaits[attempt]):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var retry *retryableUpload
	if errors.As(err, &retry) {
		return retry.err
	}
	if err != nil {
		return err
	}
	if o.format == "json" {
		answer["uploaded"] = what
		answer["bytes"] = sent
		return writeJSON(a.stdout, answer)
	}
	fmt.Fprintf(a.stdout, "Uploaded %s (%s) to merge request !%d on %s: upload %v, %s.\n", what, megabytes(sent), t.iid, t.server,
		answer["revision"], sessionWords(answer["status"]))
	fmt.Fprintln(a.stdout, "The server posts the summary note and the commit status \"recce\" in a moment.")
	if u, _ := answer["review_url"].(string); u != "" {
		fmt.Fprintf(a.stdout, "Review: %s\n", u)
	}
	return nil
}

func sessionWords(status any) string {
	switch status {
	case "up_to_date":
		return "no data mismatch detected"
	case "mismatch":
		return "data mismatch detected"
	case "failed":
		return "some checks did not complete"
	case "outdated":
		return "already outdated: the merge request has newer commits"
	}
	return fmt.Sprint(status)
}

func megabytes(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// uploadBody returns how to read what is uploaded (called once per
// attempt), its size when known (-1 otherwise), and what it is.
func (a *app) uploadBody(ctx context.Context, path string) (func() (io.ReadCloser, error), int64, string, error) {
	if path != "" {
		info, err := os.Stat(path)
		if err != nil {
			return nil, 0, "", fmt.Errorf("the state file: %w (write it with `recce run -o %s`)", err, path)
		}
		// Read it now: a file that is not a state file is better refused
		// here than after a long upload.
		if _, err := check.Load(path); err != nil {
			return nil, 0, "", err
		}
		return func() (io.ReadCloser, error) { return os.Open(path) }, info.Size(), path, nil
	}
	baseDir, curDir := a.projectPath(a.flags.targetBasePath), a.projectPath(a.flags.targetPath)
	var files check.Artifacts
	var err error
	if files.Base, err = check.ReadArtifactFiles(baseDir); err != nil {
		return nil, 0, "", fmt.Errorf("no state file given, and the base artifacts cannot be read (%w): pass the state file of `recce run`, or build the base into %s (--target-base-path)", err, baseDir)
	}
	if files.Current, err = check.ReadArtifactFiles(curDir); err != nil {
		return nil, 0, "", fmt.Errorf("no state file given, and the current artifacts cannot be read (%w): pass the state file of `recce run`, or build the project into %s (--target-path)", err, curDir)
	}
	cfg, err := check.LoadConfig(a.projectPath(a.flags.config))
	if err != nil {
		return nil, 0, "", err
	}
	// The checks go unrun: the server runs those it may (see
	// check.RunMissing).
	st, _, err := check.Review(ctx, check.ReviewInput{Files: files, Checks: cfg.Checks, Policy: check.RunNone,
		Origin: check.OriginFromEnv(version, a.getenv)})
	if err != nil {
		return nil, 0, "", err
	}
	size := int64(len(files.Base.Manifest) + len(files.Base.Catalog) + len(files.Current.Manifest) + len(files.Current.Catalog))
	open := func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(st.Encode(context.Background(), pw)) }()
		return pr, nil
	}
	return open, size, fmt.Sprintf("the artifacts of %s and %s", filepath.Base(baseDir), filepath.Base(curDir)), nil
}

func uploadClient(caFile string) (*http.Client, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read --ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	// No overall timeout: a large upload takes as long as it takes; the
	// server's answer comes once the upload is stored.
	return &http.Client{Transport: t}, nil
}

// retryableUpload is a failure another attempt may get past: the server
// was unreachable, or said it could not take the upload now.
type retryableUpload struct{ err error }

func (e *retryableUpload) Error() string { return e.err.Error() }

// sendUpload sends one attempt: the body compressed on the fly, its
// progress shown on a terminal.
func (a *app) sendUpload(ctx context.Context, client *http.Client, t *uploadTarget, body func() (io.ReadCloser, error), size int64) (map[string]any, int64, error) {
	src, err := body()
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()
	p := term.NewProgress(a.stderr, "Uploading (KB)", int(max(size, 0)>>10))
	defer p.Done()
	counted := &countingReader{r: src, progress: p}
	pr, pw := io.Pipe()
	go func() {
		zw := gzip.NewWriter(pw)
		_, err := io.Copy(zw, counted)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint, pr)
	if err != nil {
		return nil, 0, err
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("User-Agent", "recce/"+version)
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, &retryableUpload{fmt.Errorf("cannot reach the recce server at %s (%s): check --server / RECCE_SERVER_URL, and that this runner can reach the server (firewall, proxy)", t.server, netReason(err))}
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	var answer map[string]any
	_ = json.Unmarshal(data, &answer)
	msg, _ := answer["error"].(string)
	if msg == "" {
		msg = strings.TrimSpace(string(data))
		if len(msg) > 200 || msg == "" {
			msg = http.StatusText(res.StatusCode)
		}
	}
	switch res.StatusCode {
	case http.StatusAccepted, http.StatusOK:
		return answer, counted.n, nil
	case http.StatusUnauthorized:
		return nil, 0, fmt.Errorf("the recce server refused %s (401): %s", t.via, msg)
	case http.StatusForbidden:
		return nil, 0, fmt.Errorf("the recce server refused the upload for !%d (403): %s", t.iid, msg)
	case http.StatusRequestEntityTooLarge:
		return nil, 0, fmt.Errorf("the upload is too large for the recce server (413): %s", msg)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, 0, &retryableUpload{fmt.Errorf("the recce server could not take the upload now (%d): %s", res.StatusCode, msg)}
	}
	return nil, 0, fmt.Errorf("the recce server refused the upload (%d): %s", res.StatusCode, msg)
}

// netReason names a transport failure without quoting the request (whose
// URL carries no secret, but whose headers do).
func netReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "connection refused"):
		return "connection refused"
	case strings.Contains(s, "no such host"):
		return "no such host"
	case strings.Contains(s, "certificate"):
		return "TLS: " + s + "; for a private certificate authority pass --ca-file"
	case strings.Contains(s, "timeout"):
		return "timeout"
	}
	return s
}

// countingReader counts what is read and shows it as progress.
type countingReader struct {
	r        io.Reader
	n        int64
	shown    int64
	progress *term.Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if kb := c.n >> 10; kb > c.shown {
		c.progress.Add(int(kb - c.shown))
		c.shown = kb
	}
	return n, err
}
