package dbt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPassword = "hunter2-s3cr3t"

func writeProfileTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// profileFixture lays out a project folder, a home folder and a separate
// profiles folder, each with a distinguishable profiles.yml.
func profileFixture(t *testing.T) (project, home, other string) {
	t.Helper()
	root := t.TempDir()
	project, home, other = filepath.Join(root, "proj"), filepath.Join(root, "home"), filepath.Join(root, "other")
	writeProfileTestFile(t, filepath.Join(project, "dbt_project.yml"), "name: shop\nprofile: shop\n")
	profiles := func(where string) string {
		return `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: ` + where + `.duckdb
      threads: 4
    pg:
      type: postgres
      host: "{{ env_var('PGHOST', 'localhost') }}"
      port: "{{ env_var('PGPORT') | int }}"
      user: recce
      password: "{{ env_var('PGPASSWORD') }}"
      dbname: analytics
      schema: "{{ env_var('SCHEMA', '') }}"
      sslmode: disable
      private_key_passphrase: also-secret
      keepalives_idle: 0
other:
  target: prod
  outputs:
    prod:
      type: postgres
      host: db.example.internal
      user: bot
      dbname: warehouse
      schema: prod
`
	}
	writeProfileTestFile(t, filepath.Join(project, "profiles.yml"), profiles("project"))
	writeProfileTestFile(t, filepath.Join(home, ".dbt", "profiles.yml"), profiles("home"))
	writeProfileTestFile(t, filepath.Join(other, "profiles.yml"), profiles("other"))
	return project, home, other
}

func profileEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadTargetSearchOrder(t *testing.T) {
	project, home, other := profileFixture(t)
	cases := []struct {
		name     string
		opts     ProfileOptions
		env      map[string]string
		wantPath string
	}{
		{"flag first", ProfileOptions{ProfilesDir: other}, map[string]string{"DBT_PROFILES_DIR": home + "/.dbt"}, filepath.Join(other, "other.duckdb")},
		{"then DBT_PROFILES_DIR", ProfileOptions{}, map[string]string{"DBT_PROFILES_DIR": other}, filepath.Join(other, "other.duckdb")},
		{"then the project folder", ProfileOptions{}, nil, filepath.Join(project, "project.duckdb")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.ProjectDir, c.opts.HomeDir, c.opts.Getenv = project, home, profileEnv(c.env)
			tg, err := LoadTarget(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			// path: is relative, resolved against the project folder
			// whichever profiles.yml it came from.
			want := filepath.Join(project, filepath.Base(c.wantPath))
			if tg.Path != want || tg.Type != "duckdb" || tg.Threads != 4 || tg.Name != "dev" || tg.Profile != "shop" {
				t.Errorf("got %+v, want duckdb path %s", tg, want)
			}
			if !strings.HasPrefix(tg.ProfilesPath, filepath.Dir(c.wantPath)) {
				t.Errorf("read %s, want the one in %s", tg.ProfilesPath, filepath.Dir(c.wantPath))
			}
		})
	}
	t.Run("then ~/.dbt", func(t *testing.T) {
		if err := os.Remove(filepath.Join(project, "profiles.yml")); err != nil {
			t.Fatal(err)
		}
		tg, err := LoadTarget(ProfileOptions{ProjectDir: project, HomeDir: home, Getenv: profileEnv(nil)})
		if err != nil {
			t.Fatal(err)
		}
		if tg.ProfilesPath != filepath.Join(home, ".dbt", "profiles.yml") {
			t.Errorf("read %s", tg.ProfilesPath)
		}
	})
}

func TestLoadTargetPostgresWithEnvVars(t *testing.T) {
	project, home, _ := profileFixture(t)
	env := map[string]string{"PGPORT": "5433", "PGPASSWORD": testPassword}
	tg, err := LoadTarget(ProfileOptions{ProjectDir: project, HomeDir: home, Target: "pg", Getenv: profileEnv(env)})
	if err != nil {
		t.Fatal(err)
	}
	if tg.Type != "postgres" || tg.Host != "localhost" || tg.Port != 5433 || tg.User != "recce" ||
		tg.Password.Reveal() != testPassword || tg.Database != "analytics" || tg.Schema != "" || tg.SSLMode != "disable" {
		t.Errorf("got %s with password %q", tg, tg.Password.Reveal())
	}
	if tg.Extra["keepalives_idle"] != "0" || tg.Secrets["private_key_passphrase"].Reveal() != "also-secret" {
		t.Errorf("extra %v, secrets %v", tg.Extra, tg.Secrets)
	}
	if _, leaked := tg.Extra["private_key_passphrase"]; leaked {
		t.Error("a secret-looking key is in Extra")
	}

	// The password must not show in any rendering of the target.
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("connect", "target", tg, "password", tg.Password)
	js, err := json.Marshal(tg)
	if err != nil {
		t.Fatal(err)
	}
	renderings := map[string]string{
		"%v": fmt.Sprintf("%v", tg), "%+v": fmt.Sprintf("%+v", tg), "%#v": fmt.Sprintf("%#v", tg),
		"%v of the struct": fmt.Sprintf("%+v", *tg), "%#v of the struct": fmt.Sprintf("%#v", *tg),
		"String": tg.String(), "json": string(js), "slog": logBuf.String(),
		"error": fmt.Errorf("connect to %v with %v: refused", tg, tg.Password).Error(),
	}
	for how, s := range renderings {
		if strings.Contains(s, testPassword) || strings.Contains(s, "also-secret") {
			t.Errorf("%s shows a secret: %s", how, s)
		}
	}
	if !strings.Contains(renderings["%v of the struct"], secretMask) {
		t.Errorf("the password field should show as a mask: %s", renderings["%v of the struct"])
	}
}

func TestLoadTargetProfileFlagAndDefaults(t *testing.T) {
	project, home, _ := profileFixture(t)
	tg, err := LoadTarget(ProfileOptions{ProjectDir: project, HomeDir: home, Profile: "other", Getenv: profileEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if tg.Profile != "other" || tg.Name != "prod" || tg.Host != "db.example.internal" || tg.Port != 0 || tg.Schema != "prod" {
		t.Errorf("got %s", tg)
	}
}

func TestLoadTargetErrors(t *testing.T) {
	project, home, other := profileFixture(t)
	base := ProfileOptions{ProjectDir: project, HomeDir: home, Getenv: profileEnv(nil)}
	with := func(f func(*ProfileOptions)) ProfileOptions { o := base; f(&o); return o }
	cases := []struct {
		name string
		opts ProfileOptions
		want []string
	}{
		{"missing env var without default", with(func(o *ProfileOptions) { o.Target = "pg" }),
			[]string{"profiles.yml", "shop.outputs.pg.", "PGPORT", "is not set"}},
		{"unknown profile", with(func(o *ProfileOptions) { o.Profile = "nope" }),
			[]string{`no profile "nope"`, "other, shop", "--profile"}},
		{"unknown target", with(func(o *ProfileOptions) { o.Target = "staging" }),
			[]string{`no output "staging"`, "dev, pg", "--target"}},
		{"explicit profiles dir without the file", with(func(o *ProfileOptions) { o.ProfilesDir = filepath.Join(other, "missing") }),
			[]string{"--profiles-dir", "not found"}},
		{"DBT_PROFILES_DIR without the file", with(func(o *ProfileOptions) {
			o.Getenv = profileEnv(map[string]string{"DBT_PROFILES_DIR": filepath.Join(other, "missing")})
		}), []string{"DBT_PROFILES_DIR", "not found"}},
		{"no dbt_project.yml", with(func(o *ProfileOptions) { o.ProjectDir = other }),
			[]string{"dbt_project.yml not found", "--project-dir"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadTarget(c.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRenderEnv(t *testing.T) {
	env := profileEnv(map[string]string{"A": "alpha", "EMPTY_DEFAULT_SET": "set"})
	cases := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"{{ env_var('A') }}", "alpha", ""},
		{`{{env_var("A")}}`, "alpha", ""},
		{"pre-{{ env_var('A') }}-post", "pre-alpha-post", ""},
		{"{{ env_var('B', 'fallback') }}", "fallback", ""},
		{"{{ env_var('B', '') }}", "", ""},
		{"{{ env_var('B', 5432) | int }}", "5432", ""},
		{"{{ env_var('A', 'unused') }}", "alpha", ""},
		{"{{ env_var('B') }}", "", "B is not set"},
		{"{{ var('x') }}", "", "only {{ env_var('NAME') }}"},
		{"{% if x %}y{% endif %}", "", "only {{ env_var('NAME') }}"},
	}
	for _, c := range cases {
		got, err := renderEnv(c.in, env)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("renderEnv(%q) error %v, want one with %q", c.in, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("renderEnv(%q): %v", c.in, err)
		case c.err == "" && got != c.want:
			t.Errorf("renderEnv(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLoadTargetYAMLMergeKeys(t *testing.T) {
	dir := t.TempDir()
	writeProfileTestFile(t, filepath.Join(dir, "dbt_project.yml"), "name: shop\nprofile: shop\n")
	writeProfileTestFile(t, filepath.Join(dir, "profiles.yml"), `defaults: &pg
  type: postgres
  host: db.internal
  port: 5432
  user: recce
  dbname: analytics
shop:
  target: ci
  outputs:
    ci:
      <<: *pg
      schema: ci_schema
      password: "{{ env_var('PGPASSWORD') }}"
`)
	tg, err := LoadTarget(ProfileOptions{ProjectDir: dir, Getenv: profileEnv(map[string]string{"PGPASSWORD": testPassword})})
	if err != nil {
		t.Fatal(err)
	}
	if tg.Type != "postgres" || tg.Host != "db.internal" || tg.Port != 5432 || tg.Schema != "ci_schema" || tg.Password.Reveal() != testPassword {
		t.Errorf("merged output not read: %s", tg)
	}
}
