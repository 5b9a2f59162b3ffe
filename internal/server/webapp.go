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
	"strings"
	"sync"
	"time"
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
	var gz sync.Map // file name -> gzipped bytes (nil when not worth it)
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
			serveBytes(w, r, "index.html", index, nil)
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
			serveBytes(w, r, name, data, &gz)
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

// serveBytes answers a file's content, gzipped when the client accepts it
// and the type compresses (scripts, styles, JSON, SVG: the app is about
// a megabyte of JavaScript).
func serveBytes(w http.ResponseWriter, r *http.Request, name string, data []byte, cache *sync.Map) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Add("Vary", "Accept-Encoding")
	if cache != nil && compressible(ctype) && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		if z := gzipped(cache, name, data); z != nil {
			w.Header().Set("Content-Encoding", "gzip")
			data = z
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
