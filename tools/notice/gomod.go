package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// mainPackage is the command whose dependencies a release ships.
const mainPackage = "./cmd/recce"

// listedPackage is what `go list -deps -json` says of one package.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	Module     *listedModule
}

type listedModule struct {
	Path    string
	Version string
	Dir     string
	Main    bool
	Replace *listedModule
}

// goComponents lists the Go standard library and every module that provides
// a package of cmd/recce on one of the platforms, with the licence files of
// each module: those at its root and those in the directories between the
// root and each package built (vendored code often carries its own).
func goComponents(ctx context.Context, root string, platforms []string) ([]component, error) {
	type mod struct {
		path, version, dir string
		pkgDirs            map[string]bool
		platforms          map[string]bool
	}
	mods := map[string]*mod{}
	std := false
	for _, p := range platforms {
		pkgs, err := listDeps(ctx, root, p)
		if err != nil {
			return nil, err
		}
		for _, pkg := range pkgs {
			if pkg.Standard {
				std = true
				continue
			}
			m := pkg.Module
			if m == nil {
				return nil, fmt.Errorf("package %s belongs to no module", pkg.ImportPath)
			}
			if m.Main {
				continue
			}
			if m.Replace != nil {
				m = m.Replace
			}
			if m.Dir == "" {
				return nil, fmt.Errorf("module %s@%s is not in the module cache: run 'go mod download' and try again", m.Path, m.Version)
			}
			key := m.Path + "@" + m.Version
			if mods[key] == nil {
				mods[key] = &mod{path: m.Path, version: m.Version, dir: m.Dir, pkgDirs: map[string]bool{}, platforms: map[string]bool{}}
			}
			mods[key].pkgDirs[pkg.Dir] = true
			mods[key].platforms[p] = true
		}
	}

	var comps []component
	if std {
		goroot, err := goEnv(ctx, root, "GOROOT")
		if err != nil {
			return nil, err
		}
		files, err := licenceFilesIn(goroot, goroot)
		if err != nil {
			return nil, err
		}
		comps = append(comps, component{kind: "go", name: "Go standard library and runtime", files: files})
	}
	keys := make([]string, 0, len(mods))
	for k := range mods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := mods[k]
		c := component{kind: "go", name: m.path, version: m.version}
		dirs := map[string]bool{}
		for d := range m.pkgDirs {
			for ; ; d = filepath.Dir(d) {
				rel, err := filepath.Rel(m.dir, d)
				if err != nil || strings.HasPrefix(rel, "..") {
					return nil, fmt.Errorf("package directory %s is outside its module %s", d, m.dir)
				}
				dirs[d] = true
				if rel == "." {
					break
				}
			}
		}
		for _, d := range sortedKeys(dirs) {
			files, err := licenceFilesIn(m.dir, d)
			if err != nil {
				return nil, err
			}
			c.files = append(c.files, files...)
		}
		if len(m.platforms) < len(platforms) {
			c.note = "only in the " + strings.Join(sortedKeys(m.platforms), ", ") + " build."
		}
		if libs := staticLibraries(m.dir); len(libs) > 0 {
			c.note = strings.TrimSpace(c.note + " Contains the prebuilt static libraries " + strings.Join(libs, ", ") +
				"; the licences of the third-party code they include are not part of the module: see the upstream project's third_party folder.")
		}
		comps = append(comps, c)
	}
	return comps, nil
}

// listDeps runs `go list -deps` on the main package for one GOOS/GOARCH.
// cgo stays on: DuckDB's bindings choose their files by it.
func listDeps(ctx context.Context, root, platform string) ([]listedPackage, error) {
	goos, goarch, ok := strings.Cut(platform, "/")
	if !ok {
		return nil, fmt.Errorf("platform %q is not GOOS/GOARCH", platform)
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-json=ImportPath,Dir,Standard,Module", mainPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list for %s: %w: %s", platform, err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list for %s: %w", platform, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func goEnv(ctx context.Context, root, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", name)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// staticLibraries names the .a archives at a module's root (DuckDB ships its
// C++ library so).
func staticLibraries(dir string) []string {
	libs, _ := filepath.Glob(filepath.Join(dir, "*.a"))
	for i, l := range libs {
		libs[i] = filepath.Base(l)
	}
	sort.Strings(libs)
	return libs
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
