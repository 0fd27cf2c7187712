//! The native half of `verbatim.compat.InfiniGramEngine`: infini-gram 2.6.0's queries over a
//! verbatim index, with infini-gram's conventions.
//!
//! Conventions mapped (see `docs/python.md` for what differs and why):
//! - a **shard** `s` is verbatim shard `s`; a **rank** is a position in verbatim's suffix array
//!   of that shard (verbatim sorts suffixes by token id, infini-gram by little-endian bytes, so
//!   the same suffix has different ranks in the two engines, but a rank range holds the same
//!   occurrences);
//! - a **ptr** is a byte offset into the shard's token stream: token position x token width,
//!   as in infini-gram's `tokenized.N` (both streams put one separator before each document,
//!   so a corpus indexed in the same order has the same ptrs in both);
//! - the end of a document (a separator, or the end of the stream) counts as `eos_token_id` in
//!   next-token distributions, as infini-gram reports it.

use crate::convert;
use crate::index::PyIndex;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::collections::HashSet;
use verbatim_core::search::SuffixArray;

fn token_limit(index: &PyIndex) -> u64 {
    1u64 << (8 * index.inner.manifest().tokenizer.width.bytes())
}

/// Token ids in `0..2^(8 x width)` (infini-gram accepts every value of the token type).
fn raw_ids(index: &PyIndex, obj: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    convert::ids_of(obj, token_limit(index), "input_ids")
}

/// `(count, [(start, end) per shard])`: the suffix-array range of `input_ids` in every shard.
#[pyfunction]
pub fn ig_find(
    py: Python<'_>,
    index: &PyIndex,
    input_ids: &Bound<'_, PyAny>,
) -> PyResult<(u64, Vec<(usize, usize)>)> {
    let ids = raw_ids(index, input_ids)?;
    let ix = index.current()?;
    let occ = py.detach(|| ix.find(&ids));
    Ok((
        occ.count(),
        occ.ranges.iter().map(|r| (r.start, r.end)).collect(),
    ))
}

/// Occurrences of `input_ids` (any token value of the width, the separator included).
#[pyfunction]
pub fn ig_count(py: Python<'_>, index: &PyIndex, input_ids: &Bound<'_, PyAny>) -> PyResult<u64> {
    let ids = raw_ids(index, input_ids)?;
    let ix = index.current()?;
    Ok(py.detach(|| ix.count(&ids)))
}

/// `[(tokens, documents, first_doc)]` of every shard, and the token width in bytes.
#[pyfunction]
pub fn ig_shards(index: &PyIndex) -> (Vec<(u64, u64, u64)>, u32) {
    let m = index.inner.manifest();
    (
        m.shards
            .iter()
            .map(|s| (s.tokens, s.documents, s.first_doc))
            .collect(),
        m.tokenizer.width.bytes(),
    )
}

/// Token position of suffix-array rank `rank` of shard `s`.
#[pyfunction]
pub fn ig_rank_to_pos(index: &PyIndex, s: usize, rank: usize) -> PyResult<usize> {
    let shard = index
        .inner
        .shards()
        .get(s)
        .ok_or_else(|| crate::errors::invalid(format!("no shard {s}")))?;
    let sa = shard.suffix_array();
    if rank >= sa.len() {
        return Err(crate::errors::invalid(format!(
            "rank {rank} is past the end of shard {s}"
        )));
    }
    Ok(sa.at(rank))
}

/// `(doc_ix, doc_len, disp_len, needle_offset, record, token_ids, blocked)` of `ig_doc_at`.
type DocAt<'py> = (
    u64,
    usize,
    usize,
    usize,
    Bound<'py, PyAny>,
    Bound<'py, PyList>,
    bool,
);

/// A document's record and window ids as Python objects; `None` and no ids when it was taken
/// down (infini-gram's `blocked`: nothing of it is shown).
fn shown<'py>(
    py: Python<'py>,
    blocked: bool,
    rec: verbatim_core::Result<verbatim_core::shard::DocRecord>,
    ids: Vec<u32>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyList>)> {
    if blocked {
        return Ok((py.None().into_bound(py), PyList::empty(py)));
    }
    let rec = rec.map_err(crate::errors::core)?;
    Ok((convert::to_py(py, &rec)?, PyList::new(py, ids)?))
}

/// The document around token position `pos` of shard `s`, as infini-gram's `DocResult`
/// fields: `(doc_ix, doc_len, disp_len, needle_offset, record, token_ids, blocked)`, the window
/// taking `max_disp_len / 2` tokens before the position and `(max_disp_len + 1) / 2` from it,
/// clipped to the document. `pos` on a separator belongs to the document it opens.
#[pyfunction]
pub fn ig_doc_at<'py>(
    py: Python<'py>,
    index: &PyIndex,
    s: usize,
    pos: usize,
    max_disp_len: usize,
) -> PyResult<DocAt<'py>> {
    let ix = index.current()?;
    let shard = ix
        .shards()
        .get(s)
        .ok_or_else(|| crate::errors::invalid(format!("no shard {s}")))?;
    if pos >= shard.tokens().len() {
        return Err(crate::errors::invalid(format!(
            "position {pos} is past the end of shard {s}"
        )));
    }
    let (doc_no, doc_len, start, end, needle, rec, ids) = py.detach(|| {
        // The document whose separator is at or before `pos`.
        let local = shard.doc_at(pos);
        let range = shard.doc_range(local);
        let before = max_disp_len / 2;
        let after = max_disp_len.div_ceil(2);
        let start = pos.saturating_sub(before).max(range.start);
        let end = (pos + after).min(range.end);
        let end = end.max(start);
        let ids = shard.tokens().to_u32(start..end);
        let doc_no = shard.info().first_doc + local as u64;
        // On a separator the window starts after it, and infini-gram's unsigned
        // `(ptr - disp_start) / width` wraps around: reproduced as it is.
        let width = ix.manifest().tokenizer.width.bytes() as u64;
        let needle = ((pos as u64 * width).wrapping_sub(start as u64 * width) / width) as usize;
        (
            doc_no,
            range.len(),
            start,
            end,
            needle,
            shard.doc_record(local),
            ids,
        )
    });
    let blocked = ix.is_taken_down(doc_no);
    let (rec, ids) = shown(py, blocked, rec, ids)?;
    Ok((doc_no, doc_len, end - start, needle, rec, ids, blocked))
}

/// `(doc_len, disp_len, record, token_ids, blocked)` of `ig_doc_by_no`.
type DocByNo<'py> = (usize, usize, Bound<'py, PyAny>, Bound<'py, PyList>, bool);

/// Document `doc_no` from its start, at most `max_disp_len` tokens, as
/// `(doc_len, disp_len, record, token_ids, blocked)`.
#[pyfunction]
pub fn ig_doc_by_no<'py>(
    py: Python<'py>,
    index: &PyIndex,
    doc_no: u64,
    max_disp_len: usize,
) -> PyResult<DocByNo<'py>> {
    let ix = index.current()?;
    let loc = ix
        .locate(doc_no)
        .ok_or_else(|| crate::errors::invalid(format!("no document {doc_no}")))?;
    let (doc_len, rec, ids) = py.detach(|| {
        let shard = &ix.shards()[loc.shard];
        let range = shard.doc_range(loc.local);
        let end = range.start + max_disp_len.min(range.len());
        (
            range.len(),
            ix.doc_record(loc),
            shard.tokens().to_u32(range.start..end),
        )
    });
    let disp_len = ids.len();
    let blocked = ix.is_taken_down(doc_no);
    let (rec, ids) = shown(py, blocked, rec, ids)?;
    Ok((doc_len, disp_len, rec, ids, blocked))
}

/// The input file (path relative to the inputs' common folder) and 0-based record number of
/// document `doc_no`, from the manifest's per-file document counts (exact when the file had
/// no skipped records).
#[pyfunction]
pub fn ig_doc_origin(index: &PyIndex, doc_no: u64) -> Option<(String, u64)> {
    let inputs = &index.inner.manifest().inputs;
    let paths: Vec<&std::path::Path> = inputs
        .iter()
        .map(|i| std::path::Path::new(&i.path))
        .collect();
    let common = paths.first().and_then(|p| p.parent()).map(|first| {
        let mut c = first.to_path_buf();
        while !paths.iter().all(|p| p.starts_with(&c)) {
            if !c.pop() {
                break;
            }
        }
        c
    });
    let mut first = 0u64;
    for (i, info) in inputs.iter().enumerate() {
        if doc_no < first + info.documents {
            let p = paths[i];
            let rel = common
                .as_ref()
                .and_then(|c| p.strip_prefix(c).ok())
                .unwrap_or(p);
            return Some((rel.display().to_string(), doc_no - first));
        }
        first += info.documents;
    }
    None
}

/// Exact next-token distribution in infini-gram's form: `(prompt_cnt, {token: count})`, the
/// end of a document counted as `eos`.
#[pyfunction]
pub fn ig_ntd<'py>(
    py: Python<'py>,
    index: &PyIndex,
    prompt_ids: &Bound<'py, PyAny>,
    eos: u32,
) -> PyResult<(u64, Bound<'py, PyDict>)> {
    let ids = raw_ids(index, prompt_ids)?;
    let ix = index.current()?;
    let d = py.detach(|| ix.next_token_distribution(&ids));
    let mut merged: std::collections::BTreeMap<u32, u64> = d.next.into_iter().collect();
    if d.end_of_document > 0 {
        *merged.entry(eos).or_default() += d.end_of_document;
    }
    let out = PyDict::new(py);
    for (t, c) in merged {
        out.set_item(t, c)?;
    }
    Ok((d.prompt_count, out))
}

/// `rs[l]` = `l` + the longest prefix of `input_ids[l..]` that occurs (infini-gram's
/// `creativity`).
#[pyfunction]
pub fn ig_creativity(
    py: Python<'_>,
    index: &PyIndex,
    input_ids: &Bound<'_, PyAny>,
) -> PyResult<Vec<usize>> {
    let ids = raw_ids(index, input_ids)?;
    let ix = index.current()?;
    let threads = index.threads;
    let lens = py.detach(|| crate::pool::run(threads, || ix.longest_matches(&ids)));
    Ok(lens.into_iter().enumerate().map(|(l, n)| l + n).collect())
}

/// One span of `ig_attribute`: `(l, r, count, unigram_logprob_sum, [(s, ptr)])`.
type AttrSpan = (usize, usize, u64, f64, Vec<(usize, u64)>);

/// infini-gram's `attribute`: maximal spans by OLMoTrace's rules with the given delimiters,
/// beginning-of-word ids (`bow`), `min_len` and `max_cnt`, each with every occurrence as
/// `(shard, ptr)` in suffix-array order; `unigram_logprobs` false gives -10000 per token, as
/// infini-gram does without `precompute_unigram_logprobs`.
#[pyfunction]
#[pyo3(signature = (index, input_ids, delim_ids, min_len, max_cnt, enforce_bow, bow, unigram_logprobs))]
#[allow(clippy::too_many_arguments)]
pub fn ig_attribute(
    py: Python<'_>,
    index: &PyIndex,
    input_ids: &Bound<'_, PyAny>,
    delim_ids: &Bound<'_, PyAny>,
    min_len: usize,
    max_cnt: u64,
    enforce_bow: bool,
    bow: HashSet<u32>,
    unigram_logprobs: bool,
) -> PyResult<Vec<AttrSpan>> {
    let ids = raw_ids(index, input_ids)?;
    let delims = raw_ids(index, delim_ids)?;
    let ix = index.current()?;
    let width = ix.manifest().tokenizer.width.bytes() as u64;
    let threads = index.threads;
    Ok(py.detach(|| {
        crate::pool::run(threads, || {
            let n = ids.len();
            let starts: Vec<usize> = (0..n)
                .filter(|&l| !enforce_bow || bow.contains(&ids[l]))
                .collect();
            let longest = ix.longest_matches_at(&ids, &starts);
            let mut last_r = 0usize;
            let mut out = Vec::new();
            for (&l, &found) in starts.iter().zip(&longest) {
                let q = &ids[l..];
                let mut len = found;
                if let Some(p) = q[..len.saturating_sub(1)]
                    .iter()
                    .position(|t| delims.contains(t))
                {
                    len = p + 1;
                }
                if enforce_bow {
                    while len > 0 && !(len == q.len() || bow.contains(&q[len])) {
                        len -= 1;
                    }
                }
                if len < min_len {
                    continue;
                }
                let r = l + len;
                // Nested in a kept span: dropped whatever its count (infini-gram drops spans
                // over max_cnt first, then nested ones; the result is the same).
                if r <= last_r {
                    continue;
                }
                let occ = ix.find(&ids[l..r]);
                let count = occ.count();
                if count > max_cnt {
                    continue;
                }
                last_r = r;
                let mut docs = Vec::with_capacity(count as usize);
                for (s, range) in occ.ranges.iter().enumerate() {
                    let sa = ix.shards()[s].suffix_array();
                    docs.extend(range.clone().map(|r| (s, sa.at(r) as u64 * width)));
                }
                let logprob = if unigram_logprobs {
                    ix.unigram_logprob_sum(&ids[l..r])
                } else {
                    (0..len).fold(0.0, |acc, _| acc - 10000.0)
                };
                out.push((l, r, count, logprob, docs));
            }
            out
        })
    }))
}
