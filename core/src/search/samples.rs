//! Suffix samples: the first tokens of every 256th suffix of a shard, stored inline
//! (`samples.bin`, FORMAT.md), so that the first steps of a suffix-array search compare a
//! query with contiguous keys instead of following a suffix-array entry to the token stream.
//!
//! A binary search in a shard of N suffixes costs about log2(N) steps of two dependent cache
//! misses each (the entry, then the token it points to). The samples are N/16 bytes for
//! 16-bit tokens; a search first narrows its range to between two samples (one load per
//! step, the top levels shared by every search and so cached), then finishes in the suffix
//! array, over at most 256 suffixes when the samples decided every step. A comparison the
//! stored tokens cannot decide (the query agrees with all of them, or reaches a separator,
//! which may be padding past the end of the stream) stops the narrowing; the suffix-array
//! search then goes on from the range reached. Every step taken is exact, so the answers are
//! those of the search without samples, which the property tests check.

use super::batch::{Search, ShardArrays};
use super::read_ahead::{Loads, ReadAhead};
use super::suffix_array::SuffixArray;
use crate::token::Token;
use std::cmp::Ordering;

/// log2 of the sampling stride of `samples.bin`: suffix-array ranks 0, 256, 512, ...
pub const STRIDE_LOG2: u32 = 8;

/// Tokens stored per sample in `samples.bin`.
pub const KEY_TOKENS: usize = 8;

/// Number of samples of a shard of `suffixes` suffixes at stride `1 << stride_log2`.
pub fn sample_count(suffixes: usize, stride_log2: u32) -> usize {
    suffixes.div_ceil(1 << stride_log2)
}

/// The sampled suffixes' first tokens of one shard, borrowed from `samples.bin` (or built in
/// memory by [`build_keys`]).
#[derive(Debug, Clone, Copy)]
pub struct SuffixSamples<'a, T> {
    keys: &'a [T],
    stride_log2: u32,
    key_tokens: usize,
}

impl<'a, T: Token> SuffixSamples<'a, T> {
    /// Samples of a shard of `suffixes` suffixes, or `None` when `keys` does not hold exactly
    /// `key_tokens` tokens for each of them.
    pub fn new(
        keys: &'a [T],
        suffixes: usize,
        stride_log2: u32,
        key_tokens: usize,
    ) -> Option<SuffixSamples<'a, T>> {
        let want = sample_count(suffixes, stride_log2).checked_mul(key_tokens)?;
        (key_tokens > 0 && stride_log2 < usize::BITS && keys.len() == want).then_some(
            SuffixSamples {
                keys,
                stride_log2,
                key_tokens,
            },
        )
    }

    /// The stored tokens of sample `j` (the suffix at rank `j << stride_log2`).
    #[inline]
    fn key(&self, j: usize) -> &'a [T] {
        &self.keys[j * self.key_tokens..(j + 1) * self.key_tokens]
    }

    /// Checks every sample against the shard it was built from (`verbatim verify`): `Err`
    /// names the first that differs from [`build_keys`]'s.
    pub fn check<S: SuffixArray>(&self, tokens: &[T], sa: S) -> Result<(), String> {
        let mut want = Vec::with_capacity(self.key_tokens);
        for j in 0..self.keys.len() / self.key_tokens {
            let rank = j << self.stride_log2;
            want.clear();
            push_key(&mut want, tokens, sa.at(rank), self.key_tokens);
            if self.key(j) != want.as_slice() {
                return Err(format!(
                    "sample {j} differs from the first tokens of the suffix at rank {rank}"
                ));
            }
        }
        Ok(())
    }
}

/// The keys of `samples.bin` for a shard: for every `1 << stride_log2`-th suffix, its first
/// `key_tokens` tokens, padded with the separator past the end of the stream.
pub fn build_keys<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
    stride_log2: u32,
    key_tokens: usize,
) -> Vec<T> {
    keys_at(tokens, &sampled_positions(sa, stride_log2), key_tokens)
}

/// The token positions of every `1 << stride_log2`-th suffix (ranks 0, stride, 2 stride, ...):
/// all [`keys_at`] needs of the suffix array, so a builder can free the array first.
pub fn sampled_positions<S: SuffixArray>(sa: S, stride_log2: u32) -> Vec<u32> {
    (0..sample_count(sa.len(), stride_log2))
        .map(|j| sa.at(j << stride_log2) as u32)
        .collect()
}

/// The first `key_tokens` tokens at each of `positions`, padded with the separator past the
/// end of the stream.
pub fn keys_at<T: Token>(tokens: &[T], positions: &[u32], key_tokens: usize) -> Vec<T> {
    let mut keys = Vec::with_capacity(positions.len() * key_tokens);
    for &pos in positions {
        push_key(&mut keys, tokens, pos as usize, key_tokens);
    }
    keys
}

/// Appends the key of the suffix at `pos`: its first `key_tokens` tokens, padded with the
/// separator past the end of the stream.
fn push_key<T: Token>(keys: &mut Vec<T>, tokens: &[T], pos: usize, key_tokens: usize) {
    let end = (pos + key_tokens).min(tokens.len());
    keys.extend_from_slice(&tokens[pos..end]);
    keys.resize(keys.len() + key_tokens - (end - pos), T::SEPARATOR);
}

/// A search being narrowed: its place in the search list and its sample range `[lo, hi)`.
struct Narrowing {
    at: usize,
    lo: usize,
    hi: usize,
}

/// Narrows every search of `searches` whose shard has samples as far as the samples decide,
/// all searches in lockstep; `upper` as in the suffix-array search (move
/// right past suffixes that start with the query too). Each step is the step the suffix-array
/// search would take with the sample as its midpoint, so the searches' ranges and common
/// prefixes stay exact.
pub(super) fn narrow<T: Token, S: SuffixArray>(
    shards: &[ShardArrays<'_, T, S>],
    queries: &[&[u32]],
    searches: &mut [Search],
    upper: bool,
) {
    let mut active: Vec<Narrowing> = searches
        .iter()
        .enumerate()
        .filter_map(|(at, s)| {
            let sm = shards[s.shard as usize].samples.as_ref()?;
            let round_up = |rank: usize| rank.div_ceil(1 << sm.stride_log2);
            let n = Narrowing {
                at,
                lo: round_up(s.lo),
                hi: round_up(s.hi),
            };
            (n.lo < n.hi).then_some(n)
        })
        .collect();
    let separator = T::SEPARATOR.key();
    let read_ahead = shards.iter().any(|s| s.read_ahead);
    let mut ahead = ReadAhead::new(read_ahead, Loads::Samples);
    // The sample each narrowing compares next (from disk, loaded in a pass of their own).
    let midpoint = |searches: &[Search], n: &Narrowing| {
        let sh = &shards[searches[n.at].shard as usize];
        let sm = sh.samples.as_ref().expect("filtered above");
        (sh.read_ahead, sm.key(n.lo + (n.hi - n.lo) / 2).first())
    };
    while !active.is_empty() {
        if read_ahead {
            // While loads are slow, every sample's page asked for first, so that their reads
            // overlap; then every sample loaded, timed, before any is compared.
            if ahead.asking() {
                for n in &active {
                    if let (true, Some(k)) = midpoint(searches, n) {
                        crate::mmap::will_need(k);
                    }
                }
            }
            ahead.loads(active.len(), || {
                for n in &active {
                    std::hint::black_box(midpoint(searches, n).1.map(|k| k.key()));
                }
            });
        }
        active.retain_mut(|n| {
            let s = &mut searches[n.at];
            let sm = shards[s.shard as usize]
                .samples
                .as_ref()
                .expect("filtered above");
            let j = n.lo + (n.hi - n.lo) / 2;
            let key = sm.key(j);
            let query = queries[s.query as usize];
            let skip = s.lcp_lo.min(s.lcp_hi).min(query.len());
            let mut i = skip;
            let ord = loop {
                if i == query.len() {
                    break Ordering::Equal;
                }
                let Some(&t) = key.get(i) else {
                    return false; // agrees with every stored token: undecided
                };
                let t = t.key();
                if t == separator {
                    return false; // a separator, or padding past the stream's end
                }
                let q = T::key_of(query[i]);
                if t != q {
                    break t.cmp(&q);
                }
                i += 1;
            };
            if s.step(j << sm.stride_log2, ord, i, upper) {
                n.lo = j + 1;
            } else {
                n.hi = j;
            }
            n.lo < n.hi
        });
    }
}
