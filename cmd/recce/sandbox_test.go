package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The SQL sandbox through the commands (issue 11, findings 2, 3 and 6):
// the flags reach the warehouse, and what the review did is refused.

const slowDuckDB = "select count(*) from range(100000000000) r(a) where a % 7 = 3"

func TestQuerySandbox(t *testing.T) {
	project := jaffleProject(t, "")
	dir := t.TempDir()
	key := filepath.Join(dir, "secret.key")
	const secret = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLXRlc3Q="
	if err := os.WriteFile(key, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pwned.csv")
	query := func(args ...string) (string, string, int) {
		return runRecce(t, append(append([]string{"query"}, args...), project...)...)
	}

	for _, sql := range []string{
		"select * from read_text('" + key + "')",
		"select 1) q; copy (select 1) to '" + out + "'; select * from (select 1",
		"copy (select 1) to '" + out + "'",
		"attach '" + filepath.Join(dir, "other.duckdb") + "' as o",
	} {
		stdout, stderr, code := query("--sql", sql)
		if code != 1 || strings.Contains(stdout+stderr, secret) {
			t.Errorf("recce query --sql %q: exit %d\n%s%s", sql, code, stdout, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written", out)
	}
	// The message for a file says how to allow files.
	if _, stderr, _ := query("--sql", "select * from read_text('"+key+"')"); !strings.Contains(stderr, "--duckdb-external-access") {
		t.Errorf("read_text: %s", stderr)
	}
	// Allowed, the file can be read (and nothing else changes).
	if stdout, stderr, code := query("--duckdb-external-access", "--sql", "select content from read_text('"+key+"')"); code != 0 || !strings.Contains(stdout, secret) {
		t.Errorf("--duckdb-external-access: exit %d\n%s%s", code, stdout, stderr)
	}

	start := time.Now()
	_, stderr, code := query("--query-timeout", "1s", "--sql", slowDuckDB)
	if code != 1 || !strings.Contains(stderr, "query timeout of 1s") || !strings.Contains(stderr, "--query-timeout") {
		t.Errorf("--query-timeout 1s: exit %d: %s", code, stderr)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cut after %s", d)
	}
	if _, stderr, code := query("--query-timeout", "-1s", "--sql", "select 1"); code != 1 || !strings.Contains(stderr, "--query-timeout -1s") {
		t.Errorf("a negative timeout: exit %d: %s", code, stderr)
	}
	// The other commands that open a warehouse take the flags too.
	for _, cmd := range [][]string{{"diff", "row-count"}, {"run", "-o", filepath.Join(dir, "state.json")}, {"server"}} {
		if _, stderr, code := runRecce(t, append(cmd, "--query-timeout", "-1s", "--help")...); code != 0 || stderr != "" {
			t.Errorf("recce %s --query-timeout: exit %d: %s", strings.Join(cmd, " "), code, stderr)
		}
	}

	// A result past the cap (8 MiB) is cut and says so.
	stdout, stderr, code := query("--format", "json", "--sql", "select range as id, repeat('x', 10000) as pad from range(2000)")
	var res struct {
		Data      [][]any `json:"data"`
		More      bool    `json:"more"`
		Truncated bool    `json:"truncated"`
		Total     int     `json:"total"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !res.Truncated || !res.More || res.Total != 2000 || len(res.Data) >= 2000 || len(stdout) > 9<<20 {
		t.Errorf("a 20 MB result: %d rows, truncated %v, more %v, total %d, %d bytes of JSON", len(res.Data), res.Truncated, res.More, res.Total, len(stdout))
	}
	stdout, _, _ = query("--sql", "select range as id, repeat('x', 10000) as pad from range(2000)")
	if !strings.Contains(stdout, "size cap of a result") {
		t.Errorf("the text output does not say the result was cut: %.300s", stdout[max(0, len(stdout)-300):])
	}
}

// recce server --query-timeout reaches the warehouse the query editor
// uses; the editor cannot read the key file or the store, nor write, and
// a huge result is neither kept whole nor saved whole.
func TestServerQuerySandbox(t *testing.T) {
	data := t.TempDir()
	config := t.TempDir()
	keyFile := filepath.Join(config, "recce", "secret.key")
	const key = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_CONFIG_HOME": config, "HOME": t.TempDir()}
	s := startServer(t, env, "server", "--demo", "--port", "0", "--data-dir", data, "--query-timeout", "2s")
	query := func(sql string) map[string]any {
		t.Helper()
		run := s.call("POST", "/api/query", map[string]any{"sql_template": sql, "env": "current"}, 202).(map[string]any)
		return s.waitRun(run["run_id"].(string))
	}
	pwned := filepath.Join(data, "pwned.csv")
	for _, sql := range []string{
		"select * from read_text('" + keyFile + "')",
		"select * from read_blob('" + filepath.Join(data, "recce.db") + "')",
		"select 1) q; copy (select 1) to '" + pwned + "'; select * from (select 1",
		"attach '" + filepath.Join(data, "recce.db") + "' as store (type sqlite)",
	} {
		r := query(sql)
		js, _ := json.Marshal(r)
		if r["status"] != "Failed" || strings.Contains(string(js), key) {
			t.Errorf("%s: %s", sql, js)
		}
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Errorf("%s was written", pwned)
	}

	start := time.Now()
	r := query(slowDuckDB)
	if r["status"] != "Failed" || !strings.Contains(r["error"].(string), "--query-timeout") || time.Since(start) > 30*time.Second {
		t.Errorf("a runaway query under --query-timeout 2s: %v after %s", r, time.Since(start))
	}

	r = query("select range as id, repeat('x', 10000) as pad from range(2000)")
	js, _ := json.Marshal(r)
	if r["status"] != "Finished" || !strings.Contains(string(js), `"truncated":true`) || len(js) > 9<<20 {
		t.Errorf("a 20 MB result: status %v, %d bytes, truncated flag %v", r["status"], len(js), strings.Contains(string(js), `"truncated":true`))
	}
	if fi, err := os.Stat(filepath.Join(data, "workspaces", "demo-recce_demo.json")); err != nil || fi.Size() > 10<<20 {
		t.Errorf("the workspace file after a 20 MB result: %v bytes, %v", fi.Size(), err)
	}
}
