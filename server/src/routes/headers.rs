//! Security headers on every answer: browsers must not guess a type other than the one sent
//! (`X-Content-Type-Options: nosniff`), and a document may load nothing but what its
//! `Content-Security-Policy` allows. The page ([`crate::static_files`]) sets its own policy
//! (its files only); every other answer (JSON, errors, metrics) gets [`API_POLICY`], which
//! lets nothing run should a browser ever show one as a document.

use axum::extract::Request;
use axum::http::header::{CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The policy of answers that are not the page: load nothing, run nothing, not framed.
pub(crate) const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds `X-Content-Type-Options: nosniff` and, unless the answer has its own,
/// [`API_POLICY`]. Must wrap the whole router, so that every answer gets them.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_POLICY),
        );
    }
    resp
}
