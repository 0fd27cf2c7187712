//! Reading corpus files into documents: discovery, JSONL (plain, gzip, zstd), text folders,
//! and the counted skips of bad input.

mod discover;
mod document;
mod jsonl;
mod skips;
mod text_file;

pub use discover::{discover, InputFile, InputKind};
pub use document::Document;
pub use jsonl::JsonlReader;
pub use skips::{SkipReason, Skips};
pub use text_file::read_text_file;
