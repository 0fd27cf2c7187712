//! Whether a suffix array is exactly the sorted order of its shard's suffixes, checked in
//! linear time with memory that grows with the vocabulary, not with the shard.
//!
//! The suffixes that start with the same token are ordered as the suffixes one token later
//! are: so the array is sorted exactly when (1) its ranks are grouped by first token, the
//! groups ("buckets") in token order and each as large as that token's count, and (2) reading
//! the array in rank order, after the empty suffix (which sorts first), and placing each
//! suffix's predecessor (the suffix one token earlier) at the next free rank of its bucket
//! rebuilds the array (the induction of induced sorting, run as a check). Every rank is then
//! filled exactly once by the position it holds, which also makes the array a permutation:
//! a position given twice would need its successor twice, and so on up to the last token,
//! whose successor is the empty suffix, placed once. The rank order is cut into chunks
//! checked in parallel, each starting from the bucket positions the chunks before it fill.
//!
//! It replaced a check through the inverse suffix array, which held 4 bytes per token (5.2 GB
//! for a 1.3B-token shard, 8 GiB for the largest) and wrote it in one random pass: that check
//! stays as [`check_by_ranks`], for token ids too sparse to count in an array, and as the
//! oracle of the tests.

use crate::search::SuffixArray;
use crate::token::Token;
use rayon::prelude::*;

/// Token ids up to this bound are counted in arrays (u8 and u16 tokens always are, u32
/// tokens of any real vocabulary); a stream with a larger id is checked by ranks.
const MAX_DENSE_ID: u32 = 1 << 22;

/// The counters of all chunks together stay under this many bytes (fewer chunks for a large
/// vocabulary).
const COUNTER_BYTES: usize = 256 << 20;

/// Checks that `sa` is exactly the sorted order of the suffixes of `tokens` (in the order of
/// the token type, [`Token::key`]): a permutation of the positions, ordered.
pub fn check_suffix_array<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
) -> std::result::Result<(), String> {
    let n = entries_for(tokens, &sa)?;
    if n == 0 {
        return Ok(());
    }
    let Some(buckets) = Buckets::of(tokens) else {
        return check_by_ranks(tokens, sa);
    };
    let affordable = (COUNTER_BYTES / (buckets.len() * 8)).max(1);
    let chunks = (rayon::current_num_threads() * 8).min(affordable).min(n);
    let per_chunk = n.div_ceil(chunks);
    let ranks = |c: usize| c * per_chunk..((c + 1) * per_chunk).min(n);
    // How many predecessors each chunk places in each bucket (and every rank in its bucket).
    let mut cursors = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut placed = vec![0u64; buckets.len()];
            if c == 0 {
                // The empty suffix sorts first: its predecessor is the last token's suffix.
                placed[buckets.index(tokens[n - 1])] += 1;
            }
            for r in ranks(c) {
                if let Some(raw) = sa.inexact(r) {
                    return Err(inexact(r, raw));
                }
                let q = sa.at(r);
                if q >= n {
                    return Err(format!("entry {r} points past the end ({q})"));
                }
                let b = buckets.index(tokens[q]);
                if !buckets.holds(b, r) {
                    return Err(format!(
                        "the suffix at rank {r} starts with token {}, whose suffixes belong at \
                         ranks {}..{}",
                        tokens[q].to_u32(),
                        buckets.start[b],
                        buckets.start[b] + buckets.size[b]
                    ));
                }
                if q > 0 {
                    placed[buckets.index(tokens[q - 1])] += 1;
                }
            }
            Ok(placed)
        })
        .collect::<std::result::Result<Vec<Vec<u64>>, String>>()?;
    // Each chunk's first free rank in every bucket.
    for b in 0..buckets.len() {
        let mut next = buckets.start[b];
        for chunk in cursors.iter_mut() {
            let placed = chunk[b];
            chunk[b] = next;
            next += placed;
        }
        if next != buckets.start[b] + buckets.size[b] {
            return Err(format!(
                "{} suffixes follow a token {} that starts {}: some positions appear twice \
                 and others never",
                next - buckets.start[b],
                buckets.token_of(b),
                buckets.size[b]
            ));
        }
    }
    cursors
        .into_par_iter()
        .enumerate()
        .try_for_each(|(c, mut next)| {
            let mut place = |p: usize| {
                let b = buckets.index(tokens[p]);
                let r = next[b] as usize;
                next[b] += 1;
                match sa.at(r) {
                    q if q == p => Ok(()),
                    q => Err(format!(
                        "suffixes out of order: rank {r} holds position {q}, where the order of \
                         the suffixes one token later puts position {p}"
                    )),
                }
            };
            if c == 0 {
                place(n - 1)?;
            }
            for r in ranks(c) {
                let q = sa.at(r);
                if q > 0 {
                    place(q - 1)?;
                }
            }
            Ok(())
        })
}

/// What is wrong with entry `r`, stored as `raw`, which names no token position.
fn inexact(r: usize, raw: u64) -> String {
    format!("entry {r} holds byte offset {raw}, where no token of the stream starts")
}

/// The number of tokens, when `sa` has one entry for each.
fn entries_for<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: &S,
) -> std::result::Result<usize, String> {
    match (tokens.len(), sa.len()) {
        (n, m) if n == m => Ok(n),
        (n, m) => Err(format!("{m} entries for {n} tokens")),
    }
}

/// Each token's bucket: the ranks of the suffixes that start with it. Tokens are counted in
/// arrays indexed by id, the separator after the largest id.
struct Buckets {
    /// Index of the separator's bucket (one past the largest other id).
    separator: usize,
    /// First rank of each bucket, by index.
    start: Vec<u64>,
    /// Suffixes in each bucket, by index.
    size: Vec<u64>,
}

impl Buckets {
    /// The buckets of `tokens`, or `None` when an id is too large to count in an array.
    fn of<T: Token>(tokens: &[T]) -> Option<Buckets> {
        let largest = tokens
            .par_iter()
            .filter(|&&t| t != T::SEPARATOR)
            .map(|t| t.to_u32())
            .max();
        let separator = match largest {
            Some(id) if id >= MAX_DENSE_ID => return None,
            Some(id) => id as usize + 1,
            None => 0,
        };
        let index = |t: T| {
            if t == T::SEPARATOR {
                separator
            } else {
                t.to_u32() as usize
            }
        };
        let len = separator + 1;
        // One counter array per thread, within the counters' budget.
        let parts = rayon::current_num_threads()
            .min((COUNTER_BYTES / (len * 8)).max(1))
            .min(tokens.len().max(1));
        let size = tokens
            .par_chunks(tokens.len().div_ceil(parts).max(1))
            .map(|part| {
                let mut size = vec![0u64; len];
                for &t in part {
                    size[index(t)] += 1;
                }
                size
            })
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            })
            .unwrap_or_else(|| vec![0u64; len]);
        let mut buckets = Buckets {
            separator,
            start: vec![0u64; len],
            size,
        };
        // Buckets in the order of their tokens' keys.
        let mut order: Vec<usize> = (0..len).collect();
        order.sort_by_key(|&b| buckets.key_of(b, T::SEPARATOR));
        let mut next = 0u64;
        for b in order {
            buckets.start[b] = next;
            next += buckets.size[b];
        }
        Some(buckets)
    }

    fn len(&self) -> usize {
        self.start.len()
    }

    /// The bucket of token `t`.
    #[inline]
    fn index<T: Token>(&self, t: T) -> usize {
        if t == T::SEPARATOR {
            self.separator
        } else {
            t.to_u32() as usize
        }
    }

    /// The order key of bucket `b`'s token (`separator`: the token type's).
    fn key_of<T: Token>(&self, b: usize, separator: T) -> u32 {
        if b == self.separator {
            separator.key()
        } else {
            T::from_u32(b as u32).key()
        }
    }

    /// Bucket `b`'s token id, for messages (the separator's is shown as `separator`).
    fn token_of(&self, b: usize) -> String {
        if b == self.separator {
            "separator".into()
        } else {
            b.to_string()
        }
    }

    /// Whether rank `r` is in bucket `b`.
    #[inline]
    fn holds(&self, b: usize, r: usize) -> bool {
        let r = r as u64;
        r >= self.start[b] && r < self.start[b] + self.size[b]
    }
}

/// [`check_suffix_array`] through the inverse suffix array, in linear time but 4 bytes of
/// memory per token: it must be a permutation, and each adjacent pair must be ordered by first
/// token, or on equal first tokens by the ranks of the suffixes one token later.
fn check_by_ranks<T: Token, S: SuffixArray>(
    tokens: &[T],
    sa: S,
) -> std::result::Result<(), String> {
    let n = entries_for(tokens, &sa)?;
    let mut rank = vec![u32::MAX; n];
    for r in 0..n {
        if let Some(raw) = sa.inexact(r) {
            return Err(inexact(r, raw));
        }
        let p = sa.at(r);
        if p >= n {
            return Err(format!("entry {r} points past the end ({p})"));
        }
        if rank[p] != u32::MAX {
            return Err(format!("position {p} appears twice"));
        }
        rank[p] = r as u32;
    }
    // rank of the suffix after position p (-1 for the empty suffix, which sorts first)
    let next_rank = |p: usize| -> i64 {
        if p + 1 == n {
            -1
        } else {
            rank[p + 1] as i64
        }
    };
    let bad = (0..n.saturating_sub(1)).into_par_iter().find_any(|&r| {
        let (a, b) = (sa.at(r), sa.at(r + 1));
        match tokens[a].cmp(&tokens[b]) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => next_rank(a) >= next_rank(b),
        }
    });
    match bad {
        Some(r) => Err(format!(
            "suffixes at ranks {r} and {} are out of order",
            r + 1
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::BytePointers;
    use crate::token::{BytewiseU16, BytewiseU32};
    use proptest::prelude::*;

    /// The suffix array by sorting the suffixes themselves.
    fn naive_sa<T: Token>(t: &[T]) -> Vec<u32> {
        let mut sa: Vec<u32> = (0..t.len() as u32).collect();
        sa.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
        sa
    }

    /// Both checks agree on `sa`; the answer of the one under test.
    fn agree<T: Token>(t: &[T], sa: &[u32]) -> bool {
        let fast = check_suffix_array(t, sa).is_ok();
        assert_eq!(fast, check_by_ranks(t, sa).is_ok(), "{t:?} {sa:?}");
        fast
    }

    /// Damages `sa` in one of several ways, chosen by `how`.
    fn damage(sa: &mut [u32], how: usize, at: usize) {
        let n = sa.len();
        let (i, j) = (at % n, (at / 7 + 1) % n);
        match how % 4 {
            0 => sa.swap(i, (i + 1) % n),
            1 => sa.swap(i, j),
            2 => sa[i] = sa[j],
            _ => sa[i..].rotate_left(1),
        }
    }

    fn check_typed<T: Token>(t: Vec<T>, how: usize, at: usize) {
        let sa = naive_sa(&t);
        assert!(agree(&t, &sa));
        let mut bad = sa.clone();
        damage(&mut bad, how, at);
        let ok = agree(&t, &bad);
        // A change that leaves the array as it was (or equal suffixes swapped: none are, in a
        // suffix array) is the only one accepted.
        assert_eq!(ok, bad == sa, "{t:?} {bad:?}");
    }

    proptest! {
        #[test]
        fn u16_arrays_are_checked_as_by_ranks(t in prop::collection::vec(prop_oneof![0u16..3, Just(u16::MAX)], 1..150), how in 0usize..4, at in 0usize..10_000) {
            check_typed(t, how, at);
        }

        #[test]
        fn u8_arrays_are_checked_as_by_ranks(t in prop::collection::vec(prop_oneof![97u8..100, Just(u8::MAX)], 1..150), how in 0usize..4, at in 0usize..10_000) {
            check_typed(t, how, at);
        }

        #[test]
        fn u32_and_bytewise_arrays_are_checked_as_by_ranks(t in prop::collection::vec(prop_oneof![0u32..3, 255u32..258, 65_535u32..65_537, Just(u32::MAX)], 1..120), how in 0usize..4, at in 0usize..10_000) {
            check_typed(t.clone(), how, at);
            check_typed(t.iter().map(|&x| BytewiseU32(x)).collect(), how, at);
            let narrow: Vec<BytewiseU16> = t.iter().map(|&x| BytewiseU16(if x == u32::MAX { u16::MAX } else { x as u16 })).collect();
            check_typed(narrow, how, at);
        }

        #[test]
        fn any_array_of_positions_is_judged_as_by_ranks(t in prop::collection::vec(0u16..3, 1..40), sa in prop::collection::vec(0u32..45, 1..40)) {
            if sa.len() == t.len() {
                agree(&t, &sa);
            }
        }
    }

    #[test]
    fn byte_pointers_inside_a_token_or_past_the_stream_are_refused() {
        // infini-gram's layout: u16 tokens, 5-byte pointers to each suffix's first byte.
        let t = vec![1u16, 0, 1, 0, u16::MAX, 2];
        let sa = naive_sa(&t);
        let table = |sa: &[u64]| -> Vec<u8> {
            sa.iter()
                .flat_map(|&p| p.to_le_bytes()[..5].to_vec())
                .collect()
        };
        let pointers: Vec<u64> = sa.iter().map(|&p| 2 * p as u64).collect();
        let bytes = table(&pointers);
        let good = BytePointers::new(&bytes, 5, 2, t.len());
        assert!(check_suffix_array(&t, good).is_ok());
        assert!(check_by_ranks(&t, good).is_ok());
        // One pointer moved inside its token reads as the same position, so the order alone
        // would pass: the stored value is what is refused.
        for bad_ptr in [pointers[3] + 1, 2 * t.len() as u64] {
            let mut bad = pointers.clone();
            bad[3] = bad_ptr;
            let bytes = table(&bad);
            let bad = BytePointers::new(&bytes, 5, 2, t.len());
            for e in [check_suffix_array(&t, bad), check_by_ranks(&t, bad)] {
                let e = e.unwrap_err();
                assert!(
                    e.contains(&format!("entry 3 holds byte offset {bad_ptr}")),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn ids_too_large_to_count_are_checked_by_ranks() {
        let t = vec![3u32, MAX_DENSE_ID + 5, 3, 1];
        let sa = naive_sa(&t);
        assert!(Buckets::of(&t).is_none());
        assert!(check_suffix_array(&t, sa.as_slice()).is_ok());
        let mut bad = sa.clone();
        bad.swap(0, 1);
        assert!(check_suffix_array(&t, bad.as_slice()).is_err());
    }

    #[test]
    fn a_damaged_array_is_named_plainly() {
        let t = vec![1u16, 0, 1, 0, u16::MAX, 2];
        let sa = naive_sa(&t);
        let mut bad = sa.clone();
        bad[2] = 99;
        assert!(check_suffix_array(&t, bad.as_slice())
            .unwrap_err()
            .contains("past the end"));
        let mut bad = sa.clone();
        bad[0] = bad[1];
        let e = check_suffix_array(&t, bad.as_slice()).unwrap_err();
        assert!(e.contains("rank") || e.contains("twice"), "{e}");
        assert!(check_suffix_array(&t, &sa[..5])
            .unwrap_err()
            .contains("5 entries"));
    }
}
