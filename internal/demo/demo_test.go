package demo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"gitlab.com/recce-go/recce/internal/fixtures"
	"gitlab.com/recce-go/recce/internal/warehouse/duckdb"
)

// The small demo is generated once (it takes about a second) and shared by
// the tests that only read it.
var (
	smallOnce sync.Once
	smallRes  *Result
	smallErr  error
	smallDir  string
)

func smallDemo(t *testing.T) *Result {
	t.Helper()
	smallOnce.Do(func() {
		smallDir, smallErr = os.MkdirTemp("", "recce-demo-test-")
		if smallErr == nil {
			smallRes, smallErr = Generate(context.Background(), filepath.Join(smallDir, "demo"), Options{})
		}
	})
	if smallErr != nil {
		t.Fatalf("generate the small demo: %v", smallErr)
	}
	return smallRes
}

func TestMain(m *testing.M) {
	code := m.Run()
	if smallDir != "" {
		os.RemoveAll(smallDir)
	}
	os.Exit(code)
}

// --- JSON Schema validation against dbt's published schemas ---

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
	schemaErr  error
)

func dbtSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	files := map[string]string{
		"manifest":      fixtures.Path(t, "dbt", "schemas", "manifest_v12.schema.json"),
		"manifest-1.10": fixtures.Path(t, "dbt", "schemas", "manifest_v12.dbt-1.10.schema.json"),
		"catalog":       fixtures.Path(t, "dbt", "schemas", "catalog_v1.schema.json"),
	}
	schemaOnce.Do(func() {
		schemas = map[string]*jsonschema.Schema{}
		for name, f := range files {
			c := jsonschema.NewCompiler()
			s, err := c.Compile(f)
			if err != nil {
				schemaErr = err
				return
			}
			schemas[name] = s
		}
	})
	if schemaErr != nil {
		t.Fatalf("compile dbt's JSON schemas: %v", schemaErr)
	}
	return schemas
}

func validate(t *testing.T, s *jsonschema.Schema, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s is not JSON: %v", file, err)
	}
	if err := s.Validate(inst); err != nil {
		msg := err.Error()
		if len(msg) > 3000 {
			msg = msg[:3000] + "..."
		}
		t.Errorf("%s does not validate against %s:\n%s", file, s.Location, msg)
	}
}

func validateArtifacts(t *testing.T, res *Result) {
	s := dbtSchemas(t)
	for _, a := range []Artifacts{res.Base, res.Current} {
		validate(t, s["manifest"], a.Manifest)
		validate(t, s["manifest-1.10"], a.Manifest)
		validate(t, s["catalog"], a.Catalog)
	}
}

func TestSmallDemoValidatesAgainstDbtSchemas(t *testing.T) {
	validateArtifacts(t, smallDemo(t))
}

func TestLargeDemoValidatesAgainstDbtSchemas(t *testing.T) {
	if testing.Short() {
		t.Skip("2000-model manifests take a few seconds to validate; run without -short")
	}
	res, err := Generate(context.Background(), filepath.Join(t.TempDir(), "demo"), Options{Models: 2000, ArtifactsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.BaseModels != 2000 {
		t.Errorf("base has %d models, want 2000", res.BaseModels)
	}
	validateArtifacts(t, res)
}

// --- The database: both environments and the planted differences ---

func openReadOnly(t *testing.T, path string) *sql.DB {
	t.Helper()
	w, err := duckdb.Open(t.Context(), path, duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w.DB()
}

func queryInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return n
}

func TestDatabaseHoldsBothEnvironmentsWithPlantedDifferences(t *testing.T) {
	res := smallDemo(t)
	db := openReadOnly(t, res.Database)

	// Raw data sizes.
	sz := sizesFor(DefaultRows)
	for table, want := range map[string]int64{"orders": sz.orders, "customers": sz.customers, "products": sz.products, "payments": sz.payments} {
		if got := queryInt(t, db, "select count(*) from demo.raw."+table); got != want {
			t.Errorf("raw.%s has %d rows, want %d", table, got, want)
		}
	}

	// The planted counts are what the design says: 0.1% of orders only in
	// current, 0.1% only in base, 2% modified.
	d := res.Orders
	if d.Added != 100 || d.Removed != 100 || d.Modified != 2000 || d.Total != 100_000 {
		t.Errorf("planted diff = %+v, want 100 added, 100 removed, 2000 modified of 100000", d)
	}
	if got := queryInt(t, db, `select count(*) from demo.prod.orders`); got != d.Base {
		t.Errorf("prod.orders has %d rows, want %d", got, d.Base)
	}
	if got := queryInt(t, db, `select count(*) from demo.dev.orders`); got != d.Current {
		t.Errorf("dev.orders has %d rows, want %d", got, d.Current)
	}

	// A plain full outer join finds exactly the planted differences.
	cols := []string{"customer_id", "order_date", "status", "item_count", "amount", "discount", "shipped_date"}
	var anyDiff []string
	sel := []string{
		"count(*) filter (where b.order_id is null)",
		"count(*) filter (where c.order_id is null)",
	}
	for _, c := range cols {
		anyDiff = append(anyDiff, "b."+c+" is distinct from c."+c)
		sel = append(sel, "count(*) filter (where b.order_id is not null and c.order_id is not null and b."+c+" is distinct from c."+c+")")
	}
	sel = append(sel, "count(*) filter (where b.order_id is not null and c.order_id is not null and ("+strings.Join(anyDiff, " or ")+"))",
		"count(*)",
		"count(*) filter (where b.order_id = c.order_id and b.discount is not null and c.discount is null)",
		"count(*) filter (where b.order_id = c.order_id and b.shipped_date is null and c.shipped_date is not null)")
	q := "select " + strings.Join(sel, ", ") + " from demo.prod.orders b full outer join demo.dev.orders c on b.order_id = c.order_id"
	got := make([]int64, len(sel))
	ptrs := make([]any, len(sel))
	for i := range got {
		ptrs[i] = &got[i]
	}
	if err := db.QueryRow(q).Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	if got[0] != d.Added || got[1] != d.Removed {
		t.Errorf("join finds %d added and %d removed, want %d and %d", got[0], got[1], d.Added, d.Removed)
	}
	for i, c := range cols {
		if got[2+i] != d.Mismatched[c] {
			t.Errorf("column %s: %d mismatched rows, want %d", c, got[2+i], d.Mismatched[c])
		}
	}
	n := len(cols) + 2
	if got[n] != d.Modified || got[n+1] != d.Total {
		t.Errorf("join finds %d modified of %d, want %d of %d", got[n], got[n+1], d.Modified, d.Total)
	}
	if got[n+2] != d.Mismatched["discount"] || got[n+3] != d.Mismatched["shipped_date"] || got[n+2] == 0 || got[n+3] == 0 {
		t.Errorf("values to null: %d (want %d), from null: %d (want %d)", got[n+2], d.Mismatched["discount"], got[n+3], d.Mismatched["shipped_date"])
	}

	// Added and removed models, materialization change.
	relType := func(schema, name string) string {
		var s string
		err := db.QueryRow(`select table_type from information_schema.tables where table_catalog = 'demo' and table_schema = ? and table_name = ?`, schema, name).Scan(&s)
		if errors.Is(err, sql.ErrNoRows) {
			return "missing"
		} else if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, c := range []struct{ schema, name, want string }{
		{"prod", addedModel, "missing"}, {"dev", addedModel, "BASE TABLE"},
		{"prod", removedModel, "VIEW"}, {"dev", removedModel, "missing"},
		{"prod", matChangeModel, "VIEW"}, {"dev", matChangeModel, "BASE TABLE"},
		{"prod", "int_order_items", "missing"}, {"dev", "int_order_items", "missing"}, // ephemeral
		{"prod", "daily_revenue", "BASE TABLE"}, {"dev", "country_codes", "BASE TABLE"},
	} {
		if got := relType(c.schema, c.name); got != c.want {
			t.Errorf("%s.%s is %s, want %s", c.schema, c.name, got, c.want)
		}
	}
	// The whitespace-only edit changes no data.
	if n := queryInt(t, db, `select count(*) from (select * from demo.prod.stg_products except select * from demo.dev.stg_products)`); n != 0 {
		t.Errorf("stg_products differs in %d rows between prod and dev; a whitespace edit must change nothing", n)
	}
}

// --- Catalogs ---

type catalogJSON struct {
	Nodes map[string]struct {
		Metadata struct{ Type, Schema string }
		Columns  map[string]struct {
			Type  string
			Index int
		}
	}
	Sources map[string]json.RawMessage
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func TestCatalogsShowRemovedAndRetypedColumns(t *testing.T) {
	res := smallDemo(t)
	var base, cur catalogJSON
	readJSON(t, res.Base.Catalog, &base)
	readJSON(t, res.Current.Catalog, &cur)
	id := modelID(customersModel)
	b, c := base.Nodes[id], cur.Nodes[id]
	if b.Metadata.Schema != "prod" || c.Metadata.Schema != "dev" {
		t.Errorf("customers is in schemas %q and %q, want prod and dev", b.Metadata.Schema, c.Metadata.Schema)
	}
	if _, ok := b.Columns["last_name"]; !ok {
		t.Error("base catalog lacks customers.last_name")
	}
	if _, ok := c.Columns["last_name"]; ok {
		t.Error("current catalog still has customers.last_name, which current removes")
	}
	if b.Columns["lifetime_value"].Type != "DECIMAL(18,2)" || c.Columns["lifetime_value"].Type != "DOUBLE" {
		t.Errorf("customers.lifetime_value is %q in base and %q in current, want DECIMAL(18,2) and DOUBLE",
			b.Columns["lifetime_value"].Type, c.Columns["lifetime_value"].Type)
	}
	if _, ok := base.Nodes[modelID("int_order_items")]; ok {
		t.Error("the ephemeral model is in the catalog; it is never built")
	}
	if base.Nodes[modelID(matChangeModel)].Metadata.Type != "VIEW" || cur.Nodes[modelID(matChangeModel)].Metadata.Type != "BASE TABLE" {
		t.Error("the catalogs do not show int_customer_payments going from view to table")
	}
	if len(base.Sources) != 4 || len(cur.Sources) != 4 {
		t.Errorf("catalogs hold %d and %d sources, want the 4 raw tables", len(base.Sources), len(cur.Sources))
	}
	if len(cur.Nodes[modelID(ordersModel)].Columns) != 8 {
		t.Errorf("orders has %d columns, want 8", len(cur.Nodes[modelID(ordersModel)].Columns))
	}
}

// The catalogs that --artifacts-only writes from declared types must be the
// ones DuckDB reports after a real build, for the shop and for synthetic
// models alike: otherwise the benchmark artifacts would describe another
// project than the one the demo builds.
func TestDeclaredTypesMatchWhatDuckDBBuilds(t *testing.T) {
	models := 300
	if testing.Short() {
		models = 0
	}
	dir := filepath.Join(t.TempDir(), "demo")
	res, err := Generate(context.Background(), dir, Options{Models: models, Rows: 5000})
	if err != nil {
		t.Fatal(err)
	}
	base, current, _, err := projects(models)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    *project
		file string
	}{{base, res.Base.Catalog}, {current, res.Current.Catalog}} {
		decl, err := declaredCatalog(c.p)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := writeJSON(&want, decl); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			var g, w catalogJSON
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal(want.Bytes(), &w)
			for id, n := range w.Nodes {
				if !reflect.DeepEqual(n, g.Nodes[id]) {
					t.Errorf("%s: declared %+v, DuckDB built %+v", id, n, g.Nodes[id])
					break
				}
			}
			t.Errorf("%s differs from the catalog of declared types", c.file)
		}
	}
}

// --- Manifests ---

type manifestJSON struct {
	Metadata  map[string]any            `json:"metadata"`
	Nodes     map[string]map[string]any `json:"nodes"`
	Sources   map[string]map[string]any `json:"sources"`
	Macros    map[string]map[string]any `json:"macros"`
	Exposures map[string]map[string]any `json:"exposures"`
	ParentMap map[string][]string       `json:"parent_map"`
	ChildMap  map[string][]string       `json:"child_map"`
}

// normalise makes a base node comparable to its current twin: the schema
// and the parse time are the only legitimate differences.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k != "created_at" {
				out[k] = normalise(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case string:
		x = strings.ReplaceAll(x, `"prod"`, `"dev"`)
		x = strings.ReplaceAll(x, "prod_dbt_test__audit", "dev_dbt_test__audit")
		if x == "prod" {
			return "dev"
		}
		return x
	}
	return v
}

func TestManifestsDifferOnlyByTheDeliberateChanges(t *testing.T) {
	res := smallDemo(t)
	var base, cur manifestJSON
	readJSON(t, res.Base.Manifest, &base)
	readJSON(t, res.Current.Manifest, &cur)

	for _, m := range []manifestJSON{base, cur} {
		md := m.Metadata
		if md["dbt_schema_version"] != manifestSchema || md["project_name"] != projectName || md["adapter_type"] != "duckdb" {
			t.Errorf("metadata = %v", md)
		}
	}
	if base.Metadata["generated_at"] == cur.Metadata["generated_at"] || base.Metadata["invocation_id"] == cur.Metadata["invocation_id"] {
		t.Error("base and current share generated_at or invocation_id; they are two dbt invocations")
	}

	ch := res.Changes
	changed := map[string]bool{}
	for _, n := range slices.Concat(ch.Added, ch.Removed, ch.Modified, ch.WhitespaceOnly, ch.Materialized) {
		changed[modelID(n)] = true
	}
	// Nodes whose compiled SQL inlines a changed ephemeral model, or whose
	// tests belong to an added or removed model, are compared field by field.
	for id, bn := range base.Nodes {
		cn, ok := cur.Nodes[id]
		if !ok {
			if bn["resource_type"] == "test" && bn["attached_node"] == modelID(removedModel) {
				continue
			}
			if !changed[id] {
				t.Errorf("%s is missing from current, but no change removes it", id)
			}
			continue
		}
		if changed[id] {
			continue
		}
		if !reflect.DeepEqual(normalise(bn), normalise(cn)) {
			t.Errorf("%s differs between base and current beyond the schema, but no change touches it", id)
		}
	}
	for id := range cur.Nodes {
		if _, ok := base.Nodes[id]; !ok && !changed[id] && cur.Nodes[id]["attached_node"] != modelID(addedModel) {
			t.Errorf("%s is new in current, but no change adds it", id)
		}
	}

	node := func(m manifestJSON, name string) map[string]any { return m.Nodes[modelID(name)] }
	sum := func(n map[string]any) string { return n["checksum"].(map[string]any)["checksum"].(string) }
	for _, name := range slices.Concat(ch.Modified, ch.WhitespaceOnly) {
		if sum(node(base, name)) == sum(node(cur, name)) {
			t.Errorf("%s: checksum unchanged, but its SQL changes", name)
		}
	}
	wb, wc := node(base, whitespaceModel)["raw_code"].(string), node(cur, whitespaceModel)["raw_code"].(string)
	if wb == wc || !slices.Equal(strings.Fields(wb), strings.Fields(wc)) {
		t.Errorf("%s must differ in whitespace only", whitespaceModel)
	}
	mb, mc := node(base, matChangeModel), node(cur, matChangeModel)
	if sum(mb) != sum(mc) || mb["config"].(map[string]any)["materialized"] != "view" || mc["config"].(map[string]any)["materialized"] != "table" {
		t.Errorf("%s must change from view to table in config only", matChangeModel)
	}
	if node(base, addedModel) != nil || node(cur, removedModel) != nil || node(cur, addedModel) == nil || node(base, removedModel) == nil {
		t.Error("added and removed models are not where they belong")
	}
	cc := node(cur, customersModel)["columns"].(map[string]any)
	if _, ok := cc["last_name"]; ok {
		t.Error("current customers still documents last_name")
	}
	if dt := cc["lifetime_value"].(map[string]any)["data_type"]; dt != "double" {
		t.Errorf("current customers.lifetime_value data_type = %v, want double", dt)
	}
}

func TestManifestNodesAreComplete(t *testing.T) {
	res := smallDemo(t)
	var m manifestJSON
	readJSON(t, res.Base.Manifest, &m)

	orders := m.Nodes[modelID(ordersModel)]
	if orders["relation_name"] != `"demo"."prod"."orders"` {
		t.Errorf("orders relation_name = %v", orders["relation_name"])
	}
	if pk := orders["primary_key"].([]any); len(pk) != 1 || pk[0] != "order_id" {
		t.Errorf("orders primary_key = %v", pk)
	}
	if ctes := orders["extra_ctes"].([]any); len(ctes) != 1 || !strings.HasPrefix(orders["compiled_code"].(string), "with __dbt__cte__int_order_items as (") {
		t.Errorf("orders does not inline the ephemeral int_order_items: %v", ctes)
	}
	// Tests on the primary key: what the value diff infers the key from.
	found := map[string]bool{}
	for _, n := range m.Nodes {
		if n["resource_type"] == "test" && n["attached_node"] == modelID(ordersModel) && n["column_name"] == "order_id" {
			found[n["test_metadata"].(map[string]any)["name"].(string)] = true
		}
	}
	if !found["unique"] || !found["not_null"] {
		t.Errorf("orders.order_id tests found: %v, want unique and not_null", found)
	}
	if !slices.Contains(anyStrings(m.Nodes[modelID("stg_payments")]["depends_on"].(map[string]any)["macros"]), centsMacroID) {
		t.Error("stg_payments does not depend on the cents_to_dollars macro")
	}
	if _, ok := m.Exposures[exposureID("revenue_dashboard")]; !ok {
		t.Error("the exposure is missing")
	}

	for id, n := range m.Nodes {
		if code, _ := n["compiled_code"].(string); strings.Contains(code, "{{") || strings.Contains(code, "{%") {
			t.Errorf("%s: compiled_code still holds Jinja", id)
		}
		if n["resource_type"] == "model" && n["checksum"].(map[string]any)["checksum"] != checksum(n["raw_code"].(string)) {
			t.Errorf("%s: checksum is not the sha256 of raw_code", id)
		}
		deps := anyStrings(n["depends_on"].(map[string]any)["nodes"])
		if !slices.Equal(deps, uniqueSorted(m.ParentMap[id])) && !slices.Equal(uniqueSorted(deps), m.ParentMap[id]) {
			t.Errorf("%s: parent_map %v does not match depends_on %v", id, m.ParentMap[id], deps)
		}
		for _, d := range deps {
			if m.Nodes[d] == nil && m.Sources[d] == nil {
				t.Errorf("%s depends on %s, which is not in the manifest", id, d)
			}
			if !slices.Contains(m.ChildMap[d], id) {
				t.Errorf("child_map of %s lacks %s", d, id)
			}
		}
		for _, mac := range anyStrings(n["depends_on"].(map[string]any)["macros"]) {
			if m.Macros[mac] == nil {
				t.Errorf("%s depends on macro %s, which is not in the manifest", id, mac)
			}
		}
	}
}

func anyStrings(v any) []string {
	var out []string
	l, _ := v.([]any) // a seed's depends_on has no nodes
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

func uniqueSorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// --- Project files ---

func TestProjectFiles(t *testing.T) {
	res := smallDemo(t)
	var profiles map[string]struct {
		Target  string
		Outputs map[string]map[string]any
	}
	readYAML(t, res.Profiles, &profiles)
	dev := profiles[projectName].Outputs[profiles[projectName].Target]
	if profiles[projectName].Target != "dev" || dev["type"] != "duckdb" || dev["path"] != dbFile || dev["schema"] != "dev" {
		t.Errorf("profiles.yml: %+v", profiles)
	}
	var project map[string]any
	readYAML(t, res.Project, &project)
	if project["name"] != projectName || project["profile"] != projectName {
		t.Errorf("dbt_project.yml: %v", project)
	}
	var cfg struct {
		Checks []struct {
			Type   string
			Params map[string]any
		}
	}
	readYAML(t, res.Config, &cfg)
	types := map[string]map[string]any{}
	for _, c := range cfg.Checks {
		types[c.Type] = c.Params
	}
	for _, want := range []string{"row_count_diff", "schema_diff", "value_diff", "profile_diff", "query_diff"} {
		if _, ok := types[want]; !ok {
			t.Errorf("recce.yml lacks a %s check", want)
		}
	}
	if types["row_count_diff"]["select"] != "state:modified,config.materialized:table" ||
		types["value_diff"]["model"] != ordersModel || types["value_diff"]["primary_key"] != "order_id" ||
		!strings.Contains(types["query_diff"]["sql_template"].(string), `{{ ref("orders") }}`) {
		t.Errorf("recce.yml checks: %v", types)
	}
	// The model files are the current environment's, byte for byte.
	var m manifestJSON
	readJSON(t, res.Current.Manifest, &m)
	for _, name := range []string{ordersModel, whitespaceModel, addedModel} {
		n := m.Nodes[modelID(name)]
		b, err := os.ReadFile(filepath.Join(res.Dir, n["original_file_path"].(string)))
		if err != nil || string(b) != n["raw_code"] {
			t.Errorf("%s: the file does not hold the manifest's raw_code (%v)", name, err)
		}
	}
	var schema ymlSchema
	readYAML(t, filepath.Join(res.Dir, "models", "schema.yml"), &schema)
	if len(schema.Models) != res.CurrentModels || len(schema.Sources) != 1 || len(schema.Exposures) != 1 {
		t.Errorf("models/schema.yml: %d models, %d sources, %d exposures", len(schema.Models), len(schema.Sources), len(schema.Exposures))
	}
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// --- Determinism ---

func TestSameOptionsGiveIdenticalArtifacts(t *testing.T) {
	cases := []Options{{}, {Models: 2000, ArtifactsOnly: true}}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, opt := range cases {
		a, err := Generate(context.Background(), filepath.Join(t.TempDir(), "a"), opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Generate(context.Background(), filepath.Join(t.TempDir(), "b"), opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, pair := range [][2]string{
			{a.Base.Manifest, b.Base.Manifest}, {a.Current.Manifest, b.Current.Manifest},
			{a.Base.Catalog, b.Base.Catalog}, {a.Current.Catalog, b.Current.Catalog},
		} {
			x, _ := os.ReadFile(pair[0])
			y, _ := os.ReadFile(pair[1])
			if len(x) == 0 || !bytes.Equal(x, y) {
				t.Errorf("%+v: %s and %s differ", opt, pair[0], pair[1])
			}
		}
	}
}

// --- The destination folder ---

func TestRefusesAForeignFolderUnlessForced(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), dir, Options{ArtifactsOnly: true})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v, want ErrNotEmpty mentioning --force", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the refused folder was changed: %d entries", len(entries))
	}
	if _, err := Generate(context.Background(), dir, Options{ArtifactsOnly: true, Force: true}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine" {
		t.Error("--force removed a file the demo does not own")
	}
}

func TestRegeneratesAPreviousDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := Generate(context.Background(), dir, Options{Rows: 2000}); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "recce_state.json")
	if err := os.WriteFile(keep, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No --force needed; the stale database and models of the first run go.
	if _, err := Generate(context.Background(), dir, Options{ArtifactsOnly: true}); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{dbFile, "models", "dbt_project.yml"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s of the previous demo is still there", gone)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Error("a file the user added to the demo folder was removed")
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("temporary folders left beside the demo: %d entries", len(entries))
	}
}

func TestCancelledGenerationLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, filepath.Join(parent, "demo"), Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("a cancelled generation left %d entries", len(entries))
	}
}

func TestRejectsOutOfRangeOptions(t *testing.T) {
	for _, opt := range []Options{{Rows: 10}, {Rows: MaxRows + 1}, {Models: -1}, {Models: MaxModels + 1}} {
		if _, err := Generate(context.Background(), t.TempDir(), opt); err == nil {
			t.Errorf("%+v accepted", opt)
		}
	}
}

// --- Scale ---

func TestLargeGraphShape(t *testing.T) {
	base, current, ch, err := projects(10_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.models) != 10_000 {
		t.Errorf("base has %d models, want 10000", len(base.models))
	}
	modified := len(ch.Modified) + len(ch.WhitespaceOnly)
	if modified < 80 || modified > 120 {
		t.Errorf("%d models modified, want about 1%%", modified)
	}
	if len(ch.WhitespaceOnly) < modified/3 || len(ch.Added) < 2 || len(ch.Removed) < 2 {
		t.Errorf("changes: %d whitespace-only, %d added, %d removed", len(ch.WhitespaceOnly), len(ch.Added), len(ch.Removed))
	}
	if len(current.models) != len(base.models)+len(ch.Added)-len(ch.Removed) {
		t.Errorf("current has %d models", len(current.models))
	}
	// Layered and wide: parents per model between 1 and 3, depth bounded.
	depth := map[string]int{}
	order, _ := base.buildOrder()
	maxDepth := 0
	for _, m := range order {
		refs := parseRefs(m.raw)
		if len(refs) > 4 {
			t.Errorf("%s has %d parents", m.name, len(refs))
		}
		for _, r := range refs {
			depth[m.name] = max(depth[m.name], depth[r]+1)
		}
		maxDepth = max(maxDepth, depth[m.name])
	}
	if maxDepth < 5 || maxDepth > 8 {
		t.Errorf("graph depth %d, want a layered graph of 5 to 8 levels", maxDepth)
	}
}

func BenchmarkGenerate10000ModelsArtifactsOnly(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "demo")
	var res *Result
	for b.Loop() {
		var err error
		res, err = Generate(context.Background(), dir, Options{Models: 10_000, ArtifactsOnly: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(res.Bytes)
	b.ReportMetric(float64(res.Bytes)/1e6, "MB_written")
	st, _ := os.Stat(res.Current.Manifest)
	b.ReportMetric(float64(st.Size())/1e6, "MB_per_manifest")
}
