//! Documents for `verbatim.compat.InfiniGramEngine`: infini-gram's `DocResult` by rank,
//! pointer and number, the `_2` variants (a needle and context on each side) and
//! `search_docs`, answered by the core's infini-gram engine
//! (`verbatim_core::infini_gram::engine`), the same functions the server's infini-gram API
//! answers with.
//!
//! Each document is a dict of infini-gram's fields. On an infini-gram shard its `metadata`
//! is the `metadata.N` line as stored (`""` for an index built without metadata); on a
//! verbatim shard, infini-gram's `{"path", "linenum", "metadata"}` line written from the
//! stored record by the core ([`verbatim_core::Index::ig_metadata`]), the same line the
//! server's infini-gram API answers with. A taken-down document has `metadata` `""` and no
//! token ids, as infini-gram answers a blocked one.

use crate::errors;
use crate::index::PyIndex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use verbatim_core::infini_gram::engine::{Doc, Rng, SearchDocs};
use verbatim_core::Index;

/// Refuses a shard number the index does not have.
pub(crate) fn check_shard(ix: &Index, s: usize) -> PyResult<()> {
    if s >= ix.shards().len() {
        return Err(errors::invalid(format!("no shard {s}")));
    }
    Ok(())
}

/// Refuses a rank past the end of shard `s`.
fn check_rank(ix: &Index, s: usize, rank: u64) -> PyResult<()> {
    check_shard(ix, s)?;
    if rank >= ix.shards()[s].info().tokens {
        return Err(errors::invalid(format!(
            "rank {rank} is past the end of shard {s}"
        )));
    }
    Ok(())
}

/// Refuses a pointer past the end of shard `s` or between two tokens.
fn check_ptr(ix: &Index, s: usize, ptr: u64) -> PyResult<()> {
    check_shard(ix, s)?;
    let w = ix.manifest().tokenizer.width.bytes() as u64;
    if ptr >= ix.shards()[s].info().tokens * w || !ptr.is_multiple_of(w) {
        return Err(errors::invalid(format!(
            "ptr {ptr} is not a token's byte offset in shard {s}"
        )));
    }
    Ok(())
}

/// A document as infini-gram's `DocResult` dict (see the module documentation).
pub(crate) fn to_dict<'py>(py: Python<'py>, d: Doc) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("doc_ix", d.doc_ix)?;
    out.set_item("doc_len", d.doc_len)?;
    out.set_item("disp_len", d.disp_len)?;
    out.set_item("needle_offset", d.needle_offset)?;
    out.set_item("metadata", d.metadata)?;
    out.set_item("token_ids", PyList::new(py, d.token_ids)?)?;
    out.set_item("blocked", d.blocked)?;
    Ok(out)
}

/// Runs `get` on `ix` (the instance the call checked its arguments against) without the
/// GIL, then converts its document.
fn answer<'py>(
    py: Python<'py>,
    ix: &Index,
    get: impl FnOnce(&Index) -> Doc + Send,
) -> PyResult<Bound<'py, PyDict>> {
    let doc = py.detach(|| get(ix));
    to_dict(py, doc)
}

/// infini-gram's `get_doc_by_rank`: the document at `rank` of shard `s`, `max_disp_len`
/// tokens around it.
#[pyfunction]
pub fn ig_doc_by_rank<'py>(
    py: Python<'py>,
    index: &PyIndex,
    s: usize,
    rank: u64,
    max_disp_len: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let ix = index.current()?;
    check_rank(&ix, s, rank)?;
    answer(py, &ix, |ix| ix.ig_doc_by_rank(s, rank, max_disp_len))
}

/// infini-gram's `get_doc_by_ptr`: the document holding byte `ptr` of shard `s`,
/// `max_disp_len` tokens around it.
#[pyfunction]
pub fn ig_doc_by_ptr<'py>(
    py: Python<'py>,
    index: &PyIndex,
    s: usize,
    ptr: u64,
    max_disp_len: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let ix = index.current()?;
    check_ptr(&ix, s, ptr)?;
    answer(py, &ix, |ix| ix.ig_doc_by_ptr(s, ptr, max_disp_len))
}

/// infini-gram's `get_doc_by_ix` (and `get_doc_by_ix_2`, with `max_ctx_len`): the first
/// `max_disp_len` tokens of document `doc_ix`.
#[pyfunction]
pub fn ig_doc_by_ix<'py>(
    py: Python<'py>,
    index: &PyIndex,
    doc_ix: u64,
    max_disp_len: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let ix = index.current()?;
    if ix.locate(doc_ix).is_none() {
        return Err(errors::invalid(format!("no document {doc_ix}")));
    }
    answer(py, &ix, |ix| {
        ix.ig_doc_by_ix(doc_ix, max_disp_len)
            .expect("located above")
    })
}

/// infini-gram's `get_doc_by_rank_2`: the document at `rank` of shard `s`, up to
/// `max_ctx_len` tokens before it and `needle_len + max_ctx_len` from it.
#[pyfunction]
pub fn ig_doc_by_rank_2<'py>(
    py: Python<'py>,
    index: &PyIndex,
    s: usize,
    rank: u64,
    needle_len: u64,
    max_ctx_len: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let ix = index.current()?;
    check_rank(&ix, s, rank)?;
    answer(py, &ix, |ix| {
        ix.ig_doc_by_rank_2(s, rank, needle_len, max_ctx_len)
    })
}

/// infini-gram's `get_doc_by_ptr_2`: the document holding byte `ptr` of shard `s`, up to
/// `max_ctx_len` tokens before it and `needle_len + max_ctx_len` from it.
#[pyfunction]
pub fn ig_doc_by_ptr_2<'py>(
    py: Python<'py>,
    index: &PyIndex,
    s: usize,
    ptr: u64,
    needle_len: u64,
    max_ctx_len: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let ix = index.current()?;
    check_ptr(&ix, s, ptr)?;
    answer(py, &ix, |ix| {
        ix.ig_doc_by_ptr_2(s, ptr, needle_len, max_ctx_len)
    })
}

/// `(cnt, approx, idxs, documents)` of a `search_docs` answer, its documents as dicts.
pub(crate) type Searched<'py> = (u64, bool, Vec<u64>, Bound<'py, PyList>);

/// Converts a `search_docs` answer.
pub(crate) fn searched<'py>(py: Python<'py>, r: SearchDocs) -> PyResult<Searched<'py>> {
    let SearchDocs {
        cnt,
        approx,
        idxs,
        documents,
    } = r;
    let docs = PyList::empty(py);
    for d in documents {
        docs.append(to_dict(py, d)?)?;
    }
    Ok((cnt, approx, idxs, docs))
}

/// infini-gram's `search_docs`: `maxnum` occurrences of `input_ids` drawn at random (with
/// replacement, from a generator seeded with `seed`), each with its document.
#[pyfunction]
pub fn ig_search_docs<'py>(
    py: Python<'py>,
    index: &PyIndex,
    input_ids: &Bound<'py, PyAny>,
    maxnum: usize,
    max_disp_len: u64,
    seed: u64,
) -> PyResult<Searched<'py>> {
    let ix = index.current()?;
    let ids = super::raw_ids(&ix, input_ids)?;
    let r = py.detach(|| ix.ig_search_docs(&ids, maxnum, max_disp_len, &mut Rng::new(seed)));
    searched(py, r)
}
