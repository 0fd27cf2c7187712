//! `verbatim spans`: all maximal matching spans of a text.

use super::input_text::TextInput;
use crate::output::ellipsize;
use anyhow::Result;
use std::process::ExitCode;
use verbatim_core::query::TraceControls;

/// Span rule flags shared by `spans` and `trace`.
#[derive(Debug, clap::Args)]
pub struct SpanFlags {
    /// Drop spans occurring more than this many times.
    #[arg(long)]
    pub max_count: Option<u64>,
    /// Allow spans to start and end inside words.
    #[arg(long)]
    pub no_word_boundaries: bool,
    /// A delimiter text a span may end with but not contain (one token of the index's
    /// tokenizer; `\n` is a newline). Repeatable: `--delimiter . --delimiter '\n'` is the
    /// default; giving any replaces the default list. A delimiter is a token, as in
    /// OLMoTrace: a token merging a period or line end with more (GPT-NeoX's `."` or
    /// `\n\n`) is none unless given too.
    #[arg(long = "delimiter", value_name = "TEXT")]
    pub delimiters: Vec<String>,
    /// The delimiters as one comma-separated list (the older form of --delimiter; a comma
    /// itself cannot be given this way).
    #[arg(
        long = "delimiters",
        value_delimiter = ',',
        value_name = "LIST",
        hide = true
    )]
    pub delimiter_list: Vec<String>,
    /// No delimiters at all: spans may run across any `.` and newline token.
    #[arg(long, conflicts_with_all = ["delimiters", "delimiter_list"])]
    pub no_delimiters: bool,
    /// Shortest span kept, in tokens.
    #[arg(long, default_value_t = 1)]
    pub min_len: u64,
}

/// The command-line flag of each trace request field, for messages about a value given.
pub const FLAG_NAMES: &[(&str, &str)] = &[
    ("maximum_frequency", "--max-count"),
    ("minimum_span_length", "--min-len"),
    ("delimiters", "--delimiter"),
    ("maximum_span_density", "--density"),
    ("maximum_documents_per_span", "--docs-per-span"),
    ("snippet_context_tokens", "--context"),
    ("long_context_tokens", "--long-context"),
];

impl SpanFlags {
    /// The controls these flags ask for (`\\n` in a delimiter is a newline).
    pub fn controls(&self) -> TraceControls {
        TraceControls {
            delimiters: if self.no_delimiters {
                Some(Vec::new())
            } else if self.delimiters.is_empty() && self.delimiter_list.is_empty() {
                None
            } else {
                Some(
                    self.delimiters
                        .iter()
                        .chain(&self.delimiter_list)
                        .map(|t| t.replace("\\n", "\n"))
                        .collect(),
                )
            },
            allow_spans_with_partial_words: Some(self.no_word_boundaries),
            minimum_span_length: Some(self.min_len),
            maximum_frequency: self.max_count,
            ..TraceControls::default()
        }
    }
}

/// Arguments of `verbatim spans`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    index: super::target::IndexArgs,
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
    let index = a.index.open()?;
    let text = a.input.read_non_empty()?;
    let opts = a
        .flags
        .controls()
        .span_options(&index)
        .map_err(|e| e.named(FLAG_NAMES))?;
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
