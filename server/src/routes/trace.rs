//! `POST /api/v1/trace`: the OLMoTrace pipeline, with OLMoTrace's controls
//! (`verbatim_core::query::controls`), over one index or a group of indexes.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::select::IndexSelector;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verbatim_core::api::TraceJson;
use verbatim_core::query::{SpanRanking, TraceControls};

/// The ranking methods, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(as = SpanRankingMethod)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
#[derive(Serialize)]
pub(crate) enum RankingSchema {
    /// Lowest sum of log unigram probabilities first (the rarest spans; the default).
    UnigramLogprobSum,
    /// Longest spans first.
    Length,
}

/// Body of a trace request. Field names and defaults are OLMoTrace's; the older names
/// (`max_count`, `density`, `docs_per_span`, `min_len`) are accepted as aliases. A trace that
/// would read more document text than the server's `--max-trace-tokens` (its windows and full
/// documents) gets 422 before any is read.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceRequest {
    /// The model output.
    #[schema(min_length = 1)]
    response: String,
    /// The prompt it answered (used for BM25 ranking only).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    prompt: Option<String>,
    /// The index to trace against: an index name, a group name, `"all"`, or a list of index
    /// names traced as one group (default: the first served index).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<IndexSelector>,
    /// Texts a span may end with but not contain, each one token of the index's tokenizer
    /// (default "." and newline; 422 for a text that is not one token).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false, max_items = 32)]
    delimiters: Option<Vec<String>>,
    /// Let spans start or end inside a word (default false).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    allow_spans_with_partial_words: Option<bool>,
    /// Older name: spans start and end at word boundaries (the opposite of
    /// `allow_spans_with_partial_words`; giving both with conflicting values is a 400).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    word_boundaries: Option<bool>,
    /// Shortest span kept, in tokens (default 1).
    #[serde(
        default,
        alias = "min_len",
        deserialize_with = "crate::fields::present"
    )]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 10_000)]
    minimum_span_length: Option<UInt>,
    /// Spans occurring more often than this are not traced (default 1,000,000).
    #[serde(
        default,
        alias = "max_count",
        deserialize_with = "crate::fields::present"
    )]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 9_007_199_254_740_991_u64)]
    maximum_frequency: Option<UInt>,
    /// Spans kept per output token (default 0.05).
    #[serde(
        default,
        alias = "density",
        deserialize_with = "crate::fields::present"
    )]
    #[schema(nullable = false, exclusive_minimum = 0, maximum = 1)]
    maximum_span_density: Option<f64>,
    /// Which spans the density cap keeps first (default `unigram_logprob_sum`).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = RankingSchema, nullable = false)]
    span_ranking_method: Option<SpanRanking>,
    /// Documents shown per span, sampled reproducibly (default 10).
    #[serde(
        default,
        alias = "docs_per_span",
        deserialize_with = "crate::fields::present"
    )]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 100)]
    maximum_documents_per_span: Option<UInt>,
    /// Tokens of context each side of a match in a snippet (default 40).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 0, maximum = 1000)]
    snippet_context_tokens: Option<UInt>,
    /// Tokens of context each side of a match in the long view, the window BM25 scores
    /// (default 250).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 0, maximum = 5000)]
    long_context_tokens: Option<UInt>,
    /// Return each snippet's long-view window too (`long_snippets`).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    long_view: Option<bool>,
    /// Include each document's full text.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    full_documents: Option<bool>,
}

impl TraceRequest {
    /// The controls asked for (checked for ranges by the caller).
    fn controls(&self) -> Result<TraceControls, ApiError> {
        let partial =
            super::partial_words(self.allow_spans_with_partial_words, self.word_boundaries)?;
        Ok(TraceControls {
            delimiters: self.delimiters.clone(),
            allow_spans_with_partial_words: partial,
            minimum_span_length: self.minimum_span_length.map(|m| m.0),
            maximum_frequency: self.maximum_frequency.map(|m| m.0),
            maximum_span_density: self.maximum_span_density,
            span_ranking_method: self.span_ranking_method,
            maximum_documents_per_span: self.maximum_documents_per_span.map(|m| m.0),
            snippet_context_tokens: self.snippet_context_tokens.map(|m| m.0),
            long_context_tokens: self.long_context_tokens.map(|m| m.0),
        })
    }
}

/// Traces a model output.
pub async fn trace(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<TraceRequest>,
) -> Result<Response, ApiError> {
    st.check_text("response", &req.response)?;
    if let Some(p) = &req.prompt {
        if p.len() > st.config.max_text_bytes {
            return Err(ApiError::TooLarge(format!(
                "prompt is {} bytes; the limit is {}",
                p.len(),
                st.config.max_text_bytes
            )));
        }
    }
    let controls = req.controls()?;
    controls.check()?;
    let index = st.target(req.index.as_ref())?;
    let request = serde_json::to_vec(&req).map_err(|e| ApiError::Internal(e.to_string()))?;
    let key = crate::response_cache::CacheKey::new(&[
        b"trace",
        &AppState::cache_identity(&index),
        st.config.pii.name().as_bytes(),
        &request,
    ]);
    if let Some(body) = st.cache.get(&key) {
        return Ok(super::json_bytes(body));
    }
    let pii = st.config.pii;
    let max_document_tokens = st.config.max_trace_tokens;
    let body = st
        .gate
        .run(move || {
            let mut opts = controls.resolve(&index)?;
            opts.long_view = req.long_view.unwrap_or(false);
            opts.full_documents = req.full_documents.unwrap_or(false);
            opts.max_document_tokens = Some(max_document_tokens);
            let t = index.trace(&req.response, req.prompt.as_deref(), &opts)?;
            let mut json = TraceJson::new(&index, &req.response, &t);
            json.apply_pii(&index, pii);
            serde_json::to_vec(&json).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    let body = bytes::Bytes::from(body);
    st.cache.put(key, body.clone());
    Ok(super::json_bytes(body))
}
