#!/usr/bin/env bash
# The lineage graph's browser benchmark (docs/benchmarks.md, "The lineage
# graph in the browser"): this checkout's recce against a baseline built
# from a git revision, side by side, on generated projects.
#
#   bench/web/run.sh [BASELINE_REF] [RUNS] [SIZES]
#     BASELINE_REF  git revision to compare with (default: main); "none" runs this checkout alone
#     RUNS          runs per size and binary (default 5)
#     SIZES         models per project, comma-separated (default 500,2000,5000,10000)
#
# Needs Go, Node.js 20, and Chromium (/usr/bin/chromium, or $CHROMIUM).
# Results: the medians on stdout, every run in bench/out/web.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=${1:-main}
runs=${2:-5}
sizes=${3:-500,2000,5000,10000}
out=bench/out
mkdir -p "$out"

go build -o "$out/recce" ./cmd/recce
bins=(--bin "current=$out/recce")
if [ "$ref" != none ]; then
  # The baseline's web app is the one committed in its web/dist, as in its binary.
  src="$out/baseline-src"
  rm -rf "$src" && mkdir -p "$src"
  git archive "$ref" | tar -x -C "$src"
  (cd "$src" && go build -o ../recce-baseline ./cmd/recce)
  bins=(--bin "baseline=$out/recce-baseline" "${bins[@]}")
fi

projects=()
for n in ${sizes//,/ }; do
  p="$out/web-$n"
  [ -f "$p/target/manifest.json" ] || "$out/recce" demo "$p" --models "$n" --artifacts-only --force >/dev/null
  projects+=(--project "$p")
done

[ -d bench/web/node_modules/playwright-core ] || (cd bench/web && npm ci)
node bench/web/lineage.mjs "${projects[@]}" "${bins[@]}" --runs "$runs" --json "$out/web.json"
