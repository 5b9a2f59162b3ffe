package check_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/demo"
)

// State files arrive in uploads from anyone who can run a pipeline, and
// recce.yml from a project's repository: whatever the bytes, the decoders
// return a value or an error, never panic or hang, and what they return is
// safe to use. `go test` runs the seeds; fuzz by hand with, for example,
//
//	go test ./internal/check -run '^$' -fuzz FuzzDecodeState -fuzztime 5m
//	go test ./internal/check -run '^$' -fuzz FuzzParseConfig -fuzztime 5m

// fuzzing reports whether the test binary runs with -fuzz (the seeds may
// then cost more to make).
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

func FuzzDecodeState(f *testing.F) {
	ref, err := os.ReadFile(filepath.Join("testdata", "reference_state_v0.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref)
	// A state file as recce run writes it, with the demo's artifacts.
	res, err := demo.Generate(f.Context(), f.TempDir(), demo.Options{ArtifactsOnly: true})
	if err != nil {
		f.Fatal(err)
	}
	st, err := check.Load(filepath.Join("testdata", "reference_state_v0.json"))
	if err != nil {
		f.Fatal(err)
	}
	if st.Artifacts.Base, err = check.ReadArtifactFiles(res.Base.Dir); err != nil {
		f.Fatal(err)
	}
	if st.Artifacts.Current, err = check.ReadArtifactFiles(res.Current.Dir); err != nil {
		f.Fatal(err)
	}
	st.Checks = append(st.Checks, check.DefaultChecks()...)
	var buf bytes.Buffer
	if err := st.Encode(f.Context(), &buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"metadata": {"schema_version": "v0"}, "runs": [], "checks": [], "artifacts": {"base": null, "current": {"manifest": null}}}`))
	f.Add([]byte(`{"runs": [{"type": "query", "result": {"columns": [], "data": []}}], "checks": [{"check_id": "x", "type": "query"}]}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := check.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What the summary, the server and recce run do with a state.
		for _, c := range s.Checks {
			s.LatestRun(c.CheckID)
		}
		for _, r := range s.Runs {
			_, _ = check.DecodeResult(r)
		}
		_, _, _ = s.LoadArtifacts()
		// Written again, it reads back the same.
		var out bytes.Buffer
		if err := s.Encode(context.Background(), &out); err != nil {
			return // artifacts that are not objects are refused on write
		}
		again, err := check.Decode(&out)
		if err != nil {
			t.Fatalf("a decoded state, written again, does not decode: %v\n%s", err, out.Bytes())
		}
		if len(again.Checks) != len(s.Checks) || len(again.Runs) != len(s.Runs) ||
			!bytes.Equal(again.Artifacts.Base.Manifest, s.Artifacts.Base.Manifest) {
			t.Fatalf("round trip: %d checks, %d runs, became %d, %d", len(s.Checks), len(s.Runs), len(again.Checks), len(again.Runs))
		}
	})
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

func FuzzParseConfig(f *testing.F) {
	// The examples of the documentation.
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "checks.md"))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range yamlBlock.FindAllSubmatch(doc, -1) {
		f.Add(m[1])
	}
	// The demo's recce.yml, which takes a database to generate: only when
	// fuzzing.
	if fuzzing() {
		res, err := demo.Generate(f.Context(), f.TempDir(), demo.Options{Rows: 1000})
		if err != nil {
			f.Fatal(err)
		}
		y, err := os.ReadFile(res.Config)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(y)
	}
	f.Add([]byte("checks:\n  - name: a\n    type: query\n    params: {sql_template: select 1}\n"))
	f.Add([]byte("checks: []\n"))
	f.Add([]byte("a: &a [*a]\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := check.ParseConfig(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range cfg.Checks {
			if c == nil || c.CheckID == "" || !c.Type.Valid() || seen[c.CheckID] {
				t.Fatalf("a check decoded as %+v", c)
			}
			seen[c.CheckID] = true
		}
	})
}
