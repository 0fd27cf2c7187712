//! The web page, embedded in the binary at build time from `web/` (no network, no CDN).

use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../web/"]
#[include = "*.html"]
#[include = "*.js"]
#[include = "*.css"]
#[include = "*.svg"]
#[exclude = "tests/*"]
#[exclude = "node_modules/*"]
struct WebAssets;

/// The page's policy: its own files only (it has no inline script or style, and calls only
/// its own server's API), no plugins, not framed by other sites.
pub(crate) const PAGE_POLICY: &str =
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// Serves an embedded file by path (`/` is `index.html`); unknown paths are 404.
pub async fn serve_static(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match WebAssets::get(path) {
        Some(file) => {
            // Text files are UTF-8, and said to be (as web/README.md lists them).
            let mime = match file.metadata.mimetype() {
                m if m.starts_with("text/") && !m.contains("charset") => {
                    format!("{m}; charset=utf-8")
                }
                m => m.to_string(),
            };
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                    (header::CONTENT_SECURITY_POLICY, PAGE_POLICY.to_string()),
                ],
                file.data,
            )
                .into_response()
        }
        None => crate::error::ApiError::NotFound(format!("no such page: /{path}")).into_response(),
    }
    .into_response()
}

/// Whether the page is embedded (for /health).
pub fn has_index_page() -> bool {
    WebAssets::get("index.html").is_some()
}
