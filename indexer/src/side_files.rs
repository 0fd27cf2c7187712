//! Index-level files besides the shards: tokenizer copy, external-id map, source sets.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;
use verbatim_core::format::{FileKind, FileWriter};
use verbatim_core::index::files;

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

/// Writes `ids.fst`: external id → global document number (ids are unique by construction).
pub fn write_id_map(dir: &Path, build_id: u64, mut ids: Vec<(String, u64)>) -> Result<()> {
    ids.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut builder = fst::MapBuilder::memory();
    for (id, no) in &ids {
        builder
            .insert(id, *no)
            .with_context(|| format!("cannot add id {id:?} to the id map"))?;
    }
    let bytes = builder.into_inner()?;
    FileWriter::write_file(
        &dir.join(files::ID_MAP),
        FileKind::IdMap,
        0,
        build_id,
        &bytes,
        ids.len() as u64,
    )?;
    Ok(())
}

/// Writes `sources.bin`: for each source name, the roaring bitmap of its documents.
///
/// Payload: `u32 count`, then per source `u32 name length, name bytes (UTF-8), u64 bitmap
/// length, bitmap (roaring portable format)`.
pub fn write_sources(
    dir: &Path,
    build_id: u64,
    sources: &BTreeMap<String, roaring::RoaringBitmap>,
) -> Result<()> {
    let mut payload = Vec::new();
    payload.extend_from_slice(&(sources.len() as u32).to_le_bytes());
    for (name, bitmap) in sources {
        payload.extend_from_slice(&(name.len() as u32).to_le_bytes());
        payload.extend_from_slice(name.as_bytes());
        payload.extend_from_slice(&(bitmap.serialized_size() as u64).to_le_bytes());
        bitmap.serialize_into(&mut payload)?;
    }
    FileWriter::write_file(
        &dir.join(files::SOURCES),
        FileKind::Sources,
        0,
        build_id,
        &payload,
        sources.len() as u64,
    )?;
    Ok(())
}
