//! `GET /api/v1/documents/{id}` and `GET /api/v1/documents?id=ID`: a document's text and
//! metadata. The query form takes any id: one of `.` or `..`, which URL resolution (browsers,
//! `fetch`) collapses out of a path, even percent-encoded.

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::fields::QueryCount;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;
use verbatim_core::api::DocumentTextJson;

/// Query parameters of a document request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocQuery {
    /// The external id (the query form; the path form names it in the path).
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    index: Option<String>,
    /// Return at most this many tokens of text (at least 1).
    #[serde(default)]
    max_tokens: Option<QueryCount>,
    /// Mark every occurrence of this text (UTF-16 ranges into `text`).
    #[serde(default)]
    highlight: Option<String>,
    /// Mark every occurrence of these token sequences (a trace's spans' `token_ids`): ids
    /// joined by `.`, sequences by `,` (`464.3290,11`).
    #[serde(default)]
    marks: Option<String>,
}

/// Most sequences one document request may mark.
const MAX_MARK_SEQUENCES: usize = 256;

/// Most ids one document request's sequences may hold together.
const MAX_MARK_IDS: usize = 65_536;

/// The token sequences of a `marks` parameter.
fn parse_marks(marks: &str) -> Result<Vec<Vec<u32>>, ApiError> {
    let sequences: Vec<&str> = marks.split(',').collect();
    if sequences.len() > MAX_MARK_SEQUENCES {
        return Err(ApiError::BadRequest(format!(
            "marks holds {} sequences; at most {MAX_MARK_SEQUENCES} are marked in one request",
            sequences.len()
        )));
    }
    let mut total = 0;
    sequences
        .into_iter()
        .map(|seq| {
            if seq.is_empty() {
                return Ok(Vec::new());
            }
            let ids = seq
                .split('.')
                .map(|id| id.parse::<u32>())
                .collect::<Result<Vec<u32>, _>>()
                .map_err(|_| {
                    ApiError::BadRequest(format!(
                        "marks: {seq:?} is not token ids joined by `.` (sequences are joined by `,`: `464.3290,11`)"
                    ))
                })?;
            total += ids.len();
            if total > MAX_MARK_IDS {
                return Err(ApiError::BadRequest(format!(
                    "marks holds more than {MAX_MARK_IDS} token ids"
                )));
            }
            Ok(ids)
        })
        .collect()
}

/// Longest text returned unless the client asks for less (tokens).
const MAX_DOC_TOKENS: usize = 2_000_000;

/// Fetches a document by the external id in its path.
pub async fn document(
    State(st): State<Arc<AppState>>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DocQuery>,
) -> Result<Json<DocumentTextJson>, ApiError> {
    if q.id.is_some() {
        return Err(ApiError::BadRequest(
            "the document id is given in the path and as `id`: give it once".into(),
        ));
    }
    fetch(st, id, q).await
}

/// Fetches a document by the external id of its `id` query parameter.
pub async fn document_by_query(
    State(st): State<Arc<AppState>>,
    ApiQuery(mut q): ApiQuery<DocQuery>,
) -> Result<Json<DocumentTextJson>, ApiError> {
    let id = q.id.take().ok_or_else(|| {
        ApiError::BadRequest("`id` (the document's external id) is required".into())
    })?;
    fetch(st, id, q).await
}

async fn fetch(
    st: Arc<AppState>,
    id: String,
    q: DocQuery,
) -> Result<Json<DocumentTextJson>, ApiError> {
    let index = st.index(q.index.as_deref())?;
    let max = q
        .max_tokens
        .map_or(MAX_DOC_TOKENS, QueryCount::usize)
        .min(MAX_DOC_TOKENS);
    let pii = st.config.pii;
    let marks = q.marks.as_deref().map(parse_marks).transpose()?;
    let v = st
        .gate
        .run(move || {
            let shown = match marks {
                Some(marks) => {
                    let d = index.document_marked(index.doc_location_of(&id)?, Some(max), &marks)?;
                    DocumentTextJson::filtered_marked(d, q.highlight.as_deref(), pii)
                }
                None => {
                    let d = index.document_by_id(&id, Some(max))?;
                    DocumentTextJson::filtered(d, q.highlight.as_deref(), pii)
                }
            };
            shown.ok_or_else(|| {
                ApiError::NotFound(format!(
                    "document {id:?} is withheld: its text holds personal data (the server runs with --pii drop)"
                ))
            })
        })
        .await?;
    Ok(Json(v))
}
