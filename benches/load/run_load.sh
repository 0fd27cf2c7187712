#!/usr/bin/env bash
# Load test of POST /api/v1/trace with wrk on loopback: 450-token outputs, concurrency 1, 8, 64.
# usage: [KIND=stitched] benches/load/run_load.sh INDEX_DIR TEXTS_JSON [SECONDS]
#   TEXTS_JSON: {"texts": [{"text": ..., "kind"?: ...}]}, e.g. the side-by-side inputs written by
#   benches/peer/bench_peer_side_by_side.py --dump-inputs; KIND keeps only texts of that kind
#   ("stitched": the 50 outputs of ~450 tokens).
# The response cache is off so every request is computed. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
INDEX="${1:?index dir}"; TEXTS="${2:?texts json}"; SECS="${3:-30}"
source benches/load/common.sh
setup "$INDEX" "$TEXTS"
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server $url; $(wc -l < "$bodies") distinct bodies"
# Warm-up, not recorded: the first traces fault the index's pages into memory.
BODIES="$bodies" wrk -t1 -c2 -d10s -s benches/load/trace.lua "$url" >/dev/null
for c in 1 8 64; do
  t=$(( c < 2 ? 1 : 2 ))
  echo "== concurrency $c ($SECS s)"
  BODIES="$bodies" wrk -t"$t" -c"$c" -d"${SECS}s" --latency -s benches/load/trace.lua "$url" | grep -E "Requests/sec|requests|latency p50|Non-2xx|Socket errors"
  echo "rss_kb $(awk '/VmRSS/ {print $2}' /proc/$server/status)"
done
curl -s "$url/metrics" | grep -E 'verbatim_requests_total\{route="/api/v1/trace"' || true
