//! Criterion micro-benchmarks of the query engine: count, longest match, spans, trace.
//!
//! `VERBATIM_BENCH_INDEX=DIR cargo bench --bench queries` (default: the demo index that
//! `cargo run --release -- demo --build-only` caches in target/verbatim-demo/demo-index).

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;
use verbatim_core::query::{SpanOptions, TraceOptions};
use verbatim_core::Index;

fn index_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VERBATIM_BENCH_INDEX")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/verbatim-demo/demo-index")
        });
    if dir.join("manifest.bin").exists() {
        Some(dir)
    } else {
        eprintln!(
            "queries bench: no index at {}; build one (see the file's doc comment); skipped",
            dir.display()
        );
        None
    }
}

/// n-grams of length 1..=20 taken from the index's own token stream at fixed strides.
fn sample_ngrams(index: &Index, n: usize) -> Vec<Vec<u32>> {
    let shard = &index.shards()[0];
    let toks = shard.tokens();
    let len = toks.len();
    let sep = index.manifest().tokenizer.width.separator();
    let mut out = Vec::new();
    let mut k = 0usize;
    while out.len() < n && k < 10 * n {
        let start = (k * 7_919_993) % (len - 21);
        let g = toks.to_u32(start..start + 1 + k % 20);
        if !g.contains(&sep) {
            out.push(g);
        }
        k += 1;
    }
    out
}

fn benches(c: &mut Criterion) {
    let Some(dir) = index_dir() else { return };
    let index = Index::open(&dir).expect("index opens");
    let ngrams = sample_ngrams(&index, 1000);
    let mut i = 0;
    c.bench_function("count (1..20-gram from the corpus)", |b| {
        b.iter(|| {
            i = (i + 1) % ngrams.len();
            index.count(&ngrams[i])
        })
    });
    // A 450-token output stitched from corpus passages.
    let shard = &index.shards()[0];
    let mut ids = Vec::new();
    let mut k = 1usize;
    while ids.len() < 450 {
        let start = (k * 15_485_863) % (shard.tokens().len() - 50);
        let piece = shard.tokens().to_u32(start..start + 5 + k % 35);
        if !piece.contains(&index.manifest().tokenizer.width.separator()) {
            ids.extend(piece);
        }
        k += 1;
    }
    ids.truncate(450);
    let text = index.tokenizer().decode(&ids);
    let enc = index.tokenizer().encode(&text).unwrap();
    let opts = SpanOptions::defaults_for(&index);
    c.bench_function("maximal spans of a 450-token output", |b| {
        b.iter(|| index.spans(&text, &enc, &opts))
    });
    let topts = TraceOptions::defaults_for(&index);
    c.bench_function("full trace of a 450-token output", |b| {
        b.iter(|| index.trace(&text, None, &topts).unwrap())
    });
}

criterion_group! {
    name = queries;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(queries);
