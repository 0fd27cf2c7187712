#!/usr/bin/env python3
"""Python call overhead and thread scaling of verbatim.Index (issue 13, must-show 3).

    python3 python/bench/overhead.py --index /work/scratch-py/medium --out python/bench/overhead.json

1. count: 1,000 n-grams (n in 1..20, seed 0) sampled from the index's own token stream, as
   token-id lists. p50 of `Index.count(ids)` from Python (the dict with `count` and
   `token_ids` built) against p50 of the same `Index::count` calls timed inside Rust
   (`verbatim._native.bench_in_rust`, same process, same index, no Python in the loop).
   Rounds alternate Python and Rust so that load changes hit both.
2. trace: 50 GSM8K model solutions (realistic model output, ~100-250 tokens) and 20 texts
   of 450 tokens stitched from corpus snippets of 1..20 tokens. p50 of `Index.trace(text)`
   from Python (the result converted to dicts) against `Index::trace` + its JSON shape timed
   inside Rust, each call handed to the query pool on its own as `Index.trace` hands it; and
   the time `Index.trace` holds the GIL (converting the answer to Python objects), which
   bounds how much 2 threads can gain (at most 1 / that share).
3. threads: texts traced per second by 1 Python thread, then by 2 Python threads at once
   (each tracing the same list `--thread-reps` times a round), in alternating rounds, for
   `Index(threads=None)` (each query on the process-wide pool, a thread per core) and
   `Index(threads=1)` (each query on its calling thread, which is its own pool of one
   thread); with the process CPU seconds per wall second (2.0: both threads always ran, so
   the GIL held neither back). On a machine whose cores other work keeps busy the speedup
   cannot show; the load average is recorded.
"""
import argparse
import json
import os
import random
import statistics
import sys
import threading
import time

import numpy as np

import verbatim
from verbatim import _native

HERE = os.path.dirname(os.path.abspath(__file__))
GSM8K = "/work/shared/data/benchmarks/gsm8k/example_model_solutions.jsonl"


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def sample_queries(tokens, k, seed):
    rng = random.Random(seed)
    out = []
    n_tok = len(tokens)
    while len(out) < k:
        n = rng.randint(1, 20)
        p = rng.randrange(0, n_tok - n)
        g = tokens[p:p + n]
        if not (g == 0xFFFF).any():
            out.append([int(x) for x in g])
    return out


def texts_of(ix, tokens, seed=0):
    rows = [json.loads(l) for l in open(GSM8K, encoding="utf-8") if l.strip()]
    rng = random.Random(seed)
    keys = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]
    texts = [rows[i][rng.choice(keys)]["solution"] for i in rng.sample(range(len(rows)), 50)]
    for _ in range(20):
        ids = []
        while len(ids) < 450:  # corpus snippets of 1..20 tokens
            ids += sample_queries(tokens, 1, rng.randrange(10**9))[0]
        texts.append(ix.decode(ids[:450]))
    return texts


def p50(xs):
    return statistics.median(xs)


def throughput(ix, texts, nthreads, reps):
    """Traces per second with `nthreads` Python threads each tracing `texts` `reps` times,
    and the process CPU seconds used per wall second (2.0 = both threads always running)."""
    def work():
        for _ in range(reps):
            for t in texts:
                ix.trace(t)

    ts = [threading.Thread(target=work) for _ in range(nthreads)]
    c0, t0 = time.process_time(), time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    return nthreads * reps * len(texts) / wall, (time.process_time() - c0) / wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="/work/scratch-py/medium")
    ap.add_argument("--out", default=os.path.join(HERE, "overhead.json"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--thread-rounds", type=int, default=5,
                    help="alternating 1-thread / 2-thread rounds per Index mode")
    ap.add_argument("--thread-reps", type=int, default=10,
                    help="times each thread traces the text list in one round")
    ap.add_argument("--parts", default="count,trace,threads",
                    help="comma-separated subset of count,trace,threads")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    R = {"loadavg_start": loadavg(), "index": args.index, "cores": os.cpu_count()}
    ix = verbatim.Index(args.index)
    tokens = np.memmap(os.path.join(args.index, "shard-00000", "tokens.bin"), dtype=np.uint16,
                       mode="r", offset=64)
    queries = sample_queries(tokens, 1000, 0)
    if "count" in parts:
        count_overhead(ix, queries, args.rounds, R)

    texts = texts_of(ix, tokens)
    for t in texts[:10]:
        ix.trace(t)
    if "trace" in parts:
        trace_overhead(ix, texts, args.rounds, R)
    if "threads" in parts:
        R["threads"] = thread_scaling(args, texts)
    R["loadavg_end"] = loadavg()
    with open(args.out, "w") as f:
        json.dump(R, f, indent=1)
    print(f"load average {R['loadavg_start']} -> {R['loadavg_end']}; results in {args.out}")


def count_overhead(ix, queries, rounds, R):
    for q in queries:  # warm-up
        ix.count(q)
    py_t, rs_t = [], []
    for _ in range(rounds):
        for q in queries:
            t = time.perf_counter()
            ix.count(q)
            py_t.append(time.perf_counter() - t)
        rs_t += _native.bench_in_rust(ix, "count", queries)
    R["count_p50_us"] = {"python": p50(py_t) * 1e6, "rust": p50(rs_t) * 1e6,
                         "ratio": p50(py_t) / p50(rs_t), "calls_each": len(py_t)}
    print(f"[count] p50 Python {p50(py_t) * 1e6:.2f} us, Rust {p50(rs_t) * 1e6:.2f} us, "
          f"ratio {p50(py_t) / p50(rs_t):.3f} ({len(py_t)} calls each)", flush=True)


def trace_overhead(ix, texts, rounds, R):
    py_t, rs_t = [], []
    for _ in range(rounds):
        for t in texts:
            s = time.perf_counter()
            ix.trace(t)
            py_t.append(time.perf_counter() - s)
        rs_t += _native.bench_in_rust(ix, "trace", texts)
    gil_t = _native.bench_in_rust(ix, "trace_gil", texts)
    tokens_per_text = statistics.mean(len(ix.tokenize(t)) for t in texts)
    gil_share = sum(gil_t) / (sum(py_t) / rounds)
    R["trace_p50_ms"] = {"python": p50(py_t) * 1e3, "rust": p50(rs_t) * 1e3,
                         "ratio": p50(py_t) / p50(rs_t), "calls_each": len(py_t),
                         "mean_tokens_per_text": tokens_per_text,
                         "gil_held_p50": p50(gil_t) * 1e3,
                         "gil_held_share_of_total": gil_share,
                         "two_thread_bound": min(2.0, 1 / gil_share)}
    print(f"[trace] p50 Python {p50(py_t) * 1e3:.2f} ms, Rust {p50(rs_t) * 1e3:.2f} ms, ratio "
          f"{p50(py_t) / p50(rs_t):.3f} ({len(py_t)} calls each, {tokens_per_text:.0f} tokens a text); "
          f"GIL held p50 {p50(gil_t) * 1e3:.3f} ms, {100 * gil_share:.1f}% of the time "
          f"(2 threads at most x{min(2.0, 1 / gil_share):.2f})", flush=True)


def thread_scaling(args, texts):
    out = {}
    for mode in (None, 1):
        tix = verbatim.Index(args.index, threads=mode)
        for t in texts[:10]:
            tix.trace(t)
        # Alternating rounds, so that a change in the machine's load hits both.
        one, two = [], []
        for _ in range(args.thread_rounds):
            one.append(throughput(tix, texts, 1, args.thread_reps))
            two.append(throughput(tix, texts, 2, args.thread_reps))
        o = statistics.median(x for x, _ in one)
        w = statistics.median(x for x, _ in two)
        name = "threads=None" if mode is None else f"threads={mode}"
        out[name] = {
            "one_thread_per_s": o, "two_threads_per_s": w, "speedup": w / o,
            "rounds": args.thread_rounds, "traces_per_thread_per_round": args.thread_reps * len(texts),
            "cpu_per_wall_one": statistics.median(c for _, c in one),
            "cpu_per_wall_two": statistics.median(c for _, c in two),
            "speedup_by_round": [b[0] / a[0] for a, b in zip(one, two)]}
        print(f"[threads] Index({name}): 1 thread {o:.1f} traces/s (cpu/wall "
              f"{out[name]['cpu_per_wall_one']:.2f}), 2 threads {w:.1f} traces/s (cpu/wall "
              f"{out[name]['cpu_per_wall_two']:.2f}), x{w / o:.2f}", flush=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
