"""verbatim.ray on a local Ray cluster of 2 CPUs: distributed contamination checks equal the
single-process report; the distributed build equals a single build, and survives a worker
killed mid-build."""

from __future__ import annotations

import json
import os
import time

import pytest

ray = pytest.importorskip("ray")

import verbatim  # noqa: E402
import verbatim.ray as vray  # noqa: E402
from conftest import TOKENIZER, strip_timing  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(
                 p for p in [os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")] if p)}})
    yield
    ray.shutdown()


def test_plan_parts_is_contiguous_and_balanced():
    files = [(f"f{i}", b) for i, b in enumerate([10, 10, 10, 10, 40, 5, 5, 10])]
    groups = vray.plan_parts(files, 4)
    assert [p for g in groups for p in g] == [f for f, _ in files]
    assert len(groups) == 4 and all(groups)
    assert vray.plan_parts(files[:2], 4) == [["f0"], ["f1"]]
    assert vray.plan_parts([], 3) == []
    with pytest.raises(ValueError):
        vray.plan_parts(files, 0)


def test_contamination_through_ray_equals_one_process(cluster, index, index_dir, items_file, tmp_path):
    want = index.contamination(str(items_file))
    got = vray.contamination(index_dir, str(items_file), batch_size=7, out=tmp_path / "r.json")
    assert strip_timing(got) == strip_timing(want)
    assert strip_timing(json.loads((tmp_path / "r.json").read_text())) == strip_timing(want)


def test_contamination_of_a_ray_dataset(cluster, index, index_dir, items_file):
    recs = [json.loads(line) for line in items_file.read_text().splitlines()]
    want = index.contamination(recs, methods=["gpt3", "palm", "substr50"])
    ds = ray.data.from_items(recs)
    keep = ds.context.execution_options.preserve_order
    got = vray.contamination(index_dir, ds, methods=["gpt3", "palm", "substr50"], batch_size=5)
    # In the dataset's order (its execution was made to keep it), the option restored after.
    assert [i["id"] for i in got["items"]] == [r["id"] for r in recs]
    assert got["items"] == want["items"]
    assert got["summary"] == want["summary"]
    assert ds.context.execution_options.preserve_order == keep


def _answers(ix, texts, queries):
    return ([ix.count(q)["count"] for q in queries], [ix.spans(t)["spans"] for t in texts],
            [ix.document(d)["id"] for d in range(ix.documents)])


def _probe(index):
    texts = [index.document(d)["text"][100:600] + " and then something new happened"
             for d in range(0, index.documents, 9)]
    queries = [index.tokenize(t)[5:5 + n] for t, n in zip(texts, range(1, 12))]
    return texts, queries


def test_distributed_build_equals_a_single_build(cluster, corpus_dir, index, tmp_path):
    out = tmp_path / "dist"
    m = vray.build([str(corpus_dir)], out, TOKENIZER, shared_dir=tmp_path / "shared",
                   num_tasks=4, side_indexes=["words", "alnum"])
    assert m["documents"] == index.documents
    dist = verbatim.Index(out, verify=True)
    texts, queries = _probe(index)
    assert _answers(dist, texts, queries) == _answers(index, texts, queries)
    items = [index.document(d)["text"][:300] for d in range(0, 80, 7)]
    assert dist.contamination(items)["items"] == index.contamination(items)["items"]
    assert not (tmp_path / "shared" / "parts").exists()
    # The assembled index has a shard per part at least; compacted, it has one and answers
    # the same.
    c = verbatim.compact(out)
    assert c["changed"] and c["shards_before"] >= 4 and c["shards_after"] == 1
    assert len(c["manifest"]["shards"]) == 1
    comp = verbatim.Index(out, verify=True)
    assert _answers(comp, texts, queries) == _answers(index, texts, queries)
    assert comp.contamination(items)["items"] == index.contamination(items)["items"]
    assert not verbatim.compact(out)["changed"]


def _kill_first_attempt_of_part_1(k, attempt, out_dir):
    """Kills this worker process in the middle of part 1's first attempt: as soon as the
    indexer's temporary directory holds a shard's token stream."""
    if k != 1 or attempt != 0:
        return
    import threading
    from pathlib import Path

    out = Path(out_dir)
    temp = out.parent / f".{out.name}.building-{os.getpid()}"

    def watch():
        deadline = time.time() + 60
        while time.time() < deadline and not out.exists():
            if any(temp.glob("**/tokens.bin")):
                os._exit(1)
            time.sleep(0.001)

    threading.Thread(target=watch, daemon=True).start()


def test_a_worker_killed_mid_build_is_retried(cluster, corpus_dir, index, tmp_path):
    out = tmp_path / "dist"
    shared = tmp_path / "shared"
    m = vray.build([str(corpus_dir)], out, TOKENIZER, shared_dir=shared, num_tasks=4,
                   on_attempt=_kill_first_attempt_of_part_1, keep_parts=True)
    claims = sorted(p.name for p in (shared / "parts").glob("part-00001.attempt*.claim"))
    assert len(claims) >= 2, claims
    dist = verbatim.Index(out, verify=True)
    texts, queries = _probe(index)
    assert m["documents"] == index.documents
    assert _answers(dist, texts, queries) == _answers(index, texts, queries)
