"""Latency of sequential traces through a running server, as one client sees it.

usage: python3 benches/load/sequential.py PORT PROBES_JSON ROUNDS

POSTs every text of PROBES_JSON (`{"texts": [str, ...]}`, as `cargo bench --bench scale -- gen`
writes) to http://127.0.0.1:PORT/api/v1/trace, one request at a time on one keep-alive
connection, ROUNDS + 1 times; the first round is not timed. Prints p50 / p90 / p99 in ms.
Start the server with `--cache-entries 0` so that every request is computed.
"""
import http.client
import json
import sys
import time

port, probes, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
texts = json.load(open(probes))["texts"]
conn = http.client.HTTPConnection("127.0.0.1", port)
ms = []
for r in range(rounds + 1):
    for text in texts:
        body = json.dumps({"response": text})
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/trace", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        dt = (time.perf_counter() - t0) * 1e3
        if resp.status != 200:
            sys.exit(f"HTTP {resp.status}: {data[:200]!r}")
        if r > 0:
            ms.append(dt)
ms.sort()
print("p50 %.3f p90 %.3f p99 %.3f ms (%d requests)"
      % (ms[len(ms) // 2], ms[len(ms) * 9 // 10], ms[len(ms) * 99 // 100], len(ms)))
