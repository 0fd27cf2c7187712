//! Unit tests of the Parquet reader: order under parallel decoding with a tiny window, and the
//! memory limits of a row group.

use super::*;
use crate::input::{discover, InputKind};
use crate::options::InputFormat;
use ::parquet::arrow::ArrowWriter;
use ::parquet::file::properties::WriterProperties;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use std::sync::atomic::AtomicU64;

fn write(path: &std::path::Path, texts: Vec<String>, rows_per_group: usize) {
    let batch =
        RecordBatch::try_from_iter([("text", Arc::new(StringArray::from(texts)) as ArrayRef)])
            .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn rules() -> JsonlReader<'static> {
    JsonlReader {
        text_field: "text",
        id_field: "id",
        max_document_bytes: 1 << 20,
        strict: false,
        progress: Arc::new(AtomicU64::new(0)),
    }
}

fn read(reader: &ParquetReader<'_>, dir: &std::path::Path) -> (Vec<Document>, Skips) {
    let files = discover(&[dir.to_path_buf()], InputFormat::Auto).unwrap();
    assert!(files.iter().all(|f| f.kind == InputKind::Parquet));
    let mut skips = Skips::default();
    let mut docs = Vec::new();
    let out = reader
        .read_files(0, &files, &mut skips, &mut |d| {
            docs.push(d);
            Ok(())
        })
        .unwrap();
    assert!(out.iter().all(|o| o.sha256.len() == 64));
    (docs, skips)
}

#[test]
fn rows_come_in_file_and_row_order_whatever_the_threads_and_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    for f in 0..4 {
        let texts: Vec<String> = (0..37)
            .map(|i| format!("file {f} row {i} {}", "x".repeat((i * 31 + f * 7) % 200)))
            .collect();
        want.extend(texts.iter().cloned());
        write(&dir.path().join(format!("part-{f}.parquet")), texts, 5 + f);
    }
    let rules = rules();
    for threads in [1, 2, 5] {
        let mut reader = ParquetReader::new(&rules, threads);
        reader.window_bytes = 100; // smaller than most chunks: the head always proceeds
        let (docs, skips) = read(&reader, dir.path());
        let got: Vec<String> = docs.into_iter().map(|d| d.text).collect();
        assert_eq!(got, want, "threads {threads}");
        assert_eq!(skips.total(), 0);
    }
}

#[test]
fn a_row_group_needing_more_memory_than_allowed_is_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    // One row group, one page of about 500 KB (the writer checks the page size every 1,024
    // values).
    let texts: Vec<String> = (0..50)
        .map(|i| format!("{i} {}", "y".repeat(10_000)))
        .collect();
    write(&dir.path().join("big-pages.parquet"), texts, 1000);
    let rules = rules();
    let mut reader = ParquetReader::new(&rules, 2);
    let (docs, _) = read(&reader, dir.path());
    assert_eq!(docs.len(), 50);
    reader.max_group_memory = 4 << 20;
    let (docs, skips) = read(&reader, dir.path());
    assert!(docs.is_empty());
    assert_eq!(skips.by_reason()["row_group_too_large"], 50);
    let msg = &skips.examples()[0];
    assert!(
        msg.contains("big-pages.parquet: row group 0 (rows 0..50): row group too large"),
        "{msg}"
    );
}

#[test]
fn partition_folders_have_their_escapes_decoded() {
    assert_eq!(unescape(b"en%2Fus"), "en/us");
    assert_eq!(unescape(b"a%20b"), "a b");
    assert_eq!(unescape(b"x%3Dy%25z"), "x=y%z");
    assert_eq!(unescape(b"caf%C3%A9"), "caf\u{e9}");
    // Not an escape: left as written.
    assert_eq!(unescape(b"100%"), "100%");
    assert_eq!(unescape(b"%zz"), "%zz");
    // Not UTF-8 once decoded: the bytes are written back escaped, never replaced by U+FFFD.
    assert_eq!(unescape(b"%FF"), "%FF");
    assert_eq!(unescape(&[b'a', 0xFF]), "a%FF");
    assert_ne!(unescape(&[0xFE]), unescape(&[0xFF]));
}

/// An id that is null, an empty string, a boolean or longer than `MAX_ID_BYTES` is replaced
/// by `FILE:ROW` and counted (it was replaced silently); a number keeps its value.
#[test]
fn unusable_ids_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let texts = StringArray::from(vec!["a", "b", "c", "d", "e"]);
    let too_long = "z".repeat(crate::input::document::MAX_ID_BYTES + 1);
    let ids = StringArray::from(vec![Some("x"), None, Some(""), Some("y"), Some(&too_long)]);
    let flags = arrow_array::BooleanArray::from(vec![true, false, true, false, true]);
    for (name, id) in [
        ("s.parquet", Arc::new(ids) as ArrayRef),
        ("b.parquet", Arc::new(flags)),
    ] {
        let batch =
            RecordBatch::try_from_iter([("text", Arc::new(texts.clone()) as ArrayRef), ("id", id)])
                .unwrap();
        let f = std::fs::File::create(dir.path().join(name)).unwrap();
        let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
    let rules = rules();
    let (docs, skips) = read(&ParquetReader::new(&rules, 2), dir.path());
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "b.parquet:0",
            "b.parquet:1",
            "b.parquet:2",
            "b.parquet:3",
            "b.parquet:4",
            "x",
            "s.parquet:1",
            "s.parquet:2",
            "y",
            "s.parquet:4"
        ]
    );
    assert_eq!(skips.replaced_ids(), 8);
    let w = skips.replaced_ids_warning().unwrap();
    assert!(
        w.contains("b.parquet: row group 0, row 0: the id column \"id\" holds true"),
        "{w}"
    );
}
