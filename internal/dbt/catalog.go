package dbt

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Catalog is a catalog.json (schema v1): the columns and types of the
// relations that dbt built, as the warehouse reports them. Nodes and sources
// are merged into Nodes.
type Catalog struct {
	Metadata Metadata
	Nodes    map[string]*CatalogTable
}

// CatalogTable is one relation of the catalog.
type CatalogTable struct {
	UniqueID string        `json:"unique_id"`
	Metadata TableMetadata `json:"metadata"`
	// Columns in the relation's order.
	Columns []CatalogColumn `json:"-"`
}

// TableMetadata locates the relation.
type TableMetadata struct {
	Type     string `json:"type"`
	Database string `json:"database"`
	Schema   string `json:"schema"`
	Name     string `json:"name"`
}

// CatalogColumn is a column of a built relation.
type CatalogColumn struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Index int    `json:"index"`
}

type catalogFile struct {
	Metadata Metadata                   `json:"metadata"`
	Nodes    map[string]*catalogTableIn `json:"nodes"`
	Sources  map[string]*catalogTableIn `json:"sources"`
}

type catalogTableIn struct {
	UniqueID string                   `json:"unique_id"`
	Metadata TableMetadata            `json:"metadata"`
	Columns  map[string]CatalogColumn `json:"columns"`
}

// ParseCatalog decodes a catalog.json. Errors are *FormatError values.
func ParseCatalog(data []byte) (*Catalog, error) {
	var md struct {
		Metadata Metadata `json:"metadata"`
	}
	// Read the metadata first so that an unsupported file is named as such
	// rather than failing on a field of unexpected shape.
	dec := jsontext.NewDecoder(bytes.NewReader(data), decodeOptions)
	if err := json.UnmarshalDecode(dec, &md); err != nil {
		return nil, syntaxError(err)
	}
	m := schemaVersionRE.FindStringSubmatch(md.Metadata.SchemaURL)
	if m == nil || m[1] != "catalog" {
		return nil, &FormatError{Problem: fmt.Sprintf("not a dbt catalog (dbt_schema_version %q)", md.Metadata.SchemaURL),
			Hint: "catalog.json is written by dbt docs generate"}
	}
	if m[2] != "1" {
		return nil, &FormatError{Problem: fmt.Sprintf("catalog schema v%s is not supported (this version of recce reads v1)", m[2])}
	}
	var f catalogFile
	if err := json.Unmarshal(data, &f, decodeOptions); err != nil {
		return nil, syntaxError(err)
	}
	c := &Catalog{Metadata: f.Metadata, Nodes: make(map[string]*CatalogTable, len(f.Nodes)+len(f.Sources))}
	for _, src := range []map[string]*catalogTableIn{f.Nodes, f.Sources} {
		for id, t := range src {
			if t == nil {
				continue
			}
			ct := &CatalogTable{UniqueID: id, Metadata: t.Metadata}
			for name, col := range t.Columns {
				if col.Name == "" {
					col.Name = name
				}
				ct.Columns = append(ct.Columns, col)
			}
			sort.SliceStable(ct.Columns, func(i, j int) bool {
				a, b := ct.Columns[i], ct.Columns[j]
				if a.Index != b.Index {
					return a.Index < b.Index
				}
				return a.Name < b.Name
			})
			c.Nodes[id] = ct
		}
	}
	return c, nil
}
