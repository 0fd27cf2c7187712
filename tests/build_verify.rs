//! Building, opening, verifying, stats, takedowns and atomic replacement.

use crate::support;
use std::process::Command;
use verbatim_core::Index;

fn small_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let docs: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("doc-{i}"),
                format!("It was the best of times, it was the worst of times. Document number {i} says hello.\nA second line {i}."),
            )
        })
        .collect();
    support::write_jsonl(dir, "corpus.jsonl", &docs)
}

#[test]
fn build_open_verify_and_query_a_byte_index() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_corpus(dir.path());
    let out = dir.path().join("idx");
    let summary = support::build(vec![input], &out, "bytes", None);
    assert_eq!(summary.manifest.documents, 40);
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    let ids = index.tokenizer().encode_ids("the worst of times").unwrap();
    assert_eq!(index.count(&ids), 40);
    let doc = index.document_by_id("doc-7", None).unwrap();
    assert!(doc.text.contains("Document number 7 says hello"));
    assert_eq!(doc.record.metadata["title"], "T doc-7");
    assert_eq!(doc.record.source.as_deref(), Some("test"));
    // At most 0 tokens is refused (the API's 400), not an empty text.
    let zero = index
        .document_by_id("doc-7", Some(0))
        .unwrap_err()
        .to_string();
    assert!(zero.contains("max_tokens must be at least 1"), "{zero}");
    // The full-text index finds it by keyword.
    let hits = index
        .fulltext()
        .unwrap()
        .search("number 7", 0, 5)
        .unwrap()
        .hits;
    assert!(hits.iter().any(|h| h.doc_no == doc.location.doc_no));
}

/// The small corpus built under `dir` as a byte index of 1,000-token shards, and its path.
fn small_sharded(dir: &std::path::Path) -> (verbatim_indexer::BuildSummary, std::path::PathBuf) {
    let input = small_corpus(dir);
    let out = dir.join("idx");
    (support::build(vec![input], &out, "bytes", Some(1000)), out)
}

#[test]
fn multi_shard_build_counts_across_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (s, out) = small_sharded(dir.path());
    assert!(
        s.manifest.shards.len() > 3,
        "{} shards",
        s.manifest.shards.len()
    );
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    let ids = index.tokenizer().encode_ids("says hello").unwrap();
    assert_eq!(index.count(&ids), 40);
    for i in [0, 13, 39] {
        assert!(index.doc_by_id(&format!("doc-{i}")).is_some());
    }
}

#[test]
fn warming_rereads_every_file_and_changes_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (s, out) = small_sharded(dir.path());
    let index = Index::open(&out).unwrap();
    let ids = index.tokenizer().encode_ids("says hello").unwrap();
    // The documents a trace cites, with their scores' bits.
    let traced = || {
        let opts = verbatim_core::query::TraceOptions::defaults_for(&index);
        let t = index
            .trace("Document number 7 says hello.", None, &opts)
            .unwrap();
        t.documents
            .iter()
            .map(|d| (d.record.id.clone(), d.bm25.to_bits()))
            .collect::<Vec<_>>()
    };
    let before = traced();
    let report = verbatim_core::warm::warm(&index).unwrap();
    // Six files per shard (suffix samples included), the id map and the sources table.
    assert_eq!(report.files, 6 * s.manifest.shards.len() + 2);
    let payloads: u64 = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("shard-"))
        .flat_map(|e| std::fs::read_dir(e.path()).unwrap().flatten())
        .map(|f| f.metadata().unwrap().len() - verbatim_core::format::HEADER_LEN as u64)
        .sum();
    assert!(
        report.bytes > payloads,
        "{report:?} holds every shard file's payload ({payloads} bytes)"
    );
    assert_eq!(index.count(&ids), 40);
    assert_eq!(traced(), before);
    verbatim_core::verify::verify(&index).unwrap();
    // The server's flag runs it before serving.
    let server = crate::server_api::Server::start(&out, &["--warm"]);
    assert_eq!(server.get("/health").0, 200);
}

#[test]
fn cli_index_verify_stats_count_spans_trace_doc_takedown() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_corpus(dir.path());
    let out = dir.path().join("cli-idx");
    let bin = support::verbatim_bin();
    let run = |args: &[&str]| {
        let o = Command::new(&bin).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    let outs = out.to_str().unwrap();
    run(&[
        "index",
        "--input",
        input.to_str().unwrap(),
        "--out",
        outs,
        "--tokenizer",
        "bytes",
        "--name",
        "small",
    ]);
    assert!(run(&["verify", outs]).starts_with("ok:"));
    assert!(run(&["stats", outs]).contains("documents  40"));
    let c: serde_json::Value = serde_json::from_str(&run(&[
        "count",
        "--index",
        outs,
        "--text",
        "worst of times",
        "--json",
    ]))
    .unwrap();
    assert_eq!(c["count"], 40);
    let s: serde_json::Value = serde_json::from_str(&run(&[
        "spans",
        "--index",
        outs,
        "--text",
        "They said it was the worst of times, truly.",
        "--json",
    ]))
    .unwrap();
    assert!(s["spans"].as_array().unwrap().iter().any(|x| x["text"]
        .as_str()
        .unwrap()
        .contains("it was the worst of times")));
    let t: serde_json::Value = serde_json::from_str(&run(&[
        "trace",
        "--index",
        outs,
        "--text",
        "Document number 12 says hello to you",
        "--json",
    ]))
    .unwrap();
    assert!(!t["documents"].as_array().unwrap().is_empty());
    assert!(run(&["doc", "--index", outs, "doc-3"]).contains("Document number 3 says"));
    // Takedown: the document disappears from results without a rebuild, and comes back.
    run(&["takedown", "add", "--index", outs, "doc-12"]);
    let t: serde_json::Value = serde_json::from_str(&run(&[
        "trace",
        "--index",
        outs,
        "--text",
        "Document number 12 says hello to you",
        "--json",
        "--density",
        "1",
    ]))
    .unwrap();
    assert!(t["documents"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["id"] != "doc-12"));
    assert!(run(&["takedown", "list", "--index", outs]).contains("doc-12"));
    let o = Command::new(&bin)
        .args(["doc", "--index", outs, "doc-12"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    run(&["takedown", "remove", "--index", outs, "doc-12"]);
    assert!(run(&["doc", "--index", outs, "doc-12"]).contains("Document number 12"));
    // An existing index is not replaced without --force.
    let o = Command::new(&bin)
        .args([
            "index",
            "--input",
            input.to_str().unwrap(),
            "--out",
            outs,
            "--tokenizer",
            "bytes",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
}

#[test]
fn an_interrupted_build_leaves_nothing_that_opens() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_corpus(dir.path());
    let out = dir.path().join("idx");
    let mut child = Command::new(support::verbatim_bin())
        .args([
            "index",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--tokenizer",
            "bytes",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(30));
    let _ = child.kill();
    let status = child.wait().unwrap();
    if !status.success() {
        assert!(
            Index::open(&out).is_err(),
            "a killed build must not leave an index"
        );
    }
    // Whatever happened, the target is either absent or a complete, verified index.
    if out.exists() {
        let index = Index::open(&out).unwrap();
        verbatim_core::verify::verify(&index).unwrap();
    }
}

/// A tokenizer.json saved with padding and truncation (BERT's pads every text to 128 tokens
/// and cuts it there) neither pads nor cuts documents or queries: both would make wrong
/// indexes and wrong counts.
#[test]
fn a_tokenizer_saved_with_padding_and_truncation_neither_pads_nor_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let plain = support::word_tokenizer(dir.path(), 50);
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&plain).unwrap()).unwrap();
    json["padding"] = serde_json::json!({"strategy": {"Fixed": 16}, "direction": "Right",
        "pad_to_multiple_of": null, "pad_id": 0, "pad_type_id": 0, "pad_token": "[UNK]"});
    json["truncation"] = serde_json::json!({"direction": "Right", "max_length": 4, "strategy": "LongestFirst", "stride": 0});
    let padded = dir.path().join("padded.json");
    std::fs::write(&padded, serde_json::to_vec(&json).unwrap()).unwrap();
    let words = |from: usize, n: usize| -> String {
        (from..from + n)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let docs = vec![
        ("a".to_string(), words(0, 10)),
        ("b".to_string(), words(5, 3)),
    ];
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let out = dir.path().join("idx");
    let s = support::build(vec![input], &out, padded.to_str().unwrap(), None);
    // 13 word tokens and one separator per document: no padding, nothing cut.
    assert_eq!(s.manifest.tokens, 15);
    let index = Index::open(&out).unwrap();
    let a = index.document_by_id("a", None).unwrap();
    assert_eq!(a.text.split_whitespace().count(), 10, "{}", a.text);
    let q = index.tokenizer().encode_ids(&words(4, 6)).unwrap();
    assert_eq!(q.len(), 6);
    assert_eq!(index.count(&q), 1);
    let q = index.tokenizer().encode(&words(5, 2)).unwrap();
    assert_eq!(q.ids.len(), 2);
    assert_eq!(index.count(&q.ids), 2);
}

/// A tokenizer whose ids have gaps (its highest id past its number of entries) builds and
/// counts: the unigram table covers every id (it used to be sized by the number of entries,
/// and indexing panicked).
#[test]
fn a_vocabulary_with_gaps_in_its_ids_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let json = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1, "far": 60000},
                  "unk_token": "[UNK]"}
    });
    let tok = dir.path().join("gaps.json");
    std::fs::write(&tok, serde_json::to_vec(&json).unwrap()).unwrap();
    let docs = vec![("x".to_string(), "a far a far".to_string())];
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let out = dir.path().join("idx");
    support::build(vec![input], &out, tok.to_str().unwrap(), None);
    let index = Index::open(&out).unwrap();
    verbatim_core::verify::verify(&index).unwrap();
    assert_eq!(index.tokenizer().vocab_size(), 60001);
    assert_eq!(index.tokenizer().width(), verbatim_core::TokenWidth::U16);
    assert_eq!(index.count(&[1, 60000]), 2);
    assert_eq!(index.unigram_counts()[60000], 2);
}

/// Keyword-search snippets are cut at the hit in the original text even where lowercasing
/// changes lengths before it (`İ`: 2 bytes, lowercased 3), and a byte-token match that
/// begins inside a character (`\u{3000}` and the corpus's `\u{2000}` share their last two
/// bytes) is reported from the next whole character: the cited text holds no `\u{3000}`.
#[test]
fn keyword_snippets_after_length_changing_lowercase_and_spans_never_splitting_a_character() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![
        (
            "i".to_string(),
            format!("{} the target is here", "İ".repeat(60)),
        ),
        ("u".to_string(), "\u{2000}xyz".to_string()),
    ];
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let out = dir.path().join("idx");
    support::build(vec![input], &out, "bytes", None);
    let index = Index::open(&out).unwrap();
    let loc = index.doc_by_id("i").unwrap();
    let snippet = index.keyword_snippet(loc, "target", 30).text;
    assert!(snippet.contains("the target is here"), "{snippet}");
    let text = "\u{3000}xyz";
    let enc = index.tokenizer().encode(text).unwrap();
    let mut o = verbatim_core::query::SpanOptions::defaults_for(&index);
    o.word_boundaries = false;
    let spans = index.spans(text, &enc, &o);
    let s = spans
        .iter()
        .max_by_key(|s| s.token_end - s.token_start)
        .unwrap();
    assert_eq!((s.byte_start, s.byte_end), (3, 6));
    assert_eq!(s.text, "xyz");
}

/// Starts `verbatim ARGS` and reads its standard error until it says it waits for a commit
/// lock; returns the child (which the caller waits for) and that line.
#[allow(clippy::zombie_processes)] // returned to the caller, which waits; a failed test ends the process
fn spawn_until_waiting(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(support::verbatim_bin())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let status = child.wait();
            panic!("{args:?} ended without waiting ({status:?})");
        }
        if line.contains("waiting for another process to finish changing") {
            return (child, line);
        }
    }
}

/// An append holds the index's commit lock for its whole run: it waits while a forced build
/// (here, the test) holds it, and adds nothing before it is released.
#[test]
fn an_append_waits_for_the_commit_lock_of_a_forced_build() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_corpus(dir.path());
    let out = dir.path().join("idx");
    support::build(vec![input], &out, "bytes", None);
    let more = support::write_jsonl(
        dir.path(),
        "more.jsonl",
        &[(
            "new-1".to_string(),
            "A new document, appended later.".to_string(),
        )],
    );
    let manifest = std::fs::read(out.join("manifest.bin")).unwrap();
    let lock = verbatim_indexer::takedowns::lock_for_change(&out).unwrap();
    let (mut child, line) = spawn_until_waiting(&[
        "index",
        "--append",
        "--input",
        more.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(line.contains(".idx.commit.lock"), "{line}");
    assert_eq!(std::fs::read(out.join("manifest.bin")).unwrap(), manifest);
    drop(lock);
    assert!(child.wait().unwrap().success());
    let index = Index::open(&out).unwrap();
    assert!(index.doc_by_id_ignoring_takedowns("new-1").is_some());
    assert_eq!(support::dot_entries(dir.path()), [".idx.commit.lock"]);
}

/// `verbatim takedown add` waits for the index's commit lock (held here as a forced build
/// holds it from its last read of the takedown list to its renames), opens the index only
/// then, and writes its list after the lock is released.
#[test]
fn a_takedown_waits_for_the_commit_lock_of_a_forced_build() {
    let dir = tempfile::tempdir().unwrap();
    let input = small_corpus(dir.path());
    let out = dir.path().join("idx");
    support::build(vec![input], &out, "bytes", None);
    let lock = verbatim_indexer::takedowns::lock_for_change(&out).unwrap();
    let (mut child, line) =
        spawn_until_waiting(&["takedown", "add", "--index", out.to_str().unwrap(), "doc-7"]);
    assert!(line.contains(".idx.commit.lock"), "{line}");
    assert!(
        !out.join("takedown.bin").exists(),
        "written while the lock was held"
    );
    drop(lock);
    assert!(child.wait().unwrap().success());
    let index = Index::open(&out).unwrap();
    let no = index.doc_by_id_ignoring_takedowns("doc-7").unwrap();
    assert!(index.is_taken_down(no));
    assert_eq!(support::dot_entries(dir.path()), [".idx.commit.lock"]);
}
