package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func buildInfo(mainVersion string, settings map[string]string) func() (*debug.BuildInfo, bool) {
	return func() (*debug.BuildInfo, bool) {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "gitlab.com/recce-go/recce", Version: mainVersion}}
		for k, v := range settings {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
		}
		return bi, true
	}
}

func noBuildInfo() (*debug.BuildInfo, bool) { return nil, false }

const (
	sha1 = "0123456789abcdef0123456789abcdef01234567"
	sha2 = "89abcdef0123456789abcdef0123456789abcdef"
)

func TestReadVersion(t *testing.T) {
	git := map[string]string{"vcs": "git", "vcs.revision": sha2, "vcs.time": "2026-10-30T09:00:00Z", "vcs.modified": "true"}
	for name, c := range map[string]struct {
		ld   [3]string
		info func() (*debug.BuildInfo, bool)
		want versionInfo
	}{
		"release build (ldflags)": {
			ld:   [3]string{"v1.2.3", sha1, "2026-11-01T10:00:00Z"},
			info: buildInfo("(devel)", nil),
			want: versionInfo{Version: "v1.2.3", Commit: sha1, BuildDate: "2026-11-01T10:00:00Z"},
		},
		"release build in a git tree: the VCS data of the same commit add its date": {
			ld:   [3]string{"v1.2.3", sha2, "2026-11-01T10:00:00Z"},
			info: buildInfo("(devel)", git),
			want: versionInfo{Version: "v1.2.3", Commit: sha2, Modified: true, BuildDate: "2026-11-01T10:00:00Z", CommitDate: "2026-10-30T09:00:00Z"},
		},
		"ldflags name another commit than the VCS data: ldflags win, no mixing": {
			ld:   [3]string{"v1.2.3", sha1, "2026-11-01T10:00:00Z"},
			info: buildInfo("(devel)", git),
			want: versionInfo{Version: "v1.2.3", Commit: sha1, BuildDate: "2026-11-01T10:00:00Z"},
		},
		"go install module@v1.2.3 (no VCS data in the module cache)": {
			info: buildInfo("v1.2.3", nil),
			want: versionInfo{Version: "v1.2.3"},
		},
		"go build in a git clone": {
			info: buildInfo("v0.0.0-20261030090000-89abcdef0123+dirty", git),
			want: versionInfo{Version: "v0.0.0-20261030090000-89abcdef0123+dirty", Commit: sha2, Modified: true, CommitDate: "2026-10-30T09:00:00Z"},
		},
		"go run without VCS data": {
			info: buildInfo("(devel)", nil),
			want: versionInfo{Version: "dev"},
		},
		"no build information at all": {
			info: noBuildInfo,
			want: versionInfo{Version: "dev"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := readVersion(c.ld[0], c.ld[1], c.ld[2], c.info)
			c.want.Go, c.want.Platform = got.Go, got.Platform
			if got != c.want {
				t.Errorf("readVersion:\n got %+v\nwant %+v", got, c.want)
			}
			if !strings.HasPrefix(got.Go, "go1.") || got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
				t.Errorf("go %q, platform %q", got.Go, got.Platform)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	run := func(info versionInfo, format string) string {
		t.Helper()
		var out bytes.Buffer
		a := &app{stdout: &out, stderr: &out}
		if err := a.runVersion(&versionOptions{format: format, info: info}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	release := readVersion("v1.2.3", sha1, "2026-11-01T10:00:00Z", noBuildInfo)

	text := run(release, "text")
	for _, want := range []string{"recce v1.2.3\n", "commit  " + sha1, "built   2026-11-01T10:00:00Z", "go      " + runtime.Version()} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}

	var got map[string]any
	if err := json.Unmarshal([]byte(run(release, "json")), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"version": "v1.2.3", "commit": sha1, "build_date": "2026-11-01T10:00:00Z", "commit_date": "", "modified": false} {
		if got[k] != want {
			t.Errorf("json %s = %v, want %v", k, got[k], want)
		}
	}

	dirty := run(readVersion("", "", "", buildInfo("(devel)", map[string]string{"vcs.revision": sha2, "vcs.time": "2026-10-30T09:00:00Z", "vcs.modified": "true"})), "text")
	for _, want := range []string{"recce dev\n", sha2 + " with uncommitted changes", "committed  2026-10-30T09:00:00Z"} {
		if !strings.Contains(dirty, want) {
			t.Errorf("fallback output lacks %q:\n%s", want, dirty)
		}
	}
	if strings.Contains(dirty, "built") {
		t.Errorf("a build without ldflags claims a build date:\n%s", dirty)
	}
	if bare := run(readVersion("", "", "", noBuildInfo), "text"); !strings.Contains(bare, "commit  unknown") {
		t.Errorf("no build information should say the commit is unknown:\n%s", bare)
	}
}

// The command is wired: `recce version --format json` answers this test
// binary's own build information.
func TestVersionCLI(t *testing.T) {
	out, errOut, code := runRecce(t, "version", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if v.Version == "" || v.Go == "" || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("%+v", v)
	}
	if _, errOut, code := runRecce(t, "version", "--format", "yaml"); code != 1 || !strings.Contains(errOut, "text|json") {
		t.Errorf("--format yaml: exit %d, %s", code, errOut)
	}
}
