//! Documents for `verbatim.compat.InfiniGramEngine`: infini-gram's `DocResult` by rank,
//! pointer and number, the `_2` variants (a needle and context on each side) and
//! `search_docs`, answered by the core's infini-gram engine
//! (`verbatim_core::infini_gram::engine`), the same functions the server's infini-gram API
//! answers with.
//!
//! Each document is a dict of infini-gram's fields. On an infini-gram shard its `metadata`
//! is the `metadata.N` line as stored (`""` for an index built without metadata). On a
//! verbatim shard `metadata` is `None` and the dict also holds `record` (the stored record)
//! and `origin` (see [`origin`]), from which the Python layer writes infini-gram's
//! `{"path", "linenum", "metadata"}` line with `json.dumps`. A taken-down document has
//! `metadata` `""` and no token ids, as infini-gram answers a blocked one.

use crate::convert;
use crate::errors;
use crate::index::PyIndex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::Path;
use verbatim_core::infini_gram::engine::{Doc, Rng, SearchDocs};
use verbatim_core::shard::DocRecord;
use verbatim_core::Index;

/// A document and, on a verbatim shard (not taken down), its record and origin.
pub(crate) type Fetched = (Doc, Option<(DocRecord, Option<Origin>)>);

/// An input file (relative to the inputs' common folder) and the document's 0-based line in
/// it (`None` when unknown).
pub(crate) type Origin = (String, Option<u64>);

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

/// Adds the record and origin of a document of a verbatim shard (fetched without the GIL).
pub(crate) fn fetch(ix: &Index, d: Doc) -> verbatim_core::Result<Fetched> {
    let Some(loc) = ix.locate(d.doc_ix) else {
        return Ok((d, None));
    };
    if d.blocked || ix.shards()[loc.shard].infini_gram().is_some() {
        return Ok((d, None));
    }
    let rec = ix.doc_record(loc)?;
    let from = origin(ix, d.doc_ix, &rec.id);
    Ok((d, Some((rec, from))))
}

/// A fetched document as infini-gram's `DocResult` dict (see the module documentation).
pub(crate) fn to_dict<'py>(py: Python<'py>, f: Fetched) -> PyResult<Bound<'py, PyDict>> {
    let (d, verbatim) = f;
    let out = PyDict::new(py);
    out.set_item("doc_ix", d.doc_ix)?;
    out.set_item("doc_len", d.doc_len)?;
    out.set_item("disp_len", d.disp_len)?;
    out.set_item("needle_offset", d.needle_offset)?;
    match verbatim {
        Some((rec, from)) => {
            out.set_item("metadata", py.None())?;
            out.set_item("record", convert::to_py(py, &rec)?)?;
            out.set_item("origin", from)?;
        }
        None => out.set_item("metadata", d.metadata)?,
    }
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
    let fetched = py.detach(|| fetch(ix, get(ix))).map_err(errors::core)?;
    to_dict(py, fetched)
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

/// Fetches the records of `r`'s documents (without the GIL) and converts the answer.
pub(crate) fn searched<'py>(py: Python<'py>, ix: &Index, r: SearchDocs) -> PyResult<Searched<'py>> {
    let SearchDocs {
        cnt,
        approx,
        idxs,
        documents,
    } = r;
    let fetched = py
        .detach(|| {
            documents
                .into_iter()
                .map(|d| fetch(ix, d))
                .collect::<verbatim_core::Result<Vec<_>>>()
        })
        .map_err(errors::core)?;
    let docs = PyList::empty(py);
    for f in fetched {
        docs.append(to_dict(py, f)?)?;
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
    searched(py, &ix, r)
}

/// Where document `doc_no` (external id `id`) came from: its input file, relative to the
/// inputs' common folder, and its 0-based line (for Parquet, row) in that file when the
/// index records it:
///
/// - from its id, when the indexer gave it `FILE:LINE` (`FILE:ROW` for Parquet) because the
///   record had none, and `FILE` is that input file;
/// - otherwise from its place among the file's documents, when the indexer skipped no
///   record of the file (blank lines are passed over without a count, so they would shift
///   it; infini-gram's indexer cannot read such a file);
/// - otherwise unknown (`None`): the records do not store their line.
///
/// `None` altogether when the manifest lists no input file for it (an infini-gram index).
pub fn origin(ix: &Index, doc_no: u64, id: &str) -> Option<Origin> {
    let inputs = &ix.manifest().inputs;
    let paths: Vec<&Path> = inputs.iter().map(|i| Path::new(&i.path)).collect();
    let mut first = 0u64;
    for (i, info) in inputs.iter().enumerate() {
        if doc_no < first + info.documents {
            let path = paths[i];
            let rel = common_folder(&paths)
                .and_then(|c| path.strip_prefix(c).ok().map(Path::to_path_buf))
                .unwrap_or_else(|| path.to_path_buf());
            let local = doc_no - first;
            let line = line_of_id(path, id, local).or((info.skipped == 0).then_some(local));
            return Some((rel.display().to_string(), line));
        }
        first += info.documents;
    }
    None
}

/// The deepest folder holding every path.
fn common_folder(paths: &[&Path]) -> Option<std::path::PathBuf> {
    let mut c = paths.first()?.parent()?.to_path_buf();
    while !paths.iter().all(|p| p.starts_with(&c)) {
        if !c.pop() {
            break;
        }
    }
    Some(c)
}

/// The 0-based line (Parquet: row) an id of the indexer's `FILE:LINE` form names, when
/// `FILE` is the end of `path` and the line can hold the file's document `local` (a
/// document takes at least one line, so an id such as `a.jsonl:2` given to the fifth
/// document of `a.jsonl` is the record's own id, not a place).
fn line_of_id(path: &Path, id: &str, local: u64) -> Option<u64> {
    let (label, n) = id.rsplit_once(':')?;
    if label.is_empty() || !path.ends_with(label) {
        return None;
    }
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = n.parse().ok()?;
    let parquet = path.extension().is_some_and(|e| e == "parquet");
    let line = if parquet { n } else { n.checked_sub(1)? };
    (line >= local).then_some(line)
}
