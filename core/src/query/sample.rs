//! Reproducible sampling of occurrences, independent of how the corpus is split into shards.
//!
//! A span found `count` times is shown with a handful of its documents. Which ones must not
//! depend on the shard layout (one shard, eight shards, or shards added by appends), or the
//! same corpus would answer differently depending on how it was built. So occurrences are
//! ordered by a keyed hash of their **global token position** (the position in the
//! concatenation of every shard's token stream, which is the same stream whatever the
//! layout), ties broken by that position, and the first ones in that order are taken.
//!
//! Cost: one sequential pass over the span's suffix-array ranges (4 bytes per occurrence)
//! keeping the `want` smallest keys (candidates below a threshold, cut back to the smallest
//! `want` with a selection whenever they reach twice that); documents are located only for
//! the candidates. When the candidates fall in too few distinct documents the pass is
//! repeated with four times as many.

use crate::index::{DocLocation, Index};
use crate::query::count::Occurrences;
use crate::search::{SuffixArray, SuffixArrayRef};

/// One occurrence of a token sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Shard holding it.
    pub shard: usize,
    /// Token position in that shard's stream.
    pub pos: usize,
    /// The document holding it.
    pub loc: DocLocation,
}

/// SplitMix64 finaliser: a fast, well-mixed 64-bit hash of `x`.
#[inline]
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The sampling key of global position `gpos` under `seed`.
#[inline]
fn key(seed: u64, gpos: u64) -> (u64, u64) {
    (mix(gpos ^ seed), gpos)
}

/// A seed derived from a token sequence, so that different spans sample independently.
pub fn seed_of(ids: &[u32]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for t in ids {
        h.update(&t.to_le_bytes());
    }
    h.digest()
}

impl Index {
    /// The `want` occurrences of `occ` with the smallest keys, in key order, as
    /// `(shard, position)`.
    fn smallest_keys(&self, occ: &Occurrences, seed: u64, want: usize) -> Vec<(usize, usize)> {
        if want == 0 {
            return Vec::new();
        }
        let mut smallest = Smallest::new(want);
        for (shard, range) in occ.ranges.iter().enumerate() {
            if range.is_empty() {
                continue;
            }
            let base = self.shard_token_base(shard);
            match self.shards()[shard].suffix_array() {
                SuffixArrayRef::Positions(sa) => smallest.offer(
                    shard,
                    base,
                    seed,
                    sa[range.clone()].iter().map(|&p| p as usize),
                ),
                other => smallest.offer(shard, base, seed, range.clone().map(|r| other.at(r))),
            }
        }
        smallest.finish()
    }

    /// Up to `k` occurrences of `occ` in distinct documents that `keep` accepts, in the
    /// layout-independent sampling order of `seed` (see the module documentation).
    pub fn sample_documents(
        &self,
        occ: &Occurrences,
        seed: u64,
        k: usize,
        keep: impl Fn(DocLocation) -> bool,
    ) -> Vec<Occurrence> {
        let total = occ.count();
        if k == 0 || total == 0 {
            return Vec::new();
        }
        let mut want = (4 * k).max(16);
        loop {
            let cands = self.smallest_keys(occ, seed, want);
            let mut picks: Vec<Occurrence> = Vec::with_capacity(k);
            for (shard, pos) in cands.iter().copied() {
                let loc = self.locate_position(shard, pos);
                if picks.iter().any(|p| p.loc.doc_no == loc.doc_no) || !keep(loc) {
                    continue;
                }
                picks.push(Occurrence { shard, pos, loc });
                if picks.len() == k {
                    return picks;
                }
            }
            if cands.len() as u64 >= total {
                return picks;
            }
            want = want.saturating_mul(4);
        }
    }

    /// Up to `k` occurrences of `occ` (documents may repeat), in the layout-independent
    /// sampling order of `seed`.
    pub fn sample_occurrences(&self, occ: &Occurrences, seed: u64, k: usize) -> Vec<Occurrence> {
        self.smallest_keys(occ, seed, k)
            .into_iter()
            .map(|(shard, pos)| Occurrence {
                shard,
                pos,
                loc: self.locate_position(shard, pos),
            })
            .collect()
    }
}

/// The occurrences with the smallest keys among those offered: candidates whose hash is at
/// most `threshold`; when there are twice `want` of them, only the `want` smallest are kept and
/// the threshold drops to the largest kept hash. Most occurrences cost one hash and one
/// comparison, and no heap is maintained.
struct Smallest {
    cands: Vec<((u64, u64), usize, usize)>,
    threshold: u64,
    want: usize,
}

impl Smallest {
    fn new(want: usize) -> Smallest {
        Smallest {
            cands: Vec::with_capacity(2 * want),
            threshold: u64::MAX,
            want,
        }
    }

    /// Offers the occurrences of `shard` at `positions` (its first token at global position
    /// `base`).
    #[inline]
    fn offer(
        &mut self,
        shard: usize,
        base: u64,
        seed: u64,
        positions: impl Iterator<Item = usize>,
    ) {
        let mut threshold = self.threshold;
        for p in positions {
            let k = key(seed, base + p as u64);
            if k.0 <= threshold {
                threshold = self.push((k, shard, p));
            }
        }
    }

    /// Keeps a candidate; returns the threshold from now on.
    #[inline(never)]
    fn push(&mut self, cand: ((u64, u64), usize, usize)) -> u64 {
        self.cands.push(cand);
        if self.cands.len() == 2 * self.want {
            self.cands.select_nth_unstable(self.want - 1);
            self.cands.truncate(self.want);
            self.threshold = self.cands.iter().map(|c| c.0 .0).max().unwrap_or(u64::MAX);
        }
        self.threshold
    }

    /// The kept occurrences in key order, as `(shard, position)`.
    fn finish(mut self) -> Vec<(usize, usize)> {
        self.cands.sort_unstable();
        self.cands.truncate(self.want);
        self.cands.into_iter().map(|(_, s, p)| (s, p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_distinct_for_distinct_positions() {
        let mut seen = std::collections::HashSet::new();
        for p in 0..10_000u64 {
            assert!(seen.insert(key(7, p)));
        }
        assert_ne!(mix(1), mix(2));
    }
}
