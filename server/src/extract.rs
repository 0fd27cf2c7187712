//! Body, query-string and path extractors whose rejections are API errors (JSON 400 / 413),
//! not plain text.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// `Json<T>` with API-shaped errors, read under the server's body limit.
///
/// The limit is checked against `Content-Length` before the body is touched, so a client that
/// sent `Expect: 100-continue` gets its 413 instead of a `100 Continue` (hyper sends that only
/// when the body is first read). When the body is already on its way (no `Expect`, or a
/// chunked body found too large while reading), the rest of it is read and thrown away in the
/// background for a bounded time while the 413 goes out with `Connection: close`: closing a
/// socket with unread data sends a TCP reset, and a client still sending its body then sees
/// its write fail ("broken pipe") before it ever reads the 413 (`tests/body_limit.rs`).
/// Unknown fields are refused by the request types (`deny_unknown_fields`), and the message
/// names the field and the accepted ones.
pub struct ApiJson<T>(pub T);

/// Longest time spent reading and discarding the rest of an oversized body.
const DRAIN_TIME: Duration = Duration::from_secs(30);
/// Most bytes read and discarded from one oversized body.
const DRAIN_BYTES: u64 = 1 << 30;

impl<T> FromRequest<Arc<AppState>> for ApiJson<T>
where
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, st: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let limit = st.config.max_body_bytes;
        let (parts, mut body) = req.into_parts();
        // Fields in the URL would be ignored (`?index=b` answered from the default index).
        if let Some(query) = parts.uri.query().filter(|q| !q.is_empty()) {
            let names: Vec<&str> = query
                .split('&')
                .map(|p| p.split('=').next().unwrap_or(p))
                .filter(|n| !n.is_empty())
                .collect();
            if names.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "{} {} reads its fields from the JSON body only: remove the query string ({query:?})",
                    parts.method,
                    parts.uri.path()
                ))
                .into_response());
            }
            return Err(ApiError::BadRequest(format!(
                "{} {} reads its fields from the JSON body only; the query string is not read: move {} into the body",
                parts.method,
                parts.uri.path(),
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into_response());
        }
        let expects_continue = parts
            .headers
            .get(header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = declared.filter(|&n| n > limit as u64) {
            if !expects_continue {
                drain(body);
            }
            return Err(too_large(format!(
                "the request body is {len} bytes; the limit is {limit} (`verbatim serve --max-body-bytes`)"
            )));
        }
        if !is_json(&parts.headers) {
            return Err(ApiError::BadRequest(
                "send the body as JSON with Content-Type: application/json".into(),
            )
            .into_response());
        }
        let mut buf: Vec<u8> = Vec::with_capacity(declared.unwrap_or(0) as usize);
        let pause = st.config.body_read_timeout;
        loop {
            let Ok(frame) = tokio::time::timeout(pause, body.frame()).await else {
                return Err(ApiError::RequestTimeout(format!(
                    "the request body paused for more than {} s; send it without pauses",
                    pause.as_secs_f64()
                ))
                .into_response());
            };
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|e| {
                ApiError::BadRequest(format!("cannot read the request body: {e}")).into_response()
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    drain(body);
                    return Err(too_large(format!(
                        "the request body is larger than the limit of {limit} bytes (`verbatim serve --max-body-bytes`)"
                    )));
                }
                buf.extend_from_slice(&data);
            }
        }
        // serde reads an array into a struct's fields by position: `["text"]` would be taken
        // for `{"response": "text"}`. Every request is an object.
        // Other JSON values (`null`, `"text"`, `5`) too: serde's message named the Rust type
        // it wanted.
        let scalar = |kind| {
            serde_json::from_slice::<serde::de::IgnoredAny>(&buf)
                .is_ok()
                .then_some(kind)
        };
        let not_an_object = match buf.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => Some("an array"),
            Some(b'n') => scalar("null"),
            Some(b't' | b'f') => scalar("a boolean"),
            Some(b'"') => scalar("a string"),
            Some(b'-' | b'0'..=b'9') => scalar("a number"),
            _ => None,
        };
        if let Some(kind) = not_an_object {
            return Err(ApiError::BadRequest(format!(
                "the request body must be a JSON object (`{{...}}`), not {kind}"
            ))
            .into_response());
        }
        // The field a value was refused in is named (`maximum_documents_per_span: 2.5 is not
        // a whole number`): serde's own message names no field.
        let mut de = serde_json::Deserializer::from_slice(&buf);
        let parsed = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| (e.path().to_string(), e.into_inner()))
            .and_then(|v| de.end().map(|()| v).map_err(|e| (String::new(), e)));
        parsed.map(ApiJson).map_err(|(field, e)| {
            let message = e.to_string();
            if verbatim_core::json_error::is_unpaired_surrogate(&e) {
                return ApiError::BadRequest(format!(
                    "the body is not valid JSON text: a \\u escape at line {} column {} {}",
                    e.line(),
                    e.column(),
                    verbatim_core::json_error::UNPAIRED_SURROGATE
                ))
                .into_response();
            }
            let what = if e.is_syntax() || e.is_eof() {
                "the body is not valid JSON"
            } else {
                "invalid request"
            };
            // serde names a field given under its two names by one of them.
            let twice = crate::fields::ALIASES.iter().find(|(_, alias, name)| {
                message.starts_with(&format!("duplicate field `{name}`"))
                    || message.starts_with(&format!("duplicate field `{alias}`"))
            });
            if let Some((_, alias, name)) = twice {
                return ApiError::BadRequest(format!(
                    "{what}: {e} (`{name}` and `{alias}` are two names of one field: give one)"
                ))
                .into_response();
            }
            if e.is_data() && field != "." && !field.is_empty() {
                return ApiError::BadRequest(format!("{what}: `{field}`: {e}")).into_response();
            }
            ApiError::BadRequest(format!("{what}: {e}")).into_response()
        })
    }
}

/// A 413 after which the connection is closed (the client may still be sending).
fn too_large(message: String) -> Response {
    let mut resp = ApiError::TooLarge(message).into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Reads and discards the rest of a body in the background, so that the connection ends
/// with nothing unread (see [`ApiJson`]).
fn drain(mut body: Body) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(DRAIN_TIME, async move {
            let mut seen = 0u64;
            while let Some(Ok(frame)) = body.frame().await {
                seen += frame.data_ref().map_or(0, |d| d.len() as u64);
                if seen > DRAIN_BYTES {
                    break;
                }
            }
        })
        .await;
    });
}

/// Whether the content type is JSON (`application/json` or `application/*+json`).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `Query<T>` with API-shaped errors.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(query) = parts.uri.query() {
            refuse_non_utf8_query(query)?;
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// Refuses a query string a name or value of which is not UTF-8 once percent-decoded
/// (`?id=%FF`), as the path form refuses it: the query decoder would put U+FFFD in its place
/// and look up another id.
fn refuse_non_utf8_query(query: &str) -> Result<(), ApiError> {
    for pair in query.split('&') {
        let name = pair.split('=').next().unwrap_or("");
        if percent_encoding::percent_decode_str(pair)
            .decode_utf8()
            .is_err()
        {
            let shown = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            return Err(ApiError::BadRequest(format!(
                "query parameter {shown:?} is not valid UTF-8 once percent-decoded: percent-encode the UTF-8 bytes of its text"
            )));
        }
    }
    Ok(())
}

/// `Path<T>` with API-shaped errors (for instance a document id that is not valid UTF-8).
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}
