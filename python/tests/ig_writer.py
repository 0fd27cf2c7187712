"""Writes infini-gram v4 indexes (u16, or u32) as infini-gram 2.6.0's ``indexing.py`` writes
them, for tests that open one in place or compare with infini-gram's own engine."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Dict, List, Optional


def write_infini_gram_u16(d: Path, docs: List[List[int]],
                          metadata: Optional[List[Dict[str, Any]]] = None,
                          path: str = "c.jsonl", width: int = 2) -> None:
    """An infini-gram index of ``docs`` (token ids; an empty list is a separator-only
    document, as infini-gram indexes an empty text) in the new directory ``d``:
    ``tokenized.0`` (a 0xFFFF separator before each document), ``table.0`` (byte pointers in
    ``memcmp`` order of the little-endian stream), ``offset.0`` and, with ``metadata`` (one
    dict per document, the record without its text), ``metadata.0`` and ``metaoff.0`` holding
    ``indexing.py``'s line ``{"path", "linenum", "metadata"}`` for each. ``width=4`` writes
    u32 tokens (a 0xFFFFFFFF separator)."""
    code = {2: "H", 4: "I"}[width]
    d.mkdir()
    ds, od, mt, om = bytearray(), bytearray(), bytearray(), bytearray()
    for i, doc in enumerate(docs):
        od += struct.pack("<Q", len(ds))
        ds += b"\xff" * width + struct.pack(f"<{len(doc)}{code}", *doc)
        if metadata is not None:
            om += struct.pack("<Q", len(mt))
            line = {"path": path, "linenum": i, "metadata": metadata[i]}
            mt += (json.dumps(line) + "\n").encode()
    data = bytes(ds)
    # Sorted on a 256-byte prefix, then every run of equal prefixes on whole suffixes.
    sa = sorted(range(0, len(data), width), key=lambda p: data[p:p + 256])
    i = 0
    while i < len(sa):
        j = i + 1
        while j < len(sa) and data[sa[j]:sa[j] + 256] == data[sa[i]:sa[i] + 256]:
            j += 1
        if j - i > 1:
            sa[i:j] = sorted(sa[i:j], key=lambda p: data[p:])
        i = j
    ptr = 1  # the fewest bytes that address the stream, as infini-gram sizes its pointers
    while ptr < 8 and len(data) > 1 << (8 * ptr):
        ptr += 1
    (d / "tokenized.0").write_bytes(data)
    (d / "table.0").write_bytes(b"".join(p.to_bytes(8, "little")[:ptr] for p in sa))
    (d / "offset.0").write_bytes(bytes(od))
    if metadata is not None:
        (d / "metadata.0").write_bytes(bytes(mt))
        (d / "metaoff.0").write_bytes(bytes(om))
