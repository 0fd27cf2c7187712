//! # verbatim-server
//!
//! The HTTP API and web page of verbatim, on axum. [`app`] builds the router: the integration
//! tests drive it in process (`tests/router.rs`, `tower::ServiceExt::oneshot`, one test per
//! route), serve it on a loopback socket (`tests/body_limit.rs`), and run the real binary once
//! (`tests/server_api.rs`); [`serve`] binds it and shuts down gracefully on SIGINT/SIGTERM.
//!
//! CPU-bound work (tokenizing, tracing, span lookup, counting, search) runs as jobs of rayon's
//! pool (one thread per core, or `RAYON_NUM_THREADS`) behind a bounded
//! admission gate (`gate::Gate`): when all workers are busy and the queue is full, requests
//! are refused at once with 503 instead of piling up; a request that exceeds its deadline gets
//! 504. Errors are JSON `{"error": {"code", "message"}}` with one table of statuses
//! ([`error::ApiError`]); internal details are logged, not returned.

#![recursion_limit = "512"]

pub mod config;
pub mod error;
mod extract;
mod fields;
mod gate;
pub mod infini_gram;
mod listen;
mod metrics;
mod openapi;
pub mod reload;
mod response_cache;
mod routes;
pub mod select;
pub mod state;
mod static_files;

pub use config::ServerConfig;
pub use reload::{ReloadOptions, ReloadResidency};
pub use state::{AppState, StartError};

use axum::Router;
use std::sync::Arc;

/// Builds the router over `state`.
pub fn app(state: Arc<AppState>) -> Router {
    routes::router(state)
}

/// Binds `config.addr` and serves until SIGINT or SIGTERM.
pub async fn serve(state: Arc<AppState>) -> Result<(), StartError> {
    let addr = state.config.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| StartError::Bind { addr, error })?;
    let local = listener.local_addr().map_err(StartError::Io)?;
    tracing::info!(%local, "serving");
    eprintln!("verbatim is serving on http://{local}/");
    let header_read_timeout = state.config.header_read_timeout;
    listen::serve_until(listener, app(state), header_read_timeout, shutdown_signal()).await;
    tracing::info!("shut down");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
