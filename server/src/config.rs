//! Server settings.

use std::net::SocketAddr;
use std::time::Duration;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Requests admitted to compute at once, as jobs of rayon's pool, whose threads (one per
    /// core) run them (default: the number of cores).
    pub workers: usize,
    /// Requests allowed to wait for a worker; beyond this they get 503 at once.
    pub queue: usize,
    /// Deadline of one request; past it the client gets 504.
    pub deadline: Duration,
    /// Largest text accepted (bytes); larger gets 413.
    pub max_text_bytes: usize,
    /// Largest request body (bytes); larger gets 413.
    pub max_body_bytes: usize,
    /// Largest number of items in one contamination request.
    pub max_items: usize,
    /// Origins allowed by CORS (empty: CORS off).
    pub cors_origins: Vec<String>,
    /// Identical requests answered from memory (entries; 0 disables).
    pub cache_entries: usize,
    /// Most document tokens one trace may read and show (its windows and full texts);
    /// a trace over it gets 422 before any is read.
    pub max_trace_tokens: u64,
    /// The privacy filter on shown document text (default: mask).
    pub pii: verbatim_core::pii::PiiMode,
    /// Time a client has to send a request's headers; past it the connection is closed
    /// (default 30 s, hyper's own).
    pub header_read_timeout: Duration,
    /// Longest pause between two reads of a request body; past it the request gets 408
    /// (default 30 s).
    pub body_read_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: cores,
            queue: 4 * cores,
            deadline: Duration::from_secs(10),
            max_text_bytes: 64 << 10,
            max_body_bytes: 4 << 20,
            max_items: 1000,
            cors_origins: Vec::new(),
            cache_entries: 256,
            max_trace_tokens: 16 << 20,
            pii: verbatim_core::pii::PiiMode::Mask,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}
