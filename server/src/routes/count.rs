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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountRequest {
    #[serde(default, deserialize_with = "crate::fields::present")]
    text: Option<String>,
    #[serde(default, deserialize_with = "crate::fields::present")]
    token_ids: Option<Vec<TokenId>>,
    #[serde(default, deserialize_with = "crate::fields::present")]
    index: Option<String>,
}

/// Counts occurrences. Tokenizing and counting both run behind the admission gate.
pub async fn count(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<CountRequest>,
) -> Result<Json<CountJson>, ApiError> {
    let index = st.index(req.index.as_deref())?;
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
                    "token id {bad} is outside the vocabulary (0..{vocab})"
                )));
            }
            Query::Ids(ids)
        }
    };
    let answer = st
        .gate
        .run(move || {
            let ids = match query {
                Query::Text(t) => index.tokenizer().encode_ids(&t)?,
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
