//! A span is text its cited documents hold, whatever the tokenizer. Equal tokens are not
//! always equal text: a byte-level token may hold the first bytes of a character that others
//! share (★ and ☃), SentencePiece's `▁` stands for a space or a document's start alike and is
//! put before a text the user did not type, and WordPiece's `[UNK]` stands for any character
//! it cannot spell. Each case below once reported a span, or a count, of text the cited
//! documents do not have (a review's reproductions).

use crate::router::post;
use crate::support;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

/// The documents every index below holds.
fn documents() -> Vec<(String, String)> {
    [
        (
            "glyph",
            "There is a rare glyph ☃ appears here in the snowy middle of it.",
        ),
        (
            "apple",
            "I ate an apple from the orchard yesterday and it was good.",
        ),
        (
            "parens",
            "Some code (f (g x)) more or less, and more after it.",
        ),
        ("years", "In the year 1999 and 2001 there were floods."),
        ("thai", "Unknown letters ᚠᚢᚦ runes and 🦀 crabs here."),
        ("tab", "A line\twith a tab inside it."),
        ("crlf", "Then he stood up, he\r\nreached the door."),
        (
            "quote",
            "Lincoln wrote:\n\n“I sincerely hope father may yet recover.",
        ),
        (
            "indent",
            "Then he said:\n    Good morning, sir.\nAnd    Good night.",
        ),
    ]
    .into_iter()
    .map(|(id, text)| (id.to_string(), text.to_string()))
    .collect()
}

/// An index of [`documents`] built with `tokenizer` (a path, or `bytes`) and its router.
fn served(tmp: &Path, tokenizer: &str) -> Router {
    let input = support::write_jsonl(tmp, "docs.jsonl", &documents());
    let dir = tmp.join("index");
    support::build(vec![input], &dir, tokenizer, None);
    support::uncached_router(&dir)
}

/// The texts of a span lookup's spans, in order.
fn span_texts(v: &Value) -> Vec<&str> {
    v["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect()
}

/// An index of one document `text` (id `d1`) built with the tokenizer at `tokenizer`, and its
/// router.
fn one_document(tmp: &Path, tokenizer: &Path, text: &str) -> Router {
    let input = support::write_jsonl(tmp, "d.jsonl", &[("d1".to_string(), text.to_string())]);
    let dir = tmp.join("index");
    support::build(vec![input], &dir, tokenizer.to_str().unwrap(), None);
    support::uncached_router(&dir)
}

/// Traces `response` keeping every span (`partial`: spans may cut words) and checks each
/// span: its offsets fall between characters, its text is the response's text there, and
/// every document it cites holds that text. Returns the spans' texts.
async fn trace_checked(app: &Router, response: &str, partial: bool) -> Vec<String> {
    let (status, t) = post(
        app,
        "/api/v1/trace",
        json!({"response": response, "maximum_span_density": 1.0,
               "allow_spans_with_partial_words": partial}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let texts: HashMap<String, String> = documents().into_iter().collect();
    let mut out = Vec::new();
    for s in t["spans"].as_array().unwrap() {
        let (a, b) = (
            s["byte_start"].as_u64().unwrap() as usize,
            s["byte_end"].as_u64().unwrap() as usize,
        );
        assert!(
            response.is_char_boundary(a) && response.is_char_boundary(b),
            "span {s} of {response:?} cuts a character"
        );
        let text = s["text"].as_str().unwrap();
        assert_eq!(&response[a..b], text, "span {s}");
        assert!(!text.is_empty(), "empty span {s} of {response:?}");
        for id in s["document_ids"].as_array().unwrap() {
            let doc = &texts[id.as_str().unwrap()];
            assert!(
                doc.contains(text),
                "span {text:?} of {response:?} cites {id}, which does not hold it: {doc:?}"
            );
        }
        out.push(text.to_string());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_level_spans_never_end_inside_a_character() {
    let Some(neox) = support::shared_data("tokenizers/olmo-gpt-neox.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = served(tmp.path(), neox.to_str().unwrap());
    // ★ and ☃ share their first two UTF-8 bytes, which GPT-NeoX spells as one token.
    let spans = trace_checked(&app, "a rare glyph ★ appears here", true).await;
    assert!(spans.iter().any(|s| s.ends_with("rare glyph")), "{spans:?}");
    trace_checked(&app, "a rare glyph ★ appears here", false).await;
    // A text's trailing space is a token of its own: alone, it was a span with text "" (its
    // range trimmed to nothing, with the count of every such space). A span covers the text of
    // its tokens (` an`, with its space: GPT-NeoX's trimmed offsets showed `an`), and
    // whitespace alone is no span.
    for partial in [false, true] {
        let spans = trace_checked(&app, "qqq an apple from the orchard ", partial).await;
        assert_eq!(spans, [" an apple from the orchard"], "{spans:?}");
    }
}

/// A span's text is the text of the tokens it counted, spaces included, and a run of spaces
/// alone is no span, on GPT-NeoX (whose offsets HuggingFace trims: ` Good` covered `Good`, so
/// a span showed `Good` with the count of `    Good`) as on GPT-2 (whose offsets it does not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_shows_the_text_it_counted_with_its_spaces() {
    for name in ["olmo-gpt-neox.json", "gpt2.json"] {
        let Some(tok) = support::shared_data(&format!("tokenizers/{name}")) else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let app = served(tmp.path(), tok.to_str().unwrap());
        let text = "Qzxv said:\n    Good morning, sir";
        let (status, v) = post(
            &app,
            "/api/v1/spans",
            json!({"text": text, "word_boundaries": false, "delimiters": []}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let spans = v["spans"].as_array().unwrap();
        let good = spans
            .iter()
            .find(|s| s["text"].as_str().unwrap().contains("Good"))
            .unwrap_or_else(|| panic!("{name}: no span holds Good: {v}"));
        assert!(
            good["text"].as_str().unwrap().contains(":\n    Good"),
            "{name}: {good}"
        );
        for s in spans {
            let t = s["text"].as_str().unwrap();
            let (a, b) = (
                s["byte_start"].as_u64().unwrap() as usize,
                s["byte_end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&text[a..b], t, "{name}: {s}");
            assert!(
                t.chars().any(|c| !c.is_whitespace()),
                "{name}: whitespace alone: {s}"
            );
            let (_, c) = post(&app, "/api/v1/count", json!({"text": t})).await;
            assert_eq!(
                c["count"], s["count"],
                "{name}: the count of {t:?} is not the span's: {s}"
            );
        }
    }
}

/// A word ends before a carriage return as before a newline, and punctuation outside ASCII
/// (`“`, where one piece spells it) starts a word, as in byte mode: a CRLF line lost its last word
/// (`up,` for `up, he`) and a quotation at a line's start its first (`sincerely` for `“I`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carriage_returns_end_words_and_curly_quotes_start_them() {
    for name in [
        "olmo-gpt-neox.json",
        "gpt2.json",
        "llama2.json",
        "olmo2-dolma2.json",
    ] {
        let Some(tok) = support::shared_data(&format!("tokenizers/{name}")) else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let app = served(tmp.path(), tok.to_str().unwrap());
        let mut cases = vec![("Qzxv stood up, he\r\nQzxv", "up, he")];
        // GPT-2 spells `“` in two pieces, the first not a whole character: no word start.
        if name != "gpt2.json" {
            cases.push(("Qzxv said:\n\n“I sincerely hope father", "“I sincerely"));
        }
        for (text, want) in cases {
            let (status, v) = post(&app, "/api/v1/spans", json!({ "text": text })).await;
            assert_eq!(status, 200, "{v}");
            let texts = span_texts(&v);
            assert!(
                texts.iter().any(|t| t.contains(want)),
                "{name}: {text:?}: {texts:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn byte_spans_never_end_inside_a_character() {
    let tmp = tempfile::tempdir().unwrap();
    let app = served(tmp.path(), "bytes");
    let spans = trace_checked(&app, "a rare glyph ★ appears here", true).await;
    assert!(spans.iter().all(|s| !s.contains('★')), "{spans:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentencepiece_spans_hold_no_space_the_document_may_lack() {
    let Some(llama) = support::shared_data("tokenizers/llama2.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = served(tmp.path(), llama.to_str().unwrap());
    // The `▁` opening a text was reported as its first character, with the count of every
    // word start; a `▁word` match at a document's start was reported with the user's space.
    for response in [
        ")))) more or less",
        "\twith a tab inside",
        "A line\twith a tab inside",
        "Then I ate an apple from the orchard yesterday",
        "京都 and 2001 there were floods",
    ] {
        for partial in [false, true] {
            let spans = trace_checked(&app, response, partial).await;
            // The space `▁` stands for is left out; a tab or newline token is the text's own
            // (it was cut too), and the cited documents hold it ([`trace_checked`]).
            assert!(
                spans.iter().all(|s| !s.starts_with(' ')),
                "{response:?}: {spans:?}"
            );
        }
    }
    // CNF windows are cut into pieces that join into the document's text (each decoded
    // alone lost the space opening it: "I ate an" + "apple" + " from", read "anapple").
    let (status, body) = post(&app, "/api/v1/cnf", json!({ "query": "apple" })).await;
    assert_eq!(status, 200, "{body}");
    let doc = &body["documents"][0];
    let joined: String = doc["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().or(p["text"].as_str()).unwrap().to_string())
        .collect();
    assert!(
        joined.contains("ate an apple from the"),
        "{joined:?}: {doc}"
    );
    // A line ending `\r` starts a word, as `\n` does: the word before it can end a span (a
    // review saw `the lazy dog\r\n` give `the lazy`; Llama 2 spells `\r` as a piece of its
    // own, id 28801, not as the byte `<0x0D>`).
    for ending in ["\n", "\r\n"] {
        let response = format!("quokka I ate an apple from the orchard{ending}zebra");
        let spans = trace_checked(&app, &response, false).await;
        assert!(
            spans.iter().any(|s| s.ends_with("the orchard")),
            "{ending:?}: {spans:?}"
        );
    }
    // A text opening with a space is `▁` (0, 1) then `▁ate` (0, 4): they overlap, and a span
    // may still begin at `▁ate` (its first word was dropped).
    for partial in [false, true] {
        let spans = trace_checked(&app, " ate an apple from the orchard", partial).await;
        assert_eq!(spans, ["ate an apple from the orchard"], "{spans:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordpiece_unknown_tokens_match_nothing() {
    let Some(bert) = support::shared_data("tokenizers/bert-uncased-wordpiece.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = served(tmp.path(), bert.to_str().unwrap());
    // Other runes, and a Thai greeting, are `[UNK]` as the document's runes are.
    let spans = trace_checked(&app, "Unknown letters ᛗᛁᛚ runes", false).await;
    assert_eq!(spans, ["Unknown letters", "runes"], "{spans:?}");
    assert!(trace_checked(&app, "สวัสดีชาวโลก", false).await.is_empty());
    // Counting a text the tokenizer drops whole, or one it cannot spell, is refused: the
    // first would count every token, the second every unknown character.
    for text in ["\n", "\u{200b}", "ᛗᛁᛚ"] {
        let (status, body) = post(&app, "/api/v1/count", json!({ "text": text })).await;
        assert_eq!(status, 422, "{text:?}: {body}");
    }
    // So is a CNF term that is the unknown token (it counted the runes of `thai`).
    for query in ["ᛗᛁᛚ", "runes AND ᛗᛁᛚ", "ᛗᛁᛚ OR runes"] {
        let (status, body) = post(&app, "/api/v1/cnf", json!({ "query": query })).await;
        assert_eq!(status, 422, "{query:?}: {body}");
    }
    let (status, body) = post(&app, "/api/v1/cnf", json!({ "query": "runes" })).await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(1)), "{body}");
    let (status, body): (u16, Value) =
        post(&app, "/api/v1/count", json!({ "text": "runes" })).await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(1)), "{body}");
}

/// GPT-2's byte-level alphabet: the character that stands for each byte in a piece.
fn byte_of_char() -> HashMap<char, u8> {
    let mut printable: Vec<u8> = (b'!'..=b'~')
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars: Vec<u32> = printable.iter().map(|&b| u32::from(b)).collect();
    let mut extra = 0;
    for b in 0..=255u8 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + extra);
            extra += 1;
        }
    }
    printable
        .into_iter()
        .zip(chars)
        .map(|(b, c)| (char::from_u32(c).unwrap(), b))
        .collect()
}

/// The table read at load answers as the pieces do: for every id of every shared tokenizer,
/// a token starts inside a character exactly when its first byte (a byte-level piece's first
/// character read back as its byte, or a `<0xNN>` byte-fallback piece's) is a UTF-8
/// continuation byte.
#[test]
fn the_inside_a_character_table_agrees_with_every_piece() {
    let continuation = |b: u8| (0x80..0xC0).contains(&b);
    let byte_of = byte_of_char();
    for name in [
        "olmo-gpt-neox.json",
        "gpt2.json",
        "olmo2-dolma2.json",
        "llama2.json",
        "bert-uncased-wordpiece.json",
    ] {
        let Some(path) = support::shared_data(&format!("tokenizers/{name}")) else {
            continue;
        };
        let (tok, _) = verbatim_core::TextTokenizer::from_spec(path.to_str().unwrap()).unwrap();
        let raw = tokenizers::Tokenizer::from_file(&path).unwrap();
        let added: std::collections::HashSet<u32> =
            raw.get_added_tokens_decoder().keys().copied().collect();
        let byte_level = tok.decodes_by_concatenation();
        let mut inside = 0;
        for id in 0..tok.vocab_size() {
            let want = raw.id_to_token(id).is_some_and(|p| {
                let first = if byte_level && !added.contains(&id) {
                    p.chars().next().and_then(|c| byte_of.get(&c).copied())
                } else if byte_level {
                    p.bytes().next()
                } else {
                    p.strip_prefix("<0x")
                        .and_then(|h| h.strip_suffix('>'))
                        .filter(|h| h.len() == 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                };
                first.is_some_and(continuation)
            });
            assert_eq!(tok.starts_inside_char(id), want, "{name}: id {id}");
            inside += usize::from(want);
        }
        eprintln!(
            "{name}: {inside} of {} ids start inside a character",
            tok.vocab_size()
        );
    }
}

/// With OLMo's GPT-NeoX, whose normaliser composes `e` + U+0301 into `é` (NFC), a span ending
/// on the composed letter covers its combining mark: the span's range stopped before it, so
/// the text shown ended in a bare `e` that the corpus does not hold there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_span_ending_on_a_composed_letter_keeps_its_combining_mark() {
    let Some(neox) = support::shared_data("tokenizers/olmo-gpt-neox.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let docs = vec![(
        "cafe".to_string(),
        "Every morning we met at the little café, then walked on.".to_string(),
    )];
    let input = support::write_jsonl(tmp.path(), "docs.jsonl", &docs);
    let dir = tmp.path().join("index");
    support::build(vec![input], &dir, neox.to_str().unwrap(), None);
    let app = support::uncached_router(&dir);
    let response = "zzqx we met at the little cafe\u{301}";
    let (status, t) = post(
        &app,
        "/api/v1/trace",
        json!({"response": response, "maximum_span_density": 1.0}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let spans = t["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 1, "{t}");
    let end = spans[0]["byte_end"].as_u64().unwrap() as usize;
    assert_eq!(end, response.len(), "{t}");
    assert!(
        spans[0]["text"].as_str().unwrap().ends_with("cafe\u{301}"),
        "{t}"
    );
}

/// NFC composes a letter with a mark that is not next to it (`a` + U+0332 + U+0301 is `á` +
/// U+0332), and HuggingFace's offsets then give the wrong characters: a span ending between
/// the `a` and its marks was shown as ` a̲` for the tokens of ` á` and cited a document
/// holding ` á`, and one starting at U+0301 was counted as U+0332 (found by review). Spans now
/// never begin or end inside a letter and its marks, so every one is its tokens' text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_never_begin_or_end_inside_a_letter_and_its_marks() {
    let Some(neox) = support::shared_data("tokenizers/olmo-gpt-neox.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let docs = vec![
        ("low".to_string(), "underlined a\u{332} letter".to_string()),
        ("acute".to_string(), "the \u{e1} yes".to_string()),
        ("both".to_string(), "in zzz \u{e1}\u{332} end".to_string()),
    ];
    let input = support::write_jsonl(tmp.path(), "docs.jsonl", &docs);
    let dir = tmp.path().join("index");
    support::build(vec![input], &dir, neox.to_str().unwrap(), None);
    let app = support::uncached_router(&dir);
    let response = "zzz a\u{332}\u{301} end";
    let (status, t) = post(
        &app,
        "/api/v1/trace",
        json!({"response": response, "maximum_span_density": 1.0,
               "allow_spans_with_partial_words": true}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let texts: HashMap<String, String> = docs.into_iter().collect();
    for s in t["spans"].as_array().unwrap() {
        let text = s["text"].as_str().unwrap();
        let first = text.chars().next().unwrap();
        assert!(!matches!(first, '\u{301}' | '\u{332}'), "{s}");
        assert!(!text.ends_with('a') && !text.ends_with("a\u{332}"), "{s}");
        // Every cited document holds the span's text in the normal form documents are shown in.
        let composed = text.replace("a\u{332}\u{301}", "\u{e1}\u{332}");
        for id in s["document_ids"].as_array().unwrap() {
            let doc = &texts[id.as_str().unwrap()];
            assert!(doc.contains(&composed), "{s} cites {id}: {doc:?}");
        }
    }
    let whole: Vec<&str> = t["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    // The letter with its marks is found whole, where `both` holds it.
    assert!(whole.contains(&" a\u{332}\u{301} end"), "{whole:?}");
}

/// WordPiece: a word given as a delimiter is that word's piece, not its continuation piece
/// (`cat` was read as `##cat`, so spans ran across the word asked to end them; a review's
/// report).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wordpiece_delimiter_word_ends_spans() {
    let Some(bert) = support::shared_data("tokenizers/bert-uncased-wordpiece.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let app = one_document(tmp.path(), &bert, "the cat sat, on the mat");
    let (status, v) = post(
        &app,
        "/api/v1/spans",
        json!({"text": "the cat sat, on the mat", "word_boundaries": false, "delimiters": ["cat"]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(span_texts(&v), ["the cat", "sat, on the mat"], "{v}");
    let (status, t) = post(
        &app,
        "/api/v1/trace",
        json!({"response": "the cat sat", "delimiters": ["cat"]}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["options"]["delimiters"], json!(["cat"]), "{t}");
}

/// WordPiece: a snippet starting inside a word shows the word's rest, not the continuation
/// piece's `##` (`##vably` for `unbelievably`, text the document does not hold; a review's
/// report).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wordpiece_snippet_starting_inside_a_word_shows_no_marker() {
    let Some(bert) = support::shared_data("tokenizers/bert-uncased-wordpiece.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let text = "unbelievably the cat sat on the mat quickly";
    let app = one_document(tmp.path(), &bert, text);
    for context in [1, 2] {
        let (status, t) = post(
            &app,
            "/api/v1/trace",
            json!({"response": "the cat sat on", "snippet_context_tokens": context}),
        )
        .await;
        assert_eq!(status, 200, "{t}");
        let sn = &t["documents"][0]["snippets"][0];
        let before = sn["before"].as_str().unwrap();
        assert!(!before.contains("##"), "{sn}");
        let shown = format!("{before}{}", sn["match"].as_str().unwrap());
        assert!(
            text.contains(shown.trim()),
            "context {context}: {shown:?} is not text of {text:?}"
        );
    }
}
