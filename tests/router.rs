//! The router in process: `verbatim_server::app(state)` driven with
//! `tower::ServiceExt::oneshot`, no socket. One test per route, then issue 16's regressions
//! that need a server: two indexes with different tokenizers, takedown-then-trace, whitespace
//! texts, unknown request fields. (`server_api.rs` keeps the loopback smoke test of the real
//! binary; `body_limit.rs` the tests that need a real socket.)

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
    let mut req = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(serde_json::to_vec(&b).unwrap())
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
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("side index"),
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

/// Issue 16, item 1: two indexes with different byte-level BPE tokenizers in one server,
/// requests interleaved from several threads: every answer equals the one computed for that
/// index alone with the full HuggingFace pipeline (no fast path, no cache).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue16_two_tokenizers_in_one_server_answer_like_single_index_servers() {
    let dir = tempfile::tempdir().unwrap();
    let mut dirs = vec![
        build_index(dir.path(), "neox", &support::demo_tokenizer()),
        build_index(
            dir.path(),
            "permuted",
            &support::permuted_demo_tokenizer(dir.path()),
        ),
    ];
    let gpt2 =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tokenizers/gpt2.json");
    if gpt2.exists() {
        dirs.push(build_index(dir.path(), "gpt2", &gpt2));
    }
    let paths: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let (app, ix) = router(&paths, 0);
    let texts: Vec<String> = (0..12)
        .map(|i| {
            format!(
                "{OUTPUT} Note {i}: it was the age of wisdom, however little known the feelings."
            )
        })
        .collect();
    // The expected answers, from the reference pipeline of each index alone.
    let mut want = std::collections::HashMap::new();
    for index in &ix {
        for t in &texts {
            let enc = index.tokenizer().encode_reference(t).unwrap();
            let opts = verbatim_core::query::SpanOptions::defaults_for(index);
            let spans = index.spans(t, &enc, &opts);
            let json = verbatim_core::api::SpansJson::new(index, t, enc.ids.len(), &spans);
            want.insert(
                (index.manifest().name.clone(), t.clone()),
                serde_json::to_value(json).unwrap(),
            );
        }
    }
    let names: Vec<String> = ix.iter().map(|i| i.manifest().name.clone()).collect();
    let mut tasks = Vec::new();
    for worker in 0..6 {
        let (app, texts, names) = (app.clone(), texts.clone(), names.clone());
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for round in 0..texts.len() * names.len() {
                let name = &names[(round + worker) % names.len()];
                let text = &texts[(round / names.len() + worker) % texts.len()];
                let (c, v) =
                    post(&app, "/api/v1/spans", json!({"text": text, "index": name})).await;
                assert_eq!(c, 200, "{v}");
                got.push((name.clone(), text.clone(), v));
            }
            got
        }));
    }
    let mut checked = 0;
    for t in tasks {
        for (name, text, v) in t.await.unwrap() {
            let w = &want[&(name.clone(), text.clone())];
            assert_eq!(
                &v, w,
                "index {name}, text {text:?}: differs from the single-index answer"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6 * 24);
    // The answers differ between the indexes (else the test would show nothing).
    let a = &want[&(names[0].clone(), texts[0].clone())];
    let b = &want[&(names[1].clone(), texts[0].clone())];
    assert_eq!(a["spans"], b["spans"], "same corpus, same spans by text");
    let mut ids = Vec::new();
    for n in &names[..2] {
        let body = json!({"text": " the best of times", "index": n});
        ids.push(post(&app, "/api/v1/count", body).await.1["token_ids"].clone());
    }
    assert_ne!(ids[0], ids[1], "the tokenizers give other ids");
}

/// Issue 16, item 2: with the response cache on, take document X down and restore document Y
/// in one write of takedown.bin (the count of taken-down documents is unchanged): the same
/// trace must not show X any more, and shows Y again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue16_takedown_and_restore_in_one_write_is_not_served_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "td", &support::demo_tokenizer());
    let (app, ix) = router(&[idx.as_path()], 256);
    let ix = &ix[0];
    let no = |id: &str| ix.id_map().unwrap().get(id).unwrap();
    let (x, y) = (no("docs/sorted"), no("docs/sorted-copy"));
    // Y taken down first.
    let mut list = verbatim_core::takedown::Takedown::default();
    list.insert(y);
    list.save(&idx, ix.build_id()).unwrap();
    let body = json!({"response": "The built-in sorted() function returns a new sorted list from the items in iterable."});
    let shown = |t: &Value| -> Vec<String> {
        t["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (c, t1) = post(&app, "/api/v1/trace", body.clone()).await;
    assert_eq!(c, 200, "{t1}");
    assert!(shown(&t1).contains(&"docs/sorted".to_string()), "{t1}");
    assert!(
        !shown(&t1).contains(&"docs/sorted-copy".to_string()),
        "{t1}"
    );
    // One write: X down, Y restored.
    let mut list = verbatim_core::takedown::Takedown::load(&idx, ix.build_id()).unwrap();
    assert!(list.remove(y) && list.insert(x));
    list.save(&idx, ix.build_id()).unwrap();
    let (c, t2) = post(&app, "/api/v1/trace", body.clone()).await;
    assert_eq!(c, 200, "{t2}");
    assert!(
        !shown(&t2).contains(&"docs/sorted".to_string()),
        "a taken-down document was served: {t2}"
    );
    assert!(shown(&t2).contains(&"docs/sorted-copy".to_string()), "{t2}");
    // Nor by id.
    assert_eq!(get(&app, "/api/v1/documents/docs%2Fsorted").await.0, 404);
    assert_eq!(
        get(&app, "/api/v1/documents/docs%2Fsorted-copy").await.0,
        200
    );
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["indexes"][0]["taken_down"], 1);
}

/// Issue 16, item 4: a text of whitespace only is a valid query (only the empty string is
/// empty), answered like the library answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue16_whitespace_only_text_is_a_valid_query() {
    let (app, ix) = router(&[demo_index()], 0);
    let ids = ix[0].tokenizer().encode_ids("\n\n").unwrap();
    let want = ix[0].count(&ids);
    // "\n\n" alone is one token, found where a blank line ends a document.
    assert!(want >= 1, "the corpus holds blank lines");
    let (c, n) = post(&app, "/api/v1/count", json!({"text": "\n\n"})).await;
    assert_eq!((c, n["count"].as_u64()), (200, Some(want)), "{n}");
    let (c, s) = post(
        &app,
        "/api/v1/spans",
        json!({"text": "\n\n", "word_boundaries": false}),
    )
    .await;
    assert_eq!(c, 200, "{s}");
    assert_eq!(s["tokens"], ids.len());
    let (c, t) = post(&app, "/api/v1/trace", json!({"response": " \n\n "})).await;
    assert_eq!(c, 200, "{t}");
    let (c, r) = post(
        &app,
        "/api/v1/contamination",
        json!({"items": [{"id": "w", "text": "\n\n"}], "methods": ["llama2"]}),
    )
    .await;
    assert_eq!(c, 200, "{r}");
    // The empty string is still empty; a keyword search needs a word.
    for (path, body) in [
        ("/api/v1/count", json!({"text": ""})),
        ("/api/v1/spans", json!({"text": ""})),
        ("/api/v1/trace", json!({"response": ""})),
        ("/api/v1/search", json!({"query": " \n "})),
    ] {
        let (c, e) = post(&app, path, body.clone()).await;
        assert_eq!(c, 422, "{path} {body}: {e}");
    }
}

/// Issue 16, item 6: a misspelled or unknown field is refused with 400, naming it and the
/// accepted fields, on every route that takes a body or query parameters; the OpenAPI
/// document says `additionalProperties: false` for every request body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue16_unknown_request_fields_are_refused_by_name() {
    let (app, _) = router(&[demo_index()], 0);
    for (path, body, bad, accepted) in [
        (
            "/api/v1/spans",
            json!({"text": "a", "maxcount": 1}),
            "maxcount",
            "max_count",
        ),
        (
            "/api/v1/trace",
            json!({"response": "a", "indexes": ["x"]}),
            "indexes",
            "index",
        ),
        (
            "/api/v1/count",
            json!({"text": "a", "ids": [1]}),
            "ids",
            "token_ids",
        ),
        (
            "/api/v1/search",
            json!({"query": "a", "top_k": 3}),
            "top_k",
            "limit",
        ),
        (
            "/api/v1/contamination",
            json!({"items": [{"id": "1", "text": "a"}], "method": ["gpt3"]}),
            "method",
            "methods",
        ),
        (
            "/api/v1/contamination",
            json!({"items": [{"id": "1", "text": "a", "answer": "b"}]}),
            "answer",
            "bench",
        ),
    ] {
        let (c, e) = post(&app, path, body.clone()).await;
        assert_eq!(c, 400, "{path} {body}: {e}");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains(&format!("`{bad}`")), "{path}: {msg}");
        assert!(msg.contains(&format!("`{accepted}`")), "{path}: {msg}");
    }
    let (c, e) = get(&app, "/api/v1/documents/books%2Ftale%2F1?maxtokens=3").await;
    assert_eq!(c, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("maxtokens"),
        "{e}"
    );
    let (_, o) = get(&app, "/api/v1/openapi.json").await;
    for name in [
        "TraceRequest",
        "SpansRequest",
        "CountRequest",
        "SearchRequest",
        "ContaminationRequest",
    ] {
        assert_eq!(
            o["components"]["schemas"][name]["additionalProperties"], false,
            "{name}"
        );
    }
}

/// Issue 11: `serve --verify background` serves at once; an index found damaged by the
/// background check answers 503 (and `/health` says so) instead of answering from bad data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_index_found_by_the_background_check_answers_503() {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().unwrap();
    let good = build_index(dir.path(), "good", &support::demo_tokenizer());
    let bad = build_index(dir.path(), "bad", &support::demo_tokenizer());
    let opts = verbatim_core::OpenOptions {
        verify_checksums: false,
        fulltext: true,
    };
    let opened: Vec<Arc<Index>> = [&good, &bad]
        .iter()
        .map(|d| Arc::new(Index::open_with(d, opts).unwrap()))
        .collect();
    // Damage one byte of the second index's token stream in place (the map sees it).
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(bad.join("shard-00000/tokens.bin"))
        .unwrap();
    f.seek(SeekFrom::Start(64 + 3)).unwrap();
    f.write_all(&[0x5a]).unwrap();
    drop(f);
    let state = Arc::new(AppState::new(ServerConfig::default(), opened, None).unwrap());
    state.verify_in_background();
    let app = verbatim_server::app(state.clone());
    for _ in 0..500 {
        if !matches!(
            state.verification(1),
            verbatim_server::state::Verification::Running
        ) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (status, health) = call(&app, Method::GET, "/health", None).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["verification"]["good"]["state"], "passed");
    assert_eq!(health["verification"]["bad"]["state"], "failed");
    let (status, v) = post(
        &app,
        "/api/v1/count",
        json!({"text": "the", "index": "bad"}),
    )
    .await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["error"]["code"], "index_unavailable");
    let (status, _) = post(
        &app,
        "/api/v1/count",
        json!({"text": "the", "index": "good"}),
    )
    .await;
    assert_eq!(status, 200);
}

/// A takedown written while serving applies to every route that shows documents, the
/// infini-gram API included, on its very next request (no other route called in between).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takedown_applies_to_the_infini_gram_api_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "td", &support::demo_tokenizer());
    let (app, ix) = router(&[idx.as_path()], 256);
    let ix = &ix[0];
    let no = ix.id_map().unwrap().get("books/pride/2").unwrap();
    let ask = json!({"index": "td", "query_type": "search_docs", "query": "such a man may be", "maxnum": 1});
    let (c, before) = post(&app, "/api/infini-gram", ask.clone()).await;
    assert_eq!(c, 200, "{before}");
    assert_eq!(before["documents"][0]["blocked"], false, "{before}");
    let mut list = verbatim_core::takedown::Takedown::default();
    list.insert(no);
    list.save(&idx, ix.build_id()).unwrap();
    let (c, after) = post(&app, "/api/infini-gram", ask).await;
    assert_eq!(c, 200, "{after}");
    assert_eq!(after["documents"][0]["blocked"], true, "{after}");
    assert_eq!(after["documents"][0]["token_ids"], json!([]), "{after}");
    let find = json!({"index": "td", "query_type": "find", "query": "such a man may be"});
    let (c, f) = post(&app, "/api/infini-gram", find).await;
    assert_eq!(c, 200, "{f}");
    let rank = f["segment_by_shard"][0][0].as_u64().unwrap();
    let by_rank = json!({"index": "td", "query_type": "get_doc_by_rank", "query": "such a man may be", "s": 0, "rank": rank, "max_disp_len": 20});
    let (c, d) = post(&app, "/api/infini-gram", by_rank).await;
    assert_eq!(c, 200, "{d}");
    assert_eq!(d["blocked"], true, "{d}");
}

/// A takedown list changed on disk that cannot be read fails closed for its index: every
/// route (groups with it included) answers 503 naming it, never documents by the list
/// loaded before, and `/health` says so; another index goes on answering, and answers come
/// back once the file reads again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_takedown_list_answers_503_until_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let idx = build_index(dir.path(), "td", &tok);
    let other = build_index(dir.path(), "other", &tok);
    let (app, ix) = router(&[idx.as_path(), other.as_path()], 256);
    let trace = |index: Value| json!({"index": index, "response": "such a man may be on his first entering"});
    let (c, before) = post(&app, "/api/v1/trace", trace(json!("td"))).await;
    assert_eq!(c, 200, "{before}");
    std::fs::write(idx.join("takedown.bin"), b"not a takedown list").unwrap();
    for index in [json!("td"), json!("all"), json!(["other", "td"])] {
        let (c, v) = post(&app, "/api/v1/trace", trace(index.clone())).await;
        assert_eq!(c, 503, "{index}: {v}");
        assert_eq!(v["error"]["code"], "index_unavailable", "{v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("\"td\"") && msg.contains("takedown"), "{msg}");
    }
    let ig =
        json!({"index": "td", "query_type": "search_docs", "query": "such a man", "maxnum": 1});
    let (c, v) = post(&app, "/api/infini-gram", ig).await;
    assert_eq!(c, 503, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("takedown"),
        "infini-gram's error shape, a string: {v}"
    );
    let (c, doc) = call(
        &app,
        Method::GET,
        "/api/v1/documents/books/pride/2?index=td",
        None,
    )
    .await;
    assert_eq!(c, 503, "{doc}");
    let (c, v) = post(&app, "/api/v1/trace", trace(json!("other"))).await;
    assert_eq!(c, 200, "the other index answers: {v}");
    let (c, health) = call(&app, Method::GET, "/health", None).await;
    assert_eq!(c, 503, "{health}");
    assert_eq!(
        health["takedown_lists"]["td"]["state"], "unreadable",
        "{health}"
    );
    let mut list = verbatim_core::takedown::Takedown::default();
    list.insert(ix[0].id_map().unwrap().get("books/pride/2").unwrap());
    list.save(&idx, ix[0].build_id()).unwrap();
    let (c, after) = post(&app, "/api/v1/trace", trace(json!("td"))).await;
    assert_eq!(c, 200, "{after}");
    let (c, doc) = call(
        &app,
        Method::GET,
        "/api/v1/documents/books/pride/2?index=td",
        None,
    )
    .await;
    assert_eq!(c, 404, "{doc}");
    let (c, health) = call(&app, Method::GET, "/health", None).await;
    assert_eq!(c, 200, "{health}");
}

/// Keyword search returns `limit` hits however many of the best-ranked documents are taken
/// down (it used to read 16 spare hits, so 20 taken-down leaders left it short).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_fills_its_limit_past_many_taken_down_hits() {
    let dir = tempfile::tempdir().unwrap();
    // Documents d0..d39 mention "apple" 40, 39, ... times, so BM25 ranks them in that order.
    let docs: Vec<(String, String)> = (0..40)
        .map(|i| {
            let apples = "apple ".repeat(40 - i);
            (format!("d{i}"), format!("{apples}and some other words {i}"))
        })
        .collect();
    let input = support::write_jsonl(dir.path(), "apples.jsonl", &docs);
    let idx = dir.path().join("apples");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], idx.clone(), "bytes");
    o.name = "apples".into();
    verbatim_indexer::build(&o).unwrap();
    let (app, ix) = router(&[idx.as_path()], 0);
    let ix = &ix[0];
    let mut list = verbatim_core::takedown::Takedown::default();
    for i in 0..20 {
        list.insert(ix.id_map().unwrap().get(format!("d{i}")).unwrap());
    }
    list.save(&idx, ix.build_id()).unwrap();
    for limit in [10, 20, 30] {
        let (c, r) = post(
            &app,
            "/api/v1/search",
            json!({"query": "apple", "limit": limit}),
        )
        .await;
        assert_eq!(c, 200, "{r}");
        let ids: Vec<&str> = r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), limit.min(20), "limit {limit}: {r}");
        assert!(
            ids.iter().all(|id| id[1..].parse::<usize>().unwrap() >= 20),
            "{ids:?}"
        );
    }
}

/// Served beside other indexes, an index named `all` would hide the group of them all (its
/// name wins), so the server refuses to start with a message saying what to do.
#[test]
fn an_index_named_all_is_refused_beside_others() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::demo_tokenizer();
    let all = build_index(dir.path(), "all", &tok);
    let other = build_index(dir.path(), "other", &tok);
    let open = |d: &Path| Arc::new(Index::open(d).unwrap());
    let err = AppState::new(
        ServerConfig::default(),
        vec![open(&all), open(&other)],
        None,
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("another --name"), "{err}");
    // Alone it is served: `all` then means that index.
    assert!(AppState::new(ServerConfig::default(), vec![open(&all)], None).is_ok());
}

/// Documents are found by an `id` query parameter too, whatever the id: `.` and `..` cannot
/// travel in a path (URL resolution collapses them, even percent-encoded), so the page asks
/// this way. The id given twice, or not at all, is a 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_by_query_parameter_take_any_id() {
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<(String, String)> = [".", "..", "a/b", "x?y#z"]
        .iter()
        .map(|id| {
            (
                id.to_string(),
                format!("the document named {id} says hello"),
            )
        })
        .collect();
    let input = support::write_jsonl(dir.path(), "dots.jsonl", &docs);
    let idx = dir.path().join("dots");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], idx.clone(), "bytes");
    o.name = "dots".into();
    verbatim_indexer::build(&o).unwrap();
    let (app, _) = router(&[idx.as_path()], 0);
    for (id, enc) in [
        (".", "."),
        ("..", ".."),
        ("a/b", "a%2Fb"),
        ("x?y#z", "x%3Fy%23z"),
    ] {
        let (c, d) = get(&app, &format!("/api/v1/documents?id={enc}&index=dots")).await;
        assert_eq!(c, 200, "{id}: {d}");
        assert_eq!(d["id"], id);
        assert!(d["text"].as_str().unwrap().contains(id), "{d}");
    }
    let (c, v) = get(&app, "/api/v1/documents/a%2Fb?id=a%2Fb").await;
    assert_eq!(c, 400, "{v}");
    let (c, v) = get(&app, "/api/v1/documents").await;
    assert_eq!(c, 400, "{v}");
}

/// A route asked with the wrong method answers 405 with the JSON error body of every other
/// error and its `allow` header; a JSON array is not taken for a request object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_and_array_bodies_get_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "m", &support::demo_tokenizer());
    let (app, _) = router(&[idx.as_path()], 0);
    let req = Request::builder()
        .method(Method::GET)
        .uri("/api/v1/trace")
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert!(resp
        .headers()
        .get("allow")
        .is_some_and(|v| v.to_str().unwrap().contains("POST")));
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed", "{v}");
    let (c, v) = post(&app, "/api/v1/trace", json!(["It was the best of times"])).await;
    assert_eq!(c, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("object"),
        "{v}"
    );
}
