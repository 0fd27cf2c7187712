//! What every request handler shares.

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::response_cache::ResponseCache;
use std::sync::{Arc, OnceLock};
use verbatim_core::sources::SourceStats;
use verbatim_core::Index;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Two indexes carry the same name.
    #[error("two indexes are named {0:?}; rebuild one with another --name")]
    DuplicateName(String),
    /// No index was given.
    #[error("no index to serve")]
    NoIndex,
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Shared server state.
pub struct AppState {
    /// Settings.
    pub config: ServerConfig,
    /// Served indexes by name, in the order given.
    pub indexes: Vec<(String, Arc<Index>)>,
    /// Example outputs shown on the page (`{"examples": [...]}`).
    pub examples: serde_json::Value,
    pub(crate) gate: Gate,
    pub(crate) metrics: Metrics,
    pub(crate) cache: ResponseCache,
    /// Documents and tokens per source of each index, computed on first use.
    source_stats: Vec<OnceLock<Vec<SourceStats>>>,
}

impl AppState {
    /// State serving `indexes` (names must be unique).
    pub fn new(
        config: ServerConfig,
        indexes: Vec<Arc<Index>>,
        examples: Option<serde_json::Value>,
    ) -> Result<AppState, StartError> {
        let mut named: Vec<(String, Arc<Index>)> = Vec::new();
        for ix in indexes {
            let name = ix.manifest().name.clone();
            if named.iter().any(|(n, _)| *n == name) {
                return Err(StartError::DuplicateName(name));
            }
            named.push((name, ix));
        }
        if named.is_empty() {
            return Err(StartError::NoIndex);
        }
        let examples = match examples {
            Some(serde_json::Value::Array(a)) => serde_json::json!({ "examples": a }),
            Some(v @ serde_json::Value::Object(_)) => v,
            _ => serde_json::json!({ "examples": [] }),
        };
        Ok(AppState {
            gate: Gate::new(config.workers, config.queue, config.deadline),
            metrics: Metrics::default(),
            cache: ResponseCache::new(config.cache_entries),
            source_stats: named.iter().map(|_| OnceLock::new()).collect(),
            config,
            indexes: named,
            examples,
        })
    }

    /// The index named `name`, or the first one.
    pub fn index(&self, name: Option<&str>) -> Result<Arc<Index>, ApiError> {
        match name {
            None | Some("") => Ok(self.indexes[0].1.clone()),
            Some(n) => self
                .indexes
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, i)| i.clone())
                .ok_or_else(|| ApiError::NotFound(format!("no index named {n:?}"))),
        }
    }

    /// Documents and tokens per source of the `i`-th index (read once; an unreadable table
    /// is logged and shown as no rows).
    pub fn source_stats(&self, i: usize) -> Vec<SourceStats> {
        self.source_stats[i]
            .get_or_init(|| {
                let ix = &self.indexes[i].1;
                verbatim_core::sources::source_stats(ix).unwrap_or_else(|e| {
                    tracing::error!("cannot read the sources of {}: {e}", ix.dir().display());
                    Vec::new()
                })
            })
            .clone()
    }

    /// Checks a text against the size limit and emptiness. Only the empty string is empty: a
    /// text of whitespace is a valid n-gram (`"\n\n"` occurs in most corpora).
    pub fn check_text(&self, field: &str, text: &str) -> Result<(), ApiError> {
        if text.len() > self.config.max_text_bytes {
            return Err(ApiError::TooLarge(format!(
                "{field} is {} bytes; the limit is {}",
                text.len(),
                self.config.max_text_bytes
            )));
        }
        if text.is_empty() {
            return Err(ApiError::Unprocessable(format!("{field} is empty")));
        }
        Ok(())
    }

    /// Re-reads takedown lists that changed on disk. Cached answers that show documents are
    /// keyed by [`Index::takedown_generation`], so a reload makes them unreachable.
    pub fn refresh_takedowns(&self) {
        for (_, ix) in &self.indexes {
            if let Err(e) = ix.refresh_takedown() {
                tracing::error!(
                    "cannot reload the takedown list of {}: {e}",
                    ix.dir().display()
                );
            }
        }
    }
}
