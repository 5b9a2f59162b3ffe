package demo

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// manifest.json, schema v12, shaped like the one dbt-core 1.10 writes with
// dbt-duckdb after `dbt docs generate`. Every field the v12 schema knows for
// these resource types is written, in dbt's order, with dbt's defaults; only
// fields that exist in both the dbt 1.10 and 1.12 flavours of the schema are
// used, so the file validates against both.

const (
	dbtVersion     = "1.10.11"
	manifestSchema = "https://schemas.getdbt.com/dbt/manifest/v12.json"
	catalogSchema  = "https://schemas.getdbt.com/dbt/catalog/v1.json"
)

// stamp is what differs between two dbt invocations: fixed here so that the
// same options always give byte-identical artifacts.
type stamp struct {
	generatedAt, startedAt, invocationID string
	catalogAt                            string  // docs generate writes the catalog a moment after the manifest
	createdAt                            float64 // parse time recorded on every node
}

var stamps = map[string]stamp{
	"base": {generatedAt: "2026-01-05T09:00:14.512034Z", startedAt: "2026-01-05T09:00:02.117090+00:00",
		invocationID: "3c1f5a0e-6d2b-4f7e-9a41-5b0c8e2d7f10", catalogAt: "2026-01-05T09:00:58.731402Z", createdAt: 1767603603.25},
	"current": {generatedAt: "2026-01-06T14:32:51.208871Z", startedAt: "2026-01-06T14:32:40.904512+00:00",
		invocationID: "8e27b4c9-1a53-4d6f-b0e8-2f9d6c4a1e75", catalogAt: "2026-01-06T14:33:37.064815Z", createdAt: 1767709961.5},
}

type fileHash struct {
	Name     string `json:"name"`
	Checksum string `json:"checksum"`
}

type docsConfig struct {
	Show      bool `json:"show"`
	NodeColor any  `json:"node_color"`
}

type contractConfig struct {
	Enforced   bool `json:"enforced"`
	AliasTypes bool `json:"alias_types"`
}

type contract struct {
	Enforced   bool `json:"enforced"`
	AliasTypes bool `json:"alias_types"`
	Checksum   any  `json:"checksum"`
}

type refArgs struct {
	Name    string `json:"name"`
	Package any    `json:"package"`
	Version any    `json:"version"`
}

type dependsOn struct {
	Macros []string `json:"macros"`
	Nodes  []string `json:"nodes"`
}

type columnConfig struct {
	Meta map[string]any `json:"meta"`
	Tags []string       `json:"tags"`
}

type columnInfo struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Meta        map[string]any `json:"meta"`
	DataType    any            `json:"data_type"`
	Constraints []any          `json:"constraints"`
	Quote       any            `json:"quote"`
	Config      columnConfig   `json:"config"`
	Tags        []string       `json:"tags"`
	Granularity any            `json:"granularity"`
	DocBlocks   []any          `json:"doc_blocks"`
}

// columnInfos are the documented columns of a node; data_type is what
// schema.yml declares (lower case, as people write it).
func columnInfos(cols []column) omap[columnInfo] {
	m := make(omap[columnInfo], 0, len(cols))
	for _, c := range cols {
		m.add(c.name, columnInfo{Name: c.name, Description: c.description, Meta: map[string]any{},
			DataType: strings.ToLower(c.typ), Constraints: []any{}, Config: columnConfig{Meta: map[string]any{}, Tags: []string{}}})
	}
	return m
}

// nodeConfig is the config of models and seeds (dbt's NodeConfig).
type nodeConfig struct {
	Enabled               bool           `json:"enabled"`
	Alias                 any            `json:"alias"`
	Schema                any            `json:"schema"`
	Database              any            `json:"database"`
	Tags                  []string       `json:"tags"`
	Meta                  map[string]any `json:"meta"`
	Group                 any            `json:"group"`
	Materialized          string         `json:"materialized"`
	IncrementalStrategy   any            `json:"incremental_strategy"`
	BatchSize             any            `json:"batch_size"`
	Lookback              int            `json:"lookback"`
	Begin                 any            `json:"begin"`
	PersistDocs           map[string]any `json:"persist_docs"`
	PostHook              []any          `json:"post-hook"`
	PreHook               []any          `json:"pre-hook"`
	Quoting               map[string]any `json:"quoting"`
	ColumnTypes           map[string]any `json:"column_types"`
	FullRefresh           any            `json:"full_refresh"`
	UniqueKey             any            `json:"unique_key"`
	OnSchemaChange        string         `json:"on_schema_change"`
	OnConfigurationChange string         `json:"on_configuration_change"`
	Grants                map[string]any `json:"grants"`
	Packages              []string       `json:"packages"`
	Docs                  docsConfig     `json:"docs"`
	Contract              contractConfig `json:"contract"`
	EventTime             any            `json:"event_time"`
	ConcurrentBatches     any            `json:"concurrent_batches"`
	Access                string         `json:"access,omitempty"` // models only
	Delimiter             string         `json:"delimiter,omitempty"`
	QuoteColumns          any            `json:"quote_columns,omitempty"` // seeds only
}

func newNodeConfig(materialized string, tags []string) nodeConfig {
	return nodeConfig{Enabled: true, Tags: nonNil(tags), Meta: map[string]any{}, Materialized: materialized,
		Lookback: 1, PersistDocs: map[string]any{}, Quoting: map[string]any{}, ColumnTypes: map[string]any{},
		OnSchemaChange: "ignore", OnConfigurationChange: "apply", Grants: map[string]any{},
		Docs: docsConfig{Show: true}, Contract: contractConfig{AliasTypes: true}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type modelNode struct {
	Database          string           `json:"database"`
	Schema            string           `json:"schema"`
	Name              string           `json:"name"`
	ResourceType      string           `json:"resource_type"`
	PackageName       string           `json:"package_name"`
	Path              string           `json:"path"`
	OriginalFilePath  string           `json:"original_file_path"`
	UniqueID          string           `json:"unique_id"`
	FQN               []string         `json:"fqn"`
	Alias             string           `json:"alias"`
	Checksum          fileHash         `json:"checksum"`
	Config            nodeConfig       `json:"config"`
	Tags              []string         `json:"tags"`
	Description       string           `json:"description"`
	Columns           omap[columnInfo] `json:"columns"`
	Meta              map[string]any   `json:"meta"`
	Group             any              `json:"group"`
	Docs              docsConfig       `json:"docs"`
	PatchPath         any              `json:"patch_path"`
	BuildPath         any              `json:"build_path"`
	UnrenderedConfig  omap[any]        `json:"unrendered_config"`
	CreatedAt         float64          `json:"created_at"`
	RelationName      any              `json:"relation_name"`
	RawCode           string           `json:"raw_code"`
	DocBlocks         []any            `json:"doc_blocks"`
	Language          string           `json:"language"`
	Refs              []refArgs        `json:"refs"`
	Sources           [][2]string      `json:"sources"`
	Metrics           []any            `json:"metrics"`
	DependsOn         dependsOn        `json:"depends_on"`
	CompiledPath      string           `json:"compiled_path"`
	Compiled          bool             `json:"compiled"`
	CompiledCode      string           `json:"compiled_code"`
	ExtraCTEsInjected bool             `json:"extra_ctes_injected"`
	ExtraCTEs         []extraCTE       `json:"extra_ctes"`
	Contract          contract         `json:"contract"`
	Access            string           `json:"access"`
	Constraints       []any            `json:"constraints"`
	Version           any              `json:"version"`
	LatestVersion     any              `json:"latest_version"`
	DeprecationDate   any              `json:"deprecation_date"`
	PrimaryKey        []string         `json:"primary_key"`
	TimeSpine         any              `json:"time_spine"`
}

type testMetadata struct {
	Name      string    `json:"name"`
	Kwargs    omap[any] `json:"kwargs"`
	Namespace any       `json:"namespace"`
}

// testConfig is dbt's TestConfig.
type testConfig struct {
	Enabled         bool           `json:"enabled"`
	Alias           any            `json:"alias"`
	Schema          string         `json:"schema"`
	Database        any            `json:"database"`
	Tags            []string       `json:"tags"`
	Meta            map[string]any `json:"meta"`
	Group           any            `json:"group"`
	Materialized    string         `json:"materialized"`
	Severity        string         `json:"severity"`
	StoreFailures   any            `json:"store_failures"`
	StoreFailuresAs any            `json:"store_failures_as"`
	Where           any            `json:"where"`
	Limit           any            `json:"limit"`
	FailCalc        string         `json:"fail_calc"`
	WarnIf          string         `json:"warn_if"`
	ErrorIf         string         `json:"error_if"`
}

// testNode is a generic test (unique, not_null) attached to a column.
type testNode struct {
	Database          string         `json:"database"`
	Schema            string         `json:"schema"`
	Name              string         `json:"name"`
	ResourceType      string         `json:"resource_type"`
	PackageName       string         `json:"package_name"`
	Path              string         `json:"path"`
	OriginalFilePath  string         `json:"original_file_path"`
	UniqueID          string         `json:"unique_id"`
	FQN               []string       `json:"fqn"`
	Alias             string         `json:"alias"`
	Checksum          fileHash       `json:"checksum"`
	Config            testConfig     `json:"config"`
	Tags              []string       `json:"tags"`
	Description       string         `json:"description"`
	Columns           map[string]any `json:"columns"`
	Meta              map[string]any `json:"meta"`
	Group             any            `json:"group"`
	Docs              docsConfig     `json:"docs"`
	PatchPath         any            `json:"patch_path"`
	BuildPath         any            `json:"build_path"`
	UnrenderedConfig  map[string]any `json:"unrendered_config"`
	CreatedAt         float64        `json:"created_at"`
	RelationName      any            `json:"relation_name"`
	RawCode           string         `json:"raw_code"`
	DocBlocks         []any          `json:"doc_blocks"`
	Language          string         `json:"language"`
	Refs              []refArgs      `json:"refs"`
	Sources           [][2]string    `json:"sources"`
	Metrics           []any          `json:"metrics"`
	DependsOn         dependsOn      `json:"depends_on"`
	CompiledPath      string         `json:"compiled_path"`
	Compiled          bool           `json:"compiled"`
	CompiledCode      string         `json:"compiled_code"`
	ExtraCTEsInjected bool           `json:"extra_ctes_injected"`
	ExtraCTEs         []extraCTE     `json:"extra_ctes"`
	Contract          contract       `json:"contract"`
	ColumnName        string         `json:"column_name"`
	FileKeyName       string         `json:"file_key_name"`
	AttachedNode      string         `json:"attached_node"`
	TestMetadata      testMetadata   `json:"test_metadata"`
}

type seedNode struct {
	Database         string           `json:"database"`
	Schema           string           `json:"schema"`
	Name             string           `json:"name"`
	ResourceType     string           `json:"resource_type"`
	PackageName      string           `json:"package_name"`
	Path             string           `json:"path"`
	OriginalFilePath string           `json:"original_file_path"`
	UniqueID         string           `json:"unique_id"`
	FQN              []string         `json:"fqn"`
	Alias            string           `json:"alias"`
	Checksum         fileHash         `json:"checksum"`
	Config           nodeConfig       `json:"config"`
	Tags             []string         `json:"tags"`
	Description      string           `json:"description"`
	Columns          omap[columnInfo] `json:"columns"`
	Meta             map[string]any   `json:"meta"`
	Group            any              `json:"group"`
	Docs             docsConfig       `json:"docs"`
	PatchPath        any              `json:"patch_path"`
	BuildPath        any              `json:"build_path"`
	UnrenderedConfig map[string]any   `json:"unrendered_config"`
	CreatedAt        float64          `json:"created_at"`
	RelationName     string           `json:"relation_name"`
	RawCode          string           `json:"raw_code"`
	DocBlocks        []any            `json:"doc_blocks"`
	DependsOn        struct {
		Macros []string `json:"macros"`
	} `json:"depends_on"`
}

type freshnessThreshold struct {
	Count  any `json:"count"`
	Period any `json:"period"`
}

type freshness struct {
	WarnAfter  freshnessThreshold `json:"warn_after"`
	ErrorAfter freshnessThreshold `json:"error_after"`
	Filter     any                `json:"filter"`
}

type quoting struct {
	Database   any `json:"database"`
	Schema     any `json:"schema"`
	Identifier any `json:"identifier"`
	Column     any `json:"column"`
}

type sourceNode struct {
	Database           string           `json:"database"`
	Schema             string           `json:"schema"`
	Name               string           `json:"name"`
	ResourceType       string           `json:"resource_type"`
	PackageName        string           `json:"package_name"`
	Path               string           `json:"path"`
	OriginalFilePath   string           `json:"original_file_path"`
	UniqueID           string           `json:"unique_id"`
	FQN                []string         `json:"fqn"`
	SourceName         string           `json:"source_name"`
	SourceDescription  string           `json:"source_description"`
	Loader             string           `json:"loader"`
	Identifier         string           `json:"identifier"`
	Quoting            quoting          `json:"quoting"`
	LoadedAtField      any              `json:"loaded_at_field"`
	LoadedAtQuery      any              `json:"loaded_at_query"`
	Freshness          freshness        `json:"freshness"`
	External           any              `json:"external"`
	Description        string           `json:"description"`
	Columns            omap[columnInfo] `json:"columns"`
	Meta               map[string]any   `json:"meta"`
	SourceMeta         map[string]any   `json:"source_meta"`
	Tags               []string         `json:"tags"`
	Config             omap[any]        `json:"config"`
	PatchPath          any              `json:"patch_path"`
	UnrenderedConfig   map[string]any   `json:"unrendered_config"`
	RelationName       string           `json:"relation_name"`
	CreatedAt          float64          `json:"created_at"`
	UnrenderedDatabase any              `json:"unrendered_database"`
	UnrenderedSchema   any              `json:"unrendered_schema"`
	DocBlocks          []any            `json:"doc_blocks"`
}

type macroNode struct {
	Name               string         `json:"name"`
	ResourceType       string         `json:"resource_type"`
	PackageName        string         `json:"package_name"`
	Path               string         `json:"path"`
	OriginalFilePath   string         `json:"original_file_path"`
	UniqueID           string         `json:"unique_id"`
	MacroSQL           string         `json:"macro_sql"`
	DependsOn          dependsOnMacro `json:"depends_on"`
	Description        string         `json:"description"`
	Meta               map[string]any `json:"meta"`
	Docs               docsConfig     `json:"docs"`
	PatchPath          any            `json:"patch_path"`
	Arguments          []any          `json:"arguments"`
	CreatedAt          float64        `json:"created_at"`
	SupportedLanguages any            `json:"supported_languages"`
}

type dependsOnMacro struct {
	Macros []string `json:"macros"`
}

type exposureOwner struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type exposureNode struct {
	Name             string         `json:"name"`
	ResourceType     string         `json:"resource_type"`
	PackageName      string         `json:"package_name"`
	Path             string         `json:"path"`
	OriginalFilePath string         `json:"original_file_path"`
	UniqueID         string         `json:"unique_id"`
	FQN              []string       `json:"fqn"`
	Type             string         `json:"type"`
	Owner            exposureOwner  `json:"owner"`
	Description      string         `json:"description"`
	Label            string         `json:"label"`
	Maturity         string         `json:"maturity"`
	Meta             map[string]any `json:"meta"`
	Tags             []string       `json:"tags"`
	Config           omap[any]      `json:"config"`
	UnrenderedConfig map[string]any `json:"unrendered_config"`
	URL              string         `json:"url"`
	DependsOn        dependsOn      `json:"depends_on"`
	Refs             []refArgs      `json:"refs"`
	Sources          [][2]string    `json:"sources"`
	Metrics          []any          `json:"metrics"`
	CreatedAt        float64        `json:"created_at"`
}

type docNode struct {
	Name             string `json:"name"`
	ResourceType     string `json:"resource_type"`
	PackageName      string `json:"package_name"`
	Path             string `json:"path"`
	OriginalFilePath string `json:"original_file_path"`
	UniqueID         string `json:"unique_id"`
	BlockContents    string `json:"block_contents"`
}

type manifestMetadata struct {
	DBTSchemaVersion       string            `json:"dbt_schema_version"`
	DBTVersion             string            `json:"dbt_version"`
	GeneratedAt            string            `json:"generated_at"`
	InvocationID           string            `json:"invocation_id"`
	InvocationStartedAt    string            `json:"invocation_started_at"`
	Env                    map[string]string `json:"env"`
	ProjectName            string            `json:"project_name"`
	ProjectID              string            `json:"project_id"`
	UserID                 any               `json:"user_id"`
	SendAnonymousUsageStat bool              `json:"send_anonymous_usage_stats"`
	AdapterType            string            `json:"adapter_type"`
	Quoting                quoting           `json:"quoting"`
}

type manifest struct {
	Metadata       manifestMetadata    `json:"metadata"`
	Nodes          omap[any]           `json:"nodes"`
	Sources        omap[sourceNode]    `json:"sources"`
	Macros         omap[macroNode]     `json:"macros"`
	Docs           omap[docNode]       `json:"docs"`
	Exposures      omap[exposureNode]  `json:"exposures"`
	Metrics        map[string]any      `json:"metrics"`
	Groups         map[string]any      `json:"groups"`
	Selectors      map[string]any      `json:"selectors"`
	Disabled       map[string]any      `json:"disabled"`
	ParentMap      omap[[]string]      `json:"parent_map"`
	ChildMap       omap[[]string]      `json:"child_map"`
	GroupMap       map[string]any      `json:"group_map"`
	SavedQueries   map[string]any      `json:"saved_queries"`
	SemanticModels map[string]any      `json:"semantic_models"`
	UnitTests      map[string]any      `json:"unit_tests"`
	nodeOrder      []string            `json:"-"`
	edges          map[string][]string `json:"-"` // child -> parents
}

func modelID(name string) string       { return "model." + projectName + "." + name }
func seedID(name string) string        { return "seed." + projectName + "." + name }
func sourceID(src, name string) string { return "source." + projectName + "." + src + "." + name }
func exposureID(name string) string    { return "exposure." + projectName + "." + name }
func projectID() string                { h := md5.Sum([]byte(projectName)); return hex.EncodeToString(h[:]) }
func testID(name, attachedTo string) string {
	h := md5.Sum([]byte(name + "\x00" + attachedTo))
	return "test." + projectName + "." + name + "." + hex.EncodeToString(h[:])[:10]
}

// buildManifest describes project p as dbt would after compiling it.
func buildManifest(p *project) (*manifest, error) {
	st := stamps[p.env.name]
	order, err := p.buildOrder()
	if err != nil {
		return nil, err
	}
	c := newCompiler(p)
	mf := &manifest{
		Metadata: manifestMetadata{
			DBTSchemaVersion: manifestSchema, DBTVersion: dbtVersion,
			GeneratedAt: st.generatedAt, InvocationID: st.invocationID, InvocationStartedAt: st.startedAt,
			Env: map[string]string{}, ProjectName: projectName, ProjectID: projectID(),
			AdapterType: "duckdb", Quoting: quoting{Database: true, Schema: true, Identifier: true},
		},
		Metrics: map[string]any{}, Groups: map[string]any{}, Selectors: map[string]any{}, Disabled: map[string]any{},
		GroupMap: map[string]any{}, SavedQueries: map[string]any{}, SemanticModels: map[string]any{}, UnitTests: map[string]any{},
		edges: map[string][]string{},
	}
	created := st.createdAt
	tick := func() float64 { created += 0.000125; return created }

	addNode := func(id string, n any, parents []string) {
		mf.Nodes.add(id, n)
		mf.nodeOrder = append(mf.nodeOrder, id)
		mf.edges[id] = parents
	}
	refID := func(name string) string {
		if p.byName[name] != nil {
			return modelID(name)
		}
		return seedID(name)
	}

	for _, m := range order {
		id := modelID(m.name)
		compiled, ctes := c.compiled(m)
		var refs []refArgs
		var deps []string
		for _, r := range parseRefs(m.raw) {
			refs = append(refs, refArgs{Name: r})
			deps = append(deps, refID(r))
		}
		var srcs [][2]string
		for _, s := range parseSources(m.raw) {
			srcs = append(srcs, s)
			deps = append(deps, sourceID(s[0], s[1]))
		}
		cfg := newNodeConfig(m.materialized, m.tags)
		cfg.Access = "protected"
		unrendered := obj("materialized", m.materialized)
		if m.uniqueKey != "" {
			cfg.UniqueKey = m.uniqueKey
			unrendered.add("unique_key", m.uniqueKey)
		}
		if len(m.tags) > 0 {
			unrendered.add("tags", m.tags)
		}
		var rel any
		if m.materialized != "ephemeral" {
			rel = relation(p.env.schema, m.name)
		}
		var pk []string
		if m.key != "" {
			pk = []string{m.key}
		}
		node := &modelNode{
			Database: dbCatalog, Schema: p.env.schema, Name: m.name, ResourceType: "model", PackageName: projectName,
			Path: m.path(), OriginalFilePath: "models/" + m.path(), UniqueID: id,
			FQN:   append(append([]string{projectName}, strings.Split(m.dir, "/")...), m.name),
			Alias: m.name, Checksum: fileHash{"sha256", checksum(m.raw)}, Config: cfg, Tags: nonNil(m.tags),
			Description: m.description, Columns: columnInfos(m.documentedColumns()), Meta: map[string]any{},
			Docs: docsConfig{Show: true}, PatchPath: projectName + "://models/schema.yml",
			UnrenderedConfig: unrendered, CreatedAt: tick(), RelationName: rel, RawCode: m.raw, DocBlocks: []any{},
			Language: "sql", Refs: refs, Sources: srcs, Metrics: []any{},
			DependsOn:    dependsOn{Macros: macrosUsed(m.raw), Nodes: deps},
			CompiledPath: "target/compiled/" + projectName + "/models/" + m.path(), Compiled: true,
			CompiledCode: compiled, ExtraCTEsInjected: true, ExtraCTEs: ctes,
			Contract: contract{AliasTypes: true}, Access: "protected", Constraints: []any{}, PrimaryKey: nonNil(pk),
		}
		if node.ExtraCTEs == nil {
			node.ExtraCTEs = []extraCTE{}
		}
		addNode(id, node, deps)
	}
	for _, s := range p.seeds {
		id := seedID(s.name)
		cfg := newNodeConfig("seed", nil)
		cfg.Delimiter = ","
		node := &seedNode{
			Database: dbCatalog, Schema: p.env.schema, Name: s.name, ResourceType: "seed", PackageName: projectName,
			Path: s.name + ".csv", OriginalFilePath: "seeds/" + s.name + ".csv", UniqueID: id,
			FQN: []string{projectName, s.name}, Alias: s.name, Checksum: fileHash{"sha256", checksum(seedCSV(s))},
			Config: cfg, Tags: []string{}, Description: s.description, Columns: columnInfos(s.columns),
			Meta: map[string]any{}, Docs: docsConfig{Show: true}, PatchPath: projectName + "://seeds/properties.yml",
			UnrenderedConfig: map[string]any{}, CreatedAt: tick(), RelationName: relation(p.env.schema, s.name),
			DocBlocks: []any{},
		}
		node.DependsOn.Macros = []string{}
		addNode(id, node, nil)
	}
	// Generic tests: unique and not_null on every primary key. The value
	// diff infers a model's primary key from exactly these.
	for _, m := range order {
		if m.key != "" && m.materialized != "ephemeral" {
			for _, t := range []string{"unique", "not_null"} {
				tn := genericTest(p.env, t, m.name, modelID(m.name), "models", m.key, tick())
				addNode(tn.UniqueID, tn, []string{modelID(m.name)})
			}
		}
	}
	for _, s := range p.seeds {
		for _, t := range []string{"unique", "not_null"} {
			tn := genericTest(p.env, t, s.name, seedID(s.name), "seeds", s.key, tick())
			addNode(tn.UniqueID, tn, []string{seedID(s.name)})
		}
	}

	for _, s := range p.sources {
		id := sourceID(s.sourceName, s.name)
		mf.Sources.add(id, sourceNode{
			Database: dbCatalog, Schema: rawSchema, Name: s.name, ResourceType: "source", PackageName: projectName,
			Path: "models/schema.yml", OriginalFilePath: "models/schema.yml", UniqueID: id,
			FQN: []string{projectName, s.sourceName, s.name}, SourceName: s.sourceName,
			SourceDescription: "Tables replicated from the " + s.sourceName + " application database.",
			Loader:            s.loader, Identifier: s.name, Description: s.description, Columns: columnInfos(s.columns),
			Meta: map[string]any{}, SourceMeta: map[string]any{}, Tags: []string{},
			Config: obj("enabled", true, "event_time", nil, "freshness", freshness{}, "loaded_at_field", nil,
				"loaded_at_query", nil, "meta", map[string]any{}, "tags", []string{}),
			UnrenderedConfig: map[string]any{}, RelationName: relation(rawSchema, s.name), CreatedAt: tick(), DocBlocks: []any{},
		})
		mf.edges[id] = nil
	}
	for _, m := range macros() {
		m.CreatedAt = tick()
		mf.Macros.add(m.UniqueID, m)
	}
	mf.Docs.add("doc."+projectName+".__overview__", docNode{Name: "__overview__", ResourceType: "doc", PackageName: projectName,
		Path: "overview.md", OriginalFilePath: "models/overview.md", UniqueID: "doc." + projectName + ".__overview__", BlockContents: overview})
	for _, x := range p.exposures {
		id := exposureID(x.name)
		var refs []refArgs
		var deps []string
		for _, d := range x.dependsOn {
			refs = append(refs, refArgs{Name: d})
			deps = append(deps, modelID(d))
		}
		mf.Exposures.add(id, exposureNode{
			Name: x.name, ResourceType: "exposure", PackageName: projectName, Path: "schema.yml",
			OriginalFilePath: "models/schema.yml", UniqueID: id, FQN: []string{projectName, x.name}, Type: x.typ,
			Owner: exposureOwner{Email: x.ownerEmail, Name: x.ownerName}, Description: x.description, Label: x.label,
			Maturity: x.maturity, Meta: map[string]any{}, Tags: []string{},
			Config: obj("enabled", true, "tags", []string{}, "meta", map[string]any{}), UnrenderedConfig: map[string]any{},
			URL: x.url, DependsOn: dependsOn{Macros: []string{}, Nodes: deps}, Refs: refs, Metrics: []any{}, CreatedAt: tick(),
		})
		mf.edges[id] = deps
	}
	mf.buildMaps()
	return mf, nil
}

// buildMaps fills parent_map and child_map from the recorded edges, with
// the lists sorted as dbt sorts them.
func (mf *manifest) buildMaps() {
	var ids []string
	ids = append(ids, mf.nodeOrder...)
	for _, s := range mf.Sources {
		ids = append(ids, s.key)
	}
	for _, x := range mf.Exposures {
		ids = append(ids, x.key)
	}
	children := make(map[string][]string, len(ids))
	for _, id := range ids {
		for _, parent := range mf.edges[id] {
			children[parent] = append(children[parent], id)
		}
	}
	for _, id := range ids {
		ps := slices.Clone(mf.edges[id])
		slices.Sort(ps)
		ps = slices.Compact(ps)
		mf.ParentMap.add(id, nonNil(ps))
		cs := children[id]
		slices.Sort(cs)
		mf.ChildMap.add(id, nonNil(slices.Compact(cs)))
	}
}

func genericTest(e env, kind, attachedName, attachedID, fileKind, col string, created float64) *testNode {
	name := kind + "_" + attachedName + "_" + col
	var compiled string
	rel := relation(e.schema, attachedName)
	switch kind {
	case "unique":
		compiled = "\n    \n    \n\nselect\n    " + col + " as unique_field,\n    count(*) as n_records\n\nfrom " + rel +
			"\nwhere " + col + " is not null\ngroup by " + col + "\nhaving count(*) > 1\n\n\n"
	default:
		compiled = "\n    \n    \n\n\n\nselect " + col + "\nfrom " + rel + "\nwhere " + col + " is null\n\n\n"
	}
	ymlPath := "models/schema.yml"
	if fileKind == "seeds" {
		ymlPath = "seeds/properties.yml"
	}
	return &testNode{
		Database: dbCatalog, Schema: e.schema + "_dbt_test__audit", Name: name, ResourceType: "test", PackageName: projectName,
		Path: name + ".sql", OriginalFilePath: ymlPath, UniqueID: testID(name, attachedID),
		FQN: []string{projectName, name}, Alias: name, Checksum: fileHash{"none", ""},
		Config: testConfig{Enabled: true, Schema: "dbt_test__audit", Tags: []string{}, Meta: map[string]any{},
			Materialized: "test", Severity: "ERROR", FailCalc: "count(*)", WarnIf: "!= 0", ErrorIf: "!= 0"},
		Tags: []string{}, Columns: map[string]any{}, Meta: map[string]any{}, Docs: docsConfig{Show: true},
		UnrenderedConfig: map[string]any{}, CreatedAt: created,
		RawCode: "{{ test_" + kind + "(**_dbt_generic_test_kwargs) }}", DocBlocks: []any{}, Language: "sql",
		Refs: []refArgs{{Name: attachedName}}, Sources: [][2]string{}, Metrics: []any{},
		DependsOn:    dependsOn{Macros: []string{"macro.dbt.test_" + kind, "macro.dbt.get_where_subquery"}, Nodes: []string{attachedID}},
		CompiledPath: "target/compiled/" + projectName + "/" + ymlPath + "/" + name + ".sql", Compiled: true,
		CompiledCode: compiled, ExtraCTEsInjected: true, ExtraCTEs: []extraCTE{}, Contract: contract{AliasTypes: true},
		ColumnName: col, FileKeyName: fileKind + "." + attachedName, AttachedNode: attachedID,
		TestMetadata: testMetadata{Name: kind, Kwargs: obj("column_name", col, "model", "{{ get_where_subquery(ref('"+attachedName+"')) }}")},
	}
}

func macroID(pkg, name string) string { return fmt.Sprintf("macro.%s.%s", pkg, name) }
