package server

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
)

// warehouseEnvHere is jaffleWarehouseEnv, back in the package's directory
// afterwards, where the fake GitLab and stateFile find the shared test
// data.
func warehouseEnvHere(t *testing.T) *check.Env {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	env := jaffleWarehouseEnv(t)
	t.Chdir(wd)
	return env
}

// stateWithRuns is stateFile with runs the pipeline computed.
func stateWithRuns(t *testing.T, iid int64, checks []*check.Check, runs []*check.Run) []byte {
	t.Helper()
	st, err := check.Decode(bytes.NewReader(stateFile(t, iid, checks...)))
	if err != nil {
		t.Fatal(err)
	}
	st.Runs = append(st.Runs, runs...)
	var b bytes.Buffer
	if err := st.Encode(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sessionState is the session's stored state (checks and runs).
func (h *harness) sessionState(projectID, iid int64) *check.State {
	h.t.Helper()
	sess, err := h.store.Session(h.t.Context(), projectID, iid)
	if err != nil {
		h.t.Fatal(err)
	}
	st, err := decodeSessionState(sess.StateJSON)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// Issue 11, finding 1: a merge request pipeline's upload defines checks
// whose SQL would read the server's key file into the note, and write a
// file on the server. The server runs neither: the checks are reported as
// not run in CI, nothing of the key reaches the note, no file is written.
// A check of the server's own recce.yml, uploaded unchanged, is run.
func TestUploadedSQLNeverRuns(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "secret.key")
	const key = "c2VydmVyLWFlcy1rZXktdGhhdC1tdXN0LW5vdC1sZWFr"
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	pwned := filepath.Join(dir, "pwned.csv")
	trustedRowCount := &check.Check{CheckID: "7d1e0f00-0000-4000-8000-000000000001", Name: "Row counts of customers", Type: check.RowCountDiff,
		Params: check.Params{"node_names": []any{"customers"}}, IsPreset: true}
	h := newHarness(t, warehouseEnvHere(t), func(o *Options) { o.TrustedChecks = []*check.Check{trustedRowCount} })
	h.addSecrets(key)
	e := connected(t, h)
	mr := e.mrs[0]

	readKey := &check.Check{CheckID: "a0000000-0000-4000-8000-000000000001", Name: "Segments", Type: check.Query,
		Params: check.Params{"sql_template": fmt.Sprintf("select cast(content as integer) as n from read_text('%s')", keyFile)}}
	copyOut := &check.Check{CheckID: "a0000000-0000-4000-8000-000000000002", Name: "Orders", Type: check.Query,
		Params: check.Params{"sql_template": fmt.Sprintf("select 1) q; COPY (select 42 as x) TO '%s'; select * from (select 1", pwned)}}
	// The trusted check's id with other SQL: not the trusted check.
	impostor := &check.Check{CheckID: trustedRowCount.CheckID, Name: trustedRowCount.Name, Type: check.QueryDiff, IsPreset: true,
		Params: check.Params{"sql_template": fmt.Sprintf("select * from read_text('%s')", keyFile)}}
	for i, tc := range []struct {
		name   string
		checks []*check.Check
	}{
		{"read the key", []*check.Check{readKey, copyOut, lineageCheck}},
		{"an impostor of a trusted check", []*check.Check{impostor}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.push(mr, strings.Repeat(fmt.Sprint(i+1), 40)) // a new commit: a new status
			h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), stateFile(t, mr.IID, tc.checks...), append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
			waitFor(t, "the summary", func() bool { return e.lastStatus(mr.SHA).State != "" && h.pendingJobs() == 0 })
			notes := e.summaryNotes(mr.IID)
			if len(notes) != 1 {
				t.Fatalf("%d summary notes", len(notes))
			}
			if strings.Contains(notes[0].Body, key) || strings.Contains(notes[0].Body, "Conversion Error") {
				t.Fatalf("the key file reached the note:\n%s", notes[0].Body)
			}
			if !strings.Contains(notes[0].Body, "not run in CI") {
				t.Errorf("the note does not say the checks were not run in CI:\n%s", notes[0].Body)
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Fatal("the upload's SQL wrote a file on the server")
			}
			st := h.sessionState(e.project.ID, mr.IID)
			latest := check.LatestRuns(st.Runs)
			for _, c := range tc.checks {
				if c.Type.NeedsWarehouse() && latest[c.CheckID] != nil {
					t.Errorf("the server ran the upload's %q: %+v", c.Name, latest[c.CheckID])
				}
			}
			if e.lastStatus(mr.SHA).State != "failed" {
				t.Errorf("checks not run must fail the gate: %+v", e.lastStatus(mr.SHA))
			}
		})
	}

	// The server's own check, uploaded unchanged without a result: run
	// here, on the server's warehouse.
	e.push(mr, strings.Repeat("d", 40))
	h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), stateFile(t, mr.IID, trustedRowCount, lineageCheck), append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	waitFor(t, "the summary of the trusted check", func() bool { return e.lastStatus(mr.SHA).State != "" && h.pendingJobs() == 0 })
	run := check.LatestRuns(h.sessionState(e.project.ID, mr.IID).Runs)[trustedRowCount.CheckID]
	if run == nil || run.Status != check.Finished {
		t.Fatalf("the trusted check was not run: %+v", run)
	}
	if e.lastStatus(mr.SHA).State != "success" {
		t.Errorf("status: %+v", e.lastStatus(mr.SHA))
	}
}

// Issue 11, finding 12: a note posted by the server never carries a
// warehouse's error text (here it quotes a value of the data); it says
// the check did not complete, and the session's review shows the error to
// signed-in users.
func TestWarehouseErrorsStayOutOfNotes(t *testing.T) {
	const value = "ssn-078-05-1120"
	trusted := &check.Check{CheckID: "7d1e0f00-0000-4000-8000-000000000003", Name: "A failing query", Type: check.Query, IsPreset: true,
		Params: check.Params{"sql_template": "select cast('" + value + "' as integer) as n"}}
	h := newHarness(t, warehouseEnvHere(t), func(o *Options) {
		o.TrustedChecks = []*check.Check{trusted}
		o.PublicURL = "https://recce.example.com"
	})
	h.addSecrets(value)
	e := connected(t, h)
	mr := e.mrs[1]
	// The pipeline's own failed run carries the warehouse's error too.
	pipelineCheck := &check.Check{CheckID: "b0000000-0000-4000-8000-000000000001", Name: "Pipeline's query", Type: check.Query, Params: check.Params{"sql_template": "select 1"}}
	failed := &check.Run{RunID: "r-1", CheckID: pipelineCheck.CheckID, Type: check.Query, Status: check.Failed, Params: check.Params{},
		Error: "Conversion Error: Could not convert string '" + value + "' to INT32", RunAt: check.Now()}
	h.ok(202, "POST", fmt.Sprintf("/api/mr/%d/upload", mr.IID), stateWithRuns(t, mr.IID, []*check.Check{trusted, pipelineCheck}, []*check.Run{failed}),
		append(e.pipeline([]*harness{h}, mr), "Sec-Fetch-Site", "")...)
	waitFor(t, "the summary", func() bool { return e.lastStatus(mr.SHA).State != "" && h.pendingJobs() == 0 })
	notes := e.summaryNotes(mr.IID)
	if len(notes) != 1 {
		t.Fatalf("%d notes", len(notes))
	}
	body := notes[0].Body
	if strings.Contains(body, value) || strings.Contains(body, "Conversion Error") {
		t.Fatalf("a warehouse error reached the note:\n%s", body)
	}
	if strings.Count(body, "did not complete: the error is in the review") != 2 || !strings.Contains(body, fmt.Sprintf("https://recce.example.com/mr/%d", mr.IID)) {
		t.Errorf("the note does not say where the errors are:\n%s", body)
	}
	// Signed-in users see both errors in the session.
	h.forgetAnswers() // the answers below may show the value: they are for signed-in users
	runs := string(h.ok(200, "GET", fmt.Sprintf("/api/mr/%d/runs", mr.IID), nil).body)
	h.forgetAnswers()
	if strings.Count(runs, value) < 2 {
		t.Errorf("the session's runs do not show the errors: %s", runs)
	}
}
