"""verbatim.Index on an infini-gram index directory (opened in place, read-only, as
`verbatim serve --index` opens it): the same answers as a verbatim index of the same
documents, token-id queries only without a side directory."""

from __future__ import annotations

import json
import random

import pytest

import verbatim
from conftest import TOKENIZER, demo_records
from ig_writer import write_infini_gram_u16
from verbatim.compat import InfiniGramEngine


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A verbatim index and an infini-gram index of the same 8 demo documents."""
    recs = demo_records(8)
    root = tmp_path_factory.mktemp("ig")
    corpus = root / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    vb = root / "verbatim"
    verbatim.build([str(corpus)], str(vb), TOKENIZER, fulltext=False)
    vix = verbatim.Index(vb)
    docs = [vix.tokenize(r["text"]) for r in recs]
    ig = root / "index_u16"
    write_infini_gram_u16(ig, docs, [{"id": r["id"], "source": "test"} for r in recs])
    return vix, verbatim.Index(ig), ig, docs


def test_opens_and_counts_like_the_verbatim_index(pair):
    vix, gix, _, docs = pair
    assert gix.documents == vix.documents == 8
    assert "8 documents" in repr(gix)
    rng = random.Random(0)
    for _ in range(200):
        doc = rng.choice(docs)
        i = rng.randrange(0, len(doc) - 10)
        q = doc[i:i + rng.randint(1, 10)]
        assert gix.count(q)["count"] == vix.count(q)["count"] >= 1
        g, v = gix.ntd(q), vix.ntd(q)
        assert g["prompt_count"] == v["prompt_count"]
        assert g["result_by_token_id"] == v["result_by_token_id"]
    assert gix.count([7, 7, 7, 7, 7, 7])["count"] == vix.count([7, 7, 7, 7, 7, 7])["count"]


def test_bare_index_wants_token_ids(pair):
    _, gix, _, _ = pair
    with pytest.raises(verbatim.InvalidInputError, match="has no tokenizer"):
        gix.count("It is a truth universally acknowledged")
    with pytest.raises(verbatim.InvalidInputError, match="outside the vocabulary"):
        gix.count([2**20])


def test_compat_engine_on_the_infini_gram_index(pair):
    vix, _, ig, docs = pair
    engine = InfiniGramEngine(index_dir=str(ig), eos_token_id=0)
    q = docs[3][100:104]
    assert engine.count(q) == {"count": vix.count(q)["count"], "approx": False}
    f = engine.find(q)
    assert f["cnt"] == vix.count(q)["count"]


def test_damaged_infini_gram_index_is_refused(pair, tmp_path):
    import shutil

    _, _, ig, _ = pair
    bad = tmp_path / "bad"
    shutil.copytree(ig, bad)
    table = (bad / "table.0").read_bytes()
    (bad / "table.0").write_bytes(table + b"\x00")
    with pytest.raises(verbatim.IndexCorruptError, match="table.0"):
        verbatim.Index(bad)
    # An infini-gram index of another version (5: documents reversed) is a version error.
    v5 = tmp_path / "v5_pile"
    shutil.copytree(ig, v5)
    with pytest.raises(verbatim.IndexVersionError, match="version 5"):
        verbatim.Index(v5)
