//! `verbatim trace`: the OLMoTrace pipeline on one output.

use super::input_text::TextInput;
use super::spans::SpanFlags;
use crate::output::ellipsize;
use anyhow::Result;
use std::process::ExitCode;
use verbatim_core::api::Withheld;

/// Arguments of `verbatim trace`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    index: super::target::IndexArgs,
    #[command(flatten)]
    input: TextInput,
    /// The prompt the output answered (used for BM25 ranking).
    #[arg(long)]
    prompt: Option<String>,
    #[command(flatten)]
    flags: SpanFlags,
    /// Spans kept per output token (OLMoTrace's maximum_span_density; default 0.05).
    #[arg(long)]
    density: Option<f64>,
    /// Which spans the density cap keeps first: unigram-logprob-sum (rarest) or length.
    #[arg(long, value_enum)]
    ranking: Option<Ranking>,
    /// Documents shown per span (OLMoTrace's maximum_documents_per_span; default 10).
    #[arg(long)]
    docs_per_span: Option<u64>,
    /// Snippet context in tokens each side (default 40).
    #[arg(long)]
    context: Option<u64>,
    /// Long-view context in tokens each side, the window BM25 scores (default 250).
    #[arg(long)]
    long_context: Option<u64>,
    /// Print each snippet's long-view window too (JSON: `long_snippets`).
    #[arg(long)]
    long_view: bool,
    /// The privacy filter on shown text: mask (default), drop the document, or off.
    #[arg(long, default_value = "mask")]
    pii: verbatim_core::pii::PiiMode,
    /// Include each document's full text.
    #[arg(long)]
    full_documents: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `verbatim trace`.
pub fn run(a: Args) -> Result<ExitCode> {
    let index = a.index.open()?;
    let text = a.input.read_non_empty()?;
    let mut controls = a.flags.controls();
    controls.maximum_frequency = Some(
        a.flags
            .max_count
            .unwrap_or(verbatim_core::query::trace::DEFAULT_MAX_SPAN_COUNT),
    );
    controls.maximum_span_density = a.density;
    controls.span_ranking_method = a.ranking.map(Ranking::method);
    controls.maximum_documents_per_span = a.docs_per_span;
    controls.snippet_context_tokens = a.context;
    controls.long_context_tokens = a.long_context;
    let mut opts = controls
        .resolve(&index)
        .map_err(|e| e.named(super::spans::FLAG_NAMES))?;
    opts.long_view = a.long_view;
    opts.full_documents = a.full_documents;
    let trace = index.trace(&text, a.prompt.as_deref(), &opts)?;
    let mut json = verbatim_core::api::TraceJson::new(&index, &text, &trace);
    json.apply_pii(&index, a.pii);
    if a.json {
        crate::output::print_json(&json)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} tokens, {} maximal spans, {} kept, {} documents ({:.1} ms)",
        trace.tokens,
        trace.candidate_spans,
        trace.spans.len(),
        json.documents.len(),
        trace.timing.total
    );
    for (i, s) in json.spans.iter().enumerate() {
        let withheld = match s.documents_withheld {
            Some(Withheld::TakenDown) => "  (no document shown: all taken down)",
            Some(Withheld::PersonalData) => "  (no document shown: personal data)",
            None => "",
        };
        outln!(
            "  [{i}] {:?} count {:>6}  {}{withheld}",
            s.relevance.unwrap_or(verbatim_core::query::Relevance::Low),
            s.count,
            ellipsize(&s.text, 80)
        );
    }
    for d in &json.documents {
        outln!(
            "  {:?} bm25 {:.1}  {}{}{}",
            d.relevance,
            d.bm25,
            d.id,
            d.source
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            d.stage
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default()
        );
        if let Some(sn) = d.snippets.first() {
            outln!(
                "      …{}[{}]{}…",
                ellipsize(&sn.snippet.before, 60),
                ellipsize(&sn.snippet.matched, 80),
                ellipsize(&sn.snippet.after, 60)
            );
        }
    }
    if json.pii_dropped_documents > 0 {
        outln!(
            "  ({} document(s) left out: their text holds personal data)",
            json.pii_dropped_documents
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--ranking` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Ranking {
    /// Lowest sum of log unigram probabilities first.
    UnigramLogprobSum,
    /// Longest first.
    Length,
}

impl Ranking {
    fn method(self) -> verbatim_core::query::SpanRanking {
        match self {
            Ranking::UnigramLogprobSum => verbatim_core::query::SpanRanking::UnigramLogprobSum,
            Ranking::Length => verbatim_core::query::SpanRanking::Length,
        }
    }
}
