//! The suffix-array range of a query found by galloping out from a known landing point, all
//! searches in lockstep.
//!
//! A maximal span is a prefix `P` of a text suffix `q` whose lower-bound search already ran in
//! every shard ([`super::batch::longest_matches_landing`]). That search ended at `lo`, the lower
//! bound of `q`, knowing `q`'s common prefixes with the suffixes at `lo - 1` and `lo`. The
//! suffixes starting with `P` form one range `[a, b)` with `a <= lo <= b`, so:
//! - neither neighbour starts with `P`: `P` is absent from the shard (`lo..lo`);
//! - only the suffix at `lo` does: `a = lo`, only `b` is searched; only the one at `lo - 1`
//!   does: `b = lo`, only `a` is searched;
//! - a boundary still unknown is found by galloping away from the known inside index (steps
//!   1, 2, 4, ...) until a suffix outside the range, then bisecting the last step.
//!
//! A range of `c` suffixes costs about `2 log2 c` probes per side instead of two binary
//! searches over the whole first-token block (millions of suffixes for a common token), and a
//! shard without `P` costs none: counting the spans of a text found in few places, or in few
//! of many shards, reads a handful of suffixes. The answers equal [`super::batch::find_many`]'s,
//! which the property tests check.

use super::batch::{Landing, ShardArrays};
use super::read_ahead::{Loads, ReadAhead};
use super::suffix_array::SuffixArray;
use crate::token::Token;
use std::ops::Range;

/// The search for one boundary of one (query, shard) range. The boundary lies in `[lo, hi]`:
/// for the start, the first suffix starting with the query (`hi` is known to); for the end,
/// the first suffix after the range (`hi` is the block's end, or a suffix known not to).
#[derive(Clone, Copy)]
struct Side {
    lo: usize,
    hi: usize,
    /// Gallop distance; 0 once bisecting.
    step: usize,
    /// Searching the end rather than the start.
    end: bool,
    /// `query x shards + shard`.
    slot: u32,
    probe: usize,
    pos: usize,
    /// The token after the first at `pos` (the first is the block's), loaded with the others.
    second: Option<u32>,
}

impl Side {
    /// The index to test next (`lo < hi`).
    #[inline]
    fn next_probe(&mut self) -> usize {
        if self.step > 0 {
            if self.step <= self.hi - self.lo {
                return if self.end {
                    self.lo + self.step - 1
                } else {
                    self.hi - self.step
                };
            }
            self.step = 0;
        }
        self.lo + (self.hi - self.lo) / 2
    }

    /// Narrows the interval by whether the suffix at `self.probe` starts with the query.
    #[inline]
    fn record(&mut self, inside: bool) {
        let p = self.probe;
        match (self.end, inside) {
            (false, true) => self.hi = p,
            (false, false) => self.lo = p + 1,
            (true, true) => self.lo = p + 1,
            (true, false) => self.hi = p,
        }
        if inside {
            self.step = self.step.saturating_mul(2);
        } else {
            self.step = 0;
        }
    }
}

/// Whether the suffix at `pos` starts with `query` (at least two tokens; its first token is
/// known to match, its second is `second`).
#[inline]
fn starts_with<T: Token>(tokens: &[T], pos: usize, query: &[u32], second: Option<u32>) -> bool {
    if second != Some(query[1]) {
        return false;
    }
    match tokens.get(pos + 2..pos + query.len()) {
        Some(rest) => rest.iter().zip(&query[2..]).all(|(t, &q)| t.to_u32() == q),
        None => false,
    }
}

/// The suffix-array range of every query in every shard (`out[query][shard]`, empty where it
/// is absent, at the same position [`super::batch::find_many`] gives), from the landings of a
/// lower-bound search, in each shard, of a longer query starting with it
/// (`landings[query x shards + shard]`, as [`super::batch::longest_matches_landing`] returns
/// them). Every query has at least two tokens.
pub fn ranges_from_landings<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    queries: &[&[u32]],
    landings: &[Option<Landing>],
) -> Vec<Vec<Range<usize>>> {
    let ns = shards.len();
    debug_assert_eq!(landings.len(), queries.len() * ns);
    let mut starts = vec![0usize; queries.len() * ns];
    let mut ends = vec![0usize; queries.len() * ns];
    let mut sides: Vec<Side> = Vec::new();
    for (qi, q) in queries.iter().enumerate() {
        assert!(q.len() >= 2, "a range from a landing needs two tokens");
        for (si, sh) in shards.iter().enumerate() {
            let slot = qi * ns + si;
            let block = sh.first.block(q[0]);
            let Some(l) = landings[slot] else {
                // No suffix starts with the first token.
                starts[slot] = block.start;
                ends[slot] = block.start;
                continue;
            };
            let k = q.len();
            let (before, at) = (l.lcp_before >= k, l.lcp_at >= k);
            starts[slot] = l.lo;
            ends[slot] = l.lo;
            let side = |lo: usize, hi: usize, end: bool| Side {
                lo,
                hi,
                step: 1,
                end,
                slot: slot as u32,
                probe: 0,
                pos: 0,
                second: None,
            };
            if before {
                sides.push(side(block.start, l.lo - 1, false));
            }
            if at {
                sides.push(side(l.lo + 1, block.end, true));
            }
        }
    }
    let read_ahead = shards.iter().any(|s| s.read_ahead);
    let (mut sa_ahead, mut token_ahead) = (
        ReadAhead::new(read_ahead, Loads::RangeSuffixArray),
        ReadAhead::new(read_ahead, Loads::RangeTokens),
    );
    let mut finish = |s: &Side| {
        if s.end {
            ends[s.slot as usize] = s.lo;
        } else {
            starts[s.slot as usize] = s.lo;
        }
    };
    loop {
        // Boundaries found are recorded; the rest take one more step.
        sides.retain(|s| {
            let open = s.lo < s.hi;
            if !open {
                finish(s);
            }
            open
        });
        if sides.is_empty() {
            break;
        }
        // 1. Every suffix-array load (from disk, while loads are slow, every page asked for
        // first, so that their reads overlap; see `ShardArrays::read_ahead`).
        for s in sides.iter_mut() {
            s.probe = s.next_probe();
        }
        if sa_ahead.asking() {
            for s in &sides {
                let sh = &shards[s.slot as usize % ns];
                if sh.read_ahead {
                    sh.sa.will_need(s.probe);
                }
            }
        }
        sa_ahead.loads(sides.len(), || {
            for s in sides.iter_mut() {
                s.pos = shards[s.slot as usize % ns].sa.at(s.probe);
            }
        });
        // 2. Every second token (asked for first likewise).
        if token_ahead.asking() {
            for s in &sides {
                let sh = &shards[s.slot as usize % ns];
                if let Some(t) = sh.tokens.get(s.pos + 1).filter(|_| sh.read_ahead) {
                    crate::mmap::will_need(t);
                }
            }
        }
        token_ahead.loads(sides.len(), || {
            for s in sides.iter_mut() {
                s.second = shards[s.slot as usize % ns]
                    .tokens
                    .get(s.pos + 1)
                    .map(|t| t.to_u32());
            }
        });
        // 3. Every comparison.
        for s in sides.iter_mut() {
            let q = queries[s.slot as usize / ns];
            let inside = starts_with(shards[s.slot as usize % ns].tokens, s.pos, q, s.second);
            s.record(inside);
        }
    }
    (0..queries.len())
        .map(|qi| {
            (0..ns)
                .map(|si| starts[qi * ns + si]..ends[qi * ns + si])
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod oracle {
    //! Ranges from landings against `find_many`, on random shards, in verbatim's layout and in
    //! infini-gram's.
    use super::super::batch::{find_many, longest_matches_landing};
    use super::super::fixtures::{
        arrays, byte_pointers, infini_gram_layout, sample_keys, verbatim_layout, views,
        with_samples,
    };
    use super::*;
    use proptest::prelude::*;

    /// Every prefix of two tokens or more of every query: its range from the query's landing
    /// equals `find_many`'s.
    fn check<T: Token, S: SuffixArray>(
        arrays: &[ShardArrays<'_, T, S>],
        queries: &[Vec<u32>],
    ) -> Result<(), TestCaseError> {
        let ns = arrays.len();
        let qs: Vec<&[u32]> = queries.iter().map(|q| q.as_slice()).collect();
        let (_, landings) = longest_matches_landing(arrays, &qs);
        let mut prefixes: Vec<&[u32]> = Vec::new();
        let mut lands: Vec<Option<Landing>> = Vec::new();
        for (qi, q) in qs.iter().enumerate() {
            for k in 2..=q.len() {
                prefixes.push(&q[..k]);
                lands.extend_from_slice(&landings[qi * ns..(qi + 1) * ns]);
            }
        }
        let got = ranges_from_landings(arrays, &prefixes, &lands);
        let want = find_many(arrays, &prefixes);
        for (i, p) in prefixes.iter().enumerate() {
            prop_assert_eq!(&got[i], &want[i], "ranges of {:?}", p);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn ranges_from_landings_equal_find_many(
            shards in prop::collection::vec(prop::collection::vec(prop_oneof![0u16..3, Just(u16::MAX)], 0..150), 1..5),
            queries in prop::collection::vec(prop::collection::vec(0u32..4, 2..8), 1..12),
            (stride_log2, key_tokens) in (0u32..3, 1usize..4),
        ) {
            let (sas, firsts) = verbatim_layout(&shards, 4);
            let plain = arrays(&shards, &views(&sas), &firsts);
            check(&plain, &queries)?;
            let keys = sample_keys(&shards, &views(&sas), stride_log2, key_tokens);
            check(&with_samples(plain, &keys, stride_log2, key_tokens), &queries)?;
        }

        #[test]
        fn ranges_from_landings_equal_find_many_in_infini_gram_layout(
            shards in prop::collection::vec(prop::collection::vec(prop_oneof![0u16..3, 256u16..258, Just(u16::MAX)], 0..150), 1..5),
            queries in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..4, 256u32..258], 2..8), 1..12),
        ) {
            let (shards, tables, firsts) = infini_gram_layout(shards, 260);
            check(&arrays(&shards, &byte_pointers(&tables, &shards), &firsts), &queries)?;
        }

        /// Long runs of one token: ranges of thousands of suffixes, galloped far.
        #[test]
        fn ranges_from_landings_in_long_runs(
            runs in prop::collection::vec((0u16..2, 1usize..400), 1..12),
            queries in prop::collection::vec(prop::collection::vec(0u32..2, 2..10), 1..6),
        ) {
            let shards = vec![runs.iter().flat_map(|&(t, n)| std::iter::repeat_n(t, n)).collect()];
            let (sas, firsts) = verbatim_layout(&shards, 2);
            let plain = arrays(&shards, &views(&sas), &firsts);
            check(&plain, &queries)?;
            let keys = sample_keys(&shards, &views(&sas), 3, 2);
            check(&with_samples(plain, &keys, 3, 2), &queries)?;
        }
    }
}
