//! The router in process: `verbatim_server::app(state)` driven with
//! `tower::ServiceExt::oneshot`, no socket. Here the shared helpers and one test per route;
//! `requests.rs` what a request may name or send (several indexes and tokenizers, ids,
//! methods, bodies), `takedowns.rs` answers while takedowns and integrity checks change.
//! (`server_api.rs` keeps the loopback smoke test of the real binary; `body_limit.rs` the
//! tests that need a real socket.)

use crate::support;
use axum::body::Body;
use axum::http::{Method, Request};
use axum::Router;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;
use verbatim_core::Index;
use verbatim_server::{AppState, ServerConfig};

/// Documents of real English shared by the tests' indexes.
fn documents() -> Vec<(String, String)> {
    vec![
        ("books/tale/1".into(), "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.\n\nIt was the epoch of belief.".into()),
        ("books/pride/1".into(), "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.\n\nHowever little known.".into()),
        ("books/pride/2".into(), "However little known the feelings or views of such a man may be on his first entering a neighbourhood.".into()),
        ("docs/sorted".into(), "The built-in sorted() function returns a new sorted list from the items in iterable. The sort is guaranteed to be stable.\n\n".into()),
        ("docs/sorted-copy".into(), "A copy: the built-in sorted() function returns a new sorted list from the items in iterable. The sort is guaranteed to be stable.".into()),
        ("docs/unicode".into(), "Unicode text: naïve café — déjà vu. The sort is guaranteed to be stable.".into()),
    ]
}

/// Builds an index of [`documents`] named `name` with `tokenizer` into `dir/name`.
fn build_index(dir: &Path, name: &str, tokenizer: &Path) -> PathBuf {
    let input = support::write_jsonl(dir, &format!("{name}.jsonl"), &documents());
    let out = dir.join(name);
    let mut o =
        verbatim_indexer::BuildOptions::new(vec![input], out.clone(), tokenizer.to_str().unwrap());
    o.threads = 2;
    o.name = name.into();
    verbatim_indexer::build(&o).expect("build succeeds");
    out
}

/// A router over `indexes` (opened without checksum verification), cache off unless asked.
fn router(indexes: &[&Path], cache_entries: usize) -> (Router, Vec<Arc<Index>>) {
    let opened: Vec<Arc<Index>> = indexes
        .iter()
        .map(|d| Arc::new(Index::open(d).unwrap()))
        .collect();
    let config = ServerConfig {
        cache_entries,
        workers: 4,
        queue: 64,
        ..ServerConfig::default()
    };
    let state = AppState::new(config, opened.clone(), None).unwrap();
    (verbatim_server::app(Arc::new(state)), opened)
}

/// Sends one request; returns the status and the body (JSON when it parses, else a string).
pub(crate) async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (u16, Value) {
    call_raw(
        app,
        method,
        uri,
        body.map(|b| serde_json::to_vec(&b).unwrap()),
    )
    .await
}

/// [`call`] with a body of any bytes, sent as JSON.
pub(crate) async fn call_raw(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b)
        }
        None => Body::empty(),
    };
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, v)
}

pub(crate) async fn post(app: &Router, uri: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, uri, Some(body)).await
}

pub(crate) async fn get(app: &Router, uri: &str) -> (u16, Value) {
    call(app, Method::GET, uri, None).await
}

/// One index with the demo tokenizer, built once for the per-route tests.
fn demo_index() -> &'static Path {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let idx = build_index(dir.path(), "demo", &support::demo_tokenizer());
        (dir, idx)
    })
    .1
}

const OUTPUT: &str = "As Dickens wrote, it was the best of times, it was the worst of times. Also, the sort is guaranteed to be stable.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_trace() {
    let (app, ix) = router(&[demo_index()], 0);
    let (c, t) = post(
        &app,
        "/api/v1/trace",
        json!({"response": OUTPUT, "density": 1.0}),
    )
    .await;
    assert_eq!(c, 200, "{t}");
    let mut opts = verbatim_core::query::TraceOptions::defaults_for(&ix[0]);
    opts.density = 1.0;
    let lib = ix[0].trace(OUTPUT, None, &opts).unwrap();
    let lib =
        serde_json::to_value(verbatim_core::api::TraceJson::new(&ix[0], OUTPUT, &lib)).unwrap();
    assert_eq!(t["spans"], lib["spans"]);
    assert_eq!(t["display_spans"], lib["display_spans"]);
    assert!(!t["documents"].as_array().unwrap().is_empty());
    assert_eq!(
        post(&app, "/api/v1/trace", json!({"response": ""})).await.0,
        422
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_spans() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, s) = post(
        &app,
        "/api/v1/spans",
        json!({"text": OUTPUT, "max_count": 5}),
    )
    .await;
    assert_eq!(c, 200, "{s}");
    assert!(s["spans"].as_array().unwrap().len() >= 2, "{s}");
    let (c, e) = post(
        &app,
        "/api/v1/spans",
        json!({"text": "x", "delimiters": ["not one token at all"]}),
    )
    .await;
    assert_eq!(c, 422, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_count() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, n) = post(
        &app,
        "/api/v1/count",
        json!({"text": " The sort is guaranteed"}),
    )
    .await;
    assert_eq!((c, n["count"].as_u64()), (200, Some(3)), "{n}");
    let (c, n2) = post(&app, "/api/v1/count", json!({"token_ids": n["token_ids"]})).await;
    assert_eq!((c, n2["count"].as_u64()), (200, Some(3)), "{n2}");
    assert_eq!(
        post(&app, "/api/v1/count", json!({"token_ids": [99999999]}))
            .await
            .0,
        422
    );
    assert_eq!(
        post(
            &app,
            "/api/v1/count",
            json!({"text": "a", "token_ids": [1]})
        )
        .await
        .0,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_documents() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, d) = get(&app, "/api/v1/documents/docs%2Funicode?highlight=caf%C3%A9").await;
    assert_eq!(c, 200, "{d}");
    assert_eq!(d["id"], "docs/unicode");
    assert_eq!(d["highlights"].as_array().unwrap().len(), 1);
    let (c, d) = get(&app, "/api/v1/documents/books%2Ftale%2F1?max_tokens=3").await;
    assert_eq!((c, d["truncated"].as_bool()), (200, Some(true)), "{d}");
    assert_eq!(get(&app, "/api/v1/documents/no%2Fsuch").await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_search() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, h) = post(
        &app,
        "/api/v1/search",
        json!({"query": "universally acknowledged", "limit": 3}),
    )
    .await;
    assert_eq!(c, 200, "{h}");
    assert_eq!(h["hits"][0]["id"], "books/pride/1");
    assert_eq!(
        post(&app, "/api/v1/search", json!({"query": "a", "limit": 0}))
            .await
            .0,
        400
    );
    // Deep nesting is refused; it overflowed the parsing thread's stack and aborted the
    // server (a 1.6 KB request).
    for q in [
        format!("{}zebra{}", "(".repeat(800), ")".repeat(800)),
        format!("{}zebra", "NOT ".repeat(3000)),
    ] {
        let (c, h) = post(&app, "/api/v1/search", json!({ "query": q })).await;
        assert_eq!(c, 422, "{h}");
        assert!(
            h["error"]["message"]
                .as_str()
                .unwrap()
                .contains("at most 100"),
            "{h}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_contamination() {
    let (app, _) = router(&[demo_index()], 0);
    let item = "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.";
    let (c, r) = post(
        &app,
        "/api/v1/contamination",
        json!({"items": [{"id": "q1", "text": item}], "methods": ["llama2"]}),
    )
    .await;
    assert_eq!(c, 200, "{r}");
    assert_eq!(r["items"][0]["methods"][0]["label"], "dirty", "{r}");
    // The index has no side indexes: a word-level method cannot be answered.
    let (c, e) = post(
        &app,
        "/api/v1/contamination",
        json!({"items": [{"id": "q1", "text": item}], "methods": ["gpt3"]}),
    )
    .await;
    assert_eq!(c, 422, "{e}");
    // Named as served, with the API's field, not the command line's options.
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("side index"), "{e}");
    assert!(message.contains("`methods`"), "{e}");
    assert!(!message.contains("--side-index DIR"), "{e}");
    assert!(
        !message.contains(&demo_index().display().to_string()),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_indexes() {
    let (app, ix) = router(&[demo_index()], 0);
    let (c, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(c, 200, "{v}");
    let i = &v["indexes"][0];
    assert_eq!(i["documents"], 6);
    assert_eq!(i["built_at"], ix[0].manifest().created_unix);
    assert_eq!(i["tokenizer_family"], "OLMo (GPT-NeoX)", "{i}");
    let per = i["source_stats"].as_array().unwrap();
    assert_eq!(per.len(), 1, "{i}");
    assert_eq!(per[0]["name"], "test");
    assert_eq!(per[0]["documents"], 6);
    // Every token but the separators belongs to the one source.
    assert_eq!(per[0]["tokens"], ix[0].manifest().tokens - 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_examples() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, v) = get(&app, "/api/v1/examples").await;
    assert_eq!((c, v["examples"].as_array().map(Vec::len)), (200, Some(0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_health() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, v) = get(&app, "/health").await;
    assert_eq!((c, v["status"].as_str()), (200, Some("ok")));
    assert_eq!(v["indexes"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_metrics() {
    let (app, _) = router(&[demo_index()], 0);
    post(&app, "/api/v1/count", json!({"text": "the"})).await;
    let (c, m) = get(&app, "/metrics").await;
    assert_eq!(c, 200);
    let m = m.as_str().unwrap();
    assert!(
        m.contains("verbatim_requests_total{route=\"/api/v1/count\",status=\"200\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("verbatim_request_duration_seconds_count{route=\"/api/v1/count\"} 1"),
        "{m}"
    );
    assert!(m.contains("verbatim_in_flight 0"), "{m}");
    assert!(m.contains("verbatim_rejected_total 0"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_openapi() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, o) = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(c, 200);
    assert_eq!(o["openapi"], "3.1.0");
    assert!(o["paths"]["/api/v1/trace"]["post"].is_object());
    // Every route the README names, the infini-gram alias and the metrics included.
    assert!(o["paths"]["/"]["post"].is_object(), "{o}");
    assert!(o["paths"]["/metrics"]["get"].is_object(), "{o}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_static_page() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, page) = get(&app, "/").await;
    assert_eq!(c, 200);
    assert!(page.as_str().unwrap().contains("<html"));
    assert_eq!(get(&app, "/app.js").await.0, 200);
    assert_eq!(get(&app, "/../Cargo.toml").await.0, 404);
}

mod headers;
mod infini_gram_api;
mod reloads;
mod requests;
mod side_alone;
mod takedowns;
