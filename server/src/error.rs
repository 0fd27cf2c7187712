//! The one table mapping every API error to a stable code and HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error returned to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON or wrong field types.
    #[error("{0}")]
    BadRequest(String),
    /// Unknown index, document or route.
    #[error("{0}")]
    NotFound(String),
    /// Body or text over the configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// The route exists but not with this method (the `allow` header lists those it takes).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Well-formed but unusable input (empty text, token ids outside the vocabulary).
    #[error("{0}")]
    Unprocessable(String),
    /// All workers busy and the queue full.
    #[error("the server is busy; retry shortly")]
    Overloaded,
    /// The index failed its integrity check while serving, or its changed takedown list
    /// cannot be read; it answers nothing until it is restored or rebuilt (a rebuild renames
    /// a new manifest into place, which the server opens and checks without a restart) or
    /// the server restarted.
    #[error("{0}")]
    IndexUnavailable(String),
    /// The request ran past its deadline.
    #[error("the request took longer than the {0} ms deadline")]
    Timeout(u64),
    /// The client paused longer than the server waits while sending its request body.
    #[error("{0}")]
    RequestTimeout(String),
    /// Anything else; the detail is logged, never returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// HTTP status and stable code.
    pub fn status_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::IndexUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "index_unavailable"),
            ApiError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            ApiError::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<verbatim_core::Error> for ApiError {
    fn from(e: verbatim_core::Error) -> Self {
        match e {
            verbatim_core::Error::DocumentNotFound(id) => {
                ApiError::NotFound(format!("no document with id {id:?}"))
            }
            verbatim_core::Error::Invalid(m) => ApiError::Unprocessable(m),
            e @ verbatim_core::Error::TraceTooLarge { .. } => {
                ApiError::Unprocessable(e.to_string())
            }
            // A damaged file found while answering (opened without hashing): the index cannot
            // answer this, and the message says what to do.
            e @ (verbatim_core::Error::Corrupt { .. }
            | verbatim_core::Error::BadTakedownList { .. }
            | verbatim_core::Error::IndexReplaced { .. }
            | verbatim_core::Error::NotAnIndex(_)) => ApiError::IndexUnavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<verbatim_core::query::ControlError> for ApiError {
    fn from(e: verbatim_core::query::ControlError) -> Self {
        if e.index_dependent {
            ApiError::Unprocessable(e.to_string())
        } else {
            ApiError::BadRequest(e.to_string())
        }
    }
}

impl From<verbatim_contamination::Error> for ApiError {
    fn from(e: verbatim_contamination::Error) -> Self {
        use verbatim_contamination::Error as E;
        match e {
            E::Index(core) => core.into(),
            E::UnknownMethod(m) => ApiError::BadRequest(m),
            e if e.is_user_error() => ApiError::Unprocessable(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let body = serde_json::json!({"error": {"code": code, "message": self.to_string()}});
        let mut resp = (status, Json(body)).into_response();
        if matches!(self, ApiError::Overloaded) {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        resp
    }
}
