#!/usr/bin/env python3
"""Issue 14, must-show 1: `medium` split into three indexes by source, queried as one group,
answers exactly as one index built over the whole corpus.

    benches/groups/compare_group.py --verbatim target/release/verbatim \
        --whole WHOLE_INDEX --stage pre-training=PRE --stage mid-training=MID \
        --stage post-training=POST --corpus /work/shared/data/corpora/medium \
        [--texts 100] [--out benches/groups/group_results.json]

The indexes are built with `verbatim index` from the corpus files in order (see
benches/RESULTS.md): PRE from gutenberg-*.jsonl.zst, MID from the WikiText and Shakespeare
lines of misc-000.jsonl.zst, POST from its Dolma lines, WHOLE from the whole directory.

For each of --texts texts (stitched from 4-6 random passages of 8-60 words of documents of
all three stages, with invented words between them), it compares `verbatim spans --json`
(every maximal span and its count) and `verbatim trace --json --density 1` (every span traced,
10 documents per span, with their global numbers, ids, snippets and BM25 ranks) of WHOLE with
those of the group (`--index PRE --index MID --index POST`), after removing what names the
index (its name, the documents' `index` and `stage`, `stages`, `stage_counts`, timings); and
checks that every cited document's stage is the one its source belongs to and that
stage_counts add up to each span's count.
"""
import argparse
import json
import random
import subprocess
import tempfile
import os

STAGE_OF_SOURCE = {'gutenberg': 'pre-training', 'wikitext-2': 'mid-training',
                   'tinyshakespeare': 'mid-training', 'dolma-tests/common-crawl': 'post-training'}


def load_docs(corpus):
    docs = []
    for name in sorted(os.listdir(corpus)):
        raw = subprocess.run(['zstdcat', os.path.join(corpus, name)], check=True,
                             capture_output=True).stdout.decode('utf-8')
        for line in raw.splitlines():
            d = json.loads(line)
            docs.append((d['source'], d['text']))
    return docs


def texts(docs, n, seed=14):
    rng = random.Random(seed)
    by_stage = {}
    for src, text in docs:
        by_stage.setdefault(STAGE_OF_SOURCE[src], []).append(text)
    stages = sorted(by_stage)
    out = []
    for i in range(n):
        parts = []
        for j in range(rng.randint(4, 6)):
            pool = by_stage[stages[(i + j) % len(stages)]]
            words = rng.choice(pool).split()
            if len(words) < 10:
                continue
            a = rng.randrange(0, max(1, len(words) - 8))
            parts.append(' '.join(words[a:a + rng.randint(8, 60)]))
            parts.append(f'zorbleflux{rng.randint(0, 10**6)} quandivore')
        out.append(' '.join(parts))
    return out


def strip(v):
    v.pop('index', None)
    v.pop('stages', None)
    v.pop('timing_ms', None)
    for s in v.get('spans', []):
        s.pop('stage_counts', None)
    for d in v.get('documents', []):
        d.pop('index', None)
        d.pop('stage', None)
    return v


def run(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--verbatim', default='target/release/verbatim')
    ap.add_argument('--whole', required=True)
    ap.add_argument('--stage', action='append', required=True, help='LABEL=INDEX_DIR, in order')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--texts', type=int, default=100)
    ap.add_argument('--out', default='benches/groups/group_results.json')
    a = ap.parse_args()
    stages = [s.split('=', 1) for s in a.stage]
    group_args = [x for label, d in stages for x in ('--index', d, '--stage', label)]
    docs = load_docs(a.corpus)
    res = {'texts': 0, 'equal_spans': 0, 'equal_traces': 0, 'spans': 0, 'documents_cited': 0,
           'documents_by_stage': {}, 'wrong_stage': 0, 'stage_counts_add_up': 0, 'failures': []}
    with tempfile.TemporaryDirectory() as tmp:
        for i, t in enumerate(texts(docs, a.texts)):
            path = os.path.join(tmp, f'{i}.txt')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(t)
            common = ['--file', path, '--json']
            ws = run([a.verbatim, 'spans', '--index', a.whole] + common)
            gs = run([a.verbatim, 'spans'] + group_args + common)
            tr = common + ['--density', '1', '--pii', 'off']
            wt = run([a.verbatim, 'trace', '--index', a.whole] + tr)
            gt = run([a.verbatim, 'trace'] + group_args + tr)
            res['texts'] += 1
            res['spans'] += len(gs['spans'])
            for s in gs['spans']:
                res['stage_counts_add_up'] += sum(c['count'] for c in s['stage_counts']) == s['count']
            for d in gt['documents']:
                res['documents_cited'] += 1
                res['documents_by_stage'][d['stage']] = res['documents_by_stage'].get(d['stage'], 0) + 1
                res['wrong_stage'] += STAGE_OF_SOURCE[d['source']] != d['stage']
            same_spans = strip(ws) == strip(gs)
            same_trace = strip(wt) == strip(gt)
            res['equal_spans'] += same_spans
            res['equal_traces'] += same_trace
            if not (same_spans and same_trace) and len(res['failures']) < 3:
                res['failures'].append({'text': i, 'spans': same_spans, 'trace': same_trace})
    print(json.dumps({k: v for k, v in res.items() if k != 'failures'}))
    print(f"{res['equal_spans']} of {res['texts']} texts: equal spans and counts; "
          f"{res['equal_traces']} of {res['texts']}: equal traces (spans, cited documents, snippets, ranks); "
          f"{res['documents_cited']} documents cited {res['documents_by_stage']}, {res['wrong_stage']} with a wrong stage; "
          f"stage counts add up for {res['stage_counts_add_up']} of {res['spans']} spans")
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
