//! `verbatim count`: occurrences of a text or token sequence.

use super::input_text::TextInput;
use anyhow::{bail, Result};
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `verbatim count`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    index: super::target::IndexArgs,
    #[command(flatten)]
    input: TextInput,
    /// Token ids instead of text, comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["text", "file"])]
    ids: Option<Vec<u32>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Reads token ids from `--ids` or tokenizes the text.
pub fn query_ids(
    index: &verbatim_core::Index,
    ids: Option<Vec<u32>>,
    input: &TextInput,
) -> Result<Vec<u32>> {
    let vocab = index.manifest().tokenizer.vocab_size;
    match ids {
        Some(ids) => {
            if let Some(bad) = ids.iter().find(|&&i| i >= vocab) {
                bail!(
                    "token id {bad} is outside the vocabulary (ids 0 to {})",
                    vocab.saturating_sub(1)
                );
            }
            Ok(ids)
        }
        None => Ok(index.tokenizer().encode_ids(&input.read()?)?),
    }
}

/// Runs `verbatim count`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = a.index.open()?;
    let ids = match a.ids {
        Some(_) => query_ids(&index, a.ids, &a.input)?,
        None => index.ids_to_count(&a.input.read()?)?,
    };
    let t = Instant::now();
    let answer = verbatim_core::api::CountJson::new(&index, ids);
    let us = t.elapsed().as_secs_f64() * 1e6;
    if a.json {
        crate::output::print_json(&answer)?;
    } else {
        outln!(
            "{} occurrence(s) of {} token(s) ({us:.0} µs)",
            answer.count,
            answer.token_ids.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
