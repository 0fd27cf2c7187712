#!/usr/bin/env bash
# Query latencies side by side, in one run on the same machine and index contents:
# verbatim (in process, benches/side_by_side.rs) then infini-gram 2.6.0 (its Python engine),
# on the same 1,000 n-grams and 100 texts (50 stitched 450-token texts, 50 GSM8K solutions).
# The infini-gram index and venv paths are the ones compare_peer.py names (run_peer.sh's).
#
# usage: benches/peer/run_side_by_side.sh VERBATIM_INDEX [PEER_PYTHON]
# The shared inputs are derived from ../shared/data and written outside the repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VINDEX="${1:?usage: run_side_by_side.sh VERBATIM_INDEX [PEER_PYTHON]}"
PY="${2:-/work/peer/ig/venv/bin/python}"
inputs="${INPUTS:-/tmp/verbatim_peer_bench_inputs.json}"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -f "$inputs" ] || "$PY" benches/peer/bench_peer_side_by_side.py --dump-inputs "$inputs" --verbatim-json /nonexistent
cargo build --release --locked -q --bench side_by_side
bin=$(ls -t target/release/deps/side_by_side-* | grep -v '\.d$' | head -1)
VERBATIM_BENCH_INDEX="$VINDEX" VERBATIM_QUERIES="$inputs" VERBATIM_BENCH_OUT=benches/peer/verbatim_bench.json "$bin"
"$PY" benches/peer/bench_peer_side_by_side.py --verbatim-json benches/peer/verbatim_bench.json
