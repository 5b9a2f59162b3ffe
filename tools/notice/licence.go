package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// component is one piece of third-party software in a release.
type component struct {
	kind     string // "go" or "npm"
	name     string
	version  string
	declared string // the licence a package says it has (npm's package.json), if any
	files    []licenceFile
	note     string
}

// licenceFile is a licence or notice file of a component.
type licenceFile struct {
	path string // relative to the component's root, slash-separated
	text string
}

func (c component) title() string {
	if c.version == "" {
		return c.name
	}
	return c.name + " " + c.version
}

// licenceFileName matches the files a release must carry: licences,
// notices, patent grants. Source files (license.go) are not among them.
var licenceFileName = regexp.MustCompile(`(?i)^(licen[cs]e|copying|unlicense|notice|patents|copyrightnotice)([-._][^.]*)?(\.(txt|md|markdown|rst))?$`)

// sourceFile are extensions of code that a licence-like name can have
// (client-go's license.go is an API client, not a licence).
var sourceFile = map[string]bool{".go": true, ".js": true, ".cjs": true, ".mjs": true, ".ts": true, ".json": true, ".c": true, ".h": true, ".s": true}

// licenceFilesIn reads the licence files directly in dir; paths are made
// relative to root.
func licenceFilesIn(root, dir string) ([]licenceFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []licenceFile
	for _, e := range entries {
		if !e.Type().IsRegular() || !licenceFileName.MatchString(e.Name()) || sourceFile[strings.ToLower(filepath.Ext(e.Name()))] {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil, err
		}
		files = append(files, licenceFile{path: filepath.ToSlash(rel), text: normalise(string(b))})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// normalise makes texts that differ only in line endings, trailing spaces
// or blank lines at either end compare equal.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// isPrimary tells the files that state a component's own licence from the
// notices, patent grants and third-party lists that come with it.
func isPrimary(path string) bool {
	base := strings.ToLower(filepath.Base(path))
	if strings.Contains(path, "/") {
		return false // vendored code's own licence, carried but not the component's
	}
	for _, aux := range []string{"notice", "patents", "3rd-party", "third-party", "logo", "copyrightnotice"} {
		if strings.Contains(base, aux) {
			return false
		}
	}
	return true
}

// A licence is recognised by phrases of its text. Order matters where one
// text contains another's phrase (ISC and 0BSD share their grant).
var licencePhrases = []struct {
	id      string
	phrases []string // all must appear (compared without case and with spaces collapsed)
	without string   // and this must not
}{
	{id: "Apache-2.0", phrases: []string{"apache license", "version 2.0"}},
	{id: "MPL-2.0", phrases: []string{"mozilla public license", "2.0"}},
	{id: "MIT", phrases: []string{"permission is hereby granted, free of charge, to any person obtaining a copy"}},
	{id: "BSD-3-Clause", phrases: []string{"redistribution and use in source and binary forms", "may be used to endorse or promote products"}},
	{id: "BSD-2-Clause", phrases: []string{"redistribution and use in source and binary forms"}, without: "may be used to endorse or promote products"},
	{id: "ISC", phrases: []string{"permission to use, copy, modify, and", "distribute this software for any purpose with or without fee is hereby granted", "provided that the above copyright notice"}},
	{id: "0BSD", phrases: []string{"permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby granted."}, without: "provided that the above copyright notice"},
	{id: "Unlicense", phrases: []string{"this is free and unencumbered software released into the public domain"}},
	{id: "blessing", phrases: []string{"the author disclaims copyright to this source code"}},
	{id: "public-domain", phrases: []string{"dedicated", "to the public domain"}},
	// MPL-2.0 names the GNU licences as "Secondary Licenses".
	{id: "GPL", phrases: []string{"gnu general public license"}, without: "mozilla public license"},
	{id: "LGPL", phrases: []string{"gnu lesser general public license"}, without: "mozilla public license"},
	{id: "AGPL", phrases: []string{"gnu affero general public license"}, without: "mozilla public license"},
}

var spaces = regexp.MustCompile(`[\s*#>]+`)

// classify names the licences whose phrases appear in text, sorted.
func classify(text string) []string {
	t := spaces.ReplaceAllString(strings.ToLower(text), " ")
	var ids []string
	for _, l := range licencePhrases {
		ok := l.without == "" || !strings.Contains(t, l.without)
		for _, p := range l.phrases {
			ok = ok && strings.Contains(t, p)
		}
		if ok {
			ids = append(ids, l.id)
		}
	}
	sort.Strings(ids)
	return ids
}

// licences is what the component is licensed under: the package's own
// declaration where it has one (npm), else what its primary files say.
func (c component) licences() []string {
	if c.declared != "" {
		return spdxIDs(c.declared)
	}
	seen := map[string]bool{}
	for _, f := range c.files {
		if isPrimary(f.path) {
			for _, id := range classify(f.text) {
				seen[id] = true
			}
		}
	}
	return sortedKeys(seen)
}

// spdxIDs reads a declared SPDX expression: of "A OR B" the first
// alternative that is all permissive, else every identifier named.
func spdxIDs(expr string) []string {
	expr = strings.NewReplacer("(", " ", ")", " ").Replace(expr)
	for _, alt := range strings.Split(expr, " OR ") {
		ids := strings.Fields(strings.ReplaceAll(alt, " AND ", " "))
		ok := len(ids) > 0
		for _, id := range ids {
			ok = ok && permissive[id]
		}
		if ok {
			return ids
		}
	}
	return strings.Fields(strings.NewReplacer(" OR ", " ", " AND ", " ").Replace(expr))
}

// permissive are the licences whose code an Apache-2.0 project ships in its
// binaries with nothing more than their texts and notices.
var permissive = map[string]bool{
	"Apache-2.0": true, "MIT": true, "BSD-2-Clause": true, "BSD-3-Clause": true, "ISC": true,
	"0BSD": true, "Unlicense": true, "blessing": true, "public-domain": true, "CC0-1.0": true,
}

// reviewed are the components whose licence is not in permissive and that
// were checked by hand; the reason is printed in NOTICE. A new one fails the
// generator until someone reviews it and adds it here.
var reviewed = map[string]string{
	"github.com/hashicorp/go-cleanhttp":     mplNote,
	"github.com/hashicorp/go-retryablehttp": mplNote,
}

const mplNote = "MPL-2.0, a file-level copyleft: recce uses these files unmodified; " +
	"their source is at https://proxy.golang.org/%s/@v/%s.zip (MPL-2.0 section 3.2)."

// checkLicences fails on a component with no licence found, or with one that
// is neither permissive nor reviewed; it adds the review notes.
func checkLicences(comps []component) error {
	var problems []string
	for i := range comps {
		c := &comps[i]
		ids := c.licences()
		if len(ids) == 0 {
			problems = append(problems, fmt.Sprintf("%s: no licence recognised in %s", c.title(), filePaths(c.files)))
			continue
		}
		for _, id := range ids {
			if permissive[id] {
				continue
			}
			note, ok := reviewed[c.name]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s is not a permissive licence", c.title(), id))
				continue
			}
			if strings.Contains(note, "%s") {
				note = fmt.Sprintf(note, c.name, c.version)
			}
			c.note = strings.TrimSpace(c.note + " " + note)
			break
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("licences to review (then add each to 'reviewed' in tools/notice/licence.go, or drop the dependency):\n  %s",
			strings.Join(problems, "\n  "))
	}
	return nil
}

func filePaths(files []licenceFile) string {
	if len(files) == 0 {
		return "(no licence file)"
	}
	p := make([]string, len(files))
	for i, f := range files {
		p[i] = f.path
	}
	return strings.Join(p, ", ")
}
