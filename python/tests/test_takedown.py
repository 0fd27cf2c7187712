"""Takedowns made by `verbatim takedown` while a Python object holds the index: the next call
never shows the document (verbatim.Index and the infini-gram compatible engine alike), and a
restore shows it again."""

from __future__ import annotations

import subprocess

import pytest

import verbatim
from verbatim.compat import InfiniGramEngine

from conftest import TOKENIZER


@pytest.fixture()
def fresh_index(corpus_dir, tmp_path):
    """An index of its own (takedowns change it)."""
    out = tmp_path / "td"
    verbatim.build([str(corpus_dir)], str(out), TOKENIZER, threads=2)
    return out


def test_a_takedown_while_open_hides_the_document_at_once(fresh_index, cli):
    ix = verbatim.Index(fresh_index)
    engine = InfiniGramEngine(index_dir=str(fresh_index), eos_token_id=0)
    doc = ix.document(0)
    doc_id, text = doc["id"], doc["text"]
    passage = " ".join(text.split()[20:45])
    q = ix.tokenize(passage)
    # Before: shown everywhere.
    assert any(d["id"] == doc_id for d in ix.trace(passage)["documents"])
    shown = engine.get_doc_by_ix(doc["doc_no"], max_disp_len=50)
    assert shown["blocked"] is False and shown["token_ids"]

    subprocess.run([cli, "takedown", "add", "--index", str(fresh_index), doc_id], check=True,
                   capture_output=True)
    with pytest.raises(verbatim.NotFoundError):
        ix.document(doc_id)
    assert all(d["id"] != doc_id for d in ix.trace(passage)["documents"])
    hidden = engine.get_doc_by_ix(doc["doc_no"], max_disp_len=50)
    assert hidden["blocked"] is True and hidden["token_ids"] == [] and hidden["metadata"] == ""
    found = engine.find(q)
    for s, (lo, hi) in enumerate(found["segment_by_shard"]):
        for rank in range(lo, hi):
            d = engine.get_doc_by_rank(s, rank, max_disp_len=20)
            if d["doc_ix"] == doc["doc_no"]:
                assert d["blocked"] is True and d["token_ids"] == []

    subprocess.run([cli, "takedown", "remove", "--index", str(fresh_index), doc_id], check=True,
                   capture_output=True)
    assert ix.document(doc_id)["text"] == text
    assert engine.get_doc_by_ix(doc["doc_no"], max_disp_len=50)["blocked"] is False
