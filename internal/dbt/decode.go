package dbt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Supported manifest schema versions: dbt 1.0 (v4) to 1.11 (v12).
const (
	MinManifestVersion = 4
	MaxManifestVersion = 12
)

// decodeOptions tolerate what real artifacts contain: dbt has written
// duplicate keys and stray bytes in user-written descriptions.
var decodeOptions = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

var schemaVersionRE = regexp.MustCompile(`/(manifest|catalog)/v(\d+)\.json$`)

// ParseManifest decodes a manifest.json. Errors are *FormatError values.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{Nodes: map[string]*Node{}, Macros: map[string]*Macro{}}
	sawMetadata := false
	err := decodeTopLevel(data, func(dec *jsontext.Decoder, key string) error {
		switch key {
		case "metadata":
			if err := json.UnmarshalDecode(dec, &m.Metadata); err != nil {
				return err
			}
			v, err := manifestVersion(m.Metadata)
			m.SchemaVersion, sawMetadata = v, true
			return err
		case "nodes", "sources":
			return decodeNodes(dec, m.Nodes, false)
		case "exposures", "metrics", "semantic_models", "saved_queries":
			return decodeNodes(dec, m.Nodes, true)
		case "macros":
			return json.UnmarshalDecode(dec, &m.Macros)
		}
		return dec.SkipValue()
	})
	if err != nil {
		return nil, err
	}
	if !sawMetadata {
		return nil, &FormatError{Problem: "not a dbt manifest: it has no metadata block"}
	}
	for id, n := range m.Nodes {
		if n == nil || id == "" && n.UniqueID == "" { // nothing to name it by
			delete(m.Nodes, id)
			continue
		}
		if n.UniqueID == "" {
			n.UniqueID = id
		}
	}
	return m, nil
}

// decodeTopLevel streams an artifact's top-level object, handing each key's
// value to f, which must consume it. Streaming lets the metadata, which
// dbt writes first, be checked before the rest is decoded.
func decodeTopLevel(data []byte, f func(dec *jsontext.Decoder, key string) error) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data), decodeOptions)
	if err := expectObject(dec); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		key, err := readKey(dec)
		if err != nil {
			return err
		}
		if err := f(dec, key); err != nil {
			return syntaxError(err)
		}
	}
	_, err := dec.ReadToken()
	return syntaxError(err)
}

func manifestVersion(md Metadata) (int, error) {
	match := schemaVersionRE.FindStringSubmatch(md.SchemaURL)
	if match == nil || match[1] != "manifest" {
		return 0, &FormatError{Problem: fmt.Sprintf("not a dbt manifest (dbt_schema_version %q)", md.SchemaURL)}
	}
	v, _ := strconv.Atoi(match[2])
	if v < MinManifestVersion || v > MaxManifestVersion {
		// dbt Fusion (dbt_version 2.x) writes the v12 schema, which is
		// read; its earlier previews wrote v20, which is not.
		return 0, &FormatError{
			Problem: fmt.Sprintf("manifest schema v%d (dbt %s) is not supported: this version of recce reads v%d to v%d (dbt 1.0 to 1.11, and dbt Fusion's v12)", v, md.DBTVersion, MinManifestVersion, MaxManifestVersion),
			Hint:    "regenerate the artifacts with a supported dbt version, or upgrade recce",
		}
	}
	return v, nil
}

// decodeNodes decodes one of the manifest's node maps into dst. Nodes
// without a SQL body get a fingerprint of their definition.
func decodeNodes(dec *jsontext.Decoder, dst map[string]*Node, fingerprint bool) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return syntaxError(err)
	}
	if err := expectObject(dec); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		id, err := readKey(dec)
		if err != nil {
			return err
		}
		if dec.PeekKind() == 'n' { // a null node is no node
			if _, err := dec.ReadToken(); err != nil {
				return syntaxError(err)
			}
			continue
		}
		n := new(Node)
		if fingerprint {
			raw, err := dec.ReadValue()
			if err != nil {
				return syntaxError(err)
			}
			if err := json.Unmarshal(raw, n, decodeOptions); err != nil {
				return syntaxError(err)
			}
			n.Definition = definitionHash(raw)
		} else if err := json.UnmarshalDecode(dec, n); err != nil {
			return syntaxError(err)
		}
		if n.RawCode == nil {
			n.RawCode = n.RawSQL
		}
		if n.CompiledCode == nil {
			n.CompiledCode = n.CompiledSQL
		}
		n.RawSQL, n.CompiledSQL = nil, nil
		dst[id] = n
	}
	_, err := dec.ReadToken()
	return syntaxError(err)
}

// definitionIgnored are keys that do not define what an exposure, metric or
// semantic model is: bookkeeping, documentation, and what differs between
// environments by construction (node_relation names the environment's schema).
var definitionIgnored = map[string]bool{
	"created_at": true, "unrendered_config": true, "meta": true, "description": true,
	"label": true, "docs": true, "path": true, "original_file_path": true, "fqn": true,
	"node_relation": true, "patch_path": true, "doc_blocks": true, "tags": true,
	"unique_id": true, "package_name": true, "name": true, "resource_type": true,
	"refs": true, "sources": true, "metrics": true,
}

// definitionHash hashes a node's defining fields, in canonical form, with
// false values and meta and docs blocks also dropped at every level: fields
// a newer dbt version adds with empty defaults must not read as changes.
func definitionHash(raw jsontext.Value) string {
	var v map[string]any
	if err := json.Unmarshal(raw, &v, decodeOptions); err != nil {
		return ""
	}
	for k := range v {
		if definitionIgnored[k] {
			delete(v, k)
		}
	}
	b, err := json.Marshal(prune(v, true), json.Deterministic(true))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Canonical renders a JSON value with sorted keys and without empty members
// (null, "", [], {}), so that two artifacts that say the same thing compare
// equal whatever dbt version wrote them. It is "" for an empty value.
func Canonical(v jsontext.Value) string {
	var x any
	if err := json.Unmarshal(v, &x, decodeOptions); err != nil {
		return string(v)
	}
	x = prune(x, false)
	if x == nil {
		return ""
	}
	b, err := json.Marshal(x, json.Deterministic(true))
	if err != nil {
		return string(v)
	}
	return string(b)
}

// prune removes empty members recursively and returns nil when v itself is
// empty. strict also drops false values and meta and docs blocks.
func prune(v any, strict bool) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		if strict && !x {
			return nil
		}
	case string:
		if x == "" {
			return nil
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i := range x {
			x[i] = prune(x[i], strict)
		}
	case map[string]any:
		for k, e := range x {
			if strict && (k == "meta" || k == "docs") {
				delete(x, k)
				continue
			}
			if p := prune(e, strict); p == nil {
				delete(x, k)
			} else {
				x[k] = p
			}
		}
		if len(x) == 0 {
			return nil
		}
	}
	return v
}

// UnmarshalJSONFrom decodes a config: the whole object kept in Raw, and the
// typed fields read from it. Types vary across dbt versions (tags and
// unique_key may be a string or a list), so each is read leniently.
func (c *Config) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if raw.Kind() != '{' {
		return nil
	}
	c.Raw = raw.Clone()
	var f struct {
		Enabled      jsontext.Value `json:"enabled"`
		Materialized jsontext.Value `json:"materialized"`
		Schema       jsontext.Value `json:"schema"`
		Database     jsontext.Value `json:"database"`
		Alias        jsontext.Value `json:"alias"`
		Tags         jsontext.Value `json:"tags"`
		UniqueKey    jsontext.Value `json:"unique_key"`
		PersistDocs  jsontext.Value `json:"persist_docs"`
	}
	if err := json.Unmarshal(c.Raw, &f, decodeOptions); err != nil {
		return err
	}
	c.Materialized = jsonString(f.Materialized)
	c.Schema = jsonString(f.Schema)
	c.Database = jsonString(f.Database)
	c.Alias = jsonString(f.Alias)
	c.Tags = stringOrList(f.Tags)
	c.UniqueKey = stringOrList(f.UniqueKey)
	if f.PersistDocs.Kind() == '{' && len(f.PersistDocs) > 2 {
		_ = json.Unmarshal(f.PersistDocs, &c.PersistDocs, decodeOptions) // a wrong type reads as off
	}
	if k := f.Enabled.Kind(); k == 't' || k == 'f' {
		b := k == 't'
		c.Enabled = &b
	}
	return nil
}

func stringOrList(v jsontext.Value) []string {
	switch v.Kind() {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			return []string{s}
		}
	case '[':
		var l []string
		if json.Unmarshal(v, &l) == nil {
			return l
		}
	}
	return nil
}

// UnmarshalJSONFrom decodes the columns object keeping the YAML's order.
func (cs *Columns) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*cs = nil
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		key, err := readKey(dec) // the token's text, which the next read voids
		if err != nil {
			return err
		}
		var c Column
		if err := json.UnmarshalDecode(dec, &c); err != nil {
			return err
		}
		if c.Name == "" {
			c.Name = key
		}
		*cs = append(*cs, c)
	}
	_, err := dec.ReadToken()
	return err
}

func expectObject(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return syntaxError(err)
	}
	if tok.Kind() != '{' {
		return &FormatError{Problem: fmt.Sprintf("expected a JSON object at byte offset %d", dec.InputOffset()-1)}
	}
	return nil
}

func readKey(dec *jsontext.Decoder) (string, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return "", syntaxError(err)
	}
	return tok.String(), nil
}

// FormatError is an artifact that cannot be read. Path is filled in by the
// loader.
type FormatError struct {
	Path       string
	Problem    string
	Hint       string
	ByteOffset int64 // -1 when unknown
}

func (e *FormatError) Error() string {
	s := e.Problem
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// syntaxError turns a JSON error into a FormatError that gives the byte
// offset.
func syntaxError(err error) error {
	if err == nil {
		return nil
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		return fe
	}
	off := int64(-1)
	var se *jsontext.SyntacticError
	var me *json.SemanticError
	var cause error = err
	switch {
	case errors.As(err, &se):
		off, cause = se.ByteOffset, se.Err
	case errors.As(err, &me):
		off = me.ByteOffset
		if me.Err != nil {
			cause = me.Err
		}
	}
	msg := strings.TrimPrefix(cause.Error(), "jsontext: ")
	if errors.Is(err, errIOEOF) || strings.Contains(msg, "unexpected EOF") {
		msg = "the file ends too early (truncated?)"
	}
	p := "invalid JSON"
	if off >= 0 {
		p = fmt.Sprintf("invalid JSON at byte offset %d: %s", off, msg)
	} else {
		p += ": " + msg
	}
	return &FormatError{Problem: p, ByteOffset: off}
}
