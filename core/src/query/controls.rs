//! OLMoTrace's trace controls: what a caller may set, the accepted range of each, OLMoTrace's
//! defaults, and the resolved values echoed in every answer so that a trace can be re-run
//! exactly.
//!
//! | control | default | accepted |
//! |---|---|---|
//! | `delimiters` | `.` and newline | at most 32 texts, each one token of the index's tokenizer |
//! | `allow_spans_with_partial_words` | false | bool |
//! | `minimum_span_length` | 1 | 1 to 10,000 tokens |
//! | `maximum_frequency` | 1,000,000 | 1 to 2^53 - 1 |
//! | `maximum_span_density` | 0.05 | (0, 1] |
//! | `span_ranking_method` | `unigram_logprob_sum` | `unigram_logprob_sum`, `length` |
//! | `maximum_documents_per_span` | 10 | 1 to 100 |
//! | `snippet_context_tokens` | 40 | 0 to 1,000 |
//! | `long_context_tokens` | 250 | 0 to 5,000 |
//!
//! The one shared [`TraceControls::resolve`] is used by the HTTP API and the CLI, so both
//! refuse the same values with the same message (naming the field and its range).

use crate::index::Index;
use crate::query::spans::SpanOptions;
use crate::query::trace::{TraceOptions, DEFAULT_MAX_SPAN_COUNT};
use serde::{Deserialize, Serialize};

/// Most delimiters a trace or span request may give.
pub const MAX_DELIMITERS: usize = 32;
/// Largest `minimum_span_length`.
pub const MAX_MIN_SPAN_LENGTH: u64 = 10_000;
/// Largest `maximum_frequency`: 2^53 - 1, the largest integer every JSON client holds exactly.
pub const MAX_FREQUENCY: u64 = (1 << 53) - 1;
/// Largest `maximum_documents_per_span`.
pub const MAX_DOCS_PER_SPAN: u64 = 100;
/// Largest `snippet_context_tokens`.
pub const MAX_SNIPPET_CONTEXT: u64 = 1_000;
/// Largest `long_context_tokens`.
pub const MAX_LONG_CONTEXT: u64 = 5_000;
/// Default `snippet_context_tokens`.
pub const DEFAULT_SNIPPET_CONTEXT: usize = 40;
/// Default `long_context_tokens`.
pub const DEFAULT_LONG_CONTEXT: usize = 250;

/// How the kept spans are chosen among the maximal spans (OLMoTrace's `span_ranking_method`):
/// the first `ceil(density x output tokens)` in this order are kept, ties in text order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanRanking {
    /// Lowest sum of log unigram probabilities first (the rarest spans).
    #[default]
    UnigramLogprobSum,
    /// Longest spans (in tokens) first.
    Length,
}

/// A control outside its accepted range: names the field, what was wrong and what is accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} {problem}; accepted: {accepted}")]
pub struct ControlError {
    /// The request field (the API's name).
    pub field: &'static str,
    /// What is wrong with the value.
    pub problem: String,
    /// The accepted values.
    pub accepted: String,
    /// Whether the value is well-formed but unusable with this index (a delimiter that is not
    /// one of its tokens): the API answers 422 for those, 400 for out-of-range values.
    pub index_dependent: bool,
}

impl ControlError {
    /// The error with its field called as the caller called it (`names`: the field's name
    /// here, the caller's), for a route or a command whose names differ from the trace
    /// request's (`/api/v1/spans` says `max_count`; the CLI says `--density`).
    pub fn named(mut self, names: &[(&'static str, &'static str)]) -> ControlError {
        if let Some(&(_, theirs)) = names.iter().find(|(ours, _)| *ours == self.field) {
            self.field = theirs;
        }
        self
    }

    fn range(field: &'static str, got: impl std::fmt::Display, accepted: String) -> ControlError {
        ControlError {
            field,
            problem: format!("is {got}"),
            accepted,
            index_dependent: false,
        }
    }
}

/// The controls of a trace as a caller gives them; `None` means OLMoTrace's default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceControls {
    /// Texts a span may end with but not contain.
    pub delimiters: Option<Vec<String>>,
    /// Let spans start or end inside a word.
    pub allow_spans_with_partial_words: Option<bool>,
    /// Shortest span kept, in tokens.
    pub minimum_span_length: Option<u64>,
    /// Spans occurring more often than this are not traced.
    pub maximum_frequency: Option<u64>,
    /// Spans kept per output token.
    pub maximum_span_density: Option<f64>,
    /// Which spans are kept first.
    pub span_ranking_method: Option<SpanRanking>,
    /// Documents shown per span (sampled reproducibly).
    pub maximum_documents_per_span: Option<u64>,
    /// Tokens of context each side of a match in a snippet.
    pub snippet_context_tokens: Option<u64>,
    /// Tokens of context each side of a match in the long view (also the window BM25 scores).
    pub long_context_tokens: Option<u64>,
}

fn in_range(field: &'static str, v: Option<u64>, lo: u64, hi: u64) -> Result<(), ControlError> {
    match v {
        Some(x) if x < lo || x > hi => Err(ControlError::range(
            field,
            x,
            format!("a whole number from {lo} to {hi}"),
        )),
        _ => Ok(()),
    }
}

impl TraceControls {
    /// Checks every range that does not depend on the index (cheap: call it before queueing
    /// work).
    pub fn check(&self) -> Result<(), ControlError> {
        if let Some(d) = &self.delimiters {
            if d.len() > MAX_DELIMITERS {
                return Err(ControlError::range(
                    "delimiters",
                    format!("a list of {}", d.len()),
                    format!("at most {MAX_DELIMITERS} texts"),
                ));
            }
            if d.iter().any(String::is_empty) {
                return Err(ControlError::range(
                    "delimiters",
                    "a list holding an empty text",
                    "texts that are one token each".into(),
                ));
            }
        }
        in_range(
            "minimum_span_length",
            self.minimum_span_length,
            1,
            MAX_MIN_SPAN_LENGTH,
        )?;
        in_range(
            "maximum_frequency",
            self.maximum_frequency,
            1,
            MAX_FREQUENCY,
        )?;
        if let Some(d) = self.maximum_span_density {
            if !(d > 0.0 && d <= 1.0) {
                return Err(ControlError::range(
                    "maximum_span_density",
                    d,
                    "a number greater than 0 and at most 1".into(),
                ));
            }
        }
        in_range(
            "maximum_documents_per_span",
            self.maximum_documents_per_span,
            1,
            MAX_DOCS_PER_SPAN,
        )?;
        in_range(
            "snippet_context_tokens",
            self.snippet_context_tokens,
            0,
            MAX_SNIPPET_CONTEXT,
        )?;
        in_range(
            "long_context_tokens",
            self.long_context_tokens,
            0,
            MAX_LONG_CONTEXT,
        )
    }

    /// The span options these controls ask for, over `index`'s tokenizer. Spans keep their
    /// own default of no frequency limit unless `maximum_frequency` is given.
    pub fn span_options(&self, index: &Index) -> Result<SpanOptions, ControlError> {
        self.check()?;
        let mut o = SpanOptions::defaults_for(index);
        if let Some(ds) = &self.delimiters {
            o.delimiters = ds
                .iter()
                .map(|d| {
                    index
                        .tokenizer()
                        .single_token(d)
                        .ok_or_else(|| ControlError {
                            field: "delimiters",
                            problem: format!("holds {d:?}, which is not a single token"),
                            accepted: "texts that are one token each of the index's tokenizer"
                                .into(),
                            index_dependent: true,
                        })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(p) = self.allow_spans_with_partial_words {
            o.word_boundaries = !p;
        }
        if let Some(m) = self.minimum_span_length {
            o.min_len = m as usize;
        }
        o.max_count = self.maximum_frequency;
        Ok(o)
    }

    /// The trace options these controls ask for, OLMoTrace's defaults for the rest.
    pub fn resolve(&self, index: &Index) -> Result<TraceOptions, ControlError> {
        let mut o = TraceOptions::defaults_for(index);
        o.spans = self.span_options(index)?;
        o.spans.max_count = Some(self.maximum_frequency.unwrap_or(DEFAULT_MAX_SPAN_COUNT));
        if let Some(d) = self.maximum_span_density {
            o.density = d;
        }
        if let Some(r) = self.span_ranking_method {
            o.ranking = r;
        }
        if let Some(k) = self.maximum_documents_per_span {
            o.docs_per_span = k as usize;
        }
        if let Some(c) = self.snippet_context_tokens {
            o.snippet_context = c as usize;
        }
        if let Some(c) = self.long_context_tokens {
            o.long_context = c as usize;
        }
        Ok(o)
    }
}

/// The controls a trace ran with, every one resolved (echoed in the answer: sending these
/// back reproduces the trace).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlsJson {
    /// Delimiter texts.
    pub delimiters: Vec<String>,
    /// Whether spans may start or end inside a word.
    pub allow_spans_with_partial_words: bool,
    /// Shortest span kept, in tokens.
    pub minimum_span_length: usize,
    /// Spans occurring more often are not traced (`null`: no limit).
    pub maximum_frequency: Option<u64>,
    /// Spans kept per output token.
    pub maximum_span_density: f64,
    /// Which spans are kept first.
    pub span_ranking_method: SpanRanking,
    /// Documents shown per span.
    pub maximum_documents_per_span: usize,
    /// Snippet context, tokens each side.
    pub snippet_context_tokens: usize,
    /// Long-view (and BM25) context, tokens each side.
    pub long_context_tokens: usize,
}

impl ControlsJson {
    /// The echo of `opts` (delimiter ids decoded with `index`'s tokenizer).
    pub fn new(index: &Index, opts: &TraceOptions) -> ControlsJson {
        ControlsJson {
            delimiters: opts
                .spans
                .delimiters
                .iter()
                .map(|&t| index.tokenizer().decode(&[t]))
                .collect(),
            allow_spans_with_partial_words: !opts.spans.word_boundaries,
            minimum_span_length: opts.spans.min_len,
            maximum_frequency: opts.spans.max_count,
            maximum_span_density: opts.density,
            span_ranking_method: opts.ranking,
            maximum_documents_per_span: opts.docs_per_span,
            snippet_context_tokens: opts.snippet_context,
            long_context_tokens: opts.long_context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_name_the_field_and_what_is_accepted() {
        let bad = [
            TraceControls {
                maximum_span_density: Some(0.0),
                ..Default::default()
            },
            TraceControls {
                maximum_span_density: Some(f64::NAN),
                ..Default::default()
            },
            TraceControls {
                maximum_span_density: Some(1.5),
                ..Default::default()
            },
            TraceControls {
                minimum_span_length: Some(0),
                ..Default::default()
            },
            TraceControls {
                maximum_frequency: Some(0),
                ..Default::default()
            },
            TraceControls {
                maximum_documents_per_span: Some(101),
                ..Default::default()
            },
            TraceControls {
                snippet_context_tokens: Some(1_001),
                ..Default::default()
            },
            TraceControls {
                long_context_tokens: Some(5_001),
                ..Default::default()
            },
            TraceControls {
                delimiters: Some(vec![".".into(); 33]),
                ..Default::default()
            },
            TraceControls {
                delimiters: Some(vec![String::new()]),
                ..Default::default()
            },
        ];
        let fields = [
            "maximum_span_density",
            "maximum_span_density",
            "maximum_span_density",
            "minimum_span_length",
            "maximum_frequency",
            "maximum_documents_per_span",
            "snippet_context_tokens",
            "long_context_tokens",
            "delimiters",
            "delimiters",
        ];
        for (c, f) in bad.iter().zip(fields) {
            let e = c.check().unwrap_err();
            assert_eq!(e.field, f);
            assert!(e.to_string().starts_with(f), "{e}");
            assert!(e.to_string().contains("accepted: "), "{e}");
        }
        let edges = TraceControls {
            maximum_span_density: Some(1.0),
            minimum_span_length: Some(MAX_MIN_SPAN_LENGTH),
            maximum_frequency: Some(MAX_FREQUENCY),
            maximum_documents_per_span: Some(1),
            snippet_context_tokens: Some(0),
            long_context_tokens: Some(MAX_LONG_CONTEXT),
            ..Default::default()
        };
        assert_eq!(edges.check(), Ok(()));
    }

    #[test]
    fn ranking_names_are_olmotraces() {
        let r: SpanRanking = serde_json::from_str("\"length\"").unwrap();
        assert_eq!(r, SpanRanking::Length);
        let r: SpanRanking = serde_json::from_str("\"unigram_logprob_sum\"").unwrap();
        assert_eq!(r, SpanRanking::UnigramLogprobSum);
        assert!(serde_json::from_str::<SpanRanking>("\"random\"").is_err());
    }
}
