//! Suffix samples (`samples.bin`): written for every shard, they change no answer (an index
//! without them, as built before they existed, answers the same), and a bad one is refused.

use crate::support;
use std::path::{Path, PathBuf};
use verbatim_core::format::{FileKind, FileWriter, MappedFile};
use verbatim_core::Index;

/// A word-token index of 2 shards, each holding many samples (ranks 0, 256, 512, ...), with
/// long repeated phrases so that searches narrow far and stop on undecided samples.
fn sampled_index(dir: &Path) -> PathBuf {
    let tok = support::word_tokenizer(dir, 60);
    let docs: Vec<(String, String)> = (0..400)
        .map(|i| {
            let words: Vec<String> = (0..40)
                .map(|k| format!("w{}", (i * 7 + k * k + (k / 5) * i) % 23))
                .collect();
            (
                format!("d{i}"),
                format!("w1 w2 w3 w4 w5 w6 w7 w8 w9 {}", words.join(" ")),
            )
        })
        .collect();
    let input = support::write_jsonl(dir, "c.jsonl", &docs);
    let out = dir.join("idx");
    support::build(vec![input], &out, tok.to_str().unwrap(), Some(10_000));
    out
}

fn shard_dirs(index: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("shard-")
        })
        .collect();
    dirs.sort();
    dirs
}

/// Copies the index `pristine` to `dir/name` and lets `damage` change the first shard's
/// `samples.bin` in the copy; returns the copy.
fn damaged_copy(dir: &Path, pristine: &Path, name: &str, damage: impl FnOnce(&Path)) -> PathBuf {
    let copy = dir.join(name);
    support::copy_dir(pristine, &copy);
    damage(&shard_dirs(&copy)[0].join("samples.bin"));
    copy
}

/// Replaces the samples file `target` by one of `payload`, with right checksums.
fn rewrite_samples(target: &Path, width: u32, build_id: u64, payload: &[u8], count: u64) {
    std::fs::remove_file(target).unwrap();
    let kind = FileKind::SuffixSamples;
    FileWriter::write_file(target, kind, width, build_id, payload, count).unwrap();
}

/// The error opening `index` gives.
fn open_error(index: &Path) -> String {
    Index::open(index).err().expect("refused").to_string()
}

/// Every n-gram of 1 to 14 tokens of the corpus's first tokens, and variants that occur
/// nowhere, as token ids.
fn queries(index: &Index) -> Vec<Vec<u32>> {
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&format!(
            "w1 w2 w3 w4 w5 w6 w7 w8 w9 w{} w{} ",
            i % 23,
            (i * 5) % 23
        ));
    }
    let ids = index.tokenizer().encode_ids(&text).unwrap();
    let mut out = Vec::new();
    for start in (0..ids.len()).step_by(3) {
        for len in 1..=14.min(ids.len() - start) {
            out.push(ids[start..start + len].to_vec());
        }
    }
    let unknown = index.tokenizer().encode_ids("w59 w58").unwrap();
    out.push(unknown.clone());
    out.push([ids[..5].to_vec(), unknown].concat());
    out
}

#[test]
fn samples_are_written_and_change_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let with = sampled_index(dir.path());
    let shards = shard_dirs(&with);
    assert!(shards.len() >= 2, "{shards:?}");
    for s in &shards {
        let f = MappedFile::open(&s.join("samples.bin"), FileKind::SuffixSamples).unwrap();
        assert!(
            f.header().element_count >= 8 * 20,
            "{}: few samples",
            s.display()
        );
    }
    let without = dir.path().join("without");
    support::copy_dir(&with, &without);
    for s in shard_dirs(&without) {
        std::fs::remove_file(s.join("samples.bin")).unwrap();
    }
    let a = Index::open(&with).unwrap();
    let b = Index::open(&without).unwrap();
    verbatim_core::verify::verify(&a).unwrap();
    verbatim_core::verify::verify(&b).unwrap();
    let qs = queries(&a);
    let refs: Vec<&[u32]> = qs.iter().map(|q| q.as_slice()).collect();
    assert_eq!(a.find_many(&refs), b.find_many(&refs));
    assert!(a.find_many(&refs).iter().any(|o| o.count() > 300));
    assert_eq!(
        a.longest_prefix_matches_landing(&refs),
        b.longest_prefix_matches_landing(&refs)
    );
    let text: Vec<u32> = qs.iter().flatten().copied().collect();
    assert_eq!(a.longest_matches(&text), b.longest_matches(&text));
    // Ranges counted from where the searches landed (as spans are), for matches of two
    // tokens or more.
    let (lengths, landings) = a.longest_prefix_matches_landing(&refs);
    let ns = a.shards().len();
    let mut prefixes: Vec<&[u32]> = Vec::new();
    let mut lands = Vec::new();
    for (i, (q, &m)) in refs.iter().zip(&lengths).enumerate() {
        if m >= 2 {
            prefixes.push(&q[..m]);
            lands.extend_from_slice(&landings[i * ns..(i + 1) * ns]);
        }
    }
    assert!(prefixes.len() > 100);
    assert_eq!(
        a.find_from_landings(&prefixes, &lands),
        b.find_many(&prefixes)
    );
}

#[test]
fn a_bad_samples_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = sampled_index(dir.path());
    let shard = shard_dirs(&pristine)[0].clone();
    let original = MappedFile::open(&shard.join("samples.bin"), FileKind::SuffixSamples).unwrap();
    let header = *original.header();
    let payload = original.payload().to_vec();
    drop(original);

    // A copy of the index whose first shard's samples are rewritten, checksums right.
    let rewritten = |name: &str, payload: &[u8], build_id: u64, count: u64| {
        damaged_copy(dir.path(), &pristine, name, |target| {
            rewrite_samples(target, header.element_width, build_id, payload, count)
        })
    };

    // One sample wrong: `verify` finds it.
    let mut bytes = payload.clone();
    bytes[2 * 8 * 3] ^= 0x01; // first token of sample 3
    let wrong = rewritten("wrong", &bytes, header.build_id, header.element_count);
    let index = Index::open(&wrong).unwrap();
    let err = verbatim_core::verify::verify(&index)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("samples.bin") && err.contains("sample 3 differs"),
        "{err}"
    );

    // One sample short: refused at open, saying what to do.
    let short = rewritten(
        "short",
        &payload[..payload.len() - 16],
        header.build_id,
        header.element_count - 8,
    );
    let err = open_error(&short);
    assert!(
        err.contains("samples.bin") && err.contains("delete it") && err.contains("tokens of"),
        "{err}"
    );
    assert_eq!(
        err.matches("Rebuild").count() + err.matches("rebuild").count(),
        1,
        "{err}"
    );

    // Written by another build: refused like any shard file of another build.
    let other = rewritten("other", &payload, header.build_id ^ 1, header.element_count);
    let err = open_error(&other);
    assert!(
        err.contains("samples.bin") && err.contains("another shard or build"),
        "{err}"
    );

    // Written before samples were tied to their shard (the shard's plain build id).
    let tokens = MappedFile::open(&shard.join("tokens.bin"), FileKind::Tokens).unwrap();
    let plain = tokens.header().build_id;
    drop(tokens);
    let old = rewritten("old", &payload, plain, header.element_count);
    let err = open_error(&old);
    assert!(
        err.contains("before 2026-12-03") && err.contains("rm "),
        "{err}"
    );

    // A damaged payload (checksum left stale): hashing at open says deleting it is enough.
    let damaged = damaged_copy(dir.path(), &pristine, "damaged", |target| {
        let mut bytes = std::fs::read(target).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        std::fs::write(target, bytes).unwrap();
    });
    let err = open_error(&damaged);
    assert!(
        err.contains("checksum") && err.contains("delete it"),
        "{err}"
    );

    // A directory where the file should be: named as such, not an OS error.
    let as_dir = damaged_copy(dir.path(), &pristine, "dir", |target| {
        std::fs::remove_file(target).unwrap();
        std::fs::create_dir(target).unwrap();
    });
    let err = open_error(&as_dir);
    assert!(
        err.contains("a directory") && err.contains("delete it"),
        "{err}"
    );

    // A dangling symbolic link is an error, not a file silently taken as absent.
    #[cfg(unix)]
    {
        let dangling = damaged_copy(dir.path(), &pristine, "dangling", |target| {
            std::fs::remove_file(target).unwrap();
            std::os::unix::fs::symlink(dir.path().join("nowhere"), target).unwrap();
        });
        let err = open_error(&dangling);
        assert!(err.contains("samples.bin"), "{err}");
    }
}

/// Regression: a `samples.bin` copied from another shard of the same build (its checksums
/// and size right) was accepted, and searches guided by the wrong keys changed counts. Each
/// file now carries an id tied to its own shard's token stream and suffix array.
#[test]
fn a_samples_file_from_another_shard_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = sampled_index(dir.path());
    let shards = shard_dirs(&pristine);
    assert!(shards.len() >= 2);
    let read = |shard: &Path| {
        let f = MappedFile::open(&shard.join("samples.bin"), FileKind::SuffixSamples).unwrap();
        (*f.header(), f.payload().to_vec())
    };
    let ((own, own_payload), (other, _)) = (read(&shards[0]), read(&shards[1]));
    assert_ne!(own.build_id, other.build_id, "ids tie files to shards");

    // Shard 0's own keys under shard 1's id: the size fits, only the binding tells.
    let rebound = damaged_copy(dir.path(), &pristine, "rebound", |target| {
        let (width, count) = (own.element_width, own.element_count);
        rewrite_samples(target, width, other.build_id, &own_payload, count)
    });
    let err = open_error(&rebound);
    assert!(
        err.contains("samples.bin") && err.contains("another shard") && err.contains("delete it"),
        "{err}"
    );

    // The file itself copied over: refused whatever its size.
    let from = shards[1].join("samples.bin");
    let copied = damaged_copy(dir.path(), &pristine, "copied", |target| {
        std::fs::copy(&from, target).unwrap();
    });
    let err = open_error(&copied);
    assert!(err.contains("samples.bin"), "{err}");
}

/// Regression: `verify` checked the suffix samples of the main index's shards only, so a
/// wrong key in a side index (searched by contamination checks) passed.
#[test]
fn verify_checks_the_side_indexes_too() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 60);
    let docs: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("d{i}"),
                format!("w1 w2 w3 w{} w{} w4", i % 23, i % 7),
            )
        })
        .collect();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let pristine = dir.path().join("idx");
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], pristine.clone(), tok.to_str().unwrap());
    o.threads = 2;
    o.fulltext = false;
    o.side_indexes = vec![
        verbatim_core::normalize::Normalization::Words,
        verbatim_core::normalize::Normalization::Alnum,
    ];
    verbatim_indexer::build(&o).expect("build succeeds");
    let report = verbatim_core::verify::verify(&Index::open(&pristine).unwrap()).unwrap();
    let main_docs = 200;
    assert_eq!(
        report.documents_checked,
        3 * main_docs,
        "main and both side indexes"
    );

    let copy = dir.path().join("damaged");
    support::copy_dir(&pristine, &copy);
    let side_shard = shard_dirs(&copy.join("side").join("alnum"))[0].clone();
    let target = side_shard.join("samples.bin");
    let f = MappedFile::open(&target, FileKind::SuffixSamples).unwrap();
    let header = *f.header();
    let mut payload = f.payload().to_vec();
    drop(f);
    payload[header.element_width as usize * 8 * 3] ^= 0x01; // first token of sample 3
    let (width, count) = (header.element_width, header.element_count);
    rewrite_samples(&target, width, header.build_id, &payload, count);
    let index = Index::open(&copy).unwrap();
    let err = verbatim_core::verify::verify(&index)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("alnum") && err.contains("samples.bin") && err.contains("sample 3 differs"),
        "{err}"
    );
}
