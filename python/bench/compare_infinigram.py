#!/usr/bin/env python3
"""verbatim.compat.InfiniGramEngine against infini-gram 2.6.0's own InfiniGramEngine, on the
same corpus (issue 13, must-show 2): answers compared, and count latency from Python.

    python3 python/bench/compare_infinigram.py --index /work/scratch-py/medium \
        --ig-index /work/peer/ig/index_u16 --out python/bench/compare_infinigram.json

Runs in one Python process with both engines: verbatim installed in this Python, infini-gram
imported from the peer's venv (its site-packages appended to sys.path, read only; the wheel
is CPython 3.11). Both indexes hold the `medium` corpus in the same document order, so
token positions, byte pointers and document numbers agree (checked first: the token streams
are compared byte for byte).

Checks (the query sets are those of benches/peer/compare_peer.py, seed 0):
1. 1,000 counts of n-grams (n in 1..20) sampled from the token stream: equal counts; then the
   p50 latency of `count` from Python, both engines, same queries, interleaved.
2. 100 `attribute` calls (50 GSM8K model solutions + 50 stitched ~450-token texts; delimiters
   `.` and newline, bow ids, enforce_bow=True) at max_cnt 10: equal (l, r, length, count,
   unigram_logprob_sum) and equal sets of (s, ptr) occurrences.
3. 200 n-gram statistics: 50 `ntd`, 50 `infgram_ntd`, 50 `prob`, 50 `infgram_prob` on prompts
   q[:-1] of sampled n-grams, continuation q[-1]. infini-gram samples ntd when a prompt occurs
   more than max_support (1000) times, and its exact mode cannot be forced on frequent prompts
   (max_support=10**12 makes it start a thread per block, and it aborts with "Resource
   temporarily unavailable"), so ntd prompts it sampled are skipped (and counted) until 50
   exact ones were compared; verbatim's ntd is exact at every count.
4. 100 document fetches: 50 `get_doc_by_ptr` at random token positions (equal doc_ix,
   doc_len, disp_len, needle_offset, token_ids; metadata compared parsed), and 50
   `get_doc_by_rank` queries: for n-grams occurring at most 20 times, the documents at every
   rank of the range, compared as multisets (ranks differ between the engines, see
   docs/python.md).
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEER_SITE = "/work/peer/ig/venv/lib/python3.11/site-packages"
sys.path.insert(0, os.path.join(ROOT, "benches", "peer"))

EOS, VOCAB, DELIMS = 50279, 50280, [15, 187]


def loadavg():
    return open("/proc/loadavg").read().split()[0]


def p50(xs):
    return statistics.median(xs) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", default="/work/scratch-py/medium")
    ap.add_argument("--ig-index", default="/work/peer/ig/index_u16")
    ap.add_argument("--bow", default="/work/peer/ig/bow_ids.txt")
    ap.add_argument("--out", default=os.path.join(HERE, "compare_infinigram.json"))
    ap.add_argument("--queries", type=int, default=1000)
    args = ap.parse_args()
    sys.path.append(PEER_SITE)
    from infini_gram.engine import InfiniGramEngine as IG

    import compare_peer as cp
    from verbatim.compat import InfiniGramEngine as VB

    R = {"loadavg_start": loadavg(), "index": args.index, "ig_index": args.ig_index}
    ig = IG(index_dir=args.ig_index, eos_token_id=EOS, vocab_size=VOCAB, version=4,
            token_dtype="u16", bow_ids_path=args.bow)
    vb = VB(index_dir=args.index, eos_token_id=EOS, vocab_size=VOCAB, version=4,
            token_dtype="u16", bow_ids_path=args.bow)

    # 0. the two token streams
    ds = cp.open_ds(args.ig_index)
    shard = os.path.join(args.index, "shard-00000", "tokens.bin")
    vt = np.memmap(shard, dtype=np.uint16, mode="r", offset=64)
    same_stream = len(vt) == len(ds) and bool(np.array_equal(vt, ds))
    R["same_token_stream"] = same_stream
    R["shards"] = len(vb._view.shards)
    print(f"[stream] {len(ds)} tokens, identical: {same_stream}, verbatim shards: {len(vb._view.shards)}", flush=True)

    # 1. counts
    queries = cp.sample_queries(ds, args.queries, 0)
    unequal = [q for q in queries if ig.count(q) != vb.count(q)]
    R["counts"] = {"queries": len(queries), "equal": len(queries) - len(unequal), "unequal": unequal[:10]}
    print(f"[counts] {len(queries) - len(unequal)}/{len(queries)} equal", flush=True)
    for q in queries[:200]:  # warm-up
        ig.count(q), vb.count(q)
    # Each query is asked of the three in a rotating order, so that none always comes first
    # (the first call of a query pays its page-cache misses for the others).
    calls = [(ig.count, []), (vb.count, []), (vb.index.count, [])]
    for i, q in enumerate(queries):
        for f, out in calls[i % 3:] + calls[:i % 3]:
            t = time.perf_counter(); f(q); out.append(time.perf_counter() - t)
    t_ig, t_vb, t_ix = (out for _, out in calls)
    R["count_p50_us"] = {"infini_gram": p50(t_ig), "verbatim_compat": p50(t_vb), "verbatim_index": p50(t_ix),
                         "ratio_compat_over_ig": p50(t_vb) / p50(t_ig)}
    print(f"[count p50] infini-gram {p50(t_ig):.1f} us, verbatim.compat {p50(t_vb):.1f} us "
          f"({p50(t_vb) / p50(t_ig):.4f}x), verbatim.Index {p50(t_ix):.1f} us", flush=True)

    # 2. attribute
    tok = cp.load_tokenizer()
    texts = cp.build_texts(ds, tok)
    attr_eq, attr_rows = 0, []
    t_ig_a, t_vb_a = [], []
    for i, tx in enumerate(texts):
        ids = tx["ids"]
        t = time.perf_counter(); a = ig.attribute(ids, DELIMS, 1, 10, True); t_ig_a.append(time.perf_counter() - t)
        t = time.perf_counter(); b = vb.attribute(ids, DELIMS, 1, 10, True); t_vb_a.append(time.perf_counter() - t)
        key = lambda s: (s["l"], s["r"], s["length"], s["count"], s["unigram_logprob_sum"])  # noqa: E731
        sa = [(key(s), sorted((d["s"], d["ptr"]) for d in s["docs"])) for s in a["spans"]]
        sb = [(key(s), sorted((d["s"], d["ptr"]) for d in s["docs"])) for s in b["spans"]]
        if sa == sb:
            attr_eq += 1
        else:
            attr_rows.append({"text": i, "ig": [x[0] for x in sa][:20], "vb": [x[0] for x in sb][:20],
                              "same_spans": [x[0] for x in sa] == [x[0] for x in sb]})
    R["attribute"] = {"calls": len(texts), "equal": attr_eq, "unequal": attr_rows,
                      "p50_ms": {"infini_gram": p50(t_ig_a) / 1e3, "verbatim_compat": p50(t_vb_a) / 1e3}}
    print(f"[attribute] {attr_eq}/{len(texts)} equal (spans and occurrence sets); p50 infini-gram "
          f"{p50(t_ig_a) / 1e3:.1f} ms, verbatim {p50(t_vb_a) / 1e3:.2f} ms", flush=True)

    # 3. ntd / prob
    rng = random.Random(1)
    qs = cp.sample_queries(ds, 2000, 7)
    eq = {"ntd": 0, "infgram_ntd": 0, "prob": 0, "infgram_prob": 0}
    calls = {k: 0 for k in eq}
    sampled = {"ntd": 0, "infgram_ntd": 0}
    bad = []
    for q in qs:
        prompt, cont = q[:-1], q[-1]
        kind = next((k for k in ("ntd", "infgram_ntd", "prob", "infgram_prob") if calls[k] < 50), None)
        if kind is None:
            break
        if kind in ("ntd", "infgram_ntd"):
            a = getattr(ig, kind)(prompt)
            if a["approx"]:
                # infini-gram sampled (prompt count > max_support): its counts estimate
                # verbatim's exact ones, so they are not compared.
                sampled[kind] += 1
                continue
            b = getattr(vb, kind)(prompt)
        elif kind == "prob":
            a, b = ig.prob(prompt, cont), vb.prob(prompt, cont)
        else:
            a, b = ig.infgram_prob(prompt, cont), vb.infgram_prob(prompt, cont)
        calls[kind] += 1
        if a == b:
            eq[kind] += 1
        else:
            bad.append({"kind": kind, "prompt": prompt, "cont": cont,
                        "ig": {k: v for k, v in a.items() if k != "result_by_token_id"},
                        "vb": {k: v for k, v in b.items() if k != "result_by_token_id"}})
    R["ngram_stats"] = {"calls": calls, "equal": eq, "unequal": bad[:10],
                        "skipped_because_infini_gram_sampled": sampled}
    print(f"[ntd/prob] {sum(eq.values())}/{sum(calls.values())} equal {eq}; skipped where infini-gram "
          f"sampled (prompt count > max_support 1000): {sampled}", flush=True)

    # 4. documents
    docs_eq, doc_bad = 0, []
    for _ in range(50):
        pos = rng.randrange(len(ds))
        a = ig.get_doc_by_ptr(0, 2 * pos, max_disp_len=200)
        b = vb.get_doc_by_ptr(0, 2 * pos, max_disp_len=200)
        ma, mb = json.loads(a.pop("metadata")), json.loads(b.pop("metadata"))
        if a == b and ma == mb:
            docs_eq += 1
        else:
            doc_bad.append({"pos": pos, "ig": {k: a[k] for k in ("doc_ix", "doc_len", "disp_len", "needle_offset")},
                            "vb": {k: b[k] for k in ("doc_ix", "doc_len", "disp_len", "needle_offset")},
                            "ig_meta": ma, "vb_meta": mb})
    rank_eq, rank_bad, fetched = 0, [], 0
    cands = [q for q in cp.sample_queries(ds, 2000, 11) if 1 <= ig.count(q)["count"] <= 20][:50]
    for q in cands:
        fa, fb = ig.find(q), vb.find(q)
        (lo_a, hi_a), (lo_b, hi_b) = fa["segment_by_shard"][0], fb["segment_by_shard"][0]
        da = sorted((d["doc_ix"], d["needle_offset"], tuple(d["token_ids"]), d["doc_len"])
                    for d in (ig.get_doc_by_rank(0, r, max_disp_len=100) for r in range(lo_a, hi_a)))
        db = sorted((d["doc_ix"], d["needle_offset"], tuple(d["token_ids"]), d["doc_len"])
                    for d in (vb.get_doc_by_rank(0, r, max_disp_len=100) for r in range(lo_b, hi_b)))
        fetched += (hi_a - lo_a) + (hi_b - lo_b)
        if da == db:
            rank_eq += 1
        else:
            rank_bad.append({"q": q, "ig": [x[:2] for x in da], "vb": [x[:2] for x in db]})
    R["documents"] = {"get_doc_by_ptr": {"calls": 50, "equal": docs_eq, "unequal": doc_bad[:5]},
                      "get_doc_by_rank": {"queries": len(cands), "equal_document_multisets": rank_eq,
                                          "documents_fetched": fetched, "unequal": rank_bad[:5]}}
    print(f"[documents] get_doc_by_ptr {docs_eq}/50 equal; get_doc_by_rank: {rank_eq}/{len(cands)} "
          f"queries with equal document multisets ({fetched} fetches)", flush=True)
    R["loadavg_end"] = loadavg()
    with open(args.out, "w") as f:
        json.dump(R, f, indent=1)
    print(f"load average {R['loadavg_start']} -> {R['loadavg_end']}; results in {args.out}")


if __name__ == "__main__":
    main()
