//! `POST /api/v1/trace`: the OLMoTrace pipeline.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verbatim_core::api::TraceJson;
use verbatim_core::query::TraceOptions;

/// Body of a trace request.
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
    /// The index to trace against (default: the first served).
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
    /// Spans kept per output token (default 0.05).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false, exclusive_minimum = 0, maximum = 1)]
    density: Option<f64>,
    /// Documents retrieved per span (default 10).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 100)]
    docs_per_span: Option<UInt>,
    /// Include each document's full text.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    full_documents: Option<bool>,
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
    if let Some(d) = req.density {
        if !(d > 0.0 && d <= 1.0) {
            return Err(ApiError::BadRequest("density must be in (0, 1]".into()));
        }
    }
    if req.docs_per_span.is_some_and(|k| k.0 == 0 || k.0 > 100) {
        return Err(ApiError::BadRequest(
            "docs_per_span must be between 1 and 100".into(),
        ));
    }
    let index = st.index(req.index.as_deref())?;
    st.refresh_takedowns();
    let key = crate::response_cache::ResponseCache::key(&[
        b"trace",
        index.manifest().build_id.as_bytes(),
        &index.takedown_generation().to_le_bytes(),
        &serde_json::to_vec(&req).unwrap_or_default(),
    ]);
    if let Some(body) = st.cache.get(key) {
        return Ok(super::json_bytes(body));
    }
    let body = st
        .gate
        .run(move || {
            let mut opts = TraceOptions::defaults_for(&index);
            opts.spans.max_count = req.max_count.map(|m| m.0);
            if let Some(w) = req.word_boundaries {
                opts.spans.word_boundaries = w;
            }
            if let Some(d) = req.density {
                opts.density = d;
            }
            if let Some(k) = req.docs_per_span {
                opts.docs_per_span = k.usize();
            }
            opts.full_documents = req.full_documents.unwrap_or(false);
            let t = index.trace(&req.response, req.prompt.as_deref(), &opts)?;
            let json = TraceJson::new(&index, &req.response, &t);
            serde_json::to_vec(&json).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    let body = bytes::Bytes::from(body);
    st.cache.put(key, body.clone());
    Ok(super::json_bytes(body))
}
