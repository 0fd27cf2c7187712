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
bodies=$(mktemp)
python3 -c "
import json, sys
kind = sys.argv[2]
for t in json.load(open(sys.argv[1]))['texts']:
    if not kind or t.get('kind') == kind:
        print(json.dumps({'response': t['text']}))
" "$TEXTS" "${KIND:-}" > "$bodies"
[ -s "$bodies" ] || { echo "no texts of kind '${KIND:-}' in $TEXTS" >&2; exit 1; }
log=$(mktemp)
target/release/verbatim serve --index "$INDEX" --addr 127.0.0.1:0 --cache-entries 0 --no-verify 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$bodies" "$log"' EXIT
for _ in $(seq 1 300); do url=$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true); [ -n "$url" ] && break; sleep 0.1; done
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
