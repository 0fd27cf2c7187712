//! Accepting connections: hyper's HTTP/1 server over the router, with time limits that
//! `axum::serve` does not set, so that clients that stall cannot hold connections forever
//! (a "slowloris"): request headers must arrive within
//! [`crate::ServerConfig::header_read_timeout`] (hyper closes the connection otherwise), and a
//! request body may pause at most [`crate::ServerConfig::body_read_timeout`] between two reads
//! (answered 408 by the JSON extractor). On shutdown, connections finish their request in
//! flight and close.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;

/// Time connections get to finish their request in flight once shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, each connection's request headers
/// read within `header_read_timeout`.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, most often: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout);
        // No route upgrades its connection (no WebSocket).
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
        }
    }
}
