#!/usr/bin/env bash
# Runs a command in a memory cgroup whose limit counts the page cache, so that an index
# larger than LIMIT is read as it would be on a machine with that much memory (root only).
#
# usage: benches/residency/in_cgroup.sh LIMIT_BYTES COMMAND [ARGS...]
#
# It prints the bytes the disk read while the command ran (from /sys/block/*/stat of the
# disks) and the cgroup's peak usage. Evict the index first (posix_fadvise DONTNEED, e.g.
# `benches/cold_start.sh` does it, or `fadvise`/`vmtouch -e`), or pages cached before are
# charged elsewhere and not read. cgroup v2 (`memory.max`) or v1 (`memory.limit_in_bytes`).
#
# The runs of benches/RESULTS.md ("Indexes larger than memory"):
#   benches/residency/in_cgroup.sh 2147483648 scale run --index large-1s \
#       --probes probes-large20.json --out x.json --no-verify --traces-timed 1 --residency disk
#   benches/residency/in_cgroup.sh 2147483648 env SERVE_ARGS="--residency auto" \
#       benches/cold_start.sh large-1s probes-large.json 30
set -euo pipefail
LIMIT="${1:?usage: in_cgroup.sh LIMIT_BYTES COMMAND [ARGS...]}"
shift
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  CG=/sys/fs/cgroup/verbatim-bench
  mkdir -p "$CG"
  echo "$LIMIT" > "$CG/memory.max"
  PEAK="$CG/memory.peak"
else
  CG=/sys/fs/cgroup/memory/verbatim-bench
  mkdir -p "$CG"
  echo "$LIMIT" > "$CG/memory.limit_in_bytes"
  echo 0 > "$CG/memory.max_usage_in_bytes" 2>/dev/null || true
  PEAK="$CG/memory.max_usage_in_bytes"
fi
sectors() { awk '$1 !~ /^(loop|ram)/ {s += $4} END {printf "%.0f\n", s}' <(for d in /sys/block/*; do echo "$(basename "$d") $(cat "$d/stat")"; done); }
before=$(sectors)
status=0
bash -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' _ "$CG" "$@" || status=$?
after=$(sectors)
echo "disk read: $(( (after - before) * 512 / 1048576 )) MiB; cgroup peak: $(( $(cat "$PEAK" 2>/dev/null || echo 0) / 1048576 )) MiB"
exit $status
