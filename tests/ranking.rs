//! The trace's BM25 ranking reads each document's words from its token ids
//! (`tokenizer/words/`) instead of decoding its windows. Checked against the definition: the
//! words equal `split_whitespace` of the decoded text for random token sequences of the real
//! byte-level vocabulary (split characters, Unicode spaces, every id), and every traced
//! document's score equals BM25 written out directly over its decoded windows.

use crate::support;
use proptest::prelude::*;
use std::collections::HashMap;
use verbatim_core::query::TraceOptions;
use verbatim_core::tokenizer::words::{WordNumbering, WordReader};
use verbatim_core::tokenizer::TextTokenizer;
use verbatim_core::Index;

fn demo_tokenizer() -> &'static TextTokenizer {
    static TOKENIZER: std::sync::OnceLock<TextTokenizer> = std::sync::OnceLock::new();
    TOKENIZER.get_or_init(|| {
        TextTokenizer::from_spec(support::demo_tokenizer().to_str().unwrap())
            .unwrap()
            .0
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn words_from_ids_equal_words_of_the_decoded_text(
        pieces in proptest::collection::vec(proptest::collection::vec(0u32..50_300, 0..40), 1..5)
    ) {
        let tok = demo_tokenizer();
        let table = tok.word_table().expect("byte-level BPE has a word table");
        let mut reader = WordReader::new(table);
        let mut text = String::new();
        for ids in &pieces {
            reader.push_tokens(ids, |ids| tok.decode(ids));
            text.push_str(&tok.decode(ids));
        }
        let words = reader.finish();
        let want: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        prop_assert_eq!(words.to_strings(table), want);
        // Numbered, the same text always gets the same number.
        let numbers = WordNumbering::new(table).number(&[&words]);
        let mut seen: HashMap<u32, &str> = HashMap::new();
        for (n, w) in numbers[0].iter().zip(text.split_whitespace()) {
            prop_assert_eq!(*seen.entry(*n).or_insert(w), w);
        }
        let distinct: std::collections::HashSet<&str> = text.split_whitespace().collect();
        prop_assert_eq!(seen.len(), distinct.len());
    }
}

/// `rank_bm25.BM25Okapi` written out directly (k1 1.5, b 0.75, epsilon 0.25).
fn bm25(corpus: &[String], query: &str) -> Vec<f64> {
    let docs: Vec<HashMap<&str, f64>> = corpus
        .iter()
        .map(|t| {
            let mut m = HashMap::new();
            for w in t.split_whitespace() {
                *m.entry(w).or_insert(0.0) += 1.0;
            }
            m
        })
        .collect();
    let n = corpus.len() as f64;
    let lens: Vec<f64> = corpus
        .iter()
        .map(|t| t.split_whitespace().count() as f64)
        .collect();
    let avgdl = (lens.iter().sum::<f64>() / n).max(1e-9);
    let mut df: HashMap<&str, f64> = HashMap::new();
    for d in &docs {
        for w in d.keys() {
            *df.entry(w).or_insert(0.0) += 1.0;
        }
    }
    let mut idf: HashMap<&str, f64> = df
        .iter()
        .map(|(w, f)| (*w, ((n - f + 0.5) / (f + 0.5)).ln()))
        .collect();
    let mean = idf.values().sum::<f64>() / idf.len().max(1) as f64;
    for v in idf.values_mut() {
        if *v < 0.0 {
            *v = 0.25 * mean;
        }
    }
    docs.iter()
        .zip(&lens)
        .map(|(tf, dl)| {
            query
                .split_whitespace()
                .map(|q| {
                    let f = tf.get(q).copied().unwrap_or(0.0);
                    let i = idf.get(q).copied().unwrap_or(0.0);
                    i * f * 2.5 / (f + 1.5 * (0.25 + 0.75 * dl / avgdl))
                })
                .sum()
        })
        .collect()
}

proptest! {
    #[test]
    fn bm25_of_texts_equals_the_definition(
        corpus in proptest::collection::vec("[abcde ]{0,40}", 0..30),
        query in "[abcdef ]{0,30}",
    ) {
        let got = verbatim_core::query::bm25::okapi_scores(&corpus, &query);
        let want = bm25(&corpus, &query);
        prop_assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            // The mean idf is summed in another order: equal up to rounding.
            prop_assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{} vs {}", g, w);
        }
    }
}

/// Documents mixing prose, code, Unicode spaces, accents, CJK and emoji (characters that
/// byte-level BPE splits into several tokens), with shared passages so that spans recur.
fn corpus() -> Vec<(String, String)> {
    let shared = [
        "The quick brown fox jumps over the lazy dog.",
        "fn main() { println!(\"héllo, wörld\"); }",
        "東京は日本の首都です。\u{3000}It is large.",
        "Temperatures rose\u{a0}3\u{a0}°C — a record 🌡️🔥 for the season.",
        "for (int i = 0; i < n; ++i) sum += a[i];",
    ];
    (0..40)
        .map(|i| {
            let mut text = String::new();
            for j in 0..12 {
                let s = shared[(i * 7 + j * 3) % shared.len()];
                text.push_str(s);
                text.push_str(if (i + j) % 4 == 0 { "\n\n" } else { " " });
                text.push_str(&format!("doc{i} line{j} café naïve\t"));
            }
            (format!("d{i}"), text)
        })
        .collect()
}

#[test]
fn traced_documents_are_scored_by_bm25_over_their_decoded_windows() {
    let dir = tempfile::tempdir().unwrap();
    let input = support::write_jsonl(dir.path(), "c.jsonl", &corpus());
    let out = dir.path().join("idx");
    support::build(
        vec![input],
        &out,
        support::demo_tokenizer().to_str().unwrap(),
        None,
    );
    let index = Index::open(&out).unwrap();
    assert!(index.tokenizer().word_table().is_some());
    let texts = [
        "As they say, the quick brown fox jumps over the lazy dog. Then fn main() { println!(\"héllo, wörld\"); } runs.",
        "東京は日本の首都です。\u{3000}It is large. Temperatures rose\u{a0}3\u{a0}°C — a record 🌡️🔥 for the season.",
        "for (int i = 0; i < n; ++i) sum += a[i]; The quick brown fox jumps over the lazy dog. doc3 line4 café naïve",
    ];
    let mut compared = 0;
    for (t, text) in texts.iter().enumerate() {
        let mut opts = TraceOptions::defaults_for(&index);
        opts.long_view = true;
        let prompt = (t == 1).then_some("a prompt about Tokyo 東京");
        let tr = index.trace(text, prompt, &opts).unwrap();
        assert!(tr.documents.len() > 1, "text {t} cites several documents");
        let windows: Vec<String> = tr
            .documents
            .iter()
            .map(|d| d.ranked_text().unwrap())
            .collect();
        let query = match prompt {
            Some(p) => format!("{p} {text}"),
            None => text.to_string(),
        };
        let want = bm25(&windows, &query);
        for (d, w) in tr.documents.iter().zip(&want) {
            assert!(
                (d.bm25 - w).abs() <= 1e-9 * w.abs().max(1.0),
                "text {t}, document {}: bm25 {} but the definition gives {w}",
                d.record.id,
                d.bm25
            );
            compared += 1;
        }
        // Ranked by score, then document number.
        for pair in tr.documents.windows(2) {
            assert!(
                pair[0].bm25 > pair[1].bm25
                    || (pair[0].bm25 == pair[1].bm25
                        && pair[0].location.doc_no < pair[1].location.doc_no)
            );
        }
        // Without the long view the windows are not decoded; the scores are the same.
        opts.long_view = false;
        let plain = index.trace(text, prompt, &opts).unwrap();
        let bits = |tr: &verbatim_core::query::Trace| -> Vec<(u64, u64)> {
            tr.documents
                .iter()
                .map(|d| (d.location.doc_no, d.bm25.to_bits()))
                .collect()
        };
        assert_eq!(bits(&tr), bits(&plain));
        assert!(plain.documents.iter().all(|d| d.long_snippets.is_none()));
    }
    assert!(compared > 20, "only {compared} documents compared");
}

/// OLMo 2's tokenizer (byte-level BPE behind a pre-tokenizer the fast encoder does not know)
/// still decodes by its byte table, equal to HuggingFace's decoder, and has a word table.
#[test]
fn olmo2_decodes_by_its_byte_table_and_reads_words_from_ids() {
    let Some(path) = support::shared_data("tokenizers/olmo2-dolma2.json") else {
        return;
    };
    let tok = TextTokenizer::from_spec(path.to_str().unwrap()).unwrap().0;
    assert!(!tok.has_fast_path());
    let table = tok.word_table().expect("ByteLevel decoder: a word table");
    let texts = [
        "Hello, world! It's 2024 -- they'll've done it.\n\n  Indented\tline  ",
        "a\u{a0}\u{a0}b a\u{3000}\u{3000}b x\u{2028}y a \u{85}b",
        "Cafe\u{301} naïve — déjà vu; 東京 🦀🦀 emoji <|endoftext|> <|fim_prefix|>x",
    ];
    for t in texts {
        let ids = tok.encode_ids(t).unwrap();
        for a in 0..ids.len() {
            for b in a..=ids.len().min(a + 5) {
                // HuggingFace's decoder shows a character cut at an edge as U+FFFD; verbatim
                // leaves it out (the texts hold no U+FFFD of their own).
                assert_eq!(
                    tok.decode(&ids[a..b]),
                    tok.decode_reference(&ids[a..b]).trim_matches('\u{fffd}')
                );
            }
        }
    }
    // Random ids over the whole vocabulary, added tokens included, between two `.` (so no
    // character is cut at an edge, where the decoders differ on purpose).
    let dot = tok.encode_ids(".").unwrap()[0];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..300 {
        let ids: Vec<u32> = std::iter::once(dot)
            .chain((0..24).map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 33) % tok.vocab_size() as u64) as u32
            }))
            .chain(std::iter::once(dot))
            .collect();
        let text = tok.decode(&ids);
        assert_eq!(text, tok.decode_reference(&ids), "{ids:?}");
        let mut reader = WordReader::new(table);
        reader.push_tokens(&ids, |ids| tok.decode(ids));
        let want: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        assert_eq!(reader.finish().to_strings(table), want, "{ids:?}");
    }
}
