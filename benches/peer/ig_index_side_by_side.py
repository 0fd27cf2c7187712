#!/usr/bin/env python3
"""infini-gram's half of the side-by-side timing on infini-gram's own index (issue 12).

    /work/peer/ig/venv/bin/python benches/peer/ig_index_side_by_side.py INPUTS.json VERBATIM.json OUT.json

INPUTS.json is bench_peer_side_by_side.py's --dump-inputs (1,000 n-grams, 50 stitched
450-token texts, 50 GSM8K solutions); VERBATIM.json is benches/side_by_side.rs's output on the
same inputs, run on the same infini-gram index served by verbatim. Times, per input, one Python
call of infini-gram's engine as its users make them (prefetch 1,3,3, the 2.6.0 defaults):
engine.count(ids), and engine.attribute(ids, [15, 187], 1, 10, True) (the maximal spans with
max count 10, as verbatim's spans timing uses), after a warm-up over every input; prints the
p50s side by side with their ratios and writes them to OUT.json.
"""
import json, os, statistics, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_peer as cp  # noqa: E402

inputs, vjson, out = sys.argv[1:4]
d = json.load(open(inputs))
v = json.load(open(vjson))
e = cp.make_engine()
queries = d['queries']
texts = d['texts']
load0 = open('/proc/loadavg').read().split()[:3]
for q in queries[:200]:
    e.count(q)
for t in texts:
    e.attribute(t['ids'], cp.DELIMS, 1, 10, True)

def timed(f, xs):
    out = []
    for x in xs:
        t = time.perf_counter(); f(x); out.append((time.perf_counter() - t) * 1e6)
    return out

count_us = timed(lambda q: e.count(q), queries)
st = [t['ids'] for t in texts if t['kind'] == 'stitched']
gs = [t['ids'] for t in texts if t['kind'] != 'stitched']
attr = lambda ids: e.attribute(ids, cp.DELIMS, 1, 10, True)
spans450_us = timed(attr, st)
spans_gsm8k_us = timed(attr, gs)
p50 = statistics.median
rows = [('count, 1,000 n-grams', p50(count_us), p50(v['count_us'])),
        ('maximal spans, 50 stitched 450-token texts, max count 10', p50(spans450_us), p50(v['spans450_us'])),
        ('maximal spans, 50 GSM8K solutions, max count 10', p50(spans_gsm8k_us), p50(v['spans_gsm8k_us']))]
for name, ig, vb in rows:
    print(f'{name}: infini-gram {ig:.1f} us, verbatim {vb:.1f} us, ratio {ig / vb:.1f}x')
res = {'loadavg_python_start': load0, 'loadavg_end': open('/proc/loadavg').read().split()[:3],
       'infini_gram_us': {'count': count_us, 'spans450': spans450_us, 'spans_gsm8k': spans_gsm8k_us},
       'p50_us': {name: {'infini_gram': ig, 'verbatim': vb, 'ratio': ig / vb} for name, ig, vb in rows},
       'verbatim_index': v.get('index'), 'tokenization_equal': v.get('tokenization_equal')}
json.dump(res, open(out, 'w'), indent=1)
