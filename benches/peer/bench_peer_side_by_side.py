#!/usr/bin/env python3
"""Side-by-side latency: infini-gram 2.6.0 vs verbatim on the same corpus (issue 3, must-show 3).

Run with the peer venv's python, alone on the machine (one heavy process at a time):

    /work/peer/ig/venv/bin/python benches/peer/bench_peer_side_by_side.py \
        [--out benches/peer/side_by_side_results.json] \
        [--verbatim-json benches/peer/verbatim_bench.json] \
        [--dump-inputs benches/peer/bench_inputs.json]

Inputs (identical to compare_peer.py, so both engines answer the same questions):
  * 1,000 n-grams, n uniform in 1..20, seed 0, from infini-gram's tokenized.0, never
    containing the separator 65535 (compare_peer.sample_queries);
  * 50 stitched ~450-token texts (corpus snippets of 5..40 tokens + novel sentences) and
    50 GSM8K model-written solutions (compare_peer.build_texts), tokenized with the OLMo
    GPT-NeoX tokenizer, add_special_tokens=False.
  `--dump-inputs PATH` writes them as JSON ({"queries": [[ids]], "texts": [{"kind",
  "source", "text", "ids"}]}) for the Rust side to read.

infini-gram side (one process, one engine, warm page cache: a disjoint warm-up set of 200
n-grams plus one untimed attribute() pass over every text before timing; every timing is
time.perf_counter() around one Python call, so it includes pybind11 and argument checks):
  * count:            engine.count(ids) per n-gram;
  * attribute_max10:  engine.attribute(ids, [15, 187], 1, 10, True) (bench.py / OLMoTrace
                      benchmarking setting);
  * attribute_max1e6: the same with max_cnt = 1,000,000 (OLMoTrace production setting);
  * olmotrace_no_bm25: attribute(max_cnt=1e6) + keep ceil(0.05 n) spans with the lowest
                      unigram_logprob_sum + per span random.seed(42); random.sample(docs, 10)
                      + get_docs_by_ptrs_2(needle_len=span length, max_ctx_len=250): the
                      OLMoTrace worker's engine work, without BM25 ranking.
  Each of the three text timings is reported for the 'stitched450' and 'gsm8k' text sets.

verbatim side: TODO(lead) — read from --verbatim-json, produced by the planned
`verbatim bench-queries` (in-process Rust timings, no process start), run on the inputs
written by --dump-inputs. Expected keys (microseconds, one entry per input, in input order):
    count_us[]        1,000 entries, Index::count on the n-grams
    spans450_us[]     50 entries, Index::spans on the stitched texts (tokenization included)
    trace450_us[]     50 entries, Index::trace on the stitched texts (default density 0.05,
                      10 docs per span)
  optional: spans_gsm8k_us[], trace_gsm8k_us[] (50 GSM8K solutions), spans_max_count
  (the --max-count the spans timings used; null = no limit, compared with attribute_max1e6,
  10 compared with attribute_max10), threads, git_commit.
  If the file is absent the verbatim half is null and "verbatim_todo" says so.

Output JSON (--out):
  {"meta": {...}, "inputs": {...},
   "infini_gram": {"count": STATS, "attribute_max10": {"stitched450": STATS, "gsm8k": STATS},
                   "attribute_max1e6": {...}, "olmotrace_no_bm25": {...}},
   "verbatim": {"count": STATS, "spans": {"stitched450": STATS, "gsm8k": STATS|null},
                "trace": {...}} | null,
   "ratios_p50": {"count": ig/vb, "spans_stitched450": ..., ...} | null,
   "raw_us": {"infini_gram": {...lists...}, "verbatim": {...lists...} | null}}
  where STATS = {"n", "p50_us", "p90_us", "p99_us", "mean_us", "max_us", "cpu_p50_us"}.
"""
import argparse
import json
import math
import os
import platform
import random
import resource
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_peer as cp  # noqa: E402


def stats(wall_s, cpu_s=None):
    if not wall_s:
        return None
    a = np.array(wall_s, dtype=float) * 1e6
    d = {'n': len(a), 'p50_us': float(np.median(a)), 'p90_us': float(np.percentile(a, 90)),
         'p99_us': float(np.percentile(a, 99)), 'mean_us': float(a.mean()), 'max_us': float(a.max())}
    if cpu_s is not None:
        d['cpu_p50_us'] = float(np.median(np.array(cpu_s) * 1e6))
    return d


def stats_us(us):
    return stats([x / 1e6 for x in us]) if us else None


def timeit(fn, inputs):
    wall, cpu, res = [], [], []
    for x in inputs:
        c = time.process_time()
        t = time.perf_counter()
        r = fn(x)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        res.append(r)
    return wall, cpu, res


def olmotrace_no_bm25(engine, ids):
    ar = engine.attribute(ids, cp.DELIMS, 1, 1_000_000, True)
    spans = ar['spans']
    k = int(math.ceil(len(ids) * 0.05))
    spans = sorted(spans, key=lambda s: s['unigram_logprob_sum'])[:k]
    spans.sort(key=lambda s: s['l'])
    reqs = []
    for s in spans:
        docs = s['docs']
        if len(docs) > 10:
            random.seed(42)
            docs = random.sample(docs, 10)
        reqs += [(d['s'], d['ptr'], s['length'], 250) for d in docs]
    docs = engine.get_docs_by_ptrs_2(reqs) if reqs else []
    return len(spans), len(reqs), docs


def loadavg():
    return open('/proc/loadavg').read().split()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(HERE, 'side_by_side_results.json'))
    ap.add_argument('--verbatim-json', default=os.path.join(HERE, 'verbatim_bench.json'))
    ap.add_argument('--dump-inputs', default=None)
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--prefetch', default='1,3,3', help='ds,sa,od prefetch depths (2.6.0 defaults)')
    args = ap.parse_args()
    load0 = loadavg()

    t = time.perf_counter()
    from infini_gram.engine import InfiniGramEngine
    pf = [int(x) for x in args.prefetch.split(',')]
    engine = InfiniGramEngine(index_dir=cp.IG_INDEX, eos_token_id=cp.EOS, vocab_size=cp.VOCAB,
                              ds_prefetch_depth=pf[0], sa_prefetch_depth=pf[1], od_prefetch_depth=pf[2],
                              version=4, token_dtype='u16', bow_ids_path=cp.BOW_IDS,
                              precompute_unigram_logprobs=True)
    load_s = time.perf_counter() - t
    tok = cp.load_tokenizer()
    ds = cp.open_ds()
    queries = cp.sample_queries(ds, args.queries, 0)
    texts = cp.build_texts(ds, tok)
    sets = {'stitched450': [t['ids'] for t in texts if t['kind'] == 'stitched'],
            'gsm8k': [t['ids'] for t in texts if t['kind'] == 'gsm8k']}
    if args.dump_inputs:
        with open(args.dump_inputs, 'w') as f:
            json.dump({'queries': queries,
                       'texts': [{k: t[k] for k in ('kind', 'source', 'text', 'ids')} for t in texts]}, f)

    # warm-up: disjoint n-grams, then one untimed pass of every text call
    wrng = random.Random(12345)
    for _ in range(200):
        q = cp.sample_ngram(wrng, ds, wrng.randint(1, 20))
        engine.count(q)
    for q in queries:
        engine.count(q)
    for ids_list in sets.values():
        for ids in ids_list:
            olmotrace_no_bm25(engine, ids)
            engine.attribute(ids, cp.DELIMS, 1, 10, True)

    IG, RAW = {}, {}
    w, c, res = timeit(lambda q: engine.count(q)['count'], queries)
    IG['count'] = stats(w, c)
    IG['count']['mean_result'] = float(np.mean(res))
    RAW['count_us'] = [x * 1e6 for x in w]
    for name, fn in [('attribute_max10', lambda ids: len(engine.attribute(ids, cp.DELIMS, 1, 10, True)['spans'])),
                     ('attribute_max1e6', lambda ids: len(engine.attribute(ids, cp.DELIMS, 1, 1_000_000, True)['spans'])),
                     ('olmotrace_no_bm25', lambda ids: olmotrace_no_bm25(engine, ids)[:2])]:
        IG[name] = {}
        for sname, ids_list in sets.items():
            w, c, res = timeit(fn, ids_list)
            IG[name][sname] = stats(w, c)
            if name == 'olmotrace_no_bm25':
                IG[name][sname]['mean_spans_kept'] = float(np.mean([r[0] for r in res]))
                IG[name][sname]['mean_docs_fetched'] = float(np.mean([r[1] for r in res]))
            else:
                IG[name][sname]['mean_spans'] = float(np.mean(res))
            RAW[f'{name}_{sname}_us'] = [x * 1e6 for x in w]

    # ---------------- verbatim half
    # TODO(lead): verbatim_bench.json comes from the planned `verbatim bench-queries` run on
    # the --dump-inputs file (in-process timings, warm cache, same machine, run right after
    # this script). Until it exists the verbatim half stays null.
    VB = VB_RAW = RATIOS = None
    todo = None
    if os.path.exists(args.verbatim_json):
        vj = json.load(open(args.verbatim_json))
        VB = {'count': stats_us(vj.get('count_us')),
              'spans': {'stitched450': stats_us(vj.get('spans450_us')),
                        'gsm8k': stats_us(vj.get('spans_gsm8k_us'))},
              'trace': {'stitched450': stats_us(vj.get('trace450_us')),
                        'gsm8k': stats_us(vj.get('trace_gsm8k_us'))},
              'spans_max_count': vj.get('spans_max_count'),
              'extra': {k: v for k, v in vj.items() if not k.endswith('_us')}}
        VB_RAW = {k: v for k, v in vj.items() if k.endswith('_us')}
        if VB['count'] and len(vj['count_us']) != len(queries):
            todo = f"verbatim count_us has {len(vj['count_us'])} entries, expected {len(queries)}"
        attr = 'attribute_max10' if vj.get('spans_max_count') == 10 else 'attribute_max1e6'

        def ratio(ig, vb):
            return ig['p50_us'] / vb['p50_us'] if ig and vb else None
        RATIOS = {'count': ratio(IG['count'], VB['count'])}
        for s in sets:
            RATIOS[f'spans_{s}_vs_{attr}'] = ratio(IG[attr][s], VB['spans'][s])
            RATIOS[f'trace_{s}_vs_olmotrace_no_bm25'] = ratio(IG['olmotrace_no_bm25'][s], VB['trace'][s])
    else:
        todo = (f'TODO: {args.verbatim_json} not found; run the Rust bench (verbatim bench-queries) '
                'on the --dump-inputs file to fill the verbatim half')

    R = {'meta': {'date_utc': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                  'host': platform.node(), 'cpus': os.cpu_count(),
                  'loadavg_1m_start_end': [load0, loadavg()], 'ig_index': cp.IG_INDEX,
                  'verbatim_index': cp.VB_INDEX, 'ig_engine_load_s': load_s, 'ig_prefetch': args.prefetch,
                  'ig_tok_cnt': engine.engine.get_tok_cnt(s=0), 'ig_doc_cnt': engine.get_total_doc_cnt(),
                  'ig_proc_maxrss_MiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'timer': 'time.perf_counter around one Python call; cpu_* = process CPU time'},
         'inputs': {'queries': len(queries), 'query_seed': 0, 'query_n': '1..20 uniform',
                    'texts': {k: len(v) for k, v in sets.items()},
                    'mean_tokens': {k: float(np.mean([len(x) for x in v])) for k, v in sets.items()},
                    'dumped_to': args.dump_inputs},
         'infini_gram': IG, 'verbatim': VB, 'verbatim_todo': todo, 'ratios_p50': RATIOS,
         'raw_us': {'infini_gram': RAW, 'verbatim': VB_RAW}}
    with open(args.out, 'w') as f:
        json.dump(R, f, indent=1)

    def fmt(d):
        return 'n/a' if not d else f"p50 {d['p50_us']:10.1f} us  p99 {d['p99_us']:10.1f} us  (n={d['n']})"
    print(f"infini-gram ({R['meta']['ig_tok_cnt']} tokens, {R['meta']['ig_doc_cnt']} docs), load {load_s*1e3:.0f} ms")
    print(f"  count                     {fmt(IG['count'])}")
    for name in ['attribute_max10', 'attribute_max1e6', 'olmotrace_no_bm25']:
        for s in sets:
            print(f"  {name:18s} {s:11s} {fmt(IG[name][s])}")
    if VB:
        print('verbatim')
        print(f"  count                     {fmt(VB['count'])}")
        for k in ['spans', 'trace']:
            for s in sets:
                print(f"  {k:18s} {s:11s} {fmt(VB[k][s])}")
        print('p50 ratios (infini-gram / verbatim):', json.dumps(RATIOS))
    else:
        print(todo)
    print(f"loadavg start/end {R['meta']['loadavg_1m_start_end']}; wrote {args.out}")


if __name__ == '__main__':
    main()
