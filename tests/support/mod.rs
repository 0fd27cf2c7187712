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

/// The demo tokenizer (OLMo's GPT-NeoX, byte-level BPE).
pub fn demo_tokenizer() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpora/demo/tokenizer.json")
}

/// Writes a second byte-level BPE tokenizer: the demo tokenizer with the ids of its model
/// vocabulary reversed (added tokens keep theirs). It splits every text into the same pieces
/// as the demo tokenizer but gives them other ids, so any cache shared between the two shows
/// up as wrong ids.
pub fn permuted_demo_tokenizer(dir: &Path) -> PathBuf {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo_tokenizer()).unwrap()).unwrap();
    let added: std::collections::HashSet<u64> = json["added_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    let vocab = json["model"]["vocab"].as_object_mut().unwrap();
    let mut ids: Vec<u64> = vocab
        .values()
        .map(|v| v.as_u64().unwrap())
        .filter(|i| !added.contains(i))
        .collect();
    ids.sort_unstable();
    let reversed: std::collections::HashMap<u64, u64> = ids
        .iter()
        .zip(ids.iter().rev())
        .map(|(a, b)| (*a, *b))
        .collect();
    for v in vocab.values_mut() {
        let id = v.as_u64().unwrap();
        if let Some(new) = reversed.get(&id) {
            *v = (*new).into();
        }
    }
    let path = dir.join("permuted-neox.json");
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    path
}

/// Copies the directory tree `from` to `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The names in `dir` starting with a dot (the leftovers of builds, lock files), sorted.
pub fn dot_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Runs `cmd` (its output discarded), waits `delay_ms` and sends it SIGKILL; whether it had
/// finished before the kill.
pub fn kill_after(cmd: &mut std::process::Command, delay_ms: u64) -> bool {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(delay_ms));
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    finished
}

/// What [`kill_at_moments`] saw.
pub struct Kills {
    /// Runs killed before they committed.
    pub killed_mid_way: usize,
    /// A run finished (or committed just before its kill).
    pub completed: bool,
}

/// Runs the command `make` builds (an append or a compaction of the index in `index`) once
/// per delay, sending it SIGKILL after that many milliseconds, until a run finishes or commits
/// (its `manifest.bin` changes). After each run killed before its commit, `manifest.bin` must
/// be byte for byte as before and the index must open and verify; `check` gets it too.
pub fn kill_at_moments(
    index: &Path,
    delays_ms: &[u64],
    make: impl Fn() -> std::process::Command,
    check: impl Fn(&verbatim_core::Index),
) -> Kills {
    let manifest = || std::fs::read(index.join("manifest.bin")).unwrap();
    let before = manifest();
    let mut kills = Kills {
        killed_mid_way: 0,
        completed: false,
    };
    for &delay_ms in delays_ms {
        let finished = kill_after(&mut make(), delay_ms);
        // Finished, or committed between the check and the kill: nothing more to test.
        if finished || manifest() != before {
            kills.completed = true;
            break;
        }
        kills.killed_mid_way += 1;
        assert_eq!(manifest(), before, "killed after {delay_ms} ms");
        let opened = verbatim_core::Index::open(index).unwrap();
        check(&opened);
        verbatim_core::verify::verify(&opened).unwrap();
    }
    kills
}

/// The `VmFlags` of every mapping this process has of a file under `dir`, by file name
/// (`rr`: advised `MADV_RANDOM`, `hg`: `MADV_HUGEPAGE`; see proc(5)).
#[cfg(target_os = "linux")]
pub fn vm_flags_under(dir: &Path) -> Vec<(String, String)> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let dir = dir.canonicalize().unwrap().display().to_string();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in smaps.lines() {
        if let Some(flags) = line.strip_prefix("VmFlags:") {
            if let Some(name) = current.take() {
                out.push((name, flags.trim().to_string()));
            }
        } else if line
            .split_whitespace()
            .next()
            .is_some_and(|a| a.contains('-'))
            && line.split_whitespace().count() >= 6
        {
            current = line
                .split_whitespace()
                .nth(5)
                .filter(|p| p.starts_with(&dir))
                .map(|p| {
                    Path::new(p)
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                });
        }
    }
    out
}

/// A router served on a loopback port by its own runtime, which lives as long as this.
pub struct LoopbackServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    _rt: tokio::runtime::Runtime,
}

/// Serves `app` on a free loopback port (for tests that need a real socket).
pub fn serve_loopback(app: axum::Router) -> LoopbackServer {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    LoopbackServer { addr, _rt: rt }
}

/// Takes the document `id` of the index in `dir` down, as `verbatim takedown add` does.
pub fn take_down(dir: &Path, id: &str) {
    let opened = verbatim_core::Index::open(dir).unwrap();
    let no = opened.id_map().unwrap().get(id).unwrap();
    let mut list = verbatim_core::takedown::Takedown::load(dir, opened.index_id()).unwrap();
    list.insert(no);
    list.save(dir, opened.index_id()).unwrap();
}

/// The HTTP app over the index in `dir`, without a response cache (every request answered
/// afresh), 2 workers.
pub fn uncached_router(dir: &Path) -> axum::Router {
    let ix = std::sync::Arc::new(verbatim_core::Index::open(dir).unwrap());
    let config = verbatim_server::ServerConfig {
        cache_entries: 0,
        workers: 2,
        queue: 16,
        ..verbatim_server::ServerConfig::default()
    };
    let state = verbatim_server::AppState::new(config, vec![ix], None).unwrap();
    verbatim_server::app(std::sync::Arc::new(state))
}

/// `verify`'s error for a copy of index `dir` at `copy` whose file `name` was changed by
/// `damage`.
pub fn verify_error_of_damaged(
    dir: &Path,
    copy: &Path,
    name: &str,
    damage: impl FnOnce(&mut Vec<u8>),
) -> String {
    copy_dir(dir, copy);
    let mut bytes = std::fs::read(copy.join(name)).unwrap();
    damage(&mut bytes);
    std::fs::write(copy.join(name), bytes).unwrap();
    verbatim_core::verify::verify(&verbatim_core::Index::open(copy).unwrap())
        .unwrap_err()
        .to_string()
}
