#!/usr/bin/env bash
# Compares two verbatim indexes of the same documents built from different inputs (e.g. JSONL
# and Parquet): every verbatim file's payload (bytes after the 64-byte header, which holds the
# build id) must be byte-identical: token streams, suffix arrays, document offsets, document
# records (ids, sources, metadata), unigram counts, the id map and the source sets.
#   benches/parquet/compare_indexes.sh INDEX_A INDEX_B
set -euo pipefail
a=$1 b=$2
status=0
for f in $(cd "$a" && find . -name '*.bin' -o -name '*.fst' | grep -v '^./fulltext/' | sort); do
  case "$f" in ./manifest.bin) continue ;; esac   # paths, timings and build ids differ
  if cmp -s <(tail -c +65 "$a/$f") <(tail -c +65 "$b/$f"); then
    echo "equal    $f ($(($(stat -c %s "$a/$f") - 64)) bytes)"
  else
    echo "DIFFERENT $f"
    status=1
  fi
done
exit $status
