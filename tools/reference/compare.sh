#!/usr/bin/env bash
# Runs the reference workloads W1–W4 on both sides in one go and prints ms/step:
#   tfjs completed WASM, stock WASM, stock pure-JS cpu (fewer steps) — packages/core/bench/workloads.bench.ts
#   PyTorch CPU, one thread — tools/reference/workloads.py (needs python3-torch; optional, never in CI)
# Usage: tools/reference/compare.sh [W1,W2,W3,W4]   (from the repository root)
#   MODES="wasm cpu" picks the tfjs backends (default: wasm wasm-stock cpu); PYTHON=/usr/bin/python3 picks the
#   interpreter that has torch (Debian's python3-torch lives in /usr/bin/python3).
set -uo pipefail
cd "$(dirname "$0")/../.."
ONLY=${1:-W1,W2,W3,W4}
PY=${PYTHON:-python3}
out=$(mktemp -d)
run_ts() { # mode, workloads
  (cd packages/core && LAB_BENCH_BACKEND=$1 LAB_BENCH_ONLY=$2 npx vitest bench --run bench/workloads.bench.ts \
    --outputJson "$out/$1.json" 2>&1 | grep '\[lab-bench\]')
  node -e '
    const d = require(process.argv[1]);
    for (const f of d.files) for (const g of f.groups) for (const b of g.benchmarks)
      if (b.sampleCount > 0) console.log(`${b.name.padEnd(20)} wall median ${b.median.toFixed(1)} ms/step (mean ${b.mean.toFixed(1)}, ${b.sampleCount} steps)`);
  ' "$out/$1.json" 2>/dev/null || echo "($1: no result)"
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in ${MODES:-wasm wasm-stock cpu}; do run_ts "$mode" "$ONLY"; done
if $PY -c 'import torch' 2>/dev/null; then $PY tools/reference/workloads.py --only "$ONLY"; else echo "(PyTorch not installed: apt-get install python3-torch libopenblas0-pthread)"; fi
