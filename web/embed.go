// Package web holds the built web app of `recce server` (built from this
// folder's sources with `npm run build`; the build in dist/ is committed so
// that `go build` needs no Node.js).
package web

import "embed"

// Dist is the built app: dist/index.html and dist/assets/* (content-hashed
// names). The app routes in the browser (/lineage, /checks/<id>...), so the
// server answers index.html for paths that are not files.
//
//go:embed all:dist
var Dist embed.FS
