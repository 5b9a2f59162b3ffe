package duckdbparser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

type parsed struct {
	q   *cl.Query
	err error
}

func parseAll(t *testing.T, p *Parser, dialect string, sqls ...string) []parsed {
	t.Helper()
	out := make([]parsed, len(sqls))
	var mu sync.Mutex
	err := p.Parse(context.Background(), dialect, sqls, func(i int, q *cl.Query, err error) {
		mu.Lock()
		out[i] = parsed{q, err}
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Compiled SQL is untrusted: the parser only parses, whatever the
// statement asks for.
func TestParserOnlyParses(t *testing.T) {
	p := New(Options{Workers: 2, Batch: 4})
	defer p.Close()
	dir := t.TempDir()
	target := filepath.Join(dir, "pwned.csv")
	db := filepath.Join(dir, "x.duckdb")
	attacks := []string{
		"select 1; copy (select 42) to '" + target + "'",
		"attach '" + db + "' as x",
		"copy (select 42) to '" + target + "'",
		"select * from read_csv('/etc/passwd')",
		"install httpfs",
		"set enable_external_access = true",
	}
	res := parseAll(t, p, "duckdb", attacks...)
	for i, r := range res[:3] {
		if r.q != nil {
			t.Errorf("%q parsed into a tree", attacks[i])
		}
	}
	// read_csv is a table function in the tree, never read.
	if res[3].q == nil {
		t.Errorf("read_csv did not parse: %v", res[3].err)
	}
	for _, f := range []string{target, db} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written", f)
		}
	}
	// The instance's configuration is locked: a statement cannot unlock
	// it, even if one were ever executed.
	c := <-p.pool
	_, err := c.c.ExecContext(context.Background(), "SET enable_external_access = true")
	p.pool <- c
	if err == nil || !strings.Contains(err.Error(), "lock") {
		t.Errorf("changing the configuration: %v", err)
	}
}

func TestParserBounds(t *testing.T) {
	p := New(Options{})
	defer p.Close()
	deep := "select " + strings.Repeat("1 + (", 3000) + "1" + strings.Repeat(")", 3000)
	huge := "select '" + strings.Repeat("x", MaxSQLBytes) + "'"
	res := parseAll(t, p, "duckdb", deep, huge, "select 1 as ok")
	if res[0].q != nil || res[0].err == nil || !strings.Contains(res[0].err.Error(), "depth") {
		t.Errorf("3,000 nested expressions: %v", res[0].err)
	}
	if res[1].q != nil || res[1].err == nil || !strings.Contains(res[1].err.Error(), "MB") {
		t.Errorf("a statement over %d bytes: %v", MaxSQLBytes, res[1].err)
	}
	if res[2].q == nil {
		t.Errorf("a good statement after bad ones: %v", res[2].err)
	}
}

// In a batch, a statement that leaves a comment open cannot swallow the
// next one, and one that does not parse does not fail the others.
func TestParserBatches(t *testing.T) {
	p := New(Options{Workers: 1, Batch: 8})
	defer p.Close()
	res := parseAll(t, p, "duckdb",
		"select a from t /* open",
		"*/ select b from u",
		"select c from v",
		"select from where",
		"select d as e from w",
	)
	sel := func(r parsed) string {
		if r.q == nil {
			return "error"
		}
		s := r.q.Body.(*cl.Select)
		return s.From.(*cl.Table).Parts[0]
	}
	var got []string
	for _, r := range res {
		got = append(got, sel(r))
	}
	// An open comment is a syntax error on its own too.
	if strings.Join(got, " ") != "error error v error w" {
		t.Errorf("batch results: %v", got)
	}
	if res[3].err == nil || !strings.Contains(res[3].err.Error(), "syntax error") {
		t.Errorf("the syntax error: %v", res[3].err)
	}
}

func TestParserClosed(t *testing.T) {
	p := New(Options{})
	parseAll(t, p, "duckdb", "select 1")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Parse(context.Background(), "duckdb", []string{"select 1"}, func(int, *cl.Query, error) {}); err == nil {
		t.Error("Parse after Close succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := New(Options{})
	defer q.Close()
	if err := q.Parse(ctx, "duckdb", []string{"select 1"}, func(int, *cl.Query, error) {}); err == nil {
		t.Error("Parse with a cancelled context succeeded")
	}
}
