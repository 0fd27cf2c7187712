//! `POST /api/v1/spans`: every maximal matching span (no density cap).

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::select::IndexSelector;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verbatim_core::api::SpansJson;
use verbatim_core::query::{ControlError, TraceControls};

/// Body of a span request.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpansRequest {
    /// The text.
    #[schema(min_length = 1)]
    text: String,
    /// The index to search: an index name, a group name, `"all"`, or a list of index names
    /// searched as one group (default: the first served index).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<IndexSelector>,
    /// Drop spans occurring more than this many times (default: no limit; also accepted
    /// as `maximum_frequency`).
    #[serde(
        default,
        alias = "maximum_frequency",
        deserialize_with = "crate::fields::present"
    )]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 9_007_199_254_740_991_u64)]
    max_count: Option<UInt>,
    /// Spans start and end at word boundaries (default true).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    word_boundaries: Option<bool>,
    /// Let spans start or end inside a word (the opposite of `word_boundaries`, OLMoTrace's
    /// name; giving both with conflicting values is a 400).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    allow_spans_with_partial_words: Option<bool>,
    /// Texts a span may end with but not contain; each a single token of the index's
    /// tokenizer (422 otherwise).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false, max_items = 32)]
    delimiters: Option<Vec<String>>,
    /// Shortest span kept, in tokens (default 1; also accepted as `minimum_span_length`).
    #[serde(
        default,
        alias = "minimum_span_length",
        deserialize_with = "crate::fields::present"
    )]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 10_000)]
    min_len: Option<UInt>,
}

/// The error named as this request names its fields (the trace calls them
/// maximum_frequency and minimum_span_length).
fn named_as_spans(e: ControlError) -> ControlError {
    e.named(&[
        ("maximum_frequency", "max_count"),
        ("minimum_span_length", "min_len"),
    ])
}

/// Finds all maximal spans of a text. Tokenizing (of the text and of the delimiters) runs
/// behind the admission gate with the search.
pub async fn spans(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<SpansRequest>,
) -> Result<Response, ApiError> {
    st.check_text("text", &req.text)?;
    let controls = controls(&req)?;
    controls.check().map_err(named_as_spans)?;
    let index = st.target(req.index.as_ref())?;
    // Spans show no documents, so takedowns do not change them: build ids and request
    // suffice.
    let request = serde_json::to_vec(&req).map_err(|e| ApiError::Internal(e.to_string()))?;
    let key = crate::response_cache::CacheKey::new(&[
        b"spans",
        &AppState::cache_identity(&index),
        &request,
    ]);
    if let Some(body) = st.cache.get(&key) {
        return Ok(super::json_bytes(body));
    }
    let body = st
        .gate
        .run(move || {
            let opts = controls.span_options(&index).map_err(named_as_spans)?;
            let enc = index.tokenizer().encode(&req.text)?;
            let spans = index.spans(&req.text, &enc, &opts);
            let json = SpansJson::new(&index, &req.text, enc.ids.len(), &spans);
            serde_json::to_vec(&json).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    let body = bytes::Bytes::from(body);
    st.cache.put(key, body.clone());
    Ok(super::json_bytes(body))
}

/// The span controls a request asks for (no frequency limit unless given).
fn controls(req: &SpansRequest) -> Result<TraceControls, ApiError> {
    let partial = super::partial_words(req.allow_spans_with_partial_words, req.word_boundaries)?;
    Ok(TraceControls {
        delimiters: req.delimiters.clone(),
        allow_spans_with_partial_words: partial,
        minimum_span_length: req.min_len.map(|m| m.0),
        maximum_frequency: req.max_count.map(|m| m.0),
        ..TraceControls::default()
    })
}
