//! Helpers shared by the integration tests: generated tokenizers and corpora, index builds.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use verbatim_indexer::BuildOptions;

/// Writes a WordLevel `tokenizer.json` whose vocabulary is `w0 .. w{n-1}` plus `.` and `,`
/// (whitespace-split, no normalizer). `n > 65,533` gives a u32 index.
pub fn word_tokenizer(dir: &Path, n: usize) -> PathBuf {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), 0.into());
    vocab.insert(".".into(), 1.into());
    vocab.insert(",".into(), 2.into());
    for i in 0..n {
        vocab.insert(format!("w{i}"), (i + 3).into());
    }
    let json = serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    });
    let path = dir.join(format!("wordlevel-{n}.json"));
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    path
}

/// Writes documents as JSONL (`{"id","source","text"}`) and returns the path.
pub fn write_jsonl(dir: &Path, name: &str, docs: &[(String, String)]) -> PathBuf {
    let path = dir.join(name);
    let mut out = String::new();
    for (id, text) in docs {
        out.push_str(&serde_json::json!({"id": id, "source": "test", "text": text, "title": format!("T {id}")}).to_string());
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
    path
}

/// Builds an index of `inputs` into `out` with `tokenizer`, optionally small shards.
pub fn build(
    inputs: Vec<PathBuf>,
    out: &Path,
    tokenizer: &str,
    shard_max_tokens: Option<u64>,
) -> verbatim_indexer::BuildSummary {
    let mut o = BuildOptions::new(inputs, out.to_path_buf(), tokenizer);
    o.threads = 2;
    if let Some(s) = shard_max_tokens {
        o.shard_max_tokens = s;
    }
    verbatim_indexer::build(&o).expect("build succeeds")
}

/// A path under `../shared/data`, or `None` (printing why) when it is absent on a user's
/// machine. With `CI` set a missing path is a failure.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing, and CI is set: the shared data must be present in CI",
            p.display()
        );
    }
    eprintln!(
        "skipped: {} is not present (tests over shared data run where it exists)",
        p.display()
    );
    None
}

/// The `verbatim` binary built for these tests.
pub fn verbatim_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_verbatim"))
}
