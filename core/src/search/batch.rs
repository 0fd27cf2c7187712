//! Many suffix-array searches run in lockstep, so that their memory accesses overlap.
//!
//! One binary search is a chain of dependent cache misses (suffix-array entry, then the
//! token it points to, then the next midpoint). Searches in different shards, or for
//! different start positions of a text, are independent, so running them step by step
//! together — first every search's suffix-array load, then every search's token load, then
//! every comparison — lets the processor have many misses in flight at once instead of one.
//! The answers are exactly those of [`super::lower_bound_in`] and [`super::find_in`], which
//! the property tests check.

use super::read_ahead::{Loads, ReadAhead};
use super::samples::{self, SuffixSamples};
use super::suffix_array::{FirstTokenTable, SuffixArray};
use crate::token::Token;
use std::cmp::Ordering;
use std::ops::Range;

/// One shard's arrays, typed by token (which fixes the order) and suffix-array storage.
#[derive(Clone, Copy)]
pub struct ShardArrays<'a, T, S = &'a [u32]> {
    /// Token stream.
    pub tokens: &'a [T],
    /// Suffix array.
    pub sa: S,
    /// The suffix-array block of the suffixes starting with each token (see
    /// [`crate::shard::Shard::first_token_table`]).
    pub first: &'a FirstTokenTable,
    /// The shard's suffix samples (`samples.bin`), which shorten every search; `None` for
    /// shards without them (infini-gram's, or built before they existed).
    pub samples: Option<SuffixSamples<'a, T>>,
    /// Whether its files are read from disk ([`crate::Residency::Disk`]): each lockstep step
    /// then asks for the pages every search will load before loading any
    /// (`MADV_WILLNEED`), so their disk reads overlap.
    pub read_ahead: bool,
}

impl<T, S> ShardArrays<'_, T, S> {
    /// The block of suffixes starting with token `t` (empty outside the vocabulary).
    #[inline]
    fn block(&self, t: u32) -> Range<usize> {
        self.first.block(t)
    }
}

/// The state of one binary search, for the lower or (in `find_many`) the upper bound: the
/// answer lies in `lo..=hi`. `lcp_lo` and `lcp_hi` are common-prefix lengths of the query
/// with suffixes bounding the range from below and above (for a lower bound, the suffixes at
/// `lo - 1` and at `hi`; 1 at the ends of the first-token block; an upper bound starts from
/// the lower bound's suffix, which holds the whole query), so every suffix in `lo..hi`
/// shares their minimum with the query and comparisons skip that many tokens.
#[derive(Clone, Copy)]
pub(super) struct Search {
    pub(super) lo: usize,
    pub(super) hi: usize,
    pub(super) lcp_lo: usize,
    pub(super) lcp_hi: usize,
    pub(super) query: u32,
    pub(super) shard: u32,
    pos: usize,
    next: Option<u32>,
}

impl Search {
    /// One step of the binary search: the suffix at rank `mid` compared `ord` with the query
    /// and shares `lcp` tokens with it. Returns whether the search moved right (past it).
    #[inline]
    pub(super) fn step(&mut self, mid: usize, ord: Ordering, lcp: usize, upper: bool) -> bool {
        let right = if upper {
            ord != Ordering::Greater
        } else {
            ord == Ordering::Less
        };
        if right {
            self.lo = mid + 1;
            self.lcp_lo = lcp;
        } else {
            self.hi = mid;
            self.lcp_hi = lcp;
        }
        right
    }

    /// A lower-bound search of query `query` in shard `shard`, inside the block of suffixes
    /// that start with the query's first token (so one token is known to match).
    fn in_block(block: &Range<usize>, query: usize, shard: usize) -> Search {
        Search {
            lo: block.start,
            hi: block.end,
            lcp_lo: 1,
            lcp_hi: 1,
            query: query as u32,
            shard: shard as u32,
            pos: 0,
            next: None,
        }
    }
}

/// Compares the suffix at `pos` with `query` from offset `skip`, whose token at `skip` (if
/// any) is already loaded, as its order key, in `first`. Same result as
/// [`super::compare_suffix`].
#[inline]
fn compare_from<T: Token>(
    tokens: &[T],
    pos: usize,
    query: &[u32],
    skip: usize,
    first: Option<u32>,
) -> (Ordering, usize) {
    let rest_len = tokens.len().saturating_sub(pos);
    let n = query.len().min(rest_len);
    let mut i = skip.min(n);
    if i < n {
        // `first` is the key of the token at `pos + skip`, loaded with the others.
        let t = first.unwrap_or(0);
        let q = T::key_of(query[i]);
        if t != q {
            return (t.cmp(&q), i);
        }
        i += 1;
        while i < n {
            let t = tokens[pos + i];
            let q = query[i];
            if t.to_u32() != q {
                return (t.key().cmp(&T::key_of(q)), i);
            }
            i += 1;
        }
    }
    if i == query.len() {
        (Ordering::Equal, i)
    } else {
        (Ordering::Less, i)
    }
}

/// Runs every search in `searches` to its end, first as far as the shards' suffix samples
/// decide, then in the suffix arrays; `done(search)` receives each finished one. A
/// lower-bound search moves right past suffixes less than the query; an upper-bound search
/// (`upper`) also past those that start with it.
fn run<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    queries: &[&[u32]],
    mut searches: Vec<Search>,
    upper: bool,
    mut done: impl FnMut(&Search),
) {
    if shards.iter().any(|s| s.samples.is_some()) {
        samples::narrow(shards, queries, &mut searches, upper);
    }
    let read_ahead = shards.iter().any(|s| s.read_ahead);
    let (mut sa_ahead, mut token_ahead) = (
        ReadAhead::new(read_ahead, Loads::SuffixArray),
        ReadAhead::new(read_ahead, Loads::Tokens),
    );
    loop {
        // Finished searches leave (narrowing by the samples may have finished some).
        searches.retain(|s| {
            if s.lo < s.hi {
                true
            } else {
                done(s);
                false
            }
        });
        if searches.is_empty() {
            break;
        }
        // 1. Every suffix-array load; from disk, while loads are slow, every page asked for
        // first, so that their reads overlap.
        if sa_ahead.asking() {
            for s in &searches {
                let sh = &shards[s.shard as usize];
                if sh.read_ahead {
                    sh.sa.will_need(s.lo + (s.hi - s.lo) / 2);
                }
            }
        }
        sa_ahead.loads(searches.len(), || {
            for s in searches.iter_mut() {
                let mid = s.lo + (s.hi - s.lo) / 2;
                s.pos = shards[s.shard as usize].sa.at(mid);
            }
        });
        // 2. Every first compared token (asked for first likewise).
        if token_ahead.asking() {
            for s in &searches {
                let sh = &shards[s.shard as usize];
                let skip = s.lcp_lo.min(s.lcp_hi);
                if let Some(t) = sh.tokens.get(s.pos + skip).filter(|_| sh.read_ahead) {
                    crate::mmap::will_need(t);
                }
            }
        }
        token_ahead.loads(searches.len(), || {
            for s in searches.iter_mut() {
                let skip = s.lcp_lo.min(s.lcp_hi);
                s.next = shards[s.shard as usize]
                    .tokens
                    .get(s.pos + skip)
                    .map(|t| t.key());
            }
        });
        // 3. Every comparison.
        for s in searches.iter_mut() {
            let sh = &shards[s.shard as usize];
            let q = queries[s.query as usize];
            let skip = s.lcp_lo.min(s.lcp_hi);
            let (ord, lcp) = compare_from(sh.tokens, s.pos, q, skip, s.next);
            let mid = s.lo + (s.hi - s.lo) / 2;
            s.step(mid, ord, lcp, upper);
        }
    }
}

/// Where the lower-bound search of a query ended in one shard: its lower bound `lo` (the
/// first suffix not less than the query) and the query's longest common prefixes with the
/// suffixes just before it and at it. Every suffix starting with a prefix `P` of the query
/// lies in one suffix-array range `[a, b)` with `a <= lo <= b`; [`super::expand`] finds that
/// range from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Landing {
    /// The lower bound.
    pub lo: usize,
    /// Common prefix with the suffix at `lo - 1` (at most 1 when that suffix lies before the
    /// query's first-token block, which the search never inspects).
    pub lcp_before: usize,
    /// Common prefix with the suffix at `lo` (at most 1 when `lo` is the block's end).
    pub lcp_at: usize,
}

/// The longest prefix of each query occurring in any of `shards` (infini-gram's longest
/// match, maximised over shards), all searches in lockstep.
pub fn longest_matches<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    queries: &[&[u32]],
) -> Vec<usize> {
    longest_matches_landing(shards, queries).0
}

/// [`longest_matches`], and where each (query, shard) search landed: `landings[query x
/// shards + shard]`, `None` where the shard has no suffix starting with the query's first
/// token, or the query has fewer than two tokens (no search runs).
pub fn longest_matches_landing<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    queries: &[&[u32]],
) -> (Vec<usize>, Vec<Option<Landing>>) {
    let ns = shards.len();
    let mut landings = vec![None; queries.len() * ns];
    let mut best = vec![0usize; queries.len()];
    let mut searches = Vec::with_capacity(queries.len() * shards.len());
    for (qi, q) in queries.iter().enumerate() {
        let Some(&t) = q.first() else { continue };
        for (si, sh) in shards.iter().enumerate() {
            let block = sh.block(t);
            if block.is_empty() {
                continue;
            }
            best[qi] = best[qi].max(1);
            if q.len() == 1 {
                continue;
            }
            searches.push(Search::in_block(&block, qi, si));
        }
    }
    run(shards, queries, searches, false, |s| {
        let m = s.lcp_lo.max(s.lcp_hi);
        let b = &mut best[s.query as usize];
        *b = (*b).max(m);
        landings[s.query as usize * ns + s.shard as usize] = Some(Landing {
            lo: s.lo,
            lcp_before: s.lcp_lo,
            lcp_at: s.lcp_hi,
        });
    });
    (best, landings)
}

/// The suffix-array range of `query` in every shard (empty where it does not occur), the
/// shards' searches in lockstep.
pub fn find_all<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    query: &[u32],
) -> Vec<Range<usize>> {
    find_many(shards, &[query]).pop().expect("one query")
}

/// [`find_all`] of several queries: every (query, shard) search in lockstep.
pub fn find_many<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    queries: &[&[u32]],
) -> Vec<Vec<Range<usize>>> {
    let ns = shards.len();
    // Per (query, shard): the first-token block, then the lower bound.
    let mut out: Vec<Vec<Range<usize>>> = queries
        .iter()
        .map(|q| match q.first() {
            None => shards.iter().map(|s| 0..s.sa.len()).collect(),
            Some(&t) => shards.iter().map(|s| s.block(t)).collect(),
        })
        .collect();
    let mut lower = vec![0usize; queries.len() * ns];
    let mut found = vec![false; queries.len() * ns];
    let mut searches: Vec<Search> = Vec::new();
    for (qi, q) in queries.iter().enumerate() {
        if q.len() <= 1 {
            continue;
        }
        for (si, b) in out[qi].iter().enumerate() {
            if !b.is_empty() {
                searches.push(Search::in_block(b, qi, si));
            }
        }
    }
    run(shards, queries, searches, false, |s| {
        let k = s.query as usize * ns + s.shard as usize;
        lower[k] = s.lo;
        found[k] = s.lcp_lo.max(s.lcp_hi) >= queries[s.query as usize].len();
    });
    // Upper bounds: the first suffix after the lower bound that does not start with the query.
    let mut upper = vec![0usize; queries.len() * ns];
    let mut searches: Vec<Search> = Vec::new();
    for (qi, q) in queries.iter().enumerate() {
        if q.len() <= 1 {
            continue;
        }
        for (si, block) in out[qi].iter().enumerate() {
            let k = qi * ns + si;
            if found[k] {
                searches.push(Search {
                    lo: lower[k],
                    hi: block.end,
                    lcp_lo: q.len(),
                    lcp_hi: 0,
                    query: qi as u32,
                    shard: si as u32,
                    pos: 0,
                    next: None,
                });
            }
        }
    }
    run(shards, queries, searches, true, |s| {
        upper[s.query as usize * ns + s.shard as usize] = s.lo;
    });
    for (qi, q) in queries.iter().enumerate() {
        if q.len() <= 1 {
            continue;
        }
        for (si, slot) in out[qi].iter_mut().enumerate() {
            let k = qi * ns + si;
            let b = slot.clone();
            *slot = if found[k] {
                lower[k]..upper[k]
            } else if b.is_empty() {
                b.start..b.start
            } else {
                lower[k]..lower[k]
            };
        }
    }
    out
}

#[cfg(test)]
mod oracle {
    //! Lockstep searches against the one-at-a-time searches of `sa.rs`, on random shards, in
    //! verbatim's layout and in infini-gram's (bytewise order, byte-pointer suffix arrays).
    use super::*;
    use crate::search::fixtures::{
        arrays, byte_pointers, infini_gram_layout, sample_keys, verbatim_layout, views,
        with_samples,
    };
    use proptest::prelude::*;

    fn check<T: Token, S: SuffixArray>(
        shards: &[Vec<T>],
        sas: &[S],
        firsts: &[FirstTokenTable],
        queries: &[Vec<u32>],
        sampling: (u32, usize),
    ) -> Result<(), TestCaseError> {
        let (stride_log2, key_tokens) = sampling;
        let keys = sample_keys(shards, sas, stride_log2, key_tokens);
        let plain = arrays(shards, sas, firsts);
        let sampled = with_samples(plain.clone(), &keys, stride_log2, key_tokens);
        for arrays in [plain, sampled] {
            check_arrays(shards, sas, &arrays, queries)?;
        }
        Ok(())
    }

    fn check_arrays<T: Token, S: SuffixArray>(
        shards: &[Vec<T>],
        sas: &[S],
        arrays: &[ShardArrays<'_, T, S>],
        queries: &[Vec<u32>],
    ) -> Result<(), TestCaseError> {
        let qs: Vec<&[u32]> = queries.iter().map(|q| q.as_slice()).collect();
        let got = longest_matches(arrays, &qs);
        for (qi, q) in queries.iter().enumerate() {
            let want = shards
                .iter()
                .zip(sas)
                .map(|(t, sa)| crate::search::lower_bound(t, *sa, q).longest_match)
                .max()
                .unwrap_or(0);
            prop_assert_eq!(got[qi], want, "longest match of {:?}", q);
            let ranges = find_all(arrays, q);
            prop_assert_eq!(&find_many(arrays, &qs)[qi], &ranges);
            for (i, (t, sa)) in shards.iter().zip(sas).enumerate() {
                let want = crate::search::find(t, *sa, q);
                prop_assert_eq!(
                    ranges[i].len(),
                    want.len(),
                    "count of {:?} in shard {}",
                    q,
                    i
                );
                if !want.is_empty() {
                    prop_assert_eq!(ranges[i].clone(), want);
                }
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn lockstep_equals_one_at_a_time(
            shards in prop::collection::vec(prop::collection::vec(prop_oneof![0u16..4, Just(u16::MAX)], 0..120), 1..5),
            queries in prop::collection::vec(prop::collection::vec(0u32..5, 0..7), 1..12),
            sampling in (0u32..3, 1usize..4),
        ) {
            let (sas, firsts) = verbatim_layout(&shards, 5);
            check(&shards, &views(&sas), &firsts, &queries, sampling)?;
        }

        /// 8-bit tokens, ids next to the separator (254), strides 1 to 16, keys of 1 to 10
        /// tokens: keys longer than the stride's buckets and samples landing on separators.
        #[test]
        fn lockstep_equals_one_at_a_time_with_byte_tokens(
            shards in prop::collection::vec(prop::collection::vec(prop_oneof![0u8..3, 253u8..255, Just(u8::MAX)], 0..160), 1..4),
            queries in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..4, 253u32..255], 0..12), 1..12),
            sampling in (0u32..5, 1usize..11),
        ) {
            let (sas, firsts) = verbatim_layout(&shards, 255);
            check(&shards, &views(&sas), &firsts, &queries, sampling)?;
        }

        /// 32-bit tokens with ids past 16 bits, strides 1 to 16, keys of 1 to 10 tokens.
        #[test]
        fn lockstep_equals_one_at_a_time_with_32_bit_tokens(
            shards in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..3, 65_535u32..65_538, Just(u32::MAX)], 0..160), 1..4),
            queries in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..4, 65_535u32..65_539], 0..12), 1..12),
            sampling in (0u32..5, 1usize..11),
        ) {
            let (sas, firsts) = verbatim_layout(&shards, 65_539);
            check(&shards, &views(&sas), &firsts, &queries, sampling)?;
        }

        #[test]
        fn lockstep_equals_one_at_a_time_in_infini_gram_layout(
            shards in prop::collection::vec(prop::collection::vec(prop_oneof![0u16..4, 256u16..259, Just(u16::MAX)], 0..120), 1..5),
            queries in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..5, 256u32..259], 0..7), 1..12),
            sampling in (0u32..5, 1usize..11),
        ) {
            let (shards, tables, firsts) = infini_gram_layout(shards, 260);
            check(&shards, &byte_pointers(&tables, &shards), &firsts, &queries, sampling)?;
        }
    }
}
