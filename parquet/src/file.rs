//! One Parquet file: its footer, and its row groups decoded in bounded batches.

use crate::lenient::{binary_strings, restore_strings, Decoded};
use crate::Error;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::basic::PageType;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per batch are never more than this, however small the rows.
const MAX_BATCH_ROWS: usize = 8192;

/// An opened Parquet file: its path and its checked footer. Decoding a row group opens the
/// file again, so several threads can decode row groups of one file at once.
#[derive(Debug, Clone)]
pub struct ParquetFile {
    path: PathBuf,
    bytes: u64,
    /// The footer, as Arrow reads the file: [`ParquetFile::schema`].
    meta: ArrowReaderMetadata,
    /// The footer the row groups are decoded with: top-level string columns read as binary
    /// and checked row by row (see `lenient.rs`).
    decode: ArrowReaderMetadata,
    first_rows: Vec<u64>,
}

impl ParquetFile {
    /// Opens `path` and reads its footer (nothing else).
    pub fn open(path: &Path) -> Result<ParquetFile, Error> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let bytes = file.metadata().map_err(io)?.len();
        let mut magic = [0u8; 4];
        let starts_par1 = bytes >= 4 && file.read_exact(&mut magic).is_ok() && &magic == b"PAR1";
        if !starts_par1 {
            return Err(Error::NotParquet {
                path: path.to_path_buf(),
            });
        }
        let options = ArrowReaderOptions::new()
            .with_skip_arrow_metadata(true)
            .with_encoding_stats_as_mask(false);
        let bad_footer = |e: parquet::errors::ParquetError| Error::BadFooter {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        let meta = ArrowReaderMetadata::load(&file, options.clone()).map_err(bad_footer)?;
        let decode = match binary_strings(meta.metadata()) {
            Some(lenient) => ArrowReaderMetadata::try_new(lenient, options).map_err(bad_footer)?,
            None => meta.clone(),
        };
        let mut first_rows = Vec::with_capacity(meta.metadata().num_row_groups());
        let mut row = 0u64;
        for g in meta.metadata().row_groups() {
            first_rows.push(row);
            row += g.num_rows().max(0) as u64;
        }
        Ok(ParquetFile {
            path: path.to_path_buf(),
            bytes,
            meta,
            decode,
            first_rows,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The columns, as Arrow reads them (one field per top-level Parquet column).
    pub fn schema(&self) -> &SchemaRef {
        self.meta.schema()
    }

    /// Rows in the file.
    pub fn num_rows(&self) -> u64 {
        self.meta.metadata().file_metadata().num_rows().max(0) as u64
    }

    /// Row groups in the file.
    pub fn num_row_groups(&self) -> usize {
        self.first_rows.len()
    }

    /// Rows in row group `g`.
    pub fn group_rows(&self, g: usize) -> u64 {
        self.meta.metadata().row_group(g).num_rows().max(0) as u64
    }

    /// The file-level (0-based) number of the first row of row group `g`.
    pub fn group_first_row(&self, g: usize) -> u64 {
        self.first_rows[g]
    }

    /// Bytes of row group `g` on disk (compressed).
    pub fn group_compressed_bytes(&self, g: usize) -> u64 {
        self.meta.metadata().row_group(g).compressed_size().max(0) as u64
    }

    /// Decoded bytes of the top-level columns `roots` in row group `g`, from the footer: the
    /// plain size of string data where the writer recorded it, else the uncompressed size of
    /// the pages (an underestimate for dictionary-encoded columns whose writer did not record
    /// the former).
    pub fn group_decoded_bytes(&self, g: usize, roots: &[usize]) -> u64 {
        let schema = self.meta.parquet_schema();
        let group = self.meta.metadata().row_group(g);
        group
            .columns()
            .iter()
            .enumerate()
            .filter(|(leaf, _)| roots.contains(&schema.get_column_root_idx(*leaf)))
            .map(|(_, c)| {
                let plain = c.unencoded_byte_array_data_bytes().unwrap_or(0);
                plain.max(c.uncompressed_size()).max(0) as u64
            })
            .sum()
    }

    /// Estimated bytes of the pages that decoding the columns `roots` of row group `g` holds at
    /// once: for each column, the size of one decompressed data page (the column's uncompressed
    /// size over its data pages, as the footer's page statistics count them; the whole column
    /// when the writer recorded none). A reader must hold a whole page: writers that check the
    /// page size only every 1,024 values (pyarrow) write one page per row group when the values
    /// are books.
    pub fn group_page_bytes(&self, g: usize, roots: &[usize]) -> u64 {
        let schema = self.meta.parquet_schema();
        let group = self.meta.metadata().row_group(g);
        group
            .columns()
            .iter()
            .enumerate()
            .filter(|(leaf, _)| roots.contains(&schema.get_column_root_idx(*leaf)))
            .map(|(_, c)| {
                let pages: i64 = c
                    .page_encoding_stats()
                    .map(|stats| {
                        stats
                            .iter()
                            .filter(|s| {
                                matches!(s.page_type, PageType::DATA_PAGE | PageType::DATA_PAGE_V2)
                            })
                            .map(|s| i64::from(s.count))
                            .sum()
                    })
                    .unwrap_or(0);
                (c.uncompressed_size().max(0) / pages.max(1)) as u64
            })
            .sum()
    }

    /// Rows per batch so that one batch of the columns `roots` of row group `g` decodes to
    /// about `target_bytes` (at least 1 row, at most 8,192).
    pub fn batch_rows(&self, g: usize, roots: &[usize], target_bytes: u64) -> usize {
        let rows = self.group_rows(g).max(1);
        let per_row = (self.group_decoded_bytes(g, roots) / rows).max(1);
        (target_bytes / per_row).clamp(1, MAX_BATCH_ROWS as u64) as usize
    }

    /// Decodes the top-level columns `roots` (indices into [`ParquetFile::schema`]) of row
    /// group `g`, `batch_rows` rows at a time. The batches hold the columns in schema order;
    /// a string value that is not UTF-8 is a null named in [`Decoded::invalid_utf8`] rather
    /// than an error that ends the row group.
    pub fn row_group(
        &self,
        g: usize,
        roots: &[usize],
        batch_rows: usize,
    ) -> Result<RowGroupBatches, Error> {
        let bad = |detail: String| Error::RowGroup {
            path: self.path.clone(),
            group: g,
            detail,
        };
        let file = File::open(&self.path).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut sorted = roots.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let strict = Arc::new(
            self.meta
                .schema()
                .project(&sorted)
                .map_err(|e| bad(e.to_string()))?,
        );
        let mask = ProjectionMask::roots(self.decode.parquet_schema(), sorted.iter().copied());
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.decode.clone())
            .with_row_groups(vec![g])
            .with_projection(mask)
            .with_batch_size(batch_rows.max(1))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(RowGroupBatches {
            reader,
            strict,
            path: self.path.clone(),
            group: g,
        })
    }
}

/// The batches of one row group, in row order.
pub struct RowGroupBatches {
    reader: ParquetRecordBatchReader,
    /// The decoded columns as Arrow reads the file (strings as strings).
    strict: SchemaRef,
    path: PathBuf,
    group: usize,
}

impl Iterator for RowGroupBatches {
    type Item = Result<Decoded, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.reader.next().map(|r| {
            r.and_then(|batch| restore_strings(batch, &self.strict))
                .map_err(|e| Error::RowGroup {
                    path: self.path.clone(),
                    group: self.group,
                    detail: e.to_string(),
                })
        })
    }
}
