"""verbatim.compat.InfiniGramEngine.reload(): an engine over an index grown by ``verbatim index
--append`` (or compacted) answers from the new generation only after reload(), and then in
every method as an engine opened afresh on the grown index does (the oracle); an unchanged
reload changes nothing, a failed one leaves the old generation answering, and each call
answers from one generation."""

from __future__ import annotations

import json
import random
import threading

import pytest

import verbatim
from ig_writer import write_infini_gram_u16
# test_reload's corpus (OLD in a first build, NEW in each append), its index of that first build
# (function-scoped: the tests grow it), and its helpers.
from test_reload import NEW, OLD, append, replace_manifest, run
from test_reload import corpus, index_dir  # noqa: F401 - fixtures
from verbatim.compat import InfiniGramEngine

AT_DAWN = " at dawn"


def engine_of(index_dir) -> InfiniGramEngine:
    vocab = verbatim.Index(index_dir).vocab_size
    return InfiniGramEngine(index_dir=str(index_dir), eos_token_id=0, vocab_size=vocab)


def ids(engine: InfiniGramEngine, text: str):
    return engine.index.tokenize(text)


def answers(e: InfiniGramEngine) -> dict:
    """What ``e`` answers to a fixed set of calls covering every kind of method: counts and
    next tokens of the old and new sentences, spans, CNF queries, every document by number,
    documents by rank and pointer in every shard, unigram counts of every shard, seeded random
    draws, and the errors past the last shard and document."""
    old, new, dawn = ids(e, OLD), ids(e, NEW), ids(e, AT_DAWN)
    out: dict = {"generation": e.generation, "docs": e.get_total_doc_cnt()}
    for name, q in (("old", old), ("new", new), ("dawn", dawn), ("empty", [])):
        out[f"count {name}"] = e.count(q)
        out[f"find {name}"] = e.find(q)
        out[f"ntd {name}"] = e.ntd(q)
        out[f"infgram_ntd {name}"] = e.infgram_ntd([7, 7, 7] + q)
        out[f"creativity {name}"] = e.creativity(q + dawn)
    out["prob"] = e.prob(new[:-1], new[-1])
    out["infgram_prob"] = e.infgram_prob([7, 7, 7] + new[:-1], new[-1])
    text = ids(e, "Document a1 says the" + OLD + AT_DAWN + ". The" + NEW + AT_DAWN + ".")
    out["attribute"] = e.attribute(text, [], 1, 1000, False)
    out["find_cnf"] = e.find_cnf([[old[:2], new[:2]], [dawn]])
    out["count_cnf"] = e.count_cnf([[new[:2]], [dawn]])
    random.seed(7)
    out["search_docs"] = e.search_docs(dawn, maxnum=4, max_disp_len=20)
    random.seed(7)
    out["search_docs_cnf"] = e.search_docs_cnf([[old[:2], new[:2]]], maxnum=4, max_disp_len=20)
    n = out["docs"]
    out["by ix"] = [e.get_doc_by_ix(i, max_disp_len=1000) for i in range(n)]
    out["by ixs_2"] = e.get_docs_by_ixs_2([(i, 5) for i in range(n)])
    out["ix past the end"] = e.get_doc_by_ix(n)
    shards = len(out["find empty"]["segment_by_shard"])  # the empty query: every token
    # Pointers are byte offsets: 2 bytes a token (the engine's token_dtype is "u16").
    for s in range(shards):
        tokens = out["find empty"]["segment_by_shard"][s][1]
        ranks = sorted({0, tokens // 2, tokens - 1})
        out[f"by rank {s}"] = e.get_docs_by_ranks([(s, r) for r in ranks], max_disp_len=30)
        out[f"by rank_2 {s}"] = [e.get_doc_by_rank_2(s, r, 2, 3) for r in ranks]
        out[f"by ptr {s}"] = e.get_docs_by_ptrs([(s, 2 * r) for r in ranks], max_disp_len=30)
        out[f"by ptr_2 {s}"] = e.get_docs_by_ptrs_2([(s, 2 * r, 2, 3) for r in ranks])
        out[f"rank past the end {s}"] = e.get_doc_by_rank(s, tokens)
        out[f"unigrams {s}"] = e.compute_unigram_counts(s)
    out["shard past the end"] = e.get_doc_by_rank(shards, 0)
    with pytest.raises(ValueError) as err:
        e.compute_unigram_counts(shards)
    out["unigrams past the end"] = str(err.value)
    return out


def assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == want[k], k


def doc_id(doc: dict) -> str:
    return json.loads(doc["metadata"])["metadata"]["id"]


def test_an_append_is_answered_after_reload_as_by_a_fresh_engine(index_dir, corpus, cli):
    engine = engine_of(index_dir)
    assert engine.generation == 0
    before = answers(engine)
    assert before["docs"] == 5 and before["count new"]["count"] == 0
    assert len(before["find empty"]["segment_by_shard"]) == 1

    append(cli, index_dir, corpus[1][0])
    # Not before reload(): every method still answers from generation 0.
    assert_same(answers(engine), before)

    assert engine.reload() is True
    assert engine.generation == 1 and engine.index.generation == 1
    after = answers(engine)
    assert_same(after, answers(engine_of(index_dir)))

    # The new shard is there in every method.
    new = ids(engine, NEW)
    assert after["docs"] == 8 and after["count new"] == {"count": 3, "approx": False}
    segments = after["find new"]["segment_by_shard"]
    assert len(segments) == 2 and segments[0][0] == segments[0][1]
    lo, hi = segments[1]
    assert hi - lo == 3
    for rank in range(lo, hi):
        d = engine.get_doc_by_rank(1, rank, max_disp_len=100)
        off = d["needle_offset"]
        assert d["token_ids"][off:off + len(new)] == new
        assert doc_id(d).startswith("b0-") and 5 <= d["doc_ix"] < 8
    assert [doc_id(d) for d in after["by ix"][5:]] == ["b0-0", "b0-1", "b0-2"]
    assert "error" not in after["by rank 1"][0] and "error" in after["shard past the end"]
    assert after["unigrams 1"][0xFFFF] == 3  # the separator (u16): one per document of the shard
    # An append adds a shard and leaves the old one as it was: its ranks, pointers and
    # documents keep their meaning.
    for k in ("by rank 0", "by ptr 0", "unigrams 0"):
        assert after[k] == before[k], k
    (old_segment,) = before["find old"]["segment_by_shard"]
    first, (lo, hi) = after["find old"]["segment_by_shard"]
    assert after["find old"]["cnt"] == 5 and first == old_segment and lo == hi
    assert after["by ix"][:5] == before["by ix"]

    # Nothing new since: False, and the same answers.
    assert engine.reload() is False
    assert engine.generation == 1
    assert_same(answers(engine), after)


def test_an_unchanged_reload_changes_nothing(index_dir):
    engine = engine_of(index_dir)
    index = engine.index
    before = answers(engine)
    assert engine.reload() is False
    assert engine.reload() is False
    assert engine.index is index and engine.generation == 0
    assert_same(answers(engine), before)


def test_appends_skipped_over_and_a_compaction(index_dir, corpus, cli):
    engine = engine_of(index_dir)
    append(cli, index_dir, corpus[1][0])
    append(cli, index_dir, corpus[1][1])
    # Two appends since the engine opened: one reload reaches the newest.
    assert engine.reload() is True
    assert engine.generation == 2
    assert len(engine.find([])["segment_by_shard"]) == 3
    assert_same(answers(engine), answers(engine_of(index_dir)))
    by_ix = [engine.get_doc_by_ix(i, max_disp_len=1000) for i in range(engine.get_total_doc_cnt())]

    run(cli, "compact", "--threads", "2", index_dir)
    assert engine.reload() is True
    assert engine.generation == 3
    compacted = answers(engine)
    assert_same(compacted, answers(engine_of(index_dir)))
    assert len(compacted["find empty"]["segment_by_shard"]) == 1
    assert compacted["count new"]["count"] == 6 and compacted["docs"] == 11
    # A compaction keeps document numbers.
    assert compacted["by ix"] == by_ix


def test_a_failed_reload_keeps_the_old_generation(index_dir, corpus, cli):
    engine = engine_of(index_dir)
    before = answers(engine)
    append(cli, index_dir, corpus[1][0])
    grown = (index_dir / "manifest.bin").read_bytes()

    replace_manifest(index_dir, b"not a manifest at all" * 4)
    with pytest.raises(verbatim.IndexCorruptError, match="still answering from the instance opened before"):
        engine.reload()
    assert engine.generation == 0
    assert_same(answers(engine), before)
    (index_dir / "manifest.bin").unlink()
    with pytest.raises(verbatim.IndexIOError, match="manifest.bin is missing"):
        engine.reload()
    assert_same(answers(engine), before)

    # The grown generation's manifest put back: the next reload opens it.
    replace_manifest(index_dir, grown)
    assert engine.reload() is True
    assert engine.generation == 1
    assert_same(answers(engine), answers(engine_of(index_dir)))


def test_an_index_reloaded_directly_moves_the_engine_at_its_reload(index_dir, corpus, cli):
    engine = engine_of(index_dir)
    before = answers(engine)
    append(cli, index_dir, corpus[1][0])
    assert engine.index.reload() is True
    assert engine.index.count(NEW)["count"] == 3
    # The engine still answers wholly from generation 0: counts, shard list and documents
    # agree with each other.
    assert engine.generation == 0
    assert_same(answers(engine), before)
    # Its reload() finds the Index already reloaded and follows it.
    assert engine.reload() is True
    assert engine.generation == 1
    assert_same(answers(engine), answers(engine_of(index_dir)))
    assert engine.reload() is False
    # The Index the engine answers from is pinned to its generation.
    with pytest.raises(verbatim.VerbatimError, match="pinned to generation 1"):
        engine._view.index.reload()


def test_a_call_answers_from_the_generation_it_started_with(index_dir, corpus, cli, monkeypatch):
    """A reload between the two counts of one prob() call: both counts are the old
    generation's (mixing them would give a probability of 8/5)."""
    engine = engine_of(index_dir)
    at, dawn = ids(engine, " at"), ids(engine, " dawn")
    assert engine.prob(at, dawn[0]) == {"prompt_cnt": 5, "cont_cnt": 5, "prob": 1.0}
    append(cli, index_dir, corpus[1][0])
    real = verbatim._native.ig_count
    reloaded = []

    def count_then_reload(index, input_ids):
        n = real(index, input_ids)
        if not reloaded:
            reloaded.append(engine.reload())
        return n

    monkeypatch.setattr(verbatim._native, "ig_count", count_then_reload)
    assert engine.prob(at, dawn[0]) == {"prompt_cnt": 5, "cont_cnt": 5, "prob": 1.0}
    assert reloaded == [True]
    assert engine.prob(at, dawn[0]) == {"prompt_cnt": 8, "cont_cnt": 8, "prob": 1.0}
    r = engine.infgram_prob([7, 7, 7] + at, dawn[0])
    assert (r["prompt_cnt"], r["cont_cnt"], r["suffix_len"]) == (8, 8, len(at))


def test_calls_during_reloads_answer_from_one_generation(index_dir, corpus, cli):
    """Threads call the engine while appends are reloaded: every answer is one generation's,
    and nothing fails."""
    engine = engine_of(index_dir)
    new, at, dawn = ids(engine, NEW), ids(engine, " at"), ids(engine, " dawn")
    stop = threading.Event()
    errors: list = []
    seen: list = []

    def call():
        try:
            while not stop.is_set():
                # Two counts in one call: equal whatever the generation.
                p = engine.prob(at, dawn[0])
                assert p["prompt_cnt"] == p["cont_cnt"] and p["prob"] == 1.0, p
                # One shard per generation; the new sentence is in every shard but the first.
                f = engine.find(new)
                shards = len(f["segment_by_shard"])
                assert f["cnt"] == 3 * (shards - 1), f
                total = engine.get_total_doc_cnt()
                assert total >= 5 + 3 * (shards - 1)
                if shards > 1:
                    lo, hi = f["segment_by_shard"][-1]
                    docs = engine.get_docs_by_ranks([(shards - 1, r) for r in range(lo, hi)], 50)
                    assert all("error" not in d for d in docs), docs
                d = engine.get_doc_by_ix(total - 1, max_disp_len=50)
                assert "error" not in d, d
                seen.append(shards)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for k, more in enumerate(corpus[1]):
            append(cli, index_dir, more)
            assert engine.reload() is True
            assert engine.generation == k + 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert engine.count(new)["count"] == 9 and engine.get_total_doc_cnt() == 14
    assert 1 in seen
    assert_same(answers(engine), answers(engine_of(index_dir)))


def test_a_bare_infini_gram_directory_is_never_reloaded(tmp_path):
    ig = tmp_path / "index_u16"
    write_infini_gram_u16(ig, [[5, 6, 7, 8], [6, 7, 9]], [{"id": "x"}, {"id": "y"}])
    engine = InfiniGramEngine(index_dir=str(ig), eos_token_id=0)
    before = (engine.count([6, 7]), engine.find([6, 7]), engine.get_doc_by_ix(1))
    assert before[0] == {"count": 2, "approx": False}
    assert engine.reload() is False
    assert engine.generation == 0
    assert (engine.count([6, 7]), engine.find([6, 7]), engine.get_doc_by_ix(1)) == before
