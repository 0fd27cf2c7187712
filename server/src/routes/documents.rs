//! `GET /api/v1/documents/{id}`: a document's text and metadata.

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::fields::QueryUInt;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

/// Query parameters of a document request.
#[derive(Debug, Deserialize)]
pub struct DocQuery {
    #[serde(default)]
    index: Option<String>,
    /// Return at most this many tokens of text.
    #[serde(default)]
    max_tokens: Option<QueryUInt>,
    /// Mark every occurrence of this text (UTF-16 ranges into `text`).
    #[serde(default)]
    highlight: Option<String>,
}

/// Longest text returned unless the client asks for less (tokens).
const MAX_DOC_TOKENS: usize = 2_000_000;

/// Fetches a document by external id.
pub async fn document(
    State(st): State<Arc<AppState>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DocQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let index = st.index(q.index.as_deref())?;
    st.refresh_takedowns();
    let max = q
        .max_tokens
        .map_or(MAX_DOC_TOKENS, |m| m.0.usize())
        .clamp(1, MAX_DOC_TOKENS);
    let v = st
        .gate
        .run(move || {
            let d = index.document_by_id(&id, Some(max))?;
            let highlights: Vec<serde_json::Value> = match q.highlight.as_deref() {
                Some(h) if !h.is_empty() => {
                    let map = verbatim_core::api::Utf16Map::new(&d.text);
                    d.text
                        .match_indices(h)
                        .take(1000)
                        .map(|(b, m)| {
                            serde_json::json!({"utf16_start": map.get(b), "utf16_end": map.get(b + m.len())})
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            Ok(serde_json::json!({
                "id": d.record.id,
                "doc_no": d.location.doc_no,
                "source": d.record.source,
                "metadata": d.record.metadata,
                "tokens": d.tokens,
                "truncated": d.truncated,
                "text": d.text,
                "highlights": highlights,
            }))
        })
        .await?;
    Ok(Json(v))
}
