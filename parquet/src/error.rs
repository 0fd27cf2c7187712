//! The errors of reading a Parquet file: each names the file, and the row group where one is
//! involved.

use std::path::PathBuf;

/// Why a Parquet file (or one of its row groups) could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with Parquet's `PAR1` magic.
    #[error("{}: not a Parquet file (it does not start with the PAR1 magic bytes)", path.display())]
    NotParquet {
        /// The file.
        path: PathBuf,
    },
    /// The file starts like Parquet, but its footer is missing or damaged (usually a file cut
    /// short by an interrupted download or copy).
    #[error("{}: truncated or damaged Parquet file ({detail}); download or copy it again", path.display())]
    BadFooter {
        /// The file.
        path: PathBuf,
        /// The Parquet reader's message.
        detail: String,
    },
    /// A row group could not be decoded (damaged pages, an unsupported codec, ...).
    #[error("{}: row group {group}: {detail}", path.display())]
    RowGroup {
        /// The file.
        path: PathBuf,
        /// The row group (0-based).
        group: usize,
        /// The Parquet reader's message.
        detail: String,
    },
    /// A string column holds a value that is not UTF-8 (see [`crate::read_records`]).
    #[error("{}: row {row}: the {column:?} column holds a value that is not UTF-8 ({detail})", path.display())]
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// The row (0-based, in the file).
        row: u64,
        /// The column.
        column: String,
        /// Where the UTF-8 breaks.
        detail: String,
    },
    /// The caller's record sink failed (see [`crate::read_records`]).
    #[error("{}: row {row}: {message}", path.display())]
    Sink {
        /// The file.
        path: PathBuf,
        /// The row (0-based, in the file).
        row: u64,
        /// What the sink said.
        message: String,
    },
}
