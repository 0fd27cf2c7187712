#!/usr/bin/env python3
"""verbatim serving infini-gram's own index, compared with infini-gram's engine (issue 12).

Run with the peer venv's python against a running server that serves the infini-gram index
(attached or bare) and verbatim's own index of the same corpus:

    verbatim serve --index IG_SIDE_OR_DIR --index VERBATIM_INDEX --addr 127.0.0.1:8092 &
    /work/peer/ig/venv/bin/python benches/peer/compare_infini_gram_index.py \
        --url http://127.0.0.1:8092 --ig-name index_u16 --vb-name medium \
        [--ig-index /work/peer/ig/index_u16] [--dtype u16] [--out RESULTS.json]

Checks (a summary on stdout, every mismatch in --out):

1. counts: the 1,000 n-grams of compare_peer.py (seed 0) — infini-gram `engine.count` vs
   `POST /api/infini-gram` count on both served indexes.
2. maximal spans: the 100 texts of compare_peer.py — `engine.attribute(ids, delims, 1,
   max_cnt, True)` vs `POST /api/v1/spans` (max_count 10 and 1,000,000) on both indexes,
   (l, r, count) triples; texts where infini-gram's known rank-0 bug shows (compare_peer.py)
   are reported apart.
3. documents by rank and by pointer: for the first 200 n-grams, three ranks of each `find`
   segment: `engine.get_doc_by_rank` vs `get_doc_by_rank` on the served infini-gram index
   (same suffix array: equal documents expected); and `engine.get_doc_by_ptr(ptr)` vs
   `get_doc_by_ptr` on both indexes, with ptr read from infini-gram's table (the token streams
   are the same, so a byte pointer means the same token in both).
4. 200 mixed requests of every query type (CNF with AND and OR included) to the compatible
   endpoint of the served infini-gram index, answered again by the engine as infini-gram's
   API server (api_server.py) would: equal fields except `latency`; `search_docs` samples at
   random on both sides, so there `cnt`/`approx` must be equal and each returned document
   must be the engine's document at the occurrence verbatim names (`idxs`).
5. traces: `POST /api/v1/trace` of 20 texts on both served indexes: the same spans (text,
   count) and the same documents (id, span ids) in the same order.
"""
import argparse
import json
import os
import random
import sys
import time
import urllib.request

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_peer as cp  # noqa: E402


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={'content-type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b'{}')


def api(url, body):
    status, v = post(url, '/api/infini-gram', body)
    if status != 200:
        raise RuntimeError(f'{status}: {v}')
    return v


class Reference:
    """infini-gram's API server (api_server.py's Processor) over its engine, for one index."""

    def __init__(self, engine, tok, vocab, sep, u8=False):
        self.e, self.tok, self.vocab, self.sep, self.u8 = engine, tok, vocab, sep, u8

    def tokenize(self, q):
        return self.tok.encode(' ' + q, add_special_tokens=False).ids if q else []

    def decode(self, ids):
        if self.u8:  # verbatim's byte tokenizer: UTF-8 with U+FFFD for broken sequences
            return bytes(ids).decode('utf-8', 'replace')
        return self.tok.decode(ids, skip_special_tokens=False)

    def pieces(self, ids):
        if self.u8:
            return [chr(i) for i in ids]
        return [self.tok.id_to_token(i) for i in ids]

    def spans(self, token_ids, cnf):
        """api_server.py's marking of a document: each clause's terms, leftmost first."""
        spans = [(token_ids, None)]
        for d, clause in enumerate(cnf):
            for needle in clause:
                new = []
                for hay, lab in spans:
                    if lab is not None:
                        new.append((hay, lab))
                        continue
                    while True:
                        pos = next((p for p in range(len(hay) - len(needle) + 1) if hay[p:p + len(needle)] == needle), -1)
                        if pos == -1:
                            break
                        if pos > 0:
                            new.append((hay[:pos], None))
                        new.append((hay[pos:pos + len(needle)], str(d)))
                        hay = hay[pos + len(needle):]
                    if hay:
                        new.append((hay, None))
                spans = new
        return [[self.decode(t), lab] for t, lab in spans]

    def answer(self, req):
        qt = req['query_type']
        if 'query' in req:
            q = req['query']
            if ' AND ' in q or ' OR ' in q:
                ids = [[self.tokenize(t) for t in c.split(' OR ')] for c in q.split(' AND ')]
            else:
                ids = self.tokenize(q)
        else:
            ids = req['query_ids']
        cnf = bool(ids) and isinstance(ids[0], list)
        kw = {k: v for k, v in req.items() if k not in ('index', 'query_type', 'query', 'query_ids')}
        e = self.e
        if qt == 'count':
            r = e.count_cnf(ids, **kw) if cnf else e.count(ids)
        elif qt == 'prob':
            r = e.prob(ids[:-1], ids[-1])
        elif qt == 'infgram_prob':
            r = e.infgram_prob(ids[:-1], ids[-1])
            if 'suffix_len' in r:
                r['longest_suffix'] = self.decode(ids[-r['suffix_len'] - 1:-1])
        elif qt in ('ntd', 'infgram_ntd'):
            r = getattr(e, qt)(ids, **kw)
            for t in r.get('result_by_token_id', {}):
                r['result_by_token_id'][t]['token'] = self.pieces([t])[0].replace('Ġ', ' ')
            if 'suffix_len' in r:
                r['longest_suffix'] = self.decode(ids[len(ids) - r['suffix_len']:])
        elif qt == 'find':
            r = e.find(ids)
        elif qt == 'find_cnf':
            r = e.find_cnf(ids, **kw)
        elif qt in ('get_doc_by_rank', 'get_doc_by_ptr'):
            r = getattr(e, qt)(**kw)
            if 'token_ids' in r:
                r['spans'] = self.spans(r['token_ids'], [[ids]] if ids and not cnf else (ids if cnf else []))
        else:
            raise ValueError(qt)
        r['token_ids'] = ids
        r['tokens'] = [[self.pieces(t) for t in c] for c in ids] if cnf else self.pieces(ids)
        return json.loads(json.dumps(r))  # int keys become strings, tuples lists


def doc_core(d, dec=None):
    """A document's fields; through the API (`tok` None) its text is its one span (the API's
    `token_ids` are the query's, as in infini-gram's server), from the engine its tokens
    decoded."""
    core = {k: d[k] for k in ('doc_ix', 'doc_len', 'disp_len', 'needle_offset', 'metadata', 'blocked')}
    core['text'] = dec(d['token_ids']) if dec else ''.join(s[0] for s in d['spans'])
    return core


def same(a, b, float_keys=('prob',)):
    """Equal JSON values, floats compared to 1e-12 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))
    return a == b


def mixed_requests(rng, queries, ds, tok, index, n=200):
    """200 requests: every query type, text and ids, CNF with AND and OR."""
    words = [q for q in queries if 2 <= len(q) <= 6]
    dec = lambda ids: tok.decode(ids, skip_special_tokens=False).strip()
    reqs = []
    kinds = ['count', 'count_text', 'prob', 'ntd', 'infgram_prob', 'infgram_ntd', 'find',
             'find_cnf_and', 'find_cnf_or', 'count_cnf', 'search_docs', 'search_docs_cnf',
             'get_doc_by_rank', 'get_doc_by_ptr']
    for i in range(n):
        k = kinds[i % len(kinds)]
        q = rng.choice(words)
        if k == 'count':
            reqs.append({'index': index, 'query_type': 'count', 'query_ids': q})
        elif k == 'count_text':
            reqs.append({'index': index, 'query_type': 'count', 'query': dec(q)})
        elif k in ('prob', 'infgram_prob'):
            pre = [int(x) for x in ds[rng.randrange(0, len(ds) - 30):][:rng.randint(1, 3)] if x != cp.SEP]
            reqs.append({'index': index, 'query_type': k, 'query_ids': pre + q})
        elif k in ('ntd', 'infgram_ntd'):
            r = {'index': index, 'query_type': k, 'query_ids': q[:rng.randint(1, len(q))]}
            if i % 3 == 0:
                r['max_support'] = rng.choice([10, 100, 1000])
            reqs.append(r)
        elif k == 'find':
            reqs.append({'index': index, 'query_type': 'find', 'query_ids': q})
        elif k == 'find_cnf_and':
            a, b = rng.choice(words), rng.choice(words)
            reqs.append({'index': index, 'query_type': 'find_cnf', 'query_ids': [[a[:2]], [b[:1]]],
                         'max_diff_tokens': rng.choice([10, 100, 1000])})
        elif k == 'find_cnf_or':
            a, b, c = rng.choice(words), rng.choice(words), rng.choice(words)
            reqs.append({'index': index, 'query_type': 'find_cnf', 'query_ids': [[a[:2], b[:2]], [c[:1]]],
                         'max_clause_freq': rng.choice([1000, 50000, 500000])})
        elif k == 'count_cnf':
            a, b = dec(rng.choice(words)[:2]), dec(rng.choice(words)[:2])
            c = dec(rng.choice(words)[:1])
            reqs.append({'index': index, 'query_type': 'count', 'query': f'{a} OR {c} AND {b}'})
        elif k == 'search_docs':
            reqs.append({'index': index, 'query_type': 'search_docs', 'query_ids': q,
                         'maxnum': rng.randint(1, 10), 'max_disp_len': rng.choice([20, 1000])})
        elif k == 'search_docs_cnf':
            a, b = rng.choice(words), rng.choice(words)
            reqs.append({'index': index, 'query_type': 'search_docs', 'query_ids': [[a[:2]], [b[:1], q[:1]]],
                         'maxnum': 3, 'max_disp_len': 50})
        elif k == 'get_doc_by_rank':
            reqs.append({'index': index, 'query_type': 'get_doc_by_rank', 'query_ids': q, 's': 0,
                         'rank': rng.randrange(0, len(ds)), 'max_disp_len': rng.choice([10, 1000])})
        elif k == 'get_doc_by_ptr':
            reqs.append({'index': index, 'query_type': 'get_doc_by_ptr', 'query_ids': q, 's': 0,
                         'ptr': 2 * rng.randrange(0, len(ds) * ds.itemsize // 2), 'max_disp_len': rng.choice([10, 1000])})
    return reqs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', default='http://127.0.0.1:8092')
    ap.add_argument('--ig-name', default='index_u16')
    ap.add_argument('--vb-name', default='medium')
    ap.add_argument('--ig-index', default=cp.IG_INDEX)
    ap.add_argument('--out', default=None)
    ap.add_argument('--skip-spans', action='store_true')
    ap.add_argument('--dtype', default='u16', choices=['u16', 'u8'],
                    help='u8: a byte-level index (MODE=u8); token-id queries only, no spans or traces')
    a = ap.parse_args()
    t0 = time.time()
    if a.dtype == 'u8':
        from infini_gram.engine import InfiniGramEngine
        cp.SEP, cp.VOCAB = 0xFF, 255
        engine = InfiniGramEngine(index_dir=a.ig_index, eos_token_id=0, vocab_size=255, version=4, token_dtype='u8')
        ds = np.memmap(os.path.join(a.ig_index, 'tokenized.0'), dtype=np.uint8, mode='r')
        a.skip_spans = True
    else:
        engine = cp.make_engine(a.ig_index)
        ds = cp.open_ds(a.ig_index)
    tok = cp.load_tokenizer()
    names = [n for n in (a.ig_name, a.vb_name) if n]
    out = {'meta': {'url': a.url, 'ig_index': a.ig_index, 'ig_name': a.ig_name, 'vb_name': a.vb_name,
                    'loadavg_start': open('/proc/loadavg').read().split()[:3]}}
    queries = cp.sample_queries(ds)

    # 1. counts
    res = {}
    for name in names:
        bad = []
        for q in queries:
            want = engine.count(q)['count']
            got = api(a.url, {'index': name, 'query_type': 'count', 'query_ids': q})['count']
            if got != want:
                bad.append({'ids': q, 'infini_gram': want, 'verbatim': got})
        res[name] = {'n': len(queries), 'equal': len(queries) - len(bad), 'unequal': bad}
        print(f'counts on {name}: {len(queries) - len(bad)} of {len(queries)} equal', flush=True)
    out['counts'] = res

    # 2. spans
    if not a.skip_spans:
        texts = cp.build_texts(ds, tok)
        res = {}
        for name in names:
            for m in cp.MAX_CNTS:
                eq, spans, diffs = 0, 0, []
                for i, tx in enumerate(texts):
                    ig = [(s['l'], s['r'], s['count']) for s in engine.attribute(tx['ids'], cp.DELIMS, 1, m, True)['spans']]
                    st, v = post(a.url, '/api/v1/spans', {'index': name, 'token_ids': tx['ids'], 'max_count': m})
                    if st != 200:
                        st, v = post(a.url, '/api/v1/spans', {'index': name, 'text': tx['text'], 'max_count': m})
                    vs = [(s['token_start'], s['token_end'], s['count']) for s in v['spans']]
                    spans += len(ig)
                    if ig == vs:
                        eq += 1
                    else:
                        diffs.append({'text': i, 'ig_only': sorted(set(ig) - set(vs)), 'vb_only': sorted(set(vs) - set(ig))})
                res[f'{name}/max{m}'] = {'texts': len(texts), 'equal_texts': eq, 'ig_spans': spans, 'diffs': diffs}
                print(f'spans on {name}, max_count {m}: {eq} of {len(texts)} texts equal ({spans} spans)', flush=True)
        out['spans'] = res

    # 3. documents by rank and by pointer
    table = np.memmap(os.path.join(a.ig_index, 'table.0'), dtype=np.uint8, mode='r')
    ptr_size = len(table) // len(ds)
    dec = (lambda ids: bytes(ids).decode('utf-8', 'replace')) if a.dtype == 'u8' else (lambda ids: tok.decode(ids, skip_special_tokens=False))
    rng = random.Random(12)
    res = {'by_rank': {'n': 0, 'equal': 0, 'unequal': []}}
    for name in names:
        res[f'by_ptr/{name}'] = {'n': 0, 'equal': 0, 'unequal': []}
    for q in queries[:200]:
        lo, hi = engine.find(q)['segment_by_shard'][0]
        for rank in sorted({lo, hi - 1, rng.randrange(lo, hi)}):
            disp = rng.choice([1, 7, 100, 1000])
            want = engine.get_doc_by_rank(s=0, rank=rank, max_disp_len=disp)
            got = api(a.url, {'index': a.ig_name, 'query_type': 'get_doc_by_rank', 'query_ids': [], 's': 0, 'rank': rank, 'max_disp_len': disp})
            R = res['by_rank']
            R['n'] += 1
            if doc_core(got) == doc_core(want, dec):
                R['equal'] += 1
            else:
                R['unequal'].append({'rank': rank, 'infini_gram': want, 'verbatim': got})
            ptr = int.from_bytes(bytes(table[rank * ptr_size:(rank + 1) * ptr_size]), 'little')
            if ptr % 2:
                continue  # infini-gram's Python layer takes even pointers only (u8 included)
            want = engine.get_doc_by_ptr(s=0, ptr=ptr, max_disp_len=disp)
            for name in names:
                got = api(a.url, {'index': name, 'query_type': 'get_doc_by_ptr', 'query_ids': [], 's': 0, 'ptr': ptr, 'max_disp_len': disp})
                R = res[f'by_ptr/{name}']
                R['n'] += 1
                w = doc_core(want, dec)
                g = doc_core(got)
                if name == a.vb_name:
                    # verbatim's own index gives its records' metadata, not infini-gram's line
                    w.pop('metadata'); g.pop('metadata')
                if g == w:
                    R['equal'] += 1
                else:
                    R['unequal'].append({'ptr': ptr, 'infini_gram': want, 'verbatim': got})
    for k, R in res.items():
        print(f'documents {k}: {R["equal"]} of {R["n"]} equal', flush=True)
    out['documents'] = res

    # 4. 200 mixed API requests
    ref = Reference(engine, tok, cp.VOCAB, cp.SEP, u8=a.dtype == 'u8')
    reqs = mixed_requests(random.Random(7), queries, ds, tok, a.ig_name)
    if a.dtype == 'u8':  # no tokenizer on either side: token ids only
        reqs = [r for r in reqs if 'query' not in r]
    by_type, bad, approx_notes = {}, [], []
    for req in reqs:
        got = api(a.url, req)
        qt = req['query_type']
        key = qt + ('_cnf' if isinstance(req.get('query_ids', [0])[0] if req.get('query_ids') else 0, list) or ' AND ' in req.get('query', '') or ' OR ' in req.get('query', '') else '')
        T = by_type.setdefault(key, {'n': 0, 'equal': 0, 'approx': 0})
        T['n'] += 1
        if qt == 'search_docs':
            cnf = key.endswith('_cnf')
            ids = got['token_ids']
            kw = {k: req[k] for k in ('maxnum', 'max_disp_len') if k in req}
            want = ref.e.search_docs_cnf(ids, **kw) if cnf else ref.e.search_docs(ids, **kw)
            ok = got['cnt'] == want['cnt'] and got['approx'] == want['approx'] and len(got['documents']) == len(want['documents'])
            if ok and not cnf:
                lo, _ = engine.find(ids)['segment_by_shard'][0]
                for idx, d in zip(got['idxs'], got['documents']):
                    w = engine.get_doc_by_rank(s=0, rank=lo + idx, max_disp_len=req.get('max_disp_len', 1000))
                    ok &= doc_core(w, dec) == doc_core(d)
            elif ok:
                f = engine.find_cnf(ids)
                docs = {engine.get_doc_by_ptr(s=0, ptr=p - p % 2, max_disp_len=1)['doc_ix'] for p in f['ptrs_by_shard'][0]}  # even: infini-gram's Python layer
                ok &= all(d['doc_ix'] in docs for d in got['documents'])
            if got['approx']:
                T['approx'] += 1
        else:
            want = ref.answer(req)
            g = {k: v for k, v in got.items() if k != 'latency'}
            w = {k: v for k, v in want.items() if k != 'latency'}
            ok = same(g, w)
            if got.get('approx'):
                T['approx'] += 1
        if ok:
            T['equal'] += 1
        else:
            bad.append({'request': req, 'verbatim': got, 'infini_gram': want if qt != 'search_docs' else None})
    for k, T in sorted(by_type.items()):
        print(f'api {k}: {T["equal"]} of {T["n"]} equal ({T["approx"]} approximate)', flush=True)
    out['api'] = {'requests': len(reqs), 'equal': len(reqs) - len(bad), 'by_type': by_type, 'unequal': bad}
    print(f'api: {len(reqs) - len(bad)} of {len(reqs)} requests equal', flush=True)

    # 5. traces
    if not a.vb_name or a.dtype == 'u8':
        texts = []
    else:
        texts = cp.build_texts(ds, tok)[:10] + cp.build_texts(ds, tok)[50:60]
    eq, diffs = 0, []
    for i, tx in enumerate(texts):
        tr = {}
        for name in names:
            st, v = post(a.url, '/api/v1/trace', {'index': name, 'response': tx['text']})
            assert st == 200, v
            tr[name] = ([(s['text'], s['count']) for s in v['spans']],
                        [(d['id'], d['span_ids']) for d in v['documents']])
        if tr[a.ig_name] == tr[a.vb_name]:
            eq += 1
        else:
            diffs.append({'text': i, 'ig': tr[a.ig_name], 'vb': tr[a.vb_name]})
    if texts:
        print(f'traces: {eq} of {len(texts)} texts with the same spans and documents', flush=True)
    out['traces'] = {'texts': len(texts), 'equal': eq, 'diffs': diffs}
    out['meta']['loadavg_end'] = open('/proc/loadavg').read().split()[:3]
    out['meta']['seconds'] = time.time() - t0
    if a.out:
        with open(a.out, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
