// Package pgtest starts throwaway PostgreSQL clusters for tests: initdb
// into a temporary folder, a free port on 127.0.0.1, pg_ctl start, and
// stop and removal at the end. Tests of any package use it so that
// PostgreSQL code is tested against a real server, not a fake.
//
// Typical use, one cluster per test binary and one database per test:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.NewDatabase(t) // skips, loudly, when no server can start
//		...
//	}
//
// When no cluster can be started (PostgreSQL not installed), tests skip
// with the reason, printed on stderr as well so that it shows without -v:
// .ci/run installs PostgreSQL, so in CI they run.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway cluster.
type Server struct {
	// URL connects to the postgres database as the superuser postgres,
	// without a password (trust authentication, loopback only).
	URL  string
	Port int

	dir    string   // temporary folder holding data/, the socket and the log
	runAs  []string // prefix to run the PostgreSQL tools as the postgres user
	pgCtl  string
	stopMu sync.Mutex
	done   bool
}

// Start starts a cluster that lives as long as the test; the test skips
// when no cluster can be started.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		skip(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}

var (
	shared    *Server
	sharedErr error
	sharedMu  sync.Mutex
	dbSeq     atomic.Int64
)

// Main runs the tests of a package and stops the shared cluster (if a test
// started one) before exiting. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.Stop()
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// Shared returns the cluster shared by the tests of this test binary,
// starting it on first use. Without Main in TestMain, it is stopped by
// nothing: pair the two.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = New()
	}
	if sharedErr != nil {
		skip(t, sharedErr)
	}
	return shared
}

// NewDatabase creates an empty database in the shared cluster for one test
// and returns its URL; the database is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx := context.Background()
	if err := s.exec(ctx, "create database "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := s.exec(context.Background(), "drop database if exists "+name+" with (force)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.DatabaseURL(name, "postgres")
}

// DatabaseURL is the URL of a database of the cluster as a given role.
func (s *Server) DatabaseURL(database, role string) string {
	u := url.URL{Scheme: "postgres", User: url.User(role), Host: "127.0.0.1:" + strconv.Itoa(s.Port),
		Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func skip(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("SKIP %s: no PostgreSQL server could be started: %v (install the postgresql package, as .ci/run does)", t.Name(), err)
	fmt.Fprintln(os.Stderr, msg)
	t.Skip(msg)
}

// New starts a cluster. Stop it with Stop.
func New() (*Server, error) {
	initdb, pgCtl, err := findTools()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "recce-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, pgCtl: pgCtl}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	// PostgreSQL refuses to run as root: run the tools as the postgres
	// user (which the Debian package creates), in a folder it owns.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			return fail(fmt.Errorf("running as root without runuser: %w", err))
		}
		s.runAs = []string{runuser, "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"); err != nil {
		return fail(fmt.Errorf("initdb: %w: %s", err, out))
	}
	// A free port: ask the kernel for one, then release it for the server.
	// Another process could take it in between; the retry covers that.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
		out, err := s.run(pgCtl, "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			s.Port = port
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return fail(fmt.Errorf("pg_ctl start: %w: %s %s", err, out, lastLines(log, 10)))
		}
	}
	s.URL = s.DatabaseURL("postgres", "postgres")
	return s, nil
}

// Stop stops the server and removes its folder. It is safe to call twice.
func (s *Server) Stop() {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	if s.done {
		return
	}
	s.done = true
	if out, err := s.run(s.pgCtl, "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: pg_ctl stop: %v: %s\n", err, out)
	}
	os.RemoveAll(s.dir)
}

func (s *Server) run(tool string, args ...string) (string, error) {
	argv := append(append(append([]string{}, s.runAs...), tool), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.dir // the postgres user may not be able to read the caller's folder
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return strings.TrimSpace(out.String()), err
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return out.String(), errors.New("timed out after 2 minutes")
	}
}

// findTools finds initdb and pg_ctl on PATH, else in Debian's versioned
// folders (the newest version first).
func findTools() (initdb, pgCtl string, err error) {
	if i, err1 := exec.LookPath("initdb"); err1 == nil {
		if p, err2 := exec.LookPath("pg_ctl"); err2 == nil {
			return i, p, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		i, p := filepath.Join(d, "initdb"), filepath.Join(d, "pg_ctl")
		if isFile(i) && isFile(p) {
			return i, p, nil
		}
	}
	return "", "", errors.New("initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
