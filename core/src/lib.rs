//! # verbatim-core
//!
//! The on-disk formats and query algorithms shared by the verbatim indexer, server and CLI.
//!
//! An index is a directory: a manifest, the tokenizer it was built with, one or more shards
//! (token stream with a separator before every document, suffix array over token positions,
//! document offsets, document metadata, unigram counts), a map from external document ids to
//! document numbers (`fst`), per-source document sets (`roaring`), a takedown list, and a
//! tantivy full-text index for BM25. See `FORMAT.md` for every byte.
//!
//! Invariants:
//! - every file starts with a [`format::Header`] (magic, version, kind, checksum, build id);
//! - a document never spans two shards, and no query can match across a document boundary,
//!   because the separator id is larger than every vocabulary id;
//! - the server never writes an index; only `verbatim index` and `verbatim takedown` do.
//!
//! ```no_run
//! let index = verbatim_core::Index::open(std::path::Path::new("my-index"))?;
//! let ids = index.tokenizer().encode_ids("It was the best of times")?;
//! println!("{} occurrences", index.count(&ids));
//! # Ok::<(), verbatim_core::Error>(())
//! ```

// Index files hold little-endian integers that are read in place from memory maps.
#[cfg(target_endian = "big")]
compile_error!("verbatim reads its little-endian index files in place: it does not build for a big-endian target");

pub mod api;
pub mod atomic;
pub mod doc_starts;
pub mod error;
pub mod file_stamp;
pub mod format;
pub mod fulltext;
mod fulltext_fuzzy;
mod fulltext_prefix;
pub mod fulltext_query;
pub mod fulltext_words;
pub mod group;
pub mod index;
pub mod infini_gram;
pub mod json_error;
pub mod manifest;
mod mmap;
pub mod normalize;
pub mod pii;
pub mod query;
mod quiet_panic;
pub mod residency;
pub mod search;
pub mod shard;
pub mod sources;
pub mod sysmem;
pub mod takedown;
pub mod token;
pub mod tokenizer;
pub mod verify;
pub mod warm;

pub use error::{Error, Result};

/// The most worker threads any verbatim job starts (an index build, a contamination check):
/// far above any machine's cores, and low enough that a mistyped count cannot start
/// thousands of threads. One value for every crate.
pub const MAX_THREADS: usize = 4096;
pub use index::{DocLocation, Index, OpenOptions};
pub use manifest::Manifest;
pub use residency::Residency;
pub use token::{Token, TokenWidth};
pub use tokenizer::TextTokenizer;
