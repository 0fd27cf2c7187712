//! Latency at scale, and answer equality between builds of the same corpus (issue 11).
//!
//! ```text
//! cargo bench --bench scale -- gen     --index IDX --out probes.json [--ngrams 1000] [--texts 100]
//! cargo bench --bench scale -- run     --index IDX --probes probes.json --out result.json
//!                                      [--no-verify] [--docs-per-span K] [--spans-only ROUNDS]
//!                                      [--traces-only ROUNDS] [--traces-timed ROUNDS]
//!                                      [--dump-windows FILE] [--warm] [--count-stats]
//!                                      [--residency auto|memory|disk]
//! cargo bench --bench scale -- search  --index IDX --probes probes.json [--rounds 1]
//!                                      [--residency auto|memory|disk]
//! cargo bench --bench scale -- compare result-a.json result-b.json ...
//! cargo bench --bench scale -- curve   --index A --probes PA.json --index B --probes PB.json ...
//!                                      --out curve.json [--rounds 7] [--no-verify] [--warm]
//!                                      [--residency auto|memory|disk]
//! ```
//!
//! `gen` samples probes from an index, deterministically: n-grams of 1–10 tokens cut from
//! documents, and "450-token outputs" stitched from document snippets of 5–40 tokens and
//! sentences that are not in the corpus (like a model output that copies in places).
//! `run` opens the index, makes one untimed pass (warm page cache), then times every probe
//! once in this process: count, spans (tokenization included, OLMoTrace's span rules) and the
//! full trace (stage times and documents per trace too); it writes p50/p99 and every answer.
//! `--warm` first re-reads the index into the page cache in 2 MiB pages, as `verbatim serve
//! --warm` does (`verbatim_core::warm`); `--no-verify` opens without hashing every file;
//! `--docs-per-span K` changes the trace's documents per span (default 10); `--spans-only ROUNDS` only finds spans (and prints
//! each call's p50/p90/p99, tokenization included) and
//! `--traces-only ROUNDS` only traces, for profilers; `--traces-timed ROUNDS` only traces,
//! no untimed pass first, and prints each trace's p50/p90/p99 and the first ten (for an index
//! read from disk, `benches/residency/`); `--residency` advises the index's files as `verbatim
//! serve --residency` does; `--dump-windows FILE` writes each text's
//! ranked windows (decoded), query and BM25 scores as JSON, for studying the ranking stage
//! alone; `--count-stats` prints how many of the texts' maximal spans a trace counts. `compare` checks that
//! several results hold the same answers (counts, spans, traced documents).
//!
//! `search` times full-text (BM25 keyword) searches, the top 10 of each, with no untimed
//! pass first (for an index read from disk, `benches/residency/`): a query of two words, then
//! one of three, cut from each text's words of four letters or more, 200 at most per text.
//!
//! `curve` measures the full trace of several indexes in one process, for their ratios: this
//! machine's speed drifts by ±20% over minutes, more than the differences measured, so the
//! indexes are timed in turn, every text of one index then every text of the next, round
//! after round; each round's trace p50 of every index is divided by the first index's p50
//! of the same round, and the medians over rounds are reported. All indexes are opened and
//! warmed (one untimed pass) first; only the first trace of each block follows another
//! index's traces.

use std::path::Path;
use std::time::Instant;
use verbatim_core::query::{SpanOptions, TraceOptions};
use verbatim_core::{Index, Residency};

/// The allocator `verbatim serve` runs with (see `src/main.rs`), so that the latencies here
/// are those of the server's process.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const NOVEL: &[&str] = &[
    "In short, the answer depends on what you measure and when you measure it.",
    "Let me walk through the reasoning one step at a time before giving a number.",
    "This is a common pattern, and there are a few ways to think about it.",
    "Here is a version that keeps the same behaviour but is easier to read.",
    "The main trade-off is between memory and the time each lookup takes.",
    "To summarise: keep the interface small and test the edge cases first.",
    "Note that the second approach avoids copying the data at all.",
    "If the input is empty, the function should return early with no error.",
    "One could also argue the opposite, which is why the evidence matters.",
    "Finally, remember to check the result against a simple reference.",
];

struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Every value given to option `name`, in order.
fn args_all(args: &[String], name: &str) -> Vec<String> {
    args.windows(2)
        .filter(|w| w[0] == name)
        .map(|w| w[1].clone())
        .collect()
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn pct(xs: &[f64], p: f64) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// A random document of the index (global number) with at least `min` tokens.
fn random_doc(index: &Index, r: &mut Lcg, min: usize) -> (usize, std::ops::Range<usize>) {
    loop {
        let d = r.below(index.manifest().documents);
        let loc = index.locate(d).expect("document exists");
        let range = index.shards()[loc.shard].doc_range(loc.local);
        if range.len() >= min && !index.is_taken_down(d) {
            return (loc.shard, range);
        }
    }
}

/// Over every text, with the trace's span options: the maximal spans, those whose rarest token
/// occurs more than `max_count` times (a trace counts them to know whether they are maximal),
/// those whose first token does (what a bound by the first token alone would count), and the
/// spans the density cap keeps (a trace counts those too).
fn count_stats(index: &Index, texts: &[String], o: &TraceOptions) {
    let m = o.spans.max_count.unwrap_or(u64::MAX);
    let unigrams = index.unigram_counts();
    let count_of = |t: u32| unigrams.get(t as usize).copied().unwrap_or(u64::MAX);
    let (mut spans, mut rarest, mut first, mut kept) = (0, 0, 0, 0);
    for text in texts {
        let enc = index.tokenizer().encode(text).unwrap();
        let found = index.spans(text, &enc, &o.spans);
        for s in &found {
            let ids = &enc.ids[s.token_start..s.token_end];
            spans += 1;
            rarest += (ids.iter().map(|&t| count_of(t)).min().unwrap_or(u64::MAX) > m) as usize;
            first += (ids.first().map_or(u64::MAX, |&t| count_of(t)) > m) as usize;
        }
        kept += index
            .keep_ranked(found, &enc.ids, o.density, o.ranking)
            .len();
    }
    println!(
        "{} texts: {spans} maximal spans; rarest token above max_count {rarest}; first token above it {first}; kept {kept}",
        texts.len()
    );
}

fn gen(args: &[String]) {
    let index = Index::open(Path::new(&arg(args, "--index").expect("--index"))).unwrap();
    let out = arg(args, "--out").expect("--out");
    let n_ngrams: usize = arg(args, "--ngrams").map_or(1000, |s| s.parse().unwrap());
    let n_texts: usize = arg(args, "--texts").map_or(100, |s| s.parse().unwrap());
    let mut r = Lcg(arg(args, "--seed").map_or(1, |s| s.parse().unwrap()));
    let tok = index.tokenizer();
    let mut ngrams: Vec<Vec<u32>> = Vec::new();
    while ngrams.len() < n_ngrams {
        let (shard, range) = random_doc(&index, &mut r, 10);
        let len = 1 + r.below(10) as usize;
        let a = range.start + r.below((range.len() - len) as u64) as usize;
        ngrams.push(index.shards()[shard].tokens().to_u32(a..a + len));
    }
    let mut texts: Vec<String> = Vec::new();
    while texts.len() < n_texts {
        let mut text = String::new();
        while tok.encode_ids(&text).unwrap().len() < 450 {
            if r.below(3) == 0 {
                text.push(' ');
                text.push_str(NOVEL[r.below(NOVEL.len() as u64) as usize]);
            } else {
                let (shard, range) = random_doc(&index, &mut r, 60);
                let len = 5 + r.below(36) as usize;
                let a = range.start + r.below((range.len() - len) as u64) as usize;
                text.push_str(&tok.decode(&index.shards()[shard].tokens().to_u32(a..a + len)));
            }
        }
        // Cut to about 450 tokens at a character boundary.
        let enc = tok.encode(&text).unwrap();
        let end = enc.offsets[449].1;
        texts.push(text[..end].to_string());
    }
    // Document ids to look up: 100 evenly spaced documents.
    let docs = index.manifest().documents;
    let ids: Vec<String> = (0..100u64)
        .map(|i| i * docs / 100)
        .filter_map(|d| index.locate(d).and_then(|l| index.doc_record(l).ok()))
        .map(|r| r.id)
        .collect();
    let v = serde_json::json!({"ngrams": ngrams, "texts": texts, "ids": ids, "from": index.dir()});
    std::fs::write(&out, serde_json::to_vec(&v).unwrap()).unwrap();
    eprintln!(
        "{} n-grams and {} texts -> {out}",
        ngrams.len(),
        texts.len()
    );
}

/// `--residency auto|memory|disk` (default auto), as `verbatim serve` takes it.
fn residency_arg(args: &[String]) -> Residency {
    arg(args, "--residency").map_or(Residency::Auto, |s| s.parse().expect("--residency"))
}

/// Opens `dir` with its files advised for `residency`; with `warm`, reads it into the page cache in 2 MiB pages first, as `verbatim
/// serve --warm` does (before the checksum check, which would map every page).
fn open(dir: &str, verify_checksums: bool, warm: bool, residency: Residency) -> Index {
    let open_opts = verbatim_core::index::OpenOptions {
        verify_checksums: verify_checksums && !warm,
        residency,
        ..Default::default()
    };
    let index = Index::open_with(Path::new(dir), open_opts).unwrap();
    if warm {
        let w = verbatim_core::warm::warm(&index).unwrap();
        eprintln!("warmed {dir}: {} files, {} bytes", w.files, w.bytes);
        if verify_checksums {
            index.verify_checksums().unwrap();
        }
    }
    index
}

/// The probes file given by `--probes` (see `gen`).
fn probes_arg(args: &[String]) -> serde_json::Value {
    let path = arg(args, "--probes").expect("--probes");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn run(args: &[String]) {
    let dir = arg(args, "--index").expect("--index");
    let probes = probes_arg(args);
    let out = arg(args, "--out").expect("--out");
    let ngrams: Vec<Vec<u32>> = serde_json::from_value(probes["ngrams"].clone()).unwrap();
    let texts: Vec<String> = serde_json::from_value(probes["texts"].clone()).unwrap();
    let t = Instant::now();
    let verify_checksums = !args.iter().any(|a| a == "--no-verify");
    let warm = args.iter().any(|a| a == "--warm");
    let index = open(&dir, verify_checksums, warm, residency_arg(args));
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let span_opts = SpanOptions::defaults_for(&index);
    let mut trace_opts = TraceOptions::defaults_for(&index);
    if let Some(k) = arg(args, "--docs-per-span") {
        trace_opts.docs_per_span = k.parse().expect("--docs-per-span N");
    }
    // `--count-stats`: how many of the texts' maximal spans (trace options) a trace counts.
    if args.iter().any(|a| a == "--count-stats") {
        count_stats(&index, &texts, &trace_opts);
        return;
    }
    // `--spans-only N`: N rounds of the spans of every text, nothing else (for profilers), each
    // call (tokenization included) timed.
    if let Some(rounds) = arg(args, "--spans-only") {
        let mut ms = Vec::new();
        for _ in 0..rounds.parse::<usize>().expect("--spans-only N") {
            for text in &texts {
                let t = Instant::now();
                let enc = index.tokenizer().encode(text).unwrap();
                std::hint::black_box(index.spans(text, &enc, &span_opts));
                ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
        eprintln!(
            "spans of {} texts x {rounds}: p50 {:.3} p90 {:.3} p99 {:.3} mean {mean:.3} ms",
            texts.len(),
            pct(&ms, 0.5),
            pct(&ms, 0.9),
            pct(&ms, 0.99)
        );
        return;
    }
    // `--traces-timed N`: N rounds of the full trace of every text, each call timed, nothing
    // else (for disk-resident runs, where the first traces differ from the later ones).
    if let Some(rounds) = arg(args, "--traces-timed") {
        let mut ms = Vec::new();
        // Per stage (tokenize, spans, documents, rank), each trace's time.
        let mut stages: [Vec<f64>; 4] = Default::default();
        for _ in 0..rounds.parse::<usize>().expect("--traces-timed N") {
            for text in &texts {
                let t = Instant::now();
                let tr = std::hint::black_box(index.trace(text, None, &trace_opts).unwrap());
                ms.push(t.elapsed().as_secs_f64() * 1e3);
                let tm = &tr.timing;
                for (v, x) in stages
                    .iter_mut()
                    .zip([tm.tokenize, tm.spans, tm.documents, tm.rank])
                {
                    v.push(x);
                }
            }
        }
        let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
        let first: Vec<String> = ms.iter().take(10).map(|m| format!("{m:.1}")).collect();
        eprintln!(
            "traces of {} texts x {rounds}: p50 {:.3} p90 {:.3} p99 {:.3} mean {mean:.3} ms; first 10: {}; \
             stage p50s: tokenize {:.2}, spans {:.2}, documents {:.2}, rank {:.2} ms",
            texts.len(),
            pct(&ms, 0.5),
            pct(&ms, 0.9),
            pct(&ms, 0.99),
            first.join(" "),
            pct(&stages[0], 0.5),
            pct(&stages[1], 0.5),
            pct(&stages[2], 0.5),
            pct(&stages[3], 0.5),
        );
        return;
    }
    // `--traces-only N`: N rounds of the full trace of every text, nothing else (for profilers).
    if let Some(rounds) = arg(args, "--traces-only") {
        for _ in 0..rounds.parse::<usize>().expect("--traces-only N") {
            for text in &texts {
                std::hint::black_box(index.trace(text, None, &trace_opts).unwrap());
            }
        }
        return;
    }
    // `--dump-windows FILE`: the ranked windows, query and scores of every trace, as JSON.
    if let Some(file) = arg(args, "--dump-windows") {
        let mut o = trace_opts.clone();
        o.long_view = true;
        let all: Vec<serde_json::Value> = texts
            .iter()
            .map(|text| {
                let tr = index.trace(text, None, &o).unwrap();
                let windows: Vec<String> = tr
                    .documents
                    .iter()
                    .map(|d| d.ranked_text().expect("long view asked for"))
                    .collect();
                let bm25: Vec<f64> = tr.documents.iter().map(|d| d.bm25).collect();
                serde_json::json!({"query": text, "windows": windows, "bm25": bm25})
            })
            .collect();
        std::fs::write(file, serde_json::to_vec(&all).unwrap()).unwrap();
        return;
    }
    // Warm-up: one untimed pass over everything.
    for g in &ngrams {
        std::hint::black_box(index.count(g));
    }
    for text in &texts {
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
    let (mut spans_ms, mut trace_ms) = (Vec::new(), Vec::new());
    let mut stages: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let (mut span_answers, mut trace_answers) = (Vec::new(), Vec::new());
    let mut docs_per_trace: Vec<f64> = Vec::new();
    let mut windows_per_trace: Vec<f64> = Vec::new();
    // Spans of every text, then traces of every text (separate passes, so that a trace does
    // not find the caches warmed by the spans of the same text).
    for text in &texts {
        let t = Instant::now();
        let enc = index.tokenizer().encode(text).unwrap();
        let spans = index.spans(text, &enc, &span_opts);
        spans_ms.push(t.elapsed().as_secs_f64() * 1e3);
        span_answers.push(
            spans
                .iter()
                .map(|s| (s.token_start, s.token_end, s.count))
                .collect::<Vec<_>>(),
        );
    }
    for text in &texts {
        let t = Instant::now();
        let tr = index.trace(text, None, &trace_opts).unwrap();
        trace_ms.push(t.elapsed().as_secs_f64() * 1e3);
        docs_per_trace.push(tr.documents.len() as f64);
        windows_per_trace.push(tr.documents.iter().map(|d| d.snippets.len()).sum::<usize>() as f64);
        for (k, v) in [
            ("tokenize", tr.timing.tokenize),
            ("spans", tr.timing.spans),
            ("documents", tr.timing.documents),
            ("rank", tr.timing.rank),
            ("total", tr.timing.total),
        ] {
            stages.entry(k).or_default().push(v);
        }
        trace_answers.push(
            tr.spans
                .iter()
                .map(|s| {
                    let docs: Vec<&str> = s
                        .documents
                        .iter()
                        .map(|&d| tr.documents[d].record.id.as_str())
                        .collect();
                    serde_json::json!([s.span.token_start, s.span.token_end, s.span.count, docs])
                })
                .collect::<Vec<_>>(),
        );
    }
    let ids: Vec<String> = serde_json::from_value(probes["ids"].clone()).unwrap_or_default();
    let doc_answers: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| match index.document_by_id(id, None) {
            Ok(d) => serde_json::json!([
                id,
                d.location.doc_no,
                format!("{:016x}", xxhash_rust::xxh3::xxh3_64(d.text.as_bytes())),
                d.record.source
            ]),
            Err(e) => serde_json::json!([id, e.to_string()]),
        })
        .collect();
    let stat = |xs: &[f64]| serde_json::json!({"p50": pct(xs, 0.5), "p99": pct(xs, 0.99), "mean": xs.iter().sum::<f64>() / xs.len().max(1) as f64});
    let stage_stats: serde_json::Map<String, serde_json::Value> = stages
        .iter()
        .map(|(k, v)| (k.to_string(), stat(v)))
        .collect();
    let m = index.manifest();
    let v = serde_json::json!({
        "index": dir, "documents": m.documents, "tokens": m.tokens, "shards": m.shards.len(),
        "open_ms": open_ms,
        "count_us": stat(&count_us), "spans_ms": stat(&spans_ms), "trace_ms": stat(&trace_ms),
        "trace_stages_ms": stage_stats, "documents_per_trace": stat(&docs_per_trace),
        "windows_per_trace": stat(&windows_per_trace),
        "docs_per_span": trace_opts.docs_per_span, "open_verified": verify_checksums,
        "answers": {"counts": counts, "spans": span_answers, "traces": trace_answers, "documents": doc_answers},
    });
    std::fs::write(&out, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    eprintln!(
        "{dir}: {} tokens, {} shards; count p50 {:.1} us p99 {:.1} us; spans p50 {:.2} ms p99 {:.2} ms; trace p50 {:.2} ms p99 {:.2} ms (stages p50: {}; {:.1} documents, {:.1} windows per trace) -> {out}",
        m.tokens,
        m.shards.len(),
        pct(&count_us, 0.5),
        pct(&count_us, 0.99),
        pct(&spans_ms, 0.5),
        pct(&spans_ms, 0.99),
        pct(&trace_ms, 0.5),
        pct(&trace_ms, 0.99),
        stages
            .iter()
            .map(|(k, v)| format!("{k} {:.2}", pct(v, 0.5)))
            .collect::<Vec<_>>()
            .join(", "),
        docs_per_trace.iter().sum::<f64>() / docs_per_trace.len().max(1) as f64,
        windows_per_trace.iter().sum::<f64>() / windows_per_trace.len().max(1) as f64
    );
}

fn compare(files: &[String]) {
    let load = |f: &String| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap()
    };
    let first = load(&files[0]);
    let mut ok = true;
    for f in &files[1..] {
        let other = load(f);
        for key in ["counts", "spans", "traces", "documents"] {
            let (a, b) = (&first["answers"][key], &other["answers"][key]);
            let empty = Vec::new();
            let (xa, xb) = (
                a.as_array().unwrap_or(&empty),
                b.as_array().unwrap_or(&empty),
            );
            let n = xa.len();
            let same = xa.iter().zip(xb).filter(|(x, y)| x == y).count();
            let equal = a == b;
            ok &= equal;
            println!(
                "{key:7} {} vs {}: {same}/{n} equal{}",
                files[0],
                f,
                if equal { "" } else { "  <-- DIFFER" }
            );
        }
    }
    std::process::exit(if ok { 0 } else { 1 });
}

fn curve(args: &[String]) {
    let dirs = args_all(args, "--index");
    let probe_files = args_all(args, "--probes");
    assert!(
        !dirs.is_empty() && dirs.len() == probe_files.len(),
        "curve: one --probes per --index"
    );
    let out = arg(args, "--out").expect("--out");
    let rounds: usize = arg(args, "--rounds").map_or(7, |s| s.parse().expect("--rounds N"));
    let verify_checksums = !args.iter().any(|a| a == "--no-verify");
    let mut indexes = Vec::new();
    let warm = args.iter().any(|a| a == "--warm");
    for (dir, probes) in dirs.iter().zip(&probe_files) {
        let index = open(dir, verify_checksums, warm, residency_arg(args));
        let probes: serde_json::Value =
            serde_json::from_slice(&std::fs::read(probes).unwrap()).unwrap();
        let texts: Vec<String> = serde_json::from_value(probes["texts"].clone()).unwrap();
        let opts = TraceOptions::defaults_for(&index);
        indexes.push((index, texts, opts));
    }
    for (index, texts, opts) in &indexes {
        for text in texts {
            std::hint::black_box(index.trace(text, None, opts).unwrap());
        }
    }
    // p50 and p99 of every (round, index).
    let mut p50 = vec![vec![0.0f64; indexes.len()]; rounds];
    let mut p99 = vec![vec![0.0f64; indexes.len()]; rounds];
    for r in 0..rounds {
        for (i, (index, texts, opts)) in indexes.iter().enumerate() {
            let ms: Vec<f64> = texts
                .iter()
                .map(|text| {
                    let t = Instant::now();
                    std::hint::black_box(index.trace(text, None, opts).unwrap());
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            p50[r][i] = pct(&ms, 0.5);
            p99[r][i] = pct(&ms, 0.99);
        }
    }
    let median = |xs: Vec<f64>| pct(&xs, 0.5);
    let fmt = |xs: &[f64]| {
        xs.iter()
            .map(|x| format!("{x:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut per_index = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let m = indexes[i].0.manifest();
        let p50s: Vec<f64> = (0..rounds).map(|r| p50[r][i]).collect();
        let p99s: Vec<f64> = (0..rounds).map(|r| p99[r][i]).collect();
        let ratios: Vec<f64> = (0..rounds).map(|r| p50[r][i] / p50[r][0]).collect();
        eprintln!(
            "{dir}: {} tokens, {} shards; trace p50 median {:.2} ms (rounds {}), p99 median {:.2} ms; p50 / first index's: median {:.2}x (rounds {})",
            m.tokens,
            m.shards.len(),
            median(p50s.clone()),
            fmt(&p50s),
            median(p99s.clone()),
            median(ratios.clone()),
            fmt(&ratios),
        );
        per_index.push(serde_json::json!({
            "index": dir, "tokens": m.tokens, "shards": m.shards.len(),
            "trace_p50_ms_by_round": p50s.clone(), "trace_p99_ms_by_round": p99s.clone(),
            "median_p50_ms": median(p50s), "median_p99_ms": median(p99s),
            "p50_over_first_by_round": ratios.clone(), "median_p50_over_first": median(ratios),
        }));
    }
    let v = serde_json::json!({"rounds": rounds, "open_verified": verify_checksums, "indexes": per_index});
    std::fs::write(&out, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// Keyword queries cut from `texts`: two words, then three, in turn, from each text's words
/// of four letters or more.
fn keyword_queries(texts: &[String]) -> Vec<String> {
    let mut queries = Vec::new();
    for text in texts {
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() >= 4)
            .collect();
        let (mut at, mut n, mut made) = (0, 2, 0);
        while at + n <= words.len() && made < 200 {
            queries.push(words[at..at + n].join(" "));
            (at, n, made) = (at + n, 5 - n, made + 1);
        }
    }
    queries
}

fn search(args: &[String]) {
    let dir = arg(args, "--index").expect("--index");
    let probes = probes_arg(args);
    let texts: Vec<String> = serde_json::from_value(probes["texts"].clone()).unwrap();
    let rounds: usize = arg(args, "--rounds").map_or(1, |s| s.parse().expect("--rounds N"));
    let index = open(&dir, false, false, residency_arg(args));
    let ft = index.fulltext().expect("the index has a full-text index");
    let queries = keyword_queries(&texts);
    let (mut ms, mut hits) = (Vec::new(), 0);
    for _ in 0..rounds {
        for q in &queries {
            let t = Instant::now();
            hits += ft.search(q, 0, 10).unwrap().hits.len();
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let first: Vec<String> = ms.iter().take(10).map(|m| format!("{m:.1}")).collect();
    eprintln!(
        "{} searches ({} queries x {rounds}), {hits} hits, residency {}: p50 {:.3} p90 {:.3} p99 {:.3} ms; total {:.0} ms; first 10: {}",
        ms.len(),
        queries.len(),
        index.residency(),
        pct(&ms, 0.5),
        pct(&ms, 0.9),
        pct(&ms, 0.99),
        ms.iter().sum::<f64>(),
        first.join(" ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("gen") => gen(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("compare") => compare(&args[1..]),
        Some("curve") => curve(&args[1..]),
        Some("search") => search(&args[1..]),
        _ => eprintln!("scale: usage: gen --index IDX --out P.json | run --index IDX --probes P.json --out R.json | compare R1.json R2.json ... | curve --index A --probes PA.json --index B --probes PB.json ... --out C.json | search --index IDX --probes P.json; nothing to do"),
    }
}
