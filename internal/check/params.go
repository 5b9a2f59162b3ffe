package check

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Each check type reads its typed parameters (its Kind's ParseParams) with
// a paramReader. Field names are the reference's param names
// (recce/tasks/*.py: RowCountDiffParams, ValueDiffParams, TopKDiffParams,
// HistogramDiffParams, QueryParams...). Unknown params are ignored, as the
// reference ignores them, so that recce.yml files written for it keep
// working.

// ParamError is a parameter that is missing or has the wrong type.
type ParamError struct {
	Field   string
	Problem string
}

func (e *ParamError) Error() string { return "params." + e.Field + ": " + e.Problem }

// ParamErrors are all the problems of one check's params.
type ParamErrors []*ParamError

func (e ParamErrors) Error() string {
	parts := make([]string, len(e))
	for i, x := range e {
		parts[i] = x.Error()
	}
	return strings.Join(parts, "; ")
}

// ParseParams validates params for a check type and returns the typed
// parameters: NodeSelection, diff.ValueParams, diff.ValueDetailParams,
// diff.ProfileParams, diff.QueryParams, diff.QueryDiffParams,
// diff.TopKParams, diff.HistogramParams (each type's own, see its Kind),
// or nil for a simple check. The error, a ParamErrors, lists every
// problem found.
func ParseParams(t Type, p Params) (any, error) {
	k, ok := Lookup(t)
	if !ok {
		return nil, ParamErrors{{Field: "", Problem: fmt.Sprintf("unknown check type %q (known: %s)", t, typeList())}}
	}
	return k.ParseParams(p)
}

func typeList() string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// paramReader reads typed fields from params and collects the problems.
type paramReader struct {
	p    Params
	errs ParamErrors
}

func (r *paramReader) fail(field, problem string) {
	r.errs = append(r.errs, &ParamError{Field: field, Problem: problem})
}

// str reads a string; numbers are not strings (a model named 42 must be
// quoted in YAML, and saying so beats a confusing "model not found").
func (r *paramReader) str(field string, required bool) string {
	v, ok := r.p[field]
	if !ok || v == nil {
		if required {
			r.fail(field, "is required")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail(field, fmt.Sprintf("must be a string, not %s", kindOf(v)))
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		r.fail(field, "must not be empty")
	}
	return s
}

// strList reads a list of strings; a single string is a list of one, as
// the reference accepts for primary_key.
func (r *paramReader) strList(field string) []string {
	v, ok := r.p[field]
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				r.fail(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("must be a string, not %s", kindOf(e)))
				continue
			}
			out = append(out, s)
		}
		return out
	}
	r.fail(field, fmt.Sprintf("must be a string or a list of strings, not %s", kindOf(v)))
	return nil
}

// positiveInt reads a whole number from 1 to limit; absent is 0 (the
// type's default).
func (r *paramReader) positiveInt(field string, limit int) int {
	v, ok := r.p[field]
	if !ok || v == nil {
		return 0
	}
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		r.fail(field, fmt.Sprintf("must be a whole number, not %s", kindOf(v)))
		return 0
	}
	if f != math.Trunc(f) || f < 1 || f > float64(limit) {
		r.fail(field, fmt.Sprintf("must be a whole number from 1 to %d, not %v", limit, v))
		return 0
	}
	return int(f)
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, float64:
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "a mapping"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// Model returns the model a single-model check is about ("" for other
// types), to name it in summaries.
func (c *Check) Model() string {
	if s, ok := c.Params["model"].(string); ok {
		return s
	}
	return ""
}

// sortedKeys returns a map's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
