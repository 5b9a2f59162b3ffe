package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/demo"
	"gitlab.com/recce-go/recce/internal/secret"
	"gitlab.com/recce-go/recce/internal/server"
	"gitlab.com/recce-go/recce/internal/store"
	"gitlab.com/recce-go/recce/web"
)

// serverFlags are the flags of recce server.
type serverFlags struct {
	host, dataDir, review, caFile string
	port                          int
	demo, debug, jsonLogs         bool
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

Three ways to start it:
  recce server            the dbt project in the working directory (or --project-dir):
                          its base and current artifacts and the warehouse of
                          profiles.yml, so data checks run
  recce server --review recce_state.json
                          a state file alone (from recce run in a pipeline):
                          no warehouse, so data checks cannot run
  recce server --demo     the demo project (see recce demo), generated into
                          the data directory and served like a live project

The checklist, runs and comments are saved in the data directory after every
change, so a restart loses nothing; GET /api/state downloads them as a state
file. The GitLab connection is the one of recce gitlab connect, in the same
data directory.

The server listens on 127.0.0.1 only, unless --host says otherwise; any other
address needs RECCE_SERVER_TOKEN (at least 16 random characters): the browser
signs in once with it, scripts send it as Authorization: Bearer. Stop the
server with Ctrl-C: runs in flight are cancelled and everything is saved.`,
		Example: `  recce server --demo
  recce server --project-dir my_dbt_project
  recce server --review recce_state.json --port 8001
  RECCE_SERVER_TOKEN=$(openssl rand -base64 32) recce server --host 0.0.0.0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.serve(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on (other than loopback: RECCE_SERVER_TOKEN is required)")
	f.IntVar(&o.port, "port", 8000, "port to listen on (0: any free port)")
	f.StringVar(&o.dataDir, "data-dir", "", "where recce keeps its data (default: $XDG_DATA_HOME/recce or ~/.local/share/recce)")
	f.StringVar(&o.review, "review", "", "review a state file alone (no warehouse: data checks cannot run)")
	f.BoolVar(&o.demo, "demo", false, "serve the demo project, generated into the data directory")
	f.StringVar(&o.caFile, "gitlab-ca-file", "", "PEM bundle of extra certificate authorities (self-managed GitLab behind a private CA)")
	f.BoolVar(&o.debug, "debug", false, "log every request and GitLab call (never a token or a query)")
	f.BoolVar(&o.jsonLogs, "log-json", false, "write logs as JSON lines instead of text")
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
	if o.review != "" && o.demo {
		return errors.New("choose --review STATE_FILE or --demo, not both")
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
	st, err := store.OpenSQLite(ctx, dataDir)
	if err != nil {
		return err
	}
	defer st.Close()

	gl := serverGitLab
	gl.CAFile = o.caFile
	opts := server.Options{
		Store: st, Token: token, GitLab: gl, Logger: log, Version: version, SyncInterval: serverSyncInterval,
		WebApp:  server.WebAppFS(web.Dist, "dist"),
		Secrets: sync.OnceValues(func() (*secret.Box, error) { return a.secretBox() }),
	}
	var closeEnv func()
	switch {
	case o.review != "":
		err = a.reviewOptions(&opts, dataDir, o.review)
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
	fmt.Fprintf(a.stdout, "Data in %s. Press Ctrl-C to stop.\n", dataDir)
	log.Info("listening", "url", url, "mode", opts.Mode, "data_dir", dataDir)
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
	opts.Initial = &server.Snapshot{Source: "sha256:" + sum, Checks: st.Checks, Runs: st.Runs}
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

func (a *app) uploadCmd() *cobra.Command { return notYet("upload") }
