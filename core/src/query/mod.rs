//! Queries over a whole index (every shard): counts, n-gram distributions, maximal matching
//! spans, CNF (AND/OR) document search, document retrieval and the OLMoTrace-style trace.

pub mod bm25;
pub mod cnf;
pub mod controls;
pub(crate) mod count;
mod cpp_random;
mod doc_marks;
mod documents;
mod longest;
mod ngram;
mod on_pool;
pub mod sample;
pub mod spans;
pub mod trace;

pub use cnf::{Cnf, CnfMatches, CnfOptions, CnfRules};
pub use controls::{ControlError, ControlsJson, SpanRanking, TraceControls};
pub use count::Occurrences;
pub(crate) use doc_marks::marked_runs;
pub use doc_marks::{MarkedDocument, RunMark, MAX_MARKS};
pub use documents::{DocumentView, KeywordSnippet, Snippet, WindowPlace};
pub use ngram::{InfGramProb, NextTokenDistribution};
pub use sample::Occurrence;
pub use spans::{Span, SpanOptions};
pub use trace::{
    DisplaySpan, Relevance, Trace, TraceOptions, TraceTiming, TracedDocument, TracedSpan,
};
