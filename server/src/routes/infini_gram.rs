//! `POST /api/infini-gram` (and `POST /`): infini-gram's HTTP API (see
//! [`crate::infini_gram`]). Errors keep infini-gram's shape, `{"error": "..."}`, including
//! those of the shared body reader (413, malformed JSON, unknown fields: 400) and of the
//! admission gate (503, 504).

use crate::extract::ApiJson;
use crate::infini_gram::request::{route, InfiniGramRequest};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// A verbatim-shaped error response (`{"error": {"code", "message"}}`) in infini-gram's shape.
async fn reshape(resp: Response) -> Response {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    let mut out = error(status, message);
    for (k, v) in headers
        .iter()
        .filter(|(k, _)| *k != axum::http::header::CONTENT_LENGTH)
    {
        out.headers_mut().insert(k.clone(), v.clone());
    }
    out
}

/// Answers one infini-gram API request.
pub async fn query(
    State(st): State<Arc<AppState>>,
    body: Result<ApiJson<InfiniGramRequest>, Response>,
) -> Response {
    let req = match body {
        Ok(ApiJson(r)) => r,
        Err(resp) => return reshape(resp).await,
    };
    let routed = match route(req) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.0),
    };
    let index = match st.index(Some(&routed.index)) {
        Ok(ix) => ix,
        Err(crate::error::ApiError::NotFound(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("[Flask] Invalid index: {}", routed.index),
            )
        }
        Err(e) => return reshape(e.into_response()).await,
    };
    let pii = st.config.pii;
    match st
        .gate
        .run(move || Ok(crate::infini_gram::respond(&index, routed, pii)))
        .await
    {
        Ok(v) => (StatusCode::OK, Json(v)).into_response(),
        Err(e) => reshape(e.into_response()).await,
    }
}
