//! Flipping one byte in any index file makes `verify` and opening fail, naming the file.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::Command;

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else if !p.file_name().unwrap().to_string_lossy().ends_with(".lock") {
            out.push(p);
        }
    }
}

#[test]
fn a_flipped_byte_in_any_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 50);
    let docs: Vec<(String, String)> = (0..30)
        .map(|i| {
            (
                format!("d{i}"),
                format!("w{} w{} w3 w4 . w{} w7 ,", i % 7, i % 11, i % 5),
            )
        })
        .collect();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let pristine = dir.path().join("pristine");
    support::build(vec![input], &pristine, tok.to_str().unwrap(), Some(60));
    let mut files = Vec::new();
    all_files(&pristine, &mut files);
    files.sort();
    assert!(files.len() > 12, "{files:?}");
    for (k, file) in files.iter().enumerate() {
        let rel = file.strip_prefix(&pristine).unwrap();
        let copy = dir.path().join(format!("copy-{k}"));
        support::copy_dir(&pristine, &copy);
        let target = copy.join(rel);
        let mut bytes = std::fs::read(&target).unwrap();
        if bytes.is_empty() {
            continue;
        }
        // Flip a byte in the middle of the payload (or of the file, for tantivy's files).
        let at = if bytes.len() > 64 && bytes.starts_with(b"VERBATIM") {
            64 + (bytes.len() - 64) / 2
        } else {
            bytes.len() / 2
        };
        bytes[at] ^= 0x01;
        std::fs::write(&target, &bytes).unwrap();
        let name = rel.file_name().unwrap().to_string_lossy().to_string();
        let o = Command::new(support::verbatim_bin())
            .args(["verify", copy.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success(),
            "verify accepted a flipped byte in {}",
            rel.display()
        );
        assert!(
            err.contains(&name),
            "verify's message does not name {}: {err}",
            rel.display()
        );
        let opened = verbatim_core::Index::open(&copy);
        let msg = format!(
            "{:#}",
            opened
                .as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        );
        assert!(
            opened.is_err(),
            "opening accepted a flipped byte in {}",
            rel.display()
        );
        assert!(
            msg.contains(&name),
            "open's message does not name {}: {msg}",
            rel.display()
        );
        std::fs::remove_dir_all(&copy).unwrap();
    }
}

#[test]
fn a_mismatched_version_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &[("a".into(), "hello world".into())]);
    let out = dir.path().join("idx");
    support::build(vec![input], &out, "bytes", None);
    let path = out.join("shard-00000/tokens.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    // Rewrite the version to 99 with a valid header checksum: a file from a future format.
    bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
    let hc = xxhash_rust::xxh3::xxh3_64(&bytes[0..56]);
    bytes[56..64].copy_from_slice(&hc.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let err = verbatim_core::Index::open(&out)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("format version 99") && err.contains("Rebuild"),
        "{err}"
    );
}

/// Regression: unigram counts crafted to wrap around (checksums right) added up to the
/// token count in wrapping arithmetic, so first-token blocks pointed past the suffix array
/// and a query panicked. Overflowing counts are now refused at open.
#[test]
fn unigram_counts_that_overflow_are_refused_at_open() {
    use verbatim_core::format::{FileKind, FileWriter, MappedFile};
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &[("a".into(), "hello world".into())]);
    let out = dir.path().join("idx");
    support::build(vec![input], &out, "bytes", None);
    let path = out.join("shard-00000/unigrams.bin");
    let f = MappedFile::open(&path, FileKind::Unigrams).unwrap();
    let header = *f.header();
    let mut counts: Vec<u64> = f.as_slice::<u64>().unwrap().to_vec();
    drop(f);
    // Same wrapping total: `l` and `o` get 2^63 more each.
    counts[b'l' as usize] += 1 << 63;
    counts[b'o' as usize] += 1 << 63;
    assert_eq!(
        counts.iter().fold(0u64, |a, &c| a.wrapping_add(c)),
        "hello world".len() as u64
    );
    std::fs::remove_file(&path).unwrap();
    let bytes: Vec<u8> = counts.iter().flat_map(|c| c.to_le_bytes()).collect();
    let n = header.element_count;
    FileWriter::write_file(&path, FileKind::Unigrams, 8, header.build_id, &bytes, n).unwrap();
    let err = verbatim_core::Index::open(&out)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("unigrams.bin") && err.contains("add up"),
        "{err}"
    );
}

#[test]
fn a_full_text_index_that_does_not_open_names_the_changed_file_without_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 20);
    let docs: Vec<(String, String)> = (0..20)
        .map(|i| (format!("d{i}"), format!("w{} w{} w3 .", i % 7, i % 5)))
        .collect();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let index = dir.path().join("index");
    support::build(vec![input], &index, tok.to_str().unwrap(), None);
    std::fs::write(index.join("fulltext/meta.json"), "garbage\n").unwrap();
    // `verify` and `serve --no-verify` open without hashing; tantivy's own error would not say
    // that the file changed since the build.
    let opts = verbatim_core::OpenOptions {
        verify_checksums: false,
        fulltext: true,
        residency: verbatim_core::Residency::Auto,
    };
    let e = verbatim_core::Index::open_with(&index, opts)
        .err()
        .expect("a garbage meta.json is refused")
        .to_string();
    assert!(
        e.contains("meta.json") && e.contains("changed since the build"),
        "{e}"
    );
}

/// Two indexes of different corpora with the same number of documents, side indexes and a
/// full-text index each.
fn twin_indexes(dir: &Path) -> (PathBuf, PathBuf) {
    let mut out = Vec::new();
    for (name, word) in [("a", "apple"), ("b", "pembroke")] {
        let docs: Vec<(String, String)> = (0..12)
            .map(|i| {
                (
                    format!("{name}{i}"),
                    format!("The {word} number {i} sat by the circular pond, pointing north."),
                )
            })
            .collect();
        let input = support::write_jsonl(dir, &format!("{name}.jsonl"), &docs);
        let idx = dir.join(name);
        let mut o = verbatim_indexer::BuildOptions::new(vec![input], idx.clone(), "bytes");
        o.name = name.into();
        o.side_indexes = vec![verbatim_core::normalize::Normalization::Words];
        verbatim_indexer::build(&o).unwrap();
        out.push(idx);
    }
    (out.remove(0), out.remove(0))
}

fn open_unhashed(dir: &Path) -> verbatim_core::Result<verbatim_core::Index> {
    verbatim_core::Index::open_with(
        dir,
        verbatim_core::OpenOptions {
            verify_checksums: false,
            fulltext: true,
            residency: verbatim_core::Residency::Auto,
        },
    )
}

/// A side index or a full-text directory copied in from another build (same number of
/// documents) is refused at open, even without hashing: queries would otherwise answer
/// from another corpus (contamination verdicts, keyword search) without a word.
#[test]
fn side_and_full_text_directories_of_another_build_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = twin_indexes(dir.path());
    let side = dir.path().join("side-swapped");
    support::copy_dir(&a, &side);
    std::fs::remove_dir_all(side.join("side/words")).unwrap();
    support::copy_dir(&b.join("side/words"), &side.join("side/words"));
    let e = open_unhashed(&side).err().expect("refused").to_string();
    assert!(
        e.contains("side index") && e.contains("another build"),
        "{e}"
    );
    let ft = dir.path().join("fulltext-swapped");
    support::copy_dir(&a, &ft);
    std::fs::remove_dir_all(ft.join("fulltext")).unwrap();
    support::copy_dir(&b.join("fulltext"), &ft.join("fulltext"));
    let e = open_unhashed(&ft).err().expect("refused").to_string();
    assert!(e.contains("fulltext") && e.contains("build"), "{e}");
}

/// A flipped byte anywhere in the tantivy fast-field files or in the id map never takes
/// the process down (tantivy and fst assert on some damage): open, keyword search, `verify`
/// and lookups by id answer or fail with an error, and a lookup by id never answers with
/// another document (a damaged map can name one: `doc a1` printed `a2`).
#[test]
fn damaged_full_text_and_id_map_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = twin_indexes(dir.path());
    let mut files = Vec::new();
    all_files(&a.join("fulltext"), &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "fast"));
    files.push(a.join("ids.fst"));
    for f in files {
        let good = std::fs::read(&f).unwrap();
        let id_map = f.ends_with("ids.fst");
        let start = if id_map { 64 } else { 0 };
        // Each bit of the id map alone too: one changes a stored number, naming another document.
        let masks: &[u8] = if id_map {
            &[0xff, 1, 2, 4, 8, 16, 32, 64, 128]
        } else {
            &[0xff]
        };
        for (i, &mask) in (start..good.len()).flat_map(|i| masks.iter().map(move |m| (i, m))) {
            let mut bad = good.clone();
            bad[i] ^= mask;
            std::fs::write(&f, &bad).unwrap();
            if let Ok(ix) = open_unhashed(&a) {
                if let Some(ft) = ix.fulltext() {
                    let _ = ft.search("circular pond", 0, 10);
                }
                for k in 0..12 {
                    // A lookup that answers names the document holding the id, never another.
                    let id = format!("a{k}");
                    if let Some(loc) = ix.doc_by_id(&id) {
                        let held = ix.doc_record(loc).map(|r| r.id);
                        assert_eq!(
                            held.ok().as_deref(),
                            Some(id.as_str()),
                            "{f:?} byte {i} ^ {mask}"
                        );
                    }
                }
                assert!(
                    verbatim_core::verify::verify(&ix).is_err(),
                    "{f:?} byte {i} ^ {mask}"
                );
            }
        }
        std::fs::write(&f, &good).unwrap();
    }
}

/// `verbatim takedown add` refuses to write when the id map is damaged (it would take down
/// another document than the one named), and a takedown list that cannot be read says to
/// restore it, not to rebuild (a rebuild carries takedowns over only from a readable list).
#[test]
fn takedowns_refuse_a_damaged_id_map_and_never_advise_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = twin_indexes(dir.path());
    let ids = a.join("ids.fst");
    let good = std::fs::read(&ids).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    std::fs::write(&ids, &bad).unwrap();
    let run = |args: &[&str]| {
        Command::new(support::verbatim_bin())
            .args(args)
            .output()
            .unwrap()
    };
    let idx = a.to_str().unwrap();
    let o = run(&["takedown", "add", "--index", idx, "a4"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ids.fst"), "{err}");
    assert!(!a.join("takedown.bin").exists());
    std::fs::write(&ids, &good).unwrap();
    let o = run(&["takedown", "add", "--index", idx, "a4"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = a.join("takedown.bin");
    let mut bytes = std::fs::read(&list).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&list, &bytes).unwrap();
    let o = run(&["takedown", "list", "--index", idx]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("takedown list") && err.contains("Do not rebuild"),
        "{err}"
    );
}

/// A damaged full-text file that tantivy asserts on is refused with the error alone: the
/// panic it caught was printed first (`panicked at ... ownedbytes ...`, and with
/// `RUST_BACKTRACE=1` some 80 frames), so a clean refusal looked like a crash.
#[test]
fn a_full_text_file_tantivy_asserts_on_is_refused_without_a_printed_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = twin_indexes(dir.path());
    let mut files = Vec::new();
    all_files(&a.join("fulltext"), &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "fast"));
    let mut refused = 0;
    for f in files {
        let good = std::fs::read(&f).unwrap();
        for i in (0..good.len()).step_by(5) {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            std::fs::write(&f, &bad).unwrap();
            let o = std::process::Command::new(support::verbatim_bin())
                .args(["count", "--index"])
                .arg(&a)
                .args(["--text", " apple"])
                .env("RUST_BACKTRACE", "1")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(!stderr.contains("panicked"), "{f:?} byte {i}: {stderr}");
            if !o.status.success() {
                assert!(stderr.contains("corrupt index file"), "{stderr}");
                refused += 1;
            }
        }
        std::fs::write(&f, &good).unwrap();
    }
    assert!(refused > 0, "no damage was refused");
}

/// A source table rewritten with a valid checksum (a document moved out of its source, or a
/// bitmap with a repeated element) opens, but `verify` compares it with the records.
#[test]
fn verify_compares_the_source_table_with_the_records() {
    use verbatim_core::format::{FileKind, FileWriter, MappedFile};
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(
        dir.path(),
        "c.jsonl",
        &[
            ("a".into(), "hello world".into()),
            ("b".into(), "another one".into()),
        ],
    );
    let out = dir.path().join("idx");
    support::build(vec![input], &out, "bytes", None);
    let index = verbatim_core::Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).expect("a fresh build verifies");
    drop(index);
    let path = out.join("sources.bin");
    let header = *MappedFile::open(&path, FileKind::Sources).unwrap().header();
    let mut sets = verbatim_core::sources::SourceSets::new();
    sets.insert("test".into(), [0u32].into_iter().collect());
    std::fs::remove_file(&path).unwrap();
    let bytes = verbatim_core::sources::encode(&sets);
    FileWriter::write_file(&path, FileKind::Sources, 0, header.build_id, &bytes, 1).unwrap();
    let index = verbatim_core::Index::open(&out).expect("opens: the file is well formed");
    let e = verbatim_core::verify::verify(&index).expect_err("verify compares");
    let e = e.to_string();
    assert!(e.contains("sources.bin") && e.contains("records"), "{e}");
}
