//! `verbatim ntd` and `verbatim prob`: n-gram statistics as infini-gram offers them.

use super::count::query_ids;
use super::input_text::TextInput;
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verbatim ntd`.
#[derive(Debug, clap::Args)]
pub struct NtdArgs {
    /// The index directory.
    #[arg(long)]
    index: PathBuf,
    #[command(flatten)]
    input: TextInput,
    /// Prompt token ids instead of text, comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["text", "file"])]
    ids: Option<Vec<u32>>,
    /// Show this many most frequent next tokens (text output).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `verbatim prob`.
#[derive(Debug, clap::Args)]
pub struct ProbArgs {
    /// The index directory.
    #[arg(long)]
    index: PathBuf,
    #[command(flatten)]
    input: TextInput,
    /// Prompt token ids instead of text, comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["text", "file"])]
    ids: Option<Vec<u32>>,
    /// The continuation token id.
    #[arg(long)]
    next: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim ntd`.
pub fn run_ntd(a: NtdArgs) -> Result<ExitCode> {
    let index = super::open_index(&a.index, false)?;
    let ids = query_ids(&index, a.ids, &a.input)?;
    let d = index.next_token_distribution(&ids);
    if a.json {
        let next: serde_json::Map<String, serde_json::Value> = d
            .next
            .iter()
            .map(|(t, c)| (t.to_string(), serde_json::json!({"cont_count": c, "prob": *c as f64 / d.prompt_count.max(1) as f64})))
            .collect();
        crate::output::print_json(&serde_json::json!({
            "prompt_count": d.prompt_count, "end_of_document": d.end_of_document, "result_by_token_id": next, "approx": false,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} occurrence(s); {} followed by a document end",
        d.prompt_count,
        d.end_of_document
    );
    let mut top = d.next.clone();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (t, c) in top.into_iter().take(a.top) {
        let text = index.tokenizer().decode(&[t]);
        outln!(
            "  {c:>10}  {:6.3}%  {t:>6} {text:?}",
            100.0 * c as f64 / d.prompt_count.max(1) as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `verbatim prob`.
pub fn run_prob(a: ProbArgs) -> Result<ExitCode> {
    let index = super::open_index(&a.index, false)?;
    let ids = query_ids(&index, a.ids, &a.input)?;
    // The separator and ids past the vocabulary are no token a text can continue with.
    let vocab = index.manifest().tokenizer.vocab_size;
    if a.next >= vocab {
        bail!(
            "--next {} is outside the vocabulary (ids 0 to {}); give the id of a token",
            a.next,
            vocab.saturating_sub(1)
        );
    }
    let p = index.infgram_prob(&ids, a.next);
    if a.json {
        crate::output::print_json(&serde_json::json!({
            "prompt_count": p.prompt_count, "cont_count": p.cont_count, "prob": p.prob, "suffix_len": p.suffix_len,
        }))?;
    } else {
        outln!(
            "P = {} / {} = {:.6} using the last {} of {} prompt token(s)",
            p.cont_count,
            p.prompt_count,
            p.prob,
            p.suffix_len,
            ids.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
