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
//! Bad input lines are counted and skipped (or fail the build with `strict`).

mod atomic;
mod build;
mod fulltext_writer;
pub mod input;
pub mod options;
mod progress;
pub mod rss;
mod shard_builder;
mod side_files;
mod sizes;
pub mod suffix_array;

pub use build::{build, BuildSummary};
pub use options::{BuildOptions, InputFormat};
