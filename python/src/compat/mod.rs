//! The native half of `verbatim.compat.InfiniGramEngine`: infini-gram 2.6.0's queries over a
//! verbatim index or an infini-gram index opened in place, with infini-gram's conventions.
//!
//! Conventions mapped (see `docs/python.md` for what differs and why):
//! - a **shard** `s` is the index's shard `s`; a **rank** is a position in that shard's own
//!   suffix array (infini-gram's ranks on an infini-gram index; on a verbatim index, which
//!   sorts suffixes by token id instead of little-endian bytes, the same suffix has another
//!   rank, but a rank range holds the same occurrences);
//! - a **ptr** is a byte offset into the shard's token stream: token position x token width,
//!   as in infini-gram's `tokenized.N`;
//! - the end of a document (a separator, or the end of the stream) counts as `eos_token_id` in
//!   next-token distributions, as infini-gram reports it.
//!
//! Counts, spans and next tokens are here; documents in [`docs`], CNF queries in [`cnf`].
//!
//! Every function answers from the instance its `index` queries when it starts; the engine
//! passes an `Index` pinned to one generation ([`ig_pin`]), so that its checks (shard sizes
//! from [`ig_shards`]) and its several queries per call agree.

pub mod cnf;
pub mod docs;

use crate::convert;
use crate::index::PyIndex;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::HashSet;
use verbatim_core::search::SuffixArray;
use verbatim_core::Index;

fn token_limit(ix: &Index) -> u64 {
    1u64 << (8 * ix.manifest().tokenizer.width.bytes())
}

/// Token ids in `0..2^(8 x width)` (infini-gram accepts every value of the token type).
fn raw_ids(ix: &Index, obj: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    convert::ids_of(obj, token_limit(ix), "input_ids")
}

/// `(count, [(start, end) per shard])`: the suffix-array range of `input_ids` in every shard.
#[pyfunction]
pub fn ig_find(
    py: Python<'_>,
    index: &PyIndex,
    input_ids: &Bound<'_, PyAny>,
) -> PyResult<(u64, Vec<(usize, usize)>)> {
    let ix = index.current()?;
    let ids = raw_ids(&ix, input_ids)?;
    let occ = py.detach(|| ix.find(&ids));
    Ok((
        occ.count(),
        occ.ranges.iter().map(|r| (r.start, r.end)).collect(),
    ))
}

/// Occurrences of `input_ids` (any token value of the width, the separator included).
#[pyfunction]
pub fn ig_count(py: Python<'_>, index: &PyIndex, input_ids: &Bound<'_, PyAny>) -> PyResult<u64> {
    let ix = index.current()?;
    let ids = raw_ids(&ix, input_ids)?;
    Ok(py.detach(|| ix.count(&ids)))
}

/// Memory one id of [`ig_unigram_counts`] takes, with room to spare: its Python dict entry
/// with its key and value objects measured 106 bytes (`tracemalloc` over dicts of 1M and 4M
/// int-to-int entries), and its `BTreeMap<u32, u64>` entry is 12 bytes in nodes at least half
/// full (at most about 26, by the layout's arithmetic, not measured).
const UNIGRAM_ENTRY_BYTES: u64 = 160;

/// infini-gram's `compute_unigram_counts(s)`: `{id: occurrences in shard s}` for every id
/// below `vocab_size` and for the separator (one per document), ascending ids.
#[pyfunction]
pub fn ig_unigram_counts<'py>(
    py: Python<'py>,
    index: &PyIndex,
    s: usize,
    vocab_size: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let ix = index.current()?;
    docs::check_shard(&ix, s)?;
    // One entry per id below `vocab_size` (and the separator): refused before allocating
    // what the machine cannot hold, which would abort the interpreter (infini-gram's engine
    // raises MemoryError where its table does not fit).
    let entries = vocab_size.min(u64::from(ix.manifest().tokenizer.width.separator())) + 1;
    let need = entries.saturating_mul(UNIGRAM_ENTRY_BYTES);
    if let Some(available) = verbatim_core::sysmem::available() {
        if need > available {
            return Err(pyo3::exceptions::PyMemoryError::new_err(format!(
                "compute_unigram_counts({s}) would hold {entries} ids (one per id below \
                 vocab_size={vocab_size}), about {} GiB, and {} GiB are available: give the \
                 engine the tokenizer's vocabulary size as vocab_size",
                need >> 30,
                available >> 30
            )));
        }
    }
    let counts = py.detach(|| ix.ig_unigram_counts(s, vocab_size));
    let out = PyDict::new(py);
    for (t, c) in counts {
        out.set_item(t, c)?;
    }
    Ok(out)
}

/// An `Index` pinned to the instance `index` queries now (its `reload()` raises), or `None`
/// when that instance is the one `previous` is pinned to. `InfiniGramEngine` answers every
/// call from one pinned `Index` and reads the shard list from the same one ([`ig_shards`]),
/// so that a reload on another thread cannot mix two generations in one answer; its
/// `reload()` replaces it.
#[pyfunction]
#[pyo3(signature = (index, previous = None))]
pub fn ig_pin(index: &PyIndex, previous: Option<PyRef<'_, PyIndex>>) -> Option<PyIndex> {
    index.pinned(previous.as_deref())
}

/// `[(tokens, documents, first_doc)]` of every shard, and the token width in bytes.
#[pyfunction]
pub fn ig_shards(index: &PyIndex) -> (Vec<(u64, u64, u64)>, u32) {
    let ix = index.instance();
    let m = ix.manifest();
    (
        m.shards
            .iter()
            .map(|s| (s.tokens, s.documents, s.first_doc))
            .collect(),
        m.tokenizer.width.bytes(),
    )
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
    let ix = index.current()?;
    let ids = raw_ids(&ix, prompt_ids)?;
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
    let ix = index.current()?;
    let ids = raw_ids(&ix, input_ids)?;
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
    let ix = index.current()?;
    let ids = raw_ids(&ix, input_ids)?;
    let delims = raw_ids(&ix, delim_ids)?;
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
                    ix.ig_unigram_logprob_sum(&ids[l..r])
                } else {
                    (0..len).fold(0.0, |acc, _| acc - 10000.0)
                };
                out.push((l, r, count, logprob, docs));
            }
            out
        })
    }))
}
