//! # verbatim-python
//!
//! The native module `verbatim._native` of the Python package `verbatim` (built with maturin:
//! `pip install ./python`). It wraps the engine crates without adding query logic of its own:
//!
//! - `index::PyIndex` (`verbatim.Index`): counts, spans, traces, documents, keyword search,
//!   n-gram statistics and contamination checks, each releasing the GIL while it runs; a new
//!   generation of the index on disk is opened by an explicit `reload()` (`reload`);
//! - `compat`: the queries `verbatim.compat.InfiniGramEngine` answers with infini-gram's
//!   conventions (suffix-array ranks, byte pointers, end of document as EOS): counts and
//!   spans, documents (`compat::docs`) and CNF queries (`compat::cnf`), through the core's
//!   infini-gram engine where it has the query;
//! - `build`: index builds and input discovery, for `verbatim.build` and the distributed
//!   build of `verbatim.ray`;
//! - `contamination`: reading benchmark items, checking batches on workers and assembling
//!   the CLI's report on a driver.
//!
//! Errors become the exception classes of `verbatim/errors.py` (`errors`) with the CLI's
//! messages. The pure-Python half of the package (the `InfiniGramEngine` class, Ray drivers,
//! the typed stub) is in `python/verbatim/`.

mod build;
mod compat;
mod contamination;
mod convert;
mod errors;
mod index;
mod pool;
mod reload;

use pyo3::prelude::*;

/// The native half of the `verbatim` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<index::PyIndex>()?;
    m.add_function(wrap_pyfunction!(index::bench_in_rust, m)?)?;
    m.add_function(wrap_pyfunction!(build::build_index, m)?)?;
    m.add_function(wrap_pyfunction!(build::discover_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(build::assemble_index, m)?)?;
    m.add_function(wrap_pyfunction!(build::compact_index, m)?)?;
    m.add_function(wrap_pyfunction!(contamination::read_items, m)?)?;
    m.add_function(wrap_pyfunction!(contamination::check_batch, m)?)?;
    m.add_function(wrap_pyfunction!(contamination::assemble_report, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_find, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_count, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_pin, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_shards, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_unigram_counts, m)?)?;
    m.add_function(wrap_pyfunction!(compat::docs::ig_doc_by_rank, m)?)?;
    m.add_function(wrap_pyfunction!(compat::docs::ig_doc_by_ptr, m)?)?;
    m.add_function(wrap_pyfunction!(compat::docs::ig_doc_by_ix, m)?)?;
    m.add_function(wrap_pyfunction!(compat::docs::ig_doc_by_rank_2, m)?)?;
    m.add_function(wrap_pyfunction!(compat::docs::ig_doc_by_ptr_2, m)?)?;
    m.add_function(wrap_pyfunction!(compat::docs::ig_search_docs, m)?)?;
    m.add_function(wrap_pyfunction!(compat::cnf::ig_find_cnf, m)?)?;
    m.add_function(wrap_pyfunction!(compat::cnf::ig_search_docs_cnf, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_ntd, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_creativity, m)?)?;
    m.add_function(wrap_pyfunction!(compat::ig_attribute, m)?)?;
    Ok(())
}
