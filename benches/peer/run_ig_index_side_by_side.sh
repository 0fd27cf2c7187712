#!/usr/bin/env bash
# Query latencies side by side on ONE infini-gram index (issue 12): verbatim serving it in place
# (benches/side_by_side.rs, in process) then infini-gram's own Python engine on the same files,
# same 1,000 n-grams and 100 texts, back to back in one run.
#
# usage: benches/peer/run_ig_index_side_by_side.sh VERBATIM_VIEW_OF_THE_IG_INDEX OUT.json [PEER_PYTHON]
#   VERBATIM_VIEW_OF_THE_IG_INDEX: the infini-gram directory, or its `verbatim attach` side dir.
# Build first (outside any timing lock): cargo build --release --locked --bench side_by_side
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VINDEX="${1:?usage: run_ig_index_side_by_side.sh INDEX OUT.json [PEER_PYTHON]}"
OUT="${2:?usage: run_ig_index_side_by_side.sh INDEX OUT.json [PEER_PYTHON]}"
PY="${3:-/work/peer/ig/venv/bin/python}"
inputs="${INPUTS:-$(dirname "$OUT")/ig_side_by_side_inputs.json}"
# The inputs of bench_peer_side_by_side.py (compare_peer.sample_queries / build_texts, seed 0).
[ -f "$inputs" ] || "$PY" - "$inputs" <<'PY'
import json, sys
sys.path.insert(0, 'benches/peer')
import compare_peer as cp
ds, tok = cp.open_ds(), cp.load_tokenizer()
texts = cp.build_texts(ds, tok)
json.dump({'queries': cp.sample_queries(ds, 1000, 0),
           'texts': [{k: t[k] for k in ('kind', 'source', 'text', 'ids')} for t in texts]}, open(sys.argv[1], 'w'))
PY
bin=$(ls -t target/release/deps/side_by_side-* | grep -v '\.d$' | head -1)
echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
VERBATIM_BENCH_INDEX="$VINDEX" VERBATIM_QUERIES="$inputs" VERBATIM_BENCH_OUT="${OUT%.json}.verbatim.json" "$bin"
"$PY" benches/peer/ig_index_side_by_side.py "$inputs" "${OUT%.json}.verbatim.json" "$OUT"
echo "== $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
