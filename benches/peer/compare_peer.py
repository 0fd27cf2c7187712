#!/usr/bin/env python3
"""Answer-equality check: verbatim vs infini-gram 2.6.0 on the same corpus (issue 3, must-show 2).

Run with the peer venv's python (it has infini_gram, numpy and tokenizers):

    /work/peer/ig/venv/bin/python benches/peer/compare_peer.py \
        [--verbatim target/release/verbatim] [--index /work/idx/medium] \
        [--ig-index /work/peer/ig/index_u16] [--out benches/peer/compare_results.json]

Three checks, results in --out (JSON) and a summary on stdout:

1. counts: 1,000 n-grams (n uniform in 1..20, seed 0, never containing the separator 65535)
   sampled from infini-gram's tokenized.0, exactly as /work/shared/peer/infini-gram/bench.py
   samples them; infini-gram `engine.count(ids)['count']` vs `verbatim count --ids ... --json`.
2. spans: 100 texts (50 GSM8K model solutions + 50 stitched ~450-token texts of corpus
   snippets and novel sentences), tokenized with the OLMo GPT-NeoX tokenizer
   (add_special_tokens=False); infini-gram `attribute(ids, [15, 187], 1, MAX_CNT, True)`
   (bow ids enforced) vs `verbatim spans --json --max-count MAX_CNT`, comparing (l, r, count)
   triples, for MAX_CNT in {10, 1000000}. verbatim's tokenization of each text is checked first
   (`verbatim count --file TEXT --json` token_ids == Python ids).
   Every text is also run through a count-based Python reference of attribute() (notes §4),
   once with exact longest matches and once reproducing infini-gram's rank-0 bug (no SA
   neighbour inspected when the insertion point is rank 0), so a mismatch can be classified:
   `rank0_bug` when infini-gram == buggy reference, verbatim == exact reference, and every
   span only verbatim reports really occurs (brute-force engine.count over its ids).
3. cited documents: `verbatim trace --json --density 1 --max-count 1000000` on 20 texts; for
   every span and every document it cites (span.document_ids and document.span_ids),
   `verbatim doc ID --json` text must contain the span text.

The text builders (`build_texts`, `sample_ngram`) are imported by bench_peer_side_by_side.py.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))

IG_INDEX = '/work/peer/ig/index_u16'
# run_peer.sh's MODE=u8 overwrites bow_ids.txt with byte ids: IG_BOW_IDS names a u16 one
# (make_bow.py TOKENIZER > FILE).
BOW_IDS = os.environ.get('IG_BOW_IDS', '/work/peer/ig/bow_ids.txt')
VB_INDEX = '/work/idx/medium'
VB_BIN = os.path.join(ROOT, 'target', 'release', 'verbatim')
TOKENIZER = '/work/shared/data/tokenizers/olmo-gpt-neox.json'
GSM8K = '/work/shared/data/benchmarks/gsm8k/example_model_solutions.jsonl'
EOS = 50279
VOCAB = 50280
SEP = 0xFFFF
DELIMS = [15, 187]  # '.' and '\n' in the OLMo GPT-NeoX vocabulary
MAX_CNTS = [10, 1_000_000]
SOLUTION_KEYS = ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification']


# ------------------------------------------------------------------ shared helpers

def make_engine(ig_index=IG_INDEX, prefetch=(1, 3, 3)):
    from infini_gram.engine import InfiniGramEngine
    return InfiniGramEngine(index_dir=ig_index, eos_token_id=EOS, vocab_size=VOCAB,
                            ds_prefetch_depth=prefetch[0], sa_prefetch_depth=prefetch[1],
                            od_prefetch_depth=prefetch[2], version=4, token_dtype='u16',
                            bow_ids_path=BOW_IDS)


def load_tokenizer():
    from tokenizers import Tokenizer
    return Tokenizer.from_file(TOKENIZER)


def open_ds(ig_index=IG_INDEX):
    return np.memmap(os.path.join(ig_index, 'tokenized.0'), dtype=np.uint16, mode='r')


def sample_ngram(rng, ds, n):
    """An n-gram of the token stream not containing the separator (as bench.py samples)."""
    N = len(ds)
    while True:
        p = rng.randrange(0, N - n)
        g = ds[p:p + n]
        if not (g == SEP).any():
            return [int(x) for x in g]


def sample_queries(ds, k=1000, seed=0):
    rng = random.Random(seed)
    return [sample_ngram(rng, ds, rng.randint(1, 20)) for _ in range(k)]


# Novel sentences: random combinations of an invented-ish vocabulary, so they should rarely
# match the corpus beyond single words or short phrases.
_ADJ = ['crimson', 'quantum', 'velvet', 'sleepy', 'recursive', 'translucent', 'brittle',
        'anxious', 'polyphonic', 'glacial', 'feral', 'hexagonal', 'borrowed', 'magnetic']
_NOUN = ['giraffe', 'spreadsheet', 'lighthouse', 'compiler', 'teapot', 'glacier', 'accordion',
         'tax form', 'submarine', 'pinecone', 'algorithm', 'umbrella', 'harpsichord', 'moth']
_VERB = ['refactors', 'juggles', 'negotiates with', 'photographs', 'misplaces', 'serenades',
         'audits', 'outlines', 'polishes', 'borrows', 'calibrates', 'whispers to']
_ADV = ['reluctantly', 'every Tuesday', 'without warning', 'at dawn', 'twice a fortnight',
        'in triplicate', 'under the bridge', 'for no reason']


def novel_sentence(rng):
    return (f" The {rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_VERB)} the "
            f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_ADV)}.")


def stitched_text(rng, ds, tok, target=450):
    """~target tokens: random corpus snippets of 5..40 tokens, with a novel sentence after
    about a third of them; decoded to text (special tokens kept)."""
    parts = []
    ntok = 0
    while ntok < target:
        snip = sample_ngram(rng, ds, rng.randint(5, 40))
        parts.append(tok.decode(snip, skip_special_tokens=False))
        ntok += len(snip)
        if rng.random() < 0.35 and ntok < target:
            s = novel_sentence(rng)
            parts.append(s)
            ntok += len(tok.encode(s, add_special_tokens=False).ids)
    return ''.join(parts)


def gsm8k_solutions(k=50, seed=0):
    rows = [json.loads(l) for l in open(GSM8K, encoding='utf-8') if l.strip()]
    rng = random.Random(seed)
    picks = rng.sample(range(len(rows)), k)
    out = []
    for i in picks:
        key = rng.choice(SOLUTION_KEYS)
        out.append({'kind': 'gsm8k', 'source': f'gsm8k row {i} {key}',
                    'question': rows[i]['question'], 'text': rows[i][key]['solution']})
    return out


def build_texts(ds, tok, n_gsm=50, n_stitched=50, seed=0):
    """The 100 span texts: GSM8K model solutions first, then stitched texts. Each entry has
    kind, source, text and ids (tokenizer ids, add_special_tokens=False)."""
    texts = gsm8k_solutions(n_gsm, seed)
    rng = random.Random(seed + 1)
    for j in range(n_stitched):
        texts.append({'kind': 'stitched', 'source': f'stitched {j}',
                      'text': stitched_text(rng, ds, tok)})
    for t in texts:
        t['ids'] = tok.encode(t['text'], add_special_tokens=False).ids
    return texts


# ------------------------------------------------------------------ verbatim CLI

def vb(args, vb_bin, index):
    r = subprocess.run([vb_bin] + [args[0], '--index', index] + args[1:],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f'verbatim {args[:1]} failed ({r.returncode}): {r.stderr[:500]}')
    return json.loads(r.stdout)


# ------------------------------------------------------------------ reference attribute()

def true_rs(engine, ids):
    """rs[l] = l + longest prefix of ids[l:] that occurs (exact, via engine.count).
    Uses rs[l+1] >= rs[l]."""
    rs = []
    r = 0
    n = len(ids)
    for l in range(n):
        r = max(r, l)
        while r < n and engine.count(ids[l:r + 1])['count'] > 0:
            r += 1
        rs.append(r)
    return rs


def rank0_flags(engine, ids):
    """For each l: True when infini-gram's LPL(ids[l:]) hits the rank-0 underflow: the whole
    remainder does not occur and its SA insertion point is rank 0 (single shard)."""
    flags = []
    for l in range(len(ids)):
        f = engine.find(ids[l:])
        st, en = f['segment_by_shard'][0]
        flags.append(f['cnt'] == 0 and st == 0)
    return flags


def ref_attribute(engine, ids, rs, flags, bow, max_cnt, buggy, delims=DELIMS, min_len=1,
                  count_cache=None):
    n = len(ids)
    pairs = []
    for l in range(n):
        if ids[l] not in bow:
            continue
        L = 0 if (buggy and flags[l]) else rs[l] - l
        for pos in range(0, max(L - 1, 0)):
            if ids[l + pos] in delims:
                L = pos + 1
                break
        while L > 0:
            if l + L == n or ids[l + L] in bow:
                break
            L -= 1
        if L < min_len:
            continue
        key = tuple(ids[l:l + L])
        if count_cache is not None and key in count_cache:
            c = count_cache[key]
        else:
            c = engine.count(list(key))['count']
            if count_cache is not None:
                count_cache[key] = c
        if c > max_cnt:
            continue
        pairs.append((l, l + L, c))
    out = []
    last_r = 0
    for l, r, c in pairs:
        if r > last_r:
            last_r = r
            out.append((l, r, c))
    return out


# ------------------------------------------------------------------ main

def bin_id(path):
    import hashlib
    st = os.stat(path)
    return {'mtime_utc': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(st.st_mtime)),
            'sha256': hashlib.sha256(open(path, 'rb').read()).hexdigest()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--verbatim', default=VB_BIN)
    ap.add_argument('--index', default=VB_INDEX)
    ap.add_argument('--ig-index', default=IG_INDEX)
    ap.add_argument('--out', default=os.path.join(HERE, 'compare_results.json'))
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--trace-texts', type=int, default=20)
    ap.add_argument('--limit-texts', type=int, default=None, help='smoke test: span-check only the first K texts of each kind')
    args = ap.parse_args()
    T0 = time.time()
    timings = {}
    R = {'verbatim_bin': args.verbatim, 'verbatim_index': args.index, 'ig_index': args.ig_index,
         'started_utc': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
         'verbatim_bin_at_start': bin_id(args.verbatim)}

    engine = make_engine(args.ig_index)
    tok = load_tokenizer()
    ds = open_ds(args.ig_index)
    bow = set(int(x) for x in open(BOW_IDS) if x.strip())

    # ---------------- 1. counts
    t = time.time()
    queries = sample_queries(ds, args.queries, 0)
    count_rows = []
    for q in queries:
        ig = engine.count(q)['count']
        v = vb(['count', '--ids', ','.join(map(str, q)), '--json'], args.verbatim, args.index)
        assert v['token_ids'] == q, (q, v['token_ids'])
        count_rows.append({'ids': q, 'ig': ig, 'vb': v['count']})
    c_mis = [r for r in count_rows if r['ig'] != r['vb']]
    timings['counts_s'] = time.time() - t
    R['counts'] = {'queries': len(count_rows), 'equal': len(count_rows) - len(c_mis),
                   'unequal': len(c_mis), 'mismatches': c_mis,
                   'mean_count': float(np.mean([r['ig'] for r in count_rows])),
                   'zero_counts': sum(r['ig'] == 0 for r in count_rows)}
    print(f"[counts] {len(count_rows)} n-grams: {len(count_rows) - len(c_mis)} equal, "
          f"{len(c_mis)} unequal ({timings['counts_s']:.0f} s)", flush=True)

    # ---------------- 2. spans
    t = time.time()
    texts = build_texts(ds, tok)
    if args.limit_texts:
        texts = texts[:args.limit_texts] + texts[50:50 + args.limit_texts]
    tmpdir = tempfile.mkdtemp(prefix='vb_compare_')
    for i, tx in enumerate(texts):
        tx['path'] = os.path.join(tmpdir, f'text{i:03d}.txt')
        with open(tx['path'], 'w', encoding='utf-8', newline='') as f:
            f.write(tx['text'])
    tok_mis = []
    for i, tx in enumerate(texts):
        v = vb(['count', '--file', tx['path'], '--json'], args.verbatim, args.index)
        if v['token_ids'] != tx['ids']:
            tok_mis.append({'text': i, 'source': tx['source'], 'py_len': len(tx['ids']),
                            'vb_len': len(v['token_ids']),
                            'first_diff': next((k for k, (a, b) in enumerate(zip(tx['ids'], v['token_ids'])) if a != b),
                                               min(len(tx['ids']), len(v['token_ids'])))})
    print(f"[tokenize] {len(texts)} texts ({sum(len(t['ids']) for t in texts)} tokens): "
          f"{len(texts) - len(tok_mis)} identical, {len(tok_mis)} differ", flush=True)

    def new_stats():
        return {str(m): {'texts': 0, 'equal_texts': 0, 'unequal_texts': 0,
                         'ig_spans': 0, 'vb_spans': 0, 'equal_spans': 0,
                         'ig_only_spans': 0, 'vb_only_spans': 0,
                         'ig_equals_buggy_ref': 0, 'vb_equals_exact_ref': 0,
                         'texts_with_rank0_trigger': 0,
                         'mismatches_rank0_bug': [], 'mismatches_unexplained': []}
                for m in MAX_CNTS}

    count_cache = {}

    def compare_text(i, tx, stats_by_m):
        """Compares infini-gram and verbatim spans of one text for every MAX_CNT."""
        ids = tx['ids']
        rs = true_rs(engine, ids)
        flags = rank0_flags(engine, ids)
        row = {'text': i, 'kind': tx['kind'], 'source': tx['source'], 'tokens': len(ids),
               'rank0_positions': [l for l, f in enumerate(flags) if f]}
        for m in MAX_CNTS:
            S = stats_by_m[str(m)]
            ar = engine.attribute(ids, DELIMS, 1, m, True)
            assert 'error' not in ar, ar
            ig = [(s['l'], s['r'], s['count']) for s in ar['spans']]
            v = vb(['spans', '--file', tx['path'], '--json', '--max-count', str(m)],
                   args.verbatim, args.index)
            assert v['tokens'] == len(ids) or any(t['text'] == i for t in tok_mis), (i, v['tokens'], len(ids))
            vs = [(s['token_start'], s['token_end'], s['count']) for s in v['spans']]
            ref_exact = ref_attribute(engine, ids, rs, flags, bow, m, False, count_cache=count_cache)
            ref_bug = ref_attribute(engine, ids, rs, flags, bow, m, True, count_cache=count_cache)
            S['texts'] += 1
            S['ig_spans'] += len(ig)
            S['vb_spans'] += len(vs)
            si, sv = set(ig), set(vs)
            S['equal_spans'] += len(si & sv)
            S['ig_only_spans'] += len(si - sv)
            S['vb_only_spans'] += len(sv - si)
            S['ig_equals_buggy_ref'] += ig == ref_bug
            S['vb_equals_exact_ref'] += vs == ref_exact
            S['texts_with_rank0_trigger'] += bool(row['rank0_positions'])
            row[f'max{m}'] = {'ig_spans': len(ig), 'vb_spans': len(vs), 'equal': ig == vs}
            if ig == vs:
                S['equal_texts'] += 1
                continue
            S['unequal_texts'] += 1
            # brute force: every span only verbatim reports must occur with the count it gives
            vb_only = sorted(sv - si)
            brute = [{'l': l, 'r': r, 'vb_count': c, 'count': engine.count(ids[l:r])['count'],
                      'text': tok.decode(ids[l:r], skip_special_tokens=False)} for l, r, c in vb_only]
            detail = {'text': i, 'source': tx['source'], 'max_cnt': m,
                      'ig_only': sorted(si - sv), 'vb_only': vb_only, 'vb_only_brute_force': brute,
                      'ig_equals_buggy_ref': ig == ref_bug, 'vb_equals_exact_ref': vs == ref_exact,
                      'buggy_ref_differs_from_exact': ref_bug != ref_exact,
                      'rank0_positions': row['rank0_positions']}
            explained = (ig == ref_bug and vs == ref_exact and ref_bug != ref_exact
                         and all(b['count'] == b['vb_count'] and b['count'] > 0 for b in brute))
            (S['mismatches_rank0_bug'] if explained else S['mismatches_unexplained']).append(detail)
        return row

    span_results = new_stats()
    per_text = []
    for i, tx in enumerate(texts):
        per_text.append(compare_text(i, tx, span_results))
        if (i + 1) % 10 == 0:
            print(f"  spans: {i + 1}/{len(texts)} texts ({time.time() - t:.0f} s)", flush=True)

    # Rank-0 probe: infini-gram's rank-0 suffix starts ' s' ' s' ' s' ' s' '!"' (ids 256 x4,
    # 1476), so a run of >= 5 ' s' tokens sorts before every suffix and never occurs whole:
    # infini-gram's LPL is 0 there, the true longest match is 4 tokens. These crafted texts
    # show that the classifier recognises the bug (they are not part of the 100 texts).
    probe_texts = [{'kind': 'probe', 'source': 'rank-0 probe', 'text': s}
                   for s in ['He said s s s s s s and left.', 'The letters s s s s s s s.']]
    probe_stats = new_stats()
    probe_rows = []
    for j, tx in enumerate(probe_texts):
        tx['ids'] = tok.encode(tx['text'], add_special_tokens=False).ids
        tx['path'] = os.path.join(tmpdir, f'probe{j}.txt')
        with open(tx['path'], 'w', encoding='utf-8', newline='') as f:
            f.write(tx['text'])
        v = vb(['count', '--file', tx['path'], '--json'], args.verbatim, args.index)
        assert v['token_ids'] == tx['ids'], (v['token_ids'], tx['ids'])
        probe_rows.append(compare_text(f'probe{j}', tx, probe_stats))
    R['rank0_probe'] = {'texts': [t['text'] for t in probe_texts], 'spans': probe_stats, 'rows': probe_rows}
    for m in MAX_CNTS:
        S = probe_stats[str(m)]
        print(f"[rank-0 probe max_cnt={m}] {S['texts']} texts: {S['equal_texts']} equal, "
              f"{len(S['mismatches_rank0_bug'])} rank-0 bug, {len(S['mismatches_unexplained'])} unexplained", flush=True)
    timings['spans_s'] = time.time() - t
    R['tokenization'] = {'texts': len(texts), 'identical': len(texts) - len(tok_mis),
                         'differ': len(tok_mis), 'mismatches': tok_mis,
                         'tokens_total': sum(len(t['ids']) for t in texts)}
    R['spans'] = span_results
    R['span_texts'] = per_text
    for m in MAX_CNTS:
        S = span_results[str(m)]
        print(f"[spans max_cnt={m}] {S['texts']} texts: {S['equal_texts']} equal, "
              f"{S['unequal_texts']} unequal ({len(S['mismatches_rank0_bug'])} rank-0 bug, "
              f"{len(S['mismatches_unexplained'])} unexplained); spans ig {S['ig_spans']} / vb "
              f"{S['vb_spans']}, common {S['equal_spans']}, ig-only {S['ig_only_spans']}, "
              f"vb-only {S['vb_only_spans']}; ig==buggy ref {S['ig_equals_buggy_ref']}, "
              f"vb==exact ref {S['vb_equals_exact_ref']}", flush=True)

    # ---------------- 3. cited documents contain the span text
    t = time.time()
    nt = args.trace_texts
    half = len(texts) // 2
    chosen = list(range(min(nt // 2, half))) + list(range(half, half + min(nt - nt // 2, half)))
    doc_cache = {}
    tr = {'texts': len(chosen), 'spans': 0, 'spans_without_documents': 0, 'documents': 0,
          'unique_documents': 0, 'checks': 0, 'contained': 0, 'contained_after_nfc': 0,
          'not_contained': [], 'span_doc_link_inconsistencies': [], 'snippet_match_not_in_doc': 0,
          'snippet_checks': 0, 'trace_spans_equal_spans_cmd': 0}
    for i in chosen:
        tx = texts[i]
        d = vb(['trace', '--file', tx['path'], '--json', '--density', '1', '--max-count', '1000000'],
               args.verbatim, args.index)
        spans = {s['id']: s for s in d['spans']}
        tr['spans'] += len(spans)
        tr['documents'] += len(d['documents'])
        # density 1 keeps every span: the trace's spans must be `verbatim spans`' spans
        v = vb(['spans', '--file', tx['path'], '--json', '--max-count', '1000000'], args.verbatim, args.index)
        tr['trace_spans_equal_spans_cmd'] += ([(s['token_start'], s['token_end'], s['count']) for s in d['spans']]
                                              == [(s['token_start'], s['token_end'], s['count']) for s in v['spans']])
        links = set()
        for s in d['spans']:
            if not s.get('document_ids'):
                tr['spans_without_documents'] += 1
            for did in s.get('document_ids', []):
                links.add((s['id'], did))
        doc_links = set()
        for doc in d['documents']:
            for sid in doc['span_ids']:
                doc_links.add((sid, doc['id']))
        if links != doc_links:
            tr['span_doc_link_inconsistencies'].append(
                {'text': i, 'only_in_span_document_ids': sorted(links - doc_links)[:20],
                 'only_in_document_span_ids': sorted(doc_links - links)[:20]})
        for sid, did in sorted(links | doc_links):
            if did not in doc_cache:
                doc_cache[did] = vb(['doc', did, '--json'], args.verbatim, args.index)['text']
            text = doc_cache[did]
            st = spans[sid]['text']
            tr['checks'] += 1
            if st in text:
                tr['contained'] += 1
            elif unicodedata.normalize('NFC', st) in unicodedata.normalize('NFC', text):
                tr['contained_after_nfc'] += 1
            else:
                tr['not_contained'].append({'text': i, 'span_id': sid, 'span_text': st, 'doc': did})
        for doc in d['documents']:
            for sn in doc.get('snippets', []):
                tr['snippet_checks'] += 1
                if sn['match'] not in doc_cache.get(doc['id'], sn['match']):
                    tr['snippet_match_not_in_doc'] += 1
    tr['unique_documents'] = len(doc_cache)
    timings['trace_docs_s'] = time.time() - t
    R['trace_documents'] = tr
    print(f"[trace] {tr['texts']} texts, {tr['spans']} spans, {tr['documents']} documents "
          f"({tr['unique_documents']} unique): {tr['checks']} span-in-document checks, "
          f"{tr['contained']} contained, {tr['contained_after_nfc']} contained after NFC, "
          f"{len(tr['not_contained'])} not contained; link inconsistencies "
          f"{len(tr['span_doc_link_inconsistencies'])}; trace spans == spans cmd in "
          f"{tr['trace_spans_equal_spans_cmd']}/{tr['texts']} ({timings['trace_docs_s']:.0f} s)", flush=True)

    timings['total_s'] = time.time() - T0
    R['verbatim_bin_at_end'] = bin_id(args.verbatim)
    if R['verbatim_bin_at_end'] != R['verbatim_bin_at_start']:
        print('WARNING: the verbatim binary changed during the run', flush=True)
    R['timings'] = timings
    R['texts'] = [{'kind': t['kind'], 'source': t['source'], 'text': t['text'], 'tokens': len(t['ids'])}
                  for t in texts]
    with open(args.out, 'w') as f:
        json.dump(R, f, indent=1)
    print(f"wrote {args.out} (total {timings['total_s']:.0f} s)")
    ok = (not c_mis and not tok_mis and not tr['not_contained']
          and all(not span_results[str(m)]['mismatches_unexplained'] for m in MAX_CNTS))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
