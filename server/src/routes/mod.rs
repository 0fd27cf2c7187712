//! The routes: one file per endpoint group.

pub(crate) mod cnf;
pub(crate) mod contamination;
pub(crate) mod count;
mod documents;
mod headers;
pub(crate) mod infini_gram;
mod info;
pub(crate) mod search;
pub(crate) mod spans;
pub(crate) mod trace;

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Instant;

/// Builds the full router.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/api/v1/trace", post(trace::trace))
        .route("/api/v1/spans", post(spans::spans))
        .route("/api/v1/count", post(count::count))
        .route("/api/v1/contamination", post(contamination::contamination))
        .route("/api/v1/documents/{*id}", get(documents::document))
        .route("/api/v1/documents", get(documents::document_by_query))
        .route("/api/v1/search", post(search::search))
        .route("/api/v1/cnf", post(cnf::cnf))
        .route("/api/v1/indexes", get(info::indexes))
        .route("/api/v1/examples", get(info::examples))
        .route("/api/v1/openapi.json", get(info::openapi))
        .route("/api/infini-gram", post(infini_gram::query))
        .route(
            "/",
            get(crate::static_files::serve_static).post(infini_gram::query),
        )
        .route("/health", get(info::health))
        .route("/metrics", get(info::metrics))
        .fallback(crate::static_files::serve_static);
    let mut app = api
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            current_generations,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    if !state.config.cors_origins.is_empty() {
        let origins: Vec<_> = state
            .config
            .cors_origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect();
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                .allow_headers([axum::http::header::CONTENT_TYPE]),
        );
    }
    // `Router::layer` wraps each route's handlers, inside the method routing that adds a
    // 405's `allow` header: the JSON 405 is made outside the whole router (its only service
    // the router above), where the answer's `allow` header is there to read.
    Router::new()
        .fallback_service(app.with_state(state))
        .layer(middleware::from_fn(json_method_not_allowed))
        .layer(middleware::from_fn(headers::security_headers))
}

/// Times every request and counts it by route and status.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "static".to_string(), |p| p.as_str().to_string());
    let t = Instant::now();
    let resp = next.run(req).await;
    state
        .metrics
        .observe(&route, resp.status().as_u16(), t.elapsed().as_secs_f64());
    resp
}

/// Gives axum's bare 405 (a route asked with a method it does not take) the JSON error body
/// every other error has, naming the methods its `allow` header lists, and keeping its
/// headers (`allow`, CORS). Must wrap the whole router: see [`router`].
async fn json_method_not_allowed(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    if resp.status() != axum::http::StatusCode::METHOD_NOT_ALLOWED {
        return resp;
    }
    let allowed = resp
        .headers()
        .get(axum::http::header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut out = crate::error::ApiError::MethodNotAllowed(format!(
        "{method} is not accepted on {path}; accepted: {allowed}"
    ))
    .into_response();
    let own: Vec<_> = out.headers().keys().cloned().collect();
    for (name, value) in resp.headers() {
        if name != axum::http::header::CONTENT_LENGTH && !own.contains(name) {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}

/// Before every API request: starts reloading the indexes whose manifest changed on disk
/// (`crate::reload`; a `stat` per index when none changed). Takedown lists are re-read where
/// a handler takes its index ([`AppState::index`], [`AppState::target`]), after the request's
/// body has arrived, so that a takedown finished before the answer is computed applies to it.
async fn current_generations(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || req.method() == axum::http::Method::POST {
        state.reload_changed();
    }
    next.run(req).await
}

/// `allow_spans_with_partial_words`, given directly or through its older opposite
/// `word_boundaries` (both given with the same value contradict each other: 400).
pub(crate) fn partial_words(
    allow_partial: Option<bool>,
    word_boundaries: Option<bool>,
) -> Result<Option<bool>, crate::error::ApiError> {
    match (allow_partial, word_boundaries) {
        (Some(p), Some(w)) if p == w => Err(crate::error::ApiError::BadRequest(format!(
            "allow_spans_with_partial_words is {p} but word_boundaries is {w}; give one of them (accepted: opposite values, or only one)"
        ))),
        (Some(p), _) => Ok(Some(p)),
        (None, w) => Ok(w.map(|w| !w)),
    }
}

/// A response whose body is already-serialized JSON.
pub(crate) fn json_bytes(body: bytes::Bytes) -> Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
