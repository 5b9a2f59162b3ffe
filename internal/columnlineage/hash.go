package columnlineage

import (
	"slices"
	"strings"
)

// hasher is 64-bit FNV-1a: definitions are fingerprinted to compare base
// and current, and the fingerprints are stored in the cache file, so the
// hash must be stable across processes (hash/maphash is not).
type hasher uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHash(tag string) hasher {
	h := hasher(fnvOffset)
	h.str(tag)
	return h
}

func (h *hasher) str(s string) {
	x := uint64(*h)
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= fnvPrime
	}
	// A separator, so that ("ab","c") and ("a","bc") differ.
	x ^= 0xff
	x *= fnvPrime
	*h = hasher(x)
}

// fold hashes s in lower case (identifiers compare case-insensitively).
func (h *hasher) fold(s string) {
	x := uint64(*h)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		x ^= uint64(c)
		x *= fnvPrime
	}
	x ^= 0xff
	x *= fnvPrime
	*h = hasher(x)
}

func (h *hasher) u64(v uint64) {
	x := uint64(*h)
	for range 8 {
		x ^= v & 0xff
		x *= fnvPrime
		v >>= 8
	}
	*h = hasher(x)
}

func (h *hasher) flag(b bool) {
	if b {
		h.u64(1)
	} else {
		h.u64(0)
	}
}

func (h hasher) sum() uint64 { return uint64(h) }

// signature splits what defines a relation's rows into the parts a
// reviewer recognises, so that a model-wide change can say what changed.
type signature struct {
	Relations []string `json:"relations,omitempty"` // nodes (or outside relations) read, sorted
	Joins     uint64   `json:"joins,omitempty"`
	Filters   uint64   `json:"filters,omitempty"`
	Grouping  uint64   `json:"grouping,omitempty"`
	Qualify   uint64   `json:"qualify,omitempty"`
	Distinct  uint64   `json:"distinct,omitempty"`
	Limit     uint64   `json:"limit,omitempty"`
	SetOps    uint64   `json:"set_operations,omitempty"`
	Other     uint64   `json:"other,omitempty"`
}

// mix adds a contribution to a component. Components are sums, so that
// the order in which a query's parts are visited does not matter, and what
// a side lacks adds nothing.
func mix(a *uint64, v uint64) { *a += v }

// add merges an input's signature into s.
func (s *signature) add(o *signature) {
	for _, r := range o.Relations {
		s.addRelation(r)
	}
	s.Joins += o.Joins
	s.Filters += o.Filters
	s.Grouping += o.Grouping
	s.Qualify += o.Qualify
	s.Distinct += o.Distinct
	s.Limit += o.Limit
	s.SetOps += o.SetOps
	s.Other += o.Other
}

func (s *signature) addRelation(r string) {
	i, found := slices.BinarySearch(s.Relations, r)
	if !found {
		s.Relations = slices.Insert(s.Relations, i, r)
	}
}

// diff names the parts that differ, for a model-wide change's reason.
func (s *signature) diff(o *signature) []string {
	var out []string
	if !slices.Equal(s.Relations, o.Relations) {
		var added, removed []string
		for _, r := range o.Relations {
			if !slices.Contains(s.Relations, r) {
				added = append(added, r)
			}
		}
		for _, r := range s.Relations {
			if !slices.Contains(o.Relations, r) {
				removed = append(removed, r)
			}
		}
		d := "relations read"
		if len(added) > 0 {
			d += " +" + strings.Join(added, " +")
		}
		if len(removed) > 0 {
			d += " -" + strings.Join(removed, " -")
		}
		out = append(out, d)
	}
	for _, p := range []struct {
		name string
		a, b uint64
	}{
		{"joins", s.Joins, o.Joins},
		{"filters", s.Filters, o.Filters},
		{"grouping", s.Grouping, o.Grouping},
		{"qualify", s.Qualify, o.Qualify},
		{"distinct", s.Distinct, o.Distinct},
		{"limit", s.Limit, o.Limit},
		{"set operations", s.SetOps, o.SetOps},
		{"table functions, sampling or values", s.Other, o.Other},
	} {
		if p.a != p.b {
			out = append(out, p.name)
		}
	}
	return out
}
