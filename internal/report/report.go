// Package report writes a review's results in the formats GitLab shows in
// a merge request without any token: a JUnit XML report (the test report
// widget) and a Code Quality report (the code quality widget and the
// diff's gutter), declared as artifacts:reports of the job.
//
// Both come from the same verdicts as the summary (check.Assess): a check
// that found a mismatch is a failed test and a finding, a check that could
// not look (incomplete) a test in error and a finding, never a pass.
package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"gitlab.com/recce-go/recce/internal/check"
	"gitlab.com/recce-go/recce/internal/dbt"
)

// Input is a review to report on.
type Input struct {
	State *check.State
	// Base and Current are the state's artifacts, parsed; they give each
	// model's SQL file. Nil: the state's embedded ones are parsed.
	Base, Current *dbt.Artifacts
	// Root is the dbt project's folder relative to the repository root
	// ("" when it is the root): GitLab links findings to repository paths.
	Root string
	// Config is the checks file (recce.yml) relative to Root, where a
	// finding about no particular model points; "" for "recce.yml".
	Config string
}

// item is a check with its verdict.
type item struct {
	c   *check.Check
	run *check.Run
	out check.Outcome
}

func (in Input) items() []item {
	var out []item
	for _, a := range in.State.Assessments() {
		if a.IsNote() {
			continue // nothing runs, nothing to report
		}
		out = append(out, item{c: a.Check, run: a.Run, out: a.Outcome})
	}
	return out
}

// ---- JUnit ----

type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Suites   []testSuite `xml:"testsuite"`
}

type testSuite struct {
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Time     string     `xml:"time,attr"`
	Cases    []testCase `xml:"testcase"`
}

type testCase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	File      string   `xml:"file,attr,omitempty"`
	Time      string   `xml:"time,attr"`
	Failure   *problem `xml:"failure"`
	Error     *problem `xml:"error"`
	SystemOut string   `xml:"system-out,omitempty"`
}

type problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// WriteJUnit writes the JUnit XML report: one test case per check (notes
// excepted), named after the check, classed by its type; a mismatch is a
// failure and an incomplete check an error, each with the reason.
func WriteJUnit(w io.Writer, in Input) error {
	base, current, _ := in.artifacts()
	suite := testSuite{Name: "recce"}
	var total int64
	for _, it := range in.items() {
		tc := testCase{Name: it.c.Name, Classname: "recce." + string(it.c.Type), Time: "0.000"}
		if it.run != nil {
			tc.Time = seconds(it.run.DurationMS)
			total += it.run.DurationMS
		}
		if files := in.files(it, base, current); len(files) > 0 {
			tc.File = files[0].path
		}
		detail := detailText(it)
		switch it.out.Verdict {
		case check.Mismatch:
			suite.Failures++
			msg := "data mismatch: " + it.out.Reason
			if it.c.IsChecked {
				msg = "data mismatch (approved in recce): " + it.out.Reason
			}
			tc.Failure = &problem{Message: msg, Type: "mismatch", Text: detail}
		case check.Incomplete:
			suite.Errors++
			tc.Error = &problem{Message: "did not complete: " + it.out.Reason, Type: "incomplete", Text: detail}
		default:
			tc.SystemOut = string(it.out.Verdict) + ": " + it.out.Reason
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests, suite.Time = len(suite.Cases), seconds(total)
	doc := testSuites{Name: "recce", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: suite.Time, Suites: []testSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func detailText(it item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "check: %s (%s)\n", it.c.Name, it.c.Type.Title())
	if it.c.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", it.c.Description)
	}
	if len(it.out.Nodes) > 0 {
		fmt.Fprintf(&b, "nodes: %s\n", strings.Join(it.out.Nodes, ", "))
	}
	fmt.Fprintf(&b, "reason: %s\n", it.out.Reason)
	return b.String()
}

// ---- Code Quality ----

// Finding is one entry of GitLab's Code Quality report (the Code Climate
// subset GitLab reads: description, check_name, fingerprint, severity,
// location.path and location.lines.begin).
type Finding struct {
	Description string   `json:"description"`
	CheckName   string   `json:"check_name"`
	Fingerprint string   `json:"fingerprint"`
	Severity    string   `json:"severity"`
	Location    Location `json:"location"`
}

// Location is where a finding points.
type Location struct {
	Path  string `json:"path"`
	Lines Lines  `json:"lines"`
}

// Lines is the line range of a location.
type Lines struct {
	Begin int `json:"begin"`
}

// Severities: a mismatch is a finding about the data ("major"); an
// incomplete check a gap in what was validated, most often configuration
// or no warehouse ("minor"); a mismatch a reviewer approved in recce has
// been looked at ("info").
const (
	SeverityMismatch   = "major"
	SeverityIncomplete = "minor"
	SeverityApproved   = "info"
)

// CodeQuality returns the findings: one per mismatched or incomplete
// check and model, on the model's SQL file (original_file_path), or on
// the checks file when the check names no model. Fingerprints depend on
// what the finding is (check type, name and parameters, the model, the
// verdict), never on ids or order, so GitLab matches them across
// pipelines and shows new and resolved findings.
func CodeQuality(in Input) []Finding {
	base, current, _ := in.artifacts()
	out := []Finding{}
	for _, it := range in.items() {
		severity := SeverityMismatch
		what := "data mismatch"
		switch {
		case it.out.Verdict == check.Incomplete:
			severity, what = SeverityIncomplete, "did not complete"
		case it.out.Verdict != check.Mismatch:
			continue
		case it.c.IsChecked:
			severity, what = SeverityApproved, "data mismatch, approved in recce"
		}
		for _, f := range in.files(it, base, current) {
			desc := fmt.Sprintf("recce %s: %s", it.c.Type.Title(), what)
			if f.node != "" {
				desc += " in " + f.node
			}
			desc += fmt.Sprintf(" (check %q): %s", it.c.Name, it.out.Reason)
			out = append(out, Finding{Description: desc, CheckName: "recce/" + string(it.c.Type),
				Fingerprint: fingerprint(it, f.node), Severity: severity,
				Location: Location{Path: f.path, Lines: Lines{Begin: f.line}}})
		}
	}
	return out
}

// WriteCodeQuality writes the Code Quality report (a JSON array).
func WriteCodeQuality(w io.Writer, in Input) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(CodeQuality(in))
}

func fingerprint(it item, node string) string {
	params, _ := json.Marshal(it.c.Params) // map keys sorted: stable
	h := sha256.Sum256(fmt.Appendf(nil, "recce code quality\x00%s\x00%s\x00%s\x00%s\x00%s", it.c.Type, it.c.Name, params, node, it.out.Verdict))
	return hex.EncodeToString(h[:16])
}

// place is where a finding points.
type place struct {
	node string // the model's name, "" for the checks file
	path string
	line int
}

// files are the places of a check's findings: each node it names, on
// its SQL file; else the checks file, at the check's entry.
func (in Input) files(it item, base, current *dbt.Artifacts) []place {
	nodes := it.out.Nodes
	if len(nodes) == 0 && it.c.Model() != "" {
		nodes = []string{it.c.Model()}
	}
	var out []place
	for _, name := range nodes {
		if p := nodeFile(name, base, current); p != "" {
			out = append(out, place{node: name, path: in.repoPath(p), line: 1})
		}
	}
	if len(out) == 0 {
		cfg := in.Config
		if cfg == "" {
			cfg = "recce.yml"
		}
		out = append(out, place{path: in.repoPath(cfg), line: checkLine(path.Join(in.Root, cfg), it.c.Name)})
	}
	return out
}

func nodeFile(name string, base, current *dbt.Artifacts) string {
	for _, a := range []*dbt.Artifacts{current, base} {
		if a == nil || a.Manifest == nil {
			continue
		}
		if n := a.Manifest.Lookup(name); n != nil && n.OriginalFilePath != "" {
			return n.OriginalFilePath
		}
	}
	return ""
}

func (in Input) repoPath(p string) string {
	if in.Root == "" || in.Root == "." {
		return path.Clean(p)
	}
	return path.Join(in.Root, p)
}

// checkLine is the line of the checks file that names the check
// ("name: <name>"), 1 when it cannot be found (the default checks, or a
// state file's checks).
func checkLine(file, name string) int {
	f, err := os.Open(file)
	if err != nil {
		return 1
	}
	defer f.Close()
	re := regexp.MustCompile(`^\s*-?\s*name:\s*["']?` + regexp.QuoteMeta(name) + `["']?\s*(#.*)?$`)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if re.MatchString(sc.Text()) {
			return n
		}
	}
	return 1
}

func (in Input) artifacts() (base, current *dbt.Artifacts, err error) {
	if in.Base != nil && in.Current != nil {
		return in.Base, in.Current, nil
	}
	return in.State.LoadArtifacts()
}
