package dbt

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ProfileOptions says where to look for profiles.yml and which output to
// use; empty fields take dbt's defaults.
type ProfileOptions struct {
	ProjectDir  string // the dbt project (holds dbt_project.yml); default "."
	ProfilesDir string // --profiles-dir; default $DBT_PROFILES_DIR, the project dir, then ~/.dbt
	Profile     string // --profile; default the profile: key of dbt_project.yml
	Target      string // --target; default the profile's target: key
	// Getenv reads environment variables (DBT_PROFILES_DIR and env_var());
	// nil means os.Getenv. Tests pass a map.
	Getenv func(string) string
	// HomeDir is the user's home folder, for ~/.dbt; empty means
	// os.UserHomeDir.
	HomeDir string
}

// Secret is a string that never prints: String, GoString, JSON and slog
// all show a mask, so that a password cannot leak through an error, a log
// line or a %v of the struct holding it. Reveal returns the value.
type Secret string

const secretMask = "********"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return secretMask
}

// GoString masks %#v too.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue masks the value in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the value in JSON output.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// MarshalText masks the value for text encoders (YAML, TOML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself, for the one place that needs it (the
// database driver).
func (s Secret) Reveal() string { return string(s) }

// Target is one output of a profile in profiles.yml, with env_var() calls
// resolved: where and how to connect to the warehouse.
type Target struct {
	ProfilesPath string // the profiles.yml read
	ProjectDir   string // the dbt project folder (relative paths are resolved against it)
	Profile      string // profile name
	Name         string // output name (dbt's target)
	Type         string // adapter type: duckdb, postgres, snowflake...

	// Fields common to the adapters; zero when the output does not set them.
	Host     string
	Port     int
	User     string
	Password Secret // password: (or pass:, as dbt-postgres accepts)
	Database string // dbname: or database:
	Schema   string
	SSLMode  string
	Path     string // duckdb: the database file, absolute (or ":memory:")
	Threads  int

	// Extra holds every other key of the output, env_var() resolved, for
	// adapters that need more. Secret-looking keys (password, token,
	// private_key...) are kept out: they go to Secrets.
	Extra   map[string]string
	Secrets map[string]Secret
}

// String describes the target without any secret.
func (t *Target) String() string {
	if t == nil {
		return "<nil target>"
	}
	where := t.Path
	if t.Type != "duckdb" {
		where = t.User + "@" + t.Host
		if t.Port != 0 {
			where += ":" + strconv.Itoa(t.Port)
		}
		where += "/" + t.Database
		if t.Schema != "" {
			where += " schema " + t.Schema
		}
	}
	return fmt.Sprintf("%s target %s.%s (%s)", t.Type, t.Profile, t.Name, where)
}

// GoString keeps %#v from printing the password.
func (t *Target) GoString() string { return t.String() }

// LogValue keeps slog from printing the password.
func (t *Target) LogValue() slog.Value { return slog.StringValue(t.String()) }

// LoadTarget finds profiles.yml as dbt does and returns the chosen output.
// Errors name the file and key at fault and say what to do.
func LoadTarget(opts ProfileOptions) (*Target, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	projectDir := opts.ProjectDir
	if projectDir == "" {
		projectDir = "."
	}
	projectDir, err := filepath.Abs(projectDir)
	if err != nil {
		return nil, fmt.Errorf("project folder: %w", err)
	}

	profileName := opts.Profile
	if profileName == "" {
		profileName, err = projectProfile(projectDir)
		if err != nil {
			return nil, err
		}
	}

	path, err := findProfiles(opts, projectDir, getenv)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s is not valid YAML: %w", path, err)
	}
	profNode, ok := doc[profileName]
	if !ok {
		return nil, fmt.Errorf("%s has no profile %q (it has %s); name the right one in dbt_project.yml's profile: or with --profile",
			path, profileName, listKeys(doc, "config"))
	}
	var prof struct {
		Target  string               `yaml:"target"`
		Outputs map[string]yaml.Node `yaml:"outputs"`
	}
	if err := profNode.Decode(&prof); err != nil {
		return nil, fmt.Errorf("%s: profile %s: %w", path, profileName, err)
	}
	where := func(key string) string { return fmt.Sprintf("%s: %s.%s", path, profileName, key) }

	targetName := opts.Target
	if targetName == "" {
		if prof.Target == "" {
			return nil, fmt.Errorf("%s has no target:; set it or pass --target", where("target"))
		}
		targetName, err = renderEnv(prof.Target, getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where("target"), err)
		}
	}
	outNode, ok := prof.Outputs[targetName]
	if !ok {
		return nil, fmt.Errorf("%s has no output %q (it has %s); pass --target with one of them",
			where("outputs"), targetName, listKeys(prof.Outputs))
	}
	var raw map[string]any
	if err := outNode.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", where("outputs."+targetName), err)
	}

	t := &Target{ProfilesPath: path, ProjectDir: projectDir, Profile: profileName, Name: targetName,
		Extra: map[string]string{}, Secrets: map[string]Secret{}}
	for _, key := range outputKeys(&outNode, raw) {
		v := raw[key]
		s, err := scalar(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where("outputs."+targetName+"."+key), err)
		}
		s, err = renderEnv(s, getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where("outputs."+targetName+"."+key), err)
		}
		if err := t.set(key, s); err != nil {
			return nil, fmt.Errorf("%s: %w", where("outputs."+targetName+"."+key), err)
		}
	}
	if t.Type == "" {
		return nil, fmt.Errorf("%s has no type: (for example duckdb or postgres)", where("outputs."+targetName))
	}
	if t.Type == "duckdb" && t.Path != "" && t.Path != ":memory:" && !filepath.IsAbs(t.Path) {
		// dbt-duckdb resolves path: against the folder dbt runs in, which
		// is the project folder.
		t.Path = filepath.Join(projectDir, t.Path)
	}
	return t, nil
}

// outputKeys lists an output's keys in the file's order, so that the first
// problem reported is the first one in the file, every time; keys that come
// from a YAML merge (<<: *defaults) follow, sorted.
func outputKeys(n *yaml.Node, raw map[string]any) []string {
	var keys []string
	seen := map[string]bool{}
	for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if _, ok := raw[k]; ok && !seen[k] {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	var merged []string
	for k := range raw {
		if !seen[k] {
			merged = append(merged, k)
		}
	}
	sort.Strings(merged)
	return append(keys, merged...)
}

// set stores one key of an output in its typed field.
func (t *Target) set(key, value string) error {
	atoi := func() (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", value)
		}
		return n, nil
	}
	var err error
	switch key {
	case "type":
		t.Type = strings.ToLower(value)
	case "host":
		t.Host = value
	case "port":
		t.Port, err = atoi()
	case "user", "username":
		t.User = value
	case "password", "pass":
		t.Password = Secret(value)
	case "dbname", "database":
		t.Database = value
	case "schema":
		t.Schema = value
	case "sslmode":
		t.SSLMode = value
	case "path":
		t.Path = value
	case "threads":
		t.Threads, err = atoi()
	default:
		if secretKey(key) {
			t.Secrets[key] = Secret(value)
		} else {
			t.Extra[key] = value
		}
	}
	return err
}

// secretKey reports whether a key of an output holds a credential.
func secretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"password", "secret", "token", "private_key", "passphrase", "keyfile_json"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// scalar turns a YAML value into text; nested values (lists, maps) are
// kept as their YAML text for Extra.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	default:
		b, err := yaml.Marshal(x)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
}

// projectProfile reads the profile: key of dbt_project.yml.
func projectProfile(projectDir string) (string, error) {
	path := filepath.Join(projectDir, "dbt_project.yml")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s not found: run recce in the dbt project folder, pass --project-dir, or name the profile with --profile", path)
	}
	if err != nil {
		return "", err
	}
	var proj struct {
		Profile string `yaml:"profile"`
	}
	if err := yaml.Unmarshal(data, &proj); err != nil {
		return "", fmt.Errorf("%s is not valid YAML: %w", path, err)
	}
	if proj.Profile == "" {
		return "", fmt.Errorf("%s has no profile: key; add one or pass --profile", path)
	}
	return proj.Profile, nil
}

// findProfiles returns the profiles.yml to read, in dbt's order. A folder
// given explicitly (flag or DBT_PROFILES_DIR) must hold the file: falling
// through to another one would connect to a warehouse the user did not ask
// for.
func findProfiles(opts ProfileOptions, projectDir string, getenv func(string) string) (string, error) {
	explicit := func(dir, how string) (string, error) {
		p := filepath.Join(dir, "profiles.yml")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s (from %s) not found: fix %s or create the file", p, how, how)
		}
		return p, nil
	}
	if opts.ProfilesDir != "" {
		return explicit(opts.ProfilesDir, "--profiles-dir")
	}
	if d := getenv("DBT_PROFILES_DIR"); d != "" {
		return explicit(d, "DBT_PROFILES_DIR")
	}
	tried := []string{filepath.Join(projectDir, "profiles.yml")}
	home := opts.HomeDir
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home != "" {
		tried = append(tried, filepath.Join(home, ".dbt", "profiles.yml"))
	}
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no profiles.yml found (looked at %s): pass --profiles-dir or set DBT_PROFILES_DIR", strings.Join(tried, ", "))
}

// envVarRE matches {{ env_var('NAME') }} and {{ env_var('NAME', 'default') }},
// with an optional type filter such as | int, which dbt users add to ports.
var envVarRE = regexp.MustCompile(`\{\{\s*env_var\(\s*(?:'([^']*)'|"([^"]*)")\s*(,\s*(?:'([^']*)'|"([^"]*)"|(-?[0-9.]+)))?\s*\)\s*(?:\|\s*(?:int|as_number|as_text|string|as_bool|as_native)\s*)?\}\}`)

// renderEnv resolves env_var() calls in a profile value. Any other Jinja is
// an error: recce does not run Jinja, and guessing would connect somewhere
// unexpected.
func renderEnv(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "{{") && !strings.Contains(s, "{%") {
		return s, nil
	}
	var firstErr error
	out := envVarRE.ReplaceAllStringFunc(s, func(m string) string {
		g := envVarRE.FindStringSubmatch(m)
		name := g[1] + g[2]
		if v := getenv(name); v != "" {
			return v
		}
		if g[3] != "" { // a default was given, possibly ''
			return g[4] + g[5] + g[6]
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("environment variable %s is not set and env_var() gives no default: set it (export %s=...) or add a default, env_var('%s', '...')", name, name, name)
		}
		return ""
	})
	if firstErr != nil {
		return "", firstErr
	}
	if strings.Contains(out, "{{") || strings.Contains(out, "{%") {
		return "", fmt.Errorf("only {{ env_var('NAME') }} and {{ env_var('NAME', 'default') }} are supported in profiles.yml values, not %q", s)
	}
	return out, nil
}

func listKeys[V any](m map[string]V, skip ...string) string {
	var keys []string
	for k := range m {
		if !slices.Contains(skip, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "none"
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}
