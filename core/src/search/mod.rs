//! Suffix-array search primitives over a single shard, generic over the token type (which
//! fixes the suffix order) and the suffix-array storage.

pub mod batch;
pub mod expand;
#[cfg(test)]
mod fixtures;
pub(crate) mod read_ahead;
pub mod sa;
pub mod samples;
pub mod suffix_array;

#[doc(hidden)]
pub use read_ahead::always_ask;
pub use sa::{
    compare_suffix, find, find_in, lower_bound, lower_bound_in, next_token_block_end, token_at,
    Bound,
};
pub use samples::SuffixSamples;
pub use suffix_array::{BytePointers, FirstTokenTable, SuffixArray, SuffixArrayRef};

use crate::shard::{Shard, TypedArrays};
use crate::token::{BytewiseU16, BytewiseU32};
use batch::ShardArrays;
use std::ops::Range;

/// Every shard's arrays, typed by the index's token type and suffix-array storage.
pub enum Arrays<'a> {
    /// verbatim, byte tokens.
    U8(Vec<ShardArrays<'a, u8>>),
    /// verbatim, 16-bit tokens.
    U16(Vec<ShardArrays<'a, u16>>),
    /// verbatim, 32-bit tokens.
    U32(Vec<ShardArrays<'a, u32>>),
    /// infini-gram, byte tokens.
    IgU8(Vec<ShardArrays<'a, u8, BytePointers<'a>>>),
    /// infini-gram, 16-bit tokens.
    IgU16(Vec<ShardArrays<'a, BytewiseU16, BytePointers<'a>>>),
    /// infini-gram, 32-bit tokens.
    IgU32(Vec<ShardArrays<'a, BytewiseU32, BytePointers<'a>>>),
}

impl<'a> Arrays<'a> {
    /// The typed arrays of `shards` (all of one token type and storage, as in one index).
    pub fn of(shards: &'a [Shard]) -> Arrays<'a> {
        macro_rules! typed {
            ($variant:ident) => {
                Arrays::$variant(
                    shards
                        .iter()
                        .map(|s| match s.arrays() {
                            TypedArrays::$variant(a) => a,
                            _ => unreachable!("every shard of an index has the same layout"),
                        })
                        .collect(),
                )
            };
        }
        match shards.first().map(|s| s.arrays()) {
            Some(TypedArrays::U8(_)) | None => typed!(U8),
            Some(TypedArrays::U16(_)) => typed!(U16),
            Some(TypedArrays::U32(_)) => typed!(U32),
            Some(TypedArrays::IgU8(_)) => typed!(IgU8),
            Some(TypedArrays::IgU16(_)) => typed!(IgU16),
            Some(TypedArrays::IgU32(_)) => typed!(IgU32),
        }
    }
}

/// Runs a generic expression over the typed shard arrays of an [`Arrays`].
#[macro_export]
macro_rules! with_arrays {
    ($arrays:expr, |$a:ident| $body:expr) => {
        match $arrays {
            $crate::search::Arrays::U8($a) => $body,
            $crate::search::Arrays::U16($a) => $body,
            $crate::search::Arrays::U32($a) => $body,
            $crate::search::Arrays::IgU8($a) => $body,
            $crate::search::Arrays::IgU16($a) => $body,
            $crate::search::Arrays::IgU32($a) => $body,
        }
    };
}

/// Occurrences of `query` in `shard`, starting from the block of its first token.
pub fn shard_find(shard: &Shard, query: &[u32]) -> Range<usize> {
    match query.first() {
        None => 0..shard.info().tokens as usize,
        Some(&t) => {
            let block = shard.first_token_range(t);
            if block.is_empty() {
                return block.start..block.start;
            }
            crate::with_shard_arrays!(shard.arrays(), |a| find_in(a.tokens, a.sa, query, block, 1))
        }
    }
}

/// Longest prefix of `query` occurring in `shard`.
pub fn shard_longest_match(shard: &Shard, query: &[u32]) -> usize {
    let Some(&t) = query.first() else { return 0 };
    let block = shard.first_token_range(t);
    if block.is_empty() {
        return 0;
    }
    crate::with_shard_arrays!(shard.arrays(), |a| lower_bound_in(
        a.tokens, a.sa, query, block, 1
    )
    .longest_match)
}
