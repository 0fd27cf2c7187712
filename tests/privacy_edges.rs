//! The privacy filter at a window's edges: with a tokenizer whose pieces decode differently
//! alone (SentencePiece drops a leading space), the text around a window is decoded with it,
//! so that an item at the edge is still found (each case once showed a phone number
//! unmasked); and overlapping items masked whole.

use crate::router::get;
use crate::support;
use axum::body::Body;
use axum::http::Request;
use axum::Router;
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;

/// An index of one document `text` (id `p`) built with Llama 2's SentencePiece tokenizer,
/// and its router; `None` (printed why) where `../shared/data` is absent.
fn sentencepiece_index(tmp: &Path, text: &str) -> Option<Router> {
    let llama = support::shared_data("tokenizers/llama2.json")?;
    let input = support::write_jsonl(tmp, "sp.jsonl", &[("p".to_string(), text.to_string())]);
    let dir = tmp.join("sp");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], dir.clone(), llama.to_str()?);
    o.threads = 2;
    o.name = "sp".into();
    verbatim_indexer::build(&o).expect("build succeeds");
    Some(support::uncached_router(&dir))
}

/// With a SentencePiece tokenizer (Llama 2), a document cut right after a phone number is
/// masked as the whole document is: the text after the cut is read with its opening space
/// (decoded alone it loses it, and `5309tomorrow` no longer holds a number standing alone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_number_at_the_cut_of_a_sentencepiece_document_is_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "Please call me at 555-867-5309 tomorrow morning, thanks.";
    let Some(app) = sentencepiece_index(tmp.path(), text) else {
        return;
    };
    let (status, whole) = get(&app, "/api/v1/documents/p").await;
    assert_eq!(status, 200, "{whole}");
    let whole_text = whole["text"].as_str().unwrap();
    assert!(
        whole_text.contains("[PHONE]") && !whole_text.contains("5309"),
        "whole document: {whole_text:?}"
    );
    // Every cut: none may show the number unmasked (the cut right after its last digit
    // does: its margin, decoded alone, is `tomorrow` without its space).
    let mut leaks = Vec::new();
    for n in 1..64 {
        let (status, v) = get(&app, &format!("/api/v1/documents/p?max_tokens={n}")).await;
        assert_eq!(status, 200, "{v}");
        let t = v["text"].as_str().unwrap().to_string();
        if t.contains("867-5309") {
            leaks.push((n, t));
        }
    }
    assert!(
        leaks.is_empty(),
        "the phone number is shown unmasked: {leaks:?}"
    );
}

/// The same through a trace snippet that starts at the number (no context before the match):
/// the text before it is read with the space between (not `call555-...`), and the number is
/// masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_number_at_the_edge_of_a_sentencepiece_snippet_is_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(app) = sentencepiece_index(
        tmp.path(),
        "Please call 555-867-5309 tomorrow morning, thanks.",
    ) else {
        return;
    };
    let body = serde_json::json!({
        "response": "555-867-5309",
        "snippet_context_tokens": 0,
        "maximum_span_density": 1.0,
        "allow_spans_with_partial_words": true,
    });
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/trace")
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let docs = v["documents"].as_array().unwrap();
    assert!(!docs.is_empty(), "{v}");
    for d in docs {
        for s in d["snippets"].as_array().unwrap() {
            let shown = format!(
                "{}{}{}",
                s["before"].as_str().unwrap(),
                s["match"].as_str().unwrap(),
                s["after"].as_str().unwrap()
            );
            assert!(
                !shown.contains("867-5309"),
                "a snippet shows the phone number unmasked: {shown:?}"
            );
        }
    }
}

/// Two items that overlap (a phone number whose last group opens an e-mail address's local
/// part) are masked as one stretch: no part of the address is shown.
#[test]
fn overlapping_items_leave_no_part_of_an_email_shown() {
    let (masked, found) =
        verbatim_core::pii::mask("Call +1 555 867 5309.jane.doe@example.com today");
    assert!(
        !masked.contains("@example.com"),
        "masked {masked:?} (found {found:?})"
    );
}

/// infini-gram API, SentencePiece index: a document window holding a phone number right
/// before the text after the match is blocked (checked as one decoded run: its pieces
/// decoded apart would glue `5309tomorrow`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infini_gram_document_with_a_phone_number_at_a_match_edge_is_blocked() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(app) = sentencepiece_index(
        tmp.path(),
        "Please call 555-867-5309 tomorrow morning, thanks.",
    ) else {
        return;
    };
    let body = serde_json::json!({
        "index": "sp", "query_type": "search_docs", "query": "555-867-5309", "maxnum": 1,
    });
    let req = Request::builder()
        .method("POST")
        .uri("/api/infini-gram")
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    let docs = v["documents"].as_array().expect("documents");
    assert!(!docs.is_empty(), "{v}");
    for d in docs {
        let shown: String = d["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[0].as_str().unwrap_or("").to_string())
            .collect();
        assert!(
            d["blocked"] == Value::Bool(true) || !shown.contains("867-5309"),
            "the document is shown with the phone number: blocked={} spans={shown:?}",
            d["blocked"]
        );
    }
}

/// A trace's `pii_masked` counts each item of a document once, however many of its windows
/// show it (a snippet and its long view, spans near each other): one address shown in four
/// windows was said to be four (a review's report); two addresses are two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_shown_in_several_windows_counts_once() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "Write to jane.doe@example.com for the quarterly report on river otters, \
                or to john.roe@example.org for the annual survey of mountain hares.";
    let input = support::write_jsonl(tmp.path(), "d.jsonl", &[("d".to_string(), text.into())]);
    let dir = tmp.path().join("ix");
    support::build(vec![input], &dir, "bytes", None);
    let app = support::uncached_router(&dir);
    let (status, t) = crate::router::post(
        &app,
        "/api/v1/trace",
        serde_json::json!({"response": "the quarterly report on river otters and the annual survey of mountain hares"}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let docs = t["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1, "{t}");
    assert!(docs[0]["snippets"].as_array().unwrap().len() >= 2, "{t}");
    assert_eq!(
        docs[0]["pii_masked"],
        serde_json::json!({"email": 2}),
        "{t}"
    );
}

/// A span whose match lies wholly inside a masked item (`168.` of `192.168.1.1`) is shown as
/// the item's marker, in the trace's snippets and in the document's marks, instead of a
/// document cited with nothing highlighted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_inside_a_masked_item_highlights_its_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = [("ip", "Logged in from 192.168.1.1 please retry later.")]
        .map(|(id, t)| (id.to_string(), t.to_string()));
    let input = support::write_jsonl(tmp.path(), "ip.jsonl", &docs);
    let dir = tmp.path().join("ip");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], dir.clone(), "bytes");
    o.name = "ip".into();
    verbatim_indexer::build(&o).expect("build succeeds");
    let app = support::uncached_router(&dir);
    let body = serde_json::json!({
        "response": "from 192.168.1.1 please",
        "allow_spans_with_partial_words": true,
        "maximum_span_density": 1.0,
        "long_view": true,
    });
    let (status, t) = crate::router::post(&app, "/api/v1/trace", body).await;
    assert_eq!(status, 200, "{t}");
    let spans = t["spans"].as_array().unwrap();
    let doc = &t["documents"][0];
    assert_eq!(doc["id"], "ip", "{t}");
    let mut inside = 0;
    for s in spans {
        let text = s["text"].as_str().unwrap();
        let id = &s["id"];
        assert_eq!(s["document_ids"], serde_json::json!(["ip"]), "{s}");
        for key in ["snippets", "long_snippets"] {
            let sn = doc[key]
                .as_array()
                .unwrap()
                .iter()
                .find(|sn| &sn["span_id"] == id)
                .unwrap_or_else(|| panic!("no {key} for {s}"));
            let m = sn["match"].as_str().unwrap();
            let whole = format!("{}{m}{}", sn["before"], sn["after"]);
            assert!(!whole.contains("192") && !whole.contains(".1.1"), "{whole}");
            if "192.168.1.1".contains(text) {
                inside += 1;
                assert_eq!(m, "[IP]", "{key} of {s}");
            } else {
                assert!(!m.is_empty() && m != "[IP]", "{key} of {s}: {m:?}");
            }
        }
        // The document's view marks the span: the marker when it lies inside the address.
        let ids: Vec<String> = s["token_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.to_string())
            .collect();
        let uri = format!("/api/v1/documents/ip?marks={}", ids.join("."));
        let (status, d) = get(&app, &uri).await;
        assert_eq!(status, 200, "{d}");
        let marks = d["marks"].as_array().unwrap();
        assert!(!marks.is_empty(), "no mark of {s} in {d}");
        let shown = d["text"].as_str().unwrap();
        for mk in marks {
            let (a, b) = (
                mk["utf16_start"].as_u64().unwrap(),
                mk["utf16_end"].as_u64().unwrap(),
            );
            let marked: String = shown
                .chars()
                .skip(a as usize)
                .take((b - a) as usize)
                .collect();
            assert!(marked == text || marked.contains("[IP]"), "{s}: {marked:?}");
        }
    }
    assert!(inside > 0, "no span lies inside the address: {t}");
}
