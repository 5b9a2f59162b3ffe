package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/blob"
	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/demo"
	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/server"
	"gitlab.com/recce-go/recce/internal/store"
	"gitlab.com/recce-go/recce/web"
)

// serverFlags are the flags of recce server.
type serverFlags struct {
	host, dataDir, review, caFile  string
	databaseURL, artifacts, public string
	statusName                     string
	threads                        bool
	port, workers, notesPerMinute  int
	uploadsInFlight                int
	maxUploadMB                    int64
	jobLease, uploadTimeout        time.Duration
	demo, team, debug, jsonLogs    bool
	allowLinkLocal                 bool
	trustedProxies                 []string
}

// serverGitLab is the GitLab client configuration of the server; tests
// shrink its waits.
var serverGitLab server.GitLabOptions

// serverSyncInterval is how often the server syncs merge requests.
var serverSyncInterval = 5 * time.Minute

func (a *app) serverCmd() *cobra.Command {
	var o serverFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the review web app: lineage, checks, queries, GitLab settings and merge requests",
		Long: `Serves the review web app and its JSON API (docs/api.md) and prints the URL
to open.

Four ways to start it:
  recce server            the dbt project in the working directory (or --project-dir):
                          its base and current artifacts and the warehouse of
                          profiles.yml, so data checks run
  recce server --review recce_state.json
                          a state file alone (from recce run in a pipeline):
                          no warehouse, so data checks cannot run
  recce server --demo     the demo project (see recce demo), generated into
                          the data directory and served like a live project
  recce server --team     merge requests only: a team server that reviews what
                          each merge request pipeline sends with recce upload,
                          posts the summary note and commit status, and keeps
                          them up to date (see docs/server.md)

In every mode, merge request pipelines may upload to the server (recce
upload): each merge request gets a review session, opened in the web app from
Merge requests, and the server posts its summary note and commit status
through a durable job queue.

The checklist, runs and comments are saved after every change, so a restart
loses nothing; GET /api/state downloads them as a state file. The data lives
in an SQLite database in the data directory, or in PostgreSQL with
--database-url (RECCE_DATABASE_URL), which several instances behind a load
balancer can share; uploaded artifacts go to --artifact-store (a directory,
or s3://bucket/prefix for several instances). The GitLab connection is the
one of recce gitlab connect, in the same store.

The server listens on 127.0.0.1 only, unless --host says otherwise; any other
address needs RECCE_SERVER_TOKEN (at least 16 random characters): the browser
signs in once with it, scripts send it as Authorization: Bearer. Stop the
server with Ctrl-C: runs in flight are cancelled and everything is saved.`,
		Example: `  recce server --demo
  recce server --project-dir my_dbt_project
  recce server --review recce_state.json --port 8001
  RECCE_SERVER_TOKEN=$(openssl rand -base64 32) recce server --host 0.0.0.0
  recce server --team --host 0.0.0.0 --database-url postgres://recce@db/recce --artifact-store s3://recce-artifacts/prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.serve(cmd.Context(), o) },
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.dataDir, "data-dir", "", "where recce keeps its data (default: $XDG_DATA_HOME/recce or ~/.local/share/recce)")
	pf.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL database for several instances, postgres://user:password@host:5432/db (default: RECCE_DATABASE_URL, else SQLite in the data directory)")
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on (other than loopback: RECCE_SERVER_TOKEN is required)")
	f.IntVar(&o.port, "port", 8000, "port to listen on (0: any free port)")
	f.StringVar(&o.review, "review", "", "review a state file alone (no warehouse: data checks cannot run)")
	f.BoolVar(&o.demo, "demo", false, "serve the demo project, generated into the data directory")
	f.BoolVar(&o.team, "team", false, "serve merge request sessions only (no local project); the warehouse of profiles.yml, when found, runs their data checks")
	f.StringVar(&o.artifacts, "artifact-store", "", "where uploaded artifacts go: a directory, or s3://bucket/prefix?endpoint=host:port (default: artifacts/ in the data directory)")
	f.Int64Var(&o.maxUploadMB, "max-upload-size", 512, "largest upload accepted, in MB")
	f.IntVar(&o.uploadsInFlight, "max-concurrent-uploads", 2, "uploads taken at once (more get 503, and recce upload retries), and apart, uploads parsed at once: parsing takes about 4 times a state file's size in memory")
	f.StringVar(&o.public, "public-url", "", "address people reach this server at, for links in the notes it posts (default: RECCE_PUBLIC_URL)")
	f.IntVar(&o.workers, "workers", 4, "jobs this instance runs at once (posting summaries and notes); 0: none, this instance only receives")
	f.IntVar(&o.notesPerMinute, "notes-per-minute", 50, "notes created on GitLab per minute at most, across instances (gitlab.com allows 60)")
	f.StringVar(&o.caFile, "gitlab-ca-file", "", "PEM bundle of extra certificate authorities (self-managed GitLab behind a private CA)")
	f.BoolVar(&o.allowLinkLocal, "allow-link-local-gitlab", false, "let a GitLab URL (Settings) lead to a link-local or cloud metadata address (169.254.0.0/16, fe80::/10, fd00:ec2::254), refused by default")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxy", nil, "address or CIDR range of a reverse proxy in front of the server, whose X-Forwarded-For names the client (repeatable; default: none, the header is ignored)")
	f.DurationVar(&o.uploadTimeout, "upload-timeout", 15*time.Minute, "how long an upload's body may take to arrive")
	f.StringVar(&o.statusName, "status-name", gitlab.DefaultStatusName, "name of the commit status set on merge requests (never the name of a CI job: GitLab refuses it)")
	f.BoolVar(&o.threads, "threads", false, "also open one resolvable thread per check of a session that found a mismatch or did not complete, resolved when it passes or is approved")
	f.BoolVar(&o.debug, "debug", false, "log every request and GitLab call (never a token or a query)")
	f.BoolVar(&o.jsonLogs, "log-json", false, "write logs as JSON lines instead of text")
	// How long a job claimed by an instance that died stays out of reach
	// of the others; tests that kill a server shorten it.
	f.DurationVar(&o.jobLease, "job-lease", 0, "how long a claimed job stays this instance's before another may take it over (default 2m; running jobs extend it)")
	_ = f.MarkHidden("job-lease")
	a.addWarehouseFlags(f)
	cmd.AddCommand(a.rotateKeyCmd(&o))
	return cmd
}

func (a *app) serve(ctx context.Context, o serverFlags) error {
	token := a.getenv("RECCE_SERVER_TOKEN")
	if !server.LoopbackAddress(o.host) && token == "" {
		return fmt.Errorf("refusing to listen on %s without RECCE_SERVER_TOKEN: anyone who reaches that address could read your data and use your warehouse and GitLab token. Set RECCE_SERVER_TOKEN to a secret of at least %d characters (for example `export RECCE_SERVER_TOKEN=$(openssl rand -base64 32)`), or listen on 127.0.0.1", o.host, server.MinTokenLength)
	}
	if err := server.ValidateToken(token); err != nil {
		return err
	}
	if n := btoi(o.review != "") + btoi(o.demo) + btoi(o.team); n > 1 {
		return errors.New("choose one of --review STATE_FILE, --demo and --team, not both")
	}
	if o.notesPerMinute <= 0 {
		return fmt.Errorf("--notes-per-minute %d: give a positive number (gitlab.com allows 60 a minute)", o.notesPerMinute)
	}
	if o.jobLease < 0 || (o.jobLease > 0 && o.jobLease < time.Second) {
		return fmt.Errorf("--job-lease %s: give at least 1s (running jobs extend their lease every third of it)", o.jobLease)
	}
	proxies, err := server.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		return err
	}
	if o.uploadsInFlight <= 0 {
		return fmt.Errorf("--max-concurrent-uploads %d: give a positive number (2 by default)", o.uploadsInFlight)
	}
	if o.uploadTimeout <= 0 {
		return fmt.Errorf("--upload-timeout %s: give a positive duration (15m by default)", o.uploadTimeout)
	}
	if o.port < 0 || o.port > 65535 {
		return fmt.Errorf("--port %d is not a port number", o.port)
	}
	log := a.serverLogger(o)
	dataDir := o.dataDir
	if dataDir == "" {
		d, err := store.DefaultDataDir(a.getenv)
		if err != nil {
			return err
		}
		dataDir = d
	}
	st, where, err := a.openServerStore(ctx, dataDir, o.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	blobs, err := blob.Open(ctx, o.artifacts, dataDir, a.getenv)
	if err != nil {
		return err
	}
	if d, ok := blobs.(*blob.Dir); ok && st.Backend() == "sqlite" {
		// One instance (SQLite is not shared across machines): uploads
		// left half-written by a crash can go. Several instances may share
		// a directory; there, another one may be uploading right now.
		if err := d.CleanTemp(); err != nil {
			log.Warn("cleaning the artifact directory's unfinished uploads failed", "error", err)
		}
	}
	publicURL := o.public
	if publicURL == "" {
		publicURL = a.getenv("RECCE_PUBLIC_URL")
	}
	workers := o.workers
	if workers <= 0 {
		workers = -1 // none
	}

	gl := serverGitLab
	gl.CAFile, gl.AllowLinkLocal = o.caFile, o.allowLinkLocal
	gl.StatusName, gl.Threads = o.statusName, o.threads
	jobs := serverJobs
	jobs.Workers, jobs.NotesRate = workers, store.RateLimit{Limit: o.notesPerMinute, Per: time.Minute}
	if o.jobLease > 0 {
		jobs.Lease = o.jobLease
	}
	opts := server.Options{
		Store: st, Blobs: blobs, MaxUploadSize: o.maxUploadMB << 20, Jobs: jobs, PublicURL: publicURL,
		Token: token, GitLab: gl, Logger: log, Version: version, SyncInterval: serverSyncInterval,
		TrustedProxies: proxies, UploadTimeout: o.uploadTimeout, MaxUploadsInFlight: o.uploadsInFlight,
		WebApp:  server.WebAppFS(web.Dist, "dist"),
		Secrets: sync.OnceValues(func() (*secret.Box, error) { return a.secretBox() }),
	}
	var closeEnv func()
	switch {
	case o.review != "":
		err = a.reviewOptions(&opts, dataDir, o.review)
	case o.team:
		closeEnv, err = a.teamOptions(ctx, &opts, log)
	case o.demo:
		closeEnv, err = a.demoOptions(ctx, &opts, dataDir, log)
	default:
		closeEnv, err = a.liveOptions(ctx, &opts, dataDir, server.ModeLive, log)
	}
	if closeEnv != nil {
		defer closeEnv()
	}
	if err != nil {
		return err
	}
	if opts.WebApp == nil {
		log.Warn("the web app is not in this build: / says so; the API works")
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("listen on %s port %d: %w (choose another with --port)", o.host, o.port, err)
	}
	srv, err := server.New(ctx, opts)
	if err != nil {
		ln.Close()
		return err
	}
	url := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(a.stdout, "recce server (%s mode) at %s\n", opts.Mode, url)
	if token != "" {
		fmt.Fprintf(a.stdout, "Sign in with the token in RECCE_SERVER_TOKEN.\n")
	}
	fmt.Fprintf(a.stdout, "Data in %s. Press Ctrl-C to stop.\n", where)
	log.Info("listening", "url", url, "mode", opts.Mode, "store", where, "artifacts", fmt.Sprint(blobs), "workers", max(workers, 0))
	if err := srv.Serve(ctx, ln, 10*time.Second); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// displayAddr is the listen address as a browser wants it: 127.0.0.1:8000,
// [::1]:8000; the unspecified address shown as the machine's loopback.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

func (a *app) serverLogger(o serverFlags) *slog.Logger {
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	ho := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(a.stderr, ho)
	if o.jsonLogs {
		h = slog.NewJSONHandler(a.stderr, ho)
	}
	return slog.New(h)
}

// secretBox is the key that seals the GitLab token: RECCE_SECRET_KEY, else
// the key file in the user's config directory (never the data directory).
func (a *app) secretBox() (*secret.Box, error) {
	p, err := secret.KeyPath(a.getenv)
	if err != nil {
		return nil, err
	}
	return secret.Load(a.getenv, p)
}

// liveOptions serves the project of the shared flags: its artifacts, its
// recce.yml and its warehouse. A warehouse that cannot be opened does not
// stop the server: the lineage and schema still work, and the app says why
// data checks cannot run.
func (a *app) liveOptions(ctx context.Context, opts *server.Options, dataDir string, mode server.Mode, log *slog.Logger) (func(), error) {
	base, current, err := a.loadArtifacts(ctx)
	if err != nil {
		return nil, err
	}
	env := &check.Env{Base: base, Current: current}
	var closeEnv func()
	wh, target, err := a.openWarehouse(ctx)
	if err != nil {
		log.Warn("no warehouse: data checks will not run", "error", err)
		env.NoWarehouse = err
	} else {
		env.Warehouse, opts.WarehouseType = wh, target.Type
		closeEnv = func() { wh.Close() }
	}
	cfg, err := check.LoadConfig(a.projectPath(a.flags.config))
	if err != nil {
		if closeEnv != nil {
			closeEnv()
		}
		return nil, err
	}
	for _, w := range cfg.Warnings {
		log.Warn("recce.yml", "warning", w)
	}
	baseDir, currentDir := a.projectPath(a.flags.targetBasePath), a.projectPath(a.flags.targetPath)
	opts.Mode, opts.Env = mode, env
	opts.PullRequest = check.PullRequestFromEnv(a.getenv)
	opts.Initial = &server.Snapshot{Checks: cfg.Checks}
	opts.TrustedChecks = cfg.Checks
	opts.Workspace = server.FileWorkspace{Path: workspacePath(dataDir, string(mode), base.Manifest.Metadata.ProjectName, baseDir, currentDir)}
	opts.Artifacts = func() (check.Artifacts, error) {
		var x check.Artifacts
		var err error
		if x.Base, err = check.ReadArtifactFiles(baseDir); err != nil {
			return x, err
		}
		x.Current, err = check.ReadArtifactFiles(currentDir)
		return x, err
	}
	return closeEnv, nil
}

// demoOptions generates the demo project into the data directory (again at
// every start: it is deterministic, so a saved checklist still applies)
// and serves it live.
func (a *app) demoOptions(ctx context.Context, opts *server.Options, dataDir string, log *slog.Logger) (func(), error) {
	dir := filepath.Join(dataDir, "demo")
	log.Info("generating the demo project", "dir", dir)
	res, err := demo.Generate(ctx, dir, demo.Options{})
	if err != nil {
		return nil, fmt.Errorf("generate the demo in %s: %w", dir, err)
	}
	a.flags.projectDir, a.flags.profilesDir = res.Dir, filepath.Dir(res.Profiles)
	a.flags.targetBasePath, a.flags.targetPath, a.flags.config = res.Base.Dir, res.Current.Dir, res.Config
	a.flags.profile, a.flags.target = "", ""
	return a.liveOptions(ctx, opts, dataDir, server.ModeDemo, log)
}

// reviewOptions serves a state file: its artifacts, checks, runs and merge
// request. The saved workspace is resumed only while the file is the same
// (a new file from a newer pipeline starts afresh); the file itself is never
// written: GET /api/state exports the review.
func (a *app) reviewOptions(opts *server.Options, dataDir, path string) error {
	st, err := check.Load(path)
	if err != nil {
		return err
	}
	base, current, err := st.LoadArtifacts()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	sum, err := fileDigest(path)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	opts.Mode = server.ModeReview
	opts.Env = &check.Env{Base: base, Current: current,
		NoWarehouse: errors.New("this server reviews a state file (--review), without a warehouse: to run data checks, start `recce server` in the dbt project")}
	opts.PullRequest = st.PullRequest
	// Lineage and schema diffs that a state file of the reference stores
	// without a run are computed from its artifacts, as the reference does.
	opts.Initial = &server.Snapshot{Source: "sha256:" + sum, Checks: st.Checks, Runs: st.WithArtifactRuns(base, current).Runs}
	opts.Workspace = server.FileWorkspace{Path: workspacePath(dataDir, "review", base.Manifest.Metadata.ProjectName, abs)}
	opts.Artifacts = func() (check.Artifacts, error) { return st.Artifacts, nil }
	return nil
}

// workspacePath names a workspace file after the project and a hash of
// what identifies the review (its folders or state file), so that two
// projects served from one data directory keep their own checklists.
func workspacePath(dataDir, kind, project string, keys ...string) string {
	h := sha256.New()
	for _, k := range keys {
		if abs, err := filepath.Abs(k); err == nil {
			k = abs
		}
		io.WriteString(h, k+"\x00")
	}
	name := kind
	if project != "" {
		name += "-" + safeName(project)
	}
	if kind != "demo" {
		name += "-" + hex.EncodeToString(h.Sum(nil))[:12]
	}
	return filepath.Join(dataDir, "workspaces", name+".json")
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// serverJobs tunes the server's job workers; tests shrink the waits.
var serverJobs server.JobOptions

// openServerStore opens the store of --database-url (else
// RECCE_DATABASE_URL, else SQLite in the data directory) and says where
// it is, without the password.
func (a *app) openServerStore(ctx context.Context, dataDir, databaseURL string) (*store.Store, string, error) {
	if databaseURL == "" {
		databaseURL = strings.TrimSpace(a.getenv("RECCE_DATABASE_URL"))
	}
	st, err := store.Open(ctx, dataDir, databaseURL)
	if err != nil {
		return nil, "", err
	}
	if st.Backend() == "postgres" {
		return st, store.RedactURL(databaseURL), nil
	}
	return st, dataDir, nil
}

// teamOptions serves merge request sessions only. The warehouse of the
// profiles.yml that the flags find, if any, runs their data checks; a
// team server without one shows the pipelines' runs.
func (a *app) teamOptions(ctx context.Context, opts *server.Options, log *slog.Logger) (func(), error) {
	opts.Mode, opts.Env = server.ModeTeam, &check.Env{}
	// The server's own recce.yml: the only checks whose SQL it runs on
	// uploads (docs/security.md).
	cfg, err := check.LoadConfig(a.projectPath(a.flags.config))
	if err != nil {
		return nil, err
	}
	opts.TrustedChecks = cfg.Checks
	trusted := cfg.Path
	if trusted == "" {
		trusted = "the default checks (no recce.yml)"
	}
	log.Info("the data checks this server runs on uploads", "config", trusted, "checks", len(cfg.Checks))
	wh, target, err := a.openWarehouse(ctx)
	if err != nil {
		log.Info("no warehouse: the sessions' data checks run in the pipelines only", "reason", err)
		opts.Env.NoWarehouse = err
		return nil, nil
	}
	opts.Env.Warehouse, opts.WarehouseType = wh, target.Type
	return func() { wh.Close() }, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rotateKeyCmd is `recce server rotate-key`: the stored secrets (the
// GitLab token, the webhook secret) re-encrypted with a new key, in one
// transaction, on the server's store (--data-dir, --database-url).
func (a *app) rotateKeyCmd(o *serverFlags) *cobra.Command {
	var newKeyFile, format string
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Re-encrypt the stored GitLab token and webhook secret with a new key",
		Long: `Re-encrypts every secret in the server's store (the GitLab token, the webhook
secret) from the current key to a new one, in one transaction: either all move
or none does. Running it again after a success changes nothing.

The current key is RECCE_SECRET_KEY, else the key file in the config
directory (~/.config/recce/secret.key). The new key is RECCE_NEW_SECRET_KEY
or --new-key-file (base64 of 32 random bytes: openssl rand -base64 32). When
the current key is the key file and no new key is given, a new key is made
and written to the key file once the store is re-encrypted.

Stop every server instance first (an instance running during the rotation
could seal a secret with the old key), then start them all with the new key.`,
		Example: `  export RECCE_NEW_SECRET_KEY=$(openssl rand -base64 32)
  recce server rotate-key --database-url "$RECCE_DATABASE_URL"
  # then, everywhere: RECCE_SECRET_KEY=$RECCE_NEW_SECRET_KEY, and start the servers`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.rotateKey(cmd.Context(), *o, newKeyFile, format)
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "file holding the new key, base64 (default: RECCE_NEW_SECRET_KEY)")
	addFormatFlag(cmd, &format, "text", "json")
	return cmd
}

func (a *app) rotateKey(ctx context.Context, o serverFlags, newKeyFile, format string) error {
	dataDir := o.dataDir
	if dataDir == "" {
		d, err := store.DefaultDataDir(a.getenv)
		if err != nil {
			return err
		}
		dataDir = d
	}
	keyPath, err := secret.KeyPath(a.getenv)
	if err != nil {
		return err
	}
	fromEnv := strings.TrimSpace(a.getenv(secret.EnvKey)) != ""
	if !fromEnv {
		if _, err := os.Stat(keyPath); err != nil {
			return fmt.Errorf("no current key: %s is not set and the key file %s cannot be read (%v); nothing was encrypted with a key on this machine", secret.EnvKey, keyPath, err)
		}
	}
	oldKey, err := secret.Load(a.getenv, keyPath)
	if err != nil {
		return err
	}
	newText := strings.TrimSpace(a.getenv("RECCE_NEW_SECRET_KEY"))
	if newKeyFile != "" {
		b, err := os.ReadFile(newKeyFile)
		if err != nil {
			return fmt.Errorf("read --new-key-file: %w", err)
		}
		newText = strings.TrimSpace(string(b))
	}
	writeKeyFile := false
	if newText == "" {
		if fromEnv {
			return fmt.Errorf("no new key: set RECCE_NEW_SECRET_KEY (make one with: openssl rand -base64 32) or pass --new-key-file; the current key comes from %s, so recce cannot write the new one where it will be read", secret.EnvKey)
		}
		raw := make([]byte, secret.KeySize)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		newText, writeKeyFile = base64.StdEncoding.EncodeToString(raw), true
	}
	raw, err := base64.StdEncoding.DecodeString(newText)
	if err != nil || len(raw) != secret.KeySize {
		return fmt.Errorf("the new key must be the base64 encoding of %d random bytes (make one with: openssl rand -base64 32)", secret.KeySize)
	}
	newKey, err := secret.New(raw)
	if err != nil {
		return err
	}
	// The new key is on disk before any secret is sealed with it: a crash
	// after the rotation cannot leave the secrets under a key that is
	// nowhere.
	pending := keyPath + ".new"
	if writeKeyFile {
		if err := os.WriteFile(pending, []byte(newText+"\n"), 0o600); err != nil {
			return fmt.Errorf("write the new key next to the key file: %w", err)
		}
	}
	st, where, err := a.openServerStore(ctx, dataDir, o.databaseURL)
	if err != nil {
		os.Remove(pending)
		return err
	}
	defer st.Close()
	rep, err := st.RotateSecretKey(ctx, oldKey, newKey)
	if err != nil {
		if writeKeyFile {
			os.Remove(pending)
		}
		return err
	}
	if writeKeyFile {
		if err := os.Rename(pending, keyPath); err != nil {
			return fmt.Errorf("the secrets are re-encrypted, but the new key could not replace the key file (%v): move %s to %s by hand before starting recce", err, pending, keyPath)
		}
	}
	if format == "json" {
		return writeJSON(a.stdout, map[string]any{"store": where, "resealed": rep.Resealed, "already_rotated": rep.AlreadyRotated, "key_file_replaced": writeKeyFile})
	}
	fmt.Fprintf(a.stdout, "Re-encrypted %d secrets in %s with the new key (%d were already under it).\n", rep.Resealed, where, rep.AlreadyRotated)
	if writeKeyFile {
		fmt.Fprintf(a.stdout, "The new key replaced the key file %s.\n", keyPath)
	} else {
		fmt.Fprintln(a.stdout, "Now start every server instance with the new key in RECCE_SECRET_KEY; the old key opens nothing any more.")
	}
	return nil
}
