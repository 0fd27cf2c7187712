//! `verbatim spans`: all maximal matching spans of a text.

use super::input_text::TextInput;
use crate::output::ellipsize;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_core::query::SpanOptions;

/// Span rule flags shared by `spans` and `trace`.
#[derive(Debug, clap::Args)]
pub struct SpanFlags {
    /// Drop spans occurring more than this many times.
    #[arg(long)]
    pub max_count: Option<u64>,
    /// Allow spans to start and end inside words.
    #[arg(long)]
    pub no_word_boundaries: bool,
    /// Delimiter texts a span may end with but not contain (each must be one token);
    /// default "." and newline.
    #[arg(long, value_delimiter = ',')]
    pub delimiters: Option<Vec<String>>,
    /// Shortest span kept, in tokens.
    #[arg(long, default_value_t = 1)]
    pub min_len: usize,
}

impl SpanFlags {
    /// The span options these flags ask for.
    pub fn options(&self, index: &verbatim_core::Index) -> Result<SpanOptions> {
        let mut o = SpanOptions::defaults_for(index);
        o.max_count = self.max_count;
        o.word_boundaries = !self.no_word_boundaries;
        o.min_len = self.min_len;
        if let Some(d) = &self.delimiters {
            o.delimiters = d
                .iter()
                .map(|t| {
                    let t = t.replace("\\n", "\n");
                    index
                        .tokenizer()
                        .single_token(&t)
                        .ok_or_else(|| anyhow::anyhow!("delimiter {t:?} is not a single token"))
                })
                .collect::<Result<_>>()?;
        }
        Ok(o)
    }
}

/// Arguments of `verbatim spans`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The index directory.
    #[arg(long)]
    index: PathBuf,
    #[command(flatten)]
    input: TextInput,
    #[command(flatten)]
    flags: SpanFlags,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim spans`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = super::open_index(&a.index, false)?;
    let text = a.input.read()?;
    let opts = a.flags.options(&index)?;
    let enc = index.tokenizer().encode(&text)?;
    let spans = index.spans(&text, &enc, &opts);
    if a.json {
        crate::output::print_json(&verbatim_core::api::SpansJson::new(
            &index,
            &text,
            enc.ids.len(),
            &spans,
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} maximal span(s) in {} tokens",
        spans.len(),
        enc.ids.len()
    );
    for s in &spans {
        outln!(
            "  tokens {:>4}..{:<4} count {:>8}  {}",
            s.token_start,
            s.token_end,
            s.count,
            ellipsize(&s.text, 90)
        );
    }
    Ok(ExitCode::SUCCESS)
}
