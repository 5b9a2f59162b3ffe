package demo

import (
	"bufio"
	"io"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The artifacts are written the way dbt writes them: Python's json.dumps
// separators (", " and ": "), keys in dbt's order, nothing escaped for HTML
// ("<>" stays readable in SQL). Objects whose key order matters (nodes,
// columns) are omap values; everything else is a struct whose field order is
// dbt's.

// omap is a JSON object that keeps its keys in insertion order.
type omap[V any] []entry[V]

type entry[V any] struct {
	key string
	val V
}

func (m *omap[V]) add(key string, val V) { *m = append(*m, entry[V]{key, val}) }

// MarshalJSONTo writes the object in insertion order.
func (m omap[V]) MarshalJSONTo(enc *jsontext.Encoder) error {
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, e := range m {
		if err := enc.WriteToken(jsontext.String(e.key)); err != nil {
			return err
		}
		if err := json.MarshalEncode(enc, e.val); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// obj is a small JSON object with keys in the given order; a shorthand for
// config-like values (unrendered_config, test kwargs).
func obj(kv ...any) omap[any] {
	m := make(omap[any], 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m.add(kv[i].(string), kv[i+1])
	}
	return m
}

// writeJSON writes v to w in dbt's style. A countingWriter under it tells
// how many bytes went out.
func writeJSON(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := jsontext.NewEncoder(bw,
		jsontext.SpaceAfterColon(true),
		jsontext.SpaceAfterComma(true),
		jsontext.EscapeForHTML(false),
		json.Deterministic(true),
	)
	if err := json.MarshalEncode(enc, v); err != nil {
		return err
	}
	return bw.Flush()
}
