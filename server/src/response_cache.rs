//! Responses to identical requests, kept in memory (`quick_cache`: a concurrent cache with
//! CLOCK-Pro eviction, so a burst of one-off requests does not flush the popular ones).
//!
//! Keys hold everything an answer depends on: the route, the index's build id and opened
//! instance ([`verbatim_core::Index::instance`], so that no answer of an instance replaced by
//! a reload is served), the request body, and for answers that show documents the index's
//! takedown generation ([`verbatim_core::Index::takedown_generation`]), so a reload of the
//! takedown list makes every earlier answer unreachable. The key is kept whole, not hashed:
//! two requests share an answer only when all their parts are equal, so no hash collision can
//! serve one request another's answer.

use bytes::Bytes;

/// The identity of a request: its parts, each prefixed by its length so that no two
/// different part lists give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(Box<[u8]>);

impl CacheKey {
    /// The key of a request made of `parts` (route, index identity, options, body).
    pub fn new(parts: &[&[u8]]) -> CacheKey {
        let len = parts.iter().map(|p| 8 + p.len()).sum();
        let mut bytes = Vec::with_capacity(len);
        for p in parts {
            bytes.extend_from_slice(&(p.len() as u64).to_le_bytes());
            bytes.extend_from_slice(p);
        }
        CacheKey(bytes.into_boxed_slice())
    }
}

/// The largest body kept: a trace asking for full documents and long windows can be tens of
/// megabytes (up to `--max-trace-tokens` of document text; 360 MB was seen before that limit),
/// which a cache bounded by entries would otherwise hold `entries` times over. Such answers
/// are rare and recomputed.
pub const MAX_CACHED_BODY: usize = 1 << 20;

/// Cached response bodies keyed by the whole request identity ([`CacheKey`]).
pub struct ResponseCache {
    inner: Option<quick_cache::sync::Cache<CacheKey, Bytes>>,
}

impl ResponseCache {
    /// A cache of at most `cap` entries (0 disables it).
    pub fn new(cap: usize) -> ResponseCache {
        ResponseCache {
            inner: (cap > 0).then(|| quick_cache::sync::Cache::new(cap)),
        }
    }

    /// A cached body.
    pub fn get(&self, key: &CacheKey) -> Option<Bytes> {
        self.inner.as_ref()?.get(key)
    }

    /// Stores a body, unless it is larger than [`MAX_CACHED_BODY`].
    pub fn put(&self, key: CacheKey, body: Bytes) {
        if let Some(c) = &self.inner {
            if body.len() <= MAX_CACHED_BODY {
                c.insert(key, body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_told_apart_by_their_lengths() {
        assert_ne!(CacheKey::new(&[b"ab", b"c"]), CacheKey::new(&[b"a", b"bc"]));
        assert_ne!(CacheKey::new(&[b"ab"]), CacheKey::new(&[b"ab", b""]));
        assert_eq!(CacheKey::new(&[b"ab", b"c"]), CacheKey::new(&[b"ab", b"c"]));
    }

    #[test]
    fn a_body_is_found_only_under_its_whole_key() {
        let cache = ResponseCache::new(8);
        cache.put(CacheKey::new(&[b"trace", b"x"]), Bytes::from_static(b"1"));
        assert_eq!(
            cache.get(&CacheKey::new(&[b"trace", b"x"])),
            Some(Bytes::from_static(b"1"))
        );
        assert_eq!(cache.get(&CacheKey::new(&[b"trace", b"y"])), None);
        assert_eq!(cache.get(&CacheKey::new(&[b"spans", b"x"])), None);
        let big = CacheKey::new(&[b"trace", b"big"]);
        cache.put(big.clone(), Bytes::from(vec![b' '; MAX_CACHED_BODY + 1]));
        assert_eq!(cache.get(&big), None, "a body over the bound is not kept");
        let off = ResponseCache::new(0);
        off.put(CacheKey::new(&[b"a"]), Bytes::from_static(b"1"));
        assert_eq!(off.get(&CacheKey::new(&[b"a"])), None);
    }
}
