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
    /// Show at most this many tokens of text, at least 1 (default: all).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_tokens: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The privacy filter on the text: mask (default), drop (refuse a document holding
    /// personal data), or off.
    #[arg(long, default_value = "mask")]
    pii: verbatim_core::pii::PiiMode,
}

/// Runs `verbatim doc`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = super::open_index(&a.index, false)?;
    let d = index.document_by_id(&a.id, a.max_tokens.map(|m| m as usize))?;
    let Some(j) = verbatim_core::api::DocumentTextJson::filtered(d.clone(), None, a.pii) else {
        anyhow::bail!(
            "document {:?} holds personal data and --pii drop withholds it",
            a.id
        );
    };
    if a.json {
        crate::output::print_json(&j)?;
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
    outln!("{}", j.text);
    Ok(ExitCode::SUCCESS)
}
