package dbt

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
)

// Graph is what node selection works on: the nodes and their edges.
type Graph interface {
	// NodeIDs lists every selectable node.
	NodeIDs() []string
	// GraphNode returns a node's definition (the current one, or the base
	// one for a node that only exists in base).
	GraphNode(id string) *Node
	Parents(id string) []string
	Children(id string) []string
}

// StateGraph is a Graph compared with a base environment, which the state:
// selectors need.
type StateGraph interface {
	Graph
	// State says how a node compares with base: change is "added",
	// "removed", "modified" or "unchanged"; reasons as in the lineage diff.
	State(id string) (change string, reasons []string)
}

// Select returns the sorted unique_ids of the nodes matched by include (all
// nodes when empty) and not by exclude, in dbt's selector syntax: space for
// union, comma for intersection, "+" and "@" graph operators, and methods
// such as tag:, path:, config.materialized:, state:modified.
func Select(g Graph, include, exclude string) ([]string, error) {
	var in map[string]bool
	if strings.TrimSpace(include) == "" {
		in = map[string]bool{}
		for _, id := range g.NodeIDs() {
			in[id] = true
		}
	} else {
		s, err := ParseSelector(include)
		if err != nil {
			return nil, err
		}
		if in, err = s.Match(g); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(exclude) != "" {
		s, err := ParseSelector(exclude)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		out, err := s.Match(g)
		if err != nil {
			return nil, fmt.Errorf("--exclude: %w", err)
		}
		for id := range out {
			delete(in, id)
		}
	}
	ids := make([]string, 0, len(in))
	for id := range in {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// Selector is a parsed selection: a union of intersections of atoms.
type Selector struct {
	union [][]atom
}

type atom struct {
	text     string
	method   string   // "fqn" when none is given
	args     []string // config.materialized -> ["materialized"]
	value    string
	parents  int // -1 none, 0 unlimited, n levels
	children int
	at       bool // @: descendants and all their ancestors
}

// atomRE splits "@", "2+", the node spec and "+3" apart.
var atomRE = regexp.MustCompile(`^(@)?(?:(\d*)(\+))?(.+?)(?:(\+)(\d*))?$`)

// ParseSelector parses a selection expression.
func ParseSelector(expr string) (*Selector, error) {
	s := &Selector{}
	for _, term := range strings.Fields(expr) {
		var inter []atom
		for _, part := range strings.Split(term, ",") {
			if part == "" {
				return nil, fmt.Errorf("selector %q: empty part around a comma", term)
			}
			a, err := parseAtom(part)
			if err != nil {
				return nil, err
			}
			inter = append(inter, a)
		}
		s.union = append(s.union, inter)
	}
	if len(s.union) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return s, nil
}

func parseAtom(text string) (atom, error) {
	a := atom{text: text, parents: -1, children: -1}
	m := atomRE.FindStringSubmatch(text)
	if m == nil {
		return a, fmt.Errorf("selector %q: cannot parse", text)
	}
	a.at = m[1] == "@"
	depth := func(s string, present bool) (int, error) {
		if !present {
			return -1, nil
		}
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("selector %q: bad depth %q", text, s)
		}
		return n, nil
	}
	var err error
	if a.parents, err = depth(m[2], m[3] != ""); err != nil {
		return a, err
	}
	if a.children, err = depth(m[6], m[5] != ""); err != nil {
		return a, err
	}
	if a.at && (a.parents >= 0 || a.children >= 0) {
		return a, fmt.Errorf("selector %q: @ cannot be combined with +", text)
	}
	spec := m[4]
	a.method, a.value = "fqn", spec
	if i := strings.Index(spec, ":"); i > 0 {
		method := spec[:i]
		a.value = spec[i+1:]
		parts := strings.Split(method, ".")
		a.method, a.args = parts[0], parts[1:]
	} else if strings.Contains(spec, "/") {
		a.method = "path"
	} else if ext := path.Ext(spec); ext == ".sql" || ext == ".py" || ext == ".csv" {
		a.method = "file"
	}
	if _, ok := methods[a.method]; !ok {
		return a, fmt.Errorf("selector %q: unknown method %q; use one of %s", text, a.method, strings.Join(methodNames(), ", "))
	}
	if a.method == "config" && len(a.args) == 0 {
		return a, fmt.Errorf("selector %q: config needs a key, as in config.materialized:table", text)
	}
	if a.method == "state" && !slices.Contains(stateValues, a.value) {
		return a, fmt.Errorf("selector %q: unknown state %q; use one of %s", text, a.value, strings.Join(stateValues, ", "))
	}
	if a.value == "" {
		return a, fmt.Errorf("selector %q: missing value after %q", text, a.method+":")
	}
	return a, nil
}

var stateValues = []string{"new", "old", "modified", "unmodified",
	"modified.body", "modified.whitespace", "modified.configs", "modified.relation", "modified.persisted_descriptions",
	"modified.contract", "modified.macros"}

type matcher func(a atom, g Graph, id string, n *Node) (bool, error)

var methods = map[string]matcher{
	"fqn":            matchFQN,
	"tag":            matchTag,
	"resource_type":  func(a atom, _ Graph, _ string, n *Node) (bool, error) { return n.ResourceType == a.value, nil },
	"package":        func(a atom, _ Graph, _ string, n *Node) (bool, error) { return glob(a.value, n.PackageName), nil },
	"path":           matchPath,
	"file":           matchFile,
	"config":         matchConfig,
	"source":         matchSource,
	"exposure":       typedName(Exposure),
	"metric":         typedName(Metric),
	"semantic_model": typedName(SemanticModel),
	"saved_query":    typedName(SavedQuery),
	"state":          matchState,
}

func methodNames() []string {
	names := make([]string, 0, len(methods))
	for k := range methods {
		names = append(names, k+":")
	}
	sort.Strings(names)
	return names
}

// Match returns the set of nodes the selector matches in g.
func (s *Selector) Match(g Graph) (map[string]bool, error) {
	ids := g.NodeIDs()
	out := map[string]bool{}
	for _, inter := range s.union {
		var acc map[string]bool
		for _, a := range inter {
			set, err := a.match(g, ids)
			if err != nil {
				return nil, err
			}
			if acc == nil {
				acc = set
				continue
			}
			for id := range acc {
				if !set[id] {
					delete(acc, id)
				}
			}
		}
		for id := range acc {
			out[id] = true
		}
	}
	return out, nil
}

func (a atom) match(g Graph, ids []string) (map[string]bool, error) {
	if a.method == "state" {
		if _, ok := g.(StateGraph); !ok {
			return nil, fmt.Errorf("selector %q needs the base environment's artifacts to compare with", a.text)
		}
	}
	m := methods[a.method]
	seed := map[string]bool{}
	for _, id := range ids {
		n := g.GraphNode(id)
		if n == nil {
			continue
		}
		ok, err := m(a, g, id, n)
		if err != nil {
			return nil, err
		}
		if ok {
			seed[id] = true
		}
	}
	out := map[string]bool{}
	for id := range seed {
		out[id] = true
	}
	switch {
	case a.at:
		desc := walk(seed, g.Children, 0)
		for id := range desc {
			out[id] = true
		}
		for id := range walk(desc, g.Parents, 0) {
			out[id] = true
		}
	default:
		if a.parents >= 0 {
			for id := range walk(seed, g.Parents, a.parents) {
				out[id] = true
			}
		}
		if a.children >= 0 {
			for id := range walk(seed, g.Children, a.children) {
				out[id] = true
			}
		}
	}
	// Only nodes of the graph: a dangling reference is walked through,
	// never selected.
	for id := range out {
		if g.GraphNode(id) == nil {
			delete(out, id)
		}
	}
	return out, nil
}

// walk follows next from the start nodes, up to depth levels (0: no limit),
// and returns the nodes reached (the start nodes included).
func walk(start map[string]bool, next func(string) []string, depth int) map[string]bool {
	seen := map[string]bool{}
	frontier := make([]string, 0, len(start))
	for id := range start {
		seen[id] = true
		frontier = append(frontier, id)
	}
	for level := 1; len(frontier) > 0 && (depth == 0 || level <= depth); level++ {
		var nextFrontier []string
		for _, id := range frontier {
			for _, n := range next(id) {
				if !seen[n] {
					seen[n] = true
					nextFrontier = append(nextFrontier, n)
				}
			}
		}
		frontier = nextFrontier
	}
	return seen
}

func glob(pattern, s string) bool {
	if pattern == s {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// matchFQN is dbt's default method: a node's name, or a dotted prefix of its
// fully qualified name ("jaffle_shop.staging.*").
func matchFQN(a atom, _ Graph, _ string, n *Node) (bool, error) {
	if a.value == "*" {
		return true, nil
	}
	if glob(a.value, n.Name) {
		return true, nil
	}
	parts := strings.Split(a.value, ".")
	if len(parts) > len(n.FQN) {
		return false, nil
	}
	for i, p := range parts {
		if !glob(p, n.FQN[i]) {
			return false, nil
		}
	}
	return true, nil
}

func matchTag(a atom, _ Graph, _ string, n *Node) (bool, error) {
	for _, t := range n.Tags {
		if glob(a.value, t) {
			return true, nil
		}
	}
	for _, t := range n.Config.Tags {
		if glob(a.value, t) {
			return true, nil
		}
	}
	return false, nil
}

func matchPath(a atom, _ Graph, _ string, n *Node) (bool, error) {
	p := strings.TrimSuffix(strings.TrimPrefix(a.value, "./"), "/")
	f := n.OriginalFilePath
	return f == p || strings.HasPrefix(f, p+"/") || glob(p, f), nil
}

func matchFile(a atom, _ Graph, _ string, n *Node) (bool, error) {
	base := path.Base(n.OriginalFilePath)
	return glob(a.value, base) || glob(a.value, strings.TrimSuffix(base, path.Ext(base))), nil
}

func matchConfig(a atom, _ Graph, _ string, n *Node) (bool, error) {
	key := strings.Join(a.args, ".")
	if key == "materialized" {
		return glob(a.value, n.Materialized()), nil
	}
	raw, ok := n.Config.Map()[key]
	if !ok {
		return false, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, nil
	}
	switch x := v.(type) {
	case string:
		return glob(a.value, x), nil
	case bool:
		return strconv.FormatBool(x) == strings.ToLower(a.value), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64) == a.value, nil
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && glob(a.value, s) {
				return true, nil
			}
		}
	}
	return false, nil
}

// matchSource: "source:src", "source:src.table" or "source:pkg.src.table".
func matchSource(a atom, _ Graph, _ string, n *Node) (bool, error) {
	if n.ResourceType != Source {
		return false, nil
	}
	parts := strings.Split(a.value, ".")
	switch len(parts) {
	case 1:
		return glob(parts[0], n.SourceName), nil
	case 2:
		return glob(parts[0], n.SourceName) && glob(parts[1], n.Name), nil
	case 3:
		return glob(parts[0], n.PackageName) && glob(parts[1], n.SourceName) && glob(parts[2], n.Name), nil
	}
	return false, nil
}

func typedName(resourceType string) matcher {
	return func(a atom, _ Graph, _ string, n *Node) (bool, error) {
		return n.ResourceType == resourceType && glob(a.value, n.Name), nil
	}
}

// matchState follows dbt's state: selectors. As in dbt, state:modified
// includes new nodes; it also includes removed ones, which only a diff sees.
func matchState(a atom, g Graph, id string, _ *Node) (bool, error) {
	change, reasons := g.(StateGraph).State(id)
	has := func(r ...string) bool {
		for _, x := range reasons {
			if slices.Contains(r, x) {
				return true
			}
		}
		return false
	}
	switch a.value {
	case "new":
		return change == "added", nil
	case "old":
		return change != "added", nil
	case "modified":
		return change != "unchanged", nil
	case "unmodified":
		return change == "unchanged", nil
	case "modified.body":
		return has("code", "whitespace"), nil
	case "modified.whitespace":
		return has("whitespace"), nil
	case "modified.configs":
		return has("config"), nil
	case "modified.relation":
		return has("relation"), nil
	case "modified.persisted_descriptions":
		return has("persisted_descriptions"), nil
	case "modified.contract":
		return has("contract"), nil
	case "modified.macros":
		return has("macros"), nil
	}
	return false, nil
}

// ManifestGraph is the graph of one manifest, for selection without a base
// environment (state: selectors are then refused).
type ManifestGraph struct {
	m        *Manifest
	ids      []string
	children map[string][]string
}

// NewManifestGraph builds the selectable graph of a manifest.
func NewManifestGraph(m *Manifest) *ManifestGraph {
	g := &ManifestGraph{m: m, children: map[string][]string{}}
	for id, n := range m.Nodes {
		if !n.InGraph() {
			continue
		}
		g.ids = append(g.ids, id)
		for _, p := range n.DependsOn.Nodes {
			g.children[p] = append(g.children[p], id)
		}
	}
	sort.Strings(g.ids)
	return g
}

func (g *ManifestGraph) NodeIDs() []string         { return g.ids }
func (g *ManifestGraph) GraphNode(id string) *Node { return g.m.Nodes[id] }
func (g *ManifestGraph) Parents(id string) []string {
	// A manifest may name a parent it does not hold (an upload's may hold
	// anything): it has no parents of its own.
	if n := g.m.Nodes[id]; n != nil {
		return n.DependsOn.Nodes
	}
	return nil
}
func (g *ManifestGraph) Children(id string) []string { return g.children[id] }
