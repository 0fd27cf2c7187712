//! Served generations and takedowns: a group over an index rebuilt unlike its other members,
//! a takedown that finishes while a request's body arrives, a full-text index re-advised after
//! its directory changed, an append committed while the server starts (each of these once
//! gave a wrong answer: a taken-down document shown, another build's hits, or a generation
//! never served).

use crate::router::{get, post};
use crate::support;
use axum::Router;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verbatim_core::Index;
use verbatim_server::select::GroupSpec;
use verbatim_server::{AppState, ServerConfig};

const TALE: &str = "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.";
const TALE_ID: &str = "books/tale/1";

fn tale_docs() -> Vec<(String, String)> {
    vec![
        (TALE_ID.into(), format!("{TALE}\n\nIt was the epoch of belief.")),
        ("docs/sorted".into(), "The built-in sorted() function returns a new sorted list from the items in iterable. The sort is guaranteed to be stable.".into()),
    ]
}

fn other_docs() -> Vec<(String, String)> {
    vec![(
        "books/harbour/1".into(),
        "Quietly the lighthouse keeper counted seventeen gulls above the harbour wall.".into(),
    )]
}

/// Builds `docs` into `dir/name` (named `name`) with `tokenizer`; `force` replaces an index.
fn build(
    dir: &Path,
    name: &str,
    docs: &[(String, String)],
    tokenizer: &Path,
    force: bool,
) -> PathBuf {
    let input = support::write_jsonl(dir, &format!("{name}-{}.jsonl", docs.len()), docs);
    let out = dir.join(name);
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], out.clone(), tokenizer.to_str().unwrap());
    o.threads = 2;
    o.name = name.into();
    o.force = force;
    verbatim_indexer::build(&o).expect("build succeeds");
    out
}

fn shown(trace: &Value) -> Vec<String> {
    trace["documents"]
        .as_array()
        .unwrap_or_else(|| panic!("no documents: {trace}"))
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asks `/health` until `done` holds for `index`'s generation entry (60 s at most).
async fn until(app: &Router, index: &str, done: impl Fn(&Value) -> bool) -> Value {
    let t = Instant::now();
    loop {
        let (_, h) = get(app, "/health").await;
        if done(&h["generations"][index]) {
            return h;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "{index}: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A served index rebuilt (`--force`, same name) with another tokenizer cannot join the
/// `--group` it is in: its reload fails (reported by `/health`), rather than the group going
/// on answering from the replaced instance, which nothing would refresh any more: a document
/// taken down afterwards must not be shown through the group, nor through the index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_over_an_index_rebuilt_with_another_tokenizer_shows_no_taken_down_document() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let a = build(dir.path(), "a", &tale_docs(), &tok, false);
    build(dir.path(), "b", &other_docs(), &tok, false);
    let opened: Vec<Arc<Index>> = ["a", "b"]
        .iter()
        .map(|n| Arc::new(Index::open(&dir.path().join(n)).unwrap()))
        .collect();
    let config = ServerConfig {
        cache_entries: 0,
        ..ServerConfig::default()
    };
    let g: GroupSpec = "g=a,b".parse().unwrap();
    let state = AppState::new(config, opened, None)
        .unwrap()
        .with_groups(&[g])
        .unwrap();
    let app = verbatim_server::app(Arc::new(state));
    let trace = |index: &str| json!({"response": TALE, "index": index});
    let (c, t) = post(&app, "/api/v1/trace", trace("g")).await;
    assert_eq!(c, 200, "{t}");
    assert!(shown(&t).contains(&TALE_ID.to_string()), "{t}");

    // The same documents, same name, another tokenizer: the group cannot be made over it.
    let permuted = support::permuted_demo_tokenizer(dir.path());
    build(dir.path(), "a", &tale_docs(), &permuted, true);
    let h = until(&app, "a", |g| g["state"] == "replaced").await;
    let error = h["generations"]["a"]["error"].as_str().unwrap();
    assert!(error.contains("--group g"), "{h}");
    assert_eq!(h["generations"]["a"]["reloads"], 0, "{h}");

    // Taken down in the index now on disk as `a`.
    support::take_down(&a, TALE_ID);
    for index in ["a", "g", "all"] {
        let (c, t) = post(&app, "/api/v1/trace", trace(index)).await;
        assert!(
            c != 200 || !shown(&t).contains(&TALE_ID.to_string()),
            "{index} shows a taken-down document: {t}"
        );
    }
    let (c, d) = get(&app, "/api/v1/documents/books%2Ftale%2F1?index=a").await;
    assert_ne!(c, 200, "{d}");
}

/// Posts `body` to `uri`, holding its last byte back until `meanwhile` has run; returns the
/// answer's JSON.
fn post_slowly(
    addr: std::net::SocketAddr,
    uri: &str,
    body: &Value,
    meanwhile: impl FnOnce(),
) -> Value {
    let body = serde_json::to_vec(body).unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {uri} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(&body[..body.len() - 1]).unwrap();
    s.flush().unwrap();
    // The request's head has been read and its middleware run.
    std::thread::sleep(Duration::from_millis(300));
    meanwhile();
    s.write_all(&body[body.len() - 1..]).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let at = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    serde_json::from_slice(&out[at..])
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out)))
}

/// A takedown that finishes while a request's body is still arriving applies to its answer,
/// which is computed after it: the list is re-read where the handler takes its index, after
/// the body (it was once re-read in a middleware, before the body, and the document shown).
#[test]
fn a_takedown_finished_before_the_answer_is_computed_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let idx = build(dir.path(), "late", &tale_docs(), &tok, false);
    let state = AppState::new(
        ServerConfig {
            cache_entries: 0,
            ..ServerConfig::default()
        },
        vec![Arc::new(Index::open(&idx).unwrap())],
        None,
    )
    .unwrap();
    let server = support::serve_loopback(verbatim_server::app(Arc::new(state)));
    let trace = json!({"response": TALE});
    let before = post_slowly(server.addr, "/api/v1/trace", &trace, || {});
    assert!(shown(&before).contains(&TALE_ID.to_string()), "{before}");
    let after = post_slowly(server.addr, "/api/v1/trace", &trace, || {
        support::take_down(&idx, TALE_ID)
    });
    assert!(
        !shown(&after).contains(&TALE_ID.to_string()),
        "a document taken down before the trace was computed is shown: {after}"
    );
}

/// With `--residency auto`, a reload of one index judges again and re-advises every other
/// served index, which opens a full-text index again by path. When the other index's
/// directory was meanwhile replaced by a forced rebuild (whose reload failed here), its old
/// instance keeps its own tantivy mapping rather than searching the new build's segments
/// with its own shards (whose hits would name other documents).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_advising_an_old_instance_keeps_its_own_full_text_index() {
    use verbatim_core::Residency;
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let grow = build(dir.path(), "grow", &tale_docs(), &tok, false);
    let b = build(dir.path(), "b", &tale_docs(), &tok, false);
    let opened: Vec<Arc<Index>> = [&grow, &b]
        .iter()
        .map(|d| Arc::new(Index::open(d).unwrap()))
        .collect();
    let bytes: u64 = opened.iter().map(|i| i.mapped_bytes()).sum();
    let limit = 2 * bytes;
    for index in &opened {
        assert_eq!(
            index.set_residency(Residency::Auto.resolve(bytes, Some(limit))),
            Residency::Memory
        );
    }
    let reload = verbatim_server::ReloadOptions {
        residency: verbatim_server::ReloadResidency::Auto { limit: Some(limit) },
        ..Default::default()
    };
    let state = AppState::new(ServerConfig::default(), opened.clone(), None)
        .unwrap()
        .with_reload(reload);
    let app = verbatim_server::app(Arc::new(state));
    let search = json!({"query": "lighthouse", "index": "b"});
    let (c, v) = post(&app, "/api/v1/search", search.clone()).await;
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["hits"], json!([]), "{v}");

    // b rebuilt in place under another name: its reload fails, and b answers nothing (the
    // old instance may show documents the rebuild left out); the old instance lives on.
    let input = support::write_jsonl(dir.path(), "b2.jsonl", &other_docs());
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], b.clone(), tok.to_str().unwrap());
    o.threads = 2;
    o.name = "b2".into();
    o.force = true;
    verbatim_indexer::build(&o).expect("forced rebuild succeeds");
    until(&app, "b", |g| g["state"] == "replaced").await;
    let (c, v) = post(&app, "/api/v1/search", search.clone()).await;
    assert_eq!(c, 503, "{v}");
    let old_hits = |ix: &Index| {
        ix.fulltext()
            .unwrap()
            .search("lighthouse", 0, 10)
            .unwrap()
            .hits
    };
    assert!(old_hits(&opened[1]).is_empty());

    // grow grows past half the limit: auto judged again, every served index read from disk.
    let input = support::write_jsonl(dir.path(), "more.jsonl", &other_docs());
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], grow.clone(), tok.to_str().unwrap());
    o.append = true;
    o.threads = 2;
    verbatim_indexer::build(&o).expect("append succeeds");
    until(&app, "grow", |g| {
        g["generation"] == 1 && g["state"] == "current"
    })
    .await;
    assert_eq!(opened[1].residency(), Residency::Disk);

    // The old instance of b holds no "lighthouse" (it searched the new build's segments
    // with its own shards, whose hits would name other documents), and b still answers 503.
    assert!(
        old_hits(&opened[1]).is_empty(),
        "b's old instance searches another build's full-text index"
    );
    assert_eq!(post(&app, "/api/v1/search", search).await.0, 503);
}

/// `verbatim serve` opens (and by default hashes, and with `--warm` reads) its indexes before
/// `AppState::new`: an append committed meanwhile is reloaded, since the watch compares the
/// manifest with its stamp taken as the index opened (not when the state was made, which took
/// the new generation for the one served and never reloaded it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_committed_while_the_server_starts_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let idx = build(dir.path(), "grow", &tale_docs(), &tok, false);
    // Opened (and checked) first, as `serve` does...
    let opened = Arc::new(Index::open(&idx).unwrap());
    // ... an append commits meanwhile ...
    let input = support::write_jsonl(dir.path(), "more.jsonl", &other_docs());
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], idx.clone(), tok.to_str().unwrap());
    o.append = true;
    o.threads = 2;
    verbatim_indexer::build(&o).expect("append succeeds");
    // ... then the state is made.
    let state = AppState::new(ServerConfig::default(), vec![opened], None).unwrap();
    let app = verbatim_server::app(Arc::new(state));
    let t = Instant::now();
    loop {
        let (_, h) = get(&app, "/health").await;
        let g = &h["generations"]["grow"];
        if g["generation"] == 1 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "generation 1 is on disk, but the server serves generation 0 and calls it {}: {h}",
            g["state"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, v) = post(
        &app,
        "/api/v1/count",
        json!({"text": " seventeen gulls above the harbour"}),
    )
    .await;
    assert_eq!(v["count"], 1, "{v}");
}
