package columnlineage_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cl "gitlab.com/recce-go/recce/internal/columnlineage"
)

func cacheProject() (*project, []string) {
	p := newProject("duckdb")
	src := p.source("src", "id", "amount")
	a := p.model("a", `select id, amount * 2 as double_amount from db.raw.src where amount > 0`, []string{src})
	b := p.model("b", `select * from db.analytics.a`, []string{a})
	c := p.model("c", `select id from db.raw.src`, []string{src})
	// No catalog entry for a: b's columns come from a's lineage.
	return p, []string{a, b, c}
}

func TestCacheParsesOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	p, ids := cacheProject()
	cache := cl.NewCache()
	first := cl.New(parser, cache).Project(p.artifacts())
	want, err := first.Lineage(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	if st := first.Stats(); st.Parsed != 3 || st.Cached != 0 {
		t.Fatalf("first run: %+v", st)
	}

	// Saved and loaded: a later run parses nothing and gets the same
	// lineage (and fingerprints: an unchanged model is no change).
	path := filepath.Join(t.TempDir(), "column-lineage.json")
	if err := cache.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := cl.LoadCacheFile(path)
	if err != nil {
		t.Fatal(err)
	}
	second := cl.New(parser, loaded).Project(p.artifacts())
	got, err := second.Lineage(ctx, ids...)
	if err != nil {
		t.Fatal(err)
	}
	if st := second.Stats(); st.Parsed != 0 || st.Cached != 3 {
		t.Fatalf("second run: %+v", st)
	}
	for i := range ids {
		if describe(got[i]) != describe(want[i]) {
			t.Errorf("%s from the cache:\n%s\nwant:\n%s", ids[i], describe(got[i]), describe(want[i]))
		}
	}
	res, err := cl.Diff(ctx, cl.New(parser, loaded).Project(p.artifacts()), second, []string{ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if ch := res.Changes[ids[0]]; ch.Category != cl.CategoryAdditive || len(ch.Columns) != 0 {
		t.Errorf("an unchanged model from the cache: %+v", ch)
	}

	// a changes: a is parsed again, and so is b, whose columns come from
	// a; c is not.
	p.model("a", `select id, amount * 3 as double_amount from db.raw.src where amount > 0`, []string{"source.p.raw.src"})
	third := cl.New(parser, loaded).Project(p.artifacts())
	if _, err := third.Lineage(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	if st := third.Stats(); st.Parsed != 2 || st.Cached != 1 {
		t.Errorf("after a change: %+v", st)
	}
}

func TestCacheFiles(t *testing.T) {
	dir := t.TempDir()
	// A missing file is an empty cache.
	c, err := cl.LoadCacheFile(filepath.Join(dir, "none.json"))
	if err != nil || c.Len() != 0 {
		t.Fatalf("missing file: %v, %d entries", err, c.Len())
	}
	// A damaged file says what to do.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version": "columnlineage/1", "models": {`), 0o600)
	if _, err := cl.LoadCacheFile(bad); err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Errorf("damaged file: %v", err)
	}
	// Another version's cache is ignored, not misread.
	old := filepath.Join(dir, "old.json")
	os.WriteFile(old, []byte(`{"version": "columnlineage/0", "models": {"k": {"columns": []}}}`), 0o600)
	if c, err := cl.LoadCacheFile(old); err != nil || c.Len() != 0 {
		t.Errorf("old version: %v, %d entries", err, c.Len())
	}
}
