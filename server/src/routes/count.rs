//! `POST /api/v1/count`: occurrences of a text or of token ids.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::TokenId;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use verbatim_core::api::CountJson;

/// Body of a count request: `text` or `token_ids`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRequest {
    /// The text to count.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false, min_length = 1)]
    text: Option<String>,
    /// Token ids to count instead, each below the index's vocabulary size (422 otherwise).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = Vec<u32>, nullable = false, min_items = 1)]
    token_ids: Option<Vec<TokenId>>,
    /// The index to count in: an index name, a group name, `"all"`, or a list of index
    /// names counted as one group (default: the first served index).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<crate::select::IndexSelector>,
}

/// Counts occurrences. Tokenizing and counting both run behind the admission gate.
pub async fn count(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<CountRequest>,
) -> Result<Json<CountJson>, ApiError> {
    let index = st.target(req.index.as_ref())?;
    let query = match (req.text, req.token_ids) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "give text or token_ids, not both".into(),
            ))
        }
        (None, None) => return Err(ApiError::BadRequest("give text or token_ids".into())),
        (Some(t), None) => {
            st.check_text("text", &t)?;
            Query::Text(t)
        }
        (None, Some(ids)) => {
            let ids: Vec<u32> = ids.into_iter().map(|TokenId(id)| id).collect();
            if ids.is_empty() {
                return Err(ApiError::Unprocessable("token_ids is empty".into()));
            }
            if ids.len() * 4 > st.config.max_text_bytes {
                return Err(ApiError::TooLarge("too many token ids".into()));
            }
            let vocab = index.manifest().tokenizer.vocab_size;
            if let Some(bad) = ids.iter().find(|&&i| i >= vocab) {
                return Err(ApiError::Unprocessable(format!(
                    "token id {bad} is outside the vocabulary (ids 0 to {})",
                    vocab.saturating_sub(1)
                )));
            }
            Query::Ids(ids)
        }
    };
    let answer = st
        .gate
        .run(move || {
            let ids = match query {
                Query::Text(t) => index.ids_to_count(&t)?,
                Query::Ids(ids) => ids,
            };
            Ok(CountJson::new(&index, ids))
        })
        .await?;
    Ok(Json(answer))
}

/// What is counted.
enum Query {
    Text(String),
    Ids(Vec<u32>),
}
