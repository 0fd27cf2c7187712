//! Finding the document that holds a token position.
//!
//! A shard's document starts (`docs.bin`) are a sorted table with one entry per document, read
//! through the page cache. A plain binary search over it takes log2(documents) steps, and on a
//! large shard the lower steps each miss the CPU caches: 19 steps over the 409,265 documents of
//! the 1.3B-token bench corpus, for every occurrence a trace samples and every window it reads.
//! [`DocStartIndex`] keeps every `stride`-th start in memory (at most [`MAX_SAMPLED`] of them, so
//! a few KiB per shard whatever its size), searches that small table first, then only the
//! `stride` starts between two sampled ones, which share a few cache lines.

/// Most starts kept in memory per shard (8 bytes each).
pub const MAX_SAMPLED: usize = 8192;

/// Smallest distance between two kept starts.
const MIN_STRIDE_LOG2: u32 = 6;

/// Every `1 << stride_log2`-th document start of one shard, kept in memory.
#[derive(Debug, Default, Clone)]
pub struct DocStartIndex {
    stride_log2: u32,
    sampled: Box<[u64]>,
}

impl DocStartIndex {
    /// The index of `starts` (sorted ascending), keeping at most [`MAX_SAMPLED`] of them.
    pub fn new(starts: &[u64]) -> DocStartIndex {
        let mut stride_log2 = MIN_STRIDE_LOG2;
        while starts.len().div_ceil(1 << stride_log2) > MAX_SAMPLED {
            stride_log2 += 1;
        }
        DocStartIndex {
            stride_log2,
            sampled: starts.iter().step_by(1 << stride_log2).copied().collect(),
        }
    }

    /// How many of `starts` (the table this index was built from) are at most `pos`.
    #[inline]
    pub fn count_at_most(&self, starts: &[u64], pos: u64) -> usize {
        // Sampled starts at most `pos`: every start before the last of them is at most `pos`
        // too, and every start from the next sampled one on is above it.
        let j = self.sampled.partition_point(|&s| s <= pos);
        if j == 0 {
            return 0;
        }
        let lo = (j - 1) << self.stride_log2;
        let hi = (j << self.stride_log2).min(starts.len());
        lo + starts[lo..hi].partition_point(|&s| s <= pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn counts_equal_a_search_of_the_whole_table(
            gaps in proptest::collection::vec(1u64..50, 0..3000),
            probes in proptest::collection::vec(0u64..80_000, 1..50),
        ) {
            let starts: Vec<u64> = gaps
                .iter()
                .scan(0u64, |at, g| {
                    *at += g;
                    Some(*at)
                })
                .collect();
            let index = DocStartIndex::new(&starts);
            for pos in probes.into_iter().chain(starts.iter().copied()) {
                prop_assert_eq!(
                    index.count_at_most(&starts, pos),
                    starts.partition_point(|&s| s <= pos)
                );
            }
        }
    }

    #[test]
    fn the_kept_table_is_bounded() {
        let starts: Vec<u64> = (0..(MAX_SAMPLED as u64 * 200)).map(|d| d * 3).collect();
        let index = DocStartIndex::new(&starts);
        assert!(index.sampled.len() <= MAX_SAMPLED);
        for pos in [0, 1, 3, 599_999, u64::MAX] {
            assert_eq!(
                index.count_at_most(&starts, pos),
                starts.partition_point(|&s| s <= pos)
            );
        }
        assert_eq!(DocStartIndex::new(&[]).count_at_most(&[], 5), 0);
    }
}
