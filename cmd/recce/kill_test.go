//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

// TestServerKilledAfterUploadPostsOnceAfterRestart is issue 7's "a server
// killed between storing an upload and posting (the note is posted after
// restart, once)", with a real process and a real SIGKILL: no deferred
// function, no shutdown, no Close runs in the server that dies.
//
// A merge request pipeline runs `recce upload` to a `recce server --team`
// process; its worker claims the summary job and sends the note's POST,
// which the fake GitLab holds. The process is killed there, with the job
// leased to it. GitLab then either has stored the note (it did the work,
// the answer never left) or has not, and a new process on the same
// database must take the job over once the lease runs out and leave
// exactly one summary note and the commit status. On PostgreSQL (skipped,
// loudly, only when no cluster can start) and on SQLite.
func TestServerKilledAfterUploadPostsOnceAfterRestart(t *testing.T) {
	bin := buildRecce(t)
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			for _, stored := range []bool{true, false} {
				name := "note-not-stored"
				if stored {
					name = "note-stored"
				}
				t.Run(name, func(t *testing.T) { testKilledMidPost(t, bin, backend, stored) })
			}
		})
	}
}

// killLease is the servers' job lease: long enough to be extended on a
// busy machine (every third of it), short enough that the takeover after
// the kill comes within seconds.
const killLease = "3s"

func testKilledMidPost(t *testing.T, bin, backend string, stored bool) {
	dbURL := ""
	if backend == "postgres" {
		dbURL = pgURLWithPassword(t) // skips when PostgreSQL cannot start
	}
	e := newGLEnv(t) // its cleanup: no token in clear in the data directory
	const key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
	secrets := func() []string { return append(e.fake.Secrets(), key, "pg-secret-pw") }

	// The connection, as an administrator stores it for the team servers.
	env := e.workstation()
	env["RECCE_SECRET_KEY"] = key
	if out, errOut, code := e.run(t, env, e.token.Value+"\n", "gitlab", "connect", "--gitlab-url", e.fake.URL,
		"--project", "data/analytics", "--data-dir", e.dataDir, "--database-url", dbURL); code != 0 {
		t.Fatalf("gitlab connect: exit %d\n%s\n%s", code, out, errOut)
	}

	// GitLab will hold the note's creation: stored first, or not at all.
	gate := e.fake.NewGate()
	e.fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/notes", AfterWrite: stored, Gate: gate})

	home := t.TempDir() // no profiles.yml anywhere: a team server without a warehouse
	procEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_DATA_HOME=" + e.dataDir,
		"XDG_CONFIG_HOME=" + e.cfgDir, "RECCE_SECRET_KEY=" + key}
	args := []string{"server", "--team", "--port", "0", "--data-dir", e.dataDir, "--job-lease", killLease}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	first := startProcess(t, "the first server", bin, home, procEnv, secrets, args...)

	// The pipeline's upload: answered once the state and its job are stored.
	mr := e.mr
	job := e.fake.AddMergeRequestJob(e.project, mr.IID, mr.SHA, false)
	statePath := writeState(t, mr.IID, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	up := exec.CommandContext(ctx, bin, "upload", statePath)
	up.Dir, up.Env = home, append(procEnv, "RECCE_SERVER_URL="+first.url, "CI_JOB_TOKEN="+job.Token,
		"CI_PROJECT_ID=42", fmt.Sprintf("CI_MERGE_REQUEST_IID=%d", mr.IID))
	out, err := up.CombinedOutput()
	assertNoSecret(t, "recce upload's output", string(out), secrets())
	if err != nil || !strings.Contains(string(out), "upload 1") {
		t.Fatalf("recce upload: %v\n%s\nthe server's log:\n%s", err, out, first.stderr)
	}

	// The worker is in the middle of the note's POST, the job leased to it.
	select {
	case <-gate.Arrived():
	case <-first.exited:
		t.Fatalf("the first server exited before posting: %v\n%s", first.err, first.stderr)
	case <-time.After(time.Minute):
		t.Fatalf("no note POST reached GitLab within a minute of the upload; the server's log:\n%s", first.stderr)
	}
	if n := len(e.fake.UserNotes(e.project.ID, mr.IID)); n != btoi(stored) {
		t.Fatalf("%d notes while GitLab holds the POST, want %d", n, btoi(stored))
	}
	if running := first.jobs(t, "running"); len(running) != 1 || running[0].Attempts != 1 {
		t.Fatalf("jobs running while the POST is held: %+v", running)
	}

	first.kill()
	ws, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the first server ended with %v, not killed by SIGKILL", first.cmd.ProcessState)
	}
	// GitLab sees its client gone (the held request ends, unanswered),
	// then lets go of the POST.
	waitUntil(t, "GitLab noticing that the killed server's connection closed", func() bool {
		for _, r := range e.fake.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/notes") && r.Status == 499 {
				return true
			}
		}
		return false
	})
	gate.Release()
	if n := len(e.fake.UserNotes(e.project.ID, mr.IID)); n != btoi(stored) {
		t.Fatalf("%d notes after the kill, want %d", n, btoi(stored))
	}
	if n := len(e.fake.Statuses()); n != 0 {
		t.Fatalf("%d commit statuses set before the restart", n)
	}

	// The restart: a new process on the same database takes the job over
	// once the dead one's lease has run out.
	second := startProcess(t, "the restarted server", bin, home, procEnv, secrets, args...)
	var noteID int64
	deadline := time.Now().Add(time.Minute)
	for {
		notes := summaryNotes(e.fake, e.project.ID, mr.IID)
		if len(notes) > 1 {
			t.Fatalf("%d summary notes on !%d after the restart, want 1:\n%s", len(notes), mr.IID, second.stderr)
		}
		if len(notes) == 1 && lastStatusOn(e.fake, mr.SHA) == "success" && len(second.jobs(t, "pending"))+len(second.jobs(t, "running")) == 0 {
			noteID = notes[0].ID
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no summary note and success status within a minute of the restart: %d notes, status %q, jobs %+v\nthe restarted server's log:\n%s",
				len(notes), lastStatusOn(e.fake, mr.SHA), second.jobs(t, ""), second.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var sess struct {
		Summary struct {
			NoteID int64 `json:"note_id"`
		} `json:"summary"`
		CommitStatus struct{ State string } `json:"commit_status"`
	}
	second.get(t, fmt.Sprintf("/api/mr/%d", mr.IID), &sess)
	if sess.Summary.NoteID != noteID || sess.CommitStatus.State != "success" {
		t.Errorf("the session after the restart: note %d (GitLab's is %d), commit status %q", sess.Summary.NoteID, noteID, sess.CommitStatus.State)
	}
	done := second.jobs(t, "done")
	if len(done) != 1 || done[0].Attempts != 2 {
		t.Errorf("done jobs: %+v, want the one summary job, in its second attempt (the first died with the server)", done)
	}
	if dead := second.jobs(t, "dead"); len(dead) != 0 {
		t.Errorf("dead jobs: %+v", dead)
	}

	// Stopped as an administrator does: nothing more is posted.
	second.interrupt()
	if notes := e.fake.UserNotes(e.project.ID, mr.IID); len(notes) != 1 || !strings.Contains(notes[0].Body, gitlab.SummaryMarker) {
		t.Errorf("%d notes on !%d, want exactly the summary note", len(notes), mr.IID)
	}
	if n := len(e.fake.Statuses()); n != 1 {
		t.Errorf("%d commit statuses, want 1", n)
	}
	posts := 0
	for _, r := range e.fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/notes") {
			posts++
		}
	}
	// With the note stored, the restarted server finds it by its marker
	// and creates nothing; without, it creates it.
	if want := 2 - btoi(stored); posts != want {
		t.Errorf("%d note creations sent to GitLab, want %d", posts, want)
	}
}

// buildRecce builds the recce binary once for the test.
func buildRecce(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on the PATH: the test builds the recce binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "recce")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a `recce server` process, its output captured.
type process struct {
	t              *testing.T
	name           string
	cmd            *exec.Cmd
	url            string
	stdout, stderr *lockedBuffer
	exited         chan struct{} // closed once it has exited; err is then set
	err            error
}

// startProcess starts the recce binary with args (a server on port 0) and
// waits for the URL it prints. The process is killed when the test ends
// at the latest, and its output is then checked for secrets.
func startProcess(t *testing.T, name, bin, dir string, env []string, secrets func() []string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, cmd: exec.Command(bin, args...), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Dir, p.cmd.Env = dir, env
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		output := p.stdout.String() + p.stderr.String()
		assertNoSecret(t, name+"'s output", output, secrets())
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, output)
		}
	})
	t.Cleanup(p.kill) // before the check above
	for deadline := time.Now().Add(time.Minute); p.url == ""; time.Sleep(10 * time.Millisecond) {
		if m := urlLine.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited before serving (%v):\n%s", name, p.err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s printed no URL within a minute:\n%s", name, p.stderr)
		}
	}
	return p
}

// kill sends SIGKILL (if it still runs) and waits for the exit.
func (p *process) kill() {
	_ = p.cmd.Process.Kill() // os.ErrProcessDone when it already exited
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("%s survived SIGKILL for 30 s", p.name)
	}
}

// interrupt stops the server as Ctrl-C does and fails unless it exits 0.
func (p *process) interrupt() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		if p.err != nil {
			p.t.Errorf("%s exited with %v after the interrupt", p.name, p.err)
		}
	case <-time.After(30 * time.Second):
		p.kill()
		p.t.Fatalf("%s did not stop within 30 s of the interrupt", p.name)
	}
}

// jobView is a job as GET /api/jobs lists it.
type jobView struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	IID       int64  `json:"iid"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
}

// jobs lists the server's jobs in a state ("" for all).
func (p *process) jobs(t *testing.T, state string) []jobView {
	t.Helper()
	var out []jobView
	p.get(t, "/api/jobs?state="+state, &out)
	return out
}

// get reads a JSON answer of the server's API, as the web app asks.
func (p *process) get(t *testing.T, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.url+path, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s of %s: %v", path, p.name, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s of %s: %d %s", path, p.name, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s of %s: %v: %s", path, p.name, err, body)
	}
}

func assertNoSecret(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("a secret (%.4s…) appears in %s", s, where)
		}
	}
}

// summaryNotes are the summary notes on a merge request of the fake.
func summaryNotes(f *gitlabtest.Server, projectID, iid int64) []gitlabtest.Note {
	var out []gitlabtest.Note
	for _, n := range f.UserNotes(projectID, iid) {
		if strings.Contains(n.Body, gitlab.SummaryMarker) {
			out = append(out, n)
		}
	}
	return out
}

// lastStatusOn is the latest commit status state on sha ("" for none).
func lastStatusOn(f *gitlabtest.Server, sha string) string {
	state := ""
	for _, s := range f.Statuses() {
		if s.SHA == sha {
			state = s.State
		}
	}
	return state
}
