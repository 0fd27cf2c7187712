//! Tokenizer throughput: `cargo run --release -p verbatim-indexer --example tokbench -- TOKENIZER JSONL THREADS`.
use rayon::prelude::*;
use std::io::BufRead;
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (tok, _) = verbatim_core::TextTokenizer::from_spec(&a[1]).unwrap();
    let docs: Vec<String> = std::io::BufReader::new(std::fs::File::open(&a[2]).unwrap())
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let threads: usize = a[3].parse().unwrap();
    let docs: Vec<String> = if a.len() > 4 {
        let size: usize = a[4].parse().unwrap();
        docs.iter()
            .flat_map(|d| {
                let mut out = Vec::new();
                let mut start = 0;
                while start < d.len() {
                    let mut end = (start + size).min(d.len());
                    while !d.is_char_boundary(end) {
                        end += 1;
                    }
                    out.push(d[start..end].to_string());
                    start = end;
                }
                out
            })
            .collect()
    } else {
        docs
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let t = Instant::now();
    let n: usize = pool.install(|| {
        docs.par_iter()
            .map(|d| tok.encode_ids(d).unwrap().len())
            .sum()
    });
    let s = t.elapsed().as_secs_f64();
    println!(
        "{threads} threads: {n} tokens, {:.2} MB/s",
        bytes as f64 / s / 1e6
    );
    if std::env::var_os("CHECK").is_some() {
        let bad = pool.install(|| {
            docs.par_iter()
                .filter(|d| tok.encode_ids(d).unwrap() != tok.encode_ids_reference(d).unwrap())
                .count()
        });
        println!(
            "{bad} of {} documents differ from the reference pipeline",
            docs.len()
        );
    }
}
