#!/usr/bin/env bash
# Cold start: time from `verbatim serve --no-verify` to the first answered trace, with every
# index file evicted from the page cache first, and the latencies of the first traces.
#
# usage: [SERVE_ARGS="--residency disk"] benches/cold_start.sh INDEX PROBES.json [N_TRACES] [PORT]
#   PROBES.json: written by `cargo bench --bench scale -- gen` ({"texts": [...]}); the first
#   N_TRACES (default 10) texts are traced, one after the other. SERVE_ARGS: more flags for
#   `verbatim serve`.
#
# Eviction: `sync`, then posix_fadvise(POSIX_FADV_DONTNEED) on every file of the index (and
# of shards under other roots), which drops their clean pages from the page cache; the
# script reports how much of the index is still cached after eviction (util-linux `fincore`)
# so the measurement shows it started cold. At the end it prints the server's anonymous
# memory (RssAnon: its own allocations) beside RssFile (index pages mapped through the cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
INDEX="${1:?usage: cold_start.sh INDEX PROBES.json [N_TRACES] [PORT]}"
PROBES="${2:?usage: cold_start.sh INDEX PROBES.json [N_TRACES] [PORT]}"
N="${3:-10}"
PORT="${4:-18181}"
BIN="${VERBATIM_BIN:-target/release/verbatim}"
[ -x "$BIN" ] || cargo build --release --locked -q
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
python3 - "$INDEX" "$PROBES" "$N" "$PORT" "$BIN" "${SERVE_ARGS:-}" <<'PY'
import json, os, subprocess, sys, time, urllib.request

index, probes, n, port, binary = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
extra = sys.argv[6].split()

def index_files(root):
    files = []
    for d, _, names in os.walk(root):
        files += [os.path.join(d, f) for f in names]
    # Shards under other roots are named by absolute path in the manifest.
    m = json.loads(open(os.path.join(root, "manifest.bin"), "rb").read()[64:])
    for s in m["shards"]:
        if os.path.isabs(s["dir"]):
            files += [os.path.join(s["dir"], f) for f in os.listdir(s["dir"])]
    return files

def cached_fraction(files):
    """Bytes of `files` in the page cache, from util-linux `fincore` (mincore(2))."""
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--raw", "--output", "RES,SIZE"] + files,
                         check=True, capture_output=True, text=True).stdout
    cached = total = 0
    for line in out.splitlines():
        res, size = line.split()
        cached += int(res)
        total += int(size)
    return cached, total

files = index_files(index)
subprocess.run(["sync"], check=True)
for f in files:
    fd = os.open(f, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
cached, total = cached_fraction(files)
print(f"evicted {len(files)} files, {total/2**30:.2f} GiB; still cached after eviction: {cached/2**20:.1f} MiB ({100*cached/max(total,1):.2f}%)")

texts = json.load(open(probes))["texts"][:n]
t0 = time.monotonic()
proc = subprocess.Popen([binary, "serve", "--no-verify", "--index", index, "--addr", f"127.0.0.1:{port}"] + extra,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
try:
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            break
        except Exception:
            if proc.poll() is not None:
                sys.exit("server exited: " + proc.stderr.read().decode())
            time.sleep(0.005)
    up = time.monotonic() - t0
    lat = []
    for i, text in enumerate(texts):
        body = json.dumps({"response": text}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/trace", data=body,
                                     headers={"content-type": "application/json"})
        t = time.monotonic()
        resp = json.loads(urllib.request.urlopen(req, timeout=600).read())
        lat.append(time.monotonic() - t)
        if i == 0:
            first = time.monotonic() - t0
    print(f"serving (health answered) after {up*1e3:.0f} ms; first trace answered {first*1e3:.0f} ms after start")
    print("first traces (ms): " + ", ".join(f"{x*1e3:.0f}" for x in lat))
    cached, total = cached_fraction(files)
    print(f"index cached after {len(texts)} traces: {cached/2**20:.0f} MiB of {total/2**20:.0f} MiB")
    # The server's own memory (RssAnon) against what it reads through the page cache (RssFile).
    status = dict(l.split(":", 1) for l in open(f"/proc/{proc.pid}/status") if ":" in l)
    print("server memory after the traces: " + ", ".join(f"{k} {status[k].strip()}" for k in ("RssAnon", "RssFile", "VmHWM")))
finally:
    proc.terminate()
    proc.wait()
PY
