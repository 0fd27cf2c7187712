//! Reading an index as resident in memory or from disk (`--residency`): the advice reaches
//! every mapping, answers do not change, checksums are checked the same way, and `serve`
//! refuses `--warm` with `disk`.

use crate::layout::{corpus, probes, spans_and_traces};
use crate::support;
use std::path::Path;
use verbatim_core::{Index, OpenOptions, Residency};

/// An index of three shards or more of the layout corpus, with its documents and phrase bank.
fn sharded(dir: &Path) -> (std::path::PathBuf, Vec<(String, String)>, Vec<String>) {
    let tok = support::word_tokenizer(dir, 10_000);
    let (docs, phrases) = corpus(120, 11);
    let input = support::write_jsonl(dir, "docs.jsonl", &docs);
    let out = dir.join("idx");
    let one = support::build(
        vec![input.clone()],
        &dir.join("probe"),
        tok.to_str().unwrap(),
        None,
    );
    support::build(
        vec![input],
        &out,
        tok.to_str().unwrap(),
        Some(one.manifest.tokens / 3 + 1),
    );
    (out, docs, phrases)
}

/// The mappings of verbatim's files (`.bin`, `.fst`; the full-text index's files are
/// tantivy's, mapped by tantivy).
#[cfg(target_os = "linux")]
fn verbatim_files(mapped: Vec<(String, String)>) -> Vec<(String, String)> {
    mapped
        .into_iter()
        .filter(|(n, _)| n.ends_with(".bin") || n.ends_with(".fst"))
        .collect()
}

fn open(dir: &Path, residency: Residency, verify: bool) -> Index {
    Index::open_with(
        dir,
        OpenOptions {
            verify_checksums: verify,
            residency,
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn the_advice_reaches_every_mapping_and_can_change_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _, _) = sharded(dir.path());
    let index = open(&idx, Residency::Disk, false);
    assert_eq!(index.residency(), Residency::Disk);
    let has = |flags: &str, f: &str| flags.split_whitespace().any(|x| x == f);
    let mapped = verbatim_files(support::vm_flags_under(&idx));
    let names: std::collections::BTreeSet<&str> = mapped.iter().map(|(n, _)| n.as_str()).collect();
    for file in [
        "tokens.bin",
        "sa.bin",
        "docs.bin",
        "meta.bin",
        "unigrams.bin",
        "ids.fst",
        "sources.bin",
    ] {
        assert!(names.contains(file), "{file} is mapped: {names:?}");
    }
    // Every shard's files, each read a page at a time: random reads, no huge pages.
    assert!(index.shards().len() >= 3);
    assert_eq!(
        mapped.iter().filter(|(n, _)| n == "sa.bin").count(),
        index.shards().len()
    );
    for (name, flags) in &mapped {
        assert!(has(flags, "rr") && !has(flags, "hg"), "{name}: {flags}");
    }
    // The full-text index's files, which tantivy maps, are read a page at a time too.
    let fulltext = fulltext_files(support::vm_flags_under(&idx));
    assert!(!fulltext.is_empty(), "tantivy maps the full-text index");
    for (name, flags) in &fulltext {
        assert!(has(flags, "rr"), "{name}: {flags}");
    }
    assert_eq!(index.set_residency(Residency::Memory), Residency::Memory);
    assert_eq!(index.residency(), Residency::Memory);
    for (name, flags) in verbatim_files(support::vm_flags_under(&idx)) {
        assert!(has(&flags, "hg") && !has(&flags, "rr"), "{name}: {flags}");
    }
    let fulltext = fulltext_files(support::vm_flags_under(&idx));
    assert!(!fulltext.is_empty(), "the full-text index is mapped anew");
    for (name, flags) in &fulltext {
        assert!(!has(flags, "rr"), "{name}: {flags}");
    }
}

/// The mappings of the full-text index's files (tantivy's own names: a segment id and an
/// extension such as `.term`, `.idx`, `.pos`, `.fast`).
#[cfg(target_os = "linux")]
fn fulltext_files(mapped: Vec<(String, String)>) -> Vec<(String, String)> {
    mapped
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".bin") && !n.ends_with(".fst"))
        .collect()
}

#[test]
fn disk_and_memory_answer_alike_and_check_checksums_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, docs, phrases) = sharded(dir.path());
    let memory = open(&idx, Residency::Memory, true);
    let disk = open(&idx, Residency::Disk, true);
    assert!(disk.shards().len() >= 3);
    assert!(disk.mapped_bytes() > memory.manifest().tokens);
    let (texts, ngrams) = probes(&docs, &phrases, &memory);
    for g in &ngrams {
        assert_eq!(disk.count(g), memory.count(g), "{g:?}");
    }
    assert_eq!(
        spans_and_traces(&disk, &texts),
        spans_and_traces(&memory, &texts)
    );
    let hits = |index: &Index, q: &str| -> Vec<(u64, u32)> {
        let found = index.fulltext().unwrap().search(q, 0, 20).unwrap().hits;
        found
            .iter()
            .map(|h| (h.doc_no, h.score.to_bits()))
            .collect()
    };
    for text in texts.iter().take(20) {
        let words: Vec<&str> = text.split_whitespace().take(3).collect();
        let q = words.join(" ");
        assert_eq!(hits(&disk, &q), hits(&memory, &q), "{q}");
    }
    assert!(!hits(&disk, texts[0].split_whitespace().next().unwrap()).is_empty());
    disk.verify_checksums()
        .expect("an intact index passes when read from disk");

    // A flipped byte in a payload is found by a check that reads the index from disk.
    let copy = dir.path().join("damaged");
    support::copy_dir(&idx, &copy);
    let shard = std::fs::read_dir(&copy)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("sa.bin").exists())
        .unwrap();
    let sa = shard.join("sa.bin");
    let mut bytes = std::fs::read(&sa).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&sa, bytes).unwrap();
    let damaged = open(&copy, Residency::Disk, false);
    let e = damaged.verify_checksums().expect_err("the damage is found");
    assert!(e.to_string().contains("checksum mismatch"), "{e}");
    let e = Index::open_with(
        &copy,
        OpenOptions {
            residency: Residency::Disk,
            ..OpenOptions::default()
        },
    )
    .err()
    .expect("opening with checksums refuses it");
    assert!(e.to_string().contains("checksum mismatch"), "{e}");
}

/// Asking for pages ahead (every step of the searches, every window of a trace's documents,
/// as a cold index does) over real mapped files changes no answer.
#[test]
fn asking_for_every_page_ahead_changes_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, docs, phrases) = sharded(dir.path());
    let memory = open(&idx, Residency::Memory, true);
    let disk = open(&idx, Residency::Disk, true);
    let (texts, ngrams) = probes(&docs, &phrases, &memory);
    verbatim_core::search::always_ask(true);
    let counts: Vec<u64> = ngrams.iter().map(|g| disk.count(g)).collect();
    let answers = spans_and_traces(&disk, &texts);
    verbatim_core::search::always_ask(false);
    let expected: Vec<u64> = ngrams.iter().map(|g| memory.count(g)).collect();
    assert_eq!(counts, expected);
    assert_eq!(answers, spans_and_traces(&memory, &texts));
}

#[test]
fn auto_keeps_a_small_index_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _, _) = sharded(dir.path());
    let index = open(&idx, Residency::Auto, false);
    // A few hundred kilobytes against any machine's memory.
    assert_eq!(index.residency(), Residency::Memory);
    assert_eq!(index.set_residency(Residency::Disk), Residency::Disk);
    assert_eq!(index.set_residency(Residency::Auto), Residency::Memory);
}

#[test]
fn serve_refuses_warm_with_disk_residency_and_an_unknown_residency() {
    let dir = tempfile::tempdir().unwrap();
    let (idx, _, _) = sharded(dir.path());
    let serve = |extra: &[&str]| {
        let o = std::process::Command::new(support::verbatim_bin())
            .args([
                "serve",
                "--index",
                idx.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(!o.status.success(), "{extra:?} is refused");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = serve(&["--residency", "disk", "--warm"]);
    assert!(
        e.contains("--warm") && e.contains("--residency disk"),
        "{e}"
    );
    let e = serve(&["--residency", "ram"]);
    assert!(e.contains("expected auto, memory or disk"), "{e}");
}
