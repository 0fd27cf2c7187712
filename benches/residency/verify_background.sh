#!/usr/bin/env bash
# How long `verbatim serve --verify background` takes to check an index read as RESIDENCY,
# the index evicted from the page cache first and the server held to LIMIT_BYTES in a memory
# cgroup (root only; cgroup v1 or v2). Prints what /health reports when the check ends, the
# wall time from start, and the cgroup's peak.
#
# usage: benches/residency/verify_background.sh INDEX RESIDENCY LIMIT_BYTES [PORT]
#   VERBATIM=target/release/verbatim (default)
# The runs of benches/RESULTS.md ("A checksum pass over an index read from disk"):
#   benches/residency/verify_background.sh large-ft disk 21474836480
#   benches/residency/verify_background.sh large-ft disk 2147483648
#   benches/residency/verify_background.sh large-ft memory 2147483648
set -euo pipefail
INDEX="${1:?usage: verify_background.sh INDEX RESIDENCY LIMIT_BYTES [PORT]}"
RESIDENCY="${2:?residency}"
LIMIT="${3:?limit in bytes}"
PORT="${4:-8941}"
VERBATIM="${VERBATIM:-target/release/verbatim}"
python3 - "$INDEX" <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        fd = os.open(os.path.join(root, f), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  CG=/sys/fs/cgroup/verbatim-verify; mkdir -p "$CG"; echo "$LIMIT" > "$CG/memory.max"
  PEAK="$CG/memory.peak"
else
  CG=/sys/fs/cgroup/memory/verbatim-verify; mkdir -p "$CG"
  echo "$LIMIT" > "$CG/memory.limit_in_bytes"; echo 0 > "$CG/memory.max_usage_in_bytes"
  PEAK="$CG/memory.max_usage_in_bytes"
fi
LOG=$(mktemp)
bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$CG" "$VERBATIM" serve \
  --verify background --residency "$RESIDENCY" --index "$INDEX" --addr "127.0.0.1:$PORT" > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rmdir "$CG" 2>/dev/null || true; rm -f "$LOG"' EXIT
start=$(date +%s.%N)
while sleep 0.5; do
  kill -0 $SERVER 2>/dev/null || { cat "$LOG"; exit 1; }
  health=$(curl -s "127.0.0.1:$PORT/health" || true)
  case "$health" in *'"state":"passed"'*|*'"state":"failed"'*) break ;; esac
done
end=$(date +%s.%N)
head -1 "$LOG"
echo "$health" | grep -o '"verification":{[^}]*}}'
echo "wall $(echo "$end - $start" | bc) s; cgroup peak $(( $(cat "$PEAK") / 1048576 )) MiB"
