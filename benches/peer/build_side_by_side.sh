#!/usr/bin/env bash
# Index build side by side: verbatim, then infini-gram 2.6.0 (../shared/peer/infini-gram),
# on the same corpus and tokenizer, one after the other in one run on an otherwise idle machine.
#
# usage: benches/peer/build_side_by_side.sh [CORPUS_DIR] [WORK_DIR]
# Prints wall time, peak memory (whole process tree for infini-gram) and bytes per token.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
CORPUS="${1:-../shared/data/corpora/medium}"
WORK="${2:-/tmp/verbatim-build-bench}"
TOKENIZER="${TOKENIZER:-../shared/data/tokenizers/olmo-gpt-neox.json}"
PEER="$(cd ../shared/peer/infini-gram && pwd)"
mkdir -p "$WORK"
cargo build --release --locked -q
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== verbatim index"
/usr/bin/time -v -o "$WORK/verbatim.time" target/release/verbatim index --input "$CORPUS" \
  --out "$WORK/verbatim-index" --tokenizer "$TOKENIZER" --name medium --force | tee "$WORK/verbatim.log"
grep -E "Elapsed|Maximum resident" "$WORK/verbatim.time"
echo "== infini-gram 2.6.0 (run_peer.sh; its query benchmark shortened to NQ=10 SPAN_TEXTS=1)"
NQ=10 SPAN_TEXTS=1 bash "$PEER/run_peer.sh" "$CORPUS" "$WORK/peer" 2>&1 | tee "$WORK/peer.log"
