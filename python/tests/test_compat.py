"""verbatim.compat.InfiniGramEngine: infini-gram's methods and return shapes over a verbatim
index, checked against verbatim.Index and brute force over the token stream."""

from __future__ import annotations

import json
import random

import pytest

import verbatim
from verbatim.compat import InfiniGramEngine


@pytest.fixture(scope="module")
def engine(index_dir, index, tmp_path_factory):
    # beginning-of-word ids: the tokens that start a word under verbatim's rule, taken from
    # the spans verbatim finds with word boundaries (every span start is one).
    bow = tmp_path_factory.mktemp("bow") / "bow_ids.txt"
    vocab = index.vocab_size
    ids = set()
    for t in range(vocab):
        s = index.decode([t])
        if s[:1].isspace() or (s and all(not c.isalnum() for c in s)):
            ids.add(t)
    bow.write_text("\n".join(str(i) for i in sorted(ids)) + "\n")
    return InfiniGramEngine(index_dir=str(index_dir), eos_token_id=0, vocab_size=vocab,
                            bow_ids_path=str(bow), precompute_unigram_logprobs=True)


@pytest.fixture(scope="module")
def stream(index):
    """The corpus as token ids, document by document, rebuilt from the documents."""
    return [index.tokenize(index.document(d)["text"]) for d in range(index.documents)]


def brute_count(stream, q):
    n = 0
    for doc in stream:
        for i in range(len(doc) - len(q) + 1):
            if doc[i:i + len(q)] == q:
                n += 1
    return n


def test_count_find_and_errors(engine, index, stream):
    rng = random.Random(0)
    for _ in range(30):
        doc = rng.choice(stream)
        i = rng.randrange(0, max(1, len(doc) - 8))
        q = doc[i:i + rng.randint(1, 6)]
        r = engine.count(q)
        assert r == {"count": index.count(q)["count"], "approx": False}
        assert r["count"] == brute_count(stream, q)
        f = engine.find(q)
        assert f["cnt"] == r["count"]
        assert sum(e - s for s, e in f["segment_by_shard"]) == f["cnt"]
    assert engine.count([1.5]) == {"error": "input_ids must be a list of integers in range [0, 65535]"}
    assert "error" in engine.count((1, 2))
    assert "error" in engine.count([70000])
    assert engine.count([])["count"] == sum(len(d) + 1 for d in stream)


def test_prob_ntd_infgram(engine, index):
    ids = index.tokenize(" Miss")
    ntd = engine.ntd(ids)
    assert set(ntd) == {"prompt_cnt", "result_by_token_id", "approx"}
    assert ntd["approx"] is False
    assert sum(v["cont_cnt"] for v in ntd["result_by_token_id"].values()) == ntd["prompt_cnt"]
    t = next(iter(ntd["result_by_token_id"]))
    p = engine.prob(ids, t)
    assert p == {"prompt_cnt": ntd["prompt_cnt"], "cont_cnt": ntd["result_by_token_id"][t]["cont_cnt"],
                 "prob": ntd["result_by_token_id"][t]["prob"]}
    novel = index.tokenize(" zyzzyva quokka") + ids
    ip = engine.infgram_prob(novel, t)
    assert ip["suffix_len"] == len(ids) and ip["cont_cnt"] == p["cont_cnt"]
    iv = index.prob(novel, t)
    assert (iv["prompt_count"], iv["cont_count"], iv["suffix_len"]) == (ip["prompt_cnt"], ip["cont_cnt"], ip["suffix_len"])
    ind = engine.infgram_ntd(novel)
    assert ind["suffix_len"] == len(ids) and ind["result_by_token_id"] == ntd["result_by_token_id"]
    assert engine.prob(index.tokenize(" zyzzyva quokka"), t) == {"prompt_cnt": 0, "cont_cnt": 0, "prob": -1.0}
    # a document end counts as eos (0 here)
    last = index.tokenize(index.document(0)["text"])[-3:]
    d = engine.ntd(last)["result_by_token_id"]
    assert 0 in d


def test_attribute_equals_index_spans(engine, index):
    text = ("She was the youngest of the two daughters of a most affectionate, indulgent father; "
            "and had, in consequence of her sister's marriage, been mistress of his house. "
            "Then the crimson giraffe audits the translucent teapot at dawn.")
    ids = index.tokenize(text)
    delims = [index.tokenize(".")[0], index.tokenize("\n")[0]]
    got = engine.attribute(ids, delims, 1, 1000000, False)
    want = index.spans(text, word_boundaries=False, max_count=1000000)["spans"]
    assert [(s["l"], s["r"], s["count"]) for s in got["spans"]] == \
        [(s["token_start"], s["token_end"], s["count"]) for s in want]
    for s in got["spans"]:
        assert s["length"] == s["r"] - s["l"] and len(s["docs"]) == s["count"]
        for d in s["docs"][:3]:
            doc = engine.get_doc_by_ptr(d["s"], d["ptr"], max_disp_len=200)
            off = doc["needle_offset"]
            assert doc["token_ids"][off:off + s["length"]] == ids[s["l"]:s["r"]]
            assert json.loads(doc["metadata"])["metadata"]["id"]
    bow = engine.attribute(ids, delims, 1, 1000000, True)["spans"]
    assert bow, "word-boundary spans"
    for s in bow:
        assert s["l"] == 0 or ids[s["l"]] in engine.bow_ids
    capped = engine.attribute(ids, delims, 1, 1, False)["spans"]
    assert all(s["count"] <= 1 for s in capped)
    assert engine.attribute(ids, delims, 1, 0, False) == {"error": "max_cnt must be a positive integer"}


def test_creativity(engine, index):
    ids = index.tokenize("Emma Woodhouse, handsome, clever, and rich zyzzyva")
    rs = engine.creativity(ids)["rs"]
    assert len(rs) == len(ids)
    for l, r in enumerate(rs):
        assert index.count(ids[l:r])["count"] > 0 or r == l
        if r < len(ids):
            assert index.count(ids[l:r + 1])["count"] == 0


def test_documents(engine, index):
    q = index.tokenize(" Woodhouse")
    f = engine.find(q)
    (s, (lo, hi)), = [(i, seg) for i, seg in enumerate(f["segment_by_shard"]) if seg[1] > seg[0]][:1]
    doc = engine.get_doc_by_rank(s, lo, max_disp_len=20)
    assert set(doc) == {"doc_ix", "doc_len", "disp_len", "needle_offset", "metadata", "token_ids", "blocked"}
    assert doc["disp_len"] == len(doc["token_ids"]) <= 20
    assert doc["token_ids"][doc["needle_offset"]:doc["needle_offset"] + len(q)] == q
    whole = engine.get_doc_by_ix(doc["doc_ix"], max_disp_len=10**9)
    full = index.document(doc["doc_ix"])
    assert index.decode(whole["token_ids"]) == full["text"]
    assert whole["doc_len"] == full["tokens"] == doc["doc_len"]
    meta = json.loads(whole["metadata"])
    assert meta["metadata"]["id"] == full["id"]
    assert meta["path"].endswith(".jsonl") and meta["linenum"] == doc["doc_ix"] % 20
    sd = engine.search_docs(q, maxnum=3, max_disp_len=30)
    assert sd["cnt"] == f["cnt"] and len(sd["documents"]) == 3 and len(sd["idxs"]) == 3
    for d in sd["documents"]:
        assert d["token_ids"][d["needle_offset"]:d["needle_offset"] + len(q)] == q
    assert engine.get_total_doc_cnt() == index.documents
    assert "error" in engine.get_doc_by_ptr(0, 1)
    assert "error" in engine.get_doc_by_rank(5, 0)
    assert engine.count_cnf([[q]]) == {"count": f["cnt"], "approx": False}


def test_constructor_checks(index_dir):
    with pytest.raises(AssertionError):
        InfiniGramEngine(index_dir=str(index_dir), eos_token_id=-1)
    with pytest.raises(ValueError, match="token_dtype"):
        InfiniGramEngine(index_dir=str(index_dir), eos_token_id=0, token_dtype="u32", vocab_size=2**20)
    with pytest.raises(verbatim.VerbatimError, match="is not a verbatim index"):
        InfiniGramEngine(index_dir="/nonexistent/index", eos_token_id=0)
    # A reversed (v5) index is refused when the caller says so, not answered as a v4 one
    # (whose counts would be wrong); another version is refused as by infini-gram.
    with pytest.raises(ValueError, match="version=5"):
        InfiniGramEngine(index_dir=str(index_dir), eos_token_id=0, version=5)
    with pytest.raises(AssertionError):
        InfiniGramEngine(index_dir=str(index_dir), eos_token_id=0, version=6)
    # A path object names the index as a string does.
    assert InfiniGramEngine(index_dir=index_dir, eos_token_id=0).get_total_doc_cnt() > 0


def test_separator_log_probability_and_edge_windows(engine, index):
    # The separator counts once per document in infini-gram's unigram table, so `attribute`
    # gives it that log-probability (it was -10000, as for a token absent from the corpus).
    import math
    sep = 2**16 - 1 if index.vocab_size < 2**16 - 1 else 2**32 - 1
    counts = {}
    for s in range(len(engine.find([sep])["segment_by_shard"])):
        for t, c in engine.compute_unigram_counts(s).items():
            counts[t] = counts.get(t, 0) + c
    (span,) = engine.attribute([sep], [], 1, 10**12, False)["spans"]
    want = math.log(counts[sep]) - math.log(sum(counts.values()))
    assert span["unigram_logprob_sum"] == pytest.approx(want, rel=1e-12)
    # A window that ends before it starts (a pointer at a separator, no context) is empty,
    # not one of length 2^63; a huge window is the whole document.
    doc = engine.get_doc_by_ptr_2(0, 0, 0, 0)
    assert doc["disp_len"] == len(doc["token_ids"]) == 0
    whole = engine.get_doc_by_ix(0, 2**63 - 1)
    assert whole["disp_len"] == len(whole["token_ids"]) == whole["doc_len"]
