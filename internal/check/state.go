package check

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"gitlab.com/recce-go/recce/internal/dbt"
)

// SchemaVersion is the state file version read and written: the
// reference's "v0".
const SchemaVersion = "v0"

// State is a review's state: what recce_state.json holds (reference:
// recce/state.py RecceState). It carries the checks, their runs, both
// environments' artifacts and the merge request, so that a summary or a
// review needs nothing else: no warehouse, no artifact folders.
type State struct {
	Metadata    Metadata     `json:"metadata"`
	Runs        []*Run       `json:"runs"`
	Checks      []*Check     `json:"checks"`
	Artifacts   Artifacts    `json:"artifacts"`
	Git         *GitInfo     `json:"git,omitempty"`
	PullRequest *PullRequest `json:"pull_request,omitempty"`
}

// Metadata is the state file's metadata block.
type Metadata struct {
	SchemaVersion string `json:"schema_version"`
	RecceVersion  string `json:"recce_version"`
	GeneratedAt   Time   `json:"generated_at"`
}

// GitInfo is the branch the state was produced on.
type GitInfo struct {
	Branch string `json:"branch,omitempty"`
}

// PullRequest is the merge request the state belongs to. The reference
// names it after GitHub; on GitLab, ID is the merge request's IID, URL its
// web page, Repository the project path (group/project).
type PullRequest struct {
	ID         any    `json:"id,omitempty"` // a number or a string in the reference
	Title      string `json:"title,omitempty"`
	URL        string `json:"url,omitempty"`
	Branch     string `json:"branch,omitempty"`
	BaseBranch string `json:"base_branch,omitempty"`
	Repository string `json:"repository,omitempty"`
}

// Artifacts are both environments' dbt artifacts, embedded.
type Artifacts struct {
	Base    ArtifactFiles `json:"base"`
	Current ArtifactFiles `json:"current"`
}

// ArtifactFiles are one environment's manifest.json and catalog.json, as
// the bytes of the original files: they are written into the state file as
// they are, never decoded and re-encoded (a large project's manifest is
// about 90 MB). Nil means absent.
type ArtifactFiles = dbt.Files

// LoadArtifactDirs loads both environments' artifact folders for a review:
// each file is read once, parsed for the checks (the Env, without a
// warehouse) and kept as bytes for the state file.
func LoadArtifactDirs(ctx context.Context, baseDir, currentDir string) (*Env, Artifacts, error) {
	base, current, bf, cf, err := dbt.LoadPairFiles(ctx, baseDir, currentDir)
	if err != nil {
		return nil, Artifacts{}, err
	}
	return &Env{Base: base, Current: current}, Artifacts{Base: bf, Current: cf}, nil
}

// Origin is where and when a state is made: the recce that writes it, the
// time, the branch and the merge request it reviews.
type Origin struct {
	RecceVersion string
	// At is when the state is made (zero: now).
	At          time.Time
	Git         *GitInfo
	PullRequest *PullRequest
}

// OriginFromEnv is the origin of a state made by this recce now, with the
// branch and merge request of GitLab CI's variables (none elsewhere).
func OriginFromEnv(version string, getenv func(string) string) Origin {
	return Origin{RecceVersion: version, Git: GitFromEnv(getenv), PullRequest: PullRequestFromEnv(getenv)}
}

// NewState is a review's state: both environments' artifact files
// (embedded as they are, never re-encoded), the checks and their runs (nil
// runs are left out), made by origin.
func NewState(files Artifacts, checks []*Check, runs []*Run, o Origin) *State {
	at := Now()
	if !o.At.IsZero() {
		at = Time{o.At.UTC().Truncate(time.Second)}
	}
	st := &State{
		Metadata:  Metadata{SchemaVersion: SchemaVersion, RecceVersion: o.RecceVersion, GeneratedAt: at},
		Checks:    checks,
		Runs:      make([]*Run, 0, len(runs)),
		Artifacts: files,
		Git:       o.Git, PullRequest: o.PullRequest,
	}
	if st.Checks == nil {
		st.Checks = []*Check{}
	}
	for _, r := range runs {
		if r != nil {
			st.Runs = append(st.Runs, r)
		}
	}
	return st
}

// ReadArtifactFiles reads dir's manifest.json and catalog.json (the
// catalog may be absent).
func ReadArtifactFiles(dir string) (ArtifactFiles, error) {
	var f ArtifactFiles
	var err error
	if f.Manifest, err = os.ReadFile(filepath.Join(dir, "manifest.json")); err != nil {
		return f, fmt.Errorf("read artifacts: %w", err)
	}
	f.Catalog, err = os.ReadFile(filepath.Join(dir, "catalog.json"))
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read artifacts: %w", err)
	}
	return f, nil
}

// PullRequestFromEnv fills the merge request from GitLab CI's variables;
// it returns nil outside a merge request pipeline.
func PullRequestFromEnv(getenv func(string) string) *PullRequest {
	iid := getenv("CI_MERGE_REQUEST_IID")
	if iid == "" {
		return nil
	}
	pr := &PullRequest{
		ID:         iid,
		Title:      getenv("CI_MERGE_REQUEST_TITLE"),
		Branch:     getenv("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
		BaseBranch: getenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
		Repository: getenv("CI_PROJECT_PATH"),
	}
	if n, err := strconv.ParseInt(iid, 10, 64); err == nil {
		pr.ID = n
	}
	if u := getenv("CI_PROJECT_URL"); u != "" {
		pr.URL = u + "/-/merge_requests/" + iid
	}
	return pr
}

// GitFromEnv gives the branch from GitLab CI's variables (the merge
// request's source branch, else the commit's branch), nil when unknown.
func GitFromEnv(getenv func(string) string) *GitInfo {
	for _, k := range []string{"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME"} {
		if b := getenv(k); b != "" {
			return &GitInfo{Branch: b}
		}
	}
	return nil
}

// LoadArtifacts parses the embedded artifacts. The state must hold both
// manifests; catalogs are optional. When both sides fail, the error says
// both, base first.
func (s *State) LoadArtifacts() (*dbt.Artifacts, *dbt.Artifacts, error) {
	parse := func(env dbt.Env, f ArtifactFiles) (a *dbt.Artifacts, err error) {
		if len(f.Manifest) == 0 {
			return nil, fmt.Errorf("the state file has no %s manifest: it was written without artifacts; run `recce run` again with both artifact folders", env)
		}
		a = &dbt.Artifacts{Env: env, Dir: "state file"}
		if a.Manifest, err = dbt.ParseManifest(f.Manifest); err != nil {
			return nil, fmt.Errorf("%s manifest in the state file: %w", env, err)
		}
		if len(f.Catalog) > 0 {
			if a.Catalog, err = dbt.ParseCatalog(f.Catalog); err != nil {
				return nil, fmt.Errorf("%s catalog in the state file: %w", env, err)
			}
		}
		return a, nil
	}
	base, berr := parse(dbt.Base, s.Artifacts.Base)
	current, cerr := parse(dbt.Current, s.Artifacts.Current)
	if err := dbt.JoinEnvErrors(berr, cerr); err != nil {
		return nil, nil, err
	}
	return base, current, nil
}

// LatestRun is the check's latest run, nil when it has none.
func (s *State) LatestRun(checkID string) *Run {
	var latest *Run
	for _, r := range s.Runs {
		if r.CheckID == checkID && (latest == nil || !r.RunAt.Before(latest.RunAt.Time)) {
			latest = r
		}
	}
	return latest
}

// Load reads a state file: ours, or one the reference wrote (schema v0, or
// older ones without metadata). The artifacts are read as raw bytes,
// without decoding them.
func Load(path string) (*State, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open state file: %w", err)
	}
	defer f.Close()
	s, err := Decode(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Decode reads a state file's content from r.
func Decode(r io.Reader) (*State, error) {
	dec := jsontext.NewDecoder(r)
	s := &State{}
	if err := expectObject(dec); err != nil {
		return nil, fmt.Errorf("not a recce state file: %w", err)
	}
	for dec.PeekKind() != '}' {
		key, err := readKey(dec)
		if err != nil {
			return nil, notState(dec, err)
		}
		var dst any
		switch key {
		case "artifacts":
			if err := decodeArtifacts(dec, &s.Artifacts); err != nil {
				return nil, fmt.Errorf("artifacts: %w", notState(dec, err))
			}
			continue
		case "metadata":
			dst = &s.Metadata
		case "runs":
			dst = &s.Runs
		case "checks":
			dst = &s.Checks
		case "git":
			dst = &s.Git
		case "pull_request":
			dst = &s.PullRequest
		default: // unknown keys of later versions are skipped
			if err := dec.SkipValue(); err != nil {
				return nil, notState(dec, err)
			}
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, notState(dec, err)
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, notState(dec, err)
	}
	if v := s.Metadata.SchemaVersion; v != "" && v != SchemaVersion {
		return nil, fmt.Errorf("state file schema version %q is not supported (this recce reads %s); write it again with this version's `recce run`", v, SchemaVersion)
	}
	if s.Checks == nil {
		s.Checks = []*Check{}
	}
	if s.Runs == nil {
		s.Runs = []*Run{}
	}
	for i, c := range s.Checks {
		if c == nil || c.CheckID == "" || !c.Type.Valid() {
			return nil, fmt.Errorf("checks[%d]: a check needs a check_id and a known type (got %q)", i, checkType(c))
		}
	}
	return s, nil
}

func checkType(c *Check) string {
	if c == nil {
		return "null"
	}
	return string(c.Type)
}

func notState(dec *jsontext.Decoder, err error) error {
	return fmt.Errorf("not valid JSON near byte %d: %w", dec.InputOffset(), err)
}

func expectObject(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return fmt.Errorf("expected a JSON object, found %s", tok.Kind())
	}
	return nil
}

func readKey(dec *jsontext.Decoder) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", err
	}
	return tok.String(), nil
}

// decodeArtifacts reads {"base": {"manifest": ..., "catalog": ...},
// "current": {...}}, keeping each artifact's bytes as they are.
func decodeArtifacts(dec *jsontext.Decoder, dst *Artifacts) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	if err := expectObject(dec); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		env, err := readKey(dec)
		if err != nil {
			return err
		}
		var files *ArtifactFiles
		switch env {
		case "base":
			files = &dst.Base
		case "current":
			files = &dst.Current
		default:
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if dec.PeekKind() == 'n' {
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
			continue
		}
		if err := expectObject(dec); err != nil {
			return fmt.Errorf("%s: %w", env, err)
		}
		for dec.PeekKind() != '}' {
			name, err := readKey(dec)
			if err != nil {
				return err
			}
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			if v.Kind() == 'n' {
				continue
			}
			if v.Kind() != '{' {
				return fmt.Errorf("%s.%s: expected a JSON object, found %s", env, name, v.Kind())
			}
			// ReadValue's bytes are only valid until the next read.
			switch name {
			case "manifest":
				files.Manifest = bytes.Clone(v)
			case "catalog":
				files.Catalog = bytes.Clone(v)
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// Save writes the state file atomically: into a temporary file in the same
// folder, synced to disk, then renamed over path. A crash or a full disk
// leaves the previous file (or none), never half a file.
func Save(ctx context.Context, path string, s *State) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return s.Encode(ctx, w) })
}

// WriteFileAtomic writes a file through write, atomically (see Save).
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Sync the folder so that the rename itself survives a crash.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Encode writes the state as JSON. The small parts come first, indented
// for people reading the file; the artifacts come last, copied byte for
// byte.
func (s *State) Encode(ctx context.Context, w io.Writer) error {
	md := s.Metadata
	if md.SchemaVersion == "" {
		md.SchemaVersion = SchemaVersion
	}
	checks, runs := s.Checks, s.Runs
	if checks == nil {
		checks = []*Check{}
	}
	if runs == nil {
		runs = []*Run{}
	}
	parts := []struct {
		key string
		v   any
	}{{"metadata", md}, {"runs", runs}, {"checks", checks}}
	if s.Git != nil {
		parts = append(parts, struct {
			key string
			v   any
		}{"git", s.Git})
	}
	if s.PullRequest != nil {
		parts = append(parts, struct {
			key string
			v   any
		}{"pull_request", s.PullRequest})
	}
	if _, err := io.WriteString(w, "{\n"); err != nil {
		return err
	}
	for _, p := range parts {
		data, err := json.MarshalIndent(p.v, "  ", "  ")
		if err != nil {
			return fmt.Errorf("%s: %w", p.key, err)
		}
		if _, err := fmt.Fprintf(w, "  %q: %s,\n", p.key, data); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, `  "artifacts": {`); err != nil {
		return err
	}
	for i, env := range []struct {
		name  string
		files ArtifactFiles
	}{{"base", s.Artifacts.Base}, {"current", s.Artifacts.Current}} {
		if err := ctx.Err(); err != nil {
			return err
		}
		sep := ""
		if i > 0 {
			sep = ","
		}
		if _, err := fmt.Fprintf(w, "%s\n    %q: {\"manifest\": ", sep, env.name); err != nil {
			return err
		}
		if err := writeRaw(w, env.files.Manifest); err != nil {
			return fmt.Errorf("%s manifest: %w", env.name, err)
		}
		if _, err := io.WriteString(w, `, "catalog": `); err != nil {
			return err
		}
		if err := writeRaw(w, env.files.Catalog); err != nil {
			return fmt.Errorf("%s catalog: %w", env.name, err)
		}
		if _, err := io.WriteString(w, "}"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n  }\n}\n")
	return err
}

// writeRaw copies an artifact's JSON; nil is null. Only the outer braces
// are checked (a full validation of 90 MB would cost more than the copy):
// the artifacts were parsed when they were loaded.
func writeRaw(w io.Writer, b []byte) error {
	if b == nil {
		_, err := io.WriteString(w, "null")
		return err
	}
	t := bytes.TrimSpace(b)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return errors.New("not a JSON object")
	}
	_, err := w.Write(t)
	return err
}

// ArtifactRuns computes the runs that state files of the reference leave
// out: the reference stores no run for lineage_diff and schema_diff
// checks and computes them from the embedded artifacts whenever it shows
// them or renders the summary. For each such check of the state without a
// run, ArtifactRuns returns that run, computed here the same way from
// base and current (parsed from the state when nil). The runs are
// deterministic: the run id derives from the check id, run_at is the
// state's generated_at, so that a summary renders the same bytes each
// time. When the artifacts cannot be read, the runs are Failed with the
// reason. The state is not changed.
func (s *State) ArtifactRuns(base, current *dbt.Artifacts) []*Run {
	latest := LatestRuns(s.Runs)
	var todo []*Check
	for _, c := range s.Checks {
		if (c.Type == LineageDiff || c.Type == SchemaDiff) && latest[c.CheckID] == nil {
			todo = append(todo, c)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	var err error
	if base == nil || current == nil {
		base, current, err = s.LoadArtifacts()
	}
	at := s.Metadata.GeneratedAt
	rn := &Runner{Env: &Env{Base: base, Current: current}, Now: func() time.Time { return at.Time }}
	runs := make([]*Run, len(todo))
	for i, c := range todo {
		var r *Run
		if err != nil {
			r = &Run{CheckID: c.CheckID, Type: c.Type, Name: c.Name, Params: cloneParams(c.Params), Status: Failed,
				Error: "computed from the state file's artifacts, which cannot be read: " + err.Error()}
		} else {
			r = rn.Run(context.Background(), c)
		}
		r.RunID, r.RunAt, r.DurationMS = derivedRunID(c.CheckID), at, 0
		runs[i] = r
	}
	return runs
}

// WithArtifactRuns is the state with ArtifactRuns added to its runs: a
// copy when there are any (the state itself is not changed), else the
// state. Everything that assesses a state (the summary, its status, a
// review of a state file) reads it through this, so that a state file of
// the reference has no false "not run" checks.
func (s *State) WithArtifactRuns(base, current *dbt.Artifacts) *State {
	runs := s.ArtifactRuns(base, current)
	if len(runs) == 0 {
		return s
	}
	out := *s
	out.Runs = append(slices.Clip(s.Runs), runs...)
	return &out
}

// derivedRunID is a UUID derived from a check id, the same every time.
func derivedRunID(checkID string) string {
	b := sha256.Sum256([]byte("recce artifact run\x00" + checkID))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
