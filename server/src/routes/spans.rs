//! `POST /api/v1/spans`: every maximal matching span (no density cap).

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verbatim_core::api::SpansJson;
use verbatim_core::query::SpanOptions;
use verbatim_core::Index;

/// Body of a span request.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpansRequest {
    /// The text.
    #[schema(min_length = 1)]
    text: String,
    /// The index to search (default: the first served).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<String>,
    /// Drop spans occurring more than this many times.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, maximum = 9_007_199_254_740_991_u64)]
    max_count: Option<UInt>,
    /// Spans start and end at word boundaries (default true).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    word_boundaries: Option<bool>,
    /// Texts a span may end with but not contain; each a single token of the index's
    /// tokenizer (422 otherwise).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false, max_items = 32)]
    delimiters: Option<Vec<String>>,
    /// Shortest span kept, in tokens.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, maximum = 9_007_199_254_740_991_u64)]
    min_len: Option<UInt>,
}

/// Finds all maximal spans of a text. Tokenizing (of the text and of the delimiters) runs
/// behind the admission gate with the search.
pub async fn spans(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<SpansRequest>,
) -> Result<Response, ApiError> {
    st.check_text("text", &req.text)?;
    if req.delimiters.as_ref().is_some_and(|d| d.len() > 32) {
        return Err(ApiError::BadRequest("at most 32 delimiters".into()));
    }
    let index = st.index(req.index.as_deref())?;
    // Spans show no documents, so takedowns do not change them: build id and request suffice.
    let key = crate::response_cache::ResponseCache::key(&[
        b"spans",
        index.manifest().build_id.as_bytes(),
        &serde_json::to_vec(&req).unwrap_or_default(),
    ]);
    if let Some(body) = st.cache.get(key) {
        return Ok(super::json_bytes(body));
    }
    let body = st
        .gate
        .run(move || {
            let opts = options(&index, &req)?;
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

/// The span options a request asks for.
fn options(index: &Index, req: &SpansRequest) -> Result<SpanOptions, ApiError> {
    let mut opts = SpanOptions::defaults_for(index);
    opts.max_count = req.max_count.map(|m| m.0);
    if let Some(w) = req.word_boundaries {
        opts.word_boundaries = w;
    }
    if let Some(m) = req.min_len {
        opts.min_len = m.usize().max(1);
    }
    if let Some(ds) = &req.delimiters {
        opts.delimiters = ds
            .iter()
            .map(|d| {
                index.tokenizer().single_token(d).ok_or_else(|| {
                    ApiError::Unprocessable(format!("delimiter {d:?} is not a single token"))
                })
            })
            .collect::<Result<_, _>>()?;
    }
    Ok(opts)
}
