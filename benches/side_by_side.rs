//! verbatim's half of the side-by-side benchmark with infini-gram
//! (`benches/peer/run_side_by_side.sh` runs both in one go).
//!
//! Reads `VERBATIM_QUERIES` (written by `bench_peer_side_by_side.py --dump-inputs`:
//! `{"queries": [[ids]], "texts": [{"kind": "stitched"|"gsm8k", "text", "ids"}]}`), opens
//! `VERBATIM_BENCH_INDEX`, warms up on the same inputs, then times each query once in this
//! process (warm page cache) and writes `VERBATIM_BENCH_OUT` with microseconds per input:
//! `count_us`, `spans450_us` / `spans_gsm8k_us` (tokenization included, max count 10 like the
//! peer's `attribute` call), `trace450_us` / `trace_gsm8k_us` (full OLMoTrace pipeline).

use std::time::Instant;
use verbatim_core::query::{SpanOptions, TraceOptions};
use verbatim_core::Index;

fn p50(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let (Ok(index_dir), Ok(queries)) = (
        std::env::var("VERBATIM_BENCH_INDEX"),
        std::env::var("VERBATIM_QUERIES"),
    ) else {
        eprintln!("side_by_side: set VERBATIM_BENCH_INDEX and VERBATIM_QUERIES (see benches/peer/run_side_by_side.sh); skipped");
        return;
    };
    let out = std::env::var("VERBATIM_BENCH_OUT").unwrap_or_else(|_| "verbatim_bench.json".into());
    let t = Instant::now();
    let index = Index::open(std::path::Path::new(&index_dir)).expect("index opens");
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let q: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&queries).expect("queries file")).unwrap();
    let ngrams: Vec<Vec<u32>> = serde_json::from_value(q["queries"].clone()).unwrap();
    let texts: Vec<(String, String, Vec<u32>)> = q["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_string(),
                t["text"].as_str().unwrap().to_string(),
                serde_json::from_value(t["ids"].clone()).unwrap(),
            )
        })
        .collect();
    let mut span_opts = SpanOptions::defaults_for(&index);
    span_opts.max_count = Some(10);
    let trace_opts = TraceOptions::defaults_for(&index);
    // Warm-up on the same inputs (the peer's script also makes one untimed pass).
    for g in &ngrams {
        std::hint::black_box(index.count(g));
    }
    for (_, text, _) in &texts {
        std::hint::black_box(index.trace(text, None, &trace_opts).unwrap());
    }
    let mut count_us = Vec::new();
    let mut counts = Vec::new();
    for g in &ngrams {
        let t = Instant::now();
        let c = index.count(g);
        count_us.push(t.elapsed().as_secs_f64() * 1e6);
        counts.push(c);
    }
    let (mut sp450, mut spg, mut tr450, mut trg) = (vec![], vec![], vec![], vec![]);
    let mut tokenization_equal = 0;
    for (kind, text, ids) in &texts {
        let t = Instant::now();
        let enc = index.tokenizer().encode(text).unwrap();
        let spans = index.spans(text, &enc, &span_opts);
        let spans_us = t.elapsed().as_secs_f64() * 1e6;
        std::hint::black_box(spans);
        tokenization_equal += usize::from(&enc.ids == ids);
        let t = Instant::now();
        let tr = index.trace(text, None, &trace_opts).unwrap();
        let trace_us = t.elapsed().as_secs_f64() * 1e6;
        std::hint::black_box(tr);
        if kind == "stitched" {
            sp450.push(spans_us);
            tr450.push(trace_us);
        } else {
            spg.push(spans_us);
            trg.push(trace_us);
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let result = serde_json::json!({
        "index": index_dir, "open_ms": open_ms, "threads": threads,
        "spans_max_count": 10, "tokenization_equal": tokenization_equal, "texts": texts.len(),
        "count_us": count_us, "counts": counts,
        "spans450_us": sp450, "spans_gsm8k_us": spg, "trace450_us": tr450, "trace_gsm8k_us": trg,
    });
    std::fs::write(&out, serde_json::to_vec_pretty(&result).unwrap()).unwrap();
    eprintln!(
        "verbatim ({threads} threads): count p50 {:.1} us; spans p50 {:.0} us (450-token stitched), {:.0} us (GSM8K); trace p50 {:.0} us (450-token stitched), {:.0} us (GSM8K); tokenization equal on {tokenization_equal}/{} texts -> {out}",
        p50(&count_us), p50(&sp450), p50(&spg), p50(&tr450), p50(&trg), texts.len()
    );
}
