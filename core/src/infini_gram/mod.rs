//! Serving infini-gram's indexes as they are.
//!
//! An infini-gram (v4) index directory holds, per shard `N`: `tokenized.N` (the token stream:
//! before every document one separator token of all-ones bytes, then its tokens, u8/u16/u32
//! little-endian), `table.N` (the suffix array: one little-endian **byte** offset into
//! `tokenized.N` per token, `ptr_size` bytes each, suffixes ordered by `memcmp` of the
//! stream's bytes), `offset.N` (the byte offset of each document's separator, u64), and
//! optionally `metadata.N` + `metaoff.N` (one JSON line per document and its u64 offset) and
//! `unigram.N` (text, `id count` per line). The token stream is verbatim's layout exactly, so
//! global token positions, document numbers, counts, spans and sampled documents are the same
//! as those of a verbatim index of the same corpus; only the suffix array differs, which
//! [`crate::token::BytewiseU16`] (the order) and [`crate::search::BytePointers`] (the storage)
//! carry into every search.
//!
//! Opening never writes into the directory, maps every file read-only, and copies or converts
//! nothing: [`layout`] finds and pairs the files, [`IgShard`] checks each shard's sizes and
//! offset tables, and what verbatim needs beyond infini-gram's files (tokenizer, id map,
//! unigram counts, the BM25 index) lives in a separate side directory made by
//! `verbatim attach` ([`attachment`]). Without one (a *bare* index), byte indexes use the
//! bytes tokenizer, token indexes answer token-id queries only, and documents are named `#N`.
//!
//! infini-gram's query semantics (its approximate next-token distribution, CNF search,
//! pointers, its HTTP API) are in [`engine`], written over [`crate::Index`] so they answer on
//! verbatim's own indexes too.

pub mod attachment;
pub mod engine;
pub mod layout;
pub mod origin;
pub mod pyjson;
pub mod records;
mod shard;

pub use attachment::Attachment;
pub use layout::{looks_like, scan, Layout, ShardFiles};
pub use records::IdRule;
pub use shard::{count_ids, IgShard, Unigrams};

use crate::error::{Error, Result};
use crate::manifest::{Manifest, ShardInfo, TokenizerInfo};
use crate::token::TokenWidth;
use std::path::{Path, PathBuf};

/// What an index served from infini-gram's files knows about them.
#[derive(Debug, Clone)]
pub struct InfiniGramSource {
    /// The infini-gram index directory.
    pub dir: PathBuf,
    /// The side directory attached to it, if any.
    pub side: Option<PathBuf>,
    /// The id infini-gram's engine reports for a document end.
    pub eos_token_id: u32,
}

/// The side directory `verbatim attach` writes by default for infini-gram index `dir`:
/// a sibling named `DIR.verbatim` (never inside `dir`).
pub fn default_side_dir(dir: &Path) -> PathBuf {
    let dir = dir.components().as_path();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "index".into());
    dir.with_file_name(format!("{name}.verbatim"))
}

/// Refuses index directories named like infini-gram's version-5 (reversed) indexes
/// (`v5_...`), which hold every document backwards: verbatim reads version 4 only.
pub fn refuse_v5_name(dir: &Path) -> Result<()> {
    let name = dir
        .components()
        .as_path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.starts_with("v5_") || name.starts_with("v5-") {
        return Err(Error::InfiniGramVariant {
            path: dir.to_path_buf(),
            detail: "named like an infini-gram version 5 index (documents stored reversed), \
                     which verbatim does not read; if it is a version 4 index, attach it with \
                     `verbatim attach --infini-gram DIR --version 4`"
                .into(),
        });
    }
    Ok(())
}

/// The token width of `layout`, inferred from its file sizes.
pub fn infer_layout_width(layout: &Layout) -> Result<TokenWidth> {
    let sizes = layout
        .shards
        .iter()
        .map(|s| {
            let size = |p: &Path| {
                std::fs::metadata(p)
                    .map(|m| m.len())
                    .map_err(|e| Error::io(p, e))
            };
            Ok((size(&s.tokenized)?, size(&s.table)?))
        })
        .collect::<Result<Vec<_>>>()?;
    // A table that fits no width at all is named as the culprit.
    for ((ds, sa), files) in sizes.iter().zip(&layout.shards) {
        let fits_some = [1u64, 2, 4]
            .iter()
            .any(|&w| *ds > 0 && ds % w == 0 && sa % (ds / w) == 0);
        if !fits_some {
            return Err(Error::InfiniGram {
                path: files.table.clone(),
                detail: format!(
                    "truncated or mismatched: its size {sa} is not a multiple of the token count of {} ({ds} bytes) for u8, u16 or u32 tokens",
                    files.tokenized.display()
                ),
            });
        }
    }
    layout::infer_width(&sizes).ok_or_else(|| Error::InfiniGram {
        path: layout.dir.clone(),
        detail: "cannot tell the token width from the file sizes (tokenized.N and table.N do not \
                 fit infini-gram's pointer width for u8, u16 or u32 tokens); attach it with \
                 `verbatim attach --token-width u8|u16|u32`"
            .into(),
    })
}

/// The number of token ids of a bare index, whose tokenizer is unknown: every id below the
/// separator for u8 and u16 tokens (255 and 65535, as infini-gram's API server takes them, so
/// that an id the corpus lacks counts 0 rather than being refused), and for u32 tokens the
/// largest id in the token streams plus one (read once, in parallel; a table of counts for
/// every 32-bit id would not fit in memory).
pub fn bare_vocab_size(layout: &Layout, width: TokenWidth) -> Result<u32> {
    use rayon::prelude::*;
    match width {
        TokenWidth::U8 => return Ok(255),
        TokenWidth::U16 => return Ok(u32::from(u16::MAX)),
        TokenWidth::U32 => {}
    }
    let sep = width.separator();
    let mut max_id = 0u32;
    for s in &layout.shards {
        let map = crate::mmap::map_file(&s.tokenized)?;
        let w = width.bytes() as usize;
        let m = map
            .par_chunks(w << 20)
            .map(|c| {
                c.chunks_exact(w)
                    .map(|b| match width {
                        TokenWidth::U16 => u16::from_le_bytes([b[0], b[1]]) as u32,
                        _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                    })
                    .filter(|&t| t != sep)
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        max_id = max_id.max(m);
    }
    if max_id >= 1 << 24 {
        return Err(Error::InfiniGram {
            path: layout.dir.clone(),
            detail: format!(
                "token id {max_id} is larger than a bare index supports; attach the index with its tokenizer (`verbatim attach`)"
            ),
        });
    }
    Ok(max_id + 1)
}

/// The shard infos of opened infini-gram shards, numbered consecutively.
pub fn shard_infos(shards: &[IgShard]) -> Vec<ShardInfo> {
    let mut first = 0u64;
    shards
        .iter()
        .map(|s| {
            let info = ShardInfo {
                dir: s
                    .files()
                    .tokenized
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                first_doc: first,
                documents: s.documents() as u64,
                tokens: s.tokens_count() as u64,
                build_id: None,
            };
            first += info.documents;
            info
        })
        .collect()
}

/// A stable id of an infini-gram directory's contents (its files' fingerprints), used as the
/// build id of a bare index (it keys cached answers).
pub fn content_id(layout: &Layout) -> Result<u64> {
    let prints = Attachment::fingerprint(layout)?;
    let json = serde_json::to_vec(&prints).expect("fingerprints serialize");
    Ok(xxhash_rust::xxh3::xxh3_64(&json))
}

/// The in-memory manifest of a bare infini-gram index.
pub fn bare_manifest(
    layout: &Layout,
    width: TokenWidth,
    vocab_size: u32,
    tokenizer_kind: &str,
    shards: &[ShardInfo],
    build_id: u64,
) -> Manifest {
    let name = layout
        .dir
        .components()
        .as_path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "infini-gram".into());
    let created_unix = std::fs::metadata(&layout.shards[0].table)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Manifest {
        build_id: format!("{build_id:016x}"),
        created_unix,
        ..Manifest::assembled(
            name,
            TokenizerInfo {
                kind: tokenizer_kind.into(),
                sha256: tokenizer_kind.into(),
                vocab_size,
                width,
                source_path: None,
            },
            shards.to_vec(),
        )
    }
}
