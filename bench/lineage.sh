#!/usr/bin/env bash
# Lineage diff on a large project, against the time Python needs only to
# parse the same two manifests (issue 2's bar: less than half of it).
#
#   bench/lineage.sh [MODELS] [RUNS]     (defaults: 10000 models, 7 runs)
#
# Generates a synthetic pair with `recce demo --models N --artifacts-only`,
# then times, alternately so that machine noise hits both alike:
#   A: python3 -c 'import json; json.load(open(A)); json.load(open(B))'
#   B: recce lineage-diff --format json > /dev/null
# and prints medians, the ratio B/A and peak memory (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
models=${1:-10000}
runs=${2:-7}
out=bench/out
mkdir -p "$out"
go build -o "$out/recce" ./cmd/recce
proj="$out/lineage-$models"
if [ ! -f "$proj/target/manifest.json" ]; then
  "$out/recce" demo "$proj" --models "$models" --artifacts-only --force >/dev/null
fi
base="$proj/target-base/manifest.json"
cur="$proj/target/manifest.json"
size=$(du -m "$base" | cut -f1)
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt install time)" >&2; exit 1; }

py=(); go=(); pymem=(); gomem=()
for i in $(seq "$runs"); do
  t=$( { /usr/bin/time -f "%e %M" python3 -c "import json; json.load(open('$base')); json.load(open('$cur'))" >/dev/null; } 2>&1 | tail -1)
  py+=("${t% *}"); pymem+=("${t#* }")
  t=$( { /usr/bin/time -f "%e %M" "$out/recce" lineage-diff --format json --target-base-path "$proj/target-base" --target-path "$proj/target" >/dev/null; } 2>&1 | tail -1)
  go+=("${t% *}"); gomem+=("${t#* }")
done
python3 - "$models" "$size" "${py[*]}" "${go[*]}" "${pymem[*]}" "${gomem[*]}" <<'PY'
import statistics, sys
models, size = sys.argv[1], sys.argv[2]
py, go, pym, gom = ([float(x) for x in a.split()] for a in sys.argv[3:7])
mp, mg = statistics.median(py), statistics.median(go)
print(f"synthetic project: {models} models per side, {size} MB per manifest, {len(py)} runs each")
print(f"python3 json.load of both manifests   median {mp:.2f} s   peak {statistics.median(pym)/1024:.0f} MB")
print(f"recce lineage-diff --format json       median {mg:.2f} s   peak {statistics.median(gom)/1024:.0f} MB")
print(f"ratio recce / python parse: {mg/mp:.2f}  (must be < 0.5)")
PY
