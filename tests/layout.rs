//! The same corpus answers the same whatever its shard layout: one shard, many shards, or
//! built by appends. Counts, spans, traces (with their sampled documents), next-token
//! distributions, document lookups, keyword search and contamination reports must be equal.

use crate::support;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use verbatim_contamination::{CheckOptions, Checker, Item, Method};
use verbatim_core::api::{SpansJson, TraceJson};
use verbatim_core::normalize::Normalization;
use verbatim_core::query::{SpanOptions, TraceOptions};
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

/// A small deterministic generator.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next value below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Documents built from a bank of phrases (so n-grams repeat across many documents) and
/// unique words; ids `doc-N`. Returns the documents and the phrase bank.
pub fn corpus(n_docs: usize, seed: u64) -> (Vec<(String, String)>, Vec<String>) {
    let mut r = Lcg(seed);
    let phrases: Vec<String> = (0..40)
        .map(|_| {
            let len = 3 + r.below(12);
            (0..len)
                .map(|_| format!("w{}", r.below(300)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let docs = (0..n_docs)
        .map(|d| {
            let mut words: Vec<String> = Vec::new();
            let parts = 4 + r.below(12);
            for _ in 0..parts {
                if r.below(3) == 0 {
                    words.push(format!("w{}", 300 + r.below(9000)));
                } else {
                    words.push(phrases[r.below(phrases.len())].clone());
                }
                if r.below(5) == 0 {
                    words.push(".".into());
                }
            }
            (format!("doc-{d}"), words.join(" "))
        })
        .collect();
    (docs, phrases)
}

fn options(inputs: Vec<PathBuf>, out: &Path, tokenizer: &str) -> BuildOptions {
    let mut o = BuildOptions::new(inputs, out.to_path_buf(), tokenizer);
    o.threads = 2;
    o.name = "layout".into();
    o.max_document_bytes = 1 << 20;
    o.side_indexes = vec![Normalization::Words, Normalization::Alnum];
    o
}

/// The spans and traces of `texts` as the API shows them, without timings. Every span is
/// traced (not only the rarest 5%), so frequent spans sample documents too.
pub(crate) fn spans_and_traces(index: &Index, texts: &[String]) -> (Vec<Value>, Vec<Value>) {
    // The word-level test tokenizer marks no word starts, so spans may start at any token.
    let span_opts = SpanOptions {
        word_boundaries: false,
        ..SpanOptions::defaults_for(index)
    };
    let mut trace_opts = TraceOptions {
        density: 1.0,
        ..TraceOptions::defaults_for(index)
    };
    trace_opts.spans.word_boundaries = false;
    let mut spans = Vec::new();
    let mut traces = Vec::new();
    for t in texts {
        let enc = index.tokenizer().encode(t).unwrap();
        let s = index.spans(t, &enc, &span_opts);
        spans.push(serde_json::to_value(SpansJson::new(index, t, enc.ids.len(), &s)).unwrap());
        let tr = index.trace(t, Some("a prompt w1 w2"), &trace_opts).unwrap();
        let mut v = serde_json::to_value(TraceJson::new(index, t, &tr)).unwrap();
        v.as_object_mut().unwrap().remove("timing_ms");
        traces.push(v);
    }
    (spans, traces)
}

/// Everything the index answers for the probes, without timings.
fn answers(index: &Index, texts: &[String], ngrams: &[Vec<u32>], n_docs: usize) -> Value {
    let counts: Vec<u64> = ngrams.iter().map(|g| index.count(g)).collect();
    let (spans, traces) = spans_and_traces(index, texts);
    let ntd: Vec<Value> = ngrams
        .iter()
        .take(30)
        .map(|g| {
            let d = index.next_token_distribution(&g[..g.len().min(2)]);
            json!([d.prompt_count, d.next, d.end_of_document])
        })
        .collect();
    let docs: Vec<Value> = (0..n_docs)
        .step_by(7)
        .map(|d| {
            let v = index.document_by_id(&format!("doc-{d}"), None).unwrap();
            json!([v.location.doc_no, v.text, v.record.id])
        })
        .collect();
    let mut search: Vec<Value> = Vec::new();
    for q in ["w1 w2", "w17", "w250 w3"] {
        let mut hits: Vec<(u64, i64)> = index
            .fulltext()
            .unwrap()
            .search(q, 0, 10_000)
            .unwrap()
            .hits
            .iter()
            .map(|h| (h.doc_no, (h.score * 1e4).round() as i64))
            .collect();
        hits.sort();
        search.push(json!(hits));
    }
    let checker = Checker::new(
        index,
        CheckOptions {
            methods: vec![
                Method::Gpt3,
                Method::Palm,
                Method::Llama2,
                Method::Gpt4,
                Method::Substr50,
            ],
            ..CheckOptions::default()
        },
    )
    .unwrap();
    let contamination: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut v =
                serde_json::to_value(checker.check(&Item::new(format!("i{i}"), t, "b"))).unwrap();
            for m in v["methods"].as_array_mut().unwrap() {
                m.as_object_mut().unwrap().remove("elapsed_ms");
                m.as_object_mut().unwrap().remove("elapsed");
            }
            v
        })
        .collect();
    json!({
        "counts": counts, "spans": spans, "traces": traces, "ntd": ntd, "docs": docs,
        "search": search, "contamination": contamination,
        "documents": index.manifest().documents, "tokens": index.manifest().tokens,
    })
}

/// Probe texts stitched from documents and unknown words, and n-grams cut from documents.
pub(crate) fn probes(
    docs: &[(String, String)],
    phrases: &[String],
    index: &Index,
) -> (Vec<String>, Vec<Vec<u32>>) {
    let mut r = Lcg(99);
    let mut texts = Vec::new();
    for _ in 0..8 {
        let parts: Vec<String> = (0..6)
            .map(|_| {
                format!(
                    "{} w{}",
                    phrases[r.below(phrases.len())],
                    9500 + r.below(400)
                )
            })
            .collect();
        texts.push(parts.join(" "));
    }
    for _ in 0..16 {
        let mut parts = Vec::new();
        for _ in 0..4 {
            let d: Vec<&str> = docs[r.below(docs.len())].1.split(' ').collect();
            let a = r.below(d.len());
            let b = (a + 5 + r.below(25)).min(d.len());
            parts.push(d[a..b].join(" "));
            parts.push(format!("w{}", 9500 + r.below(400)));
        }
        texts.push(parts.join(" "));
    }
    let mut ngrams = Vec::new();
    for _ in 0..200 {
        let d = &docs[r.below(docs.len())].1;
        let ids = index.tokenizer().encode_ids(d).unwrap();
        let a = r.below(ids.len());
        let b = (a + 1 + r.below(8)).min(ids.len());
        ngrams.push(ids[a..b].to_vec());
    }
    (texts, ngrams)
}

#[test]
fn answers_do_not_depend_on_shards_or_appends() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 10_000);
    let tok = tok.to_str().unwrap();
    let (docs, phrases) = corpus(240, 7);
    let all = support::write_jsonl(dir.path(), "all.jsonl", &docs);

    let one = dir.path().join("one");
    verbatim_indexer::build(&options(vec![all.clone()], &one, tok)).unwrap();
    let reference = Index::open(&one).unwrap();
    assert_eq!(reference.shards().len(), 1);
    let per_shard = reference.manifest().tokens / 7 + 1;

    let many = dir.path().join("many");
    let mut o = options(vec![all.clone()], &many, tok);
    o.shard_max_tokens = per_shard;
    verbatim_indexer::build(&o).unwrap();

    let appended = dir.path().join("appended");
    let thirds: Vec<PathBuf> = docs
        .chunks(80)
        .enumerate()
        .map(|(i, c)| support::write_jsonl(dir.path(), &format!("part{i}.jsonl"), c))
        .collect();
    verbatim_indexer::build(&options(vec![thirds[0].clone()], &appended, tok)).unwrap();
    for part in &thirds[1..] {
        let mut o = options(vec![part.clone()], &appended, "");
        o.append = true;
        o.shard_max_tokens = per_shard;
        verbatim_indexer::build(&o).unwrap();
    }

    let (texts, ngrams) = probes(&docs, &phrases, &reference);
    let want = answers(&reference, &texts, &ngrams, docs.len());
    // Sampling must matter: some traced span occurs in more documents than are shown.
    assert!(want["traces"].as_array().unwrap().iter().any(|t| t["spans"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["count"].as_u64().unwrap() > 10)));
    for (name, dir) in [("8 shards", &many), ("3 appends", &appended)] {
        let index = Index::open(dir).unwrap();
        assert!(
            index.shards().len() > 2,
            "{name}: {} shards",
            index.shards().len()
        );
        verbatim_core::verify::verify(&index).unwrap();
        let got = answers(&index, &texts, &ngrams, docs.len());
        for key in want.as_object().unwrap().keys() {
            assert_eq!(got[key], want[key], "{name}: {key} differ");
        }
    }
}
