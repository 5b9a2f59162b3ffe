package dbt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"
)

var errIOEOF = io.ErrUnexpectedEOF

// Env names one of the two environments compared.
type Env string

const (
	Base    Env = "base"
	Current Env = "current"
)

// Artifacts are one environment's dbt artifacts.
type Artifacts struct {
	Env          Env
	Dir          string
	ManifestPath string
	CatalogPath  string // empty when the folder has no catalog.json
	Manifest     *Manifest
	Catalog      *Catalog // nil when the folder has no catalog.json
}

// LoadPair loads the base and current artifacts concurrently. When both
// fail, the error says both, base first, whichever failed first.
func LoadPair(ctx context.Context, baseDir, currentDir string) (base, current *Artifacts, err error) {
	base, current, _, _, err = loadPair(ctx, baseDir, currentDir, false)
	return base, current, err
}

// Files are the bytes of an environment's manifest.json and catalog.json
// as read (Catalog nil when there is none).
type Files struct {
	Manifest []byte `json:"manifest"`
	Catalog  []byte `json:"catalog"`
}

// LoadPairFiles is LoadPair that also returns the bytes of the files it
// parsed, for a caller that keeps them as they are (a state file embeds
// them): each file is read once.
func LoadPairFiles(ctx context.Context, baseDir, currentDir string) (base, current *Artifacts, baseFiles, currentFiles Files, err error) {
	return loadPair(ctx, baseDir, currentDir, true)
}

func loadPair(ctx context.Context, baseDir, currentDir string, keep bool) (base, current *Artifacts, baseFiles, currentFiles Files, err error) {
	var berr, cerr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); base, baseFiles, berr = load(ctx, baseDir, Base, keep) }()
	go func() { defer wg.Done(); current, currentFiles, cerr = load(ctx, currentDir, Current, keep) }()
	wg.Wait()
	if err := JoinEnvErrors(berr, cerr); err != nil {
		return nil, nil, Files{}, Files{}, err
	}
	return base, current, baseFiles, currentFiles, nil
}

// JoinEnvErrors joins the errors of the two environments' artifacts, on
// one line and base first: "" when both are nil.
func JoinEnvErrors(base, current error) error {
	switch {
	case base != nil && current != nil:
		return fmt.Errorf("%w; and %w", base, current)
	case base != nil:
		return base
	}
	return current
}

// Load reads manifest.json (required) and catalog.json (optional) from dir.
// Errors name the file and say how to produce it.
func Load(ctx context.Context, dir string, env Env) (*Artifacts, error) {
	a, _, err := load(ctx, dir, env, false)
	return a, err
}

// load is Load, also returning the files' bytes when keep is set.
func load(ctx context.Context, dir string, env Env, keep bool) (*Artifacts, Files, error) {
	var files Files
	a := &Artifacts{Env: env, Dir: dir, ManifestPath: filepath.Join(dir, "manifest.json")}
	gen := generateCommand(dir, env)
	howTo := "build them with " + gen
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, files, fmt.Errorf("%s artifacts: folder %s does not exist; %s", env, dir, howTo)
	case err != nil:
		return nil, files, fmt.Errorf("%s artifacts: %w", env, err)
	case !st.IsDir():
		return nil, files, fmt.Errorf("%s artifacts: %s is not a folder; pass the folder that holds manifest.json", env, dir)
	}
	catalogPath := filepath.Join(dir, "catalog.json")
	_, catErr := os.Stat(catalogPath)
	if _, err := os.Stat(a.ManifestPath); errors.Is(err, fs.ErrNotExist) {
		if catErr == nil {
			return nil, files, fmt.Errorf("%s artifacts: %s has a catalog.json but no manifest.json; %s", env, dir, howTo)
		}
		return nil, files, fmt.Errorf("%s artifacts: %s not found; %s", env, a.ManifestPath, howTo)
	}

	g, _ := errgroup.WithContext(ctx)
	g.Go(func() error {
		m, data, err := readArtifact(a.ManifestPath, ParseManifest)
		a.Manifest = m
		if keep {
			files.Manifest = data
		}
		return err
	})
	if catErr == nil {
		a.CatalogPath = catalogPath
		g.Go(func() error {
			c, data, err := readArtifact(catalogPath, ParseCatalog)
			a.Catalog = c
			if keep {
				files.Catalog = data
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) && fe.Hint == "" {
			fe.Hint = "regenerate it with " + gen
		}
		return nil, files, fmt.Errorf("%s artifacts: %w", env, err)
	}
	return a, files, ctx.Err()
}

func readArtifact[T any](path string, parse func([]byte) (T, error)) (T, []byte, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, nil, err
	}
	if len(data) == 0 {
		return zero, nil, &FormatError{Path: path, Problem: "the file is empty", ByteOffset: 0}
	}
	v, err := parse(data)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Path = path
			return zero, nil, fe
		}
		return zero, nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, data, nil
}

// generateCommand says how to produce an environment's artifacts.
func generateCommand(dir string, env Env) string {
	if env == Base {
		return fmt.Sprintf("`dbt docs generate --target-path %s` on the base branch (for example main)", dir)
	}
	if filepath.Clean(dir) == "target" {
		return "`dbt docs generate` on the merge request's branch"
	}
	return fmt.Sprintf("`dbt docs generate --target-path %s` on the merge request's branch", dir)
}
