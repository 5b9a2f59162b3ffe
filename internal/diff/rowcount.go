package diff

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Statuses given instead of a count.
const (
	StatusUnsupportedMaterialization = "unsupported_materialization"
	StatusTableNotFound              = "table_not_found"
	StatusPermissionDenied           = "permission_denied"
	StatusNotInManifest              = "not_in_manifest"
)

// RowCountResult is the row counts of the selected models.
type RowCountResult struct {
	Nodes []RowCountNode `json:"nodes"`
}

// RowCountNode is one model's counts. A side has either a count or a
// status saying why it has none.
type RowCountNode struct {
	UniqueID      string  `json:"unique_id"`
	Name          string  `json:"name"`
	ResourceType  string  `json:"resource_type"`
	Base          *int64  `json:"base"`
	Current       *int64  `json:"current"`
	BaseStatus    *string `json:"base_status"`
	CurrentStatus *string `json:"current_status"`
}

// Changed reports whether both sides have a count and the counts differ,
// or one side has a count and the other none.
func (n RowCountNode) Changed() bool {
	switch {
	case n.Base != nil && n.Current != nil:
		return *n.Base != *n.Current
	case n.Base == nil && n.Current == nil:
		return false
	}
	return true
}

// RowCountOptions tune RowCount; the zero value is fine.
type RowCountOptions struct {
	// BatchSize is how many relations one query counts (default 20).
	// Batching cuts round trips; more concurrency comes from the pool.
	BatchSize int
	// Concurrency is how many count queries run at once (default 4).
	Concurrency int
}

// Countable reports whether row counts apply to a node: models, seeds and
// snapshots. Other selected nodes (tests, sources, exposures) are left out
// of a row count diff.
func Countable(n *dbt.Node) bool {
	return n != nil && (n.ResourceType == dbt.Model || n.ResourceType == dbt.Seed || n.ResourceType == dbt.Snapshot)
}

// countableMaterialization lists what has a relation to count. Anything
// else (ephemeral above all) gets unsupported_materialization.
func countableMaterialization(n *dbt.Node) bool {
	switch n.Materialized() {
	case "table", "view", "incremental", "snapshot", "seed", "materialized_view", "dynamic_table":
		return true
	}
	return false
}

// countJob is one relation to count, on one side.
type countJob struct {
	node  int // index in the result
	base  bool
	rel   string
	count int64
	state string // status when there is no count
}

// RowCount counts the rows of the given nodes (unique_ids; nodes that are
// not models, seeds or snapshots are skipped) in both environments.
//
// Existence is checked once per environment from the warehouse's catalog
// (missing relations get table_not_found without a failing query); the
// counts are batched, several relations per query, and the batches run
// concurrently. A failing batch is retried relation by relation so that
// a missing or forbidden relation gets its status and the others their
// counts.
func RowCount(ctx context.Context, e *Envs, nodeIDs []string, opts RowCountOptions) (*RowCountResult, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 20
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	d := e.dialect()
	res := &RowCountResult{Nodes: []RowCountNode{}}
	var jobs []*countJob
	var sideNodes [2][]*dbt.Node // nodes per side with a relation, for the existence check
	seen := map[string]bool{}
	for _, id := range nodeIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		var bn, cn *dbt.Node
		if e.Base != nil {
			bn = e.Base.Nodes[id]
		}
		if e.Current != nil {
			cn = e.Current.Nodes[id]
		}
		if !Countable(cn) && !Countable(bn) {
			continue
		}
		out := RowCountNode{UniqueID: id}
		for _, n := range []*dbt.Node{cn, bn} {
			if n != nil {
				out.Name, out.ResourceType = n.Name, n.ResourceType
				break
			}
		}
		idx := len(res.Nodes)
		for side, n := range []*dbt.Node{bn, cn} {
			job := &countJob{node: idx, base: side == 0}
			switch {
			case n == nil:
				job.state = StatusNotInManifest
			case !countableMaterialization(n):
				job.state = StatusUnsupportedMaterialization
			default:
				rel, err := relationOf(d, n)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", id, err)
				}
				job.rel = rel
				sideNodes[side] = append(sideNodes[side], n)
			}
			if job.base {
				res.Nodes = append(res.Nodes, out)
			}
			jobs = append(jobs, job)
		}
	}

	// Existence, once per environment, both at once.
	var exists [2]func(*dbt.Node) bool
	g, gctx := newGroup(ctx)
	for side := range sideNodes {
		g.Go(func() error {
			exists[side] = existence(gctx, e.Warehouse, sideNodes[side])
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var todo [2][]*countJob
	nodeOf := func(j *countJob) *dbt.Node {
		m := e.Current
		if j.base {
			m = e.Base
		}
		return m.Nodes[res.Nodes[j.node].UniqueID]
	}
	total := 0
	for _, j := range jobs {
		if j.rel == "" {
			continue
		}
		side := 1
		if j.base {
			side = 0
		}
		if !exists[side](nodeOf(j)) {
			j.state, j.rel = StatusTableNotFound, ""
			continue
		}
		todo[side] = append(todo[side], j)
		total++
	}

	e.describe("Counting rows")
	g, gctx = newGroup(ctx)
	g.SetLimit(opts.Concurrency)
	for side := range todo {
		for start := 0; start < len(todo[side]); start += opts.BatchSize {
			batch := todo[side][start:min(start+opts.BatchSize, len(todo[side]))]
			g.Go(func() error { return countBatch(gctx, e, batch) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	for _, j := range jobs {
		n := &res.Nodes[j.node]
		var count *int64
		var status *string
		if j.state != "" {
			status = new(j.state)
		} else {
			count = new(j.count)
		}
		if j.base {
			n.Base, n.BaseStatus = count, status
		} else {
			n.Current, n.CurrentStatus = count, status
		}
	}
	sort.SliceStable(res.Nodes, func(i, k int) bool {
		if res.Nodes[i].Name != res.Nodes[k].Name {
			return res.Nodes[i].Name < res.Nodes[k].Name
		}
		return res.Nodes[i].UniqueID < res.Nodes[k].UniqueID
	})
	return res, nil
}

// countBatch counts a batch in one query: one union all branch per
// relation, tagged with its position. On failure it falls back to one
// query per relation to find the culprit.
func countBatch(ctx context.Context, e *Envs, batch []*countJob) error {
	var parts []string
	for i, j := range batch {
		parts = append(parts, fmt.Sprintf("select %d as i, count(*) as n from %s", i, j.rel))
	}
	_, rows, err := warehouse.QueryAll(ctx, e.Warehouse, strings.Join(parts, "\nunion all\n"))
	if err == nil {
		for _, r := range rows {
			batch[warehouse.Int64(r[0])].count = warehouse.Int64(r[1])
		}
		e.step(len(batch))
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(batch) == 1 {
		switch {
		case errors.Is(err, warehouse.ErrRelationNotFound):
			batch[0].state = StatusTableNotFound
		case errors.Is(err, warehouse.ErrPermissionDenied):
			batch[0].state = StatusPermissionDenied
		default:
			return fmt.Errorf("count rows of %s: %w", batch[0].rel, err)
		}
		e.step(1)
		return nil
	}
	for _, j := range batch {
		if err := countBatch(ctx, e, []*countJob{j}); err != nil {
			return err
		}
	}
	return nil
}

// existence returns a test of whether a node's relation exists, from one
// catalog query over the nodes' schemas. When the catalog cannot be read,
// every relation is assumed to exist and the count queries tell.
func existence(ctx context.Context, w warehouse.Warehouse, nodes []*dbt.Node) func(*dbt.Node) bool {
	all := func(*dbt.Node) bool { return true }
	seen := map[string]bool{}
	var schemas []string
	for _, n := range nodes {
		if n.Schema == "" {
			return all // no schema to look in: let the count decide
		}
		if s := strings.ToLower(n.Schema); !seen[s] {
			seen[s] = true
			schemas = append(schemas, n.Schema)
		}
	}
	if len(schemas) == 0 {
		return all
	}
	d := w.Dialect()
	_, rows, err := warehouse.QueryAll(ctx, w, d.RelationsQuery(schemas))
	if err != nil {
		return all
	}
	// Keyed in lower case: the manifest and the catalog may differ in case
	// (Snowflake). A false "exists" only costs a count query that then
	// reports table_not_found itself.
	type key struct{ db, schema, name string }
	have := map[key]bool{}
	for _, r := range rows {
		db, _ := r[0].(string)
		schema, _ := r[1].(string)
		name, _ := r[2].(string)
		have[key{strings.ToLower(db), strings.ToLower(schema), strings.ToLower(name)}] = true
		have[key{"", strings.ToLower(schema), strings.ToLower(name)}] = true
	}
	return func(n *dbt.Node) bool {
		return have[key{strings.ToLower(n.Database), strings.ToLower(n.Schema), strings.ToLower(n.RelationAlias())}]
	}
}
