//! The error type of the core library.

use std::path::{Path, PathBuf};

/// Everything that can go wrong opening or querying an index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error (part of the message, not a separate `source`, so that error
        /// chains print it once).
        error: std::io::Error,
    },
    /// A file is damaged or does not belong to this index.
    #[error("{path}: corrupt index file: {detail}. Rebuild the index with `verbatim index`.")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The takedown list cannot be read (damaged, or written for another index). Rebuilding
    /// would not help: a build writes no list, so every taken-down document would be shown.
    #[error("{path}: the takedown list cannot be read: {detail}. Do not rebuild the index elsewhere (a rebuild carries takedowns over only from a readable list; `--force` over this index refuses until then): restore takedown.bin from a backup, or remove it and take the documents down again with `verbatim takedown add`.")]
    BadTakedownList {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The index directory an open index was read from no longer holds it (a rebuild with
    /// `--force` replaced it, or is replacing it), and its takedown list changed: a new list
    /// numbers the new index's documents, so the open instance cannot apply it, and answers
    /// nothing rather than show documents the list may hide.
    #[error("{dir}: the index was replaced while open ({now}; this one is {open:016x}), and the takedown list there now is the new index's: this instance answers nothing until it is closed. A server opens the index it finds there by itself and answers from it once it has opened it (see /health), unless it cannot serve it (another name or tokenizer: restart the server) or there is none (put the index back or rebuild it).")]
    IndexReplaced {
        /// The index directory.
        dir: PathBuf,
        /// The open index's id.
        open: u64,
        /// What the directory holds now.
        now: String,
    },
    /// An optional file of a shard (its suffix samples) is damaged or belongs elsewhere; the
    /// index works without it.
    #[error("{path}: {detail}. The file is optional: delete it and check the rest of the index with `verbatim verify` (queries are then slower, their answers the same), or rebuild the index with `verbatim index`.")]
    BadOptionalFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// An infini-gram index (or the side directory attached to it) that cannot be read as it
    /// is: an unsupported variant, missing or inconsistent files, sizes that do not fit.
    #[error("{path}: cannot serve this infini-gram index: {detail}")]
    InfiniGram {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong, and what to do about it.
        detail: String,
    },
    /// An infini-gram index of a kind verbatim does not read (version 5's reversed documents,
    /// version 6's single-file layout).
    #[error("{path}: cannot serve this infini-gram index: {detail}")]
    InfiniGramVariant {
        /// The file or directory.
        path: PathBuf,
        /// Which kind it is, and what to do about it.
        detail: String,
    },
    /// A file was written by another format version.
    #[error("{path}: index format version {found}, but this verbatim reads versions {oldest} to {newest}. Rebuild the index with this version of `verbatim index`, or open it with the verbatim that built it.")]
    Version {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Oldest version this build reads.
        oldest: u32,
        /// Newest version this build reads (the one it writes).
        newest: u32,
    },
    /// The index was built with another tokenizer than the one requested.
    #[error("tokenizer mismatch: the index was built with tokenizer sha256 {index}, but {given} was given. Use the tokenizer the index was built with, or rebuild the index.")]
    TokenizerMismatch {
        /// sha256 recorded in the index.
        index: String,
        /// sha256 of the given tokenizer.
        given: String,
    },
    /// The tokenizer could not be loaded or run.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The full-text side index failed.
    #[error("full-text index: {0}")]
    FullText(String),
    /// A directory that holds no verbatim index (no manifest), or whose index a killed
    /// rebuild moved aside; the message says which, and what to do.
    #[error("{0}")]
    NotAnIndex(String),
    /// A caller asked for something that does not exist or is not allowed.
    #[error("{0}")]
    Invalid(String),
    /// A trace would read and show more document text than its options allow
    /// ([`crate::query::TraceOptions::max_document_tokens`]).
    #[error("this trace would read {needed} tokens of document text (the context windows of every document occurrence it shows, and full texts when asked for); the limit is {limit}. Ask for fewer documents per span, shorter snippet or long-view contexts, a lower span density, or no full documents.")]
    TraceTooLarge {
        /// Tokens the trace would read.
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// A document was asked for that is not in the index (or was taken down).
    #[error("document not found: {0}")]
    DocumentNotFound(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            error: source,
        }
    }
}

/// Result alias of the core library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
