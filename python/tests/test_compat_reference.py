"""verbatim.compat.InfiniGramEngine against infini-gram 2.6.0's own engine, both opening the
same infini-gram index (with and without metadata): documents, CNF queries, unigram counts and
error messages must be equal; and a verbatim index of the same corpus, whose empty documents
verbatim skips, has the same document numbers and pointers only before the first of them.

Needs infini-gram 2.6.0 importable (``pip install infini-gram==2.6.0``, a CPython 3.11 wheel);
skipped with the reason without it, failed under CI."""

from __future__ import annotations

import json
import random

import pytest

import verbatim
from conftest import TOKENIZER, demo_records, need
from ig_writer import write_infini_gram_u16
from verbatim.compat import InfiniGramEngine

EMPTY_AT = (4, 9)  # empty texts: infini-gram keeps them as documents, verbatim skips them


@pytest.fixture(scope="module")
def reference():
    """infini-gram's ``InfiniGramEngine`` class."""
    try:
        from infini_gram.engine import InfiniGramEngine as Reference
    except ImportError as e:
        need(False, f"infini-gram 2.6.0 is not importable ({e}; pip install infini-gram==2.6.0, "
                    "a CPython 3.11 wheel): verbatim.compat is not compared with it")
    return Reference


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """14 records (two with empty texts) in ``c.jsonl``, a verbatim index of it, and
    infini-gram indexes of it with and without metadata; returns
    ``(root, records, verbatim.Index, verbatim dir, ig dir, ig dir without metadata)``."""
    recs = [dict(r, n=i) for i, r in enumerate(demo_records(12))]
    for i in EMPTY_AT:
        recs.insert(i, {"id": f"empty-{i}", "text": "", "n": -1})
    root = tmp_path_factory.mktemp("ref")
    (root / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    vb = root / "vb"
    verbatim.build([str(root / "c.jsonl")], str(vb), TOKENIZER, fulltext=False)
    vix = verbatim.Index(vb)
    docs = [vix.tokenize(r["text"]) if r["text"] else [] for r in recs]
    meta = [{k: v for k, v in r.items() if k != "text"} for r in recs]
    write_infini_gram_u16(root / "ig", docs, meta)
    write_infini_gram_u16(root / "ignm", docs)
    return root, recs, vix, vb, root / "ig", root / "ignm"


def engines(reference, vix, d):
    """infini-gram's engine and verbatim's on the index directory ``d``."""
    kw = dict(eos_token_id=0, vocab_size=vix.vocab_size)
    return reference(index_dir=str(d), **kw), InfiniGramEngine(index_dir=str(d), **kw)


@pytest.mark.parametrize("which", ["ig", "ignm"])
def test_documents_equal_infini_gram(reference, corpus, which):
    _, recs, vix, _, ig_dir, ignm_dir = corpus
    ref, ours = engines(reference, vix, ig_dir if which == "ig" else ignm_dir)
    tokens = ref.engine.get_tok_cnt(s=0)
    rng = random.Random(1)
    for _ in range(150):
        rank, ptr = rng.randrange(tokens), 2 * rng.randrange(tokens)
        disp, needle, ctx = rng.randint(1, 60), rng.randint(0, 8), rng.randint(0, 30)
        ix = rng.randrange(len(recs))
        for name, args in [
            ("get_doc_by_rank", (0, rank, disp)), ("get_doc_by_ptr", (0, ptr, disp)),
            ("get_doc_by_ix", (ix, disp)), ("get_doc_by_rank_2", (0, rank, needle, ctx)),
            ("get_doc_by_ptr_2", (0, ptr, needle, ctx)), ("get_doc_by_ix_2", (ix, ctx)),
        ]:
            assert getattr(ours, name)(*args) == getattr(ref, name)(*args), (name, args)
    pairs = [(0, 2 * rng.randrange(tokens)) for _ in range(5)]
    assert ours.get_docs_by_ptrs(pairs, 9) == ref.get_docs_by_ptrs(pairs, 9)
    # infini-gram 2.6.0's get_docs_by_ranks raises AttributeError (it calls a method its C++
    # engine lacks): compared with its get_doc_by_rank one by one.
    with pytest.raises(AttributeError):
        ref.get_docs_by_ranks([(0, 3)], 9)
    assert ours.get_docs_by_ranks([(0, 3), (0, 7)], 9) == [ref.get_doc_by_rank(0, r, 9) for r in (3, 7)]
    assert ours.get_docs_by_ixs([0, 4, 13], 9) == ref.get_docs_by_ixs([0, 4, 13], 9)
    reqs = [(0, p, 2, 5) for _, p in pairs]
    assert ours.get_docs_by_ptrs_2(reqs) == ref.get_docs_by_ptrs_2(reqs)
    assert ours.get_docs_by_ranks_2([(0, 3, 1, 4)]) == ref.get_docs_by_ranks_2([(0, 3, 1, 4)])
    assert ours.get_docs_by_ixs_2([(4, 3), (5, 0)]) == ref.get_docs_by_ixs_2([(4, 3), (5, 0)])
    # metadata: the raw metadata.0 line, or "" without metadata
    want = "" if which == "ignm" else (json.dumps(
        {"path": "c.jsonl", "linenum": 5, "metadata": {k: v for k, v in recs[5].items() if k != "text"}})
        + "\n")
    assert ours.get_doc_by_ix(5, 1)["metadata"] == want
    q = vix.tokenize(" the")
    for d in ours.search_docs(q, maxnum=5, max_disp_len=20)["documents"]:
        assert d["metadata"] == ref.get_doc_by_ix(d["doc_ix"], 1)["metadata"]
    assert ours.search_docs(q)["cnt"] == ref.search_docs(q)["cnt"]
    assert ours.compute_unigram_counts(0) == ref.compute_unigram_counts(0)


def test_cnf_equals_infini_gram(reference, corpus):
    _, _, vix, _, ig_dir, _ = corpus
    ref, ours = engines(reference, vix, ig_dir)
    the, of, a, and_ = (vix.tokenize(w) for w in (" the", " of", " a", " and"))
    cnfs = [[[the]], [[the], [of]], [[the, a], [of]], [[the], [of], [and_]], [[the + of]],
            [[the], [vix.tokenize(" zyzzyva")]]]
    for cnf in cnfs:
        for mcf, mdt in [(50000, 100), (7, 100), (50000, 3), (3, 20)]:
            got = ours.find_cnf(cnf, max_clause_freq=mcf, max_diff_tokens=mdt)
            assert got == ref.find_cnf(cnf, max_clause_freq=mcf, max_diff_tokens=mdt), (cnf, mcf, mdt)
            assert ours.count_cnf(cnf, mcf, mdt) == ref.count_cnf(cnf, mcf, mdt)
            sd, rsd = ours.search_docs_cnf(cnf, 3, 20, mcf, mdt), ref.search_docs_cnf(cnf, 3, 20, mcf, mdt)
            assert (sd["cnt"], sd["approx"]) == (rsd["cnt"], rsd["approx"])
            assert len(sd["documents"]) == len(rsd["documents"])
            for d in sd["documents"]:
                assert d["metadata"] == ref.get_doc_by_ix(d["doc_ix"], 1)["metadata"]
    # Approximate counts past 2^64: infini-gram's C++ conversion gives 0 (verbatim gave
    # 2^64 - 1), and shard counts add modulo 2^64.
    for k in (6, 12, 20):
        cnf = [[the]] * k
        got = ours.find_cnf(cnf, max_clause_freq=1, max_diff_tokens=100)
        assert got == ref.find_cnf(cnf, max_clause_freq=1, max_diff_tokens=100), k
        assert ours.count_cnf(cnf, 1, 100) == ref.count_cnf(cnf, 1, 100), k


def test_errors_equal_infini_gram(reference, corpus):
    _, _, vix, _, ig_dir, _ = corpus
    ref, ours = engines(reference, vix, ig_dir)
    calls = [
        ("get_doc_by_rank_2", (0, 1, -1, 3)), ("get_doc_by_rank_2", (0, 1, 1, -3)),
        ("get_doc_by_rank_2", (1, 1, 1, 3)), ("get_doc_by_rank_2", (0, 10**9, 1, 3)),
        ("get_doc_by_ptr_2", (0, 3, 1, 3)), ("get_doc_by_ptr_2", (0, 10**9, 1, 3)),
        ("get_doc_by_ix_2", (10**9, 3)), ("get_doc_by_ix_2", (0, -1)),
        ("get_docs_by_ranks_2", ([(0, 1, 1, 1), (0, -1, 1, 1)],)),
        ("get_docs_by_ptrs_2", ([(0, 1, 1, 1)],)), ("get_docs_by_ixs_2", ([(0, 1), (99, 1)],)),
        ("find_cnf", ([],)), ("find_cnf", ([[[]]],)), ("find_cnf", ([[1]],)),
        ("find_cnf", ([[[70000]]],)), ("find_cnf", ([[[1]]], 0)), ("count_cnf", ([[[1]]], 5, 0)),
        ("search_docs_cnf", ([[[1]]], 0)), ("search_docs_cnf", ([[[1]]], 1, 0)),
        ("search_docs_cnf", ([[[1]]], 1, 1, 0)), ("search_docs_cnf", ([[[]]], 1, 1)),
        # needle_len None: infini-gram's error dict (verbatim raised TypeError).
        ("get_doc_by_ptr_2", (0, 2, None, 1)), ("get_doc_by_rank_2", (0, 5, None, 1)),
        ("get_docs_by_ptrs_2", ([(0, 2, None, 1)],)), ("get_docs_by_ranks_2", ([(0, 5, None, 1)],)),
    ]
    for name, args in calls:
        assert getattr(ours, name)(*args) == getattr(ref, name)(*args), (name, args)


def test_pointers_agree_only_before_the_first_empty_document(reference, corpus):
    """verbatim skips the empty texts infini-gram keeps: document numbers and pointers agree
    up to the first of them and are shifted after it (the compat docstring's rule)."""
    _, recs, vix, vb, ig_dir, _ = corpus
    ref, _ = engines(reference, vix, ig_dir)
    ours = InfiniGramEngine(index_dir=str(vb), eos_token_id=0, vocab_size=vix.vocab_size)
    assert ours.get_total_doc_cnt() == len(recs) - len(EMPTY_AT) == ref.get_total_doc_cnt() - 2
    kept = [i for i, r in enumerate(recs) if r["text"]]
    for v, i in enumerate(kept):
        a, b = ours.get_doc_by_ix(v, 10**6), ref.get_doc_by_ix(i, 10**6)
        assert a["token_ids"] == b["token_ids"]
        assert json.loads(a["metadata"])["metadata"]["id"] == recs[i]["id"]
        assert (v == i) == (i < EMPTY_AT[0])
    q = vix.tokenize(" the")
    for span in ours.attribute(q, [], 1, 10**6, False)["spans"]:
        for d in span["docs"]:
            mine = ours.get_doc_by_ptr(d["s"], d["ptr"], 1)["doc_ix"]
            theirs = ref.get_doc_by_ptr(d["s"], d["ptr"], 1)["doc_ix"]
            assert (mine == theirs) == (kept[mine] < EMPTY_AT[0])
