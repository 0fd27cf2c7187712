"""verbatim.Index: queries, result shapes, agreement with the CLI, errors."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest

import verbatim
from conftest import TOKENIZER, run_cli, strip_timing

PHRASE = "Emma Woodhouse, handsome, clever, and rich"


def test_count_text_ids_and_numpy_agree(index):
    r = index.count(PHRASE)
    assert set(r) == {"count", "token_ids"}
    assert r["count"] >= 1
    ids = r["token_ids"]
    assert index.count(ids)["count"] == r["count"]
    assert index.count(tuple(ids))["count"] == r["count"]
    assert index.count(np.array(ids, dtype=np.int64))["count"] == r["count"]
    assert index.count(np.array(ids, dtype=np.uint16))["count"] == r["count"]
    assert index.tokenize(PHRASE) == ids
    assert index.decode(ids) == PHRASE
    assert index.count("zyzzyva quokka xylophone " * 3)["count"] == 0


def test_count_matches_cli(index, index_dir, cli):
    want = run_cli(cli, "count", "--index", str(index_dir), "--text", PHRASE, "--json")
    got = index.count(PHRASE)
    assert got["count"] == want["count"] and got["token_ids"] == want["token_ids"]


def test_spans_have_the_api_shape_and_match_the_cli(index, index_dir, cli):
    text = PHRASE + " and she had lived nearly twenty-one years in the world."
    got = index.spans(text)
    assert set(got) == {"index", "tokens", "spans"}
    assert got["spans"], "the copied phrase must match"
    for s in got["spans"]:
        assert text[s["byte_start"]:s["byte_end"]] == s["text"]
        assert s["count"] >= 1
    want = run_cli(cli, "spans", "--index", str(index_dir), "--text", text, "--json")
    assert got == want


def test_trace_matches_the_cli(index, index_dir, cli):
    text = ("It was the best of times. " + PHRASE +
            ", with a comfortable home and happy disposition, seemed to unite some of the best "
            "blessings of existence.")
    got = index.trace(text, prompt="Who is Emma?")
    want = run_cli(cli, "trace", "--index", str(index_dir), "--text", text, "--prompt",
                   "Who is Emma?", "--json")
    got.pop("timing_ms")
    want.pop("timing_ms")
    assert got == want
    assert got["documents"] and got["spans"]
    assert {"id", "doc_no", "bm25", "relevance", "snippets"} <= set(got["documents"][0])


def test_document_by_id_and_number(index):
    doc = index.document("austen/emma/volume-1/chapter-01")
    assert doc["text"].startswith("Emma Woodhouse")
    assert doc["source"] == "austen"
    assert index.document(doc["doc_no"])["id"] == doc["id"]
    short = index.document(doc["id"], max_tokens=5)
    assert short["truncated"] and short["tokens"] == doc["tokens"]
    with pytest.raises(verbatim.InvalidInputError, match="max_tokens must be at least 1"):
        index.document(doc["id"], max_tokens=0)
    hl = index.document(doc["id"], highlight="Emma")
    assert hl["highlights"]
    with pytest.raises(verbatim.TokenizerError, match="lone surrogate"):
        index.document(doc["id"], highlight="Emma \ud800")
    with pytest.raises(verbatim.NotFoundError, match="document not found: no/such/doc"):
        index.document("no/such/doc")
    with pytest.raises(LookupError):
        index.document(10**9)


def test_search(index):
    found = index.search("Woodhouse Hartfield", limit=3)
    assert found["warnings"] == []
    assert index.search("(Woodhouse", limit=1)["warnings"], "an unclosed parenthesis is noted"
    hits = found["hits"]
    assert 1 <= len(hits) <= 3
    assert {"id", "doc_no", "source", "metadata", "score", "snippet", "pii_masked"} == set(hits[0])


def test_ntd_and_prob(index):
    ids = index.tokenize(" Miss")
    d = index.ntd(ids)
    total = sum(v["cont_count"] for v in d["result_by_token_id"].values())
    assert total + d["end_of_document"] == d["prompt_count"] > 0
    nxt = max(d["result_by_token_id"], key=lambda t: d["result_by_token_id"][t]["cont_count"])
    p = index.prob(ids, nxt)
    assert p["suffix_len"] == len(ids)
    assert p["cont_count"] == d["result_by_token_id"][nxt]["cont_count"]
    assert p["prob"] == pytest.approx(p["cont_count"] / p["prompt_count"])
    assert index.ntd(" Miss") == d


def test_info_and_repr(index):
    info = index.info()
    assert info["documents"] == index.documents == 80
    assert info["fulltext"] is True
    assert "80 documents" in repr(index)
    assert index.manifest()["side_indexes"] == ["words", "alnum"]


def test_residency_changes_reads_not_answers(index, index_dir):
    # A small index stays in memory by default; read from disk it answers alike.
    assert index.residency == "memory"
    disk = verbatim.Index(index_dir, residency="disk", verify=True)
    assert disk.residency == "disk"
    text = "It was the best of times. " + PHRASE + ", with a comfortable home"
    assert disk.count(text) == index.count(text)
    got, want = disk.trace(text), index.trace(text)
    got.pop("timing_ms")
    want.pop("timing_ms")
    assert got == want and got["documents"]
    with pytest.raises(verbatim.InvalidInputError, match="expected auto, memory or disk"):
        verbatim.Index(index_dir, residency="ram")


# ------------------------------------------------------------------------------ bad input

def test_path_that_is_not_an_index(tmp_path):
    # An I/O error, as documented (docs/python.md): `except OSError` catches it.
    with pytest.raises(verbatim.IndexIOError, match="is not a verbatim index"):
        verbatim.Index(tmp_path)
    with pytest.raises(OSError, match="is not a verbatim index"):
        verbatim.Index(tmp_path / "missing")
    with pytest.raises(verbatim.IndexIOError, match="is not a verbatim index"):
        verbatim.compact(tmp_path / "missing")
    (tmp_path / "manifest.bin").write_bytes(b"not a manifest at all" * 10)
    with pytest.raises(verbatim.VerbatimError, match="cannot open index"):
        verbatim.Index(tmp_path)


def test_corrupt_file_is_reported(index_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy)
    sa = next(copy.glob("shard-*/sa.bin"))
    data = bytearray(sa.read_bytes())
    data[200] ^= 0xFF
    sa.write_bytes(bytes(data))
    with pytest.raises(verbatim.IndexCorruptError, match="corrupt index file"):
        verbatim.Index(copy, verify=True)


def test_text_that_no_tokenizer_can_read(index):
    with pytest.raises(verbatim.TokenizerError, match="lone surrogate"):
        index.count("abc \ud800 def")
    with pytest.raises(ValueError):
        index.trace("\udfff")


def test_ids_outside_the_vocabulary(index):
    v = index.vocab_size
    with pytest.raises(verbatim.InvalidInputError,
                       match=rf"token id {v} is outside the vocabulary \(0..{v}\)"):
        index.count([1, 2, v])
    with pytest.raises(ValueError, match="token id -1 is outside"):
        index.count(np.array([-1]))
    with pytest.raises(verbatim.InvalidInputError, match="must be a str or a sequence of int"):
        index.count([1.5, "a"])
    with pytest.raises(verbatim.InvalidInputError):
        index.prob([1, 2], v + 5)
    with pytest.raises(verbatim.InvalidInputError):
        index.decode([2**40])


def test_ids_that_are_not_ints(index):
    with pytest.raises(verbatim.InvalidInputError, match="item 1 is a float, not an int"):
        index.count([5, 1.5])
    with pytest.raises(verbatim.InvalidInputError, match=r"token id 1180591620717411303424 is outside"):
        index.count([2**70])
    with pytest.raises(verbatim.InvalidInputError, match="not bytes: decode it to a str first"):
        index.count(b"Emma")
    with pytest.raises(verbatim.InvalidInputError, match="item 0 is a list, not an int"):
        index.count(np.array([[1, 2], [3, 4]]))
    with pytest.raises(verbatim.InvalidInputError, match="item 0 is a float"):
        index.ntd(np.array([1.5]))


def test_path_that_is_a_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    with pytest.raises(verbatim.IndexIOError, match="is not a verbatim index"):
        verbatim.Index(f)


def test_no_bad_input_crashes_or_panics(index):
    """Every query method given every kind of bad value raises an ordinary Exception (a
    Rust panic would surface as pyo3's PanicException, a BaseException), and the
    interpreter lives on."""
    v = index.vocab_size
    values = [[], [v], [-1], [2**40], [2**70], [1.5], ["a"], [None], np.array([[1, 2]]),
              np.array([1.5]), np.array([v]), {"a": 1}, b"abc", bytearray(b"ab"), None, 3, 2.5,
              "", " ", "\ud800", "\x00", "a\udfffb", "Emma" * 20000]
    calls = [index.count, index.ntd, lambda a: index.prob(a, 0), lambda a: index.prob([1], a),
             index.decode, index.tokenize, index.spans, index.trace,
             lambda a: index.trace("Emma Woodhouse", prompt=a), index.document, index.search,
             lambda a: index.contamination(a, methods=["llama2"]),
             lambda a: index.document(0, highlight=a), lambda a: index.spans("Emma", delimiters=a),
             lambda a: index.trace("Emma Woodhouse", max_count=a)]
    outcomes = 0
    for call in calls:
        for a in values:
            try:
                call(a)
            except Exception:  # noqa: BLE001 - any ordinary exception is the point
                pass
            outcomes += 1
    assert outcomes == len(calls) * len(values)
    assert index.count("Emma")["count"] > 0


def test_bad_arguments(index):
    with pytest.raises(verbatim.InvalidInputError, match="text is empty"):
        index.spans("   ")
    with pytest.raises(verbatim.InvalidInputError, match="density must be in"):
        index.trace("hello there", density=0)
    with pytest.raises(verbatim.InvalidInputError, match="is not a single token"):
        index.spans("hello there", delimiters=["not one token"])
    # Out of range, as the CLI and the API refuse them (they gave no spans), named as the
    # keyword arguments are.
    for kwargs, name in (({"min_len": 0}, "min_len"), ({"max_count": 0}, "max_count"),
                         ({"min_len": 20000}, "min_len")):
        with pytest.raises(verbatim.InvalidInputError, match=f"^{name} is"):
            index.spans("hello there", **kwargs)
        with pytest.raises(verbatim.InvalidInputError, match=f"^{name} is"):
            index.trace("hello there", **kwargs)
    with pytest.raises(verbatim.InvalidInputError, match="limit must be between"):
        index.search("Emma", limit=0)
    with pytest.raises(verbatim.InvalidInputError):
        verbatim.Index(".", threads=0)


def test_queries_from_threads(index_dir):
    """Threads query one index at once (the GIL is released) and get the single-thread
    answers; threads=1 keeps each query on the calling thread's own pool."""
    for threads in (None, 1):
        ix = verbatim.Index(index_dir, threads=threads)
        texts = [PHRASE + f" and {i} more words about the weather at Hartfield." for i in range(8)]
        want = [ix.spans(t) for t in texts]
        got = [None] * len(texts)

        def work(i):
            for _ in range(3):
                got[i] = ix.spans(texts[i])

        ts = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert got == want


# ------------------------------------------------------------------------------ contamination

def test_contamination_report_equals_the_cli(index, index_dir, items_file, cli, tmp_path):
    out = tmp_path / "report.json"
    got = index.contamination(str(items_file), out=out, html=tmp_path / "r.html",
                              csv=tmp_path / "r.csv")
    import json
    import subprocess

    cli_out = tmp_path / "cli.json"
    subprocess.run([cli, "contamination", "--index", str(index_dir), "--input",
                    str(items_file), "--out", str(cli_out)], check=True, capture_output=True)
    want = json.loads(cli_out.read_text())
    assert strip_timing(got) == strip_timing(want)
    assert strip_timing(json.loads(out.read_text())) == strip_timing(want)
    assert (tmp_path / "r.html").stat().st_size > 1000
    dirty = got["summary"]["benchmarks"]["copied"]["gpt3"]["dirty"]
    assert dirty >= 25


def test_contamination_from_python_records(index, items_file):
    import json

    recs = [json.loads(line) for line in items_file.read_text().splitlines()]
    from_file = index.contamination(str(items_file), methods=["gpt3", "llama2"])
    from_list = index.contamination(recs, methods=["gpt3", "llama2"])
    assert from_list["items"] == from_file["items"]
    texts = index.contamination([r["text"] for r in recs[:3]], methods=["palm"])
    assert [i["id"] for i in texts["items"]] == ["1", "2", "3"]
    with pytest.raises(verbatim.InvalidInputError, match="unknown contamination method|unknown"):
        index.contamination(recs, methods=["gpt5"])
    with pytest.raises(verbatim.InvalidInputError, match="has no"):
        index.contamination([{"id": "x"}])
    # Ids past 64 bits keep every digit.
    big = index.contamination([{"id": 10**30, "text": "a"}, {"id": 10**30 + 1, "text": "b"}],
                              methods=["palm"])
    assert [i["id"] for i in big["items"]] == [str(10**30), str(10**30 + 1)]
    # Nothing to check is not a clean item.
    for empty in ([{"id": "x", "text": ""}], [{"id": "x", "text": None}], ["fine", ""]):
        with pytest.raises(verbatim.InvalidInputError, match="has no text"):
            index.contamination(empty, methods=["palm"])
    # Whitespace is text, checked as given, as the HTTP API checks it (only the file
    # readers skip a blank record).
    for blank in ([{"id": "x", "text": "  "}], ["\n"], ["   "]):
        report = index.contamination(blank, methods=["palm"])
        assert report["items"][0]["methods"][0]["label"] == "clean", report
    # A list of file names with a typo in one is an error, not items named like files.
    missing = str(items_file.parent / "itemz.jsonl")
    for paths in ([str(items_file), missing], ["itemz.jsonl"]):
        with pytest.raises(verbatim.IndexIOError, match="itemz.jsonl"):
            index.contamination(paths, methods=["palm"])


def test_contamination_needs_side_indexes(corpus_dir, tmp_path):
    from conftest import TOKENIZER

    out = tmp_path / "plain"
    verbatim.build([str(corpus_dir)], str(out), TOKENIZER, fulltext=False)
    ix = verbatim.Index(out)
    with pytest.raises(verbatim.ContaminationError, match="needs the `words` side index"):
        ix.contamination(["some text here"], methods=["gpt3"])
    assert ix.contamination(["some text here"], methods=["llama2"])["summary"]["items"] == 1
    with pytest.raises(verbatim.FullTextError):
        ix.search("Emma")


def test_build_reads_parquet_whatever_its_name(tmp_path):
    """`format="parquet"` reads every input as Parquet, as `verbatim index --format parquet`
    does (it was refused), so a Parquet file not named `*.parquet` can be indexed."""
    pa = pytest.importorskip("pyarrow") if not os.environ.get("CI") else __import__("pyarrow")
    import pyarrow.parquet as pq

    src = tmp_path / "rows.pq"
    table = pa.table({"id": ["r/0", "r/1"], "text": ["a row of parquet text", "another row"]})
    pq.write_table(table, src)
    assert verbatim.discover_inputs([str(src)], format="parquet") == [(src, src.stat().st_size)]
    out = tmp_path / "pq-index"
    verbatim.build([str(src)], str(out), TOKENIZER, format="parquet", fulltext=False)
    ix = verbatim.Index(out)
    assert ix.document("r/1")["text"] == "another row"
    with pytest.raises(verbatim.InvalidInputError, match="auto, jsonl, text or parquet"):
        verbatim.build([str(src)], str(tmp_path / "x"), TOKENIZER, format="csv")


def test_skip_log_lists_every_skipped_document(tmp_path):
    """`skip_log=` writes every skip, as `--skip-log` does: the manifest only counts them."""
    src = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": f"d{i}", "text": f"text {i}"}) for i in range(3)]
    lines += ["not json"] * 25
    src.write_text("\n".join(lines) + "\n")
    log = tmp_path / "skips.jsonl"
    m = verbatim.build([str(src)], str(tmp_path / "ix"), "bytes", fulltext=False, skip_log=log)
    assert m["skipped"] == {"malformed_json": 25}
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["reason"] for e in entries] == ["malformed_json"] * 25
    assert "c.jsonl:28: malformed json" in entries[-1]["message"]


def test_parts_record_their_count_and_a_missing_last_part_is_refused(tmp_path):
    """`parts=n` is recorded in each part, as `--parts N` is, so that `assemble` refuses an
    assembly without the last part (a Ray build passes it)."""
    paths = []
    for k in range(2):
        src = tmp_path / f"c{k}.jsonl"
        src.write_text(json.dumps({"id": f"d{k}", "text": f"part {k} text"}) + "\n")
        out = tmp_path / f"p{k}"
        m = verbatim.build([str(src)], str(out), "bytes", part=k, parts=2, fulltext=False)
        assert (m["options"]["part"], m["options"]["parts"]) == (k, 2)
        paths.append(str(out))
    with pytest.raises(verbatim.InvalidInputError, match="part 1 is missing"):
        verbatim.assemble(paths[:1], str(tmp_path / "ix"))
    with pytest.raises(verbatim.InvalidInputError, match="not among the 2 parts"):
        verbatim.build([str(tmp_path / "c0.jsonl")], str(tmp_path / "p9"), "bytes", part=2, parts=2)
    assert verbatim.assemble(paths, str(tmp_path / "ix"))["documents"] == 2


def test_shown_text_passes_the_privacy_filter(tmp_path):
    """Documents, traces and search hits are masked by default, as `verbatim trace` and
    `verbatim doc` mask them; `pii=\"drop\"` withholds, `pii=\"off\"` shows."""
    text = ("The clerk of the north mill wrote that for orders one should write to "
            "margaret.hale@milton-mills.co.uk before the evening bell rang.")
    src = tmp_path / "pii.jsonl"
    src.write_text(json.dumps({"id": "mill/0", "text": text}) + "\n")
    out = tmp_path / "pii-index"
    verbatim.build([str(src)], str(out), TOKENIZER, threads=1)
    ix = verbatim.Index(str(out))
    doc = ix.document("mill/0")
    assert "margaret.hale" not in doc["text"] and "[EMAIL]" in doc["text"]
    assert doc["pii_masked"] == {"email": 1}
    assert "margaret.hale" in ix.document("mill/0", pii="off")["text"]
    with pytest.raises(verbatim.NotFoundError, match="personal data"):
        ix.document("mill/0", pii="drop")
    t = ix.trace("The clerk of the north mill wrote that for orders", full_documents=True)
    assert t["pii"] == "mask"
    assert "margaret.hale" not in json.dumps(t) and "[EMAIL]" in json.dumps(t)
    assert ix.trace("The clerk of the north mill wrote that", pii="drop")["documents"] == []
    with pytest.raises(verbatim.InvalidInputError, match="pii"):
        ix.trace("The clerk", pii="hide")


def test_contamination_examples_pass_the_privacy_filter(tmp_path):
    """Contamination examples (main and side indexes) are masked by default, as the CLI's
    and the server's are; `pii="drop"` leaves such examples out, `pii="off"` shows them."""
    from verbatim import _native

    text = ("The clerk of the north mill wrote that for orders one should write to "
            "margaret.hale@milton-mills.co.uk before the evening bell rang.")
    src = tmp_path / "pii.jsonl"
    src.write_text(json.dumps({"id": "mill/0", "text": text}) + "\n")
    out = tmp_path / "pii-index"
    verbatim.build([str(src)], str(out), TOKENIZER, threads=1, side_indexes=["words", "alnum"])
    ix = verbatim.Index(str(out))
    item = [{"id": "q", "text": text[:70], "bench": "b"}]

    def examples(report):
        return [e for m in report["items"][0]["methods"] for e in m.get("examples", [])]

    off = examples(ix.contamination(item, pii="off"))
    assert any("margaret" in json.dumps(e) for e in off)
    masked = examples(ix.contamination(item))
    assert masked and not any("margaret" in json.dumps(e) for e in masked)
    assert any("[EMAIL]" in json.dumps(e) for e in masked)
    assert not any("margaret" in json.dumps(e) for e in examples(ix.contamination(item, pii="drop")))
    batch, _ = _native.check_batch(ix, item)
    assert "margaret" not in "".join(batch) and "[EMAIL]" in "".join(batch)
    with pytest.raises(verbatim.InvalidInputError, match="pii"):
        ix.contamination(item, pii="hide")
