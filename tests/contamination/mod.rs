//! Contamination checks on hand-made corpora: planted copies, near copies and non-copies,
//! each method's score checked against its written definition (docs/contamination.md),
//! including the edge cases (items shorter than n, repeated n-grams, the GPT-3 frequency
//! cut-off, the Llama 2 skip budget), a brute-force oracle, the CLI and the HTTP route.
//! `methods.rs` the definitions, `oracle.rs` brute force, `inputs.rs` side indexes, the CLI
//! and the HTTP route; the shared corpus helpers are here.

mod edges;
mod inputs;
mod methods;
mod oracle;

use crate::support;
use std::path::{Path, PathBuf};
use verbatim_contamination::{
    gpt4_samples, CheckOptions, Checker, Item, Label, Method, MethodResult,
};
use verbatim_core::normalize::Normalization;
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

/// Words `w{a}` .. `w{b-1}`.
fn seq(a: usize, b: usize) -> Vec<String> {
    (a..b).map(|i| format!("w{i}")).collect()
}

fn join(w: &[String]) -> String {
    w.join(" ")
}

/// Builds an index of `docs` (id, text) with the word tokenizer (one token per `wN` word) and
/// both side indexes.
fn build(dir: &Path, docs: &[(String, String)]) -> PathBuf {
    let tok = support::word_tokenizer(dir, 10_000);
    build_with(dir, docs, tok.to_str().unwrap(), true)
}

fn build_with(dir: &Path, docs: &[(String, String)], tokenizer: &str, sides: bool) -> PathBuf {
    let input = support::write_jsonl(dir, "corpus.jsonl", docs);
    let out = dir.join("idx");
    let mut o = BuildOptions::new(vec![input], out.clone(), tokenizer);
    o.threads = 2;
    o.fulltext = false;
    o.force = true;
    if sides {
        o.side_indexes = vec![Normalization::Words, Normalization::Alnum];
    }
    verbatim_indexer::build(&o).expect("build succeeds");
    out
}

fn docs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(i, t)| (i.to_string(), t.clone()))
        .collect()
}

fn run(index: &Index, m: Method, skip: usize, id: &str, text: &str) -> MethodResult {
    let opts = CheckOptions {
        methods: vec![m],
        llama2_skip: skip,
        ..CheckOptions::default()
    };
    let c = Checker::new(index, opts).unwrap();
    c.check(&Item::new(id, text, "t")).methods[0].clone()
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
