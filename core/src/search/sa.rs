//! Binary searches over one shard's suffix array.
//!
//! Comparisons skip the prefix already known to be shared with both search bounds (the
//! Manber–Myers `min(lcp_lo, lcp_hi)` trick), so a search costs about `log2(n)` random reads of
//! the suffix array plus short sequential reads of the token stream.
//!
//! Every function is generic over the token type (which fixes the order, [`Token::key`]) and
//! the suffix-array storage ([`SuffixArray`]); positions are never trusted to be inside the
//! stream, so a damaged index cannot make a search read out of bounds.

use super::suffix_array::SuffixArray;
use crate::token::Token;
use std::cmp::Ordering;
use std::ops::Range;

/// Compares the suffix of `tokens` at `pos` with `query`, starting at offset `skip` (which the
/// caller knows both share). `Equal` means `query` is a prefix of the suffix. Returns the order
/// and the length of the common prefix.
#[inline]
pub fn compare_suffix<T: Token>(
    tokens: &[T],
    pos: usize,
    query: &[u32],
    skip: usize,
) -> (Ordering, usize) {
    let rest = tokens.get(pos..).unwrap_or_default();
    let n = query.len().min(rest.len());
    let mut i = skip.min(n);
    while i < n {
        let t = rest[i];
        let q = query[i];
        if t.to_u32() != q {
            return (t.key().cmp(&T::key_of(q)), i);
        }
        i += 1;
    }
    if i == query.len() {
        (Ordering::Equal, i)
    } else {
        // The suffix ended first (end of the stream sorts before every token).
        (Ordering::Less, i)
    }
}

/// Outcome of a lower-bound search: the insertion point and the longest common prefix of the
/// query with the suffixes just before and at that point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// First suffix-array index whose suffix is not less than the query.
    pub index: usize,
    /// Longest common prefix of the query with any suffix of the shard.
    pub longest_match: usize,
}

/// Finds the first suffix not less than `query` (prefix-equal counts as not less), tracking the
/// common prefix with both neighbours, which gives the longest prefix of `query` that occurs.
pub fn lower_bound<T: Token, S: SuffixArray>(tokens: &[T], sa: S, query: &[u32]) -> Bound {
    lower_bound_in(tokens, sa, query, 0..sa.len(), 0)
}

/// [`lower_bound`] within `range`, whose suffixes all share their first `known` tokens with
/// `query` (e.g. the block of suffixes starting with `query[0]`, `known = 1`). `range` must
/// not be empty when `known > 0`.
pub fn lower_bound_in<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
    query: &[u32],
    range: Range<usize>,
    known: usize,
) -> Bound {
    let (mut lo, mut hi) = (range.start, range.end.min(sa.len()));
    let (mut lcp_lo, mut lcp_hi) = (known, known);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let (ord, lcp) = compare_suffix(tokens, sa.at(mid), query, lcp_lo.min(lcp_hi));
        if ord == Ordering::Less {
            lo = mid + 1;
            lcp_lo = lcp;
        } else {
            hi = mid;
            lcp_hi = lcp;
        }
    }
    Bound {
        index: lo,
        longest_match: lcp_lo.max(lcp_hi),
    }
}

/// First suffix-array index whose suffix is greater than `query` and does not start with it.
fn upper_bound<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
    query: &[u32],
    from: usize,
    to: usize,
) -> usize {
    let (mut lo, mut hi) = (from, to.min(sa.len()));
    let (mut lcp_lo, mut lcp_hi) = (query.len(), 0usize);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let (ord, lcp) = compare_suffix(tokens, sa.at(mid), query, lcp_lo.min(lcp_hi));
        if ord != Ordering::Greater {
            lo = mid + 1;
            lcp_lo = lcp;
        } else {
            hi = mid;
            lcp_hi = lcp;
        }
    }
    lo
}

/// The suffix-array range of all suffixes starting with `query`; its length is the number of
/// occurrences. The empty query matches every position.
pub fn find<T: Token, S: SuffixArray>(tokens: &[T], sa: S, query: &[u32]) -> Range<usize> {
    find_in(tokens, sa, query, 0..sa.len(), 0)
}

/// [`find`] within `range`, whose suffixes all share their first `known` tokens with `query`.
pub fn find_in<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
    query: &[u32],
    range: Range<usize>,
    known: usize,
) -> Range<usize> {
    if query.len() <= known {
        return range;
    }
    let lo = lower_bound_in(tokens, sa, query, range.clone(), known);
    if lo.longest_match < query.len() {
        return lo.index..lo.index;
    }
    lo.index..upper_bound(tokens, sa, query, lo.index, range.end)
}

/// Within `range` (all suffixes sharing a prefix of length `depth`), the end of the block whose
/// token at `depth` equals the token at `depth` of the suffix at `range.start`.
pub fn next_token_block_end<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
    range: Range<usize>,
    depth: usize,
) -> usize {
    let key = key_at(tokens, sa.at(range.start) + depth);
    // First rank in the range whose key at `depth` is greater (keys ascend in the range).
    let (mut lo, mut hi) = (
        range.start + 1,
        range.end.min(sa.len()).max(range.start + 1),
    );
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if key_at(tokens, sa.at(mid) + depth) <= key {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The token at `pos` as an `Option` (None past the end; it sorts first).
#[inline]
pub fn token_at<T: Token>(tokens: &[T], pos: usize) -> Option<u32> {
    tokens.get(pos).map(|t| t.to_u32())
}

/// The order key of the token at `pos` (None past the end, which sorts first).
#[inline]
fn key_at<T: Token>(tokens: &[T], pos: usize) -> Option<u32> {
    tokens.get(pos).map(|t| t.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_sa(t: &[u16]) -> Vec<u32> {
        let mut sa: Vec<u32> = (0..t.len() as u32).collect();
        sa.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
        sa
    }

    #[test]
    fn find_counts_and_longest_match() {
        let t: Vec<u16> = vec![u16::MAX, 1, 2, 3, 1, 2, u16::MAX, 1, 2, 3, 4];
        let sa = naive_sa(&t);
        let sa = sa.as_slice();
        assert_eq!(find(&t, sa, &[1, 2]).len(), 3);
        assert_eq!(find(&t, sa, &[1, 2, 3]).len(), 2);
        assert_eq!(find(&t, sa, &[2, 3, 4]).len(), 1);
        assert_eq!(find(&t, sa, &[5]).len(), 0);
        assert_eq!(lower_bound(&t, sa, &[1, 2, 3, 4, 9]).longest_match, 4);
        assert_eq!(lower_bound(&t, sa, &[3, 1, 2, 7]).longest_match, 3);
    }
}

#[cfg(test)]
mod oracle {
    //! Property tests against brute force: sorting all suffixes and scanning the stream.
    use super::*;
    use proptest::prelude::*;

    fn naive_sa<T: Token>(t: &[T]) -> Vec<u32> {
        let mut sa: Vec<u32> = (0..t.len() as u32).collect();
        sa.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
        sa
    }

    fn brute_count<T: Token>(t: &[T], q: &[u32]) -> usize {
        if q.is_empty() {
            return t.len();
        }
        t.windows(q.len())
            .filter(|w| w.iter().zip(q).all(|(a, b)| a.to_u32() == *b))
            .count()
    }

    fn brute_longest<T: Token>(t: &[T], q: &[u32]) -> usize {
        (0..t.len())
            .map(|p| {
                t[p..]
                    .iter()
                    .zip(q)
                    .take_while(|(a, b)| a.to_u32() == **b)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    fn check<T: Token>(t: Vec<T>, queries: Vec<Vec<u32>>) {
        let sa = naive_sa(&t);
        check_with(&t, sa.as_slice(), &queries);
        // The same suffix array stored as infini-gram stores it: byte pointers, 5 bytes each.
        let width = std::mem::size_of::<T>();
        let mut table = Vec::new();
        for &p in &sa {
            table.extend_from_slice(&(p as u64 * width as u64).to_le_bytes()[..5]);
        }
        let ptrs = crate::search::BytePointers::new(&table, 5, width, t.len());
        check_with(&t, ptrs, &queries);
    }

    fn check_with<T: Token, S: SuffixArray>(t: &[T], sa: S, queries: &[Vec<u32>]) {
        for q in queries {
            let r = find(t, sa, q);
            assert_eq!(r.len(), brute_count(t, q), "count of {q:?}");
            for rank in r {
                let p = sa.at(rank);
                assert!(t[p..]
                    .iter()
                    .map(|x| x.to_u32())
                    .take(q.len())
                    .eq(q.iter().copied()));
            }
            assert_eq!(
                lower_bound(t, sa, q).longest_match,
                brute_longest(t, q),
                "longest {q:?}"
            );
        }
    }

    /// infini-gram sorts suffixes by the bytes of the little-endian stream (`memcmp`, a
    /// shorter suffix first): the order of the bytewise token types must be exactly that.
    fn memcmp_sa<T: bytemuck::Pod>(t: &[T]) -> Vec<u32> {
        let bytes: &[u8] = bytemuck::cast_slice(t);
        let w = std::mem::size_of::<T>();
        let mut sa: Vec<u32> = (0..t.len() as u32).collect();
        sa.sort_by(|&a, &b| bytes[a as usize * w..].cmp(&bytes[b as usize * w..]));
        sa
    }

    proptest! {
        #[test]
        fn u8_tokens(t in prop::collection::vec(0u8..4, 0..200), qs in prop::collection::vec(prop::collection::vec(0u32..4, 0..6), 1..20)) {
            check(t, qs);
        }

        #[test]
        fn u16_tokens_with_separators(t in prop::collection::vec(prop_oneof![0u16..5, Just(u16::MAX)], 0..200), qs in prop::collection::vec(prop::collection::vec(0u32..5, 0..6), 1..20)) {
            check(t, qs);
        }

        #[test]
        fn u32_tokens_large_ids(t in prop::collection::vec(prop_oneof![70_000u32..70_004, Just(u32::MAX)], 0..200), qs in prop::collection::vec(prop::collection::vec(70_000u32..70_004, 0..6), 1..20)) {
            check(t, qs);
        }

        #[test]
        fn bytewise_u16_order_is_memcmp_of_little_endian_bytes(t in prop::collection::vec(prop_oneof![0u16..4, 250u16..262, 0xff00u16..0xff03, Just(u16::MAX)], 0..150)) {
            let typed: Vec<crate::token::BytewiseU16> = t.iter().map(|&x| crate::token::BytewiseU16(x)).collect();
            prop_assert_eq!(naive_sa(&typed), memcmp_sa(&t));
        }

        #[test]
        fn bytewise_u32_order_is_memcmp_of_little_endian_bytes(t in prop::collection::vec(prop_oneof![0u32..4, 250u32..262, 65_530u32..65_540, Just(u32::MAX)], 0..150)) {
            let typed: Vec<crate::token::BytewiseU32> = t.iter().map(|&x| crate::token::BytewiseU32(x)).collect();
            prop_assert_eq!(naive_sa(&typed), memcmp_sa(&t));
        }

        #[test]
        fn bytewise_u16_tokens_searched_in_memcmp_order(t in prop::collection::vec(prop_oneof![0u16..4, 255u16..258, Just(u16::MAX)], 0..200), qs in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..4, 255u32..258, Just(70_000u32)], 0..6), 1..20)) {
            check(t.into_iter().map(crate::token::BytewiseU16).collect(), qs);
        }

        #[test]
        fn bytewise_u32_tokens_searched_in_memcmp_order(t in prop::collection::vec(prop_oneof![0u32..4, 255u32..258, 65_535u32..65_538, Just(u32::MAX)], 0..200), qs in prop::collection::vec(prop::collection::vec(prop_oneof![0u32..4, 255u32..258, 65_535u32..65_538], 0..6), 1..20)) {
            check(t.into_iter().map(crate::token::BytewiseU32).collect(), qs);
        }

        #[test]
        fn verify_accepts_the_true_suffix_array_and_rejects_swaps(t in prop::collection::vec(0u16..3, 2..120), i in 0usize..1000) {
            let sa = naive_sa(&t);
            prop_assert!(crate::verify::check_suffix_array(&t, sa.as_slice()).is_ok());
            let mut bad = sa.clone();
            let k = i % (bad.len() - 1);
            bad.swap(k, k + 1);
            prop_assert!(crate::verify::check_suffix_array(&t, bad.as_slice()).is_err());
        }
    }
}
