package check

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/diff"
)

// The reference's own example recce.yml (see reference-system.md) loads
// unchanged.
const referenceConfig = `# Recce Preset Checks
github:
  repo: acme/analytics
checks:
  - name: Row count diff
    description: Row counts of modified table models
    type: row_count_diff
    params:
      select: state:modified,config.materialized:table
  - name: Schema diff
    type: schema_diff
  - name: Value diff of customers
    type: value_diff
    params: {model: customers, primary_key: customer_id}
  - name: Query diff of customers
    type: query_diff
    params:
      sql_template: select * from {{ ref("customers") }}
      primary_keys: [customer_id]
  - name: Histogram
    type: histogram_diff
    params: {model: orders, column_name: amount, column_type: DOUBLE, num_bins: 20}
    view_options: {pinned: true}
`

func TestReferenceConfigLoads(t *testing.T) {
	cfg, err := ParseConfig([]byte(referenceConfig))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Checks) != 5 || len(cfg.Warnings) != 0 {
		t.Fatalf("%d checks, warnings %v", len(cfg.Checks), cfg.Warnings)
	}
	c := cfg.Checks[2]
	if c.Name != "Value diff of customers" || c.Type != ValueDiff || !c.IsPreset || c.Params["model"] != "customers" {
		t.Errorf("check %+v", c)
	}
	p, err := ParseParams(c.Type, c.Params)
	if err != nil {
		t.Fatal(err)
	}
	if v := p.(diff.ValueParams); v.Model != "customers" || !reflect.DeepEqual([]string(v.PrimaryKey), []string{"customer_id"}) {
		t.Errorf("value params %+v", v)
	}
	h, _ := ParseParams(HistogramDiff, cfg.Checks[4].Params)
	if h.(diff.HistogramParams).NumBins != 20 || cfg.Checks[4].ViewOptions["pinned"] != true {
		t.Errorf("histogram %+v, view options %v", h, cfg.Checks[4].ViewOptions)
	}
	if cfg.Checks[1].Params == nil {
		t.Error("a check without params gets empty params, not null")
	}
	// Preset ids are stable from one run to the next, and distinct.
	again, _ := ParseConfig([]byte(referenceConfig))
	seen := map[string]bool{}
	for i, c := range cfg.Checks {
		if again.Checks[i].CheckID != c.CheckID || seen[c.CheckID] || len(c.CheckID) != 36 {
			t.Errorf("check %d id %q", i, c.CheckID)
		}
		seen[c.CheckID] = true
	}
}

func TestConfigErrorsNameCheckAndField(t *testing.T) {
	cfg := `checks:
  - name: Values
    type: value_diff
    params: {primary_key: [id, 3]}
  - type: top_k_diff
    params: {model: orders, column_name: status, k: 0.5}
  - name: Spelling
    type: row_count_diff
    parms: {select: orders}
  - name: Hist
    type: histogram_diff
    params: {model: orders, column_name: 12, num_bins: "ten"}
  - just a string
  - name: Bad view
    type: lineage_diff
    params: {view_mode: everything}
  - name: Query
    type: query
    params: "select 1"
`
	_, err := ParseConfig([]byte(cfg))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v", err)
	}
	want := []string{
		`line 2: check 1 ("Values"): params.model: is required`,
		`line 2: check 1 ("Values"): params.primary_key[1]: must be a string, not a number`,
		`line 5: check 2: name is required`,
		`line 5: check 2: params.k: must be a whole number from 1 to 1000, not 0.5`,
		`line 10: check 4 ("Hist"): params.column_name: must be a string, not a number`,
		`line 10: check 4 ("Hist"): params.num_bins: must be a whole number, not a string`,
		`line 13: check 5: must be a mapping with name, type and params`,
		`line 14: check 6 ("Bad view"): params.view_mode: must be all or changed_models, not "everything"`,
		`line 17: check 7 ("Query"): params must be a mapping (field: value), not a string`,
	}
	if !reflect.DeepEqual(ce.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(ce.Problems, "\n"), strings.Join(want, "\n"))
	}
	// The misspelt key is a warning, not an error, when the rest is valid.
	ok, err := ParseConfig([]byte("checks:\n  - name: Spelling\n    type: row_count_diff\n    parms: {select: orders}\n"))
	if err != nil || len(ok.Warnings) != 1 || !strings.Contains(ok.Warnings[0], `check 1 ("Spelling"): unknown key "parms" ignored`) {
		t.Errorf("warnings %v, error %v", ok.Warnings, err)
	}
	if _, err := ParseConfig([]byte("checks: [\n")); err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Errorf("bad YAML: %v", err)
	}
	if _, err := ParseConfig([]byte("checks: {a: 1}\n")); err == nil || !strings.Contains(err.Error(), "checks must be a list") {
		t.Errorf("checks as a mapping: %v", err)
	}
	// An empty type is no type (found by FuzzParseConfig).
	for _, y := range []string{"checks:\n  - name: A\n    type: \"\"\n", "checks:\n  - name: A\n    type: !0000\n0000000:"} {
		if _, err := ParseConfig([]byte(y)); err == nil || !strings.Contains(err.Error(), "type must not be empty") {
			t.Errorf("%q: %v", y, err)
		}
	}
}

func TestConfigFileMissingOrEmpty(t *testing.T) {
	dir := t.TempDir()
	cfg, err := LoadConfig(filepath.Join(dir, "recce.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "" || len(cfg.Checks) != 2 || cfg.Checks[0].Type != RowCountDiff || cfg.Checks[1].Type != SchemaDiff ||
		cfg.Checks[0].Params["select"] != "state:modified,config.materialized:table" || cfg.Checks[1].Params["select"] != "state:modified" {
		t.Errorf("default checks %+v", cfg.Checks)
	}
	path := filepath.Join(dir, "empty.yml")
	if err := os.WriteFile(path, []byte("# nothing yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err := LoadConfig(path); err != nil || len(cfg.Checks) != 0 || cfg.Path != path {
		t.Errorf("an empty file is no checks, not the default: %+v %v", cfg, err)
	}
	if err := os.WriteFile(path, []byte("checks:\n  - {name: x, type: nope}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.HasPrefix(err.Error(), path+": line 2: check 1 (\"x\"): type \"nope\" is not a check type") {
		t.Errorf("error %v", err)
	}
}

func TestTypes(t *testing.T) {
	for _, ty := range Types {
		if !ty.Valid() {
			t.Errorf("%s invalid", ty)
		}
		_, err := ParseParams(ty, Params{})
		required := ty != LineageDiff && ty != SchemaDiff && ty != RowCountDiff && ty != Simple
		if (err != nil) != required {
			t.Errorf("%s with no params: %v", ty, err)
		}
	}
	if TopKDiff.Title() != "Top K Diff" || Type("nope").Valid() || Type("nope").NeedsWarehouse() || LineageDiff.NeedsWarehouse() || !QueryBase.NeedsWarehouse() {
		t.Error("type helpers")
	}
}
