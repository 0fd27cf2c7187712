//! Reading corpus files into documents: discovery, JSONL (plain, gzip, zstd), Parquet, text
//! folders, and the counted skips of bad input.

mod discover;
mod document;
mod jsonl;
mod ordered;
mod parquet;
mod record;
mod skip_log;
mod skips;
mod text_file;

pub use discover::{discover, discover_files, InputFile, InputKind};
pub use document::{Document, IdOrigin, MAX_ID_BYTES};
pub use jsonl::JsonlReader;
pub use parquet::{ParquetReader, CHUNK_BYTES, DECODE_BUDGET, MAX_GROUP_MEMORY};
pub(crate) use skip_log::check as check_skip_log;
pub use skips::{SkipReason, Skips};
pub use text_file::read_text_file;

use crate::error::Result;

/// Reads `files` in order, handing every good document to `sink` and counting bad input in
/// `skips`; returns each file's sha256. JSONL and text files are read one after the other;
/// each run of consecutive Parquet files is decoded on `threads` threads (see
/// [`ParquetReader`]), its documents still handed on in file and row order. Documents whose id
/// field held no usable id are indexed under a derived id and counted in one warning.
pub fn read_inputs(
    rules: &JsonlReader<'_>,
    files: &[InputFile],
    threads: usize,
    skips: &mut Skips,
    sink: &mut dyn FnMut(Document) -> Result<()>,
) -> Result<Vec<String>> {
    let mut sha = Vec::with_capacity(files.len());
    let mut i = 0;
    while i < files.len() {
        if files[i].kind == InputKind::Parquet {
            let end = files[i..]
                .iter()
                .position(|f| f.kind != InputKind::Parquet)
                .map_or(files.len(), |n| i + n);
            let reader = ParquetReader::new(rules, threads);
            let outcomes = reader.read_files(i, &files[i..end], skips, sink)?;
            sha.extend(outcomes.into_iter().map(|o| o.sha256));
            i = end;
        } else {
            sha.push(rules.read_file(i, &files[i], skips, sink)?.sha256);
            i += 1;
        }
    }
    if let Some(w) = skips.replaced_ids_warning() {
        tracing::warn!("{w}");
    }
    Ok(sha)
}
