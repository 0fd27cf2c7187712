//! Index builds from Python: a whole build (`verbatim index`), the corpus files a build reads
//! in order (what a distributed build splits among its tasks), the assembly of part indexes
//! into one, and compaction (`verbatim compact`).

use crate::convert;
use crate::errors;
use pyo3::prelude::*;
use std::path::PathBuf;
use verbatim_core::normalize::Normalization;
use verbatim_indexer::{BuildOptions, InputFormat};

fn input_format(format: &str) -> PyResult<InputFormat> {
    match format {
        "auto" => Ok(InputFormat::Auto),
        "jsonl" => Ok(InputFormat::Jsonl),
        "text" => Ok(InputFormat::Text),
        "parquet" => Ok(InputFormat::Parquet),
        other => Err(errors::invalid(format!(
            "unknown format {other:?}; use auto, jsonl, text or parquet"
        ))),
    }
}

/// The corpus files `inputs` (files or directories, walked recursively) name, in the order a
/// build reads them, as `(path, bytes)`.
#[pyfunction]
#[pyo3(signature = (inputs, *, format = "auto"))]
pub fn discover_inputs(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    format: &str,
) -> PyResult<Vec<(PathBuf, u64)>> {
    let format = input_format(format)?;
    let files = py
        .detach(|| verbatim_indexer::input::discover(&inputs, format))
        .map_err(errors::indexer)?;
    Ok(files.into_iter().map(|f| (f.path, f.bytes)).collect())
}

/// Builds an index of `inputs` into `out`, as `verbatim index` does (atomically: a temporary
/// directory renamed into place at the end), and returns its manifest.
///
/// `tokenizer`: a `tokenizer.json` path or `"bytes"`. `side_indexes`: any of `"words"`,
/// `"alnum"` (contamination checks). `max_memory`: the build's memory budget in bytes
/// (default 60% of the available memory: the machine's, or what a container's memory cgroup
/// leaves). `threads`: 0 for every core. `part`: build part `k` of a distributed build (its
/// files are the `k`-th group of the corpus in build order); `parts`: how many parts it has.
/// `skip_log`: a file to write every skipped document to, one JSON object a line (the
/// manifest's `skipped` counts them by reason).
#[pyfunction]
#[pyo3(signature = (inputs, out, tokenizer, *, name = None, side_indexes = Vec::new(), format = "auto", text_field = "text".to_string(), id_field = "id".to_string(), max_memory = None, shard_max_tokens = None, threads = 0, fulltext = true, force = false, strict = false, part = None, parts = None, skip_log = None))]
#[allow(clippy::too_many_arguments)]
pub fn build_index<'py>(
    py: Python<'py>,
    inputs: Vec<PathBuf>,
    out: PathBuf,
    tokenizer: String,
    name: Option<String>,
    side_indexes: Vec<String>,
    format: &str,
    text_field: String,
    id_field: String,
    max_memory: Option<u64>,
    shard_max_tokens: Option<u64>,
    threads: usize,
    fulltext: bool,
    force: bool,
    strict: bool,
    part: Option<u32>,
    parts: Option<u32>,
    skip_log: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut opts = BuildOptions::new(inputs, out, tokenizer);
    if let Some(n) = name {
        opts.name = n;
    }
    opts.format = input_format(format)?;
    opts.text_field = text_field;
    opts.id_field = id_field;
    opts.max_memory = max_memory;
    if let Some(m) = shard_max_tokens {
        opts.shard_max_tokens = m;
    }
    opts.threads = threads;
    opts.part = part;
    opts.parts = parts;
    opts.fulltext = fulltext;
    opts.force = force;
    opts.strict = strict;
    opts.skip_log = skip_log;
    opts.side_indexes = side_indexes
        .iter()
        .map(|n| {
            Normalization::from_name(n).ok_or_else(|| {
                errors::invalid(format!("unknown side index {n:?}; use words or alnum"))
            })
        })
        .collect::<PyResult<_>>()?;
    let summary = py
        .detach(|| verbatim_indexer::build(&opts))
        .map_err(errors::indexer)?;
    convert::to_py(py, &summary.manifest)
}

/// Assembles complete part indexes (`parts[k]` built with `part=k`) into one index at `out`,
/// as `verbatim assemble` does (atomically; shards hard-linked, not rewritten), and returns
/// its manifest. `remove_parts` deletes the parts once the index is in place.
#[pyfunction]
#[pyo3(signature = (parts, out, *, name = None, force = false, remove_parts = false))]
pub fn assemble_index<'py>(
    py: Python<'py>,
    parts: Vec<PathBuf>,
    out: PathBuf,
    name: Option<String>,
    force: bool,
    remove_parts: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = verbatim_indexer::AssembleOptions {
        out,
        name,
        force,
        remove_parts,
    };
    let summary = py
        .detach(|| verbatim_indexer::assemble(&parts, &opts))
        .map_err(errors::indexer)?;
    convert::to_py(py, &summary.manifest)
}

/// Compacts the index at `index` as `verbatim compact` does: runs of neighbouring shards (an
/// assembled or appended index has many) rebuilt as one shard each, as many as fit
/// `max_memory` bytes (default 60% of the available memory) and `shard_max_tokens`; committed
/// atomically. Returns `{"changed", "shards_before", "shards_after", "manifest"}` for the main
/// index (side indexes are compacted alike).
#[pyfunction]
#[pyo3(signature = (index, *, max_memory = None, shard_max_tokens = None, threads = 0))]
pub fn compact_index<'py>(
    py: Python<'py>,
    index: PathBuf,
    max_memory: Option<u64>,
    shard_max_tokens: Option<u64>,
    threads: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let mut opts = verbatim_indexer::CompactOptions::new(index);
    opts.max_memory = max_memory;
    if let Some(m) = shard_max_tokens {
        opts.shard_max_tokens = m;
    }
    opts.threads = threads;
    let s = py
        .detach(|| verbatim_indexer::compact(&opts))
        .map_err(errors::indexer)?;
    let main = &s.indexes[0];
    convert::to_py(
        py,
        &serde_json::json!({
            "changed": s.changed(),
            "shards_before": main.shards_before,
            "shards_after": main.shards_after,
            "manifest": s.manifest,
        }),
    )
}
