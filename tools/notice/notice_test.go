package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const repoRoot = "../.."

func needNodeModules(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(repoRoot, "web", "node_modules")); err != nil {
		t.Skip("web/node_modules is missing: run 'cd web && npm ci' to test the web app's part of NOTICE")
	}
}

// Two runs give the same bytes (maps, directory order and the go command's
// output order must not leak into NOTICE).
func TestGenerateIsDeterministic(t *testing.T) {
	ctx := context.Background()
	goOnly := func() []byte {
		comps, err := goComponents(ctx, repoRoot, releasePlatforms)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkLicences(comps); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		render(&b, comps)
		return b.Bytes()
	}
	if a, b := goOnly(), goOnly(); !bytes.Equal(a, b) {
		t.Fatal("two renderings of the Go modules differ")
	}

	needNodeModules(t)
	a, err := generate(ctx, repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate(ctx, repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of the generator differ")
	}
	for _, want := range []string{"Go standard library and runtime", "github.com/duckdb/duckdb-go/v2", "@xyflow/react", "Apache License"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("NOTICE lacks %q", want)
		}
	}
}

// Every module that the Go linker put in a real recce binary is in NOTICE,
// with a licence file, and every module NOTICE names is in go.mod's build list.
func TestGoComponentsCoverTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/recce (about 20 s): not with -short")
	}
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "recce")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, mainPackage)
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}

	comps, err := goComponents(ctx, repoRoot, releasePlatforms)
	if err != nil {
		t.Fatal(err)
	}
	inNotice := map[string]component{}
	for _, c := range comps {
		inNotice[c.name+"@"+c.version] = c
	}
	if _, ok := inNotice["Go standard library and runtime@"]; !ok {
		t.Error("the Go standard library is missing")
	}
	if len(info.Deps) < 20 {
		t.Fatalf("the binary names only %d modules: is this the right build?", len(info.Deps))
	}
	for _, d := range info.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		c, ok := inNotice[d.Path+"@"+d.Version]
		if !ok {
			t.Errorf("%s@%s is in the binary but not in NOTICE", d.Path, d.Version)
			continue
		}
		if len(c.files) == 0 {
			t.Errorf("%s: no licence file in NOTICE", c.title())
		}
	}

	list := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}}@{{.Version}}", "all")
	list.Dir = repoRoot
	out, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	buildList := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		buildList[l] = true
	}
	for k, c := range inNotice {
		if c.version != "" && !buildList[k] {
			t.Errorf("NOTICE names %s, which is not in go.mod's build list", k)
		}
	}
	// The other release platform's DuckDB library is listed too.
	other := "linux/arm64"
	if runtime.GOARCH == "arm64" {
		other = "linux/amd64"
	}
	if _, ok := inNotice["github.com/duckdb/duckdb-go-bindings/lib/"+strings.ReplaceAll(other, "/", "-")+"@"+duckdbBindingsVersion(t, info)]; !ok {
		t.Errorf("DuckDB's library for %s is missing", other)
	}
}

func duckdbBindingsVersion(t *testing.T, info *buildinfo.BuildInfo) string {
	for _, d := range info.Deps {
		if d.Path == "github.com/duckdb/duckdb-go-bindings" {
			return d.Version
		}
	}
	t.Fatal("the binary has no github.com/duckdb/duckdb-go-bindings")
	return ""
}

// Only what the production build can include: runtime dependencies, not
// the test and build tools (but Vite, whose preload helper is bundled).
func TestNPMComponentsAreTheBundledOnes(t *testing.T) {
	needNodeModules(t)
	comps, err := npmComponents(filepath.Join(repoRoot, "web"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]component{}
	for _, c := range comps {
		names[c.name] = c
	}
	for _, want := range []string{"react", "react-dom", "@xyflow/react", "@codemirror/view", "@tanstack/react-query", "vite"} {
		if _, ok := names[want]; !ok {
			t.Errorf("%s is missing", want)
		}
	}
	for _, dev := range []string{"vitest", "eslint", "typescript", "jsdom", "@testing-library/react", "@types/react", "@vitejs/plugin-react"} {
		if _, ok := names[dev]; ok {
			t.Errorf("%s is a development dependency, not bundled", dev)
		}
	}
	if r := names["react"]; len(r.files) == 0 || !strings.Contains(r.files[0].text, "Meta Platforms") {
		t.Errorf("react's licence file: %+v", r.files)
	}
	if v := names["vite"]; len(v.files) != 1 || strings.Contains(v.files[0].text, "Licenses of bundled dependencies") || !strings.Contains(v.files[0].text, "MIT") {
		t.Errorf("vite's licence should be cut before its bundled dependencies' licences")
	}
}

func TestLicenceFileName(t *testing.T) {
	for name, want := range map[string]bool{
		"LICENSE": true, "LICENSE.txt": true, "LICENSE.md": true, "LICENCE": true, "license": true, "COPYING": true,
		"NOTICE": true, "PATENTS": true, "LICENSE-MIT": true, "LICENSE.Golang": true, "LICENSE-3RD-PARTY.md": true,
		"UNLICENSE": true, "CopyrightNotice.txt": true,
		"license.go": false, "license_test.go": false, "licenses.json": false, "LICENSE.js": false, "README.md": false, "AUTHORS": false,
	} {
		got := licenceFileName.MatchString(name) && !sourceFile[strings.ToLower(filepath.Ext(name))]
		if got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	const (
		mit   = "Permission is hereby granted, free of charge, to any person obtaining a copy\nof this software"
		bsd2  = "Redistribution and use in source and binary forms, with or without modification, are permitted"
		bsd3  = bsd2 + "\n * Neither the name of Google Inc. nor the names of its contributors may be used to endorse or promote products derived"
		isc   = "Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted, provided that the above copyright notice and this permission notice appear in all copies."
		zero  = "Permission to use, copy, modify, and/or distribute this software for any\npurpose with or without fee is hereby granted.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\""
		mpl   = "Mozilla Public License, version 2.0\n ... \"Secondary License\" means either the GNU General Public License, Version 2.0, the GNU Lesser General Public License, Version 2.1, the GNU Affero General Public License"
		gpl   = "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007"
		apach = "                                 Apache License\n                           Version 2.0, January 2004"
	)
	for text, want := range map[string]string{
		mit: "MIT", bsd2: "BSD-2-Clause", bsd3: "BSD-3-Clause", isc: "ISC", zero: "0BSD", mpl: "MPL-2.0", gpl: "GPL", apach: "Apache-2.0",
		bsd3 + "\n\n" + apach: "Apache-2.0,BSD-3-Clause", "https://commons.wikimedia.org/wiki/File:logo.png": "",
	} {
		if got := strings.Join(classify(text), ","); got != want {
			t.Errorf("classify(%.40q...) = %q, want %q", text, got, want)
		}
	}
}

func TestCheckLicences(t *testing.T) {
	gpl := component{kind: "go", name: "example.com/copyleft", version: "v1.0.0", files: []licenceFile{{path: "LICENSE", text: "GNU GENERAL PUBLIC LICENSE Version 3"}}}
	none := component{kind: "go", name: "example.com/silent", version: "v1.0.0", files: []licenceFile{{path: "NOTICE", text: "Made by us."}}}
	err := checkLicences([]component{gpl, none})
	if err == nil {
		t.Fatal("a GPL dependency and one without a licence passed")
	}
	for _, want := range []string{"example.com/copyleft v1.0.0: GPL is not a permissive licence", "example.com/silent v1.0.0: no licence recognised in NOTICE", "tools/notice/licence.go"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	mpl := []component{{kind: "go", name: "github.com/hashicorp/go-cleanhttp", version: "v0.5.2", files: []licenceFile{{path: "LICENSE", text: "Mozilla Public License, version 2.0"}}}}
	if err := checkLicences(mpl); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mpl[0].note, "https://proxy.golang.org/github.com/hashicorp/go-cleanhttp/@v/v0.5.2.zip") {
		t.Errorf("the reviewed MPL module's note does not say where its source is: %q", mpl[0].note)
	}

	npm := []component{{kind: "npm", name: "dual", version: "1.0.0", declared: "(GPL-2.0 OR MIT)"}}
	if err := checkLicences(npm); err != nil {
		t.Errorf("a dual GPL/MIT package is usable under MIT: %v", err)
	}
}
