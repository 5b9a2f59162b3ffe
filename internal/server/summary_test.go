package server

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/demo"
)

// demoArtifactsEnv is the demo project's artifacts (generated, no data):
// an added, a removed and modified models, a removed and a retyped column
// in customers. No warehouse: data checks cannot run.
func demoArtifactsEnv(t *testing.T) *check.Env {
	t.Helper()
	d, err := demo.Generate(context.Background(), filepath.Join(t.TempDir(), "demo"), demo.Options{ArtifactsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	base, current, err := dbt.LoadPair(context.Background(), d.Base.Dir, d.Current.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return &check.Env{Base: base, Current: current, NoWarehouse: errors.New("no warehouse in this test")}
}

// TestCheckOutcomes: every check of GET /api/checks carries the verdict
// check.Assess gives (the CLI's and the summary's), with its reason.
func TestCheckOutcomes(t *testing.T) {
	h := newHarness(t, demoArtifactsEnv(t))
	create := func(typ string, params map[string]any, name string) string {
		c := h.ok(201, "POST", "/api/checks", map[string]any{"type": typ, "params": params, "name": name}).object(t)
		return c["check_id"].(string)
	}
	run := func(id string) {
		r := h.ok(202, "POST", "/api/checks/"+id+"/run", nil).object(t)
		if done := h.waitRun(r["run_id"].(string)); done["status"] != "Finished" {
			t.Fatalf("run of %s: %v", id, done)
		}
	}
	mismatch := create("schema_diff", map[string]any{"node_ids": []string{"model.recce_demo.customers"}}, "Schema of customers")
	clean := create("schema_diff", map[string]any{"node_names": []string{"stg_products"}}, "Schema of stg_products")
	notRun := create("row_count_diff", map[string]any{"node_names": []string{"orders"}}, "Rows of orders")
	lin := create("lineage_diff", map[string]any{"select": "state:modified"}, "Lineage")
	note := create("simple", nil, "Read the change")
	run(mismatch)
	run(clean)
	run(lin)
	h.ok(200, "POST", "/api/checks/"+clean+"/approve", map[string]any{"approved": true})

	var list []struct {
		CheckID   string        `json:"check_id"`
		IsChecked bool          `json:"is_checked"`
		Outcome   check.Outcome `json:"outcome"`
	}
	h.ok(200, "GET", "/api/checks", nil).json(t, &list)
	got := map[string]check.Outcome{}
	for _, c := range list {
		got[c.CheckID] = c.Outcome
	}
	want := map[string]struct {
		verdict check.Verdict
		reason  string
	}{
		mismatch: {check.Mismatch, "columns changed in 1 of 1 selected nodes"},
		clean:    {check.Clean, "no column changed in 1 selected nodes"},
		notRun:   {check.Incomplete, "not run"},
		lin:      {check.Info, ""},
		note:     {check.Info, "note"},
	}
	for id, w := range want {
		o := got[id]
		if o.Verdict != w.verdict || (w.reason != "" && o.Reason != w.reason) {
			t.Errorf("check %s: outcome %+v, want %s %q", id, o, w.verdict, w.reason)
		}
	}
	if n := got[mismatch].Nodes; len(n) != 1 || n[0] != "customers" {
		t.Errorf("mismatch nodes %v, want [customers]", n)
	}
	// One check's answer carries it too.
	one := h.ok(200, "GET", "/api/checks/"+notRun, nil).object(t)
	if o, _ := one["outcome"].(map[string]any); o["verdict"] != "incomplete" || o["reason"] != "not run" {
		t.Errorf("GET /api/checks/{id} outcome %v", one["outcome"])
	}
}

// TestReviewSummary: GET /api/summary is the markdown the summary note
// would hold (internal/summary on the review's checks and runs), with its
// status and counts, for the web app's preview.
func TestReviewSummary(t *testing.T) {
	h := newHarness(t, demoArtifactsEnv(t))
	empty := h.ok(200, "GET", "/api/summary", nil).object(t)
	if empty["status"] != "success" || !strings.Contains(empty["markdown"].(string), "# Recce Summary") {
		t.Errorf("summary of an empty checklist: %v", empty)
	}

	c := h.ok(201, "POST", "/api/checks", map[string]any{"type": "schema_diff", "params": map[string]any{"node_ids": []string{"model.recce_demo.customers"}}, "name": "Schema of customers"}).object(t)
	r := h.ok(202, "POST", "/api/checks/"+c["check_id"].(string)+"/run", nil).object(t)
	h.waitRun(r["run_id"].(string))
	h.ok(201, "POST", "/api/checks", map[string]any{"type": "row_count_diff", "params": map[string]any{"node_names": []string{"orders"}}, "name": "Rows of orders"})

	var got reviewSummaryView
	h.ok(200, "GET", "/api/summary", nil).json(t, &got)
	for _, want := range []string{
		"<!-- recce:status=failed -->", "# Recce Summary", "```mermaid", "Schema of customers", "Rows of orders",
	} {
		if !strings.Contains(got.Markdown, want) {
			t.Errorf("summary markdown lacks %q:\n%s", want, got.Markdown)
		}
	}
	if got.Status != "failed" || got.Checks.Mismatch != 1 || got.Checks.Incomplete != 1 || got.Checks.Run != 2 || got.Headline == "" || got.Notices == nil {
		t.Errorf("summary data: %+v", got)
	}
}
