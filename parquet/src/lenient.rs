//! String columns decoded without the Parquet reader's UTF-8 check, then checked row by row.
//!
//! Arrow's Parquet reader checks a string column's UTF-8 a batch at a time and fails the whole
//! batch (so the rest of its row group) on one bad value. A corpus with one such row would lose
//! every row after it in the row group. Here a file's top-level string columns are decoded as
//! binary (the reader is given the file's schema with their UTF-8 annotation taken off) and
//! turned back into string columns batch by batch: a batch whose values are all UTF-8 comes out
//! exactly as the reader would have given it, and a value that is not UTF-8 becomes a null
//! named in [`Decoded::invalid_utf8`], so the caller can skip that row alone.
//!
//! Nested strings (inside lists or structs) keep the reader's check.

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::file::metadata::{FileMetaData, ParquetMetaData};
use parquet::schema::types::{SchemaDescriptor, Type};
use std::sync::Arc;

/// A value of a string column that is not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUtf8 {
    /// The row, counted from 0 in its batch.
    pub row: usize,
    /// The column.
    pub column: String,
    /// Where the UTF-8 breaks (the decoder's message).
    pub detail: String,
}

/// One decoded batch of rows: the columns as the file's schema types them, and the string
/// values that were not UTF-8 (null in `batch`).
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The rows.
    pub batch: RecordBatch,
    /// The values that are not UTF-8, in row order; empty for almost every batch.
    pub invalid_utf8: Vec<InvalidUtf8>,
}

impl Decoded {
    /// The first value of row `i` that is not UTF-8, if any (`invalid_utf8` is in row order).
    pub fn invalid_in_row(&self, i: usize) -> Option<&InvalidUtf8> {
        let at = self.invalid_utf8.partition_point(|v| v.row < i);
        self.invalid_utf8.get(at).filter(|v| v.row == i)
    }
}

/// Whether a Parquet column is a byte array that Arrow reads as a UTF-8 string.
fn is_string(t: &Type) -> bool {
    if !t.is_primitive() || t.get_physical_type() != PhysicalType::BYTE_ARRAY {
        return false;
    }
    let info = t.get_basic_info();
    match info.logical_type_ref() {
        Some(LogicalType::String | LogicalType::Json) => true,
        Some(_) => false,
        None => matches!(
            info.converted_type(),
            ConvertedType::UTF8 | ConvertedType::JSON
        ),
    }
}

/// `meta` with the UTF-8 annotation taken off its top-level string columns, so that Arrow
/// reads them as binary; `None` when it has none (or the schema cannot be rebuilt, when the
/// reader's own check stays).
pub(crate) fn binary_strings(meta: &ParquetMetaData) -> Option<Arc<ParquetMetaData>> {
    let file = meta.file_metadata();
    let root = file.schema_descr().root_schema();
    if !root.get_fields().iter().any(|f| is_string(f)) {
        return None;
    }
    let fields = root
        .get_fields()
        .iter()
        .map(|f| {
            if !is_string(f) {
                return Ok(f.clone());
            }
            let info = f.get_basic_info();
            let id = info.has_id().then(|| info.id());
            Type::primitive_type_builder(info.name(), PhysicalType::BYTE_ARRAY)
                .with_repetition(info.repetition())
                .with_id(id)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let rebuilt = Type::group_type_builder(root.name())
        .with_fields(fields)
        .build()
        .ok()?;
    let file_meta = FileMetaData::new(
        file.version(),
        file.num_rows(),
        file.created_by().map(str::to_string),
        file.key_value_metadata().cloned(),
        Arc::new(SchemaDescriptor::new(Arc::new(rebuilt))),
        file.column_orders().cloned(),
    );
    Some(Arc::new(ParquetMetaData::new(
        file_meta,
        meta.row_groups().to_vec(),
    )))
}

/// Turns the binary columns of `batch` that `strict` (the schema of the same columns as
/// Arrow reads the file) types as strings back into strings, each value that is not UTF-8
/// a null named in the result.
pub(crate) fn restore_strings(
    batch: RecordBatch,
    strict: &SchemaRef,
) -> Result<Decoded, arrow_schema::ArrowError> {
    let mut invalid = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    let mut fields: Vec<Field> = Vec::with_capacity(batch.num_columns());
    for (column, field) in batch.columns().iter().zip(strict.fields()) {
        let restore =
            field.data_type() == &DataType::Utf8 && column.data_type() == &DataType::Binary;
        if !restore {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
            continue;
        }
        let binary = column.as_binary::<i32>().clone();
        let strings = match StringArray::try_from_binary(binary) {
            Ok(s) => s,
            Err(_) => checked_row_by_row(column.as_ref(), field.name(), &mut invalid),
        };
        columns.push(Arc::new(strings));
        // A column of required values holds a null where a value was not UTF-8.
        fields.push(field.as_ref().clone().with_nullable(true));
    }
    invalid.sort_by_key(|v| v.row);
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
    Ok(Decoded {
        batch,
        invalid_utf8: invalid,
    })
}

/// The values of a binary column as strings, a null (and an entry in `invalid`) for each
/// value that is not UTF-8.
fn checked_row_by_row(
    column: &dyn Array,
    name: &str,
    invalid: &mut Vec<InvalidUtf8>,
) -> StringArray {
    let binary = column.as_binary::<i32>();
    let mut out = StringBuilder::with_capacity(binary.len(), binary.value_data().len());
    for (row, value) in binary.iter().enumerate() {
        match value.map(std::str::from_utf8) {
            None => out.append_null(),
            Some(Ok(s)) => out.append_value(s),
            Some(Err(e)) => {
                out.append_null();
                invalid.push(InvalidUtf8 {
                    row,
                    column: name.to_string(),
                    detail: e.to_string(),
                });
            }
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::BinaryArray;

    #[test]
    fn valid_columns_come_back_as_they_were_and_bad_values_are_named() {
        let strict: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("text", DataType::Utf8, false),
            Field::new("raw", DataType::Binary, true),
        ]));
        let text = BinaryArray::from(vec![&b"ok"[..], &b"bad \xff"[..], &b"fine"[..]]);
        let raw = BinaryArray::from(vec![&b"\xff"[..], &b"x"[..], &b"y"[..]]);
        let lenient = Arc::new(Schema::new(vec![
            Field::new("text", DataType::Binary, false),
            Field::new("raw", DataType::Binary, true),
        ]));
        let batch = RecordBatch::try_new(lenient, vec![Arc::new(text), Arc::new(raw)]).unwrap();
        let d = restore_strings(batch, &strict).unwrap();
        let s = d.batch.column(0).as_string::<i32>();
        assert_eq!(s.value(0), "ok");
        assert!(s.is_null(1));
        assert_eq!(s.value(2), "fine");
        // A column the file calls binary stays binary, unchecked.
        assert_eq!(d.batch.column(1).data_type(), &DataType::Binary);
        assert_eq!(d.invalid_utf8.len(), 1);
        assert_eq!(d.invalid_in_row(1).unwrap().column, "text");
        assert!(d.invalid_in_row(0).is_none() && d.invalid_in_row(2).is_none());
    }
}
