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
//! repeated with four times as many. The pass hashes 64 entries at a time and looks at a block
//! entry by entry only when its smallest hash is within the threshold; where the processor has
//! AVX-512 a build of it for that is called (eight 64-bit multiplies per instruction).

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
#[inline(always)]
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
                SuffixArrayRef::Positions(sa) => {
                    smallest.offer_positions(shard, base, seed, &sa[range.clone()])
                }
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

/// Suffix-array entries hashed together by [`Smallest::offer_blocks`].
const BLOCK: usize = 64;

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

    /// Offers the occurrences of `shard` at the suffix-array entries `sa`: [`Smallest::offer`]
    /// in blocks, compiled for AVX-512 where the processor has it (eight keys per instruction;
    /// the pass over a frequent span's occurrences is most of the sampling's time at 1.3B
    /// tokens, `benches/RESULTS.md`). The same candidates in the same order either way.
    #[allow(unsafe_code)] // calling a function compiled for features checked at run time
    fn offer_positions(&mut self, shard: usize, base: u64, seed: u64, sa: &[u32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            // SAFETY: the processor has both features the function is compiled for, checked
            // just above; it is otherwise plain safe Rust.
            unsafe { self.offer_blocks_avx512(shard, base, seed, sa) };
            return;
        }
        self.offer_blocks(shard, base, seed, sa);
    }

    /// [`Smallest::offer_blocks`] compiled for AVX-512 (64-bit multiplies in vectors).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn offer_blocks_avx512(&mut self, shard: usize, base: u64, seed: u64, sa: &[u32]) {
        self.offer_blocks(shard, base, seed, sa);
    }

    /// [`Smallest::offer`] of `sa` in blocks of [`BLOCK`] entries: the block's hashes are
    /// computed together (a loop the compiler vectorises), and only a block whose smallest hash
    /// is within the threshold is looked at entry by entry.
    #[inline(always)]
    fn offer_blocks(&mut self, shard: usize, base: u64, seed: u64, sa: &[u32]) {
        let mut blocks = sa.chunks_exact(BLOCK);
        let mut hashes = [0u64; BLOCK];
        let mut threshold = self.threshold;
        for block in &mut blocks {
            for (h, &p) in hashes.iter_mut().zip(block) {
                *h = mix((base + p as u64) ^ seed);
            }
            if hashes.iter().fold(u64::MAX, |m, &h| m.min(h)) > threshold {
                continue;
            }
            for (&h, &p) in hashes.iter().zip(block) {
                if h <= threshold {
                    threshold = self.push(((h, base + p as u64), shard, p as usize));
                }
            }
        }
        self.offer(
            shard,
            base,
            seed,
            blocks.remainder().iter().map(|&p| p as usize),
        );
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

    proptest::proptest! {
        /// The block pass (and its AVX-512 build, where the processor has it) keeps the same
        /// occurrences as the plain one.
        #[test]
        fn blocks_keep_what_the_plain_pass_keeps(
            positions in proptest::collection::vec(0u32..1_000_000, 0..700),
            more in proptest::collection::vec(0u32..1_000_000, 0..200),
            want in 1usize..90,
            seed: u64,
            base in 0u64..(1 << 40),
        ) {
            let plain = {
                let mut s = Smallest::new(want);
                s.offer(0, base, seed, positions.iter().map(|&p| p as usize));
                s.offer(1, base + 7, seed, more.iter().map(|&p| p as usize));
                s.finish()
            };
            let blocks = {
                let mut s = Smallest::new(want);
                s.offer_blocks(0, base, seed, &positions);
                s.offer_blocks(1, base + 7, seed, &more);
                s.finish()
            };
            let dispatched = {
                let mut s = Smallest::new(want);
                s.offer_positions(0, base, seed, &positions);
                s.offer_positions(1, base + 7, seed, &more);
                s.finish()
            };
            proptest::prop_assert_eq!(&plain, &blocks);
            proptest::prop_assert_eq!(&plain, &dispatched);
        }
    }

    #[test]
    fn keys_are_distinct_for_distinct_positions() {
        let mut seen = std::collections::HashSet::new();
        for p in 0..10_000u64 {
            assert!(seen.insert(key(7, p)));
        }
        assert_ne!(mix(1), mix(2));
    }
}
