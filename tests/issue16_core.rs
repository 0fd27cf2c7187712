//! Regression tests for issue 16's core items: takedown reloads seen by caches, takedown lists
//! bound to their index, and document records fetched in O(1).

use crate::support;
use verbatim_core::takedown::Takedown;
use verbatim_core::Index;

fn corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let docs: Vec<(String, String)> = (0..30)
        .map(|i| {
            (
                format!("doc-{i}"),
                format!("shared opening words, then document {i} says something of its own."),
            )
        })
        .collect();
    support::write_jsonl(dir, "c.jsonl", &docs)
}

/// Issue 16, item 2: a takedown and a restore in the same moment leave the number of
/// taken-down documents unchanged; the generation must still change, so no cached answer
/// from before is reused.
#[test]
fn issue16_takedown_generation_changes_when_count_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    support::build(vec![corpus(dir.path())], &out, "bytes", None);
    let index = Index::open(&out).unwrap();
    let mut list = Takedown::default();
    list.insert(3);
    list.save(&out, index.index_id()).unwrap();
    index.refresh_takedown().unwrap();
    assert!(index.is_taken_down(3));
    let g = index.takedown_generation();
    // Restore 3, take 7 down: same count.
    let mut list = Takedown::load(&out, index.index_id()).unwrap();
    list.remove(3);
    list.insert(7);
    list.save(&out, index.index_id()).unwrap();
    index.refresh_takedown().unwrap();
    assert_eq!(index.taken_down_count(), 1);
    assert!(!index.is_taken_down(3) && index.is_taken_down(7));
    assert_ne!(index.takedown_generation(), g, "the generation must change");
    // A trace no longer cites document 7.
    let opts = verbatim_core::query::TraceOptions::defaults_for(&index);
    let t = index
        .trace("then document 7 says something of its own.", None, &opts)
        .unwrap();
    assert!(t.documents.iter().all(|d| d.location.doc_no != 7));
}

/// Issue 16, item 2: takedown.bin carries a build id, checked like every other file.
#[test]
fn issue16_takedown_list_of_another_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let input = corpus(dir.path());
    support::build(vec![input.clone()], &a, "bytes", None);
    support::build(vec![input], &b, "bytes", None);
    let ia = Index::open(&a).unwrap();
    let mut list = Takedown::default();
    list.insert(1);
    list.save(&a, ia.index_id()).unwrap();
    std::fs::copy(a.join("takedown.bin"), b.join("takedown.bin")).unwrap();
    let err = Index::open(&b).err().expect("refused").to_string();
    assert!(err.contains("takedown.bin"), "{err}");
    assert!(err.contains("different builds"), "{err}");
}

/// Issue 16, item 3: fetching a document record must not re-validate the shard's whole
/// record-offset table (that made every fetch O(documents)).
#[test]
fn issue16_document_records_do_not_revalidate_the_offset_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("idx");
    support::build(vec![corpus(dir.path())], &out, "bytes", None);
    let index = Index::open(&out).unwrap();
    let before = verbatim_core::shard::record_table_validations();
    for _ in 0..20 {
        for doc_no in 0..30 {
            let loc = index.locate(doc_no).unwrap();
            assert_eq!(index.doc_record(loc).unwrap().id, format!("doc-{doc_no}"));
        }
    }
    // Other tests in this binary may open shards concurrently, which validates their tables;
    // the 600 fetches above would add 600 here.
    assert!(verbatim_core::shard::record_table_validations() - before < 600);
}
