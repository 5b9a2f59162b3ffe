// Package demo writes a self-contained dbt project for trying recce without
// installing anything: a small online shop whose data is generated in an
// embedded DuckDB database, built twice (base into schema prod, current into
// schema dev), with the manifest.json and catalog.json dbt would write for
// each environment. The current environment carries deliberate changes (an
// added model, a removed one, values that change, a removed and a retyped
// column, a whitespace-only edit, a materialization change) so that every
// feature of recce has something to show.
//
// The same generator makes benchmark data: Options.Models grows the graph to
// thousands of models around the shop, Options.Rows grows the orders fact
// table to tens of millions of rows. Output is deterministic: the same
// options give byte-identical artifacts and the same rows.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Options says what to generate. The zero value is the small demo.
type Options struct {
	// Models is the number of models in the base environment. Below the
	// shop's own 11 it means the shop alone; above, synthetic models fill
	// the difference.
	Models int
	// Rows is the number of raw orders (the orders fact table has about as
	// many); customers, products and payments grow in proportion.
	// 0 means DefaultRows.
	Rows int
	// ArtifactsOnly writes only target-base/ and target/ (manifests, and
	// catalogs from the declared column types) without building the
	// database or the project files: for artifact benchmarks.
	ArtifactsOnly bool
	// Force allows writing into a non-empty folder that is not a previous
	// demo. The demo's own files and folders there are replaced; other
	// files are left alone.
	Force bool
	// Progress, if set, is called as work advances: stage names a step,
	// done of total its progress (total may be 0 for a step of one piece).
	Progress func(stage string, done, total int)
}

// DefaultRows is the size of the small demo's orders.
const DefaultRows = 100_000

// MaxRows bounds Options.Rows: DuckDB generates 10 million rows in seconds,
// a billion would fill a laptop's disk.
const MaxRows = 500_000_000

// MaxModels bounds Options.Models.
const MaxModels = 200_000

// Artifacts are one environment's dbt artifacts.
type Artifacts struct {
	Dir      string `json:"dir"`
	Manifest string `json:"manifest"`
	Catalog  string `json:"catalog"`
	Schema   string `json:"schema"` // where the environment's models are built
}

// Result says what was written. Paths are absolute.
type Result struct {
	Dir      string    `json:"dir"`
	Project  string    `json:"project,omitempty"`  // dbt_project.yml ("" with ArtifactsOnly)
	Profiles string    `json:"profiles,omitempty"` // profiles.yml
	Config   string    `json:"config,omitempty"`   // recce.yml
	Database string    `json:"database,omitempty"` // demo.duckdb ("" with ArtifactsOnly)
	Base     Artifacts `json:"base"`
	Current  Artifacts `json:"current"`

	BaseModels    int `json:"base_models"`
	CurrentModels int `json:"current_models"`
	// Rows is the number of raw orders generated (0 with ArtifactsOnly).
	Rows int64 `json:"rows"`
	// Changes are the deliberate differences between base and current.
	Changes Changes `json:"changes"`
	// Orders is what a value diff of orders by order_id must find (nil with
	// ArtifactsOnly, where no data exists).
	Orders *PlantedDiff `json:"orders,omitempty"`

	Files   int           `json:"files"`
	Bytes   int64         `json:"bytes"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// markerFile marks a folder as written by Generate, which may then
// overwrite it without --force.
const markerFile = ".recce-demo"

// ownedEntries are the top-level names Generate writes: they are replaced
// when a previous demo is regenerated, even when the new one lacks them.
var ownedEntries = []string{"dbt_project.yml", "profiles.yml", "recce.yml", "models", "macros", "seeds",
	"target", "target-base", dbFile, dbFile + ".wal", markerFile}

// ErrNotEmpty is returned when the destination holds files that a demo did
// not write and Options.Force is not set.
var ErrNotEmpty = errors.New("folder is not empty and is not a previous recce demo")

// Generate writes the demo project into dir. Everything is first written to
// a temporary folder beside dir and moved into place only when complete, so
// an error or a cancelled ctx leaves dir as it was.
func Generate(ctx context.Context, dir string, opt Options) (*Result, error) {
	start := time.Now()
	if opt.Rows == 0 {
		opt.Rows = DefaultRows
	}
	if opt.Rows < 1000 || opt.Rows > MaxRows {
		return nil, fmt.Errorf("rows must be between 1000 and %d, not %d", MaxRows, opt.Rows)
	}
	if opt.Models < 0 || opt.Models > MaxModels {
		return nil, fmt.Errorf("models must be between 0 and %d, not %d", MaxModels, opt.Models)
	}
	progress := progressFunc(func(string, int, int) {})
	if opt.Progress != nil {
		progress = opt.Progress
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("demo folder %s: %w", dir, err)
	}
	previous, err := checkDestination(abs, opt.Force)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(abs)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("create a temporary folder beside %s: %w", abs, err)
	}
	defer os.RemoveAll(staging)

	base, current, changes, err := projects(opt.Models)
	if err != nil {
		return nil, err
	}
	w := &writer{root: staging}
	res := &Result{Dir: abs, BaseModels: len(base.models), CurrentModels: len(current.models), Changes: changes}

	var baseCat, curCat *catalog
	if opt.ArtifactsOnly {
		if baseCat, err = declaredCatalog(base); err != nil {
			return nil, err
		}
		if curCat, err = declaredCatalog(current); err != nil {
			return nil, err
		}
	} else {
		progress("writing project files", 0, 0)
		if err := writeProjectFiles(w, current); err != nil {
			return nil, fmt.Errorf("write the project files: %w", err)
		}
		sz := sizesFor(int64(opt.Rows))
		dbPath := w.path(dbFile)
		if err := buildDatabase(ctx, dbPath, sz, []*project{base, current}, progress); err != nil {
			return nil, err
		}
		if baseCat, curCat, err = readCatalogs(ctx, dbPath, base, current); err != nil {
			return nil, err
		}
		if st, err := os.Stat(dbPath); err == nil {
			w.bytes += st.Size()
			w.files++
		}
		pd := plantedDiff(sz.orders)
		res.Orders, res.Rows = &pd, sz.orders
		res.Project, res.Profiles, res.Config = filepath.Join(abs, "dbt_project.yml"), filepath.Join(abs, "profiles.yml"), filepath.Join(abs, "recce.yml")
		res.Database = filepath.Join(abs, dbFile)
	}

	for i, pc := range []struct {
		p   *project
		cat *catalog
		out *Artifacts
	}{{base, baseCat, &res.Base}, {current, curCat, &res.Current}} {
		progress("writing artifacts", i, 2)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mf, err := buildManifest(pc.p)
		if err != nil {
			return nil, fmt.Errorf("describe the %s manifest: %w", pc.p.env.name, err)
		}
		td := pc.p.env.targetDir
		if err := w.stream(td+"/manifest.json", func(out io.Writer) error { return writeJSON(out, mf) }); err != nil {
			return nil, err
		}
		if err := w.stream(td+"/catalog.json", func(out io.Writer) error { return writeJSON(out, pc.cat) }); err != nil {
			return nil, err
		}
		*pc.out = Artifacts{Dir: filepath.Join(abs, td), Manifest: filepath.Join(abs, td, "manifest.json"),
			Catalog: filepath.Join(abs, td, "catalog.json"), Schema: pc.p.env.schema}
	}
	progress("writing artifacts", 2, 2)

	marker, _ := json.MarshalIndent(map[string]any{"generator": "recce demo", "models": opt.Models, "rows": opt.Rows, "artifacts_only": opt.ArtifactsOnly}, "", "  ")
	if err := w.file(markerFile, append(marker, '\n')); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := install(staging, abs, previous); err != nil {
		return nil, err
	}
	res.Files, res.Bytes, res.Elapsed = w.files, w.bytes, time.Since(start)
	return res, nil
}

// projects describes both environments: the shop, plus synthetic models up
// to the requested count.
func projects(models int) (base, current *project, ch Changes, err error) {
	base = &project{env: baseEnv, sources: shopSources(), seeds: shopSeeds(), models: shopModels(baseEnv), exposures: shopExposures()}
	current = &project{env: currentEnv, sources: shopSources(), seeds: shopSeeds(), models: shopModels(currentEnv), exposures: shopExposures()}
	ch = shopChanges()
	if extra := models - len(base.models); extra > 0 {
		g := newSynthGraph(extra)
		for _, p := range []*project{base, current} {
			p.sources = append(p.sources, g.sources...)
			p.models = append(p.models, g.modelsFor(p.env)...)
		}
		sc := g.changes()
		ch.Added = append(ch.Added, sc.Added...)
		ch.Removed = append(ch.Removed, sc.Removed...)
		ch.Modified = append(ch.Modified, sc.Modified...)
		ch.WhitespaceOnly = append(ch.WhitespaceOnly, sc.WhitespaceOnly...)
	}
	ch.sort()
	base.index()
	current.index()
	// Fail early on a broken graph rather than halfway through a build.
	for _, p := range []*project{base, current} {
		if _, err := p.buildOrder(); err != nil {
			return nil, nil, ch, fmt.Errorf("demo generator bug in the %s project: %w", p.env.name, err)
		}
	}
	return base, current, ch, nil
}

func readCatalogs(ctx context.Context, dbPath string, base, current *project) (*catalog, *catalog, error) {
	db, err := openDuckDB(ctx, dbPath)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	bc, err := queryCatalog(ctx, db, base)
	if err != nil {
		return nil, nil, fmt.Errorf("read the base catalog: %w", err)
	}
	cc, err := queryCatalog(ctx, db, current)
	if err != nil {
		return nil, nil, fmt.Errorf("read the current catalog: %w", err)
	}
	return bc, cc, nil
}

// checkDestination tells whether dir holds a previous demo, and refuses a
// folder with other content unless force is set.
func checkDestination(dir string, force bool) (previous bool, err error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("demo folder %s: %w", dir, err)
	case !st.IsDir():
		return false, fmt.Errorf("%s is a file, not a folder: choose another demo folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err == nil {
		return true, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("demo folder %s: %w", dir, err)
	}
	if len(entries) > 0 && !force {
		return false, fmt.Errorf("%s: %w; choose another folder, or pass --force to replace the demo's files in it", dir, ErrNotEmpty)
	}
	return false, nil
}

// install moves the finished project from staging into dir, one top-level
// entry at a time: whatever it replaces (and, for a previous demo, the
// demo's own entries the new one lacks) goes to a folder inside staging,
// deleted with it. Files of dir that the demo does not own stay.
func install(staging, dir string, previous bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	trash := filepath.Join(staging, ".replaced")
	if err := os.Mkdir(trash, 0o755); err != nil {
		return err
	}
	discard := func(name string) error {
		dst := filepath.Join(dir, name)
		if _, err := os.Lstat(dst); err != nil {
			return nil
		}
		if err := os.Rename(dst, filepath.Join(trash, name)); err != nil {
			return fmt.Errorf("replace %s: %w", dst, err)
		}
		return nil
	}
	if previous {
		for _, name := range ownedEntries {
			if err := discard(name); err != nil {
				return err
			}
		}
	}
	for _, e := range entries {
		if err := discard(e.Name()); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("move %s into %s: %w", e.Name(), dir, err)
		}
	}
	return nil
}
