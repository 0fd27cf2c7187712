"""Traces texts in a loop against a running verbatim server while polling /health every 50 ms;
prints each change of the first index's generation or reload state, and writes every trace's
start, latency and status with those events to OUT.json.

Usage: python3 reload_watch.py http://127.0.0.1:PORT PROBES.json SECONDS OUT.json
(PROBES.json: a `scale gen` probe file; its "texts" are traced in turn.)"""
import json, sys, threading, time, urllib.request
base = sys.argv[1]
texts = json.load(open(sys.argv[2]))["texts"]
stop_after = float(sys.argv[3])
events, lat = [], []
t0 = time.time()
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read())
def tracer():
    i = 0
    while time.time() - t0 < stop_after:
        s = time.time()
        try:
            c, v = post("/api/v1/trace", {"response": texts[i % len(texts)]})
        except Exception as e:
            c = str(e)
        lat.append((s - t0, time.time() - s, c))
        i += 1
th = threading.Thread(target=tracer); th.start()
last = None
while time.time() - t0 < stop_after:
    with urllib.request.urlopen(base + "/health", timeout=60) as r:
        h = json.loads(r.read())
    g = list(h["generations"].values())[0]
    key = (g["generation"], g["state"], g.get("reloads"))
    if key != last:
        print(f"{time.time() - t0:8.2f} s  generation {g['generation']} {g['state']} reloads {g.get('reloads')} {g.get('error', '')}", flush=True)
        events.append((time.time() - t0, key))
        last = key
    time.sleep(0.05)
th.join()
json.dump({"events": events, "latencies": lat}, open(sys.argv[4], "w"))
bad = [l for l in lat if l[2] != 200]
print(f"{len(lat)} traces, {len(bad)} not 200", flush=True)
