//! `GET /api/v1/documents?marks=`: a document's text with the occurrences of a trace's spans
//! marked where their tokens are. The page marked the span texts it found in the text: ` with`
//! inside ` without` and `within`, and never a span of one character (a review's report).

use crate::router::{get, post};
use crate::support;
use serde_json::{json, Value};

/// The one document of every index below: ` with` as a word and inside others, a sentence end
/// of one character, an e-mail address the privacy filter masks before a span, and a
/// character of four bytes.
const DOCUMENT: &str = "Go with it, without doubt, within reach; str.endswith(x)。 \
                        Mail jane.doe@example.com with care。 Done with 🦀 crabs.";

/// The text of UTF-16 range `[a, b)` of `text`.
fn utf16_slice(text: &str, a: usize, b: usize) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    String::from_utf16(&units[a..b]).unwrap()
}

/// Every span of `response` is marked in the document as often as it occurs there (the corpus
/// is that one document, so its count), each mark's text is the span's, and the marks of one
/// span never overlap.
async fn check_marks(tokenizer: &str, response: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(
        tmp.path(),
        "docs.jsonl",
        &[("only".to_string(), DOCUMENT.to_string())],
    );
    let dir = tmp.path().join("index");
    support::build(vec![input], &dir, tokenizer, None);
    let app = support::uncached_router(&dir);
    let ix = std::sync::Arc::new(verbatim_core::Index::open(&dir).unwrap());
    let config = verbatim_server::ServerConfig {
        cache_entries: 0,
        pii: verbatim_core::pii::PiiMode::Off,
        ..verbatim_server::ServerConfig::default()
    };
    let state = verbatim_server::AppState::new(config, vec![ix], None).unwrap();
    let unmasked = verbatim_server::app(std::sync::Arc::new(state));
    let (status, v) = post(
        &app,
        "/api/v1/spans",
        json!({"text": response, "word_boundaries": false, "delimiters": [], "min_len": 1}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let spans = v["spans"].as_array().unwrap().clone();
    assert!(!spans.is_empty(), "{tokenizer}: no spans: {v}");
    let marks: Vec<String> = spans
        .iter()
        .map(|s| {
            let ids: Vec<String> = s["token_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.to_string())
                .collect();
            ids.join(".")
        })
        .collect();
    let uri = format!("/api/v1/documents?id=only&marks={}", marks.join(","));
    for (app, masked) in [(&unmasked, false), (&app, true)] {
        let (status, d) = get(app, &uri).await;
        assert_eq!(status, 200, "{d}");
        check_document(tokenizer, &spans, &d, masked);
    }
}

/// The marks of `d` against `spans`: as many as each span's count (fewer when `masked`: the
/// occurrences inside the masked address are one mark, on its marker), none empty, each
/// showing its span's text or that marker.
fn check_document(tokenizer: &str, spans: &[Value], d: &Value, masked: bool) {
    let text = d["text"].as_str().unwrap();
    let got: Vec<&Value> = d["marks"].as_array().unwrap().iter().collect();
    for (k, s) in spans.iter().enumerate() {
        let mine: Vec<(usize, usize)> = got
            .iter()
            .filter(|m| m["mark"] == k)
            .map(|m| {
                (
                    m["utf16_start"].as_u64().unwrap() as usize,
                    m["utf16_end"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let count = s["count"].as_u64().unwrap();
        let marked = mine.len() as u64;
        assert!(
            marked == count || (masked && marked < count),
            "{tokenizer}: span {s} marked {mine:?} in {text:?}"
        );
        // WordPiece decodes lowercased.
        let fold = |t: &str| {
            let t = t.trim_start();
            if tokenizer.contains("bert") {
                t.to_lowercase()
            } else {
                t.to_string()
            }
        };
        let want = fold(s["text"].as_str().unwrap());
        for w in mine.windows(2) {
            assert!(w[0].1 <= w[1].0, "{tokenizer}: overlapping marks {mine:?}");
        }
        for &(a, b) in &mine {
            let shown = utf16_slice(text, a, b);
            // Occurrences inside the masked address are marked once, on its marker.
            if masked && shown == "[EMAIL]" {
                continue;
            }
            assert_eq!(
                fold(&shown),
                want,
                "{tokenizer}: a mark of {s} shows {shown:?} in {text:?}"
            );
        }
    }
    // The privacy filter masked the address, and the marks after it kept their places.
    assert_eq!(text.contains("[EMAIL]"), masked, "{text}");
}

/// Raw bytes: one-character spans are marked, and ` with` only where it is a word's tokens
/// as the response's (byte tokens: inside ` without` too, as `count` counts it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_are_where_the_tokens_are_in_bytes() {
    check_marks("bytes", "I went with them。").await;
}

/// Byte-level BPE, SentencePiece and WordPiece: ` with` is not marked inside ` without`,
/// `within` or `endswith`, whose tokens are others, and `。` is marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_are_where_the_tokens_are_in_real_tokenizers() {
    for name in [
        "olmo-gpt-neox.json",
        "gpt2.json",
        "llama2.json",
        "bert-uncased-wordpiece.json",
    ] {
        let Some(tok) = support::shared_data(&format!("tokenizers/{name}")) else {
            return;
        };
        check_marks(
            tok.to_str().unwrap(),
            "I went with them。 Done with 🦀 crabs.",
        )
        .await;
    }
}

/// A `marks` parameter that is not token ids is refused, in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marks_that_are_not_token_ids_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(
        tmp.path(),
        "docs.jsonl",
        &[("only".to_string(), "some text".to_string())],
    );
    let dir = tmp.path().join("index");
    support::build(vec![input], &dir, "bytes", None);
    let app = support::uncached_router(&dir);
    let (status, v) = get(&app, "/api/v1/documents?id=only&marks=1.x").await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not token ids"),
        "{v}"
    );
    let (status, v) = get(&app, "/api/v1/documents?id=only&marks=115.111,,").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["marks"],
        json!([{"mark": 0, "utf16_start": 0, "utf16_end": 2}])
    );
}
