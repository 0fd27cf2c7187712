//! `verbatim stats`: what an index holds.

use crate::output::human_bytes;
use std::process::ExitCode;

/// Arguments of `verbatim stats`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    index: super::IndexDir,
    /// Print the whole manifest as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim stats`.
pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let m = if verbatim_core::infini_gram::looks_like(a.index.path()) {
        super::open_index(a.index.path(), false)?.manifest().clone()
    } else {
        verbatim_core::Manifest::read(a.index.path())?.0
    };
    if a.json {
        crate::output::print_json(&m)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("index      {} (build {})", m.name, m.build_id);
    outln!(
        "tokenizer  {} {:?}, vocabulary {}, sha256 {}",
        m.tokenizer.kind,
        m.tokenizer.width,
        m.tokenizer.vocab_size,
        m.tokenizer.sha256
    );
    outln!("documents  {}", m.documents);
    outln!("tokens     {} (separators included)", m.tokens);
    outln!("text       {}", human_bytes(m.text_bytes));
    for s in &m.shards {
        outln!(
            "shard      {}: documents {}..{}, {} tokens",
            s.dir,
            s.first_doc,
            s.first_doc + s.documents,
            s.tokens
        );
    }
    outln!("inputs     {} file(s)", m.inputs.len());
    for i in m.inputs.iter().take(20) {
        outln!(
            "           {} ({}, {} docs, {} skipped, sha256 {})",
            i.path,
            human_bytes(i.bytes),
            i.documents,
            i.skipped,
            &i.sha256[..12.min(i.sha256.len())]
        );
    }
    if !m.skipped.is_empty() {
        outln!("skipped    {:?}", m.skipped);
    }
    if !m.sources.is_empty() {
        outln!("sources    {}", m.sources.join(", "));
    }
    let stages: Vec<String> = m
        .timings
        .iter()
        .map(|(k, v)| format!("{k} {v:.1}s"))
        .collect();
    outln!(
        "build      {}; peak RSS {}",
        stages.join(", "),
        human_bytes(m.peak_rss_bytes)
    );
    Ok(ExitCode::SUCCESS)
}
