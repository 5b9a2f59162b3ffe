package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// notBuilt is the page "/" shows when the binary carries no web app.
const notBuilt = `recce server: the web app was not built into this binary.

The API works (see docs/api.md, for example /api/info). To get the app, build
it and rebuild recce:

    cd web && npm ci && npm run build && cd .. && go build ./cmd/recce
`

// webApp serves the built single-page app: its files as they are, and
// index.html for any other path (the app routes in the browser, so a
// reload of /checks must get the app). Assets have content-hashed names
// and are cached for a year; index.html is revalidated every time, so a
// new build is picked up at the next load.
func webApp(dist fs.FS) http.Handler {
	if dist == nil {
		return notBuiltHandler()
	}
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		return notBuiltHandler()
	}
	z := &compressed{dist: dist}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		data, err := fs.ReadFile(dist, name)
		switch {
		case name == "" || name == "index.html" || (err != nil && !staticFile(name)):
			// The app's own routes (/lineage, /settings/gitlab...).
			w.Header().Set("Cache-Control", "no-cache")
			serveBytes(w, r, "index.html", index, z)
		case err != nil && name == "favicon.ico":
			// Browsers ask for it whatever the page says; "no icon" keeps
			// a 404 out of every page's console.
			w.Header().Set("Cache-Control", "public, max-age=86400")
			w.WriteHeader(http.StatusNoContent)
		case err != nil:
			http.NotFound(w, r)
		default:
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			serveBytes(w, r, name, data, z)
		}
	})
}

// staticFile tells whether a missing path names a file (a script, a style,
// an image) rather than a route of the app: those answer 404, never HTML,
// or the browser reports a confusing MIME error. Routes may hold dots
// (/lineage/model.my_project.customers).
func staticFile(name string) bool {
	if strings.HasPrefix(name, "assets/") {
		return true
	}
	switch path.Ext(name) {
	case ".js", ".mjs", ".css", ".map", ".json", ".txt", ".xml", ".ico", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".woff", ".woff2", ".ttf", ".wasm", ".html":
		return true
	}
	return false
}

// compressed holds the app's files compressed, made once per file and
// encoding: gzip when first asked for (quick), Brotli in the background for
// every file at the first request (level 11 takes a few seconds for the
// app's megabyte of JavaScript, and saves a fifth more than gzip); until a
// file's Brotli is ready, its gzip is served.
type compressed struct {
	dist  fs.FS
	gz    sync.Map // file name -> gzipped bytes (nil when not worth it)
	br    sync.Map // file name -> Brotli bytes (nil when not worth it)
	start sync.Once
}

// brotliAll compresses every compressible file of the app with Brotli.
func (z *compressed) brotliAll() {
	_ = fs.WalkDir(z.dist, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible(mime.TypeByExtension(path.Ext(name))) {
			return nil
		}
		data, err := fs.ReadFile(z.dist, name)
		if err != nil {
			return nil
		}
		var b bytes.Buffer
		bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
		_, _ = bw.Write(data)
		_ = bw.Close()
		var out []byte
		if b.Len() < len(data) {
			out = b.Bytes()
		}
		z.br.Store(name, out)
		return nil
	})
}

// encoding picks the body to send for a file: Brotli when the client takes
// it and it is ready, else gzip when the client takes it, else the file.
func (z *compressed) encoding(r *http.Request, name string, data []byte) (string, []byte) {
	accepts := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	if accepts["br"] {
		z.start.Do(func() { go z.brotliAll() })
		if v, ok := z.br.Load(name); ok && v.([]byte) != nil {
			return "br", v.([]byte)
		}
	}
	if accepts["gzip"] {
		if b := gzipped(&z.gz, name, data); b != nil {
			return "gzip", b
		}
	}
	return "", data
}

// acceptedEncodings reads Accept-Encoding: the codings named, less those
// refused with q=0.
func acceptedEncodings(header string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		if coding != "" {
			out[strings.ToLower(coding)] = true
		}
	}
	return out
}

// serveBytes answers a file's content, compressed when the client accepts
// it and the type compresses (scripts, styles, JSON, SVG: the app is about
// a megabyte of JavaScript).
func serveBytes(w http.ResponseWriter, r *http.Request, name string, data []byte, z *compressed) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Add("Vary", "Accept-Encoding")
	if z != nil && compressible(ctype) {
		var coding string
		if coding, data = z.encoding(r, name, data); coding != "" {
			w.Header().Set("Content-Encoding", coding)
		}
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") || strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func gzipped(cache *sync.Map, name string, data []byte) []byte {
	if v, ok := cache.Load(name); ok {
		return v.([]byte)
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	var out []byte
	if b.Len() < len(data) {
		out = b.Bytes()
	}
	cache.Store(name, out)
	return out
}

func notBuiltHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, notBuilt)
	})
}

// WebAppFS returns the app inside an embedded tree (web.Dist holds it
// under dist/), or nil when it is missing, so that the server starts and
// says the app was not built.
func WebAppFS(tree fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(tree, dir)
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); errors.Is(err, fs.ErrNotExist) || err != nil {
		return nil
	}
	return sub
}
