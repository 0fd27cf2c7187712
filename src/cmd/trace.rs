//! `verbatim trace`: the OLMoTrace pipeline on one output.

use super::input_text::TextInput;
use super::spans::SpanFlags;
use crate::output::ellipsize;
use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use verbatim_core::query::TraceOptions;

/// Arguments of `verbatim trace`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The index directory.
    #[arg(long)]
    index: PathBuf,
    #[command(flatten)]
    input: TextInput,
    /// The prompt the output answered (used for BM25 ranking).
    #[arg(long)]
    prompt: Option<String>,
    #[command(flatten)]
    flags: SpanFlags,
    /// Spans kept per output token (OLMoTrace: 0.05).
    #[arg(long, default_value_t = 0.05)]
    density: f64,
    /// Documents retrieved per span.
    #[arg(long, default_value_t = 10)]
    docs_per_span: usize,
    /// Snippet context in tokens each side.
    #[arg(long, default_value_t = 40)]
    context: usize,
    /// Include each document's full text.
    #[arg(long)]
    full_documents: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim trace`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = super::open_index(&a.index, false)?;
    let text = a.input.read()?;
    let mut opts = TraceOptions::defaults_for(&index);
    opts.spans = a.flags.options(&index)?;
    opts.density = a.density;
    opts.docs_per_span = a.docs_per_span;
    opts.snippet_context = a.context;
    opts.full_documents = a.full_documents;
    let trace = index.trace(&text, a.prompt.as_deref(), &opts)?;
    if a.json {
        crate::output::print_json(&verbatim_core::api::TraceJson::new(&index, &text, &trace))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} tokens, {} maximal spans, {} kept, {} documents ({:.1} ms)",
        trace.tokens,
        trace.candidate_spans,
        trace.spans.len(),
        trace.documents.len(),
        trace.timing.total
    );
    for (i, s) in trace.spans.iter().enumerate() {
        outln!(
            "  [{i}] {:?} count {:>6}  {}",
            s.relevance,
            s.span.count,
            ellipsize(&s.span.text, 80)
        );
    }
    for d in &trace.documents {
        outln!(
            "  {:?} bm25 {:.1}  {}{}",
            d.relevance,
            d.bm25,
            d.record.id,
            d.record
                .source
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default()
        );
        if let Some((_, sn)) = d.snippets.first() {
            outln!(
                "      …{}[{}]{}…",
                ellipsize(&sn.before, 60),
                ellipsize(&sn.matched, 80),
                ellipsize(&sn.after, 60)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
