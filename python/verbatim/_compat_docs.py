"""The document methods of ``verbatim.compat.InfiniGramEngine`` (``get_doc_by_*``,
``get_docs_by_*``, their ``_2`` variants, ``search_docs``): infini-gram 2.6.0's argument
checks and messages, answered by the core's infini-gram engine through ``_native``.

A document's ``metadata`` is infini-gram's ``metadata.N`` line as stored on an infini-gram
index; on a verbatim index the core writes it from the stored record, as infini-gram's indexer
writes it with ``json.dumps`` (the same line the server's infini-gram API answers with).

Each method reads the engine's ``View`` once and both checks its arguments against that view's
shards and fetches from that view's pinned ``Index``, so that a ``reload()`` on another thread
never pairs one generation's shard sizes with another's documents.
"""

from __future__ import annotations

import random
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from . import _native

_Doc = Dict[str, Any]


class View(NamedTuple):
    """One generation of the index, as an ``InfiniGramEngine`` answers from it: an ``Index``
    pinned to it (it never reloads), what the shard checks need of it, read from that same
    instance, and its generation. The engine replaces the whole view at once on ``reload()``;
    a call reads it once."""

    index: Any
    generation: int
    shards: List[Tuple[int, int, int]]  # (tokens, documents, first_doc) of each shard
    width: int  # bytes per token
    documents: int


def pin(index: Any, previous: Optional[View] = None) -> Optional[View]:
    """A view of the instance ``index`` queries now, or ``None`` when that instance is the
    one ``previous`` views."""
    pinned = _native.ig_pin(index, None if previous is None else previous.index)
    if pinned is None:
        return None
    shards, width = _native.ig_shards(pinned)
    return View(pinned, pinned.generation, shards, width, sum(d for _, d, _ in shards))


class Documents:
    """infini-gram's document methods; mixed into ``InfiniGramEngine``, which sets ``_view``
    (the ``View`` it answers from), ``maxnum``, ``max_disp_len`` and the id checks."""

    _view: View
    maxnum: int
    max_disp_len: int

    # ------------------------------------------------------------------ argument checks

    def _disp_len_error(self, max_disp_len: Any) -> Optional[Dict[str, str]]:
        if not (type(max_disp_len) == int and max_disp_len > 0):
            return {"error": "max_disp_len must be a positive integer"}
        return None

    @staticmethod
    def _needle_ctx_error(needle_len: Any, max_ctx_len: Any) -> Optional[Dict[str, str]]:
        # None too (it raised TypeError past this check; infini-gram answers this error).
        if not (type(needle_len) == int and needle_len >= 0):
            return {"error": "needle_len must be a non-negative integer"}
        return Documents._ctx_error(max_ctx_len)

    @staticmethod
    def _ctx_error(max_ctx_len: Any) -> Optional[Dict[str, str]]:
        if not (type(max_ctx_len) == int and max_ctx_len >= 0):
            return {"error": "max_ctx_len must be a non-negative integer"}
        return None

    def _shard_error(self, v: View, s: Any) -> Optional[Dict[str, str]]:
        num_shards = len(v.shards)
        if not (type(s) == int and 0 <= s and s < num_shards):
            return {"error": f"s must be an integer in range [0, {num_shards})"}
        return None

    def _rank_error(self, v: View, s: Any, rank: Any) -> Optional[Dict[str, str]]:
        err = self._shard_error(v, s)
        if err:
            return err
        tok_cnt = v.shards[s][0]
        if not (type(rank) == int and 0 <= rank and rank < tok_cnt):
            return {"error": f"ptr must be an integer in range [0, {tok_cnt})"}
        return None

    def _ptr_error(self, v: View, s: Any, ptr: Any) -> Optional[Dict[str, str]]:
        err = self._shard_error(v, s)
        if err:
            return err
        ds_size = v.shards[s][0] * v.width
        if not (type(ptr) == int and 0 <= ptr and ptr < ds_size and ptr % v.width == 0):
            # infini-gram's words on its 2-byte tokens; a token's width in bytes otherwise.
            kind = {1: "an integer", 2: "an even integer"}.get(v.width, f"a multiple of {v.width}")
            return {"error": f"ptr must be {kind} in range [0, {ds_size})"}
        return None

    @staticmethod
    def _ix_error(v: View, doc_ix: Any) -> Optional[Dict[str, str]]:
        total = v.documents
        if not (type(doc_ix) == int and 0 <= doc_ix and doc_ix < total):
            return {"error": f"doc_ix must be an integer in range [0, {total})"}
        return None

    # ------------------------------------------------------------------ documents

    def get_total_doc_cnt(self) -> int:
        """Number of documents."""
        return self._view.documents

    def _batch(self, requests: List[Tuple[int, ...]], check: Any, fetch: Any) -> Any:
        """infini-gram's batch calls: the first request's error if any is wrong (nothing
        fetched), else each request's answer. A request of the wrong shape raises what
        infini-gram's unpacking of it raises."""
        arity = check.__code__.co_argcount
        requests = [_unpack(r, arity) for r in requests]
        for r in requests:
            err = check(*r)
            if err:
                return err
        return [fetch(*r) for r in requests]

    def get_doc_by_rank(self, s: int, rank: int, max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """The document holding suffix-array rank ``rank`` of shard ``s`` (the index's own
        ranks), a window of ``max_disp_len`` tokens around it."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        v = self._view
        err = self._disp_len_error(max_disp_len) or self._rank_error(v, s, rank)
        if err:
            return err
        return _native.ig_doc_by_rank(v.index, s, rank, max_disp_len)

    def get_docs_by_ranks(self, list_of_s_and_rank: List[Tuple[int, int]],
                          max_disp_len: Optional[int] = None) -> Any:
        """``get_doc_by_rank`` of each ``(s, rank)``."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        v = self._view
        return self._batch(
            list_of_s_and_rank,
            lambda s, r: self._rank_error(v, s, r),
            lambda s, r: _native.ig_doc_by_rank(v.index, s, r, max_disp_len))

    def get_doc_by_ptr(self, s: int, ptr: int, max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """The document holding byte offset ``ptr`` of shard ``s``'s token stream, a window of
        ``max_disp_len`` tokens around it."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        v = self._view
        err = self._disp_len_error(max_disp_len) or self._ptr_error(v, s, ptr)
        if err:
            return err
        return _native.ig_doc_by_ptr(v.index, s, ptr, max_disp_len)

    def get_docs_by_ptrs(self, list_of_s_and_ptr: List[Tuple[int, int]],
                         max_disp_len: Optional[int] = None) -> Any:
        """``get_doc_by_ptr`` of each ``(s, ptr)``."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        v = self._view
        return self._batch(
            list_of_s_and_ptr,
            lambda s, p: self._ptr_error(v, s, p),
            lambda s, p: _native.ig_doc_by_ptr(v.index, s, p, max_disp_len))

    def get_doc_by_ix(self, doc_ix: int, max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """Document number ``doc_ix`` from its start, at most ``max_disp_len`` tokens."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        v = self._view
        err = self._disp_len_error(max_disp_len) or self._ix_error(v, doc_ix)
        if err:
            return err
        return _native.ig_doc_by_ix(v.index, doc_ix, max_disp_len)

    def get_docs_by_ixs(self, list_of_doc_ix: List[int], max_disp_len: Optional[int] = None) -> Any:
        """``get_doc_by_ix`` of each document number."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        v = self._view
        return self._batch(
            [(ix,) for ix in list_of_doc_ix],
            lambda ix: self._ix_error(v, ix),
            lambda ix: _native.ig_doc_by_ix(v.index, ix, max_disp_len))

    # ------------------------------------------------------------------ needle + context

    def get_doc_by_rank_2(self, s: int, rank: int, needle_len: int, max_ctx_len: int) -> Dict[str, Any]:
        """The document holding rank ``rank`` of shard ``s``: a needle of ``needle_len``
        tokens there with up to ``max_ctx_len`` tokens of context on each side."""
        v = self._view
        err = self._needle_ctx_error(needle_len, max_ctx_len) or self._rank_error(v, s, rank)
        if err:
            return err
        return _native.ig_doc_by_rank_2(v.index, s, rank, needle_len, max_ctx_len)

    def get_docs_by_ranks_2(self, requests: List[Tuple[int, int, int, int]]) -> Any:
        """``get_doc_by_rank_2`` of each ``(s, rank, needle_len, max_ctx_len)``."""
        v = self._view
        return self._batch(
            requests,
            lambda s, r, n, c: self._needle_ctx_error(n, c) or self._rank_error(v, s, r),
            lambda s, r, n, c: _native.ig_doc_by_rank_2(v.index, s, r, n, c))

    def get_doc_by_ptr_2(self, s: int, ptr: int, needle_len: int, max_ctx_len: int) -> Dict[str, Any]:
        """The document holding byte offset ``ptr`` of shard ``s``: a needle of
        ``needle_len`` tokens there with up to ``max_ctx_len`` tokens of context on each
        side."""
        v = self._view
        err = self._needle_ctx_error(needle_len, max_ctx_len) or self._ptr_error(v, s, ptr)
        if err:
            return err
        return _native.ig_doc_by_ptr_2(v.index, s, ptr, needle_len, max_ctx_len)

    def get_docs_by_ptrs_2(self, requests: List[Tuple[int, int, int, int]]) -> Any:
        """``get_doc_by_ptr_2`` of each ``(s, ptr, needle_len, max_ctx_len)``."""
        v = self._view
        return self._batch(
            requests,
            lambda s, p, n, c: self._needle_ctx_error(n, c) or self._ptr_error(v, s, p),
            lambda s, p, n, c: _native.ig_doc_by_ptr_2(v.index, s, p, n, c))

    def get_doc_by_ix_2(self, doc_ix: int, max_ctx_len: int) -> Dict[str, Any]:
        """Document number ``doc_ix`` from its start, at most ``max_ctx_len`` tokens."""
        v = self._view
        err = self._ctx_error(max_ctx_len) or self._ix_error(v, doc_ix)
        if err:
            return err
        return _native.ig_doc_by_ix(v.index, doc_ix, max_ctx_len)

    def get_docs_by_ixs_2(self, requests: List[Tuple[int, int]]) -> Any:
        """``get_doc_by_ix_2`` of each ``(doc_ix, max_ctx_len)``."""
        v = self._view
        return self._batch(
            requests,
            lambda ix, c: self._ctx_error(c) or self._ix_error(v, ix),
            lambda ix, c: _native.ig_doc_by_ix(v.index, ix, c))

    # ------------------------------------------------------------------ search

    def search_docs(self, input_ids: List[int], maxnum: Optional[int] = None,
                    max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """``{'cnt', 'approx', 'idxs', 'documents'}``: ``maxnum`` occurrences drawn uniformly
        (with replacement; seeded from Python's ``random``) and the documents around them."""
        if maxnum is None:
            maxnum = self.maxnum
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        if not (type(maxnum) == int and maxnum > 0):
            return {"error": "maxnum must be a positive integer"}
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        if not self.check_query_ids(input_ids, allow_empty=True):  # type: ignore[attr-defined]
            return self._ids_error()  # type: ignore[attr-defined]
        cnt, approx, idxs, docs = _native.ig_search_docs(
            self._view.index, input_ids, maxnum, max_disp_len, random.getrandbits(64))
        return {"cnt": cnt, "approx": approx, "idxs": idxs, "documents": [d for d in docs]}


def _unpack(request: Any, arity: int) -> Tuple[Any, ...]:
    """``request`` as a tuple of ``arity`` values, or the error Python's unpacking of it into
    that many names raises (infini-gram unpacks its batch requests in a ``for``)."""
    try:
        values = tuple(request)
    except TypeError:
        raise TypeError(f"cannot unpack non-iterable {type(request).__name__} object") from None
    if len(values) < arity:
        raise ValueError(f"not enough values to unpack (expected {arity}, got {len(values)})")
    if len(values) > arity:
        raise ValueError(f"too many values to unpack (expected {arity})")
    return values
