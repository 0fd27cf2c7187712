"""verbatim.Index.reload(): a new generation of the index put in place on disk (an append, a
compaction, a forced rebuild) is queried only after an explicit reload(); a generation that
cannot be opened raises and leaves the instance opened before answering."""

from __future__ import annotations

import json
import os
import subprocess
import threading

import pytest

import verbatim
from conftest import TOKENIZER
from ig_writer import write_infini_gram_u16

OLD = " heron flies over the quiet marsh"
NEW = " purple walrus juggles seventeen lanterns"


def write_docs(path, prefix: str, sentence: str, n: int):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"{prefix}{i}",
                                "text": f"Document {prefix}{i} says the{sentence} at dawn."}) + "\n")
    return path


@pytest.fixture()
def corpus(tmp_path):
    """Two tiny corpora: the index's first build (OLD in each document) and an append (NEW in
    each, never in the first)."""
    first = write_docs(tmp_path / "first.jsonl", "a", OLD, 5)
    more = [write_docs(tmp_path / f"more-{k}.jsonl", f"b{k}-", NEW, 3) for k in range(3)]
    return first, more


@pytest.fixture()
def index_dir(corpus, tmp_path):
    """A small index of its own (the tests change it), built by the bindings."""
    out = tmp_path / "reloaded"
    verbatim.build([str(corpus[0])], str(out), TOKENIZER, threads=2)
    return out


def run(cli: str, *args) -> None:
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def append(cli: str, index_dir, corpus_file) -> None:
    run(cli, "index", "--append", "--threads", "2", "--input", corpus_file, "--out", index_dir)


def replace_manifest(index_dir, data: bytes) -> None:
    """Puts a manifest with ``data`` in place as the CLI does: written beside, then renamed."""
    tmp = index_dir / "manifest.bin.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, index_dir / "manifest.bin")


def test_an_append_is_queried_only_after_reload(index_dir, corpus, cli):
    ix = verbatim.Index(index_dir)
    assert ix.generation == 0
    assert ix.reload() is False  # nothing changed on disk
    old_count = ix.count(OLD)["count"]
    assert old_count == 5 and ix.count(NEW)["count"] == 0

    append(cli, index_dir, corpus[1][0])
    # Not before reload(): queries stay on the instance opened.
    assert ix.generation == 0 and ix.documents == 5
    assert ix.count(NEW)["count"] == 0
    with pytest.raises(verbatim.NotFoundError):
        ix.document("b0-1")

    assert ix.reload() is True
    assert ix.generation == 1 and ix.documents == 8
    assert ix.manifest()["generation"] == 1
    assert ix.count(NEW)["count"] == 3
    assert ix.count(OLD)["count"] == old_count
    assert NEW.strip() in ix.document("b0-1")["text"]
    assert any(d["id"].startswith("b0-") for d in ix.trace("A" + NEW + " at dawn.")["documents"])
    assert ix.search("walrus lanterns")["hits"]
    assert ix.reload() is False
    assert ix.generation == 1


def test_a_compaction_is_a_new_generation_with_the_same_answers(index_dir, corpus, cli):
    ix = verbatim.Index(index_dir)
    append(cli, index_dir, corpus[1][0])
    assert ix.reload() is True
    assert len(ix.manifest()["shards"]) == 2
    counts = (ix.count(OLD)["count"], ix.count(NEW)["count"])
    run(cli, "compact", "--threads", "2", index_dir)
    assert ix.reload() is True
    assert ix.generation == 2
    assert len(ix.manifest()["shards"]) == 1
    assert (ix.count(OLD)["count"], ix.count(NEW)["count"]) == counts


def test_reload_keeps_the_options_given(index_dir, corpus, cli):
    ix = verbatim.Index(index_dir, verify=True, fulltext=False, residency="disk")
    append(cli, index_dir, corpus[1][0])
    assert ix.reload() is True
    assert ix.count(NEW)["count"] == 3
    assert ix.residency == "disk"
    with pytest.raises(verbatim.FullTextError):
        ix.search("walrus")


def test_takedowns_apply_to_the_reloaded_instance(index_dir, corpus, cli):
    ix = verbatim.Index(index_dir)
    append(cli, index_dir, corpus[1][0])
    assert ix.reload() is True
    assert ix.document("b0-2")["id"] == "b0-2"
    run(cli, "takedown", "add", "--index", index_dir, "b0-2")
    with pytest.raises(verbatim.NotFoundError):
        ix.document("b0-2")
    run(cli, "takedown", "remove", "--index", index_dir, "b0-2")
    assert ix.document("b0-2")["id"] == "b0-2"


def test_a_damaged_manifest_raises_and_the_old_instance_answers(index_dir, corpus, cli):
    ix = verbatim.Index(index_dir)
    good = (index_dir / "manifest.bin").read_bytes()
    replace_manifest(index_dir, b"not a manifest at all" * 4)
    with pytest.raises(verbatim.IndexCorruptError, match="cannot reload index") as e:
        ix.reload()
    assert "still answering from the instance opened before, generation 0" in str(e.value)
    assert ix.generation == 0 and ix.count(OLD)["count"] == 5
    assert ix.document("a3")["id"] == "a3"
    # A later reload tries again (the file is still damaged).
    with pytest.raises(verbatim.IndexCorruptError):
        ix.reload()
    # No manifest at all (the directory half replaced): an I/O error.
    (index_dir / "manifest.bin").unlink()
    with pytest.raises(verbatim.IndexIOError, match="manifest.bin is missing"):
        ix.reload()
    assert ix.count(OLD)["count"] == 5
    # The manifest put back (another file of the same contents): opened again.
    replace_manifest(index_dir, good)
    assert ix.reload() is True
    assert ix.generation == 0 and ix.count(OLD)["count"] == 5


def test_a_renamed_index_or_another_tokenizer_is_refused(index_dir, corpus, cli):
    ix = verbatim.Index(index_dir)
    name = ix.name
    run(cli, "index", "--force", "--threads", "2", "--name", "another-name", "--tokenizer",
        TOKENIZER, "--input", corpus[1][0], "--out", index_dir)
    with pytest.raises(verbatim.VerbatimError, match='now named "another-name"'):
        ix.reload()
    assert ix.name == name and ix.count(OLD)["count"] == 5 and ix.count(NEW)["count"] == 0
    assert ix.document("a1")["id"] == "a1"

    run(cli, "index", "--force", "--threads", "2", "--name", name, "--tokenizer", "bytes",
        "--input", corpus[1][0], "--out", index_dir)
    with pytest.raises(verbatim.TokenizerError, match="another tokenizer"):
        ix.reload()
    assert ix.count(OLD)["count"] == 5 and ix.document("a1")["id"] == "a1"

    # Rebuilt as it was (same name and tokenizer): a forced rebuild is reloaded.
    run(cli, "index", "--force", "--threads", "2", "--name", name, "--tokenizer", TOKENIZER,
        "--input", corpus[1][0], "--out", index_dir)
    assert ix.reload() is True
    assert ix.count(OLD)["count"] == 0 and ix.count(NEW)["count"] == 3


def test_queries_running_during_reloads_answer_from_one_instance(index_dir, corpus, cli):
    """Threads query while appends are reloaded: every answer is one generation's (the old
    text's count never changes; the new text's only grows), and nothing fails."""
    ix = verbatim.Index(index_dir)
    old_ids = ix.tokenize(OLD)
    new_ids = ix.tokenize(NEW)
    stop = threading.Event()
    errors: list = []
    seen: list = []

    def query():
        last = 0
        try:
            while not stop.is_set():
                assert ix.count(old_ids)["count"] == 5
                n = ix.count(new_ids)["count"]
                assert n >= last and n % 3 == 0, (n, last)
                last = n
                seen.append(n)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=query) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for k, more in enumerate(corpus[1]):
            append(cli, index_dir, more)
            assert ix.reload() is True
            assert ix.generation == k + 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert ix.count(new_ids)["count"] == 9
    assert 0 in seen


def test_reload_after_the_working_directory_changed(index_dir, corpus, cli, monkeypatch):
    monkeypatch.chdir(index_dir.parent)
    ix = verbatim.Index(index_dir.name)
    assert str(ix.path) == index_dir.name
    monkeypatch.chdir(index_dir.parent.parent)
    append(cli, index_dir, corpus[1][0])
    assert ix.reload() is True
    assert ix.count(NEW)["count"] == 3


def test_a_bare_infini_gram_directory_is_never_reloaded(tmp_path):
    ig = tmp_path / "index_u16"
    write_infini_gram_u16(ig, [[5, 6, 7, 8], [6, 7, 9]], [{"id": "x"}, {"id": "y"}])
    ix = verbatim.Index(ig)
    assert ix.count([6, 7])["count"] == 2
    assert ix.reload() is False
    assert ix.generation == 0
