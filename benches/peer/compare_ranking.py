#!/usr/bin/env python3
"""Issue 14, must-show 2: verbatim's span ranking and density cap against a reference built
from infini-gram 2.6.0's `attribute()` output with OLMoTrace's ranking rule.

Run with the peer venv's python (infini_gram, numpy, tokenizers):

    /work/peer/ig/venv/bin/python benches/peer/compare_ranking.py \
        --verbatim target/release/verbatim --index /work/scratch-14/idx/whole \
        [--ig-index /work/peer/ig/index_u16] [--out benches/peer/ranking_results.json]

For the same 100 texts as compare_peer.py (50 GSM8K model solutions, 50 stitched ~450-token
texts), and each `span_ranking_method` in {unigram_logprob_sum, length}:

- reference: infini-gram `attribute(ids, [15, 187], 1, 1000000, True)` (OLMoTrace's
  delimiters, minimum length, maximum frequency, word boundaries; word starts from
  make_bow.py), each span's unigram log-probability sum from infini-gram's own unigram
  counts (`engine.count([t])` over all tokens, separators included: this index has no
  unigram table, and attribute() then reports -10000 per token), then OLMoTrace's rule:
  K = ceil(0.05 x tokens); a stable sort by unigram_logprob_sum ascending, or by length
  descending; the first K kept, in text order;
- verbatim: `verbatim trace --json --density 0.05 --ranking METHOD` (default controls otherwise).

A text passes when the kept spans are the same (l, r, count) in the same order. Spans whose
unigram log-probability sums differ by more than 1e-6 between the two are counted too.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_peer as cp  # noqa: E402

DENSITY = 0.05
MAX_CNT = 1_000_000


def reference(spans, ntok, method):
    k = math.ceil(DENSITY * ntok)
    if method == 'unigram_logprob_sum':
        ranked = sorted(spans, key=lambda s: s['unigram_logprob_sum'])
    else:
        ranked = sorted(spans, key=lambda s: -s['length'])
    kept = ranked[:k]
    return sorted(kept, key=lambda s: s['l'])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--verbatim', default=cp.VB_BIN)
    ap.add_argument('--index', required=True)
    ap.add_argument('--ig-index', default=cp.IG_INDEX)
    ap.add_argument('--out', default=os.path.join(HERE, 'ranking_results.json'))
    ap.add_argument('--bow-ids', default=cp.BOW_IDS,
                    help='word-start ids of the OLMo tokenizer (make_bow.py TOKENIZER > FILE)')
    a = ap.parse_args()
    cp.BOW_IDS = a.bow_ids
    engine = cp.make_engine(a.ig_index)
    ds = cp.open_ds(a.ig_index)
    total = len(ds)  # every token, separators included, as infini-gram counts
    unigram = {}

    def logprob_sum(ids):
        # This infini-gram index has no unigram table (its attribute() reports -10000 per
        # token), so the sum comes from infini-gram's own unigram counts.
        out = 0.0
        for t in ids:
            if t not in unigram:
                c = engine.count([t])['count']
                unigram[t] = math.log(c) - math.log(total) if c > 0 else -10000.0
            out += unigram[t]
        return out

    tok = cp.load_tokenizer()
    texts = cp.build_texts(ds, tok)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in ['unigram_logprob_sum', 'length']:
            same = 0
            kept_total = 0
            logprob_diffs = 0
            failures = []
            for i, t in enumerate(texts):
                ig = engine.attribute(t['ids'], cp.DELIMS, 1, MAX_CNT, True)['spans']
                for s in ig:
                    s['unigram_logprob_sum'] = logprob_sum(t['ids'][s['l']:s['r']])
                want = reference(ig, len(t['ids']), method)
                path = os.path.join(tmp, f'{i}.txt')
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(t['text'])
                out = subprocess.run(
                    [a.verbatim, 'trace', '--index', a.index, '--file', path, '--json',
                     '--density', str(DENSITY), '--ranking', method.replace('_', '-'),
                     '--docs-per-span', '1', '--pii', 'off'],
                    check=True, capture_output=True, text=True).stdout
                got = json.loads(out)
                assert got['options']['span_ranking_method'] == method
                assert got['tokens'] == len(t['ids']), (i, got['tokens'], len(t['ids']))
                g = [(s['token_start'], s['token_end'], s['count']) for s in got['spans']]
                w = [(s['l'], s['r'], s['count']) for s in want]
                kept_total += len(w)
                for s, ws in zip(got['spans'], want):
                    if abs(s['unigram_logprob'] - ws['unigram_logprob_sum']) > 1e-6:
                        logprob_diffs += 1
                if g == w:
                    same += 1
                else:
                    failures.append({'text': i, 'source': t['source'], 'verbatim': g, 'reference': w})
            results[method] = {'texts': len(texts), 'same': same, 'kept_spans': kept_total,
                               'logprob_differences': logprob_diffs, 'failures': failures[:5]}
            print(f'{method}: {same} of {len(texts)} texts keep the same spans in the same order '
                  f'({kept_total} spans kept by the reference; {logprob_diffs} log-prob sums differ by > 1e-6)')
    with open(a.out, 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
