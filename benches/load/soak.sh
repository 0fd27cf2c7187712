#!/usr/bin/env bash
# Soak test: POST /api/v1/trace at a steady concurrency for a long time (default 10 minutes,
# concurrency 8, response cache off) while sampling the server's resident memory every 10 s:
# all of it (VmRSS, mostly the memory-mapped index pages) and its anonymous part (RssAnon, the
# heap, where a leak would show).
# Prints the samples and the growth between the first and the last minute.
# usage: [KIND=stitched] benches/load/soak.sh INDEX_DIR TEXTS_JSON [SECONDS] [CONCURRENCY] [CSV_OUT]
# Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
INDEX="${1:?index dir}"; TEXTS="${2:?texts json}"; SECS="${3:-600}"; CONC="${4:-8}"; CSV="${5:-target/soak-rss.csv}"
source benches/load/common.sh
setup "$INDEX" "$TEXTS"
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server $url; $(wc -l < "$bodies") distinct bodies; $SECS s at concurrency $CONC"
mkdir -p "$(dirname "$CSV")"
echo "seconds,rss_kb,rss_anon_kb,requests_200,requests_other" > "$CSV"
sample() {
  local m ok other
  m=$(curl -s "$url/metrics" | grep -E '^verbatim_requests_total\{route="/api/v1/trace"' || true)
  ok=$(echo "$m" | awk '/status="200"/ {s += $2} END {print s + 0}')
  other=$(echo "$m" | awk '!/status="200"/ && NF {s += $2} END {print s + 0}')
  echo "$1,$(awk '/VmRSS/ {print $2}' /proc/$server/status),$(awk '/RssAnon/ {print $2}' /proc/$server/status),$ok,$other" >> "$CSV"
}
sample 0
BODIES="$bodies" wrk -t2 -c"$CONC" -d"${SECS}s" --latency -s benches/load/trace.lua "$url" > "$CSV.wrk" &
wrk_pid=$!
start=$(date +%s)
while kill -0 $wrk_pid 2>/dev/null; do
  sleep 10
  sample $(( $(date +%s) - start ))
done
grep -E "Requests/sec|requests|latency p50|Non-2xx" "$CSV.wrk"
cat "$CSV"
python3 - "$CSV" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]))]
rss = [(int(r['seconds']), int(r['rss_kb'])) for r in rows]
anon = [(int(r['seconds']), int(r['rss_anon_kb'])) for r in rows if r.get('rss_anon_kb')]
first = [k for s, k in rss if 0 < s <= 60]
last = [k for s, k in rss if s > 0 and s > rss[-1][0] - 60]
print(f"rss first minute mean {sum(first)/len(first)/1024:.1f} MiB, last minute mean {sum(last)/len(last)/1024:.1f} MiB, "
      f"max {max(k for _, k in rss)/1024:.1f} MiB; growth {(sum(last)/len(last) - sum(first)/len(first))/1024:+.1f} MiB; "
      f"trace answers 200: {rows[-1]['requests_200']}, other: {rows[-1]['requests_other']}")
if anon:
    fa = [k for s, k in anon if 0 < s <= 60]
    la = [k for s, k in anon if s > 0 and s > anon[-1][0] - 60]
    print(f"anonymous rss first minute mean {sum(fa)/len(fa)/1024:.1f} MiB, last minute mean {sum(la)/len(la)/1024:.1f} MiB, "
          f"growth {(sum(la)/len(la) - sum(fa)/len(fa))/1024:+.1f} MiB")
PY
