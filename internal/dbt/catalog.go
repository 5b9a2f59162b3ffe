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
	// ColumnsJSON is the columns object, undecoded: two environments'
	// tables are compared byte for byte first, and most are equal.
	ColumnsJSON jsontext.Value `json:"columns"`
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

// ParseCatalog decodes a catalog.json in one streaming pass. Errors are
// *FormatError values.
func ParseCatalog(data []byte) (*Catalog, error) {
	c := &Catalog{Nodes: map[string]*CatalogTable{}}
	sawMetadata := false
	err := decodeTopLevel(data, func(dec *jsontext.Decoder, key string) error {
		switch key {
		case "metadata":
			if err := json.UnmarshalDecode(dec, &c.Metadata); err != nil {
				return err
			}
			sawMetadata = true
			return checkCatalogVersion(c.Metadata)
		case "nodes", "sources":
			var tables map[string]*CatalogTable
			if err := json.UnmarshalDecode(dec, &tables); err != nil {
				return err
			}
			for id, t := range tables {
				if t != nil {
					t.UniqueID = id
					c.Nodes[id] = t
				}
			}
			return nil
		}
		return dec.SkipValue()
	})
	if err != nil {
		return nil, err
	}
	if !sawMetadata {
		return nil, &FormatError{Problem: "not a dbt catalog: it has no metadata block", Hint: "catalog.json is written by dbt docs generate"}
	}
	return c, nil
}

func checkCatalogVersion(md Metadata) error {
	m := schemaVersionRE.FindStringSubmatch(md.SchemaURL)
	if m == nil || m[1] != "catalog" {
		return &FormatError{Problem: fmt.Sprintf("not a dbt catalog (dbt_schema_version %q)", md.SchemaURL),
			Hint: "catalog.json is written by dbt docs generate"}
	}
	if m[2] != "1" {
		return &FormatError{Problem: fmt.Sprintf("catalog schema v%s is not supported (this version of recce reads v1)", m[2])}
	}
	return nil
}

// Columns decodes the table's columns, ordered by their index.
func (t *CatalogTable) Columns() []CatalogColumn {
	if t.ColumnsJSON.Kind() != '{' {
		return nil
	}
	var cols []CatalogColumn
	dec := jsontext.NewDecoder(bytes.NewReader(t.ColumnsJSON), decodeOptions)
	if _, err := dec.ReadToken(); err != nil {
		return nil
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return cols
		}
		// A token is void after the next read: keep its text now.
		name := tok.String()
		var col CatalogColumn
		if err := json.UnmarshalDecode(dec, &col); err != nil {
			return cols
		}
		if col.Name == "" {
			col.Name = name
		}
		cols = append(cols, col)
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].Index < cols[j].Index })
	return cols
}
