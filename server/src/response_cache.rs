//! A small in-memory cache of responses to identical requests (FIFO eviction).

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Cached response bodies keyed by a hash of route, index and request body.
pub struct ResponseCache {
    cap: usize,
    inner: Mutex<(HashMap<u64, Bytes>, VecDeque<u64>)>,
}

impl ResponseCache {
    /// A cache of at most `cap` entries (0 disables it).
    pub fn new(cap: usize) -> ResponseCache {
        ResponseCache {
            cap,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// The key of a request.
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
        if self.cap == 0 {
            return None;
        }
        self.inner.lock().ok()?.0.get(&key).cloned()
    }

    /// Stores a body.
    pub fn put(&self, key: u64, body: Bytes) {
        if self.cap == 0 {
            return;
        }
        if let Ok(mut g) = self.inner.lock() {
            let (map, order) = &mut *g;
            if map.insert(key, body).is_none() {
                order.push_back(key);
                while order.len() > self.cap {
                    if let Some(old) = order.pop_front() {
                        map.remove(&old);
                    }
                }
            }
        }
    }
}
