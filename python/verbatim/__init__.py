"""verbatim: trace language-model output back to the training documents it copies.

Open an index built with ``verbatim index`` (or :func:`build`) and query it::

    import verbatim
    ix = verbatim.Index("my-index")
    ix.count("a single man in possession")["count"]
    ix.trace("It is a truth universally acknowledged, ...")["spans"]
    ix.contamination("items.jsonl", methods=["gpt3", "palm"])["summary"]

Results are plain dicts with the REST API's field names. Every query releases the GIL.
``verbatim.compat.InfiniGramEngine`` answers infini-gram's ``InfiniGramEngine`` methods, and
``verbatim.ray`` builds indexes and runs contamination checks on a Ray cluster.
"""

from __future__ import annotations

from . import errors
from ._native import Index, __version__
from ._native import assemble_index as assemble
from ._native import build_index as build
from ._native import compact_index as compact
from ._native import discover_inputs
from .errors import (
    BuildError,
    ContaminationError,
    FullTextError,
    IndexCorruptError,
    IndexIOError,
    IndexVersionError,
    InvalidInputError,
    NotFoundError,
    TokenizerError,
    VerbatimError,
)

__all__ = [
    "Index",
    "build",
    "assemble",
    "compact",
    "discover_inputs",
    "errors",
    "__version__",
    "VerbatimError",
    "InvalidInputError",
    "TokenizerError",
    "IndexCorruptError",
    "IndexVersionError",
    "IndexIOError",
    "NotFoundError",
    "FullTextError",
    "ContaminationError",
    "BuildError",
]
