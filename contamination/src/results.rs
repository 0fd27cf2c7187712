//! The options and results of a contamination check (what `Checker` takes and returns).

use crate::method::*;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How items are checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckOptions {
    /// Definitions to apply, in report order.
    pub methods: Vec<Method>,
    /// Llama 2 skip-gram budget: mismatching token positions allowed inside one match
    /// (0 = exact matches only; the paper's variant uses 4).
    pub llama2_skip: usize,
    /// Example documents kept per method for items that are not clean.
    pub examples: usize,
    /// Matched spans (n-grams, substrings, token runs) kept per method.
    pub max_spans: usize,
    /// Context of a snippet, characters (side indexes) each side of the match; the main index
    /// uses a quarter as many tokens.
    pub snippet_chars: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            methods: Method::ALL.to_vec(),
            llama2_skip: 0,
            examples: 3,
            max_spans: 10,
            snippet_chars: 100,
        }
    }
}

/// A window of a corpus document around a match (normalised text for side-index methods):
/// the core's one snippet type.
pub use verbatim_core::query::Snippet;

/// A corpus document that contains part of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// External id of the document.
    pub id: String,
    /// Its global number in the main index.
    pub doc_no: u64,
    /// Its source, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Where the item's text occurs in it.
    pub snippet: Snippet,
}

/// An item's result under one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    /// The definition.
    pub method: Method,
    /// Share of units found (n-grams, substrings, tokens covered), in [0, 1].
    pub score: f64,
    /// The verdict.
    pub label: Label,
    /// Units checked: distinct n-grams (`gpt3`, `palm`), distinct substrings (`gpt4`,
    /// `substr50`) or tokens (`llama2`).
    pub units: usize,
    /// Units found (tokens covered for `llama2`).
    pub matched: usize,
    /// `gpt3` only: n-grams found in more than 10 documents, ignored as too common.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored: Option<usize>,
    /// The matched units (capped at `max_spans`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<String>,
    /// Documents holding matches (items that are not clean only; capped at `examples`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Example>,
    /// How an edge case was handled (e.g. an item shorter than n).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Time spent, not serialized.
    #[serde(skip)]
    pub elapsed: Duration,
}

/// An item's results under every method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item's benchmark.
    pub bench: String,
    /// The item's id.
    pub id: String,
    /// Words of the item (`words` normalisation).
    pub words: usize,
    /// One result per method, in the order asked.
    pub methods: Vec<MethodResult>,
    /// Time of the words-side-index searches shared by gpt3, palm and substr50 (not
    /// serialized).
    #[serde(skip)]
    pub shared_elapsed: Duration,
}

impl ItemResult {
    /// The result of `m`, if checked.
    pub fn get(&self, m: Method) -> Option<&MethodResult> {
        self.methods.iter().find(|r| r.method == m)
    }

    /// The worst label over all methods.
    pub fn worst(&self) -> Label {
        self.methods
            .iter()
            .map(|r| r.label)
            .max()
            .unwrap_or(Label::Clean)
    }
}
