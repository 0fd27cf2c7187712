//! The real server on a loopback port: every endpoint, every error status, and a response
//! checked against the core library's answer for the same input.

use crate::support;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running `verbatim serve`, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    /// What it printed to stderr after its address, line by line.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(index: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(support::verbatim_bin())
            .args([
                "serve",
                "--index",
                index.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let line = lines.next().expect("server printed its address").unwrap();
            if let Some(rest) = line.split("serving on ").nth(1) {
                break rest.trim().trim_end_matches('/').to_string();
            }
        };
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Server { child, base, log }
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        respond(ureq::post(&format!("{}{path}", self.base)).send_json(body))
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        match ureq::get(&format!("{}{path}", self.base)).call() {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(c, r)) => (c, r.into_string().unwrap()),
            Err(e) => panic!("{e}"),
        }
    }
}

fn respond(r: Result<ureq::Response, ureq::Error>) -> (u16, serde_json::Value) {
    match r {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(c, r)) => (c, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

/// A small index of real English with the demo's GPT-NeoX tokenizer.
pub fn demo_like_index(dir: &Path) -> std::path::PathBuf {
    let tok = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/demo/tokenizer.json");
    let docs: Vec<(String, String)> = vec![
        ("books/tale/1".into(), "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.".into()),
        ("books/pride/1".into(), "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.".into()),
        ("books/pride/2".into(), "However little known the feelings or views of such a man may be on his first entering a neighbourhood.".into()),
        ("docs/sorted".into(), "The built-in sorted() function returns a new sorted list from the items in iterable. The sort is guaranteed to be stable.".into()),
        ("docs/généré ü".into(), "Unicode text: naïve café — déjà vu. The sort is guaranteed to be stable.".into()),
    ];
    let input = support::write_jsonl(dir, "c.jsonl", &docs);
    let out = dir.join("idx");
    support::build(vec![input], &out, tok.to_str().unwrap(), None);
    out
}

const OUTPUT: &str = "As Dickens wrote, it was the best of times, it was the worst of times. Also, the sort is guaranteed to be stable, like naïve café — déjà vu.";

#[test]
fn every_endpoint_and_error_status_over_a_real_socket() {
    let dir = tempfile::tempdir().unwrap();
    let idx = demo_like_index(dir.path());
    let srv = Server::start(&idx, &["--max-text-bytes", "4000"]);

    let (c, body) = srv.get("/health");
    assert_eq!(c, 200, "{body}");
    let (c, body) = srv.get("/api/v1/indexes");
    assert_eq!(c, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["indexes"][0]["documents"], 5);

    // Trace, checked against the library's own answer.
    let (c, t) = srv.post(
        "/api/v1/trace",
        serde_json::json!({"response": OUTPUT, "prompt": "Quote some books", "density": 1.0}),
    );
    assert_eq!(c, 200, "{t}");
    let index = verbatim_core::Index::open(&idx).unwrap();
    let mut opts = verbatim_core::query::TraceOptions::defaults_for(&index);
    opts.density = 1.0;
    let lib = index
        .trace(OUTPUT, Some("Quote some books"), &opts)
        .unwrap();
    let lib =
        serde_json::to_value(verbatim_core::api::TraceJson::new(&index, OUTPUT, &lib)).unwrap();
    // Floats are compared with a tolerance (the server's JSON went through text and back);
    // everything else must be identical.
    let (mut got, mut want) = (t.clone(), lib.clone());
    let (gf, wf) = (take_floats(&mut got), take_floats(&mut want));
    for key in [
        "spans",
        "documents",
        "display_spans",
        "tokens",
        "candidate_spans",
    ] {
        assert_eq!(
            got[key], want[key],
            "{key} differs from the library's answer"
        );
    }
    assert_eq!(gf.len(), wf.len());
    for (a, b) in gf.iter().zip(&wf) {
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} vs {b}");
    }
    let spans = t["spans"].as_array().unwrap();
    assert!(
        spans.iter().any(|s| s["text"]
            .as_str()
            .unwrap()
            .contains("was the best of times, it was the worst of times")),
        "{t}"
    );
    // Offsets point at the span text, in bytes and in UTF-16 units.
    let utf16: Vec<u16> = OUTPUT.encode_utf16().collect();
    for s in spans {
        let (b0, b1) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&OUTPUT[b0..b1], s["text"].as_str().unwrap());
        let (u0, u1) = (
            s["utf16_start"].as_u64().unwrap() as usize,
            s["utf16_end"].as_u64().unwrap() as usize,
        );
        assert_eq!(
            String::from_utf16(&utf16[u0..u1]).unwrap(),
            s["text"].as_str().unwrap()
        );
    }
    // Every document returned for a span contains that span's text.
    for d in t["documents"].as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        let (c, doc) = srv.get(&format!("/api/v1/documents/{}", encode(id)));
        assert_eq!(c, 200, "{id}: {doc}");
        let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
        for sid in d["span_ids"].as_array().unwrap() {
            let text = spans[sid.as_u64().unwrap() as usize]["text"]
                .as_str()
                .unwrap();
            assert!(
                doc["text"].as_str().unwrap().contains(text),
                "{id} lacks {text:?}"
            );
        }
    }

    let (c, s) = srv.post(
        "/api/v1/spans",
        serde_json::json!({"text": OUTPUT, "max_count": 5}),
    );
    assert_eq!(c, 200, "{s}");
    assert!(s["spans"].as_array().unwrap().len() >= 2);
    let (c, n) = srv.post(
        "/api/v1/count",
        serde_json::json!({"text": " The sort is guaranteed"}),
    );
    assert_eq!((c, n["count"].as_u64()), (200, Some(2)), "{n}");
    let ids = n["token_ids"].clone();
    let (c, n2) = srv.post("/api/v1/count", serde_json::json!({"token_ids": ids}));
    assert_eq!((c, n2["count"].as_u64()), (200, Some(2)));
    let (c, h) = srv.post(
        "/api/v1/search",
        serde_json::json!({"query": "universally acknowledged", "limit": 3}),
    );
    assert_eq!(c, 200, "{h}");
    assert_eq!(h["hits"][0]["id"], "books/pride/1");
    assert_eq!(h["warnings"], serde_json::json!([]), "{h}");
    // A query not valid as written is read leniently, and the answer says how.
    let (c, h) = srv.post(
        "/api/v1/search",
        serde_json::json!({"query": "(universally \"acknowledged", "limit": 3}),
    );
    assert_eq!(c, 200, "{h}");
    assert_eq!(h["hits"][0]["id"], "books/pride/1");
    let warnings = h["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{h}");
    assert!(
        warnings
            .iter()
            .all(|w| w.as_str().unwrap().contains("not closed")),
        "{h}"
    );
    // `text:*` (tantivy's "has a value", which needed a fast field: a 500) finds every document.
    let (c, h) = srv.post(
        "/api/v1/search",
        serde_json::json!({"query": "text:*", "limit": 100}),
    );
    assert_eq!(c, 200, "{h}");
    assert!(h["hits"].as_array().unwrap().len() > 1, "{h}");
    let (c, d) = srv.get(&format!(
        "/api/v1/documents/{}?highlight=caf%C3%A9",
        encode("docs/généré ü")
    ));
    assert_eq!(c, 200, "{d}");
    let d: serde_json::Value = serde_json::from_str(&d).unwrap();
    assert_eq!(d["highlights"].as_array().unwrap().len(), 1);
    let (c, o) = srv.get("/api/v1/openapi.json");
    assert_eq!(c, 200);
    assert!(o.contains("\"openapi\""));
    let (c, m) = srv.get("/metrics");
    assert_eq!(c, 200);
    assert!(
        m.contains("verbatim_requests_total{route=\"/api/v1/trace\",status=\"200\"}"),
        "{m}"
    );
    let (c, page) = srv.get("/");
    assert_eq!(c, 200);
    assert!(page.contains("<html"));

    // Errors: JSON bodies with the right status.
    let bad_json = ureq::post(&format!("{}/api/v1/trace", srv.base))
        .set("Content-Type", "application/json")
        .send_string("{not json");
    assert_eq!(respond(bad_json).0, 400);
    let (c, e) = srv.post(
        "/api/v1/trace",
        serde_json::json!({"prompt": "no response field"}),
    );
    assert_eq!(c, 400, "{e}");
    assert!(e["error"]["message"].is_string() && e["error"]["code"] == "bad_request");
    assert_eq!(
        srv.post(
            "/api/v1/trace",
            serde_json::json!({"response": "x", "index": "nope"})
        )
        .0,
        404
    );
    assert_eq!(srv.get("/api/v1/documents/no%2Fsuch%2Fdoc").0, 404);
    assert_eq!(
        srv.post(
            "/api/v1/trace",
            serde_json::json!({"response": "a".repeat(5000)})
        )
        .0,
        413
    );
    assert_eq!(
        srv.post("/api/v1/trace", serde_json::json!({"response": ""}))
            .0,
        422
    );
    assert_eq!(
        srv.post("/api/v1/count", serde_json::json!({"token_ids": [999999]}))
            .0,
        422
    );
    // Request fields as the OpenAPI document states them.
    let (c, n3) = srv.post(
        "/api/v1/count",
        serde_json::json!({"token_ids": ids.as_array().unwrap().iter().map(|i| i.as_f64().unwrap()).collect::<Vec<_>>()}),
    );
    assert_eq!(
        (c, n3["count"].as_u64()),
        (200, Some(2)),
        "whole floats are integers: {n3}"
    );
    for (path, body) in [
        (
            "/api/v1/count",
            serde_json::json!({"text": null, "token_ids": [1]}),
        ),
        (
            "/api/v1/count",
            serde_json::json!({"text": "a", "token_ids": [1]}),
        ),
        (
            "/api/v1/spans",
            serde_json::json!({"text": "a", "max_count": 2.5}),
        ),
        (
            "/api/v1/trace",
            serde_json::json!({"response": "a", "max_count": -1}),
        ),
        (
            "/api/v1/search",
            serde_json::json!({"query": "a", "limit": null}),
        ),
    ] {
        let (c, e) = srv.post(path, body.clone());
        assert_eq!(
            (c, e["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{path} {body}: {e}"
        );
    }
    assert_eq!(
        srv.post("/api/v1/count", serde_json::json!({"token_ids": []}))
            .0,
        422
    );
    let (c, e) = srv.get("/api/v1/documents/x?max_tokens=many");
    assert_eq!(c, 400);
    let e: serde_json::Value = serde_json::from_str(&e).expect("query errors are JSON too");
    assert_eq!(e["error"]["code"], "bad_request");
    let o: serde_json::Value = serde_json::from_str(&o).unwrap();
    let items = &o["components"]["schemas"]["ContaminationRequest"]["properties"]["items"];
    assert_eq!(
        items["maxItems"], 1000,
        "the document states this server's --max-items"
    );

    // Nothing outside the embedded web page can be read.
    for p in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/etc/passwd",
        "/tests/e2e.test.mjs",
    ] {
        assert_eq!(srv.get(p).0, 404, "{p}");
    }
}

#[test]
fn overload_gets_fast_503_and_deadline_gets_504() {
    let dir = tempfile::tempdir().unwrap();
    let idx = demo_like_index(dir.path());
    // One worker and no queue: concurrent requests beyond one are refused at once.
    let srv = Server::start(
        &idx,
        &["--workers", "1", "--queue", "0", "--cache-entries", "0"],
    );
    let base = srv.base.clone();
    let handles: Vec<_> = (0..24)
        .map(|i| {
            let base = base.clone();
            std::thread::spawn(move || {
                let text = format!("{} {i} ", OUTPUT).repeat(60);
                respond(
                    ureq::post(&format!("{base}/api/v1/trace"))
                        .send_json(serde_json::json!({"response": text})),
                )
                .0
            })
        })
        .collect();
    let codes: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(codes.iter().all(|&c| c == 200 || c == 503), "{codes:?}");
    assert!(codes.contains(&503), "{codes:?}");
    assert!(codes.contains(&200), "{codes:?}");
    drop(srv);
    let srv = Server::start(&idx, &["--deadline-ms", "1", "--cache-entries", "0"]);
    let text = format!("{OUTPUT} ").repeat(200);
    let (c, e) = srv.post("/api/v1/trace", serde_json::json!({"response": text}));
    assert_eq!(c, 504, "{e}");
    assert_eq!(e["error"]["code"], "timeout");
}

/// Keyword-search snippets quote the document exactly, around the query word as a whole
/// word: `bet` is not found inside `alphabet` (whose window was cut inside the word and shown
/// as "The alpha bet"), whitespace is kept as it is, a length-changing lowercase (`İ`) does
/// not move the cut, and a document decoded in several chunks is searched as a whole.
#[test]
fn keyword_search_snippets_quote_the_document_around_a_whole_word() {
    let dir = tempfile::tempdir().unwrap();
    let tok = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/demo/tokenizer.json");
    let filler: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
    let long_gap = format!(
        "The alphabet is long. {}\n\n  Later we talk  about the bet itself.",
        filler.join(" ")
    );
    let dotted = format!(
        "{} İSTANBUL İİ. {} Later the Gambit of İstanbul ends.",
        "İİ ".repeat(40).trim_end(),
        filler.join(" ")
    );
    // Over 4,096 tokens (keyword search decodes a document 4,096 tokens at a time) of words
    // holding `bet`, before the word itself.
    let chunks = format!("{} then the bet itself.", "alphabet betting ".repeat(3000));
    let docs: Vec<(String, String)> = vec![
        (
            "short".into(),
            "The alphabet is long. Later we talk about the bet itself.".into(),
        ),
        ("gap".into(), long_gap.clone()),
        ("dotted".into(), dotted.clone()),
        ("chunks".into(), chunks.clone()),
    ];
    let input = support::write_jsonl(dir.path(), "c.jsonl", &docs);
    let idx = dir.path().join("idx");
    support::build(vec![input], &idx, tok.to_str().unwrap(), None);
    let srv = Server::start(&idx, &[]);
    let search = |q: &str| {
        let (c, v) = srv.post(
            "/api/v1/search",
            serde_json::json!({"query": q, "limit": 10}),
        );
        assert_eq!(c, 200, "{v}");
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["id"].as_str().unwrap().to_string(),
                    h["snippet"].as_str().unwrap().to_string(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let hits = search("bet");
    assert_eq!(
        hits["short"],
        "The alphabet is long. Later we talk about the bet itself."
    );
    // 30 words each side of the whole word `bet`: the start of the document is not shown.
    let gap = &hits["gap"];
    assert!(long_gap.contains(gap.as_str()), "{gap:?}");
    assert!(
        gap.ends_with("word39\n\n  Later we talk  about the bet itself."),
        "{gap:?}"
    );
    assert!(!gap.contains("alphabet"), "{gap:?}");
    let c = &hits["chunks"];
    assert!(chunks.contains(c.as_str()), "{c:?}");
    assert!(
        c.ends_with("alphabet betting  then the bet itself."),
        "{c:?}"
    );
    // `İ` lowercases to 3 bytes from 2: the cut is still at the word found, in the text as
    // it is (the first whole `İstanbul`, in capitals).
    let hits = search("İstanbul");
    let d = &hits["dotted"];
    assert!(dotted.contains(d.as_str()), "{d:?}");
    assert!(d.contains("İİ İSTANBUL İİ. word0"), "{d:?}");
    assert!(!d.contains("Gambit"), "{d:?}");
    // A query word found nowhere as a whole word (`alpha`): the document's start.
    let index = verbatim_core::Index::open(&idx).unwrap();
    let loc = index.doc_by_id("short").unwrap();
    assert_eq!(
        index.keyword_snippet(loc, "alpha", 3).text,
        "The alphabet is long."
    );
}

/// A server that cannot listen says why once (the OS error was printed twice: once in the
/// message, once more as its cause).
#[test]
fn a_port_in_use_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let idx = demo_like_index(dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = Command::new(support::verbatim_bin())
        .args(["serve", "--index", idx.to_str().unwrap(), "--addr", &addr])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    let why = std::io::Error::from(std::io::ErrorKind::AddrInUse).to_string();
    let line = err
        .lines()
        .find(|l| l.contains(&format!("cannot listen on {addr}")))
        .unwrap_or_else(|| panic!("{err}"));
    assert_eq!(line.matches("os error").count(), 1, "{err}");
    assert!(!line.contains(&format!("{why}: {why}")), "{err}");
}

/// Removes every non-integer number from `v` (depth first), returning them in order.
fn take_floats(v: &mut serde_json::Value) -> Vec<f64> {
    let mut out = Vec::new();
    match v {
        serde_json::Value::Number(n) if !n.is_u64() && !n.is_i64() => {
            out.push(n.as_f64().unwrap());
            *v = serde_json::Value::Null;
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| out.extend(take_floats(x))),
        serde_json::Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k != "timing_ms" {
                    out.extend(take_floats(x));
                }
            }
        }
        _ => {}
    }
    out
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A reload is logged with the default log filter, as plain text when stderr is no terminal.
#[test]
fn a_reload_is_logged_by_default_without_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let idx = demo_like_index(dir.path());
    let server = Server::start(&idx, &["--verify", "off"]);
    let input = support::write_jsonl(
        dir.path(),
        "new.jsonl",
        &[(
            "new/1".into(),
            "Seventeen gulls wheeled above the harbour.".into(),
        )],
    );
    let o = Command::new(support::verbatim_bin())
        .args(["index", "--append", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = std::time::Instant::now();
    let line = loop {
        // Each request notices the new manifest; the reload then runs in the background.
        let (status, _) = server.get("/health");
        assert_eq!(status, 200);
        let found = server
            .log
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains("serving the index as it is now on disk"))
            .cloned();
        if let Some(line) = found {
            break line;
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "no reload logged: {:?}",
            server.log.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(line.contains("generation=1"), "{line}");
    assert!(
        !line.contains('\x1b'),
        "colour codes in a log that is no terminal: {line:?}"
    );
}
