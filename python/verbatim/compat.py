"""infini-gram's ``InfiniGramEngine`` over a verbatim index.

An infini-gram 2.6.0 script runs unchanged after one import changes::

    # from infini_gram.engine import InfiniGramEngine
    from verbatim.compat import InfiniGramEngine

    engine = InfiniGramEngine(index_dir="my-verbatim-index", eos_token_id=50279)
    engine.count([5613, 4086, 9068])          # {'count': ..., 'approx': False}

The constructor takes infini-gram's arguments and the methods return infini-gram's dicts
(``{'error': ...}`` for invalid arguments, as infini-gram does). What differs, and why:

- ``index_dir`` is a verbatim index (``verbatim index`` / ``verbatim.build``); several
  directories are not supported (build one index of the whole corpus instead).
- **Ranks** (``find``'s ``segment_by_shard``, ``get_doc_by_rank``, ``search_docs``'s
  ``idxs``) are positions in *verbatim's* suffix array. verbatim orders suffixes by token id,
  infini-gram by little-endian bytes, so the same occurrence has another rank in each engine;
  a range holds the same occurrences, and the documents behind them are the same.
- **Pointers** (``attribute``'s ``docs[].ptr``, ``get_doc_by_ptr``) are byte offsets into the
  shard's token stream, as in infini-gram: both streams put one separator before every
  document, so a corpus indexed in the same order has the same pointers in both. The order of
  ``attribute``'s ``docs`` follows the suffix array, so compare them as sets.
- ``ntd``/``infgram_ntd`` are **exact** at every prompt count (``approx`` is always False):
  verbatim counts each distinct next token with one binary search instead of sampling
  ``max_support`` suffixes, so where infini-gram samples, its counts are estimates of these.
- ``search_docs`` samples occurrences uniformly with Python's ``random`` (infini-gram uses
  its own random device): the documents differ from run to run in both engines.
- ``metadata`` of a document is rebuilt as infini-gram stores it, ``{"path", "linenum",
  "metadata"}``: the path relative to the inputs' common folder and the record's position in
  its file (exact when no record of that file was skipped); ``metadata`` holds the record's
  ``id``, ``source`` and other fields (the text excluded), keys in verbatim's order.
- ``find_cnf``, ``count_cnf`` and ``search_docs_cnf`` (approximate CNF queries) are not
  offered: they raise ``NotImplementedError`` with the reason.
- ``load_to_ram``, the prefetch depths, ``attribution_block_size`` and
  ``prev_shards_by_index_dir`` are accepted and have no effect (verbatim maps the index and
  schedules its own searches).
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import _native
from ._native import Index

__all__ = ["InfiniGramEngine"]

_DTYPE_MAX = {"u8": 2**8 - 1, "u16": 2**16 - 1, "u32": 2**32 - 1}


class InfiniGramEngine:
    """infini-gram 2.6.0's engine interface, answered by a verbatim index."""

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
        if isinstance(index_dir, str):
            index_dir = [index_dir]
        index_dir = list(index_dir)
        assert all(isinstance(d, str) for d in index_dir)
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
        self.eos_token_id = eos_token_id
        self.precompute_unigram_logprobs = precompute_unigram_logprobs

        self.bow_ids: set = set()
        if bow_ids_path is not None:
            with open(bow_ids_path, "r") as f:
                for line in f:
                    self.bow_ids.add(int(line.strip()))

        self.index = Index(index_dir[0])
        shards, width = _native.ig_shards(self.index)
        if _DTYPE_MAX[token_dtype] != 2 ** (8 * width) - 1:
            raise ValueError(
                f"token_dtype {token_dtype!r} does not match the index, which stores "
                f"{8 * width}-bit tokens (use token_dtype='u{8 * width}')"
            )
        self._shards = shards  # [(tokens, documents, first_doc)]
        self._width = width

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
        cnt, segments = _native.ig_find(self.index, input_ids)
        return {"cnt": cnt, "segment_by_shard": segments}

    def count(self, input_ids: List[int]) -> Dict[str, Any]:
        """``{'count', 'approx'}``: exact occurrences of ``input_ids``."""
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        return {"count": _native.ig_count(self.index, input_ids), "approx": False}

    def prob(self, prompt_ids: List[int], cont_id: int) -> Dict[str, Any]:
        """``{'prompt_cnt', 'cont_cnt', 'prob'}``: P(cont | prompt), -1 when the prompt never
        occurs."""
        if not self.check_query_ids(prompt_ids, allow_empty=True):
            return {"error": f"prompt_ids must be a non-empty list of integers in range [0, {self.token_id_max}]"}
        if not self._cont_ok(cont_id):
            return {"error": f"cont_id must be an integer in range [0, {self.token_id_max}]"}
        prompt_cnt = _native.ig_count(self.index, prompt_ids)
        if prompt_cnt == 0:
            return {"prompt_cnt": 0, "cont_cnt": 0, "prob": -1.0}
        cont_cnt = _native.ig_count(self.index, prompt_ids + [cont_id])
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
        return self._ntd(prompt_ids)

    def _ntd(self, prompt_ids: List[int]) -> Dict[str, Any]:
        prompt_cnt, counts = _native.ig_ntd(self.index, prompt_ids, self.eos_token_id)
        if prompt_cnt == 0:
            return {"prompt_cnt": 0, "result_by_token_id": {}, "approx": False}
        result = {t: {"cont_cnt": c, "prob": c / prompt_cnt} for t, c in counts.items()}
        return {"prompt_cnt": prompt_cnt, "result_by_token_id": result, "approx": False}

    def _suffix_len(self, prompt_ids: List[int]) -> int:
        """Length of the longest suffix of ``prompt_ids`` that occurs (binary lifting then
        binary search, as infini-gram)."""
        n = len(prompt_ids)
        lo, hi = 0, 1
        while True:
            if hi > n:
                hi = n + 1
                break
            if _native.ig_count(self.index, prompt_ids[n - hi:]) == 0:
                break
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _native.ig_count(self.index, prompt_ids[n - mid:]) == 0:
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
        k = self._suffix_len(prompt_ids)
        r = self.prob(prompt_ids[len(prompt_ids) - k:], cont_id)
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
        k = self._suffix_len(prompt_ids)
        r = self._ntd(prompt_ids[len(prompt_ids) - k:])
        r["suffix_len"] = k
        return r

    # ------------------------------------------------------------------ documents

    def _doc_result(self, doc_ix: int, doc_len: int, disp_len: int, needle_offset: int,
                    record: Optional[Dict[str, Any]], token_ids: List[int],
                    blocked: bool) -> Dict[str, Any]:
        if blocked:
            # Taken down: answered as infini-gram answers a blocked document, nothing shown.
            return {"doc_ix": doc_ix, "doc_len": doc_len, "disp_len": disp_len,
                    "needle_offset": needle_offset, "metadata": "", "token_ids": [],
                    "blocked": True}
        meta: Dict[str, Any] = {"id": record["id"]}
        if record.get("source") is not None:
            meta["source"] = record["source"]
        meta.update(record.get("metadata") or {})
        origin = _native.ig_doc_origin(self.index, doc_ix)
        path, linenum = origin if origin is not None else ("", doc_ix)
        metadata = json.dumps({"path": path, "linenum": linenum, "metadata": meta}) + "\n"
        return {"doc_ix": doc_ix, "doc_len": doc_len, "disp_len": disp_len,
                "needle_offset": needle_offset, "metadata": metadata, "token_ids": token_ids,
                "blocked": False}

    def _doc_at(self, s: int, pos: int, max_disp_len: int) -> Dict[str, Any]:
        return self._doc_result(*_native.ig_doc_at(self.index, s, pos, max_disp_len))

    def _disp_len_error(self, max_disp_len: Any) -> Optional[Dict[str, str]]:
        if not (type(max_disp_len) == int and max_disp_len > 0):
            return {"error": "max_disp_len must be a positive integer"}
        return None

    def get_doc_by_rank(self, s: int, rank: int, max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """The document holding suffix-array rank ``rank`` of shard ``s`` (verbatim's ranks),
        a window of ``max_disp_len`` tokens around it."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len) or self._rank_error(s, rank)
        if err:
            return err
        return self._doc_at(s, _native.ig_rank_to_pos(self.index, s, rank), max_disp_len)

    def get_docs_by_ranks(self, list_of_s_and_rank: List[Tuple[int, int]], max_disp_len: Optional[int] = None) -> Any:
        """``get_doc_by_rank`` of each ``(s, rank)``."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        for s, rank in list_of_s_and_rank:
            err = self._rank_error(s, rank)
            if err:
                return err
        return [self._doc_at(s, _native.ig_rank_to_pos(self.index, s, r), max_disp_len)
                for s, r in list_of_s_and_rank]

    def _rank_error(self, s: Any, rank: Any) -> Optional[Dict[str, str]]:
        num_shards = len(self._shards)
        if not (type(s) == int and 0 <= s and s < num_shards):
            return {"error": f"s must be an integer in range [0, {num_shards})"}
        tok_cnt = self._shards[s][0]
        if not (type(rank) == int and 0 <= rank and rank < tok_cnt):
            return {"error": f"ptr must be an integer in range [0, {tok_cnt})"}
        return None

    def _ptr_error(self, s: Any, ptr: Any) -> Optional[Dict[str, str]]:
        num_shards = len(self._shards)
        if not (type(s) == int and 0 <= s and s < num_shards):
            return {"error": f"s must be an integer in range [0, {num_shards})"}
        ds_size = self._shards[s][0] * self._width
        if not (type(ptr) == int and 0 <= ptr and ptr < ds_size and ptr % self._width == 0):
            return {"error": f"ptr must be an even integer in range [0, {ds_size})"}
        return None

    def get_doc_by_ptr(self, s: int, ptr: int, max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """The document holding byte offset ``ptr`` of shard ``s``'s token stream."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len) or self._ptr_error(s, ptr)
        if err:
            return err
        return self._doc_at(s, ptr // self._width, max_disp_len)

    def get_docs_by_ptrs(self, list_of_s_and_ptr: List[Tuple[int, int]], max_disp_len: Optional[int] = None) -> Any:
        """``get_doc_by_ptr`` of each ``(s, ptr)``."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        for s, ptr in list_of_s_and_ptr:
            err = self._ptr_error(s, ptr)
            if err:
                return err
        return [self._doc_at(s, p // self._width, max_disp_len) for s, p in list_of_s_and_ptr]

    def get_doc_by_ix(self, doc_ix: int, max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """Document number ``doc_ix`` from its start, at most ``max_disp_len`` tokens."""
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        total = self.get_total_doc_cnt()
        if not (type(doc_ix) == int and 0 <= doc_ix and doc_ix < total):
            return {"error": f"doc_ix must be an integer in range [0, {total})"}
        doc_len, disp_len, record, token_ids, blocked = _native.ig_doc_by_no(
            self.index, doc_ix, max_disp_len)
        return self._doc_result(doc_ix, doc_len, disp_len, 0, record, token_ids, blocked)

    def get_docs_by_ixs(self, list_of_doc_ix: List[int], max_disp_len: Optional[int] = None) -> Any:
        """``get_doc_by_ix`` of each document number."""
        out = []
        for ix in list_of_doc_ix:
            r = self.get_doc_by_ix(ix, max_disp_len)
            if "error" in r:
                return r
            out.append(r)
        return out

    def get_total_doc_cnt(self) -> int:
        """Number of documents."""
        return sum(d for _, d, _ in self._shards)

    def search_docs(self, input_ids: List[int], maxnum: Optional[int] = None,
                    max_disp_len: Optional[int] = None) -> Dict[str, Any]:
        """``{'cnt', 'approx', 'idxs', 'documents'}``: ``maxnum`` occurrences drawn uniformly
        (with replacement) and the documents around them."""
        if maxnum is None:
            maxnum = self.maxnum
        if max_disp_len is None:
            max_disp_len = self.max_disp_len
        if not (type(maxnum) == int and maxnum > 0):
            return {"error": "maxnum must be a positive integer"}
        err = self._disp_len_error(max_disp_len)
        if err:
            return err
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        cnt, segments = _native.ig_find(self.index, input_ids)
        if cnt == 0:
            return {"cnt": 0, "approx": False, "idxs": [], "documents": []}
        idxs, docs = [], []
        for _ in range(maxnum):
            idx = random.randrange(cnt)
            rest = idx
            for s, (start, end) in enumerate(segments):
                if rest < end - start:
                    pos = _native.ig_rank_to_pos(self.index, s, start + rest)
                    docs.append(self._doc_at(s, pos, max_disp_len))
                    break
                rest -= end - start
            idxs.append(idx)
        return {"cnt": cnt, "approx": False, "idxs": idxs, "documents": docs}

    # ------------------------------------------------------------------ spans

    def creativity(self, input_ids: List[int]) -> Dict[str, Any]:
        """``{'rs'}``: for each start ``l``, ``l`` + the longest prefix of ``input_ids[l:]``
        that occurs."""
        if not self.check_query_ids(input_ids, allow_empty=True):
            return self._ids_error()
        return {"rs": _native.ig_creativity(self.index, input_ids)}

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
        spans = _native.ig_attribute(self.index, input_ids, delim_ids, min_len, max_cnt,
                                     enforce_bow, self.bow_ids, self.precompute_unigram_logprobs)
        return {"spans": [
            {"l": l, "r": r, "length": r - l, "count": count, "unigram_logprob_sum": lp,
             "docs": [{"s": s, "ptr": p} for s, p in docs]}
            for l, r, count, lp, docs in spans
        ]}

    # ------------------------------------------------------------------ not offered

    def find_cnf(self, *args: Any, **kwargs: Any) -> Any:
        """Not offered: infini-gram's CNF queries subsample clause occurrences (approximate)."""
        raise NotImplementedError(_CNF)

    def count_cnf(self, *args: Any, **kwargs: Any) -> Any:
        """Not offered: see ``find_cnf``."""
        raise NotImplementedError(_CNF)

    def search_docs_cnf(self, *args: Any, **kwargs: Any) -> Any:
        """Not offered: see ``find_cnf``."""
        raise NotImplementedError(_CNF)


_CNF = ("verbatim.compat does not offer infini-gram's CNF queries (find_cnf, count_cnf, "
        "search_docs_cnf): they subsample clause occurrences; use Index.search for keyword "
        "queries or count the n-grams one by one")
