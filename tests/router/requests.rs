//! What a request may name or send: two tokenizers in one server, whitespace texts, unknown
//! fields, an index named `all`, any document id, wrong methods and array bodies.

use super::*;

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
    // The same spans by text and place (their token ids are each tokenizer's own).
    let by_text = |v: &Value| {
        let mut spans = v["spans"].clone();
        for s in spans.as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("token_ids");
        }
        spans
    };
    assert_eq!(by_text(a), by_text(b), "same corpus, same spans by text");
    assert_ne!(a["spans"], b["spans"], "each tokenizer's ids");
    let mut ids = Vec::new();
    for n in &names[..2] {
        let body = json!({"text": " the best of times", "index": n});
        ids.push(post(&app, "/api/v1/count", body).await.1["token_ids"].clone());
    }
    assert_ne!(ids[0], ids[1], "the tokenizers give other ids");
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

/// An out-of-range value on `/api/v1/spans` is refused naming the field as that request
/// calls it (`max_count`, `min_len`), not as the trace request does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_range_errors_name_the_spans_fields() {
    let (app, _) = router(&[demo_index()], 0);
    for (field, name) in [("max_count", "max_count"), ("min_len", "min_len")] {
        let (c, e) = post(&app, "/api/v1/spans", json!({"text": "a b", field: 0})).await;
        assert_eq!(c, 400, "{e}");
        let msg = e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.starts_with(name), "{field}: {e}");
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
    // Fields in the URL of a POST were ignored: `?index=b` was answered from the default index.
    for path in [
        "/api/v1/count?index=other",
        "/api/v1/trace?index=other&x",
        "/api/infini-gram?index=other",
    ] {
        let body = json!({"text": "a", "response": "a", "query_type": "count", "query": "a"});
        let (c, e) = post(&app, path, body).await;
        // infini-gram's answers carry the message as `error` itself.
        let msg = e["error"]["message"]
            .as_str()
            .or(e["error"].as_str())
            .unwrap_or_default();
        assert_eq!(c, 400, "{path}: {e}");
        assert!(
            msg.contains("`index`") && msg.contains("JSON body"),
            "{path}: {msg}"
        );
    }
    // A query string of separators only has no field to name.
    let (c, e) = post(&app, "/api/v1/count?&", json!({"text": "a"})).await;
    assert_eq!(c, 400, "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(msg.contains("remove the query string"), "{msg}");
    // A field given under both its names is refused naming both.
    let body = json!({"response": "a", "docs_per_span": 2, "maximum_documents_per_span": 2});
    let (c, e) = post(&app, "/api/v1/trace", body).await;
    assert_eq!(c, 400, "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("`docs_per_span`") && msg.contains("`maximum_documents_per_span`"),
        "{msg}"
    );
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
    // The message names the accepted methods: exactly what the `allow` header says (the
    // middleware writing it once ran before axum added that header, and said "accepted: ").
    for (method, uri) in [
        (Method::GET, "/api/v1/count"),
        (Method::DELETE, "/api/v1/indexes"),
        (Method::PUT, "/"),
    ] {
        let req = Request::builder()
            .method(method.clone())
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method} {uri}");
        let allow = resp.headers()["allow"].to_str().unwrap().to_string();
        assert!(!allow.is_empty(), "{method} {uri}");
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["error"]["code"], "method_not_allowed", "{v}");
        assert_eq!(
            v["error"]["message"],
            format!("{method} is not accepted on {uri}; accepted: {allow}"),
        );
    }
    let (c, v) = post(&app, "/api/v1/trace", json!(["It was the best of times"])).await;
    assert_eq!(c, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("object"),
        "{v}"
    );
    // Other JSON values are named as such, not by the Rust type the server wanted; an
    // `index` of another type says what it may be.
    for (body, kind) in [
        (json!(null), "not null"),
        (json!("text"), "not a string"),
        (json!(5), "not a number"),
        (json!(true), "not a boolean"),
    ] {
        let (c, v) = post(&app, "/api/v1/trace", body).await;
        let m = v["error"]["message"].as_str().unwrap();
        assert_eq!(c, 400, "{v}");
        assert!(
            m.contains("must be a JSON object") && m.contains(kind),
            "{m}"
        );
    }
    let (c, v) = post(&app, "/api/v1/trace", json!({"response": "x", "index": 5})).await;
    let m = v["error"]["message"].as_str().unwrap();
    assert_eq!(c, 400, "{v}");
    assert!(
        m.contains("`index`") && m.contains("a list of index names"),
        "{m}"
    );
    assert!(!m.contains("enum") && !m.contains("struct"), "{m}");
}

/// A trace that would read more document text than `max_trace_tokens` is refused with 422
/// before any is read, and one at the limit is answered: a request for every view of up to
/// 100 documents per span returned 360 MB, and the process peaked at 7 GB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_reading_more_document_text_than_the_limit_is_refused() {
    let index = Arc::new(Index::open(demo_index()).unwrap());
    let app_with = |max_trace_tokens: u64| {
        let config = ServerConfig {
            cache_entries: 16,
            max_trace_tokens,
            ..ServerConfig::default()
        };
        let state = AppState::new(config, vec![index.clone()], None).unwrap();
        verbatim_server::app(Arc::new(state))
    };
    let everything = json!({"response": OUTPUT, "full_documents": true, "long_view": true,
        "maximum_documents_per_span": 100, "long_context_tokens": 5000, "maximum_span_density": 1.0});
    let (c, e) = post(&app_with(1), "/api/v1/trace", everything.clone()).await;
    assert_eq!(c, 422, "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("the limit is 1."), "{message}");
    let needed: u64 = message
        .split("would read ")
        .nth(1)
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no token count in {message}"));
    // The windows and full texts of every document shown: more than the documents' length.
    let all_tokens: u64 = (0..index.manifest().documents)
        .map(|d| index.doc_tokens(index.locate(d).unwrap()).len() as u64)
        .sum();
    assert!(needed > all_tokens, "{needed} <= {all_tokens}");
    // At the limit it is answered; one token under it is refused, and not from a cache.
    let at_limit = app_with(needed);
    let (c, t) = post(&at_limit, "/api/v1/trace", everything.clone()).await;
    assert_eq!(c, 200, "{t}");
    assert!(t["documents"][0]["text"].is_string(), "{t}");
    let under = app_with(needed - 1);
    for _ in 0..2 {
        assert_eq!(
            post(&under, "/api/v1/trace", everything.clone()).await.0,
            422
        );
    }
    // The default limit leaves the default trace, and this one, alone.
    let default = app_with(ServerConfig::default().max_trace_tokens);
    assert_eq!(post(&default, "/api/v1/trace", everything).await.0, 200);
}

/// An empty index name is no index (404) on every route that takes one, rather than the first
/// index on some; a document's `max_tokens` of 0 is refused as out of range; an unpaired
/// surrogate escape is named as such, whichever half it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_index_names_zero_max_tokens_and_lone_surrogates_are_refused_clearly() {
    let (app, _) = router(&[demo_index()], 0);
    let item = json!([{"id": "q1", "text": "a single man in possession of a good fortune"}]);
    for (uri, body) in [
        (
            "/api/v1/trace",
            json!({"response": "a single man", "index": ""}),
        ),
        (
            "/api/v1/spans",
            json!({"text": "a single man", "index": ""}),
        ),
        ("/api/v1/count", json!({"text": " single man", "index": ""})),
        ("/api/v1/search", json!({"query": "fortune", "index": ""})),
        ("/api/v1/cnf", json!({"query": "single man", "index": ""})),
        (
            "/api/v1/contamination",
            json!({"items": item, "methods": ["llama2"], "index": ""}),
        ),
    ] {
        let (c, e) = post(&app, uri, body).await;
        assert_eq!(c, 404, "{uri}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("no index"),
            "{uri}: {e}"
        );
    }
    let (c, e) = get(&app, "/api/v1/documents?id=books%2Fpride%2F1&index=").await;
    assert_eq!(c, 404, "{e}");
    // An id whose percent-decoded bytes are not UTF-8 is refused in both forms, not looked
    // up with U+FFFD in place of the byte.
    for bad in ["/api/v1/documents?id=%FF", "/api/v1/documents/%FF"] {
        let (c, e) = get(&app, bad).await;
        assert_eq!(c, 400, "{bad}: {e}");
        assert!(e.to_string().contains("UTF-8"), "{bad}: {e}");
    }

    let (c, d) = get(&app, "/api/v1/documents?id=books%2Fpride%2F1&max_tokens=1").await;
    assert_eq!(c, 200, "{d}");
    assert_eq!(d["truncated"], true, "{d}");
    let (c, e) = get(&app, "/api/v1/documents?id=books%2Fpride%2F1&max_tokens=0").await;
    assert_eq!(c, 400, "{e}");
    assert!(e.to_string().contains("from 1 to"), "{e}");
    // A negative value names the same range (it said "from 0").
    let (c, e) = get(&app, "/api/v1/documents?id=books%2Fpride%2F1&max_tokens=-1").await;
    assert_eq!(c, 400, "{e}");
    assert!(e.to_string().contains("from 1 to"), "{e}");

    for escape in [
        r"\udc00",
        r"\ud800\u0041",
        r"\ud800",
        r"\ud800b",
        r"\ud800\n",
    ] {
        let body = format!(r#"{{"text": "a{escape}"}}"#).into_bytes();
        let (c, e) = call_raw(&app, Method::POST, "/api/v1/count", Some(body)).await;
        assert_eq!(c, 400, "{escape}: {e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("unpaired UTF-16 surrogate"),
            "{escape}: {e}"
        );
        assert!(!message.contains("leading"), "{escape}: {e}");
    }
}

/// A snippet says whether its window reaches its document's start and end, so that the page
/// puts an ellipsis only where text was left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snippets_say_whether_they_reach_the_document_edges() {
    let (app, _) = router(&[demo_index()], 0);
    // `books/pride/2` is one sentence; the span starts a few words in.
    let text = "the feelings or views of such a man may be on his first entering a neighbourhood.";
    for (context, start, end) in [(40, true, true), (2, false, true)] {
        let (c, t) = post(
            &app,
            "/api/v1/trace",
            json!({"response": text, "snippet_context_tokens": context}),
        )
        .await;
        assert_eq!(c, 200, "{t}");
        let doc = t["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == "books/pride/2")
            .unwrap_or_else(|| panic!("{t}"));
        let s = &doc["snippets"][0];
        assert_eq!(s["at_document_start"], start, "context {context}: {s}");
        assert_eq!(s["at_document_end"], end, "context {context}: {s}");
    }
}
