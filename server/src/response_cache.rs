//! Responses to identical requests, kept in memory (`quick_cache`: a concurrent cache with
//! CLOCK-Pro eviction, so a burst of one-off requests does not flush the popular ones).
//!
//! Keys hash everything an answer depends on: the route, the index's build id and opened
//! instance ([`verbatim_core::Index::instance`], so that no answer of an instance replaced by
//! a reload is served), the request body, and for answers that show documents the index's
//! takedown generation ([`verbatim_core::Index::takedown_generation`]), so a reload of the
//! takedown list makes every earlier answer unreachable.

use bytes::Bytes;

/// Cached response bodies keyed by a hash of route, index and request body.
pub struct ResponseCache {
    inner: Option<quick_cache::sync::Cache<u64, Bytes>>,
}

impl ResponseCache {
    /// A cache of at most `cap` entries (0 disables it).
    pub fn new(cap: usize) -> ResponseCache {
        ResponseCache {
            inner: (cap > 0).then(|| quick_cache::sync::Cache::new(cap)),
        }
    }

    /// The key of a request: an xxh3 hash of its length-prefixed parts.
    pub fn key(parts: &[&[u8]]) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for p in parts {
            h.update(&(p.len() as u64).to_le_bytes());
            h.update(p);
        }
        h.digest()
    }

    /// A cached body.
    pub fn get(&self, key: u64) -> Option<Bytes> {
        self.inner.as_ref()?.get(&key)
    }

    /// Stores a body.
    pub fn put(&self, key: u64, body: Bytes) {
        if let Some(c) = &self.inner {
            c.insert(key, body);
        }
    }
}
