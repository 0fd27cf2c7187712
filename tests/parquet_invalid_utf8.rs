//! A Parquet string value that is not UTF-8 costs its row alone. Arrow's reader checks UTF-8
//! a batch at a time, so one bad value used to drop the rest of its row group; the files here
//! are written with Parquet's low-level writer, which stores string columns' bytes unchecked
//! (as some writers do), in dictionary and plain encodings.

use crate::support;
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use verbatim_core::Index;

/// Writes one row group of `(id, text, title)` rows, each a required UTF-8 column, with the
/// bytes given (checked by nobody).
fn write_unchecked(path: &Path, rows: &[(&[u8], &[u8], &[u8])], dictionary: bool) {
    let schema = Arc::new(
        parse_message_type(
            "message doc { required binary id (UTF8); required binary text (UTF8); \
             required binary title (UTF8); }",
        )
        .unwrap(),
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_dictionary_enabled(dictionary)
            .build(),
    );
    let mut w =
        SerializedFileWriter::new(std::fs::File::create(path).unwrap(), schema, props).unwrap();
    let mut group = w.next_row_group().unwrap();
    for column in 0..3 {
        let values: Vec<ByteArray> = rows
            .iter()
            .map(|r| ByteArray::from([r.0, r.1, r.2][column].to_vec()))
            .collect();
        let mut c = group.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(&values, None, None)
            .unwrap();
        c.close().unwrap();
    }
    group.close().unwrap();
    w.close().unwrap();
}

fn ids_and_titles(dir: &Path) -> Vec<(String, String)> {
    let index = Index::open(dir).unwrap();
    (0..index.manifest().documents)
        .map(|n| {
            let rec = index.doc_record(index.locate(n).unwrap()).unwrap();
            let v = serde_json::to_value(&rec).unwrap();
            let title = v["metadata"]["title"].as_str().unwrap_or("").to_string();
            (rec.id, title)
        })
        .collect()
}

#[test]
fn a_string_that_is_not_utf8_skips_its_row_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let rows: [(&[u8], &[u8], &[u8]); 6] = [
        (b"a", b"first good text", b"T a"),
        (b"b", b"bad text \xff here", b"T b"),
        (b"c", b"third good text", b"T c"),
        (b"d\xfe", b"an id that is not UTF-8", b"T d"),
        (b"e", b"a title that is not UTF-8", b"T \xc3"),
        (b"f", b"last good text", b"T f"),
    ];
    for dictionary in [false, true] {
        let input = dir.path().join(format!("in-{dictionary}.parquet"));
        write_unchecked(&input, &rows, dictionary);
        let out = dir.path().join(format!("idx-{dictionary}"));
        let o = Command::new(support::verbatim_bin())
            .args(["index", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(["--tokenizer", "bytes", "--json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stderr}");
        assert_eq!(
            ids_and_titles(&out),
            [("a", "T a"), ("c", "T c"), ("f", "T f")]
                .map(|(i, t)| (i.to_string(), t.to_string()))
                .to_vec()
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // Three rows skipped, and nothing else lost.
        assert_eq!(
            v["manifest"]["skipped"],
            serde_json::json!({"invalid_utf8": 3})
        );
        for needle in [
            "row group 0, row 1: invalid utf8: the \"text\" column holds a value that is not UTF-8",
            "row 3: invalid utf8: the \"id\" column",
            "row 4: invalid utf8: the \"title\" column",
        ] {
            assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
        }
    }
}

#[test]
fn a_benchmark_string_that_is_not_utf8_is_refused_by_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let rows: [(&[u8], &[u8], &[u8]); 2] = [(b"q1", b"fine", b"x"), (b"q2", b"bad \xff", b"y")];
    let bench = dir.path().join("bench.parquet");
    write_unchecked(&bench, &rows, false);
    let corpus = support::write_jsonl(dir.path(), "c.jsonl", &[("d".into(), "fine".into())]);
    let idx = dir.path().join("idx");
    support::build(vec![corpus], &idx, "bytes", None);
    let o = Command::new(support::verbatim_bin())
        .args(["contamination", "--index"])
        .arg(&idx)
        .arg("--input")
        .arg(&bench)
        .args(["--method", "llama2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted: {stderr}");
    assert!(
        stderr.contains("row 1: the \"text\" column holds a value that is not UTF-8"),
        "{stderr}"
    );
}
