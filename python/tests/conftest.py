"""Shared fixtures: a small corpus cut from the bundled demo corpus (Jane Austen's novels and
the Python documentation), split into four JSONL files, and indexes of it built with the
bindings."""

from __future__ import annotations

import io
import json
import os

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "corpora" / "demo"
TOKENIZER = str(DEMO / "tokenizer.json")
SHARED = ROOT.parent / "shared" / "data"


def need(condition: bool, reason: str) -> None:
    """Skips the test with ``reason`` unless ``condition``; under CI a missing prerequisite
    is a failure, not a skip."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI: {reason}")
    print(f"SKIP: {reason}")
    pytest.skip(reason)




def demo_records(n: int):
    """The first ``n`` records of the demo corpus (decompressed with the zstd CLI)."""
    out = subprocess.run(["zstd", "-dc", str(DEMO / "demo.jsonl.zst")], check=True,
                         capture_output=True).stdout.decode("utf-8")
    recs = []
    for line in io.StringIO(out):
        if line.strip():
            recs.append(json.loads(line))
        if len(recs) == n:
            break
    return recs


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """80 demo documents in four JSONL files (20 each), in build order."""
    d = tmp_path_factory.mktemp("corpus")
    recs = demo_records(80)
    for k in range(4):
        with open(d / f"part-{k}.jsonl", "w", encoding="utf-8") as f:
            for r in recs[20 * k:20 * (k + 1)]:
                f.write(json.dumps(r) + "\n")
    return d


@pytest.fixture(scope="session")
def index_dir(corpus_dir, tmp_path_factory) -> Path:
    """An index of the corpus with the contamination side indexes, built by the bindings."""
    import verbatim

    out = tmp_path_factory.mktemp("idx") / "small"
    verbatim.build([str(corpus_dir)], str(out), TOKENIZER, side_indexes=["words", "alnum"],
                   threads=2)
    return out


@pytest.fixture(scope="session")
def index(index_dir):
    import verbatim

    return verbatim.Index(index_dir)


@pytest.fixture(scope="session")
def cli() -> str:
    """The verbatim CLI built by `cargo test --release` / `cargo build --release`."""
    exe = ROOT / "target" / "release" / "verbatim"
    need(exe.exists(), f"{exe} is missing: run `cargo build --release` first")
    return str(exe)


@pytest.fixture(scope="session")
def items_file(corpus_dir, tmp_path_factory) -> Path:
    """Benchmark-like items: passages copied from the corpus (dirty), paraphrases and
    unrelated questions (clean)."""
    recs = demo_records(80)
    items = []
    for i, r in enumerate(recs[:30]):
        words = r["text"].split()
        items.append({"bench": "copied", "id": f"c{i}", "text": " ".join(words[40:90])})
    for i in range(20):
        items.append({"bench": "novel", "id": f"n{i}",
                      "text": f"Question {i}: what is the capital of the imaginary land number {i * 7}?"})
    items.append({"bench": "novel", "id": "empty-ish", "text": "?"})
    p = tmp_path_factory.mktemp("items") / "items.jsonl"
    with open(p, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")
    return p


def run_cli(cli: str, *args: str) -> dict:
    """Runs the CLI and parses its JSON output."""
    r = subprocess.run([cli, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def strip_timing(report: dict) -> dict:
    """A contamination report without what differs between runs (timing, inputs' names)."""
    r = dict(report)
    r.pop("timing", None)
    r.pop("inputs", None)
    return r


__all__ = ["need", "run_cli", "strip_timing", "TOKENIZER", "SHARED", "ROOT"]
