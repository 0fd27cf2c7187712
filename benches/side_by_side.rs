//! Query latencies of verbatim on a shared query set, for side-by-side comparison with
//! infini-gram (see `benches/peer/run_side_by_side.sh`).
//!
//! Reads `VERBATIM_QUERIES` (JSON: `{"ngrams": [[ids]], "texts": [{"name", "text"}]}`), opens
//! `VERBATIM_BENCH_INDEX`, warms up, then times every query once in this process (warm page
//! cache) and writes `VERBATIM_BENCH_OUT` (JSON: microseconds per query).

use std::time::Instant;
use verbatim_core::query::{SpanOptions, TraceOptions};
use verbatim_core::Index;

fn percentile(xs: &[f64], p: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let (Ok(index_dir), Ok(queries)) = (std::env::var("VERBATIM_BENCH_INDEX"), std::env::var("VERBATIM_QUERIES")) else {
        eprintln!("side_by_side: set VERBATIM_BENCH_INDEX and VERBATIM_QUERIES (see benches/peer/run_side_by_side.sh); skipped");
        return;
    };
    let out = std::env::var("VERBATIM_BENCH_OUT").unwrap_or_else(|_| "verbatim_bench.json".into());
    let t = Instant::now();
    let index = Index::open(std::path::Path::new(&index_dir)).expect("index opens");
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let q: serde_json::Value = serde_json::from_slice(&std::fs::read(&queries).unwrap()).unwrap();
    let ngrams: Vec<Vec<u32>> = serde_json::from_value(q["ngrams"].clone()).unwrap();
    let texts: Vec<(String, String)> = q["texts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["text"].as_str().unwrap().to_string()))
        .collect();
    // Warm-up: touch the pages the queries will touch.
    for g in &ngrams {
        std::hint::black_box(index.count(g));
    }
    let mut count_us = Vec::new();
    let mut counts = Vec::new();
    for g in &ngrams {
        let t = Instant::now();
        let c = index.count(g);
        count_us.push(t.elapsed().as_secs_f64() * 1e6);
        counts.push(c);
    }
    let mut span_opts = SpanOptions::defaults_for(&index);
    span_opts.max_count = Some(10);
    let trace_opts = TraceOptions::defaults_for(&index);
    let mut per_text = Vec::new();
    for (name, text) in &texts {
        let enc = index.tokenizer().encode(text).unwrap();
        std::hint::black_box(index.spans(text, &enc, &span_opts));
        let t = Instant::now();
        let enc = index.tokenizer().encode(text).unwrap();
        let spans = index.spans(text, &enc, &span_opts);
        let spans_us = t.elapsed().as_secs_f64() * 1e6;
        std::hint::black_box(index.trace(text, None, &trace_opts).unwrap());
        let t = Instant::now();
        let tr = index.trace(text, None, &trace_opts).unwrap();
        let trace_us = t.elapsed().as_secs_f64() * 1e6;
        per_text.push(serde_json::json!({
            "name": name, "tokens": enc.ids.len(), "spans": spans.len(), "spans_us": spans_us,
            "trace_us": trace_us, "trace_spans": tr.spans.len(), "trace_documents": tr.documents.len(),
        }));
    }
    let by = |key: &str| -> Vec<f64> { per_text.iter().map(|t| t[key].as_f64().unwrap()).collect() };
    let (spans_us, trace_us) = (by("spans_us"), by("trace_us"));
    let result = serde_json::json!({
        "index": index_dir, "open_ms": open_ms, "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "count_us": {"n": count_us.len(), "p50": percentile(&count_us, 0.5), "p99": percentile(&count_us, 0.99), "all": count_us},
        "counts": counts,
        "spans_max_count_10_us": {"n": spans_us.len(), "p50": percentile(&spans_us, 0.5), "p99": percentile(&spans_us, 0.99)},
        "trace_us": {"n": trace_us.len(), "p50": percentile(&trace_us, 0.5), "p99": percentile(&trace_us, 0.99)},
        "texts": per_text,
    });
    std::fs::write(&out, serde_json::to_vec_pretty(&result).unwrap()).unwrap();
    eprintln!(
        "verbatim: count p50 {:.1} us p99 {:.1} us (n={}); spans p50 {:.0} us; trace p50 {:.0} us p99 {:.0} us (n={}) -> {out}",
        percentile(&count_us, 0.5),
        percentile(&count_us, 0.99),
        count_us.len(),
        percentile(&spans_us, 0.5),
        percentile(&trace_us, 0.5),
        percentile(&trace_us, 0.99),
        trace_us.len()
    );
}
