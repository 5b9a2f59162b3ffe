// Command notice writes the NOTICE file: the licence texts and notices of the
// third-party code that a recce release ships. That is the Go standard library
// and the Go modules compiled into cmd/recce for each release platform, read
// from the module cache, and the npm packages bundled into the embedded web
// app (web/dist), read from web/node_modules.
//
//	go run ./tools/notice -o NOTICE
//
// It needs the modules in the module cache (go mod download) and web/node_modules
// as `npm ci` leaves it. It fails when a component's licence is not one that an
// Apache-2.0 project can ship as it is, unless the component was reviewed
// (see reviewed below). The output is deterministic: .ci/run regenerates it and
// fails when the committed NOTICE differs.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// releasePlatforms are the GOOS/GOARCH pairs that scripts/release builds.
// DuckDB's prebuilt library is a different module per platform.
var releasePlatforms = []string{"linux/amd64", "linux/arm64"}

func main() {
	out := flag.String("o", "", "write to this file instead of standard output")
	root := flag.String("C", ".", "the repository root")
	flag.Parse()
	if err := run(context.Background(), *root, *out); err != nil {
		fmt.Fprintln(os.Stderr, "notice: "+err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context, root, out string) error {
	text, err := generate(ctx, root)
	if err != nil {
		return err
	}
	if out == "" {
		_, err := os.Stdout.Write(text)
		return err
	}
	return writeFileAtomic(out, text)
}

// generate builds the whole NOTICE text.
func generate(ctx context.Context, root string) ([]byte, error) {
	goComps, err := goComponents(ctx, root, releasePlatforms)
	if err != nil {
		return nil, err
	}
	npmComps, err := npmComponents(filepath.Join(root, "web"))
	if err != nil {
		return nil, err
	}
	comps := append(goComps, npmComps...)
	if err := checkLicences(comps); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	render(&b, comps)
	return b.Bytes(), nil
}

// writeFileAtomic replaces path with data, never leaving half a file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".notice-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
