//! infini-gram's HTTP API on a verbatim index, as infini-gram's own server answers: the
//! `_cnf` query types its server takes by the engine's method names, the separator's token
//! `null` (HuggingFace's `convert_ids_to_tokens`), and documents' metadata lines in the shape
//! its indexer writes (`{"path", "linenum", "metadata"}`, by Python's `json.dumps`).

use super::{demo_index, post, router};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cnf_query_types_answer_as_count_and_search_docs() {
    let (app, _) = router(&[demo_index()], 0);
    let ask = |query_type: &str, query: &str| json!({"index": "demo", "query_type": query_type, "query": query, "maxnum": 1});
    let cnf = "a truth AND a wife OR the sort";
    let (c, count) = post(&app, "/api/infini-gram", ask("count", cnf)).await;
    assert_eq!(c, 200, "{count}");
    let (c, count_cnf) = post(&app, "/api/infini-gram", ask("count_cnf", cnf)).await;
    assert_eq!(c, 200, "{count_cnf}");
    assert!(count["count"].as_u64().unwrap() > 0, "{count}");
    assert_eq!(count_cnf["count"], count["count"]);
    assert_eq!(count_cnf["approx"], count["approx"]);
    let (c, docs) = post(&app, "/api/infini-gram", ask("search_docs_cnf", cnf)).await;
    assert_eq!(c, 200, "{docs}");
    assert_eq!(docs["cnt"], count["count"], "{docs}");
    assert_eq!(docs["documents"].as_array().unwrap().len(), 1, "{docs}");
    // A simple query is not a CNF: the engine's message, as infini-gram's.
    let (_, simple) = post(&app, "/api/infini-gram", ask("count_cnf", "it was")).await;
    assert!(
        simple["error"].as_str().unwrap().starts_with("cnf must be"),
        "{simple}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_separator_has_no_token_and_documents_carry_their_origin() {
    let (app, _) = router(&[demo_index()], 0);
    let (c, v) = post(
        &app,
        "/api/infini-gram",
        json!({"index": "demo", "query_type": "count", "query_ids": [65535, 510]}),
    )
    .await;
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["tokens"][0], serde_json::Value::Null, "{v}");
    assert!(v["tokens"][1].is_string(), "{v}");
    let (c, d) = post(
        &app,
        "/api/infini-gram",
        json!({"index": "demo", "query_type": "search_docs", "query": "a single man", "maxnum": 1}),
    )
    .await;
    assert_eq!(c, 200, "{d}");
    let line = d["documents"][0]["metadata"].as_str().unwrap();
    // books/pride/1 is the second record of demo.jsonl; Python's separators.
    assert_eq!(
        line,
        "{\"path\": \"demo.jsonl\", \"linenum\": 1, \"metadata\": {\"id\": \"books/pride/1\", \
         \"source\": \"test\", \"title\": \"T books/pride/1\"}}\n"
    );
}
