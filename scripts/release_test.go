// Package scripts holds the tests of the release tooling: scripts/release,
// .gitlab-ci.yml and the Dockerfile.
package scripts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const root = ".."

// --- .gitlab-ci.yml ------------------------------------------------------------

type ciJob struct {
	name    string
	def     map[string]any
	rules   []map[string]any
	scripts []string // before_script and script lines
}

// loadCI reads .gitlab-ci.yml and resolves each job's extends (one level,
// as this file uses it) and YAML merge keys (done by the decoder).
func loadCI(t *testing.T) (workflow []map[string]any, jobs map[string]*ciJob, vars map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf(".gitlab-ci.yml: %v", err)
	}
	reserved := map[string]bool{"workflow": true, "stages": true, "variables": true, "default": true, "include": true}
	jobs = map[string]*ciJob{}
	for name, v := range doc {
		if reserved[name] || strings.HasPrefix(name, ".") {
			continue
		}
		def, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("job %s is not a mapping", name)
		}
		if ext, ok := def["extends"].(string); ok {
			base, ok := doc[ext].(map[string]any)
			if !ok {
				t.Fatalf("job %s extends %s, which does not exist", name, ext)
			}
			merged := map[string]any{}
			for k, v := range base {
				merged[k] = v
			}
			for k, v := range def {
				if k == "variables" {
					mv := map[string]any{}
					for vk, vv := range asMap(base["variables"]) {
						mv[vk] = vv
					}
					for vk, vv := range asMap(v) {
						mv[vk] = vv
					}
					v = mv
				}
				merged[k] = v
			}
			def = merged
		}
		j := &ciJob{name: name, def: def}
		for _, r := range asList(def["rules"]) {
			j.rules = append(j.rules, asMap(r))
		}
		for _, key := range []string{"before_script", "script"} {
			for _, l := range asList(def[key]) {
				j.scripts = append(j.scripts, fmt.Sprint(l))
			}
		}
		jobs[name] = j
	}
	for _, r := range asList(asMap(doc["workflow"])["rules"]) {
		workflow = append(workflow, asMap(r))
	}
	return workflow, jobs, asMap(doc["variables"])
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// evalRules applies GitLab's rules: the first rule whose if matches decides
// (when: never excludes); no match excludes.
func evalRules(t *testing.T, rules []map[string]any, env map[string]string) bool {
	t.Helper()
	for _, r := range rules {
		cond, ok := r["if"].(string)
		if !ok || evalIf(t, cond, env) {
			return r["when"] != "never"
		}
	}
	return false
}

var (
	orSplit  = regexp.MustCompile(`\s*\|\|\s*`)
	andSplit = regexp.MustCompile(`\s*&&\s*`)
	compare  = regexp.MustCompile(`^\$(\w+)\s*(==|!=|=~|!~)\s*(?:"([^"]*)"|\$(\w+)|/(.*)/)$`)
	present  = regexp.MustCompile(`^\$(\w+)$`)
)

// evalIf evaluates the subset of GitLab's rules:if syntax this file uses:
// $VAR, $VAR == "s" / $VAR, $VAR != ..., $VAR =~ /re/, joined by && and ||
// (no parentheses). Anything else fails the test, so the file stays within
// what is checked here.
func evalIf(t *testing.T, expr string, env map[string]string) bool {
	t.Helper()
	for _, alt := range orSplit.Split(expr, -1) {
		all := true
		for _, term := range andSplit.Split(alt, -1) {
			all = all && evalTerm(t, term, env)
		}
		if all {
			return true
		}
	}
	return false
}

func evalTerm(t *testing.T, term string, env map[string]string) bool {
	if m := present.FindStringSubmatch(term); m != nil {
		return env[m[1]] != ""
	}
	m := compare.FindStringSubmatch(term)
	if m == nil {
		t.Fatalf("rules:if term %q is outside what this test evaluates", term)
	}
	left := env[m[1]]
	switch m[2] {
	case "==", "!=":
		right := m[3]
		if m[4] != "" {
			right = env[m[4]]
		}
		return (left == right) == (m[2] == "==")
	default:
		re, err := regexp.Compile(m[5])
		if err != nil {
			t.Fatalf("rules:if %q: %v", term, err)
		}
		return re.MatchString(left) == (m[2] == "=~")
	}
}

func TestGitLabCIRules(t *testing.T) {
	workflow, jobs, _ := loadCI(t)
	tagJobs := []string{"check", "release", "release-build-amd64", "release-build-arm64", "release-image-amd64", "release-image-arm64", "release-images", "release-upload"}
	pipelines := map[string]struct {
		env  map[string]string
		jobs []string // nil: no pipeline
	}{
		"merge request": {
			env:  map[string]string{"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7", "CI_COMMIT_REF_NAME": "feature"},
			jobs: []string{"check"},
		},
		"push to a branch with an open merge request": {
			env: map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature", "CI_OPEN_MERGE_REQUESTS": "recce-go/recce!7"},
		},
		"push to a branch without merge request": {
			env: map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature"},
		},
		"default branch": {
			env:  map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"},
			jobs: []string{"check"},
		},
		"release tag": {
			env:  map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1.2.3"},
			jobs: tagJobs,
		},
		"pre-release tag": {
			env:  map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1.3.0-rc.1"},
			jobs: tagJobs,
		},
		"other tag": {
			env: map[string]string{"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "nightly"},
		},
	}
	for name, p := range pipelines {
		t.Run(name, func(t *testing.T) {
			p.env["CI_DEFAULT_BRANCH"] = "main"
			var got []string
			if evalRules(t, workflow, p.env) {
				for n, j := range jobs {
					if evalRules(t, j.rules, p.env) {
						got = append(got, n)
					}
				}
				sort.Strings(got)
				if got == nil {
					got = []string{}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(p.jobs) || (got == nil) != (p.jobs == nil) {
				t.Errorf("jobs %v, want %v", got, p.jobs)
			}
			// A job's needs run in the same pipeline.
			running := map[string]bool{}
			for _, n := range got {
				running[n] = true
			}
			for _, n := range got {
				for _, need := range asList(jobs[n].def["needs"]) {
					if !running[fmt.Sprint(need)] {
						t.Errorf("%s needs %v, which does not run in this pipeline", n, need)
					}
				}
			}
		})
	}
}

// Every repository script a job calls exists, is executable and knows the
// subcommand it is given; each architecture builds on its own runner.
func TestGitLabCIScripts(t *testing.T) {
	_, jobs, vars := loadCI(t)
	release, err := os.ReadFile(filepath.Join(root, "scripts", "release"))
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`(?:^|[\s;&|(])(\.ci/[\w./-]+|scripts/[\w./-]+)(?:\s+([\w-]+))?`)
	calls := 0
	for _, j := range jobs {
		for _, line := range j.scripts {
			for _, m := range call.FindAllStringSubmatch(line, -1) {
				calls++
				fi, err := os.Stat(filepath.Join(root, m[1]))
				if err != nil {
					t.Errorf("%s runs %s: %v", j.name, m[1], err)
					continue
				}
				if fi.Mode()&0o111 == 0 {
					t.Errorf("%s runs %s, which is not executable", j.name, m[1])
				}
				if m[1] == "scripts/release" && !bytes.Contains(release, []byte("\ncmd_"+m[2]+"() {")) {
					t.Errorf("%s runs scripts/release %s, which has no such subcommand", j.name, m[2])
				}
			}
		}
	}
	if calls < 7 {
		t.Errorf("only %d script calls found: is the pattern still right?", calls)
	}
	if got := jobs["check"].scripts; !contains(got, ".ci/run") {
		t.Errorf("check does not run .ci/run: %v", got)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, kind := range []string{"release-build-", "release-image-"} {
			j := jobs[kind+arch]
			if j == nil {
				t.Fatalf("no job %s%s", kind, arch)
			}
			if tags := fmt.Sprint(j.def["tags"]); tags != "[saas-linux-small-"+arch+"]" {
				t.Errorf("%s runs on %s, not on a %s runner", j.name, tags, arch)
			}
		}
	}
	// The binaries are built on the same Debian release as the images.
	docker, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if goImage := fmt.Sprint(vars["GO_IMAGE"]); !bytes.Contains(docker, []byte("ARG GO_IMAGE="+goImage+"\n")) {
		t.Errorf("GO_IMAGE %s is not the Dockerfile's builder", goImage)
	}

	// The release's description file and assets are made by the jobs it needs.
	rel := asMap(jobs["release"].def["release"])
	desc := strings.TrimPrefix(fmt.Sprint(rel["description"]), "./")
	if !contains(jobs["release-upload"].scripts, "> "+desc) {
		t.Errorf("release description %s is not written by release-upload: %v", desc, jobs["release-upload"].scripts)
	}
	for _, l := range asList(asMap(rel["assets"])["links"]) {
		link := asMap(l)
		url, path := fmt.Sprint(link["url"]), fmt.Sprint(link["direct_asset_path"])
		if !strings.HasSuffix(url, "/packages/generic/recce/$CI_COMMIT_TAG"+path) {
			t.Errorf("asset %s: %s is not where scripts/release upload puts it", path, url)
		}
		if name := strings.TrimPrefix(path, "/"); name != "SHA256SUMS" && !regexp.MustCompile(`^recce_linux_(amd64|arm64)\.tar\.gz$`).MatchString(name) {
			t.Errorf("asset %s is not an archive scripts/release build makes", name)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// --- scripts/release notes ---------------------------------------------------------

// runRelease runs a copy of scripts/release in dir, a stand-in repository.
func runRelease(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "scripts", "release"), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

func standIn(t *testing.T, changelog string) string {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(root, "scripts", "release"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scripts", "release"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte(changelog), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReleaseNotes(t *testing.T) {
	dir := standIn(t, `# Changelog

## [Unreleased]

## [1.2.0] - 2026-12-01

### Added

- Histograms side by side.

## [1.1.0] - 2026-11-01

- Older.
`)
	out, errOut, err := runRelease(t, dir, "notes", "v1.2.0")
	if err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	if want := "### Added\n\n- Histograms side by side.\n"; out != want {
		t.Errorf("notes v1.2.0 = %q, want %q", out, want)
	}
	if _, errOut, err := runRelease(t, dir, "notes", "v1.3.0"); err == nil || !strings.Contains(errOut, "CHANGELOG.md has no section for 1.3.0") {
		t.Errorf("a tag without a section: %v, %s", err, errOut)
	}
	if _, errOut, err := runRelease(t, dir, "notes", "Unreleased"); err == nil || !strings.Contains(errOut, "no section") {
		t.Errorf("an empty section must fail the release: %v, %s", err, errOut)
	}

	// The repository's own changelog has its Unreleased section.
	out, errOut, err = runRelease(t, standIn(t, readFile(t, filepath.Join(root, "CHANGELOG.md"))), "notes", "Unreleased")
	if err != nil || !strings.Contains(out, "### Added") {
		t.Errorf("CHANGELOG.md's Unreleased section: %v %s\n%s", err, errOut, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// --- scripts/release build -----------------------------------------------------

// The release build sets the version, commit and build date with -ldflags -X
// (`recce version` reads them back), packs the archive CI uploads, and
// writes its checksum.
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/recce (about 30 s): not with -short")
	}
	out := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	cmd := exec.Command(filepath.Join(root, "scripts", "release"), "build", "-o", out)
	cmd.Env = append(os.Environ(), "VERSION=v9.8.7-test", "COMMIT="+commit, "SOURCE_DATE_EPOCH=1767225600")
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/release build: %v\n%s", err, log)
	}
	if !strings.Contains(string(log), "needs libstdc++.so.6") && !strings.Contains(string(log), "needs libc.so.6") {
		t.Errorf("the build does not report the libraries it checked:\n%s", log)
	}

	archives, _ := filepath.Glob(filepath.Join(out, "recce_linux_*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("archives %v", archives)
	}
	archive, err := os.ReadFile(archives[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(archive)
	if want := hex.EncodeToString(sum[:]) + "  " + filepath.Base(archives[0]) + "\n"; readFile(t, filepath.Join(out, "SHA256SUMS")) != want {
		t.Errorf("SHA256SUMS = %q, want %q", readFile(t, filepath.Join(out, "SHA256SUMS")), want)
	}

	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	bin := filepath.Join(t.TempDir(), "recce")
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.ModTime.Unix() != 1767225600 {
			t.Errorf("%s: uid %d, mtime %v (want 0 and SOURCE_DATE_EPOCH)", h.Name, h.Uid, h.ModTime)
		}
		if h.Name == "recce" {
			f, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	if got := strings.Join(names, " "); got != "CHANGELOG.md LICENSE NOTICE README.md recce" {
		t.Errorf("archive holds %q (no folder entry, which would change the mode of the folder it is extracted in)", got)
	}

	v, err := exec.Command(bin, "version", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal(v, &info); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"version": "v9.8.7-test", "commit": commit, "build_date": "2026-01-01T00:00:00Z"} {
		if info[k] != want {
			t.Errorf("recce version: %s = %v, want %v", k, info[k], want)
		}
	}
}

// --- Dockerfile --------------------------------------------------------------------

type stage struct {
	from, name string
	lines      []string
}

func dockerStages(t *testing.T) (args map[string]string, stages []stage) {
	t.Helper()
	text := strings.ReplaceAll(readFile(t, filepath.Join(root, "Dockerfile")), "\\\n", " ")
	args = map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		switch {
		case f[0] == "FROM":
			if len(f) < 2 {
				t.Fatalf("Dockerfile: %q", l)
			}
			s := stage{from: f[1]}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
		case len(stages) == 0 && f[0] == "ARG":
			k, v, _ := strings.Cut(f[1], "=")
			args[k] = v
		case len(stages) > 0:
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, l)
		}
	}
	return args, stages
}

// What can be checked without a container engine: the stages, the user, the
// entrypoint, and that builder and runtime share one Debian release.
func TestDockerfile(t *testing.T) {
	args, stages := dockerStages(t)
	if len(stages) != 4 || stages[0].name != "build" || stages[1].name != "recce" || stages[2].name != "dbt" || stages[2].from != "recce" || stages[3].from != "recce" {
		t.Fatalf("stages %+v: want build, recce, dbt on recce, and recce again last (the default target)", stages)
	}
	release := ""
	for _, a := range []string{"GO_IMAGE", "RUNTIME_IMAGE"} {
		m := regexp.MustCompile(`[:-](bookworm|trixie|bullseye)(-|$)`).FindStringSubmatch(args[a])
		if m == nil {
			t.Fatalf("%s=%s names no Debian release", a, args[a])
		}
		if release != "" && m[1] != release {
			t.Errorf("%s is Debian %s, the builder %s: the binary could need a newer glibc than the runtime has", a, m[1], release)
		}
		release = m[1]
	}
	if !contains(stages[0].lines, "scripts/release build --binary-only -o /out") {
		t.Error("the builder does not build with scripts/release")
	}
	runtime := strings.Join(stages[1].lines, "\n")
	for _, want := range []string{"COPY --from=build /out/recce /usr/local/bin/recce", "COPY LICENSE NOTICE /usr/share/doc/recce/", `ENTRYPOINT ["recce"]`, "useradd --create-home --uid 10001", "ca-certificates"} {
		if !strings.Contains(runtime, want) {
			t.Errorf("the recce stage lacks %q", want)
		}
	}
	for _, s := range stages[1:3] {
		if i := lastIndex(s.lines, "USER "); i < 0 || s.lines[i] != "USER recce" {
			t.Errorf("stage %s does not end as the user recce", s.name)
		}
	}
	for _, adapter := range []string{"dbt-core", "dbt-duckdb", "dbt-postgres", "dbt-snowflake", "dbt-bigquery", "dbt-redshift"} {
		if !contains(stages[2].lines, adapter) {
			t.Errorf("the dbt image lacks %s", adapter)
		}
	}
	ignore := readFile(t, filepath.Join(root, ".dockerignore"))
	for _, want := range []string{"\n.git\n", "**/node_modules"} {
		if !strings.Contains(ignore, want) {
			t.Errorf(".dockerignore lacks %q", strings.TrimSpace(want))
		}
	}
}

func lastIndex(lines []string, prefix string) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], prefix) {
			return i
		}
	}
	return -1
}
