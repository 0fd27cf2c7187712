//! Issue 14: the privacy filter on a hand-made corpus with planted e-mail addresses, phone
//! numbers and IP addresses in several formats, and look-alikes that are not personal data
//! (version numbers, dates, times, ISBNs, code). Precision and recall of the detector are
//! printed and bounded; in the default mode no planted item is shown by any endpoint (trace
//! with full documents and long views, document views, search, CNF search, infini-gram's
//! search_docs, contamination examples); `drop` leaves those documents out; `off` shows them
//! (so the leak check can fail).

use crate::router::{get, post};
use crate::support;
use serde_json::{json, Value};
use std::sync::Arc;
use verbatim_core::pii::{self, PiiKind, PiiMode};
use verbatim_core::Index;
use verbatim_server::{AppState, ServerConfig};

/// Planted personal data: (kind, text as written).
const PLANTED: &[(PiiKind, &str)] = &[
    (PiiKind::Email, "margaret.hale@milton-mills.co.uk"),
    (PiiKind::Email, "j_thornton+orders@example.com"),
    (PiiKind::Email, "BESSY.HIGGINS@Example.ORG"),
    (PiiKind::Email, "nicholas99@mail.example.net"),
    (PiiKind::Phone, "+1 (555) 014-2233"),
    (PiiKind::Phone, "555-014-7788"),
    (PiiKind::Phone, "(555) 014 9911"),
    (PiiKind::Phone, "+44 20 7946 0958"),
    (PiiKind::Phone, "555.014.6060"),
    (PiiKind::Phone, "+33 1 23 45 67 89"),
    (PiiKind::Phone, "555-0199"),
    (PiiKind::Ip, "192.168.14.201"),
    (PiiKind::Ip, "10.0.3.7"),
    (PiiKind::Ip, "203.0.113.254"),
    (PiiKind::Ip, "2001:db8:85a3::8a2e:370:7334"),
    (PiiKind::Ip, "fe80::1ff:fe23:4567:890a"),
];

/// Look-alikes that are not personal data.
const LOOK_ALIKES: &[&str] = &[
    "Python 3.11.4",
    "version 2.0.1",
    "the years 1999-2004",
    "on 2024-01-15 at 12:30:45",
    "ISBN 978-3-16-148410-0",
    "section 4.2.1.3",
    "std::vector<int>",
    "a ratio of 3.5:1",
    "999.1.1.1",
    "1,234,567 bales",
    "user@localhost",
    "chapter 12, verse 4",
];

/// Documents: each planted item and look-alike inside a sentence of its own context.
fn corpus() -> Vec<(String, String)> {
    let mut docs = Vec::new();
    for (i, (_, item)) in PLANTED.iter().enumerate() {
        docs.push((
            format!("planted/{i}"),
            format!("The mill ledger for week {i} recorded a note from the overseer of the carding room: for orders write or call {item} before the evening bell, said the clerk of the north mill."),
        ));
    }
    for (i, item) in LOOK_ALIKES.iter().enumerate() {
        docs.push((
            format!("lookalike/{i}"),
            format!("The reading room catalogue entry {i} of the county library mentions {item} in its margin, beside the pressed flowers of a summer long past."),
        ));
    }
    docs
}

/// Detector precision and recall over the planted corpus: an item is found when a match of
/// its kind covers it exactly; a match anywhere else is a false positive.
fn detector_scores(docs: &[(String, String)]) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut missed) = (0, 0, 0);
    for (id, text) in docs {
        let found = pii::find(text);
        let planted = PLANTED
            .iter()
            .find(|(_, item)| id.starts_with("planted/") && text.contains(item));
        let mut hit = false;
        for m in &found {
            match planted {
                Some((kind, item)) if &&text[m.start..m.end] == item && m.kind == *kind => {
                    hit = true;
                    tp += 1;
                }
                _ => {
                    eprintln!(
                        "false positive in {id}: {:?} {:?}",
                        m.kind,
                        &text[m.start..m.end]
                    );
                    fp += 1;
                }
            }
        }
        if let (Some((_, item)), false) = (planted, hit) {
            eprintln!("missed in {id}: {item:?}");
            missed += 1;
        }
    }
    (tp, fp, missed)
}

fn state(dir: &std::path::Path, pii: PiiMode) -> (axum::Router, Arc<Index>) {
    state_with(dir, pii, support::demo_tokenizer().to_str().unwrap())
}

/// [`state`] with an index of `tokenizer`.
fn state_with(dir: &std::path::Path, pii: PiiMode, tokenizer: &str) -> (axum::Router, Arc<Index>) {
    let input = support::write_jsonl(dir, "pii.jsonl", &corpus());
    let out = dir.join(format!("pii-{}", pii.name()));
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], out.clone(), tokenizer);
    o.threads = 2;
    o.name = "pii".into();
    verbatim_indexer::build(&o).unwrap();
    let ix = Arc::new(Index::open(&out).unwrap());
    let config = ServerConfig {
        cache_entries: 0,
        pii,
        ..ServerConfig::default()
    };
    let st = AppState::new(config, vec![ix.clone()], None).unwrap();
    (verbatim_server::app(Arc::new(st)), ix)
}

/// Every answer the page can show for the corpus, as one string: a trace of each document's
/// context (without the item) with full documents and long views, each document's view, and
/// searches for words next to the items.
/// Also returns what the CNF, infini-gram and contamination endpoints showed, on its own.
async fn everything_shown(app: &axum::Router) -> (String, Vec<Value>, String) {
    let mut shown = String::new();
    let mut others = String::new();
    let mut traces = Vec::new();
    for (id, text) in corpus() {
        let context = text.split(" write or call ").next().unwrap().to_string();
        let (c, t) = post(
            app,
            "/api/v1/trace",
            json!({"response": context, "maximum_span_density": 1.0, "long_view": true,
                   "full_documents": true, "long_context_tokens": 200}),
        )
        .await;
        assert_eq!(c, 200, "{t}");
        shown.push_str(&t.to_string());
        traces.push(t);
        let (c, d) = get(
            app,
            &format!("/api/v1/documents/{}", id.replace('/', "%2F")),
        )
        .await;
        assert!(c == 200 || c == 404, "{c} {d}");
        shown.push_str(&d.to_string());
        // The endpoints that show document windows around matches: CNF search, infini-gram's
        // API (search_docs, and the document at the occurrence it names) and the
        // contamination check's example snippets.
        let opening: Vec<&str> = text.split(' ').take(6).collect();
        let (c, g) = post(
            app,
            "/api/infini-gram",
            json!({"index": "pii", "query_type": "search_docs", "query": opening.join(" "), "maxnum": 10}),
        )
        .await;
        assert_eq!(c, 200, "{g}");
        for d in g["documents"].as_array().unwrap() {
            // token_ids are shown text too: a withheld document has none.
            assert!(d["blocked"] == false || d["token_ids"] == json!([]), "{d}");
        }
        others.push_str(&g.to_string());
        let (c, r) = post(
            app,
            "/api/v1/contamination",
            // The item's own text (echoed as its matched spans) leaves the planted item out:
            // it may reach the answer only through the example snippets of the document.
            json!({"items": [{"id": id, "text": context}], "methods": ["llama2"], "examples": 5}),
        )
        .await;
        assert_eq!(c, 200, "{r}");
        others.push_str(&without_echoed_spans(r).to_string());
    }
    let (c, f) = post(
        app,
        "/api/v1/cnf",
        json!({"query": "write or call AND the evening bell", "limit": 100}),
    )
    .await;
    assert_eq!(c, 200, "{f}");
    others.push_str(&f.to_string());
    for q in [
        "orders evening bell",
        "margin catalogue",
        "overseer carding",
    ] {
        let (c, s) = post(app, "/api/v1/search", json!({"query": q, "limit": 100})).await;
        assert_eq!(c, 200, "{s}");
        shown.push_str(&s.to_string());
    }
    shown.push_str(&others);
    (shown, traces, others)
}

/// A contamination answer without the matched spans of its items: those echo the text the
/// caller sent, not document text.
fn without_echoed_spans(mut v: Value) -> Value {
    match &mut v {
        Value::Object(m) => {
            m.remove("spans");
            for x in m.values_mut() {
                *x = without_echoed_spans(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = without_echoed_spans(x.take());
            }
        }
        _ => {}
    }
    v
}

/// The answer text around the first place `item` occurs in `shown`, to say which endpoint leaked it.
fn around(shown: &str, item: &str) -> String {
    let at = shown.find(item).unwrap_or(0);
    let start = shown.floor_char_boundary(at.saturating_sub(300));
    let end = shown.ceil_char_boundary((at + item.len() + 100).min(shown.len()));
    shown[start..end].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_personal_data_is_never_shown_by_default() {
    let docs = corpus();
    let (tp, fp, missed) = detector_scores(&docs);
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + missed).max(1) as f64;
    println!(
        "PII detector on the planted corpus: {} items, {} look-alikes; true positives {tp}, false positives {fp}, missed {missed}; precision {precision:.3}, recall {recall:.3}",
        PLANTED.len(),
        LOOK_ALIKES.len()
    );
    assert_eq!(recall, 1.0, "every planted format is found");
    // One known false positive (docs/pii.md): a four-part section number reads as an IPv4
    // address. Every other look-alike is left alone.
    assert_eq!((tp, fp, missed), (16, 1, 0));

    let dir = tempfile::tempdir().unwrap();
    let (app, _) = state(dir.path(), PiiMode::Mask);
    let (shown, traces, _) = everything_shown(&app).await;
    for (_, item) in PLANTED {
        assert!(
            !shown.contains(item),
            "{item} was shown in mask mode: {}",
            around(&shown, item)
        );
        // JSON escapes nothing in these items, but check the escaped form too.
        assert!(!shown.contains(&serde_json::to_string(item).unwrap()[1..item.len()]));
    }
    for marker in ["[EMAIL]", "[PHONE]", "[IP]"] {
        assert!(shown.contains(marker), "{marker} marks a masked item");
    }
    assert!(traces.iter().all(|t| t["pii"] == "mask"));
    assert!(
        traces.iter().any(|t| t["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["pii_masked"].is_object())),
        "documents say what was masked"
    );
    // Look-alikes are shown as written (but for the known false positive).
    assert!(!shown.contains("section 4.2.1.3") && shown.contains("section [IP]"));
    for l in [
        "Python 3.11.4",
        "ISBN 978-3-16-148410-0",
        "std::vector<int>",
    ] {
        assert!(shown.contains(l), "{l} is not personal data and is shown");
    }

    let (app, _) = state(dir.path(), PiiMode::Drop);
    let (shown, traces, _) = everything_shown(&app).await;
    for (_, item) in PLANTED {
        assert!(
            !shown.contains(item),
            "{item} was shown in drop mode: {}",
            around(&shown, item)
        );
    }
    assert!(
        !shown.contains("[EMAIL]"),
        "drop mode drops instead of masking"
    );
    assert!(traces
        .iter()
        .any(|t| t["pii_dropped_documents"].as_u64() > Some(0)));
    // A span left with no document by the filter says why; one with documents does not.
    let spans: Vec<&Value> = traces
        .iter()
        .flat_map(|t| t["spans"].as_array().unwrap())
        .collect();
    assert!(spans
        .iter()
        .any(|s| s["documents_withheld"] == "personal_data"));
    for s in spans {
        let empty = s["document_ids"].as_array().unwrap().is_empty();
        assert_eq!(empty, s.get("documents_withheld").is_some(), "{s}");
    }
    let (c, _) = get(&app, "/api/v1/documents/planted%2F0").await;
    assert_eq!(c, 404, "a document holding personal data is withheld");

    let (app, _) = state(dir.path(), PiiMode::Off);
    let (shown, _, others) = everything_shown(&app).await;
    for (_, item) in PLANTED {
        assert!(
            shown.contains(item),
            "{item} is shown when the filter is off"
        );
        // The leak checks above reach the CNF, infini-gram and contamination answers too.
        assert!(
            others.contains(item),
            "{item} is in the CNF, infini-gram or contamination answers when the filter is off"
        );
    }
}

/// A WordPiece index (BERT's) decodes `+1 (555) 014-2233` as `+ 1 ( 555 ) 014 - 2233` and
/// `margaret.hale@milton-mills.co.uk` as `margaret. hale @ milton - mills. co. uk`, which the
/// patterns alone do not match (a review saw such a document shown, and not dropped): no
/// planted item is shown in that form either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_personal_data_is_never_shown_by_a_wordpiece_index() {
    let Some(bert) = support::shared_data("tokenizers/bert-uncased-wordpiece.json") else {
        return;
    };
    let bert = bert.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spaced = |ix: &Index, item: &str| {
        let tok = ix.tokenizer();
        tok.decode(&tok.encode_ids(item).unwrap())
            .trim()
            .to_string()
    };
    let (app, ix) = state_with(dir.path(), PiiMode::Mask, bert);
    let (shown, _, _) = everything_shown(&app).await;
    for (_, item) in PLANTED {
        let item = spaced(&ix, item);
        assert!(
            !shown.contains(&item),
            "{item} was shown in mask mode: {}",
            around(&shown, &item)
        );
    }
    for marker in ["[EMAIL]", "[PHONE]", "[IP]"] {
        assert!(shown.contains(marker), "{marker} marks a masked item");
    }
    let (app, _) = state_with(dir.path(), PiiMode::Drop, bert);
    let (c, _) = get(&app, "/api/v1/documents/planted%2F0").await;
    assert_eq!(c, 404, "a document holding personal data is withheld");
    let (app, ix) = state_with(dir.path(), PiiMode::Off, bert);
    let (shown, _, _) = everything_shown(&app).await;
    for (_, item) in PLANTED {
        let item = spaced(&ix, item);
        assert!(
            shown.contains(&item),
            "{item} is shown when the filter is off"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_and_spans_ignore_the_filter() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _) = state(dir.path(), PiiMode::Drop);
    let (c, n) = post(
        &app,
        "/api/v1/count",
        json!({"text": " margaret.hale@milton-mills.co.uk"}),
    )
    .await;
    assert_eq!((c, n["count"].as_u64()), (200, Some(1)), "{n}");
    let (c, s) = post(
        &app,
        "/api/v1/spans",
        json!({"text": "for orders write or call 555-014-7788 before the evening bell"}),
    )
    .await;
    assert_eq!(c, 200);
    assert!(s["spans"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["text"].as_str().unwrap().contains("555-014-7788")));
}

/// A bytes index of one short document with an e-mail address and a phone number, and one
/// long document whose address crosses byte 4,096 (where keyword search decodes a chunk).
fn cut_edges_app(dir: &std::path::Path, pii: PiiMode) -> axum::Router {
    let long = format!(
        "{} zanzibar contact jane.doe@example.com today",
        "qq ".repeat((4096 - 30) / 3)
    );
    let docs = vec![
        (
            "short".to_string(),
            "Secret orders of the evening bell: contact me at jane.doe@example.com or call 555-867-5309 please.".to_string(),
        ),
        ("long".to_string(), long),
    ];
    let input = support::write_jsonl(dir, "cut.jsonl", &docs);
    let out = dir.join(format!("cut-{}", pii.name()));
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], out.clone(), "bytes");
    o.name = "cut".into();
    verbatim_indexer::build(&o).unwrap();
    let ix = Arc::new(Index::open(&out).unwrap());
    let config = ServerConfig {
        cache_entries: 0,
        pii,
        ..ServerConfig::default()
    };
    let st = AppState::new(config, vec![ix], None).unwrap();
    verbatim_server::app(Arc::new(st))
}

/// No part of an item cut by the edge of a shown window gets out: every window is filtered
/// with the document's text around it (truncated documents, trace snippets, keyword-search
/// excerpts across a decoding chunk, infini-gram's document windows, CNF windows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_cut_by_a_window_edge_are_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let leaks = |v: &Value| {
        let s = v.to_string();
        ["jane", "doe@", "example.c", "867-5"]
            .iter()
            .any(|p| s.contains(p))
    };
    for mode in [PiiMode::Mask, PiiMode::Drop] {
        let app = cut_edges_app(dir.path(), mode);
        // "contact me at " ends at byte 49; the address runs to byte 69, the phone to 90.
        for max in 45..95 {
            let (c, d) = get(&app, &format!("/api/v1/documents/short?max_tokens={max}")).await;
            assert!(c == 200 || c == 404, "{c} {d}");
            assert!(!leaks(&d), "{mode:?} max_tokens {max}: {d}");
        }
        for context in 1..40 {
            let (c, t) = post(
                &app,
                "/api/v1/trace",
                json!({"response": "Secret orders of the evening bell: contact me at",
                       "snippet_context_tokens": context, "maximum_span_density": 1.0}),
            )
            .await;
            assert_eq!(c, 200, "{t}");
            assert!(!leaks(&t["documents"]), "{mode:?} context {context}: {t}");
        }
        let (c, s) = post(&app, "/api/v1/search", json!({"query": "zanzibar"})).await;
        assert_eq!(c, 200, "{s}");
        assert!(!leaks(&s), "{mode:?}: {s}");
        for disp in 45..100 {
            let (c, g) = post(
                &app,
                "/api/infini-gram",
                json!({"index": "cut", "query_type": "search_docs", "query": "Secret orders",
                       "maxnum": 1, "max_disp_len": disp}),
            )
            .await;
            assert_eq!(c, 200, "{g}");
            assert!(!leaks(&g["documents"]), "{mode:?} max_disp_len {disp}: {g}");
        }
        let (c, f) = post(
            &app,
            "/api/v1/cnf",
            json!({"query": "contact me AND evening bell"}),
        )
        .await;
        assert_eq!(c, 200, "{f}");
        assert!(!leaks(&f), "{mode:?}: {f}");
    }
}

/// Contamination examples from the normalised side indexes show text in which no pattern can
/// find an item (`admin2 example org`): the items of the document's original text are
/// normalised the same way and masked there, for every method.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn side_index_examples_mask_normalised_items() {
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<(String, String)> = (0..3)
        .map(|i| {
            (
                format!("k{i}"),
                format!("What is the capital of France? The answer is Paris, a city on the Seine river with many museums and bridges. Contact admin{i}@example.org or 555-867-530{i} for more."),
            )
        })
        .collect();
    let input = support::write_jsonl(dir.path(), "k.jsonl", &docs);
    let out = dir.path().join("k");
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], out.clone(), "bytes");
    o.name = "k".into();
    o.side_indexes = vec![
        verbatim_core::normalize::Normalization::Words,
        verbatim_core::normalize::Normalization::Alnum,
    ];
    verbatim_indexer::build(&o).unwrap();
    for pii in [PiiMode::Mask, PiiMode::Drop] {
        let ix = Arc::new(Index::open(&out).unwrap());
        let config = ServerConfig {
            cache_entries: 0,
            pii,
            ..ServerConfig::default()
        };
        let app = verbatim_server::app(Arc::new(AppState::new(config, vec![ix], None).unwrap()));
        let (c, r) = post(
            &app,
            "/api/v1/contamination",
            json!({"items": [{"id": "q", "text": "what is the capital of France? The answer is Paris, a city on the Seine river with many museums and bridges."}],
                   "examples": 3, "methods": ["gpt3", "palm", "gpt4", "substr50", "llama2"]}),
        )
        .await;
        assert_eq!(c, 200, "{r}");
        let shown = without_echoed_spans(r.clone()).to_string();
        for leak in ["admin", "example org", "exampleorg", "867 530", "867530"] {
            assert!(!shown.contains(leak), "{pii:?} {leak}: {shown}");
        }
        let examples: usize = r["items"][0]["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["examples"].as_array().map_or(0, Vec::len))
            .sum();
        if pii == PiiMode::Mask {
            assert!(examples > 0, "masked examples are still shown: {r}");
            assert!(shown.contains("[EMAIL]"), "{shown}");
        }
    }
    // The CLI's report applies the same filter (`--pii`, mask by default); `off` shows the
    // items, so the check above can see them.
    let items = dir.path().join("items.jsonl");
    std::fs::write(
        &items,
        json!({"id": "q", "text": "what is the capital of France? The answer is Paris, a city on the Seine river with many museums and bridges."}).to_string() + "\n",
    )
    .unwrap();
    for mode in [None, Some("mask"), Some("drop"), Some("off")] {
        let report = dir.path().join("report.json");
        let mut cmd = std::process::Command::new(support::verbatim_bin());
        cmd.arg("contamination")
            .arg("--index")
            .arg(&out)
            .arg("--input")
            .arg(&items)
            .arg("--out")
            .arg(&report);
        if let Some(m) = mode {
            cmd.args(["--pii", m]);
        }
        let run = cmd.output().unwrap();
        assert!(run.status.success(), "{mode:?}: {run:?}");
        let r: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        let shown = without_echoed_spans(r["items"][0].clone()).to_string();
        let leaked = ["admin", "example org", "exampleorg", "867 530", "867530"]
            .iter()
            .any(|l| shown.contains(l));
        assert_eq!(leaked, mode == Some("off"), "{mode:?}: {shown}");
        if mode.is_none() {
            assert!(shown.contains("[EMAIL]"), "masked by default: {shown}");
        }
    }
}
