//! Indexes written by earlier format versions still open, verify and answer the same.

use std::path::PathBuf;
use verbatim_core::Index;

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[test]
fn format_v1_index_opens_verifies_and_answers() {
    let index = Index::open(&golden("v1-bytes")).expect("a format-1 index opens");
    assert_eq!(index.manifest().documents, 12);
    assert_eq!(index.shards().len(), 2);
    let ids = index.tokenizer().encode_ids("worst of times").unwrap();
    assert_eq!(index.count(&ids), 12);
    let doc = index.document_by_id("golden/5", None).unwrap();
    assert!(doc.text.starts_with("Golden document 5."), "{}", doc.text);
    assert_eq!(doc.record.source.as_deref(), Some("golden-a"));
    let report = verbatim_core::verify::verify(&index).expect("verifies");
    assert_eq!(report.documents_checked, 12);
    let hits = index
        .fulltext()
        .unwrap()
        .search("golden", 0, 20)
        .unwrap()
        .hits;
    assert_eq!(hits.len(), 12);
}
