//! A takedown list that is there but cannot be read fails closed, whatever its shape: a
//! symbolic link to a missing file (an unmounted disk) or one that loops, a header whose
//! count disagrees with the list, bytes after the list, or a list naming documents the index does not have. Every
//! command refuses and nothing writes over it; only no entry at all is no list. A list
//! emptied by `takedown remove` is no list for `assemble`.

use crate::support;
use std::path::Path;
use std::process::{Command, Output};
use verbatim_core::format::{FileKind, FileWriter};
use verbatim_core::takedown::Takedown;
use verbatim_core::Index;

fn verbatim(args: &[&str]) -> Output {
    Command::new(support::verbatim_bin())
        .args(args)
        .output()
        .unwrap()
}

fn refused(o: Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted; wanted {needle:?}");
    assert!(stderr.contains(needle), "wanted {needle:?} in: {stderr}");
}

fn build(dir: &Path, name: &str, part: Option<u32>) -> String {
    let docs: Vec<(String, String)> = (0..4)
        .map(|i| (format!("{name}{i}"), format!("secret number {i} of {name}")))
        .collect();
    let input = support::write_jsonl(dir, &format!("{name}.jsonl"), &docs);
    let out = dir.join(name);
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], out.clone(), "bytes");
    o.part = part;
    verbatim_indexer::build(&o).unwrap();
    out.display().to_string()
}

/// Every command that reads the list refuses; `takedown add` does not replace it.
fn every_command_refuses(idx: &str, needle: &str) {
    let first = format!("{}0", Path::new(idx).file_name().unwrap().to_str().unwrap());
    refused(verbatim(&["doc", "--index", idx, &first]), needle);
    refused(verbatim(&["takedown", "list", "--index", idx]), needle);
    refused(verbatim(&["verify", idx]), needle);
    refused(
        verbatim(&["takedown", "add", "--index", idx, &first]),
        needle,
    );
    assert!(Index::open(Path::new(idx)).is_err());
}

#[cfg(unix)]
#[test]
fn a_list_that_is_a_dangling_or_looping_link_is_refused_not_read_as_none() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(dir.path(), "s", None);
    let link = Path::new(&idx).join("takedown.bin");
    assert!(verbatim(&["takedown", "add", "--index", &idx, "s1"])
        .status
        .success());
    let opened = Index::open(Path::new(&idx)).unwrap();
    assert!(opened.is_taken_down(1));
    // The list moved to a disk that is not mounted.
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("/nonexistent-verbatim-disk/takedown.bin", &link).unwrap();
    every_command_refuses(&idx, "the takedown list cannot be read");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    // An open index (a server's) re-reads the list and fails closed.
    assert!(opened.refresh_takedown().is_err());
    assert!(opened.is_taken_down(1));
    // A forced rebuild cannot carry it over: refused, the link left.
    let input = dir.path().join("s.jsonl");
    refused(
        verbatim(&[
            "index",
            "--input",
            input.to_str().unwrap(),
            "--out",
            &idx,
            "--tokenizer",
            "bytes",
            "--force",
        ]),
        "takedown list",
    );
    // A link to itself.
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("takedown.bin", &link).unwrap();
    every_command_refuses(&idx, "the takedown list cannot be read");
}

#[test]
fn a_list_whose_count_or_documents_do_not_fit_the_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(dir.path(), "c", None);
    let index_id = Index::open(Path::new(&idx)).unwrap().index_id();
    let write_with = |docs: &[u32], count: u64, tail: &[u8]| {
        let bitmap: roaring::RoaringBitmap = docs.iter().copied().collect();
        let mut bytes = Vec::new();
        bitmap.serialize_into(&mut bytes).unwrap();
        bytes.extend_from_slice(tail);
        let path = Path::new(&idx).join("takedown.bin");
        let _ = std::fs::remove_file(&path);
        FileWriter::write_file(&path, FileKind::Takedown, 0, index_id, &bytes, count).unwrap();
    };
    let write = |docs: &[u32], count: u64| write_with(docs, count, b"");
    // Bytes after the bitmap (within the checksum): not a list verbatim wrote.
    write_with(&[1], 1, b"\0\0\0\0");
    every_command_refuses(&idx, "4 bytes follow the bitmap");
    // The header says 99 documents, the list holds 1 (its checksum is right).
    write(&[1], 99);
    every_command_refuses(&idx, "its header counts 99 documents but the list holds 1");
    // Document #1000000 of an index of 4.
    write(&[1, 1_000_000], 2);
    every_command_refuses(
        &idx,
        "names document #1000000, but the index has 4 documents",
    );
    write(&[1], 1);
    assert!(Index::open(Path::new(&idx)).unwrap().is_taken_down(1));
}

#[test]
fn an_emptied_list_does_not_stop_an_assembly() {
    let dir = tempfile::tempdir().unwrap();
    let p0 = build(dir.path(), "p", Some(0));
    let p1 = build(dir.path(), "q", Some(1));
    assert!(verbatim(&["takedown", "add", "--index", &p0, "p1"])
        .status
        .success());
    let out = dir.path().join("all").display().to_string();
    refused(
        verbatim(&["assemble", "--out", &out, &p0, &p1]),
        "has a takedown list",
    );
    assert!(verbatim(&["takedown", "remove", "--index", &p0, "p1"])
        .status
        .success());
    assert!(Takedown::present(Path::new(&p0)));
    let o = verbatim(&["assemble", "--out", &out, &p0, &p1]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
