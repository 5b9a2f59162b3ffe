// Package dbt reads dbt's artifacts (manifest.json schema v4 to v12, from
// dbt Core 1.0 to 1.11 and dbt Fusion 2.x; catalog.json v1), selects nodes
// with dbt's selector syntax, and reads dbt's profiles.yml.
//
// Only the fields the product needs are decoded; unknown and missing fields
// are tolerated, since every dbt release adds some.
package dbt

import (
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Resource types of the nodes the product reasons about.
const (
	Model         = "model"
	Seed          = "seed"
	Snapshot      = "snapshot"
	Source        = "source"
	Exposure      = "exposure"
	Metric        = "metric"
	SemanticModel = "semantic_model"
	SavedQuery    = "saved_query"
	Test          = "test"
	Analysis      = "analysis"
	Operation     = "operation"
	UnitTest      = "unit_test"
	Function      = "function"
)

// Manifest is the part of a dbt manifest.json the product needs. Nodes,
// sources, exposures, metrics, semantic models and saved queries all live in
// Nodes, keyed by unique_id, so that the graph is one map.
type Manifest struct {
	Metadata Metadata
	// SchemaVersion is the manifest schema version number (4 to 12).
	SchemaVersion int
	Nodes         map[string]*Node
	Macros        map[string]*Macro
}

// Metadata is the artifact's metadata block.
type Metadata struct {
	SchemaURL    string `json:"dbt_schema_version"`
	DBTVersion   string `json:"dbt_version"`
	GeneratedAt  string `json:"generated_at"`
	ProjectName  string `json:"project_name"`
	AdapterType  string `json:"adapter_type"`
	InvocationID string `json:"invocation_id"`
}

// Node is any node of the graph. Fields that a resource type lacks are zero.
type Node struct {
	UniqueID         string   `json:"unique_id"`
	Name             string   `json:"name"`
	ResourceType     string   `json:"resource_type"`
	PackageName      string   `json:"package_name"`
	Path             string   `json:"path"`
	OriginalFilePath string   `json:"original_file_path"`
	FQN              []string `json:"fqn"`
	Description      string   `json:"description"`
	Tags             []string `json:"tags"`

	Database     string `json:"database"`
	Schema       string `json:"schema"`
	Alias        string `json:"alias"`
	Identifier   string `json:"identifier"` // sources
	RelationName string `json:"relation_name"`

	Checksum Checksum `json:"checksum"`
	Config   Config   `json:"config"`
	// ColumnsJSON is the documented columns, undecoded (see Columns).
	ColumnsJSON jsontext.Value `json:"columns"`

	// The code is kept as undecoded JSON strings: unescaping every model's
	// SQL is a fifth of the time to read a large manifest, and the code is
	// only needed for the few nodes whose checksum changed. Read it with
	// Code and Compiled. raw_sql and compiled_sql are the names before v7.
	RawCode      jsontext.Value `json:"raw_code"`
	RawSQL       jsontext.Value `json:"raw_sql"`
	CompiledCode jsontext.Value `json:"compiled_code"`
	CompiledSQL  jsontext.Value `json:"compiled_sql"`
	Language     string         `json:"language"`

	DependsOn  DependsOn      `json:"depends_on"`
	Contract   Contract       `json:"contract"`
	PrimaryKey []string       `json:"primary_key"` // dbt 1.9+
	Version    jsontext.Value `json:"version"`

	SourceName string `json:"source_name"` // sources

	// Sources: what dbt's state:modified compares besides the relation.
	// Kept undecoded (null, or absent in older versions, is no value).
	Freshness     jsontext.Value `json:"freshness"`
	LoadedAtField jsontext.Value `json:"loaded_at_field"`
	LoadedAtQuery jsontext.Value `json:"loaded_at_query"`
	Quoting       jsontext.Value `json:"quoting"`
	External      jsontext.Value `json:"external"`

	// Tests: what they test, so that keys can be inferred from unique and
	// not_null tests.
	TestMetadata *TestMetadata `json:"test_metadata"`
	ColumnName   string        `json:"column_name"`
	AttachedNode string        `json:"attached_node"`

	// Definition fingerprints what defines a node that has no SQL body
	// (exposures, metrics, semantic models, saved queries), so that a change
	// of definition can be told from no change. Empty for other nodes.
	Definition string `json:"-"`
}

// Checksum is dbt's hash of a node's file.
type Checksum struct {
	Name     string `json:"name"`
	Checksum string `json:"checksum"`
}

// DependsOn lists a node's parents and the macros it calls.
type DependsOn struct {
	Nodes  []string `json:"nodes"`
	Macros []string `json:"macros"`
}

// Contract is a model's contract (dbt 1.5+).
type Contract struct {
	Enforced bool   `json:"enforced"`
	Checksum string `json:"checksum"`
}

// TestMetadata names a generic test (unique, not_null...) and its arguments.
type TestMetadata struct {
	Name      string                    `json:"name"`
	Namespace string                    `json:"namespace"`
	Kwargs    map[string]jsontext.Value `json:"kwargs"`
}

// Config is a node's config. The typed fields are the ones the product reads;
// Raw keeps the whole object, to compare configs between environments.
type Config struct {
	Enabled      *bool
	Materialized string
	Schema       string
	Database     string
	Alias        string
	Tags         []string
	UniqueKey    []string
	// PersistDocs is persist_docs: whether dbt writes the descriptions
	// into the warehouse's comments.
	PersistDocs PersistDocs
	Raw         jsontext.Value
}

// PersistDocs says which descriptions dbt persists as comments.
type PersistDocs struct {
	Relation bool `json:"relation"`
	Columns  bool `json:"columns"`
}

// Map decodes every key of the config.
func (c *Config) Map() map[string]jsontext.Value {
	var m map[string]jsontext.Value
	if len(c.Raw) > 0 {
		_ = json.Unmarshal(c.Raw, &m, decodeOptions)
	}
	return m
}

// Columns decodes the node's documented columns, in the YAML's order. They
// are kept undecoded until asked for: a large project has hundreds of
// thousands of column descriptions that a diff never reads.
func (n *Node) Columns() Columns {
	var cs Columns
	if len(n.ColumnsJSON) > 0 {
		_ = json.Unmarshal(n.ColumnsJSON, &cs, decodeOptions)
	}
	return cs
}

// Macro is a macro of the project or of a package.
type Macro struct {
	UniqueID    string    `json:"unique_id"`
	Name        string    `json:"name"`
	PackageName string    `json:"package_name"`
	MacroSQL    string    `json:"macro_sql"`
	DependsOn   DependsOn `json:"depends_on"`
}

// Column is a column documented in a node's YAML.
type Column struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	DataType    string           `json:"data_type"`
	Constraints []jsontext.Value `json:"constraints"`
	Tags        []string         `json:"tags"`
}

// Columns keeps the documented columns in the order of the YAML.
type Columns []Column

// Code is the node's SQL (or Python) as written.
func (n *Node) Code() string { return jsonString(n.RawCode) }

// Compiled is the node's compiled SQL, empty when the artifacts were written
// without compiling (dbt parse).
func (n *Node) Compiled() string { return jsonString(n.CompiledCode) }

// jsonString decodes a JSON string; anything else (null, absent) is "".
func jsonString(v jsontext.Value) string {
	var s string
	if v.Kind() == '"' {
		_ = json.Unmarshal(v, &s)
	}
	return s
}

// Materialized is the node's materialization; sources and seeds have none in
// config for some dbt versions, so they get their natural one.
func (n *Node) Materialized() string {
	switch {
	case n.Config.Materialized != "":
		return n.Config.Materialized
	case n.ResourceType == Seed:
		return "seed"
	case n.ResourceType == Snapshot:
		return "snapshot"
	}
	return ""
}

// HasRelation reports whether the node is a relation of the warehouse
// that dbt builds or reads: a seed, a snapshot, a source, or a model that
// is not ephemeral.
func (n *Node) HasRelation() bool {
	switch n.ResourceType {
	case Seed, Snapshot, Source:
		return true
	case Model:
		return n.Materialized() != "ephemeral"
	}
	return false
}

// RelationAlias is the name of the node's relation in the warehouse.
func (n *Node) RelationAlias() string {
	switch {
	case n.ResourceType == Source && n.Identifier != "":
		return n.Identifier
	case n.Alias != "":
		return n.Alias
	}
	return n.Name
}

// InGraph reports whether the node is one the lineage shows: models, seeds,
// snapshots, sources, exposures, metrics and semantic models.
func (n *Node) InGraph() bool { return InGraph(n.ResourceType) }

// InGraph reports whether a resource type is one the lineage shows.
func InGraph(resourceType string) bool {
	switch resourceType {
	case Model, Seed, Snapshot, Source, Exposure, Metric, SemanticModel:
		return true
	}
	return false
}

// Lookup finds a node by unique_id, or by name among models, seeds,
// snapshots and sources ("customers", "package.customers" or
// "source_name.table"). It returns nil when nothing or more than one node
// matches a name.
func (m *Manifest) Lookup(name string) *Node {
	if n, ok := m.Nodes[name]; ok {
		return n
	}
	var found *Node
	for _, n := range m.Nodes {
		if !matchesName(n, name) {
			continue
		}
		if found != nil {
			return nil
		}
		found = n
	}
	return found
}

func matchesName(n *Node, name string) bool {
	switch n.ResourceType {
	case Model, Seed, Snapshot:
		return n.Name == name || n.PackageName+"."+n.Name == name
	case Source:
		return n.SourceName+"."+n.Name == name
	}
	return false
}

// Children maps each node to the nodes that depend on it.
func (m *Manifest) Children() map[string][]string {
	c := make(map[string][]string, len(m.Nodes))
	for id, n := range m.Nodes {
		for _, p := range n.DependsOn.Nodes {
			c[p] = append(c[p], id)
		}
	}
	return c
}

// TestedColumns returns, per node, the columns that carry a generic test of
// the given name (for example "unique" or "not_null").
func (m *Manifest) TestedColumns(testName string) map[string][]string {
	out := map[string][]string{}
	for _, n := range m.Nodes {
		if n.ResourceType != Test || n.TestMetadata == nil || n.TestMetadata.Name != testName {
			continue
		}
		col := n.ColumnName
		if col == "" {
			if v, ok := n.TestMetadata.Kwargs["column_name"]; ok {
				col = strings.Trim(string(v), `"`)
			}
		}
		target := n.AttachedNode
		if target == "" && len(n.DependsOn.Nodes) == 1 {
			target = n.DependsOn.Nodes[0]
		}
		if col == "" || target == "" {
			continue
		}
		out[target] = append(out[target], col)
	}
	return out
}
