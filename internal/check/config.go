package check

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is recce.yml: the preset checks that `recce run` runs. Other
// top-level keys of the reference's file (github, summary...) are
// ignored.
type Config struct {
	// Path is the file read, "" for the default configuration.
	Path   string
	Checks []*Check
	// Warnings are problems that do not stop the run (an unknown key in a
	// check, probably a typo), one line each.
	Warnings []string
}

// DefaultChecks are the checks run when there is no recce.yml: the row
// counts of the modified table models and the schema diff of the modified
// nodes.
func DefaultChecks() []*Check {
	return presets([]*Check{
		{Name: "Row count diff", Description: "Row counts of the modified table models.", Type: RowCountDiff,
			Params: Params{"select": "state:modified,config.materialized:table"}},
		{Name: "Schema diff", Description: "Columns added, removed or retyped in the modified nodes.", Type: SchemaDiff,
			Params: Params{"select": "state:modified"}},
	})
}

// presets completes preset checks: stable ids, dates left zero for the
// caller (the run) to set, empty maps rather than nulls.
func presets(cs []*Check) []*Check {
	for i, c := range cs {
		c.IsPreset = true
		c.CheckID = presetID(i, c)
		if c.Params == nil {
			c.Params = Params{}
		}
	}
	return cs
}

// presetID derives a preset check's id from its place and definition, so
// that the same recce.yml gives the same ids on every pipeline: a server
// can then carry a reviewer's approval from one run to the next. It has
// the form of a UUID (version 8, "custom"), as the reference expects.
func presetID(index int, c *Check) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("recce preset\x00%d\x00%s\x00%s", index, c.Type, c.Name)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// LoadConfig reads recce.yml. A missing file is not an error: it gives the
// default checks (Config.Path is then ""). Every invalid check is
// reported, each with its line, index (from 1) and name, and the field at
// fault.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Checks: DefaultChecks()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checks configuration: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Path = path
	return cfg, nil
}

// ConfigError lists the problems of a recce.yml.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

var checkKeys = map[string]bool{"name": true, "description": true, "type": true, "params": true, "view_options": true}

// ParseConfig parses the content of a recce.yml. An empty file, or one
// without checks, has no checks (it is not the default configuration: an
// empty list is a choice).
func ParseConfig(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	cfg := &Config{Checks: []*Check{}}
	if len(root.Content) == 0 {
		return cfg, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file must be a mapping with a checks: list", doc.Line)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "checks" {
			list = doc.Content[i+1]
		}
	}
	if list == nil || list.Tag == "!!null" {
		return cfg, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: checks must be a list of checks (each with name, type and params)", list.Line)
	}
	var problems []string
	for i, item := range list.Content {
		c, warnings, errs := parseCheck(item)
		where := fmt.Sprintf("line %d: check %d", item.Line, i+1)
		if c != nil && c.Name != "" {
			where += fmt.Sprintf(" (%q)", c.Name)
		}
		for _, e := range errs {
			problems = append(problems, where+": "+e)
		}
		for _, w := range warnings {
			cfg.Warnings = append(cfg.Warnings, where+": "+w)
		}
		if len(errs) == 0 {
			cfg.Checks = append(cfg.Checks, c)
		}
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	presets(cfg.Checks)
	return cfg, nil
}

// parseCheck reads one item of checks:.
func parseCheck(item *yaml.Node) (c *Check, warnings, errs []string) {
	if item.Kind != yaml.MappingNode {
		return nil, nil, []string{"must be a mapping with name, type and params"}
	}
	var m map[string]any
	if err := item.Decode(&m); err != nil {
		return nil, nil, []string{err.Error()}
	}
	c = &Check{Params: Params{}}
	for _, k := range sortedKeys(m) {
		if !checkKeys[k] {
			warnings = append(warnings, fmt.Sprintf("unknown key %q ignored (a check has name, description, type, params and view_options)", k))
		}
	}
	str := func(key string, required bool) string {
		v, ok := m[key]
		if !ok || v == nil {
			if required {
				errs = append(errs, key+" is required")
			}
			return ""
		}
		s, ok := v.(string)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s must be a string, not %s", key, kindOf(v)))
		}
		return s
	}
	mapping := func(key string) Params {
		v, ok := m[key]
		if !ok || v == nil {
			return nil
		}
		p, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s must be a mapping (field: value), not %s", key, kindOf(v)))
			return nil
		}
		return Params(p)
	}
	c.Name = strings.TrimSpace(str("name", true))
	c.Description = str("description", false)
	c.Type = Type(str("type", true))
	before := len(errs)
	if p := mapping("params"); p != nil {
		c.Params = p
	}
	paramsBad := len(errs) > before // params is not a mapping: its fields cannot be checked
	c.ViewOptions = mapping("view_options")
	if _, ok := m["name"]; ok && c.Name == "" && len(errs) == 0 {
		errs = append(errs, "name must not be empty")
	}
	if v, ok := m["type"].(string); ok && strings.TrimSpace(v) == "" {
		// type: "" (found by FuzzParseConfig: it was accepted, a check of
		// no type).
		errs = append(errs, fmt.Sprintf("type must not be empty (one of: %s)", typeList()))
		return c, warnings, errs
	}
	if c.Type != "" && !c.Type.Valid() {
		errs = append(errs, fmt.Sprintf("type %q is not a check type (one of: %s)", c.Type, typeList()))
		return c, warnings, errs
	}
	if c.Type != "" && !paramsBad {
		if _, err := ParseParams(c.Type, c.Params); err != nil {
			var pe ParamErrors
			if errors.As(err, &pe) {
				for _, e := range pe {
					errs = append(errs, e.Error())
				}
			} else {
				errs = append(errs, err.Error())
			}
		}
	}
	return c, warnings, errs
}
