//! `verbatim doc`: show a document by external id.

use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verbatim doc`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The index directory.
    #[arg(long)]
    index: PathBuf,
    /// External id of the document.
    id: String,
    /// Show at most this many tokens of text (default: all).
    #[arg(long)]
    max_tokens: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim doc`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = super::open_index(&a.index, false)?;
    let d = index.document_by_id(&a.id, a.max_tokens)?;
    if a.json {
        crate::output::print_json(&verbatim_core::api::DocumentTextJson::new(d, None))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("id        {}", d.record.id);
    outln!(
        "document  #{} ({} tokens{})",
        d.location.doc_no,
        d.tokens,
        if d.truncated { ", truncated" } else { "" }
    );
    if let Some(s) = &d.record.source {
        outln!("source    {s}");
    }
    for (k, v) in &d.record.metadata {
        outln!("{k:<9} {v}");
    }
    outln!();
    outln!("{}", d.text);
    Ok(ExitCode::SUCCESS)
}
