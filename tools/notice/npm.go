package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// lockFile is the part of package-lock.json (lockfileVersion 2 or 3) read here.
type lockFile struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockPackage `json:"packages"`
}

type lockPackage struct {
	Version     string `json:"version"`
	Dev         bool   `json:"dev"`
	DevOptional bool   `json:"devOptional"`
	Link        bool   `json:"link"`
}

// bundlerRuntime are build tools whose own code lands in web/dist: Vite
// injects its module-preload helper into the bundle.
var bundlerRuntime = []string{"vite"}

// npmComponents lists the packages of web/package-lock.json that the web
// app's production build can include: the production dependencies and their
// dependencies (not "dev"), less type declarations, plus bundlerRuntime.
// Licence files come from web/node_modules, which must match the lock file.
func npmComponents(webDir string) ([]component, error) {
	b, err := os.ReadFile(filepath.Join(webDir, "package-lock.json"))
	if err != nil {
		return nil, err
	}
	var lock lockFile
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("web/package-lock.json: %w", err)
	}
	if lock.LockfileVersion < 2 || lock.Packages == nil {
		return nil, fmt.Errorf("web/package-lock.json: lockfileVersion %d has no \"packages\": regenerate it with npm 7 or later", lock.LockfileVersion)
	}
	if _, err := os.Stat(filepath.Join(webDir, "node_modules")); errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("web/node_modules is missing: run 'cd web && npm ci' first (the licence files of the web app's packages are read from it)")
	}

	var comps []component
	for key, p := range lock.Packages {
		name := packageName(key)
		if name == "" || p.Link {
			continue
		}
		bundler := false
		for _, b := range bundlerRuntime {
			bundler = bundler || key == "node_modules/"+b
		}
		if !bundler && (p.Dev || p.DevOptional || strings.HasPrefix(name, "@types/")) {
			continue
		}
		c, err := npmComponent(filepath.Join(webDir, filepath.FromSlash(key)), name, p.Version)
		if err != nil {
			return nil, err
		}
		if bundler {
			c.note = strings.TrimSpace(c.note + " A build tool: only its runtime helper is in the bundle, under the licence above.")
		}
		comps = append(comps, c)
	}
	sort.Slice(comps, func(i, j int) bool {
		if comps[i].name != comps[j].name {
			return comps[i].name < comps[j].name
		}
		return comps[i].version < comps[j].version
	})
	return comps, nil
}

// packageName is the package name of a lock file key
// ("node_modules/a/node_modules/@s/b" is "@s/b"); "" for the root project.
func packageName(key string) string {
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 {
		return ""
	}
	return key[i+len("node_modules/"):]
}

func npmComponent(dir, name, version string) (component, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return component{}, fmt.Errorf("%s is not installed in web/node_modules: run 'cd web && npm ci'", name)
	}
	var pj struct {
		Version string          `json:"version"`
		License json.RawMessage `json:"license"`
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return component{}, fmt.Errorf("%s/package.json: %w", name, err)
	}
	if pj.Version != version {
		return component{}, fmt.Errorf("web/node_modules has %s %s but package-lock.json says %s: run 'cd web && npm ci'", name, pj.Version, version)
	}
	c := component{kind: "npm", name: name, version: version, declared: declaredLicence(pj.License)}
	c.files, err = licenceFilesIn(dir, dir)
	if err != nil {
		return component{}, err
	}
	for i, f := range c.files {
		// Bundlers append their own dependencies' licences; those are not in web/dist.
		if head, _, ok := strings.Cut(f.text, "\n# Licenses of bundled dependencies"); ok {
			c.files[i].text = normalise(head)
		}
	}
	if len(c.files) == 0 {
		c.note = "The package has no licence file; its package.json declares " + c.declared + "."
	}
	return c, nil
}

// declaredLicence reads package.json's "license": an SPDX string, or the old
// {"type": "MIT"} form.
func declaredLicence(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct{ Type string }
	if json.Unmarshal(raw, &o) == nil {
		return o.Type
	}
	return ""
}
