"""verbatim.compat.InfiniGramEngine's documents, CNF queries and unigram counts without
infini-gram at hand: metadata lines (raw on infini-gram indexes, attached or bare; written
with the stored origin on verbatim's), the ``_2`` windows and CNF matches against brute force
over the token stream."""

from __future__ import annotations

import json
import random
import subprocess

import pytest

import verbatim
from conftest import TOKENIZER, demo_records
from ig_writer import write_infini_gram_u16
from verbatim.compat import InfiniGramEngine


@pytest.fixture(scope="module")
def origins(tmp_path_factory):
    """A verbatim index of three files: ``a.jsonl`` with an empty (skipped) record, ``b.jsonl``
    clean, ``c.jsonl`` without ids (so ``FILE:LINE`` ids) and with an empty record."""
    recs = demo_records(9)
    root = tmp_path_factory.mktemp("origins")
    inp = root / "in"
    inp.mkdir()
    a = [recs[0], {"id": "a-empty", "text": ""}, recs[1], recs[2]]
    b = recs[3:6]
    c = [{"text": recs[6]["text"]}, {"text": ""}, {"text": recs[7]["text"]}, {"text": recs[8]["text"]}]
    for name, rs in (("a", a), ("b", b), ("c", c)):
        (inp / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rs), encoding="utf-8")
    out = root / "idx"
    verbatim.build([str(inp)], str(out), TOKENIZER, fulltext=False)
    return InfiniGramEngine(index_dir=str(out), eos_token_id=0, vocab_size=verbatim.Index(out).vocab_size)


def test_linenum_from_the_stored_origin(origins):
    got = [json.loads(origins.get_doc_by_ix(i, 1)["metadata"]) for i in range(origins.get_total_doc_cnt())]
    assert [(g["path"], g["linenum"]) for g in got] == [
        ("a.jsonl", None), ("a.jsonl", None), ("a.jsonl", None),  # a skipped record: unknown
        ("b.jsonl", 0), ("b.jsonl", 1), ("b.jsonl", 2),            # nothing skipped: its place
        ("c.jsonl", 0), ("c.jsonl", 2), ("c.jsonl", 3),            # FILE:LINE ids, 1-based
    ]
    assert [g["metadata"]["id"] for g in got[6:]] == ["c.jsonl:1", "c.jsonl:3", "c.jsonl:4"]
    assert got[3]["metadata"]["id"] == demo_records(4)[3]["id"]


@pytest.fixture(scope="module")
def ig(tmp_path_factory):
    """A verbatim index of 6 demo documents and infini-gram indexes of them (with an empty
    document added at 2) with and without metadata."""
    recs = demo_records(6)
    root = tmp_path_factory.mktemp("igdocs")
    (root / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    vb = root / "vb"
    verbatim.build([str(root / "c.jsonl")], str(vb), TOKENIZER, fulltext=False)
    vix = verbatim.Index(vb)
    docs = [vix.tokenize(r["text"]) for r in recs]
    docs.insert(2, [])
    meta = [{"id": f"d{i}", "src": "x", "n": i} for i in range(len(docs))]
    write_infini_gram_u16(root / "ig", docs, meta)
    write_infini_gram_u16(root / "ignm", docs)
    return root, vix, vb, docs


def test_infini_gram_metadata_is_the_stored_line(ig, cli):
    root, vix, _, docs = ig
    lines = (root / "ig" / "metadata.0").read_text().splitlines(keepends=True)
    bare = InfiniGramEngine(index_dir=str(root / "ig"), eos_token_id=0, vocab_size=vix.vocab_size)
    assert [bare.get_doc_by_ix(i, 1)["metadata"] for i in range(len(docs))] == lines
    nometa = InfiniGramEngine(index_dir=str(root / "ignm"), eos_token_id=0, vocab_size=vix.vocab_size)
    assert nometa.get_doc_by_ix(3, 5)["metadata"] == ""
    assert all(d["metadata"] == "" for d in nometa.search_docs(docs[0][:2], maxnum=3)["documents"])
    # attached (verbatim attach, side directory DIR.verbatim): still the stored line
    subprocess.run([cli, "attach", "--infini-gram", str(root / "ig"), "--tokenizer", TOKENIZER,
                    "--no-fulltext"], check=True, capture_output=True)
    attached = InfiniGramEngine(index_dir=str(root / "ig"), eos_token_id=0, vocab_size=vix.vocab_size)
    assert attached.get_doc_by_ptr(0, 2 * (len(docs[0]) + 3), 4)["metadata"] == lines[1]
    assert attached.get_doc_by_ix(2, 4)["metadata"] == lines[2]


def test_needle_windows(ig):
    _, vix, vb, _ = ig
    e = InfiniGramEngine(index_dir=str(vb), eos_token_id=0, vocab_size=vix.vocab_size)
    stream = [t for d in range(vix.documents) for t in [65535] + vix.tokenize(vix.document(d)["text"])]
    starts = [i for i, t in enumerate(stream) if t == 65535] + [len(stream)]
    rng = random.Random(3)
    for _ in range(200):
        pos = rng.randrange(len(stream))
        if stream[pos] == 65535:
            continue
        needle, ctx = rng.randint(0, 6), rng.randint(0, 12)
        d = max(i for i, s in enumerate(starts) if s <= pos)
        lo, hi = max(starts[d] + 1, pos - ctx), min(starts[d + 1], pos + needle + ctx)
        doc = e.get_doc_by_ptr_2(0, 2 * pos, needle, ctx)
        assert (doc["doc_ix"], doc["doc_len"]) == (d, starts[d + 1] - starts[d] - 1)
        assert doc["token_ids"] == stream[lo:hi] and doc["disp_len"] == hi - lo
        assert doc["needle_offset"] == pos - lo
        assert e.get_doc_by_ix_2(d, ctx)["token_ids"] == stream[starts[d] + 1:][:min(ctx, doc["doc_len"])]
    f = e.find(stream[5:8])
    rank = f["segment_by_shard"][0][0]
    r2 = e.get_doc_by_rank_2(0, rank, 3, 2)
    assert r2["token_ids"][r2["needle_offset"]:r2["needle_offset"] + 3] == stream[5:8]
    assert e.get_docs_by_ranks_2([(0, rank, 3, 2)]) == [r2]
    assert e.get_doc_by_ptr_2(0, 2, -1, 2) == {"error": "needle_len must be a non-negative integer"}
    assert e.get_doc_by_ix_2(0, -1) == {"error": "max_ctx_len must be a non-negative integer"}


def test_unigram_counts_and_cnf(ig):
    _, vix, vb, _ = ig
    e = InfiniGramEngine(index_dir=str(vb), eos_token_id=0, vocab_size=vix.vocab_size)
    u = e.compute_unigram_counts(0)
    assert list(u) == list(range(vix.vocab_size)) + [65535]
    assert u[65535] == vix.documents
    assert sum(u.values()) == e.count([])["count"]
    for t in random.Random(0).sample(range(vix.vocab_size), 50):
        assert u[t] == e.count([t])["count"]
    with pytest.raises(ValueError, match="s must be an integer"):
        e.compute_unigram_counts(1)
    the, of = vix.tokenize(" the"), vix.tokenize(" of")
    assert e.count_cnf([[the]]) == {"count": e.count(the)["count"], "approx": False}
    assert e.count_cnf([[the, of]])["count"] == e.count(the)["count"] + e.count(of)["count"]
    r = e.find_cnf([[the], [of]], max_diff_tokens=10)
    assert r["cnt"] == len(r["ptrs_by_shard"][0]) > 0 and not r["approx"]
    for ptr in r["ptrs_by_shard"][0][:20]:  # each match starts at one term, the other near it
        w = e.get_doc_by_ptr_2(0, ptr, 1, 10)["token_ids"]
        assert the[0] in w and of[0] in w
    sampled = e.find_cnf([[the], [of]], max_clause_freq=5, max_diff_tokens=10)
    assert sampled["approx"] is True
    random.seed(7)
    a = e.search_docs_cnf([[the], [of]], maxnum=3)
    random.seed(7)
    assert e.search_docs_cnf([[the], [of]], maxnum=3) == a and len(a["documents"]) == 3
    random.seed(7)
    s1 = e.search_docs(the, maxnum=2)
    random.seed(7)
    assert e.search_docs(the, maxnum=2) == s1
    with pytest.raises(NotImplementedError, match="get_new_shards_by_index_dir"):
        e.get_new_shards_by_index_dir()


def test_batch_requests_of_the_wrong_shape_raise_as_unpacking_does(origins):
    # infini-gram unpacks each request (``for doc_ix, max_ctx_len in requests``): the same
    # errors, not one naming an internal function.
    with pytest.raises(ValueError, match=r"not enough values to unpack \(expected 2, got 1\)"):
        origins.get_docs_by_ixs_2([(0,)])
    with pytest.raises(ValueError, match=r"too many values to unpack \(expected 2\)"):
        origins.get_docs_by_ixs_2([(0, 1, 2)])
    with pytest.raises(TypeError, match="cannot unpack non-iterable int object"):
        origins.get_docs_by_ixs_2([0])
    with pytest.raises(ValueError, match=r"expected 4, got 2"):
        origins.get_docs_by_ranks_2([(0, 1)])
    assert len(origins.get_docs_by_ixs_2([(0, 1), [1, 1]])) == 2


def test_unigram_counts_too_large_for_memory_raise_memory_error(tmp_path):
    """A vocabulary of every u32 id would not fit: refused with MemoryError (as infini-gram
    raises where its table does not fit), not an abort of the interpreter."""
    d = tmp_path / "u32"
    write_infini_gram_u16(d, [[70000, 5], [2**20, 5, 6]], width=4)
    e = InfiniGramEngine(index_dir=str(d), eos_token_id=0, token_dtype="u32",
                         vocab_size=2**32 - 1)
    assert e.count([5])["count"] == 2
    with pytest.raises(MemoryError, match="vocab_size=4294967295"):
        e.compute_unigram_counts(0)
    small = InfiniGramEngine(index_dir=str(d), eos_token_id=0, token_dtype="u32",
                             vocab_size=200_000)
    u = small.compute_unigram_counts(0)
    assert u[70000] == 1 and u[5] == 2 and u[2**32 - 1] == 2
