//! # verbatim-indexer
//!
//! Builds a verbatim index from a corpus: Dolma-style JSONL (`.jsonl`, `.jsonl.gz`,
//! `.jsonl.zst`), Parquet (one document per row) or folders of plain-text files, tokenized in parallel with a HuggingFace
//! `tokenizer.json` (or as raw bytes), into shards holding a token stream and its suffix array
//! (libsais), document tables and unigram counts, plus an external-id map (`fst`), per-source
//! document sets (`roaring`) and a tantivy full-text index.
//!
//! The build is atomic: it writes into a temporary directory beside `--out` and renames it
//! into place only at the very end; an interrupted build leaves nothing that opens as an index.
//! Its memory stays under a budget (`--max-memory`): the corpus is cut into as many shards as
//! the budget needs. An append (`--append`) adds documents as new shards of an existing index,
//! with the rename of its manifest as the only commit point.
//! Bad input lines are counted and skipped (or fail the build with `strict`).

mod append;
mod assemble;
mod atomic;
pub mod attach;
mod build;
mod chunked;
mod compact;
pub mod error;
mod fulltext_writer;
mod id_map;
mod id_merge;
mod id_runs;
mod id_table;
pub mod input;
mod lock;
pub mod memory;
pub mod options;
mod pipeline;
mod placement;
mod progress;
pub mod rss;
mod shard_builder;
mod side_files;
mod sizes;
pub mod suffix_array;
pub mod takedowns;

pub use assemble::{assemble, AssembleOptions};
pub use attach::{attach, AttachOptions, AttachSummary};
pub use build::{build, BuildSummary};
pub use compact::{compact, CompactOptions, CompactSummary, CompactedIndex};
pub use error::{Error, Result};
pub use options::{BuildOptions, InputFormat};
pub use takedowns::CarriedTakedowns;
