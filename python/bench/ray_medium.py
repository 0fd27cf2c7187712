#!/usr/bin/env python3
"""verbatim.ray on this machine, at the scale of the `medium` corpus (issue 13, must-show 4).

    python3 python/bench/ray_medium.py --index /work/scratch-py/medium --scratch /work/scratch-py/ray \
        [--skip-build] [--skip-contamination] --out python/bench/ray_medium.json

Ray runs locally (`ray.init(num_cpus=2)`: a head node with two worker slots).

1. contamination: the 60,373 items of benchmarks/all/items.jsonl.zst with all five methods,
   through `verbatim.ray.contamination` (batches of 512 items, one CPU a task), against
   `verbatim contamination` (the CLI) on the same index: items compared one by one, and the
   summaries.
2. build: `medium` built by `verbatim.ray.build` with 4 tasks (side indexes words and alnum)
   against the single-machine build in --index: 1,000 counts (n-grams sampled from the
   token stream, seed 0) and the spans of 100 texts (benches/peer/compare_peer.py's 50 GSM8K
   solutions + 50 stitched texts) must be equal; `verbatim verify` passes.
3. a killed worker: the same build, with the worker of part 1's first attempt killed
   (`os._exit`) as soon as its shard's token stream is on disk; Ray retries it, and the
   result is verified and compared the same way.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np
import ray

import verbatim
import verbatim.ray as vray

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = "/work/shared/data"
CORPUS = f"{SHARED}/corpora/medium"
TOKENIZER = f"{SHARED}/tokenizers/olmo-gpt-neox.json"
ITEMS = f"{SHARED}/benchmarks/all/items.jsonl.zst"
CLI = os.path.join(ROOT, "target", "release", "verbatim")


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def strip(report):
    r = dict(report)
    for k in ("timing", "inputs"):
        r.pop(k, None)
    return r


def probe(index_dir):
    sys.path.insert(0, os.path.join(ROOT, "benches", "peer"))
    import compare_peer as cp

    tokens = np.memmap(os.path.join(index_dir, "shard-00000", "tokens.bin"), dtype=np.uint16,
                       mode="r", offset=64)
    rng = random.Random(0)
    queries = []
    while len(queries) < 1000:
        n = rng.randint(1, 20)
        p = rng.randrange(len(tokens) - n)
        g = tokens[p:p + n]
        if not (g == 0xFFFF).any():
            queries.append([int(x) for x in g])
    texts = [t["text"] for t in cp.build_texts(tokens, cp.load_tokenizer())]
    return queries, texts


def compare(a, b, queries, texts):
    counts = sum(a.count(q)["count"] == b.count(q)["count"] for q in queries)
    spans = sum(a.spans(t)["spans"] == b.spans(t)["spans"] for t in texts)
    return {"counts_equal": counts, "counts": len(queries), "spans_equal": spans, "texts": len(texts)}


def _kill_part_1_first_attempt(k, attempt, out_dir):
    if k != 1 or attempt != 0:
        return
    import threading
    from pathlib import Path

    out = Path(out_dir)
    temp = out.parent / f".{out.name}.building-{os.getpid()}"

    def watch():
        while not out.exists():
            if any(temp.glob("**/tokens.bin")):
                print(f"killing worker {os.getpid()} building {out.name}", flush=True)
                os._exit(1)
            time.sleep(0.01)

    threading.Thread(target=watch, daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="/work/scratch-py/medium")
    ap.add_argument("--scratch", default="/work/scratch-py/ray")
    ap.add_argument("--out", default=os.path.join(HERE, "ray_medium.json"))
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--skip-contamination", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.scratch, exist_ok=True)
    R = {"loadavg_start": loadavg()}
    ray.init(num_cpus=2, include_dashboard=False)

    if not args.skip_contamination:
        t = time.time()
        cli_out = os.path.join(args.scratch, "cli-report.json")
        subprocess.run([CLI, "contamination", "--index", args.index, "--input", ITEMS,
                        "--out", cli_out], check=True)
        cli_s = time.time() - t
        want = json.load(open(cli_out))
        t = time.time()
        got = vray.contamination(args.index, ITEMS, out=os.path.join(args.scratch, "ray-report.json"))
        ray_s = time.time() - t
        same = [a == b for a, b in zip(got["items"], want["items"])]
        R["contamination"] = {
            "items": len(want["items"]), "ray_items": len(got["items"]),
            "items_equal": sum(same), "summary_equal": got["summary"] == want["summary"],
            "report_equal_but_timing": strip(got) == strip(want),
            "cli_seconds": cli_s, "ray_seconds": ray_s,
            "first_unequal": next((i for i, s in enumerate(same) if not s), None)}
        print(f"[contamination] {sum(same)}/{len(want['items'])} items equal, summary equal: "
              f"{got['summary'] == want['summary']}; CLI {cli_s:.0f} s, Ray {ray_s:.0f} s", flush=True)

    if not args.skip_build:
        single = verbatim.Index(args.index)
        queries, texts = probe(args.index)
        for name, hook in (("build", None), ("killed_worker", _kill_part_1_first_attempt)):
            out = os.path.join(args.scratch, f"medium-{name}")
            shared = os.path.join(args.scratch, f"shared-{name}")
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(shared, ignore_errors=True)
            t = time.time()
            m = vray.build(CORPUS, out, TOKENIZER, shared_dir=shared, num_tasks=4,
                           side_indexes=["words", "alnum"], on_attempt=hook, keep_parts=hook is not None,
                           cpus_per_task=1)
            secs = time.time() - t
            claims = sorted(os.listdir(os.path.join(shared, "parts"))) if hook else []
            v = subprocess.run([CLI, "verify", out], capture_output=True, text=True)
            dist = verbatim.Index(out)
            res = compare(dist, single, queries, texts)
            res.update({"seconds": secs, "documents": m["documents"], "shards": len(m["shards"]),
                        "verify_ok": v.returncode == 0, "parts_dir_after": claims})
            R[name] = res
            print(f"[{name}] {secs:.0f} s, {m['documents']} documents in {len(m['shards'])} shards; "
                  f"counts {res['counts_equal']}/1000, spans {res['spans_equal']}/{len(texts)} equal; "
                  f"verify {'ok' if v.returncode == 0 else v.stderr[-300:]}; {claims}", flush=True)
            if hook:
                shutil.rmtree(shared, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
    R["loadavg_end"] = loadavg()
    json.dump(R, open(args.out, "w"), indent=1)
    print(f"load average {R['loadavg_start']} -> {R['loadavg_end']}; results in {args.out}")


if __name__ == "__main__":
    main()
