//! Issue 14: several indexes traced as one group answer exactly as one index built over their
//! corpora concatenated in the same order (counts, spans, traces with their sampled documents,
//! document numbers), each document labelled with its member; members must share a
//! tokenizer; takedowns stay per member.

use crate::layout::{corpus, probes};
use crate::support;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use verbatim_core::api::{CountJson, TraceJson};
use verbatim_core::query::TraceOptions;
use verbatim_core::Index;

fn build(inputs: Vec<PathBuf>, out: &Path, tok: &str, name: &str, shard_max: Option<u64>) {
    let mut o = verbatim_indexer::BuildOptions::new(inputs, out.to_path_buf(), tok);
    o.threads = 2;
    o.name = name.into();
    o.max_document_bytes = 1 << 20;
    if let Some(s) = shard_max {
        o.shard_max_tokens = s;
    }
    verbatim_indexer::build(&o).unwrap();
}

/// Removes what names the index (its name; the member name and stage of each document):
/// everything else must be equal.
fn strip(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("index");
    o.remove("stages");
    o.remove("timing_ms");
    if let Some(spans) = o.get_mut("spans").and_then(Value::as_array_mut) {
        for s in spans {
            s.as_object_mut().unwrap().remove("stage_counts");
        }
    }
    if let Some(docs) = o.get_mut("documents").and_then(Value::as_array_mut) {
        for d in docs {
            let d = d.as_object_mut().unwrap();
            d.remove("index");
            d.remove("stage");
        }
    }
    v
}

/// Counts, spans and traces (every span traced, so frequent spans sample documents too).
pub(crate) fn answers(index: &Index, texts: &[String], ngrams: &[Vec<u32>]) -> Value {
    let counts: Vec<u64> = ngrams
        .iter()
        .map(|g| CountJson::new(index, g.clone()).count)
        .collect();
    let (spans, traces) = crate::layout::spans_and_traces(index, texts);
    let spans: Vec<Value> = spans.into_iter().map(strip).collect();
    let traces: Vec<Value> = traces.into_iter().map(strip).collect();
    json!({
        "counts": counts, "spans": spans, "traces": traces,
        "documents": index.manifest().documents, "tokens": index.manifest().tokens,
    })
}

#[test]
fn a_group_answers_as_one_index_over_the_concatenated_corpora() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 10_000);
    let tok = tok.to_str().unwrap();
    let (docs, phrases) = corpus(240, 11);
    // Three stages of different sizes; files named so that one build reads them in order.
    let cuts = [(0, 150), (150, 215), (215, 240)];
    let names = ["a-pre", "b-mid", "c-post"];
    let files: Vec<PathBuf> = cuts
        .iter()
        .zip(names)
        .map(|(&(a, b), n)| support::write_jsonl(dir.path(), &format!("{n}.jsonl"), &docs[a..b]))
        .collect();
    let whole = dir.path().join("whole");
    build(files.clone(), &whole, tok, "whole", None);
    let whole = Index::open(&whole).unwrap();
    let members: Vec<(Arc<Index>, String)> = files
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (f, n))| {
            let out = dir.path().join(n);
            // The first member in several shards: shard and member boundaries both count.
            build(vec![f.clone()], &out, tok, n, (i == 0).then_some(3_000));
            (Arc::new(Index::open(&out).unwrap()), format!("stage {i}"))
        })
        .collect();
    assert!(members[0].0.shards().len() > 1);
    let group = Index::group("g", members).unwrap();
    assert_eq!(group.members().len(), 3);

    let (texts, ngrams) = probes(&docs, &phrases, &whole);
    let want = answers(&whole, &texts, &ngrams);
    let got = answers(&group, &texts, &ngrams);
    for key in want.as_object().unwrap().keys() {
        assert_eq!(got[key], want[key], "{key} differ");
    }
    // Documents from every stage are cited, each labelled with its own stage.
    let mut cited = std::collections::BTreeSet::new();
    for t in &texts {
        let mut o = TraceOptions::defaults_for(&group);
        o.density = 1.0;
        o.spans.word_boundaries = false;
        let tr = group.trace(t, None, &o).unwrap();
        let j = serde_json::to_value(TraceJson::new(&group, t, &tr)).unwrap();
        for d in j["documents"].as_array().unwrap() {
            let no = d["doc_no"].as_u64().unwrap() as usize;
            let (k, &(a, b)) = cuts
                .iter()
                .enumerate()
                .find(|(_, &(a, b))| (a..b).contains(&no))
                .unwrap();
            assert_eq!(d["id"], docs[no].0.as_str());
            assert_eq!(d["index"], names[k], "{d}");
            assert_eq!(d["stage"], format!("stage {k}"), "{d}");
            assert!(a <= no && no < b);
            cited.insert(k);
        }
        for s in j["spans"].as_array().unwrap() {
            let per: u64 = s["stage_counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["count"].as_u64().unwrap())
                .sum();
            assert_eq!(per, s["count"].as_u64().unwrap());
        }
    }
    assert_eq!(cited.len(), 3, "documents of every stage were cited");
}

#[test]
fn a_group_refuses_mixed_tokenizers_and_repeated_members() {
    let dir = tempfile::tempdir().unwrap();
    let t1 = support::word_tokenizer(dir.path(), 100);
    let t2 = support::word_tokenizer(dir.path(), 200);
    let docs = vec![("d0".to_string(), "w1 w2 w3".to_string())];
    let f = support::write_jsonl(dir.path(), "d.jsonl", &docs);
    build(
        vec![f.clone()],
        &dir.path().join("x"),
        t1.to_str().unwrap(),
        "x",
        None,
    );
    build(
        vec![f],
        &dir.path().join("y"),
        t2.to_str().unwrap(),
        "y",
        None,
    );
    let x = Arc::new(Index::open(&dir.path().join("x")).unwrap());
    let y = Arc::new(Index::open(&dir.path().join("y")).unwrap());
    let e = Index::group("g", vec![(x.clone(), "a".into()), (y, "b".into())])
        .err()
        .expect("mixed tokenizers are refused");
    let msg = e.to_string();
    assert!(
        msg.contains("mixes tokenizers") && msg.contains("\"x\"") && msg.contains("\"y\""),
        "{msg}"
    );
    let e = Index::group("g", vec![(x.clone(), "a".into()), (x, "b".into())])
        .err()
        .expect("a repeated member is refused");
    assert!(e.to_string().contains("twice"), "{e}");
    assert!(Index::group("g", vec![]).is_err());
}

#[test]
fn takedowns_stay_per_member() {
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 100);
    let tok = tok.to_str().unwrap();
    let a = vec![("same".to_string(), "w1 w2 w3 w4".to_string())];
    let b = vec![("same".to_string(), "w1 w2 w3 w5".to_string())];
    let fa = support::write_jsonl(dir.path(), "a.jsonl", &a);
    let fb = support::write_jsonl(dir.path(), "b.jsonl", &b);
    build(vec![fa], &dir.path().join("a"), tok, "a", None);
    build(vec![fb], &dir.path().join("b"), tok, "b", None);
    let ia = Arc::new(Index::open(&dir.path().join("a")).unwrap());
    let ib = Arc::new(Index::open(&dir.path().join("b")).unwrap());
    let g = Index::group(
        "g",
        vec![(ia.clone(), "A".into()), (ib.clone(), "B".into())],
    )
    .unwrap();
    let before = g.takedown_generation();
    // Take down "same" in b only (document 0 of b, document 1 of the group).
    let mut list = verbatim_core::takedown::Takedown::load(ib.dir(), ib.index_id()).unwrap();
    list.insert(0);
    list.save(ib.dir(), ib.index_id()).unwrap();
    g.refresh_takedown().unwrap();
    assert!(g.takedown_generation() > before);
    assert!(!g.is_taken_down(0) && g.is_taken_down(1));
    assert!(ib.is_taken_down(0) && !ia.is_taken_down(0));
    assert_eq!(g.taken_down_count(), 1);
    assert_eq!(
        g.taken_down_docs().unwrap().iter().collect::<Vec<u32>>(),
        [1],
        "b's list, renumbered in the group"
    );
    let mut o = TraceOptions::defaults_for(&g);
    o.density = 1.0;
    o.spans.word_boundaries = false;
    let tr = g.trace("w1 w2 w3", None, &o).unwrap();
    assert_eq!(tr.spans[0].span.count, 2, "counts are not affected");
    let shown: Vec<u64> = tr.documents.iter().map(|d| d.location.doc_no).collect();
    assert_eq!(
        shown,
        vec![0],
        "the taken-down member document is not shown"
    );
}
