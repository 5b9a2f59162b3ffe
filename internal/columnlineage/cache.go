package columnlineage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-json-experiment/json"
)

// Cache keeps models' lineage by what it is computed from (the compiled
// SQL, the catalog columns, the parents' names and columns), so that a
// re-run parses only what changed. It lives in memory; SaveFile and
// LoadCacheFile keep it between runs. Safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*Model
	used    map[string]bool
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{entries: map[string]*Model{}, used: map[string]bool{}} }

// Len is the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *Cache) get(key string) *Model {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.entries[key]
	if m != nil {
		c.used[key] = true
	}
	return m
}

func (c *Cache) put(key string, m *Model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = m
	c.used[key] = true
}

// The file format. Fingerprints are stored: categories compare them.
type cacheFile struct {
	Version string                 `json:"version"`
	Models  map[string]cachedModel `json:"models"`
}

type cachedModel struct {
	Unknown     bool           `json:"unknown,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	Columns     []cachedColumn `json:"columns"`
	ModelWide   []ColumnRef    `json:"model_wide,omitempty"`
	RowHash     uint64         `json:"row_hash,omitempty"`
	Sig         signature      `json:"sig"`
	WideUnknown bool           `json:"wide_unknown,omitempty"`
	Open        bool           `json:"open,omitempty"`
	SQL         bool           `json:"sql,omitempty"`
}

type cachedColumn struct {
	Name           string         `json:"name"`
	Transformation Transformation `json:"transformation"`
	Upstream       []ColumnRef    `json:"upstream,omitempty"`
	Hash           uint64         `json:"hash,omitempty"`
}

// Save writes the entries used since the cache was loaded or created (so
// that the file does not grow forever as the project changes).
func (c *Cache) Save(w io.Writer) error {
	c.mu.Lock()
	f := cacheFile{Version: engineVersion, Models: make(map[string]cachedModel, len(c.used))}
	for k := range c.used {
		m := c.entries[k]
		cm := cachedModel{
			Unknown: m.Unknown, Reason: m.Reason, ModelWide: m.ModelWide, RowHash: m.rowHash, Sig: m.sig,
			WideUnknown: m.wideUnknown, Open: m.open, SQL: m.sql, Columns: make([]cachedColumn, len(m.Columns)),
		}
		for i, col := range m.Columns {
			cm.Columns[i] = cachedColumn{Name: col.Name, Transformation: col.Transformation, Upstream: col.Upstream, Hash: col.hash}
		}
		f.Models[k] = cm
	}
	c.mu.Unlock()
	return json.MarshalWrite(w, f, json.Deterministic(true))
}

// LoadCache reads a cache written by Save. A cache written by another
// version of the engine is empty.
func LoadCache(r io.Reader) (*Cache, error) {
	var f cacheFile
	if err := json.UnmarshalRead(r, &f); err != nil {
		return nil, fmt.Errorf("read the column lineage cache: %w (delete the file: it is rebuilt on the next run)", err)
	}
	c := NewCache()
	if f.Version != engineVersion {
		return c, nil
	}
	for k, cm := range f.Models {
		m := &Model{
			Unknown: cm.Unknown, Reason: cm.Reason, ModelWide: cm.ModelWide, rowHash: cm.RowHash, sig: cm.Sig,
			wideUnknown: cm.WideUnknown, open: cm.Open, sql: cm.SQL, Columns: make([]*Column, len(cm.Columns)),
		}
		if m.ModelWide == nil {
			m.ModelWide = []ColumnRef{}
		}
		for i, col := range cm.Columns {
			up := col.Upstream
			if up == nil {
				up = []ColumnRef{}
			}
			m.Columns[i] = &Column{Name: col.Name, Transformation: col.Transformation, Upstream: up, hash: col.Hash}
		}
		c.entries[k] = m
	}
	return c, nil
}

// LoadCacheFile reads a cache file; a missing file is an empty cache.
func LoadCacheFile(path string) (*Cache, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewCache(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("open the column lineage cache: %w", err)
	}
	defer f.Close()
	c, err := LoadCache(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// SaveFile writes the cache to path atomically: a crash leaves the old
// file or the new one, never half of one.
func (c *Cache) SaveFile(path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save the column lineage cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = c.Save(tmp); err != nil {
		return fmt.Errorf("save the column lineage cache: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("save the column lineage cache: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save the column lineage cache: %w", err)
	}
	return nil
}
