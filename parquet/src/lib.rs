//! # verbatim-parquet
//!
//! Reads Apache Parquet files (as HuggingFace datasets, FineWeb, DCLM, The Stack, pyarrow,
//! polars and Spark write them) row group by row group, as rows of JSON values, for the
//! indexer (`verbatim index`) and the contamination checks (`verbatim contamination`).
//!
//! - [`ParquetFile::open`] reads and checks the footer only; a file that is not Parquet, or
//!   was cut short, is a typed [`Error`] naming the file.
//! - [`ParquetFile::row_group`] decodes one row group in batches of rows sized from the
//!   footer's column sizes ([`ParquetFile::batch_rows`]), so memory stays bounded by the batch,
//!   never the row group or the file. The Parquet reader fetches and decompresses one page at a
//!   time. A top-level string value that is not UTF-8 costs its row alone
//!   ([`Decoded::invalid_utf8`]), not the rest of its row group.
//! - [`json_value`] turns one Arrow value into JSON (scalars, lists, structs, dictionaries);
//!   [`TextColumn`] reads a text column (string, large string, string view, dictionary of
//!   strings, or binary holding UTF-8).
//! - [`read_records`] streams a whole file as JSON objects (the contamination input).
//!
//! The Arrow schema embedded by pyarrow (`ARROW:schema`) is ignored: columns are read with the
//! types the Parquet schema implies, so a dictionary-encoded or `large_string` column reads
//! like any other string column.
//!
//! ```no_run
//! let file = verbatim_parquet::ParquetFile::open(std::path::Path::new("train.parquet"))?;
//! verbatim_parquet::read_records(&file, 8 << 20, &mut |record, row| {
//!     println!("{row}: {}", record.len());
//!     Ok(())
//! })?;
//! # Ok::<(), verbatim_parquet::Error>(())
//! ```

mod error;
mod file;
mod lenient;
mod records;
mod value;

pub use error::Error;
pub use file::{ParquetFile, RowGroupBatches};
pub use lenient::{Decoded, InvalidUtf8};
pub use records::{read_records, RecordSink};
pub use value::{is_scalar, json_value, TextColumn, TextProblem};

/// Re-exported so callers name the same Arrow types as this crate.
pub use arrow_array::{Array, RecordBatch};
/// Re-exported Arrow data types.
pub use arrow_schema::DataType;
