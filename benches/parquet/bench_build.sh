#!/usr/bin/env bash
# Times `verbatim index` on the same documents as JSONL and as Parquet, interleaved
# (JSONL, Parquet, JSONL, Parquet, ...), recording the load average before each run, the wall
# time, CPU time (user + system) and maximum RSS (/usr/bin/time) and the manifest's timings and peak_rss_bytes.
#   benches/parquet/bench_build.sh JSONL_DIR PARQUET_DIR SCRATCH [ROUNDS=2]
# Needs target/release/verbatim and ../shared/data/tokenizers/olmo-gpt-neox.json.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$here/target/release/verbatim
tok=$here/../shared/data/tokenizers/olmo-gpt-neox.json
jsonl=$1 parquet=$2 scratch=$3 rounds=${4:-2}
mkdir -p "$scratch"
for r in $(seq 1 "$rounds"); do
  for kind in jsonl parquet; do
    input=$jsonl; [ "$kind" = parquet ] && input=$parquet
    out=$scratch/idx-$kind
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -f '%e %M %U %S' -o "$scratch/time.txt" \
      "$bin" index --input "$input" --out "$out" --tokenizer "$tok" --force --json > "$scratch/$kind-$r.json"
    read -r wall maxrss user sys < "$scratch/time.txt"
    python3 - "$scratch/$kind-$r.json" "$kind" "$r" "$load" "$wall" "$maxrss" "$user" "$sys" <<'PY'
import json, sys
path, kind, r, load, wall, maxrss, user, system = sys.argv[1:]
m = json.load(open(path))["manifest"]
t = m["timings"]
print(f"round {r} {kind:7s} load {load:15s} wall {float(wall):6.1f} s  cpu {float(user) + float(system):6.1f} s  read_tokenize {t['read_tokenize']:5.1f} s"
      f"  suffix_array {t['suffix_array']:4.1f} s  peak_rss {m['peak_rss_bytes']/2**20:7.1f} MiB"
      f"  (time: {int(maxrss)/1024:7.1f} MiB)  docs {m['documents']} tokens {m['tokens']}")
PY
  done
done
