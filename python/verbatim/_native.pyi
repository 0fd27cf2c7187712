"""Typed stub of the native module ``verbatim._native`` (Rust, PyO3)."""

from __future__ import annotations

import os
import pathlib
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, TypedDict, Union

import numpy.typing as npt

__version__: str

PathLike = Union[str, "os.PathLike[str]"]
TokenIds = Union[Sequence[int], "npt.NDArray[Any]"]
Query = Union[str, TokenIds]

class CountResult(TypedDict):
    count: int
    token_ids: List[int]

class SpanResult(TypedDict, total=False):
    id: int
    byte_start: int
    byte_end: int
    utf16_start: int
    utf16_end: int
    token_start: int
    token_end: int
    text: str
    count: int
    relevance: str
    unigram_logprob: float
    document_ids: List[str]
    # Why a traced span shows no document: "taken_down" or "personal_data" (absent otherwise).
    documents_withheld: str

class SpansResult(TypedDict):
    index: str
    tokens: int
    spans: List[SpanResult]

class SnippetResult(TypedDict):
    span_id: int
    before: str
    match: str
    after: str

class TracedDocumentResult(TypedDict, total=False):
    id: str
    doc_no: int
    source: Optional[str]
    metadata: Dict[str, Any]
    bm25: float
    relevance_score: float
    relevance: str
    span_ids: List[int]
    snippets: List[SnippetResult]
    text: str
    pii_masked: Dict[str, int]

class DisplaySpanResult(TypedDict):
    byte_start: int
    byte_end: int
    utf16_start: int
    utf16_end: int
    span_ids: List[int]
    relevance: str

class TraceResult(TypedDict):
    index: str
    tokens: int
    candidate_spans: int
    spans: List[SpanResult]
    display_spans: List[DisplaySpanResult]
    documents: List[TracedDocumentResult]
    timing_ms: Dict[str, float]
    pii: str
    pii_dropped_documents: int

class DocumentResult(TypedDict):
    id: str
    doc_no: int
    source: Optional[str]
    metadata: Dict[str, Any]
    tokens: int
    truncated: bool
    text: str
    highlights: List[Dict[str, int]]

class SearchHit(TypedDict):
    id: str
    doc_no: int
    source: Optional[str]
    metadata: Dict[str, Any]
    score: float
    snippet: str
    pii_masked: Dict[str, int]

class SearchResult(TypedDict):
    hits: List[SearchHit]
    warnings: List[str]

class NextToken(TypedDict):
    cont_count: int
    prob: float

class NtdResult(TypedDict):
    prompt_count: int
    end_of_document: int
    result_by_token_id: Dict[int, NextToken]
    approx: bool

class ProbResult(TypedDict):
    prompt_count: int
    cont_count: int
    prob: float
    suffix_len: int

class Index:
    """An open, read-only verbatim index (memory-mapped)."""

    def __init__(
        self,
        path: PathLike,
        *,
        verify: bool = False,
        fulltext: bool = True,
        threads: Optional[int] = None,
        residency: str = "auto",
    ) -> None:
        """Opens the index in ``path`` (a verbatim index, or an infini-gram v4 index
        directory, in place); ``threads=N`` keeps each query on N threads of the calling
        thread's own pool, the calling thread one of them (None: every core);
        ``residency`` is ``"auto"``, ``"memory"`` or ``"disk"`` (see
        ``verbatim serve --residency``)."""
    @property
    def path(self) -> str:
        """The index directory."""
    @property
    def name(self) -> str:
        """The index's name."""
    @property
    def vocab_size(self) -> int:
        """Token ids ``0..vocab_size`` are valid queries."""
    @property
    def documents(self) -> int:
        """Number of documents."""
    @property
    def residency(self) -> str:
        """How the files are read: ``"memory"`` or ``"disk"`` (``"auto"`` resolved)."""
    @property
    def generation(self) -> int:
        """The manifest's generation of the instance being queried: 0 for a fresh build, one
        more with each ``verbatim index --append`` (``verbatim compact`` and a forced rebuild
        write another). It changes only when :meth:`reload` replaces the instance."""
    def reload(self) -> bool:
        """Opens the index's new generation, if there is one.

        When ``manifest.bin`` in the index directory was replaced since the instance being
        queried was opened (by ``verbatim index --append``, ``verbatim compact`` or a forced
        rebuild; a ``stat`` tells, cheaply, when it was not), opens the index again with the
        constructor's options (``verify``, ``fulltext``, and ``residency`` as asked:
        ``"auto"`` is judged again); from then on every query answers from the new instance.
        Returns True when it replaced the instance, False when nothing changed on disk (or
        for an infini-gram directory opened bare, which has no manifest).

        Explicit only: queries never reload by themselves, so that results stay reproducible
        while the index changes on disk. Queries running on other threads meanwhile finish on
        the instance they started with. The GIL is released while it opens.

        Raises what the constructor would (``IndexCorruptError``, ``IndexIOError``,
        ``TokenizerError``; ``VerbatimError`` for an index renamed) when the new generation
        cannot be opened (a damaged or half-written directory, a missing manifest, another
        name or tokenizer), and keeps answering from the instance opened before; a later
        ``reload()`` tries again."""
    def info(self) -> Dict[str, Any]:
        """What the index holds, as ``GET /api/v1/indexes`` shows it."""
    def manifest(self) -> Dict[str, Any]:
        """The whole manifest."""
    def tokenize(self, text: str) -> List[int]:
        """Token ids of ``text`` (no special tokens added)."""
    def decode(self, ids: TokenIds) -> str:
        """Text of token ids."""
    def count(self, query: Query) -> CountResult:
        """Occurrences of a text or of token ids."""
    def spans(
        self,
        text: str,
        *,
        max_count: Optional[int] = None,
        word_boundaries: bool = True,
        delimiters: Optional[Sequence[str]] = None,
        min_len: int = 1,
    ) -> SpansResult:
        """Every maximal span of ``text`` that occurs in the corpus."""
    def trace(
        self,
        response: str,
        prompt: Optional[str] = None,
        *,
        max_count: Optional[int] = 1000000,
        word_boundaries: bool = True,
        delimiters: Optional[Sequence[str]] = None,
        min_len: int = 1,
        density: float = 0.05,
        docs_per_span: int = 10,
        context: int = 40,
        full_documents: bool = False,
        pii: str = "mask",
    ) -> TraceResult:
        """OLMoTrace's pipeline on one model output; shown text under the privacy filter
        ``pii`` ("mask", "drop" or "off", as ``verbatim trace --pii``)."""
    def document(
        self,
        id: Union[str, int],
        *,
        max_tokens: Optional[int] = None,
        highlight: Optional[str] = None,
        pii: str = "mask",
    ) -> DocumentResult:
        """A document by external id or number, under the privacy filter ``pii``; its text
        cut after ``max_tokens`` tokens (at least 1: 0 raises ``InvalidInputError``)."""
    def search(self, query: str, *, limit: int = 10, pii: str = "mask") -> SearchResult:
        """BM25 keyword search; snippets under the privacy filter ``pii``."""
    def ntd(self, query: Query) -> NtdResult:
        """Exact next-token distribution."""
    def prob(self, query: Query, next: int) -> ProbResult:
        """The infini-gram probability of token ``next``."""
    def contamination(
        self,
        items: Any,
        *,
        methods: Optional[Sequence[str]] = None,
        llama2_skip: int = 0,
        examples: int = 3,
        max_spans: int = 10,
        threads: int = 0,
        field: str = "text",
        template: Optional[str] = None,
        id_field: str = "id",
        group_field: str = "bench",
        format: Optional[str] = None,
        limit: Optional[int] = None,
        out: Optional[PathLike] = None,
        csv: Optional[PathLike] = None,
        html: Optional[PathLike] = None,
        pii: str = "mask",
    ) -> Dict[str, Any]:
        """Contamination report of benchmark items (``verbatim contamination --out``).

        ``items``: a path, or a list of paths (when one of them is an existing file or all are
        named like item files, e.g. ``test.jsonl``: a missing one is then an error), or a list
        of dicts or strings (the items themselves). Example snippets pass the privacy filter
        ``pii`` ("mask", "drop" the example, or "off"); scores and labels are unaffected."""

def build_index(
    inputs: Sequence[PathLike],
    out: PathLike,
    tokenizer: str,
    *,
    name: Optional[str] = None,
    side_indexes: Sequence[str] = (),
    format: str = "auto",
    text_field: str = "text",
    id_field: str = "id",
    max_memory: Optional[int] = None,
    shard_max_tokens: Optional[int] = None,
    threads: int = 0,
    fulltext: bool = True,
    force: bool = False,
    strict: bool = False,
    part: Optional[int] = None,
    parts: Optional[int] = None,
    skip_log: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """Builds an index (``verbatim index``) and returns its manifest; ``part=k`` builds part
    ``k`` of a distributed build of ``parts`` parts (recorded, so that ``assemble_index``
    refuses an assembly without every part); ``skip_log`` names a file to write every skipped
    document to, one JSON object a line (``reason``, ``documents``, ``message``)."""

def assemble_index(
    parts: Sequence[PathLike],
    out: PathLike,
    *,
    name: Optional[str] = None,
    force: bool = False,
    remove_parts: bool = False,
) -> Dict[str, Any]:
    """Assembles part indexes, in part order, into one index (``verbatim assemble``)."""

def compact_index(
    index: PathLike,
    *,
    max_memory: Optional[int] = None,
    shard_max_tokens: Optional[int] = None,
    threads: int = 0,
) -> Dict[str, Any]:
    """Rebuilds runs of neighbouring shards as one shard each (``verbatim compact``); returns
    ``{"changed", "shards_before", "shards_after", "manifest"}``."""

def discover_inputs(
    inputs: Sequence[PathLike], *, format: str = "auto"
) -> List[Tuple[pathlib.Path, int]]:
    """The corpus files a build reads, in order, as ``(path, bytes)``; ``format`` as
    ``build``'s (``auto``, ``jsonl``, ``text`` or ``parquet``)."""

def read_items(
    items: Any,
    *,
    field: str = "text",
    template: Optional[str] = None,
    id_field: str = "id",
    group_field: str = "bench",
    format: Optional[str] = None,
) -> Tuple[List[Dict[str, str]], List[str]]:
    """Benchmark items as dicts, and the names of their inputs."""

def check_batch(
    index: Index,
    items: List[Dict[str, str]],
    *,
    methods: Optional[Sequence[str]] = None,
    llama2_skip: int = 0,
    examples: int = 3,
    max_spans: int = 10,
    threads: int = 0,
    pii: str = "mask",
) -> Tuple[List[str], Dict[str, float]]:
    """Checks a batch; each result as JSON (example snippets under the privacy filter
    ``pii``), and CPU seconds per method."""

def assemble_report(
    index: Index,
    results: List[str],
    *,
    inputs: List[str],
    methods: Optional[Sequence[str]] = None,
    llama2_skip: int = 0,
    examples: int = 3,
    max_spans: int = 10,
    wall_seconds: float = 0.0,
    threads: int = 0,
    method_cpu_seconds: Optional[Dict[str, float]] = None,
    out: Optional[PathLike] = None,
    csv: Optional[PathLike] = None,
    html: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """The CLI's report of results checked elsewhere."""

def ig_find(index: Index, input_ids: TokenIds) -> Tuple[int, List[Tuple[int, int]]]: ...
def ig_count(index: Index, input_ids: TokenIds) -> int: ...
def ig_pin(index: Index, previous: Optional[Index] = None) -> Optional[Index]:
    """An ``Index`` pinned to the instance ``index`` queries now (its ``reload()`` raises), or
    None when that instance is the one ``previous`` is pinned to."""
def ig_shards(index: Index) -> Tuple[List[Tuple[int, int, int]], int]: ...
def ig_unigram_counts(index: Index, s: int, vocab_size: int) -> Dict[int, int]: ...
def ig_doc_by_rank(index: Index, s: int, rank: int, max_disp_len: int) -> Dict[str, Any]: ...
def ig_doc_by_ptr(index: Index, s: int, ptr: int, max_disp_len: int) -> Dict[str, Any]: ...
def ig_doc_by_ix(index: Index, doc_ix: int, max_disp_len: int) -> Dict[str, Any]: ...
def ig_doc_by_rank_2(
    index: Index, s: int, rank: int, needle_len: int, max_ctx_len: int
) -> Dict[str, Any]: ...
def ig_doc_by_ptr_2(
    index: Index, s: int, ptr: int, needle_len: int, max_ctx_len: int
) -> Dict[str, Any]: ...
def ig_search_docs(
    index: Index, input_ids: TokenIds, maxnum: int, max_disp_len: int, seed: int
) -> Tuple[int, bool, List[int], List[Dict[str, Any]]]: ...
def ig_find_cnf(
    index: Index, cnf: List[List[List[int]]], max_clause_freq: int, max_diff_tokens: int
) -> Tuple[int, bool, List[List[int]]]: ...
def ig_search_docs_cnf(
    index: Index,
    cnf: List[List[List[int]]],
    maxnum: int,
    max_disp_len: int,
    max_clause_freq: int,
    max_diff_tokens: int,
    seed: int,
) -> Tuple[int, bool, List[int], List[Dict[str, Any]]]: ...
def ig_ntd(index: Index, prompt_ids: TokenIds, eos: int) -> Tuple[int, Dict[int, int]]: ...
def ig_creativity(index: Index, input_ids: TokenIds) -> List[int]: ...
def ig_attribute(
    index: Index,
    input_ids: TokenIds,
    delim_ids: TokenIds,
    min_len: int,
    max_cnt: int,
    enforce_bow: bool,
    bow: Set[int],
    unigram_logprobs: bool,
) -> List[Tuple[int, int, int, float, List[Tuple[int, int]]]]: ...
def bench_in_rust(index: Index, kind: str, queries: List[Any]) -> List[float]:
    """Per-call seconds of ``count`` / ``trace`` timed inside Rust (benchmark baseline);
    ``trace_gil``: the seconds of each ``trace`` call spent holding the GIL (converting the
    answer into Python objects)."""
