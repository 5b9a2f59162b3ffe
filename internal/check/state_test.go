package check

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const referenceState = "testdata/reference_state_v0.json"

// rawSection returns a top-level section of a JSON file as generic values.
func rawSection(t *testing.T, path, key string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}

// rawArtifact extracts an embedded artifact's bytes from a file by
// decoding it with our decoder (tested against the text itself below).
func TestReferenceStateLoads(t *testing.T) {
	s, err := Load(referenceState)
	if err != nil {
		t.Fatal(err)
	}
	if s.Metadata.SchemaVersion != "v0" || s.Metadata.RecceVersion != "0.44.0" || s.Metadata.GeneratedAt.Format("15:04:05") != "08:10:02" {
		t.Errorf("metadata %+v", s.Metadata)
	}
	if len(s.Runs) != 5 || len(s.Checks) != 6 {
		t.Fatalf("%d runs, %d checks", len(s.Runs), len(s.Checks))
	}
	// A run written without a status (older reference versions) gets one
	// from its result or error.
	if s.Runs[2].Status != Finished || s.Runs[3].Status != Failed || s.Runs[0].Name != "Row count of customers and orders" {
		t.Errorf("statuses %s %s, name %q", s.Runs[2].Status, s.Runs[3].Status, s.Runs[0].Name)
	}
	if got := s.Checks[1].CreatedAt.Nanosecond(); got != 123456000 {
		t.Errorf("created_at fraction %d", got)
	}
	if !s.Checks[1].IsChecked || s.Checks[0].IsChecked || !s.Checks[0].IsPreset {
		t.Errorf("approvals %+v", s.Checks[:2])
	}
	if s.Checks[5].Type != Simple || s.Checks[5].Params != nil {
		t.Errorf("simple check %+v", s.Checks[5])
	}
	if s.PullRequest == nil || s.PullRequest.ID != float64(17) || s.PullRequest.Repository != "data/analytics" || s.Git.Branch != "feature/ltv" {
		t.Errorf("pull request %+v git %+v", s.PullRequest, s.Git)
	}
	if s.Artifacts.Current.Catalog != nil || s.Artifacts.Base.Catalog == nil {
		t.Error("catalogs: the current one is null in the file, the base one is not")
	}
	text, _ := os.ReadFile(referenceState)
	if !bytes.Contains(text, s.Artifacts.Base.Manifest) || !bytes.HasPrefix(s.Artifacts.Base.Manifest, []byte(`{"metadata"`)) {
		t.Error("the base manifest is not the file's bytes as they are")
	}
	base, cur, err := s.LoadArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	if base.Manifest.Nodes["model.jaffle_shop.customers"].Schema != "prod" || cur.Manifest.Nodes["model.jaffle_shop.customers"].Schema != "dev" || base.Catalog == nil || cur.Catalog != nil {
		t.Error("embedded artifacts parsed wrong")
	}
}

func TestReferenceStateVerdicts(t *testing.T) {
	s, err := Load(referenceState)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]*Check{}
	for _, c := range s.Checks {
		checks[c.CheckID] = c
	}
	want := []struct {
		verdict Verdict
		nodes   []string
	}{
		// 99 -> 104; stg_deleted is in the current manifest but not in
		// the warehouse: not counted, so no difference is known there.
		{Mismatch, []string{"orders"}},
		{Mismatch, []string{"customers"}}, // a column at 92%
		{Mismatch, nil},                   // query results differ (no keys: compared rows)
		{Incomplete, nil},                 // failed
	}
	for i, w := range want {
		r := s.Runs[i]
		o := Assess(checks[r.CheckID], r)
		if o.Verdict != w.verdict || !reflect.DeepEqual(o.Nodes, w.nodes) {
			t.Errorf("run %d (%s): %+v, want %s %v", i, r.Type, o, w.verdict, w.nodes)
		}
	}
	if o := Assess(checks[s.Runs[0].CheckID], s.Runs[0]); !strings.Contains(o.Reason, "stg_deleted (current table_not_found) could not be counted") {
		t.Errorf("a table missing on one side is named in the reason: %q", o.Reason)
	}
	if o := Assess(checks[s.Runs[3].CheckID], s.Runs[3]); !strings.Contains(o.Reason, "Binder Error") {
		t.Errorf("a failed run's reason is its error: %q", o.Reason)
	}
	v, err := DecodeResult(s.Runs[1])
	if err != nil {
		t.Fatal(err)
	}
	rates := v.(*ValueDiffResult).ColumnRates()
	if len(rates) != 2 || rates[1].Name != "customer_lifetime_value" || rates[1].Matched != 92 || *rates[1].MatchedP != 0.92 || rates[1].Mismatched != -1 {
		t.Errorf("rates from the reference's data frame: %+v", rates)
	}
	h, err := DecodeResult(s.Runs[4])
	if err != nil {
		t.Fatal(err)
	}
	if hr := h.(*HistogramDiffResult); !reflect.DeepEqual(hr.Current.Counts, []int64{94, 10}) || hr.Base.Total != 99 {
		t.Errorf("histogram %+v", hr)
	}
	if o := Assess(&Check{Type: Simple}, nil); o.Verdict != Info {
		t.Errorf("a note: %+v", o)
	}
	if o := Assess(&Check{Type: RowCountDiff}, nil); o.Verdict != Incomplete {
		t.Errorf("never run: %+v", o)
	}
}

// TestReferenceStateRoundTrip writes the reference's file back and checks
// that every field the reference wrote is still there with its value, and
// that the artifacts are byte for byte the same.
func TestReferenceStateRoundTrip(t *testing.T) {
	s, err := Load(referenceState)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "recce_state.json")
	if err := Save(context.Background(), out, s); err != nil {
		t.Fatal(err)
	}
	again, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Artifacts, s.Artifacts) {
		t.Error("artifacts changed in the round trip")
	}
	if !reflect.DeepEqual(again.Checks, s.Checks) || !reflect.DeepEqual(again.PullRequest, s.PullRequest) || again.Metadata != s.Metadata {
		t.Error("checks, pull request or metadata changed in the round trip")
	}
	for _, key := range []string{"runs", "checks", "metadata", "git", "pull_request", "artifacts"} {
		in, got := rawSection(t, referenceState, key), rawSection(t, out, key)
		// status is the one field we add to the reference's runs (inferred
		// for the run that had none).
		if diffs := missingFrom(key, in, got, map[string]bool{"status": true}); len(diffs) > 0 {
			t.Errorf("%s: %s", key, strings.Join(diffs, "\n"))
		}
	}
	// The same state written twice is the same file.
	out2 := filepath.Join(t.TempDir(), "again.json")
	if err := Save(context.Background(), out2, again); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Error("writing a loaded state again gives another file")
	}
}

// missingFrom lists the values of in that got lacks or changed. Keys only
// in got are allowed; so are keys in in whose value is null and that got
// leaves out (the reference's exclude_none writes them either way).
func missingFrom(path string, in, got any, added map[string]bool) []string {
	switch x := in.(type) {
	case map[string]any:
		y, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": not an object any more"}
		}
		var out []string
		for k, v := range x {
			gv, present := y[k]
			if !present {
				if v != nil {
					out = append(out, path+"."+k+": missing")
				}
				continue
			}
			out = append(out, missingFrom(path+"."+k, v, gv, added)...)
		}
		return out
	case []any:
		y, ok := got.([]any)
		if !ok || len(y) != len(x) {
			return []string{path + ": list changed"}
		}
		var out []string
		for i := range x {
			out = append(out, missingFrom(path+"["+string(rune('0'+i))+"]", x[i], y[i], added)...)
		}
		return out
	}
	if !reflect.DeepEqual(in, got) {
		return []string{path + ": changed"}
	}
	return nil
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, c := range map[string]struct{ content, want string }{
		"version":   {`{"metadata": {"schema_version": "v9"}}`, `schema version "v9" is not supported`},
		"not json":  {`{"runs": [}`, "not valid JSON near byte"},
		"array":     {`[]`, "not a recce state file"},
		"bad check": {`{"checks": [{"check_id": "x", "type": "row_count"}]}`, `checks[0]: a check needs a check_id and a known type (got "row_count")`},
		"artifact":  {`{"artifacts": {"base": {"manifest": "gzip:..."}}}`, "base.manifest: expected a JSON object"},
	} {
		_, err := Load(write(name+".json", c.content))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	// A state without artifacts loads (checks only), but cannot give them.
	s, err := Load(write("bare.json", `{"checks": [], "runs": []}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.LoadArtifacts(); err == nil || !strings.Contains(err.Error(), "no base manifest") {
		t.Errorf("LoadArtifacts without artifacts: %v", err)
	}
}

// TestSaveIsAtomic: a write that fails half-way leaves the previous file
// as it was and no temporary file behind.
func TestSaveIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "recce_state.json")
	good := &State{Checks: []*Check{}, Artifacts: Artifacts{Base: ArtifactFiles{Manifest: []byte(`{"metadata": {}}`)}}}
	if err := Save(context.Background(), path, good); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bad := &State{Artifacts: Artifacts{Current: ArtifactFiles{Manifest: []byte(`not json`)}}}
	err := Save(context.Background(), path, bad)
	if err == nil || !strings.Contains(err.Error(), "current manifest: not a JSON object") {
		t.Fatalf("error %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed save changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Save(ctx, path, good); err == nil {
		t.Error("a cancelled save succeeded")
	}
}

func TestPullRequestFromGitLabCI(t *testing.T) {
	env := map[string]string{
		"CI_MERGE_REQUEST_IID": "42", "CI_MERGE_REQUEST_TITLE": "Draft: fix /merge",
		"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
		"CI_PROJECT_PATH": "data/analytics", "CI_PROJECT_URL": "https://gitlab.example.com/data/analytics",
	}
	pr := PullRequestFromEnv(func(k string) string { return env[k] })
	want := &PullRequest{ID: int64(42), Title: "Draft: fix /merge", URL: "https://gitlab.example.com/data/analytics/-/merge_requests/42",
		Branch: "fix", BaseBranch: "main", Repository: "data/analytics"}
	if !reflect.DeepEqual(pr, want) {
		t.Errorf("%+v", pr)
	}
	if g := GitFromEnv(func(k string) string { return env[k] }); g == nil || g.Branch != "fix" {
		t.Errorf("git %+v", g)
	}
	if PullRequestFromEnv(func(string) string { return "" }) != nil || GitFromEnv(func(string) string { return "" }) != nil {
		t.Error("outside a merge request pipeline there is no merge request")
	}
}

func TestTimeForms(t *testing.T) {
	for _, s := range []string{"2024-06-03T08:05:36Z", "2024-06-03T08:05:36+00:00", "2024-06-03T10:05:36+02:00", "2024-06-03T08:05:36", "2024-06-03 08:05:36"} {
		v, err := ParseTime(s)
		if err != nil || v.Format(timeLayout) != "2024-06-03T08:05:36Z" {
			t.Errorf("%s: %v %v", s, v, err)
		}
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("yesterday parsed")
	}
}

// TestOurStateHasTheReferenceShape checks a state we write against what
// the reference's models require (recce/models/types.py, recce/state.py):
// the reference must be able to read it.
func TestOurStateHasTheReferenceShape(t *testing.T) {
	ref, err := Load(referenceState)
	if err != nil {
		t.Fatal(err)
	}
	base, cur, err := ref.LoadArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig([]byte("checks:\n  - {name: Lineage, type: lineage_diff}\n  - {name: Note, type: simple}\n  - {name: Rows, type: row_count_diff}\n"))
	if err != nil {
		t.Fatal(err)
	}
	st := &State{Metadata: Metadata{RecceVersion: "dev", GeneratedAt: Now()}, Checks: cfg.Checks, Artifacts: ref.Artifacts}
	for _, c := range st.Checks {
		c.CreatedAt, c.UpdatedAt = Now(), Now()
	}
	for _, r := range (&Runner{Env: &Env{Base: base, Current: cur}}).RunAll(context.Background(), st.Checks) {
		if r != nil {
			st.Runs = append(st.Runs, r)
		}
	}
	path := filepath.Join(t.TempDir(), "s.json")
	if err := Save(context.Background(), path, st); err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	md := rawSection(t, path, "metadata").(map[string]any)
	if md["schema_version"] != "v0" || !stamp.MatchString(md["generated_at"].(string)) {
		t.Errorf("metadata %v", md)
	}
	for _, c := range rawSection(t, path, "checks").([]any) {
		m := c.(map[string]any)
		for _, k := range []string{"check_id", "name", "description", "type", "params", "view_options", "is_checked", "is_preset", "created_at", "updated_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("check lacks %s: %v", k, m)
			}
		}
		if _, ok := m["description"].(string); !ok {
			t.Errorf("description must be a string (str in the reference): %v", m["description"])
		}
		if !stamp.MatchString(m["created_at"].(string)) || !Type(m["type"].(string)).Valid() {
			t.Errorf("check %v", m)
		}
	}
	runs := rawSection(t, path, "runs").([]any)
	if len(runs) != 2 {
		t.Fatalf("%d runs (a note has none)", len(runs))
	}
	for _, r := range runs {
		m := r.(map[string]any)
		status, _ := m["status"].(string)
		if _, ok := m["params"].(map[string]any); !ok || !stamp.MatchString(m["run_at"].(string)) || len(m["run_id"].(string)) != 36 ||
			(status != "Finished" && status != "Failed") {
			t.Errorf("run %v", m)
		}
		if _, ok := m["result"].(map[string]any); status == "Finished" && !ok {
			t.Errorf("a result is an object (Optional[dict] in the reference): %v", m["result"])
		}
	}
}
