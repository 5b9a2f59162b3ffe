package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gitlab.com/recce-go/recce/internal/dbt"
	"gitlab.com/recce-go/recce/internal/diff"
	"gitlab.com/recce-go/recce/internal/lineage"
	"gitlab.com/recce-go/recce/internal/warehouse"
)

// Env is what checks run against: both environments' artifacts, and the
// warehouse for the checks that query data.
type Env struct {
	Base, Current *dbt.Artifacts
	// Warehouse is nil when none is configured; checks that need it then
	// fail with NoWarehouse as the reason.
	Warehouse   warehouse.Warehouse
	NoWarehouse error

	once    sync.Once
	lineage *lineage.Result
}

// Lineage is the lineage diff of the two environments, computed once.
func (e *Env) Lineage() *lineage.Result {
	e.once.Do(func() { e.lineage = lineage.Diff(e.Base, e.Current) })
	return e.lineage
}

// Runner runs checks. The zero value runs one warehouse check at a time
// with no progress; set the fields to tune it. A Runner is safe for
// concurrent use.
type Runner struct {
	Env *Env
	// Concurrency is how many warehouse checks run at once (default 4).
	// Each data diff also runs its own queries concurrently, so a few
	// checks at once keep a warehouse busy without flooding it.
	Concurrency int
	// OnUpdate, when set, is called when a run starts (status Running) and
	// when it ends, one call at a time, from the runner's goroutines.
	OnUpdate func(c *Check, r *Run)
	// Now gives the time (tests fix it); default time.Now.
	Now func() time.Time

	mu sync.Mutex
}

func (rn *Runner) now() time.Time {
	if rn.Now != nil {
		return rn.Now().UTC()
	}
	return time.Now().UTC()
}

func (rn *Runner) update(c *Check, r *Run) {
	if rn.OnUpdate == nil {
		return
	}
	rn.mu.Lock()
	defer rn.mu.Unlock()
	snapshot := *r
	rn.OnUpdate(c, &snapshot)
}

// RunAll runs the checks and returns their runs, in the order of checks;
// a simple check (a note) has no run and gets nil. Checks that read only
// the artifacts run first; the others run Concurrency at a time. A
// cancelled ctx cancels the runs still going, which end Cancelled. Checks
// whose run found nothing to worry about are auto-approved as the
// reference does (see AutoApprove).
func (rn *Runner) RunAll(ctx context.Context, checks []*Check) []*Run {
	runs := make([]*Run, len(checks))
	n := rn.Concurrency
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, c := range checks {
		switch {
		case c.Type == Simple:
			continue
		case !c.Type.NeedsWarehouse():
			runs[i] = rn.Run(ctx, c)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			runs[i] = rn.Run(ctx, c)
		}()
	}
	wg.Wait()
	for i, c := range checks {
		if runs[i] != nil {
			rn.AutoApprove(c, runs[i])
		}
	}
	return runs
}

// AutoApprove approves a check whose run found nothing a reviewer needs to
// look at, as the reference does: a schema diff with no column change, a
// row count diff with equal counts. It never withdraws an approval. It
// reports whether it approved the check.
func (rn *Runner) AutoApprove(c *Check, r *Run) bool {
	if c.IsChecked || (c.Type != SchemaDiff && c.Type != RowCountDiff) || r.Status != Finished {
		return false
	}
	if Assess(c, r).Verdict != Clean {
		return false
	}
	c.IsChecked = true
	c.UpdatedAt = Time{rn.now().Truncate(time.Second)}
	return true
}

// Run runs one check and returns its run, Finished, Failed or Cancelled.
// It never panics: a check that cannot run (bad params, a missing model, a
// SQL error, no warehouse) is a Failed run whose Error says why and what
// to do.
func (rn *Runner) Run(ctx context.Context, c *Check) *Run {
	start := rn.now()
	r := &Run{RunID: NewID(), CheckID: c.CheckID, Type: c.Type, Name: c.Name, Params: cloneParams(c.Params),
		Status: Running, RunAt: Time{start.Truncate(time.Second)}}
	rn.update(c, r)
	result, err := rn.execute(ctx, c)
	r.DurationMS = rn.now().Sub(start).Milliseconds()
	switch {
	case err != nil && ctx.Err() != nil:
		r.Status, r.Error = Cancelled, "cancelled before the check finished"
	case err != nil:
		r.Status, r.Error = Failed, err.Error()
	default:
		data, merr := json.Marshal(result)
		if merr != nil {
			r.Status, r.Error = Failed, fmt.Sprintf("the result could not be stored: %v", merr)
			break
		}
		r.Status, r.Result = Finished, data
	}
	rn.update(c, r)
	return r
}

// execute runs a check by type, turning a panic into an error: one broken
// check must not take the others (or the server) down.
func (rn *Runner) execute(ctx context.Context, c *Check) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error while running the check (please report it with the stack below): %v\n%s", p, debug.Stack())
		}
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := rn.Env
	if e == nil || e.Base == nil || e.Current == nil {
		return nil, errors.New("no artifacts to run the check against")
	}
	params, err := ParseParams(c.Type, c.Params)
	if err != nil {
		return nil, fmt.Errorf("invalid params: %w", err)
	}
	noWarehouse := func() error {
		why := "no warehouse connection is configured"
		if e.NoWarehouse != nil {
			why = e.NoWarehouse.Error()
		}
		return fmt.Errorf("this check queries the warehouse, which is not available: %s", why)
	}
	envs := &diff.Envs{Warehouse: e.Warehouse, Base: e.Base.Manifest, Current: e.Current.Manifest}
	if _, multi := params.(NodeSelection); !multi && c.Type.NeedsWarehouse() && e.Warehouse == nil {
		return nil, noWarehouse()
	}
	switch p := params.(type) {
	case NodeSelection:
		// The selection first: a selection that matches nothing is the
		// check's own problem, and when nothing changed a row count has
		// nothing to count, warehouse or not.
		if c.Type == SchemaDiff {
			if err := CatalogsPresent(e.Base, e.Current); err != nil {
				return nil, err
			}
		}
		nodes, err := selectNodes(e.Lineage(), p)
		if err != nil {
			return nil, err
		}
		if err := selectedSomething(c.Type, p, nodes); err != nil {
			return nil, err
		}
		switch c.Type {
		case LineageDiff:
			return lineageResult(nodes), nil
		case SchemaDiff:
			return schemaResult(nodes), nil
		}
		if e.Warehouse == nil && slices.ContainsFunc(nodes, func(n *lineage.Node) bool { return diff.Countable(n.Node()) }) {
			return nil, noWarehouse()
		}
		return rowCountResult(ctx, envs, nodes)
	case diff.ValueParams:
		v, err := diff.Value(ctx, envs, p)
		if err != nil {
			return nil, err
		}
		return valueResult(v), nil
	case diff.ValueDetailParams:
		v, err := diff.ValueDetail(ctx, envs, p)
		if err != nil {
			return nil, err
		}
		return &ValueDiffDetailResult{DataFrame: *v.DataFrame(), Model: v.Model, PrimaryKey: v.PrimaryKey}, nil
	case diff.ProfileParams:
		v, err := diff.Profile(ctx, envs, p)
		if err != nil {
			return nil, err
		}
		return &ProfileDiffResult{Base: profileFrame(v.Base), Current: profileFrame(v.Current), Model: v.Model}, nil
	case diff.QueryParams:
		return diff.Query(ctx, envs, p)
	case diff.QueryDiffParams:
		return diff.QueryDiff(ctx, envs, p)
	case diff.TopKParams:
		return diff.TopK(ctx, envs, p)
	case diff.HistogramParams:
		return diff.Histogram(ctx, envs, p)
	}
	return nil, fmt.Errorf("check type %q cannot be run", c.Type)
}

func cloneParams(p Params) Params {
	if p == nil {
		return Params{}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return p
	}
	var out Params
	if json.Unmarshal(data, &out) != nil {
		return p
	}
	return out
}

// selectNodes resolves a multi-node check's selection against the
// lineage diff (so that state:modified works), in unique_id order.
func selectNodes(r *lineage.Result, s NodeSelection) ([]*lineage.Node, error) {
	var nodes []*lineage.Node
	if s.Explicit() {
		seen := map[string]bool{}
		add := func(n *lineage.Node) {
			if !seen[n.UniqueID] {
				seen[n.UniqueID] = true
				nodes = append(nodes, n)
			}
		}
		for _, id := range s.NodeIDs {
			n := r.Node(id)
			if n == nil {
				return nil, fmt.Errorf("node_ids: %q is in neither manifest", id)
			}
			add(n)
		}
		for _, name := range s.NodeNames {
			n, err := nodeByName(r, name)
			if err != nil {
				return nil, fmt.Errorf("node_names: %w", err)
			}
			add(n)
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i].UniqueID < nodes[j].UniqueID })
	} else {
		sel, err := r.Select(s.Select, s.Exclude)
		if err != nil {
			return nil, fmt.Errorf("node selection (select %q, exclude %q): %w", s.Select, s.Exclude, err)
		}
		nodes = sel.Nodes
	}
	out := nodes[:0:0]
	for _, n := range nodes {
		if len(s.Packages) > 0 && !slices.Contains(s.Packages, n.PackageName) {
			continue
		}
		if s.ViewMode == "changed_models" && !n.Impacted {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// CatalogsPresent fails a schema diff that cannot see the columns of a
// side: without its catalog.json, nothing can be compared there. The
// error says how to produce the catalogs.
func CatalogsPresent(base, current *dbt.Artifacts) error {
	b, c := base.Catalog != nil, current.Catalog != nil
	switch {
	case !b && !c:
		return errors.New("neither environment has a catalog.json, so no columns can be compared: " +
			"generate both with `dbt docs generate` (on the base branch and on the merge request's branch) and run the check again")
	case !b:
		return errors.New("the base environment has no catalog.json: its columns are unknown, so nothing can be compared; " +
			"generate it with `dbt docs generate` on the base branch and run the check again")
	case !c:
		return errors.New("the current environment has no catalog.json: its columns are unknown, so nothing can be compared; " +
			"generate it with `dbt docs generate` on the merge request's branch and run the check again")
	}
	return nil
}

// selectedSomething fails a multi-node check whose selection gave it
// nothing to look at (a typo in a name, a tag nobody has), unless the
// selection depends on the change (a state: method, or view_mode
// changed_models): that nothing was modified is then the answer, and the
// check passes with nothing to compare.
func selectedSomething(t Type, s NodeSelection, nodes []*lineage.Node) error {
	if s.Explicit() || strings.Contains(s.Select+" "+s.Exclude, "state:") || s.ViewMode == "changed_models" {
		return nil
	}
	what, n := "node", len(nodes)
	switch t {
	case RowCountDiff:
		what, n = "model, seed or snapshot", 0
		for _, x := range nodes {
			if diff.Countable(x.Node()) {
				n++
			}
		}
	case SchemaDiff:
		what, n = "relation (model, seed, snapshot or source)", 0
		for _, x := range nodes {
			if x.Node().HasRelation() {
				n++
			}
		}
	}
	if n > 0 {
		return nil
	}
	sel := fmt.Sprintf("select %q", s.Select)
	if s.Select == "" {
		sel = "every node"
	}
	if s.Exclude != "" {
		sel += fmt.Sprintf(", exclude %q", s.Exclude)
	}
	if len(s.Packages) > 0 {
		sel += fmt.Sprintf(", packages %s", strings.Join(s.Packages, ", "))
	}
	return fmt.Errorf("the selection (%s) matched no %s, so there was nothing to compare: check its names (`recce lineage-diff --select ...` lists what a selector matches)", sel, what)
}

// nodeByName finds a node by name, package.name, or source.table.
func nodeByName(r *lineage.Result, name string) (*lineage.Node, error) {
	var found []*lineage.Node
	for _, n := range r.Nodes {
		d := n.Node()
		if n.Name == name || n.PackageName+"."+n.Name == name || (n.ResourceType == dbt.Source && d.SourceName+"."+n.Name == name) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%q is in neither manifest", name)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, n := range found {
		ids[i] = n.UniqueID
	}
	return nil, fmt.Errorf("%q names several nodes (%s): use node_ids", name, strings.Join(ids, ", "))
}

func lineageResult(nodes []*lineage.Node) *LineageDiffResult {
	res := &LineageDiffResult{Selected: len(nodes), Nodes: []LineageNode{}}
	for _, n := range nodes {
		switch {
		case n.Changed() && !n.WhitespaceOnly():
			res.Nodes = append(res.Nodes, LineageNode{UniqueID: n.UniqueID, Name: n.Name, ResourceType: n.ResourceType, Change: n.Change, Reasons: n.Reasons})
		case n.Impacted:
			res.Impacted++
		}
	}
	return res
}

func schemaResult(nodes []*lineage.Node) *SchemaDiffResult {
	res := &SchemaDiffResult{Selected: len(nodes), Nodes: []SchemaNode{}}
	for _, n := range nodes {
		if !n.Columns.Differs() {
			continue
		}
		c := n.Columns
		res.Nodes = append(res.Nodes, SchemaNode{UniqueID: n.UniqueID, Name: n.Name, Added: c.Added, Removed: c.Removed, Changed: c.Changed, Missing: c.Missing})
	}
	return res
}

// rowCountResult counts the countable selected nodes (models, seeds,
// snapshots) in the reference's shape, keyed by node name (by
// package.name when two packages share a name).
func rowCountResult(ctx context.Context, envs *diff.Envs, nodes []*lineage.Node) (RowCountDiffResult, error) {
	var ids []string
	names := map[string]int{}
	for _, n := range nodes {
		if diff.Countable(n.Node()) {
			ids = append(ids, n.UniqueID)
			names[n.Name]++
		}
	}
	out := RowCountDiffResult{}
	if len(ids) == 0 {
		return out, nil
	}
	rc, err := diff.RowCount(ctx, envs, ids, diff.RowCountOptions{})
	if err != nil {
		return nil, err
	}
	meta := func(s *string) *RowCountMeta {
		if s == nil {
			return nil
		}
		return &RowCountMeta{Status: *s}
	}
	pkg := func(id string) string {
		parts := strings.SplitN(id, ".", 3)
		if len(parts) == 3 {
			return parts[1] + "."
		}
		return ""
	}
	for _, n := range rc.Nodes {
		key := n.Name
		if names[n.Name] > 1 {
			key = pkg(n.UniqueID) + n.Name
		}
		out[key] = RowCountEntry{Base: n.Base, Curr: n.Current, BaseMeta: meta(n.BaseStatus), CurrMeta: meta(n.CurrentStatus), UniqueID: n.UniqueID}
	}
	return out, nil
}

func valueResult(v *diff.ValueResult) *ValueDiffResult {
	data := DataFrame{Columns: []warehouse.Column{
		{Name: "column", Kind: warehouse.KindText},
		{Name: "matched", Kind: warehouse.KindNumber},
		{Name: "matched_p", Kind: warehouse.KindNumber},
	}, Data: [][]any{}}
	for _, c := range v.Columns {
		data.Data = append(data.Data, []any{c.Name, c.Matched, c.MatchedP})
	}
	modified, unchanged := v.Summary.Modified, v.Summary.Unchanged
	return &ValueDiffResult{
		Summary: ValueDiffSummary{Total: v.Summary.Total, Added: v.Summary.Added, Removed: v.Summary.Removed, Modified: &modified, Unchanged: &unchanged},
		Data:    data, Model: v.Model, PrimaryKey: v.PrimaryKey, Columns: v.Columns,
		ColumnsOnlyInBase: v.ColumnsOnlyInBase, ColumnsOnlyInCurrent: v.ColumnsOnlyInCurrent,
	}
}
