//! A whole Parquet file as JSON objects, one per row (benchmark items for the contamination
//! checks).

use crate::{json_value, Array, Error, ParquetFile};
use serde_json::{Map, Value};

/// Receives one row as a JSON object and its 0-based row number; an `Err` stops the reading.
pub type RecordSink<'a> = &'a mut dyn FnMut(&Map<String, Value>, u64) -> Result<(), String>;

/// Calls `sink` with every row of `file` as a JSON object and its 0-based row number, row
/// group by row group, in batches of about `target_bytes`. Null values and values of types
/// JSON cannot hold (binary, maps) are left out of the object, so a null field reads like a
/// missing one. A string value that is not UTF-8 stops the reading with an error naming its
/// row and column.
pub fn read_records(
    file: &ParquetFile,
    target_bytes: u64,
    sink: RecordSink<'_>,
) -> Result<(), Error> {
    let roots: Vec<usize> = (0..file.schema().fields().len()).collect();
    let mut row = 0u64;
    for g in 0..file.num_row_groups() {
        let rows = file.batch_rows(g, &roots, target_bytes);
        for decoded in file.row_group(g, &roots, rows)? {
            let decoded = decoded?;
            let batch = &decoded.batch;
            let schema = batch.schema();
            for i in 0..batch.num_rows() {
                if let Some(bad) = decoded.invalid_in_row(i) {
                    return Err(Error::InvalidUtf8 {
                        path: file.path().to_path_buf(),
                        row,
                        column: bad.column.clone(),
                        detail: bad.detail.clone(),
                    });
                }
                let mut rec = Map::new();
                for (field, column) in schema.fields().iter().zip(batch.columns()) {
                    if column.is_null(i) {
                        continue;
                    }
                    if let Some(v) = json_value(column.as_ref(), i) {
                        rec.insert(field.name().clone(), v);
                    }
                }
                sink(&rec, row).map_err(|message| Error::Sink {
                    path: file.path().to_path_buf(),
                    row,
                    message,
                })?;
                row += 1;
            }
        }
    }
    Ok(())
}
