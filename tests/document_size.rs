//! Documents are measured by their text, not by how their input spells it: a JSONL line may
//! escape its text to several times its bytes, and carry metadata besides; a document over
//! `--max-document-bytes` is a counted skip, or fatal with `--strict`.

use crate::bad_input::{index_bytes, index_bytes_ok};
use std::io::Write;

/// A document under `--max-document-bytes` is read however JSON escapes its text, and with
/// its metadata (emoji escaped as Python writes them were skipped as too large: the line cap
/// was twice the text cap); one over it is skipped.
#[test]
fn escaped_text_under_the_cap_is_read_and_text_over_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escaped.jsonl");
    let emoji = "\\ud83d\\ude00".repeat(22_200); // 88,800 bytes of text in 266,400
    let over = "x".repeat(100_001);
    let meta = "m".repeat(700_000);
    std::fs::write(
        &path,
        format!(
            "{{\"id\": \"emoji\", \"text\": \"{emoji}\"}}\n{{\"id\": \"meta\", \"text\": \"short\", \"note\": \"{meta}\"}}\n{{\"id\": \"over\", \"text\": \"{over}\"}}\n"
        ),
    )
    .unwrap();
    let o = index_bytes_ok(
        &path,
        &dir.path().join("idx"),
        &["--json", "--no-fulltext", "--max-document-bytes", "100000"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["manifest"]["documents"], 2, "{v}");
    assert_eq!(v["manifest"]["skipped"]["document_too_large"], 1, "{v}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("escaped.jsonl:3"));
}

#[test]
fn a_100_mb_document_is_skipped_by_default_and_fatal_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, r#"{{"id": "small", "text": "small document"}}"#).unwrap();
    f.write_all(br#"{"id": "huge", "text": ""#).unwrap();
    let chunk = "lorem ipsum dolor sit amet ".repeat(1000);
    let mut written = 0;
    while written < 100 << 20 {
        f.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
    }
    f.write_all(b"\"}\n").unwrap();
    drop(f);
    let out = dir.path().join("idx");
    let o = index_bytes_ok(&path, &out, &["--json", "--no-fulltext"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["manifest"]["documents"], 1);
    assert_eq!(v["manifest"]["skipped"]["document_too_large"], 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("huge.jsonl:2"));
    let o = index_bytes(&path, &dir.path().join("i2"), &["--strict"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("huge.jsonl:2"));
}
