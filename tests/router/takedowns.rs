//! Answers while the served state changes: takedowns written while serving (cache, the
//! infini-gram API, unreadable lists, search paging past taken-down hits) and an integrity
//! check that fails in the background.

use super::*;

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
    // `/api/v1/indexes` reads a changed list itself (it showed the count of the list last
    // read by another request).
    let mut list = verbatim_core::takedown::Takedown::load(&idx, ix.build_id()).unwrap();
    assert!(list.insert(y));
    list.save(&idx, ix.build_id()).unwrap();
    let (_, i) = get(&app, "/api/v1/indexes").await;
    assert_eq!(i["indexes"][0]["taken_down"], 2, "{i}");
}

/// A span whose every document is taken down still shows (its text is in the corpus) and
/// says why it has no document (`documents_withheld`); a span with documents does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_whose_documents_are_all_taken_down_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_index(dir.path(), "td", &support::demo_tokenizer());
    let (app, ix) = router(&[idx.as_path()], 256);
    let ix = &ix[0];
    let body = json!({"response": "The built-in sorted() function returns a new sorted list from the items in iterable."});
    let withheld = |t: &Value| -> Vec<(bool, Option<String>)> {
        t["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert!(s["count"].as_u64().unwrap() > 0, "{s}");
                (
                    s["document_ids"].as_array().unwrap().is_empty(),
                    s["documents_withheld"].as_str().map(String::from),
                )
            })
            .collect()
    };
    let (c, before) = post(&app, "/api/v1/trace", body.clone()).await;
    assert_eq!(c, 200, "{before}");
    let spans = withheld(&before);
    assert!(
        !spans.is_empty() && spans.iter().all(|s| *s == (false, None)),
        "{before}"
    );
    // Every document the trace showed, taken down.
    let mut list = verbatim_core::takedown::Takedown::default();
    for d in before["documents"].as_array().unwrap() {
        list.insert(ix.id_map().unwrap().get(d["id"].as_str().unwrap()).unwrap());
    }
    list.save(&idx, ix.build_id()).unwrap();
    let (c, after) = post(&app, "/api/v1/trace", body).await;
    assert_eq!(c, 200, "{after}");
    let spans = withheld(&after);
    assert!(
        spans.contains(&(true, Some("taken_down".into()))),
        "no span says its documents are taken down: {after}"
    );
    for (empty, why) in spans {
        assert_eq!(empty, why.is_some(), "{after}");
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
        residency: verbatim_core::Residency::Auto,
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

/// A source whose every document is taken down leaves the index summary (its name is the
/// documents' metadata; its documents still count in the totals); it comes back when one of
/// them is restored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_all_taken_down_is_not_named_in_the_index_summary() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("s.jsonl");
    let lines: Vec<String> = [
        ("pub1", "public", "a public text"),
        ("diary1", "private-diary", "a private text"),
        ("diary2", "private-diary", "another private text"),
    ]
    .iter()
    .map(|(id, source, text)| json!({"id": id, "source": source, "text": text}).to_string())
    .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let idx = dir.path().join("src");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], idx.clone(), "bytes");
    o.name = "src".into();
    verbatim_indexer::build(&o).unwrap();
    let (app, ix) = router(&[idx.as_path()], 256);
    let named = |v: &Value| -> (Vec<String>, Vec<String>, u64) {
        let i = &v["indexes"][0];
        let names = |k: &str| {
            i[k].as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let s = if k == "source_stats" { &s["name"] } else { s };
                    s.as_str().unwrap_or("-").to_string()
                })
                .collect()
        };
        (
            names("sources"),
            names("source_stats"),
            i["documents"].as_u64().unwrap(),
        )
    };
    let (_, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(named(&v).0, ["private-diary", "public"]);
    let mut list = verbatim_core::takedown::Takedown::default();
    let no = |id: &str| ix[0].id_map().unwrap().get(id).unwrap();
    list.insert(no("diary1"));
    list.save(&idx, ix[0].build_id()).unwrap();
    let (_, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(
        named(&v).0,
        ["private-diary", "public"],
        "one of two is down"
    );
    list.insert(no("diary2"));
    list.save(&idx, ix[0].build_id()).unwrap();
    let (_, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(named(&v), (vec!["public".into()], vec!["public".into()], 3));
    list.remove(no("diary1"));
    list.save(&idx, ix[0].build_id()).unwrap();
    let (_, v) = get(&app, "/api/v1/indexes").await;
    assert_eq!(named(&v).0, ["private-diary", "public"]);
}
