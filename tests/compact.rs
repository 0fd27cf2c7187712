//! Compaction (`verbatim compact`): shards rebuilt as fewer shards answer exactly as the
//! index built at once, side indexes and takedowns included; it is atomic, sized by the
//! budget, and appends go on after it.

use crate::support;
use std::path::{Path, PathBuf};
use std::process::Command;
use verbatim_core::normalize::Normalization;
use verbatim_core::query::trace::TraceOptions;
use verbatim_core::query::SpanOptions;
use verbatim_core::Index;
use verbatim_indexer::{BuildOptions, CompactOptions};

/// `n` documents of `words` words from a small vocabulary, so that n-grams repeat across
/// documents and shards.
fn docs(prefix: &str, n: usize, words: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let text: Vec<String> = (0..words)
                .map(|w| format!("w{}", (i * 13 + w * w * 7 + prefix.len()) % 61))
                .collect();
            (format!("{prefix}-{i}"), text.join(" "))
        })
        .collect()
}

fn opts(inputs: Vec<PathBuf>, out: &Path, tokenizer: &str) -> BuildOptions {
    let mut o = BuildOptions::new(inputs, out.to_path_buf(), tokenizer);
    o.threads = 2;
    o.max_document_bytes = 1 << 20;
    o.side_indexes = vec![Normalization::Words];
    o
}

fn append(input: PathBuf, out: &Path) {
    let mut o = BuildOptions::new(vec![input], out.to_path_buf(), "");
    o.threads = 2;
    o.max_document_bytes = 1 << 20;
    o.append = true;
    verbatim_indexer::build(&o).unwrap();
}

/// Four corpus files, and the index built from all of them at once.
fn corpus(dir: &Path, tokenizer: &str) -> (Vec<PathBuf>, PathBuf) {
    let files: Vec<PathBuf> = ["a", "bb", "ccc", "dddd"]
        .iter()
        .map(|p| support::write_jsonl(dir, &format!("{p}.jsonl"), &docs(p, 40, 60)))
        .collect();
    let whole = dir.join("whole");
    verbatim_indexer::build(&opts(files.clone(), &whole, tokenizer)).unwrap();
    (files, whole)
}

/// The index of `files` built as one build and three appends (four shards).
fn appended(files: &[PathBuf], out: &Path, tokenizer: &str) {
    verbatim_indexer::build(&opts(vec![files[0].clone()], out, tokenizer)).unwrap();
    for f in &files[1..] {
        append(f.clone(), out);
    }
}

/// Every answer that must not depend on the sharding: counts of every word n-gram of some
/// texts, their spans, traces and documents, document lookups by id, and the side index's
/// counts.
fn assert_same_answers(a: &Index, b: &Index) {
    assert_eq!(a.manifest().documents, b.manifest().documents);
    assert_eq!(a.manifest().tokens, b.manifest().tokens);
    let texts: Vec<String> = docs("probe", 6, 80)
        .into_iter()
        .chain(docs("bb", 5, 60))
        .map(|(_, t)| t)
        .collect();
    for text in &texts {
        let words: Vec<&str> = text.split(' ').collect();
        for n in [1, 2, 3, 5] {
            for w in words.windows(n).step_by(3) {
                let q = w.join(" ");
                let ids = a.tokenizer().encode_ids(&q).unwrap();
                assert_eq!(a.count(&ids), b.count(&ids), "count of {q:?}");
            }
        }
        let enc = a.tokenizer().encode(text).unwrap();
        let so = SpanOptions::defaults_for(a);
        let sa: Vec<_> = a
            .spans(text, &enc, &so)
            .into_iter()
            .map(|s| (s.token_start, s.token_end, s.count))
            .collect();
        let sb: Vec<_> = b
            .spans(text, &enc, &so)
            .into_iter()
            .map(|s| (s.token_start, s.token_end, s.count))
            .collect();
        assert_eq!(sa, sb, "spans of {text:?}");
        // CNF counts start from the whole index's rarest clause: with each shard's, 3 shards
        // and 1 counted `dog AND sat AND ran` 39 and 44 times (a review's reproduction).
        let term = |w: &str| a.tokenizer().encode_ids(w).unwrap();
        for k in (0..words.len() - 4).step_by(7) {
            let cnf = vec![
                vec![term(words[k])],
                vec![term(words[k + 2]), term(words[k + 3])],
                vec![term(words[k + 4])],
            ];
            let opts = verbatim_core::query::CnfOptions {
                max_clause_freq: 1 << 40,
                max_diff_tokens: 20,
                ..Default::default()
            };
            let (ma, mb) = (a.find_cnf(&cnf, opts), b.find_cnf(&cnf, opts));
            assert!(!ma.approx && !mb.approx);
            assert_eq!(ma.count, mb.count, "CNF {cnf:?}");
            assert_eq!(a.cnf_document_count(&ma), b.cnf_document_count(&mb));
        }
        let to = TraceOptions::defaults_for(a);
        let ta = a.trace(text, None, &to).unwrap();
        let tb = b.trace(text, None, &to).unwrap();
        let docs_of = |t: &verbatim_core::query::trace::Trace| -> Vec<(u64, String, u64)> {
            t.documents
                .iter()
                .map(|d| {
                    (
                        d.location.doc_no,
                        d.record.id.clone(),
                        (d.bm25 * 1e9) as u64,
                    )
                })
                .collect()
        };
        assert_eq!(docs_of(&ta), docs_of(&tb), "trace of {text:?}");
        let side_a = a.side(Normalization::Words).unwrap();
        let side_b = b.side(Normalization::Words).unwrap();
        let ids = side_a
            .tokenizer()
            .encode_ids(&words[..4].join(" "))
            .unwrap();
        assert_eq!(side_a.count(&ids), side_b.count(&ids));
    }
    for p in ["a", "bb", "ccc", "dddd"] {
        for i in [0, 7, 39] {
            let id = format!("{p}-{i}");
            let (la, lb) = (a.doc_by_id(&id), b.doc_by_id(&id));
            assert_eq!(la.map(|l| l.doc_no), lb.map(|l| l.doc_no), "{id}");
            if let (Some(la), Some(lb)) = (la, lb) {
                assert_eq!(a.doc_text(la), b.doc_text(lb), "{id}");
                assert_eq!(a.doc_record(la).unwrap(), b.doc_record(lb).unwrap(), "{id}");
            }
        }
    }
}

fn shard_dirs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            let e = e.as_ref().unwrap();
            e.file_name().to_string_lossy().starts_with("shard-") && e.path().is_dir()
        })
        .count()
}

#[test]
fn a_compacted_index_answers_as_the_index_built_at_once() {
    for tokenizer in ["bytes", "words"] {
        let dir = tempfile::tempdir().unwrap();
        let tok = if tokenizer == "words" {
            support::word_tokenizer(dir.path(), 80)
                .to_string_lossy()
                .into_owned()
        } else {
            tokenizer.to_string()
        };
        let (files, whole) = corpus(dir.path(), &tok);
        let out = dir.path().join("grown");
        appended(&files, &out, &tok);
        let before = Index::open(&out).unwrap();
        assert_eq!(before.shards().len(), 4);
        assert_same_answers(&before, &Index::open(&whole).unwrap());
        drop(before);
        // One takedown before compacting: it stays in force.
        let bin = support::verbatim_bin();
        let o = Command::new(&bin)
            .args(["takedown", "add", "--index"])
            .arg(&out)
            .arg("ccc-3")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

        let s = verbatim_indexer::compact(&CompactOptions::new(out.clone())).unwrap();
        assert!(s.changed());
        assert_eq!(s.indexes.len(), 2, "the main index and its side index");
        for i in &s.indexes {
            assert_eq!((i.shards_before, i.shards_after), (4, 1), "{}", i.name);
            assert_eq!(i.groups, vec![0..4]);
        }
        let index = Index::open(&out).unwrap();
        verbatim_core::verify::verify(&index).unwrap();
        assert_eq!(index.shards().len(), 1);
        assert_eq!(shard_dirs(&out), 1, "the replaced shards are removed");
        assert_eq!(shard_dirs(&out.join("side/words")), 1);
        assert!(index.doc_by_id("ccc-3").is_none());
        let whole = Index::open(&whole).unwrap();
        let doc_no = whole.doc_by_id("ccc-3").unwrap().doc_no;
        assert!(index.is_taken_down(doc_no));
        // The same answers as the index built at once once that document is taken down.
        let o = Command::new(&bin)
            .args(["takedown", "add", "--index"])
            .arg(whole.dir())
            .arg("ccc-3")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_same_answers(&index, &Index::open(whole.dir()).unwrap());
        assert!(!out.join(".verbatim-append.lock").exists());

        // Appends go on, with shard names that do not clash with the compacted shard's.
        let e = support::write_jsonl(dir.path(), "e.jsonl", &docs("eeeee", 10, 30));
        append(e, &out);
        let index = Index::open(&out).unwrap();
        verbatim_core::verify::verify(&index).unwrap();
        assert_eq!(index.shards().len(), 2);
        assert_eq!(index.manifest().documents, 170);
    }
}

#[test]
fn the_budget_and_the_shard_cap_size_the_groups() {
    let dir = tempfile::tempdir().unwrap();
    let (files, whole) = corpus(dir.path(), "bytes");
    let out = dir.path().join("grown");
    appended(&files, &out, "bytes");
    let tokens: Vec<u64> = Index::open(&out)
        .unwrap()
        .shards()
        .iter()
        .map(|s| s.info().tokens)
        .collect();
    // Room for two shards (and their records), not three.
    let mut o = CompactOptions::new(out.clone());
    o.shard_max_tokens = tokens[0] + tokens[1] + tokens[2] / 2;
    let s = verbatim_indexer::compact(&o).unwrap();
    assert_eq!(s.indexes[0].groups, vec![0..2, 2..4]);
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    assert_eq!(index.shards().len(), 2);
    assert_same_answers(&index, &Index::open(&whole).unwrap());
    // Nothing more fits: nothing changes.
    let manifest = std::fs::read(out.join("manifest.bin")).unwrap();
    let s = verbatim_indexer::compact(&o).unwrap();
    assert!(!s.changed());
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), manifest);

    // A budget below what any shard needs is refused, naming one that works.
    let mut o = CompactOptions::new(out.clone());
    o.max_memory = Some(1 << 20);
    let err = format!("{:#}", verbatim_indexer::compact(&o).unwrap_err());
    assert!(
        err.contains("too small to compact") && err.contains("--max-memory"),
        "{err}"
    );
    let err = format!(
        "{:#}",
        verbatim_indexer::compact(&CompactOptions::new(dir.path().join("nothing"))).unwrap_err()
    );
    assert!(err.contains("not a verbatim index"), "{err}");
}

#[test]
fn compaction_moves_shards_under_roots_and_a_corrupt_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (files, whole) = corpus(dir.path(), "bytes");
    let out = dir.path().join("grown");
    appended(&files, &out, "bytes");
    let root = dir.path().join("disk2");
    let mut o = CompactOptions::new(out.clone());
    o.shard_roots = vec![root.clone()];
    verbatim_indexer::compact(&o).unwrap();
    let index = Index::open(&out).unwrap();
    let p = Path::new(&index.manifest().shards[0].dir);
    assert!(p.is_absolute() && p.starts_with(root.canonicalize().unwrap()));
    assert_eq!(shard_dirs(&out), 0);
    verbatim_core::verify::verify(&index).unwrap();
    assert_same_answers(&index, &Index::open(&whole).unwrap());

    // Shards that lived under a root are left there (a copy of the index may use them), and
    // named.
    let out = dir.path().join("rooted");
    let mut b = opts(files.clone(), &out, "bytes");
    b.shard_roots = vec![root.clone()];
    b.shard_max_tokens = 12_000;
    let built = verbatim_indexer::build(&b).unwrap();
    let n = built.manifest.shards.len();
    assert!(n >= 3, "{n} shards");
    let s = verbatim_indexer::compact(&CompactOptions::new(out.clone())).unwrap();
    assert_eq!(s.indexes[0].shards_after, 1);
    assert!(
        s.left_under_roots.len() >= n,
        "the main index's shards, and any side index's"
    );
    assert!(s.left_under_roots.iter().all(|d| d.is_dir()));
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    assert_eq!(shard_dirs(&out), 1);
    assert_same_answers(&index, &Index::open(&whole).unwrap());

    // A flipped byte in a shard is refused before anything is written.
    let out = dir.path().join("grown2");
    appended(&files, &out, "bytes");
    let victim = out.join("shard-00002/tokens.bin");
    let mut bytes = std::fs::read(&victim).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&victim, bytes).unwrap();
    let manifest = std::fs::read(out.join("manifest.bin")).unwrap();
    let err = format!(
        "{:#}",
        verbatim_indexer::compact(&CompactOptions::new(out.clone())).unwrap_err()
    );
    assert!(err.contains("verbatim verify"), "{err}");
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), manifest);
    assert_eq!(shard_dirs(&out), 4);
}

/// A token stream damaged into ids past the vocabulary is refused as a damaged file (it was
/// blamed on the tokenizer, since the shard builder saw the bad id before the checksum).
#[test]
fn a_token_stream_damaged_past_the_vocabulary_is_named_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let tokenizer = support::word_tokenizer(dir.path(), 80);
    let files: Vec<PathBuf> = ["a", "bb"]
        .iter()
        .map(|p| support::write_jsonl(dir.path(), &format!("{p}.jsonl"), &docs(p, 40, 60)))
        .collect();
    let out = dir.path().join("grown");
    appended(&files, &out, tokenizer.to_str().unwrap());
    let victim = out.join("shard-00001/tokens.bin");
    let mut bytes = std::fs::read(&victim).unwrap();
    let at = bytes.len() / 2;
    bytes[at..at + 8].fill(0xff);
    std::fs::write(&victim, bytes).unwrap();
    let err = format!(
        "{:#}",
        verbatim_indexer::compact(&CompactOptions::new(out.clone())).unwrap_err()
    );
    assert!(
        err.contains("tokens.bin is damaged") && !err.contains("tokenizer produced"),
        "{err}"
    );
}

/// `kill -9` at several moments of a compaction: the index opens, verifies and answers as
/// before; a later compaction completes.
#[test]
fn a_killed_compaction_leaves_the_index_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = Vec::new();
    for i in 0..30 {
        big.extend(docs(&format!("k{i}x"), 200, 200));
    }
    let files: Vec<PathBuf> = (0..3)
        .map(|k| {
            support::write_jsonl(
                dir.path(),
                &format!("part{k}.jsonl"),
                &big[k * 2000..(k + 1) * 2000],
            )
        })
        .collect();
    let out = dir.path().join("idx");
    appended(&files, &out, "bytes");
    let bin = support::verbatim_bin();
    let killed_mid_way = support::kill_at_moments(
        &out,
        &[30, 150, 400, 900],
        || {
            let mut cmd = Command::new(&bin);
            cmd.args(["compact", "--threads", "2"]).arg(&out);
            cmd
        },
        |index| assert_eq!(index.shards().len(), 3),
    )
    .killed_mid_way;
    assert!(
        killed_mid_way >= 2,
        "the compaction ended before it could be killed"
    );
    let o = Command::new(&bin)
        .arg("compact")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    assert_eq!(index.shards().len(), 1);
    assert_eq!(shard_dirs(&out), 1, "leftover shard directories");
    assert_eq!(index.manifest().documents, 6000);
}

/// Many small shards (left by a small `--shard-max-tokens`, or by many appends) compact into
/// one under a budget that holds them all: the room for the new shard's table chunks is
/// counted once per new shard (it was counted for every old shard, so 70 tiny shards became 2
/// under 1 GiB).
#[test]
fn many_tiny_shards_compact_into_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "tiny.jsonl", &docs("t", 70, 8));
    let out = dir.path().join("idx");
    let mut o = opts(vec![input], &out, "bytes");
    o.side_indexes = Vec::new();
    o.fulltext = false;
    o.shard_max_tokens = 40;
    verbatim_indexer::build(&o).unwrap();
    assert_eq!(Index::open(&out).unwrap().shards().len(), 70);
    let mut c = CompactOptions::new(out.clone());
    c.max_memory = Some(1 << 30);
    c.shard_max_tokens = 1_000_000;
    verbatim_indexer::compact(&c).unwrap();
    let index = Index::open(&out).unwrap();
    assert_eq!(index.shards().len(), 1);
    verbatim_core::verify::verify(&index).unwrap();
}
