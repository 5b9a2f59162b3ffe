package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"

	"gitlab.com/recce-go/recce/internal/fixtures"
)

var testApp = fstest.MapFS{
	"index.html":             {Data: []byte(`<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`)},
	"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('recce');\n", 200))},
	"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
}

func TestWebApp(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.WebApp = testApp })

	index := h.ok(200, "GET", "/", nil)
	if !strings.Contains(string(index.body), `<div id="root">`) || index.header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(index.header.Get("Content-Type"), "text/html") {
		t.Errorf("/: %v %s", index.header, index.body)
	}
	// The app's own routes get the app, so a reload of /checks works.
	for _, route := range []string{"/checks", "/settings/integrations/gitlab", "/lineage/model.jaffle_shop.customers"} {
		if r := h.ok(200, "GET", route, nil); !bytes.Equal(r.body, index.body) {
			t.Errorf("%s is not the app", route)
		}
	}
	asset := h.ok(200, "GET", "/assets/index-abc123.js", nil)
	if asset.header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(asset.header.Get("Content-Type"), "javascript") {
		t.Errorf("asset headers: %v", asset.header)
	}
	// A missing script is a 404, never the HTML page.
	h.ok(404, "GET", "/assets/index-gone.js", nil)
	h.ok(404, "GET", "/robots.txt", nil)
	h.ok(200, "GET", "/favicon.svg", nil)
	h.ok(204, "GET", "/favicon.ico", nil) // asked for by browsers; none in this app

	// Compressed for clients that accept it.
	z := h.ok(200, "GET", "/assets/index-abc123.js", nil, "Accept-Encoding", "gzip")
	if z.header.Get("Content-Encoding") != "gzip" || len(z.body) >= len(asset.body) {
		t.Fatalf("gzip: %v, %d bytes of %d", z.header, len(z.body), len(asset.body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(z.body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, asset.body) {
		t.Error("gzipped asset differs from the file")
	}
	h.ok(405, "POST", "/checks", "")

	// Brotli, for clients that accept it, once made in the background (gzip until then).
	var br response
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		br = h.ok(200, "GET", "/assets/index-abc123.js", nil, "Accept-Encoding", "gzip, deflate, br")
		if enc := br.header.Get("Content-Encoding"); enc == "br" || time.Now().After(deadline) {
			break
		} else if enc != "gzip" {
			t.Fatalf("before Brotli is ready: Content-Encoding %q, want gzip", enc)
		}
	}
	if br.header.Get("Content-Encoding") != "br" || len(br.body) >= len(z.body) {
		t.Fatalf("br: %v, %d bytes (gzip %d)", br.header, len(br.body), len(z.body))
	}
	if plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br.body))); err != nil || !bytes.Equal(plain, asset.body) {
		t.Errorf("Brotli asset differs from the file (%v)", err)
	}
	// A coding refused with q=0 is not used.
	if r := h.ok(200, "GET", "/assets/index-abc123.js", nil, "Accept-Encoding", "br;q=0, gzip"); r.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("br;q=0: %v", r.header)
	}
	if r := h.ok(200, "GET", "/assets/index-abc123.js", nil, "Accept-Encoding", "identity"); r.header.Get("Content-Encoding") != "" || !bytes.Equal(r.body, asset.body) {
		t.Errorf("identity: %v", r.header)
	}
}

func TestWebAppNotBuilt(t *testing.T) {
	h := newHarness(t, jaffleEnv(t)) // WebApp nil
	r := h.ok(503, "GET", "/", nil)
	if !strings.Contains(string(r.body), "the web app was not built") || !strings.Contains(string(r.body), "npm run build") {
		t.Errorf("/ without the app: %s", r.body)
	}
	h.ok(200, "GET", "/api/health", nil) // the API works
	if WebAppFS(fstest.MapFS{"other/index.html": {}}, "dist") != nil {
		t.Error("a tree without dist/index.html counts as a built app")
	}
}

// TestEmbeddedWebApp serves the committed build of web/ (web/dist), as the
// binary embeds it.
func TestEmbeddedWebApp(t *testing.T) {
	dist := filepath.Join(fixtures.Root(t), "web", "dist")
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("web/dist/index.html is missing: build the app (cd web && npm ci && npm run build) and commit web/dist: %v", err)
	}
	app := WebAppFS(os.DirFS(filepath.Dir(dist)), "dist")
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.WebApp = app })
	index := string(h.ok(200, "GET", "/", nil).body)
	// Every script and stylesheet index.html names is served with its type;
	// and none is inline, which the Content-Security-Policy would block.
	for _, ref := range assetRefs(index) {
		r := h.ok(200, "GET", ref, nil)
		if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Errorf("%s: Content-Type %q", ref, ct)
		}
	}
	if strings.Contains(index, "<script>") || strings.Contains(index, "<script type=\"module\">") {
		t.Error("index.html holds an inline script: the CSP blocks it")
	}
}

func assetRefs(html string) []string {
	var refs []string
	for _, attr := range []string{`src="`, `href="`} {
		for rest := html; ; {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			ref := rest[:strings.IndexByte(rest, '"')]
			if strings.HasPrefix(ref, "/assets/") {
				refs = append(refs, ref)
			}
		}
	}
	return refs
}
