//! Ids spilled to disk as sorted runs (`indexer/src/id_map.rs`): a build or append whose ids
//! spill gives the index one whose ids stay in memory gives, and leaves no run behind.

use crate::support;
use fst::Streamer;
use std::path::{Path, PathBuf};
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

/// `n` documents whose ids repeat now and then (renamed `#2`, `#3`...).
fn docs(prefix: &str, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let id = if i % 10 == 3 {
                format!("{prefix}-{}", i / 2)
            } else {
                format!("{prefix}-{i}")
            };
            (id, format!("{prefix} text {i} and {}", i % 17))
        })
        .collect()
}

fn opts(input: PathBuf, out: &Path, id_memory: Option<u64>) -> BuildOptions {
    let mut o = BuildOptions::new(vec![input], out.to_path_buf(), "bytes");
    o.threads = 2;
    o.max_document_bytes = 1 << 20;
    o.fulltext = false;
    o.id_memory = id_memory;
    o
}

/// Every `(id, document number)` of the index's id map, and every document's stored id.
fn ids_of(dir: &Path) -> (Vec<(String, u64)>, Vec<String>) {
    let index = Index::open(dir).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    let mut map = Vec::new();
    let mut stream = index.own_id_map().unwrap().stream();
    while let Some((k, v)) = stream.next() {
        map.push((String::from_utf8(k.to_vec()).unwrap(), v));
    }
    let records = (0..index.manifest().documents)
        .map(|no| index.doc_record(index.locate(no).unwrap()).unwrap().id)
        .collect();
    (map, records)
}

fn spill_dirs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ids-spill"))
        .collect()
}

#[test]
fn a_build_whose_ids_spill_equals_one_whose_ids_stay_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "a.jsonl", &docs("d", 3000));
    let memory = dir.path().join("memory");
    let disk = dir.path().join("disk");
    verbatim_indexer::build(&opts(input.clone(), &memory, None)).unwrap();
    // 16 KiB of ids in memory: a run every ~150 documents, merged four at a time.
    let summary = verbatim_indexer::build(&opts(input, &disk, Some(16 << 10))).unwrap();
    assert!(summary.manifest.renamed_duplicate_ids > 0);
    let (map, records) = ids_of(&memory);
    assert_eq!(map.len(), 3000);
    assert!(map.iter().any(|(id, _)| id.ends_with("#2")));
    assert_eq!(ids_of(&disk), (map, records));
    assert!(spill_dirs(&disk).is_empty());
}

#[test]
fn an_append_whose_ids_spill_equals_one_in_memory_and_clears_a_killed_ones_runs() {
    let dir = tempfile::tempdir().unwrap();
    let a = support::write_jsonl(dir.path(), "a.jsonl", &docs("a", 500));
    let b = support::write_jsonl(dir.path(), "b.jsonl", &docs("b", 2000));
    let memory = dir.path().join("memory");
    let disk = dir.path().join("disk");
    for (out, id_memory) in [(&memory, None), (&disk, Some(16 << 10))] {
        verbatim_indexer::build(&opts(a.clone(), out, None)).unwrap();
        // Runs a killed append left behind.
        let left = out.join("ids-spill-g7");
        std::fs::create_dir(&left).unwrap();
        std::fs::write(left.join("run-0"), b"x").unwrap();
        let mut o = opts(b.clone(), out, id_memory);
        o.tokenizer = String::new();
        o.append = true;
        verbatim_indexer::build(&o).unwrap();
        assert!(spill_dirs(out).is_empty(), "{:?}", spill_dirs(out));
    }
    let (map, records) = ids_of(&memory);
    assert_eq!(map.len(), 2500);
    assert_eq!(ids_of(&disk), (map, records));
    // An id of the index is still refused when the new ids spill.
    let again = support::write_jsonl(dir.path(), "c.jsonl", &docs("a", 3));
    let mut o = opts(again, &disk, Some(1));
    o.tokenizer = String::new();
    o.append = true;
    let err = verbatim_indexer::build(&o).unwrap_err().to_string();
    assert!(err.contains("already in the index"), "{err}");
    assert!(spill_dirs(&disk).is_empty());
}
