//! CNF queries for `verbatim.compat.InfiniGramEngine` (`find_cnf`, `count_cnf`,
//! `search_docs_cnf`): infini-gram's definition with its sampling of frequent clauses,
//! answered by the core (`Index::ig_find_cnf`, `Index::ig_search_docs_cnf`, the functions the
//! server's infini-gram API answers with). The Python layer checks the arguments with
//! infini-gram's messages first.

use super::docs::{searched, Searched};
use crate::index::PyIndex;
use pyo3::prelude::*;
use verbatim_core::infini_gram::engine::Rng;
use verbatim_core::query::{CnfOptions, CnfRules};

/// A CNF query's options from infini-gram's arguments.
fn options(max_clause_freq: u64, max_diff_tokens: u64) -> CnfOptions {
    CnfOptions {
        max_clause_freq,
        max_diff_tokens,
        // infini-gram's engine takes each shard's rarest clause.
        rules: CnfRules::InfiniGram,
    }
}

/// infini-gram's `find_cnf`: `(cnt, approx, ptrs_by_shard)`, the byte pointer of each
/// match's first occurrence per shard (no shards at all when a clause does not occur).
#[pyfunction]
pub fn ig_find_cnf(
    py: Python<'_>,
    index: &PyIndex,
    cnf: Vec<Vec<Vec<u32>>>,
    max_clause_freq: u64,
    max_diff_tokens: u64,
) -> PyResult<(u64, bool, Vec<Vec<u64>>)> {
    let ix = index.current()?;
    let opts = options(max_clause_freq, max_diff_tokens);
    Ok(py.detach(|| ix.ig_find_cnf(&cnf, opts)))
}

/// infini-gram's `search_docs_cnf`: `maxnum` matches drawn at random (from a generator
/// seeded with `seed`), each with its document; `(cnt, approx, idxs, documents)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn ig_search_docs_cnf<'py>(
    py: Python<'py>,
    index: &PyIndex,
    cnf: Vec<Vec<Vec<u32>>>,
    maxnum: usize,
    max_disp_len: u64,
    max_clause_freq: u64,
    max_diff_tokens: u64,
    seed: u64,
) -> PyResult<Searched<'py>> {
    let ix = index.current()?;
    let opts = options(max_clause_freq, max_diff_tokens);
    let r =
        py.detach(|| ix.ig_search_docs_cnf(&cnf, opts, maxnum, max_disp_len, &mut Rng::new(seed)));
    searched(py, r)
}
