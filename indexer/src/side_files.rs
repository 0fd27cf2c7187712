//! Index-level files besides the shards: tokenizer copy, external-id map, source sets.

use crate::error::{Context, Result};
use crate::id_map::SortedIds;
use fst::{IntoStreamer, Streamer};
use std::path::Path;
use verbatim_core::format::{FileKind, FileWriter};
use verbatim_core::index::files;
use verbatim_core::sources::SourceSets;

/// Stores the tokenizer file inside the index, so queries always use the same one.
pub fn write_tokenizer(dir: &Path, build_id: u64, json: &[u8]) -> Result<()> {
    FileWriter::write_file(
        &dir.join(files::TOKENIZER),
        FileKind::Tokenizer,
        0,
        build_id,
        json,
        1,
    )?;
    Ok(())
}

/// Writes the id map `path`: external id → global document number, streamed into the file
/// (neither the fst nor the ids are ever held whole in memory). `ids` are this build's new
/// documents in id order (unique by construction); `existing`, for an append, is the index's
/// current map, whose ids the new ones were checked not to repeat.
pub fn write_id_map<D: AsRef<[u8]>>(
    path: &Path,
    build_id: u64,
    mut ids: SortedIds,
    existing: Option<&fst::Map<D>>,
) -> Result<()> {
    let out = FileWriter::create(path, FileKind::IdMap, 0, build_id)?;
    let mut builder = fst::MapBuilder::new(out).context("cannot start the id map")?;
    let mut count = 0u64;
    let mut add = |b: &mut fst::MapBuilder<FileWriter>, k: &[u8], v: u64| -> Result<()> {
        b.insert(k, v).with_context(|| {
            format!(
                "cannot add id {:?} to the id map (ids must be unique)",
                String::from_utf8_lossy(k)
            )
        })?;
        count += 1;
        Ok(())
    };
    match existing {
        None => {
            for item in ids.by_ref() {
                let (id, no) = item?;
                add(&mut builder, &id, no)?;
            }
        }
        Some(old) => {
            // Merge two sorted streams.
            let mut old_stream = old.into_stream();
            let mut new_iter = ids.by_ref().peekable();
            while let Some((k, v)) = old_stream.next() {
                // An error sorts first, so that it is returned at once.
                let before_k = |r: &Result<(Vec<u8>, u64)>| {
                    r.as_ref().map_or(true, |(id, _)| id.as_slice() < k)
                };
                while let Some(item) = new_iter.next_if(before_k) {
                    let (id, no) = item?;
                    add(&mut builder, &id, no)?;
                }
                add(&mut builder, k, v)?;
            }
            for item in new_iter {
                let (id, no) = item?;
                add(&mut builder, &id, no)?;
            }
        }
    }
    ids.finish()?;
    let out = builder.into_inner().context("cannot finish the id map")?;
    out.finish(count)?;
    Ok(())
}

/// Writes the source sets `path`: for each source name, the roaring bitmap of its documents.
pub fn write_sources(path: &Path, build_id: u64, sources: &SourceSets) -> Result<()> {
    FileWriter::write_file(
        path,
        FileKind::Sources,
        0,
        build_id,
        &verbatim_core::sources::encode(sources),
        sources.len() as u64,
    )?;
    Ok(())
}
