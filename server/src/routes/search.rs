//! `POST /api/v1/search`: BM25 keyword search over the corpus (tantivy).

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

/// Body of a search request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Keywords (tantivy query syntax: AND, OR, NOT, -, +, parentheses, "phrases", `word*`
    /// for the words starting with `word`, `word~1` / `word~2` for the words within one or
    /// two edits of it; other syntax characters in a word, as in `10:30`
    /// or `f(x)`, are text); at least one character that is not whitespace, and at most 100
    /// levels of parentheses and prefix operators (422 beyond).
    #[schema(
        min_length = 1,
        pattern = "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    query: String,
    /// Most hits returned (default 10).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, minimum = 1, maximum = 100)]
    limit: Option<UInt>,
    /// The index to search (default: the first served).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<String>,
}

/// Searches the corpus by keywords.
pub async fn search(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<SearchRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    st.check_text("query", &req.query)?;
    if req.query.trim().is_empty() {
        return Err(ApiError::Unprocessable(
            "query has no words to search for".into(),
        ));
    }
    let limit = req.limit.map_or(10, UInt::usize);
    if limit == 0 || limit > 100 {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 100".into(),
        ));
    }
    let index = st.index(req.index.as_deref())?;
    let pii = st.config.pii;
    let v = st
        .gate
        .run(move || {
            verbatim_core::api::search_json(&index, &req.query, limit, pii)?.ok_or_else(|| {
                ApiError::Unprocessable("this index was built without a full-text index".into())
            })
        })
        .await?;
    Ok(Json(v))
}
