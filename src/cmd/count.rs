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
                bail!("token id {bad} is outside the vocabulary (0..{vocab})");
            }
            Ok(ids)
        }
        None => {
            let ids = index.tokenizer().encode_ids(&input.read()?)?;
            if ids.is_empty() {
                // The empty sequence occurs at every position: not an answer about the text.
                bail!(
                    "the text has no tokens with this index's tokenizer (it drops such text, \
                     e.g. whitespace): nothing to count"
                );
            }
            if ids
                .iter()
                .any(|&t| Some(t) == index.tokenizer().unknown_id())
            {
                // The unknown token stands for any text the vocabulary cannot spell.
                bail!(
                    "the text has characters this index's tokenizer cannot spell (its unknown \
                     token stands for any of them): its count would count other texts too"
                );
            }
            Ok(ids)
        }
    }
}

/// Runs `verbatim count`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = a.index.open()?;
    let ids = query_ids(&index, a.ids, &a.input)?;
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
