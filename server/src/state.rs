//! What every request handler shares.

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::gate::Gate;
use crate::metrics::Metrics;
use crate::response_cache::ResponseCache;
use std::sync::Arc;
use verbatim_core::Index;

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
}

impl AppState {
    /// State serving `indexes` (names must be unique).
    pub fn new(
        config: ServerConfig,
        indexes: Vec<Arc<Index>>,
        examples: Option<serde_json::Value>,
    ) -> anyhow::Result<AppState> {
        let mut named: Vec<(String, Arc<Index>)> = Vec::new();
        for ix in indexes {
            let name = ix.manifest().name.clone();
            if named.iter().any(|(n, _)| *n == name) {
                anyhow::bail!("two indexes are named {name:?}; rebuild one with another --name");
            }
            named.push((name, ix));
        }
        if named.is_empty() {
            anyhow::bail!("no index to serve");
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

    /// Checks a text against the size limit and emptiness.
    pub fn check_text(&self, field: &str, text: &str) -> Result<(), ApiError> {
        if text.len() > self.config.max_text_bytes {
            return Err(ApiError::TooLarge(format!(
                "{field} is {} bytes; the limit is {}",
                text.len(),
                self.config.max_text_bytes
            )));
        }
        if text.trim().is_empty() {
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
