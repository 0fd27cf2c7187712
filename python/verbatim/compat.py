"""infini-gram's ``InfiniGramEngine`` over a verbatim index, or over an infini-gram index
opened in place (``verbatim attach``, or bare).

An infini-gram 2.6.0 script runs unchanged after one import changes::

    # from infini_gram.engine import InfiniGramEngine
    from verbatim.compat import InfiniGramEngine

    engine = InfiniGramEngine(index_dir="my-verbatim-index", eos_token_id=50279)
    engine.count([5613, 4086, 9068])          # {'count': ..., 'approx': False}

The constructor takes infini-gram's arguments and the methods return infini-gram's dicts
(``{'error': ...}`` for invalid arguments, with infini-gram's messages). Every method of
infini-gram 2.6.0's ``InfiniGramEngine`` is here except ``get_new_shards_by_index_dir``
(below), and ``reload()`` follows an index that grows (below). Documents (``get_doc_by_*``,
``get_docs_by_*``, their ``_2`` variants, ``search_docs``, ``search_docs_cnf``) and the CNF
queries are answered by the same core functions as ``verbatim serve``'s infini-gram API. What
differs, and why:

- ``index_dir`` is one index: a verbatim index, or an infini-gram index directory (with its
  ``verbatim attach`` side directory, if any). Several directories are not supported (build
  one index of the whole corpus instead).
- **Ranks** (``find``'s ``segment_by_shard``, ``get_doc_by_rank``) are positions in the
  index's own suffix array: on an infini-gram index, infini-gram's ranks; on a verbatim
  index, verbatim's, which orders suffixes by token id where infini-gram orders them by
  little-endian bytes, so the same occurrence has another rank there; a range holds the
  same occurrences, and the documents behind them are the same.
- **Pointers and document numbers** (``attribute``'s ``docs[].ptr``, ``get_doc_by_ptr``,
  ``doc_ix``) are byte offsets into the shard's token stream and positions in the index's
  document order. On an infini-gram index they are infini-gram's. A verbatim index of the
  same corpus has the same ones only when both indexes hold exactly the same documents in
  the same order: the same files in the same order, one shard each (or the same shard
  boundaries), and no record that one indexer drops and the other keeps. verbatim's indexer
  skips empty texts, which infini-gram's keeps as separator-only documents, and records it
  cannot read (malformed or over-long lines, ``--max-document-bytes``): after the first such
  record, every later pointer and document number differs. Both streams put one separator
  before every document. The order of ``attribute``'s ``docs`` follows the suffix array, so
  compare them as sets.
- ``ntd``/``infgram_ntd`` are **exact** at every prompt count (``approx`` is always False):
  verbatim counts each distinct next token with one binary search instead of sampling
  ``max_support`` suffixes, so where infini-gram samples, its counts are estimates of these.
- ``search_docs`` and ``search_docs_cnf`` draw at random with a generator seeded from
  Python's ``random`` (``random.seed`` makes them repeatable; infini-gram uses its own random
  device): the documents differ from run to run in both engines. ``find_cnf``, ``count_cnf``
  and ``search_docs_cnf`` sample frequent clauses exactly as infini-gram does (same
  generator, seed and windows), so on an infini-gram index their counts, ``approx`` and
  pointers are infini-gram's; on a verbatim index a sampled clause keeps other occurrences
  (the suffix-array order differs), so an approximate answer may differ.
- ``metadata`` of a document: on an infini-gram index, the ``metadata.N`` line exactly as
  stored (``''`` for an index built without metadata). On a verbatim index it is written in
  infini-gram's shape, ``{"path", "linenum", "metadata"}``: ``path`` is the input file
  relative to the common folder of the inputs read with it (by the first build, or by the
  same append); ``linenum`` is the record's 0-based line (row for
  Parquet) when the index records it, that is when the record had no id and the indexer gave
  it ``FILE:LINE``, or when the indexer skipped no record of that file (blank lines, which
  it passes over uncounted and infini-gram's indexer cannot read, would shift it);
  otherwise verbatim does not store the line and ``linenum`` is ``None`` (JSON ``null``).
  ``metadata`` holds the record's ``id``, ``source`` and other fields (the text excluded),
  keys in verbatim's order.
- ``compute_unigram_counts(s)`` returns, as infini-gram's does, ``{id: count}`` for every id
  below ``vocab_size`` and for the separator id (its count is the shard's documents).
- ``get_docs_by_ranks`` answers; infini-gram 2.6.0's raises ``AttributeError`` (it calls a
  method its C++ engine lacks), so scripts can only have used ``get_doc_by_rank`` there.
- **A growing index**: ``reload()`` and ``generation`` are verbatim's own (infini-gram's
  indexes never change). An engine answers from the generation of the index it opened, even
  after ``verbatim index --append``, ``verbatim compact`` or a forced rebuild puts a new one in
  place. ``reload()`` reloads ``engine.index`` and then answers from the new generation in
  every method: the shard list (``find``'s ``segment_by_shard``, ``s`` and the rank and pointer
  ranges the document methods accept), ``get_total_doc_cnt`` and ``doc_ix``, counts, ``ntd``,
  ``attribute``, ``compute_unigram_counts``. It returns True when the engine moved to another
  generation and False otherwise (nothing changed on disk; an infini-gram directory opened
  bare has no manifest and never changes), and raises what ``Index.reload()`` raises when the
  new generation cannot be opened, the engine answering from the old one. Each call answers
  from one generation: a ``reload()`` on another thread applies to calls that start after it.
  An append only adds shards, so the old shards' ranks and pointers, and every document
  number, keep their meaning; a compaction keeps document numbers but changes the shards,
  their ranks and pointers. ``engine.index.reload()`` alone does not move the engine (which
  keeps the old generation mapped until its own ``reload()``, which then returns True).
- Not offered: ``get_new_shards_by_index_dir`` (it returns infini-gram's C++ shard objects,
  to share memory maps between engines; it raises ``NotImplementedError``), and
  ``InfiniGramEngineDiff``. ``load_to_ram``, the prefetch depths, ``attribution_block_size``
  and ``prev_shards_by_index_dir`` are accepted and have no effect (verbatim maps the index
  and schedules its own searches).
"""

from __future__ import annotations

import os
import random
import sys
import threading
from typing import Any, Dict, Iterable, List, Optional

from . import _native
from ._compat_docs import Documents, View, pin
from ._native import Index

__all__ = ["InfiniGramEngine"]

_DTYPE_MAX = {"u8": 2**8 - 1, "u16": 2**16 - 1, "u32": 2**32 - 1}


class InfiniGramEngine(Documents):
    """infini-gram 2.6.0's engine interface, answered by a verbatim or infini-gram index
    (see the module documentation for what differs)."""

    def __init__(
        self,
        index_dir: Iterable[str] | str,
        eos_token_id: int,
        vocab_size: int = 65535,
        version: int = 4,
        token_dtype: str = "u16",
        load_to_ram: bool = False,
        ds_prefetch_depth: int = 1,
        sa_prefetch_depth: int = 3,
        od_prefetch_depth: int = 3,
        bow_ids_path: Optional[str] = None,
        attribution_block_size: int = 512,
        precompute_unigram_logprobs: bool = False,
        prev_shards_by_index_dir: dict = {},  # noqa: B006 - infini-gram's signature
        max_support: int = 1000,
        max_clause_freq: int = 50000,
        max_diff_tokens: int = 100,
        maxnum: int = 1,
        max_disp_len: int = 1000,
    ) -> None:
        """Opens the verbatim index ``index_dir`` with infini-gram's constructor arguments.

        ``token_dtype`` must match the index's token width; ``bow_ids_path`` (one token id per
        line) gives the beginning-of-word ids ``attribute(enforce_bow=True)`` uses, as in
        infini-gram. Invalid arguments raise ``AssertionError`` or ``ValueError`` as there.
        """
        assert sys.byteorder == "little", "This code is designed to run on little-endian machines only!"
        if isinstance(index_dir, (str, os.PathLike)):
            index_dir = [index_dir]
        index_dir = [os.fspath(d) if isinstance(d, os.PathLike) else d for d in index_dir]
        assert all(isinstance(d, str) for d in index_dir)
        assert type(version) == int and version in [4, 5]
        if version == 5:
            raise ValueError(
                "version=5 asks for an index of reversed documents (infini-gram's v5), which "
                "verbatim does not read: it would answer it as a v4 index, with wrong counts; "
                "build a v4 index (infini-gram's default) or a verbatim index of the corpus"
            )
        assert type(eos_token_id) == int and 0 <= eos_token_id and eos_token_id < vocab_size
        assert type(load_to_ram) == bool
        assert type(ds_prefetch_depth) == int and ds_prefetch_depth >= 0
        assert type(sa_prefetch_depth) == int and sa_prefetch_depth >= ds_prefetch_depth
        assert type(od_prefetch_depth) == int and od_prefetch_depth >= 0
        assert type(max_support) == int and max_support > 0
        assert type(max_clause_freq) == int and max_clause_freq > 0
        assert type(max_diff_tokens) == int and max_diff_tokens > 0
        assert type(maxnum) == int and maxnum > 0
        assert type(max_disp_len) == int and max_disp_len > 0
        if token_dtype not in _DTYPE_MAX:
            raise ValueError(f"Unsupported token dtype: {token_dtype}")
        if len(index_dir) != 1:
            raise ValueError(
                "verbatim.compat.InfiniGramEngine opens one verbatim index; build one index of "
                f"the whole corpus instead of {len(index_dir)} directories"
            )
        self.max_support = max_support
        self.max_clause_freq = max_clause_freq
        self.max_diff_tokens = max_diff_tokens
        self.maxnum = maxnum
        self.max_disp_len = max_disp_len
        self.token_id_max = _DTYPE_MAX[token_dtype]
        self.vocab_size = vocab_size
        self.eos_token_id = eos_token_id
        self.precompute_unigram_logprobs = precompute_unigram_logprobs

        self.bow_ids: set = set()
        if bow_ids_path is not None:
            with open(bow_ids_path, "r") as f:
                for line in f:
                    self.bow_ids.add(int(line.strip()))

        # The Index reload() reloads; the engine answers from _view, pinned to one of its
        # generations, and only reload() replaces it (whole, in one assignment).
        self.index = Index(index_dir[0])
        view = pin(self.index)
        assert view is not None
        width = view.width
        if _DTYPE_MAX[token_dtype] != 2 ** (8 * width) - 1:
            raise ValueError(
                f"token_dtype {token_dtype!r} does not match the index, which stores "
                f"{8 * width}-bit tokens (use token_dtype='u{8 * width}')"
            )
        self._view: View = view
        self._reloading = threading.Lock()

    # ------------------------------------------------------------------ generations

    @property
    def generation(self) -> int:
        """The generation of the index the engine answers from (its manifest's: 0 for a fresh
        build, one more with each ``verbatim index --append``; ``verbatim compact`` and a
        forced rebuild write another). It changes only when ``reload()`` moves the engine."""
        return self._view.generation

    def reload(self) -> bool:
        """Answers from the index's new generation, if there is one: reloads ``index`` (see
        ``verbatim.Index.reload``) and from then on every method answers from the instance it
        queries, shard list, shard sizes and document count included. Returns True when the
        engine moved to another generation, False when it already answered from the newest
        (nothing changed on disk, or an infini-gram directory opened bare, which has no
        manifest and never changes).

        A call running on another thread meanwhile answers wholly from the generation it
        started with. When the new generation cannot be opened, raises what
        ``Index.reload()`` raises (``IndexCorruptError``, ``IndexIOError``,
        ``TokenizerError``, ``VerbatimError``) and keeps answering from the old one.
        ``engine.index.reload()`` alone does not move the engine: its next ``reload()`` does
        (and returns True)."""
        with self._reloading:
            self.index.reload()
            view = pin(self.index, self._view)
            if view is None:
                return False
            self._view = view
            return True

    # ------------------------------------------------------------------ argument checks

    def check_query_ids(self, query_ids: Any, allow_empty: bool) -> bool:
        """Whether ``query_ids`` is a list of token ids infini-gram accepts."""
        if not (type(query_ids) == list and (allow_empty or len(query_ids) > 0)):
            return False
        # The same test as infini-gram's loop, as one pass of builtins.
        if not all(type(q) == int for q in query_ids):
            return False
        return not query_ids or (min(query_ids) >= 0 and max(query_ids) <= self.token_id_max)

    def _ids_error(self, name: str = "input_ids") -> Dict[str, str]:
        return {"error": f"{name} must be a list of integers in range [0, {self.token_id_max}]"}

    def _cont_ok(self, cont_id: Any) -> bool:
        return type(cont_id) == int and 0 <= cont_id and cont_id <= self.token_id_max

    # ------------------------------------------------------------------ counts

    def find(self, input_ids: List[int]) -> Dict[str, Any]:
        """``{'cnt', 'segment_by_shard'}``: the suffix-array range of ``input_ids`` in each
        shard (verbatim's ranks)."""
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        cnt, segments = _native.ig_find(self._view.index, input_ids)
        return {"cnt": cnt, "segment_by_shard": segments}

    def count(self, input_ids: List[int]) -> Dict[str, Any]:
        """``{'count', 'approx'}``: exact occurrences of ``input_ids``."""
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        return {"count": _native.ig_count(self._view.index, input_ids), "approx": False}

    def prob(self, prompt_ids: List[int], cont_id: int) -> Dict[str, Any]:
        """``{'prompt_cnt', 'cont_cnt', 'prob'}``: P(cont | prompt), -1 when the prompt never
        occurs."""
        if not self.check_query_ids(prompt_ids, allow_empty=True):
            return {"error": f"prompt_ids must be a non-empty list of integers in range [0, {self.token_id_max}]"}
        if not self._cont_ok(cont_id):
            return {"error": f"cont_id must be an integer in range [0, {self.token_id_max}]"}
        return self._prob(self._view.index, prompt_ids, cont_id)

    @staticmethod
    def _prob(ix: Index, prompt_ids: List[int], cont_id: int) -> Dict[str, Any]:
        prompt_cnt = _native.ig_count(ix, prompt_ids)
        if prompt_cnt == 0:
            return {"prompt_cnt": 0, "cont_cnt": 0, "prob": -1.0}
        cont_cnt = _native.ig_count(ix, prompt_ids + [cont_id])
        return {"prompt_cnt": prompt_cnt, "cont_cnt": cont_cnt, "prob": cont_cnt / prompt_cnt}

    def ntd(self, prompt_ids: List[int], max_support: Optional[int] = None) -> Dict[str, Any]:
        """``{'prompt_cnt', 'result_by_token_id': {id: {'cont_cnt', 'prob'}}, 'approx'}``:
        the exact next-token distribution (a document end counts as ``eos_token_id``)."""
        if max_support is None:
            max_support = self.max_support
        if not (type(max_support) == int and max_support > 0):
            return {"error": "max_support must be a positive integer"}
        if not self.check_query_ids(prompt_ids, allow_empty=True):
            return self._ids_error("prompt_ids")
        return self._ntd(self._view.index, prompt_ids)

    def _ntd(self, ix: Index, prompt_ids: List[int]) -> Dict[str, Any]:
        prompt_cnt, counts = _native.ig_ntd(ix, prompt_ids, self.eos_token_id)
        if prompt_cnt == 0:
            return {"prompt_cnt": 0, "result_by_token_id": {}, "approx": False}
        result = {t: {"cont_cnt": c, "prob": c / prompt_cnt} for t, c in counts.items()}
        return {"prompt_cnt": prompt_cnt, "result_by_token_id": result, "approx": False}

    @staticmethod
    def _suffix_len(ix: Index, prompt_ids: List[int]) -> int:
        """Length of the longest suffix of ``prompt_ids`` that occurs in ``ix`` (binary
        lifting then binary search, as infini-gram)."""
        n = len(prompt_ids)
        lo, hi = 0, 1
        while True:
            if hi > n:
                hi = n + 1
                break
            if _native.ig_count(ix, prompt_ids[n - hi:]) == 0:
                break
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _native.ig_count(ix, prompt_ids[n - mid:]) == 0:
                hi = mid
            else:
                lo = mid
        return lo

    def infgram_prob(self, prompt_ids: List[int], cont_id: int) -> Dict[str, Any]:
        """``{'prompt_cnt', 'cont_cnt', 'prob', 'suffix_len'}``: P(cont | longest occurring
        suffix of the prompt)."""
        if not self.check_query_ids(prompt_ids, allow_empty=True):
            return {"error": f"prompt_ids must be a non-empty list of integers in range [0, {self.token_id_max}]"}
        if not self._cont_ok(cont_id):
            return {"error": f"cont_id must be an integer in range [0, {self.token_id_max}]"}
        ix = self._view.index  # one generation for every count of this call
        k = self._suffix_len(ix, prompt_ids)
        r = self._prob(ix, prompt_ids[len(prompt_ids) - k:], cont_id)
        r["suffix_len"] = k
        return r

    def infgram_ntd(self, prompt_ids: List[int], max_support: Optional[int] = None) -> Dict[str, Any]:
        """``ntd`` of the longest occurring suffix of the prompt, with its ``suffix_len``."""
        if max_support is None:
            max_support = self.max_support
        if not (type(max_support) == int and max_support > 0):
            return {"error": "max_support must be a positive integer"}
        if not self.check_query_ids(prompt_ids, allow_empty=True):
            return self._ids_error("prompt_ids")
        ix = self._view.index
        k = self._suffix_len(ix, prompt_ids)
        r = self._ntd(ix, prompt_ids[len(prompt_ids) - k:])
        r["suffix_len"] = k
        return r

    # ------------------------------------------------------------------ spans

    def creativity(self, input_ids: List[int]) -> Dict[str, Any]:
        """``{'rs'}``: for each start ``l``, ``l`` + the longest prefix of ``input_ids[l:]``
        that occurs."""
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        return {"rs": _native.ig_creativity(self._view.index, input_ids)}

    def attribute(self, input_ids: List[int], delim_ids: Iterable[int], min_len: int, max_cnt: int,
                  enforce_bow: bool) -> Dict[str, Any]:
        """``{'spans': [{'l', 'r', 'length', 'count', 'unigram_logprob_sum', 'docs': [{'s',
        'ptr'}]}]}``: the maximal spans OLMoTrace traces, each with every occurrence."""
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        if not self.check_query_ids(delim_ids, allow_empty=True):
            return {"error": f"delim_ids must be a list of integers in range [0, {self.token_id_max}]"}
        if not (type(min_len) == int and min_len >= 0):
            return {"error": "min_len must be a non-negative integer"}
        if not (type(max_cnt) == int and max_cnt > 0):
            return {"error": "max_cnt must be a positive integer"}
        if not (type(enforce_bow) == bool):
            return {"error": "enforce_bow must be a boolean"}
        spans = _native.ig_attribute(self._view.index, input_ids, delim_ids, min_len, max_cnt,
                                     enforce_bow, self.bow_ids, self.precompute_unigram_logprobs)
        return {"spans": [
            {"l": l, "r": r, "length": r - l, "count": count, "unigram_logprob_sum": lp,
             "docs": [{"s": s, "ptr": p} for s, p in docs]}
            for l, r, count, lp, docs in spans
        ]}

    # ------------------------------------------------------------------ CNF queries

    def check_cnf(self, cnf: Any) -> bool:
        """Whether ``cnf`` is a non-empty list of non-empty clauses of non-empty token-id
        lists infini-gram accepts."""
        if not (type(cnf) == list and len(cnf) > 0):
            return False
        for clause in cnf:
            if not (type(clause) == list and len(clause) > 0):
                return False
            for term in clause:
                if not self.check_query_ids(term, allow_empty=False):
                    return False
        return True

    def _cnf_error(self, cnf: Any, max_clause_freq: Any, max_diff_tokens: Any) -> Optional[Dict[str, str]]:
        if not (type(max_clause_freq) == int and max_clause_freq > 0):
            return {"error": "max_clause_freq must be a positive integer"}
        if not (type(max_diff_tokens) == int and max_diff_tokens > 0):
            return {"error": "max_diff_tokens must be a positive integer"}
        if not self.check_cnf(cnf):
            return {"error": "cnf must be a non-empty, triply-nested list of integers in range "
                             f"[0, {self.token_id_max}]"}
        return None

    def find_cnf(self, cnf: List[List[List[int]]], max_clause_freq: Optional[int] = None,
                 max_diff_tokens: Optional[int] = None) -> Dict[str, Any]:
        """``{'cnt', 'approx', 'ptrs_by_shard'}``: matches of ``cnf`` (clauses joined by AND,
        terms by OR) whose occurrences lie within ``max_diff_tokens`` tokens in one document,
        clauses above ``max_clause_freq`` occurrences sampled as infini-gram samples them."""
        if max_clause_freq is None:
            max_clause_freq = self.max_clause_freq
        if max_diff_tokens is None:
            max_diff_tokens = self.max_diff_tokens
        err = self._cnf_error(cnf, max_clause_freq, max_diff_tokens)
        if err:
            return err
        cnt, approx, ptrs = _native.ig_find_cnf(self._view.index, cnf, max_clause_freq, max_diff_tokens)
        return {"cnt": cnt, "approx": approx, "ptrs_by_shard": ptrs}

    def count_cnf(self, cnf: List[List[List[int]]], max_clause_freq: Optional[int] = None,
                  max_diff_tokens: Optional[int] = None) -> Dict[str, Any]:
        """``{'count', 'approx'}`` of ``find_cnf``."""
        r = self.find_cnf(cnf, max_clause_freq, max_diff_tokens)
        if "error" in r:
            return r
        return {"count": r["cnt"], "approx": r["approx"]}

    def search_docs_cnf(self, cnf: List[List[List[int]]], maxnum: Optional[int] = None,
                        max_disp_len: Optional[int] = None, max_clause_freq: Optional[int] = None,
                        max_diff_tokens: Optional[int] = None) -> Dict[str, Any]:
        """``{'cnt', 'approx', 'idxs', 'documents'}``: ``maxnum`` matches of ``find_cnf``
        drawn at random (seeded from Python's ``random``), each with its document."""
        if maxnum is None:
            maxnum = self.maxnum
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        if max_clause_freq is None:
            max_clause_freq = self.max_clause_freq
        if max_diff_tokens is None:
            max_diff_tokens = self.max_diff_tokens
        if not (type(maxnum) == int and maxnum > 0):
            return {"error": "maxnum must be a positive integer"}
        err = self._disp_len_error(max_disp_len) or self._cnf_error(cnf, max_clause_freq, max_diff_tokens)
        if err:
            return err
        cnt, approx, idxs, docs = _native.ig_search_docs_cnf(
            self._view.index, cnf, maxnum, max_disp_len, max_clause_freq, max_diff_tokens,
            random.getrandbits(64))
        return {"cnt": cnt, "approx": approx, "idxs": idxs, "documents": docs}

    # ------------------------------------------------------------------ index

    def compute_unigram_counts(self, s: int) -> Dict[int, int]:
        """``{id: occurrences in shard s}`` for every id below ``vocab_size`` and for the
        document separator (one per document), ascending ids, as infini-gram returns them."""
        v = self._view
        err = self._shard_error(v, s)
        if err:
            raise ValueError(err["error"])
        return _native.ig_unigram_counts(v.index, s, self.vocab_size)

    def get_new_shards_by_index_dir(self) -> Any:
        """Not offered: infini-gram returns its C++ shard objects here (to share their memory
        maps with another engine through ``prev_shards_by_index_dir``); verbatim has none."""
        raise NotImplementedError(
            "verbatim.compat.InfiniGramEngine does not offer get_new_shards_by_index_dir: it "
            "returns infini-gram's C++ shard objects, which verbatim does not have (open one "
            "InfiniGramEngine per index; its memory maps are shared by the page cache)")
