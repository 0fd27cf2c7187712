//! Suffix-array search primitives over a single shard, generic over the token width.

pub mod batch;
pub mod sa;

pub use sa::{
    compare_suffix, find, find_in, lower_bound, lower_bound_in, next_token_block_end, token_at,
    Bound,
};

use crate::shard::{Shard, TokenSlice};
use crate::with_tokens;
use batch::ShardArrays;
use std::ops::Range;

/// Every shard's arrays, typed by the index's token width.
pub enum Arrays<'a> {
    /// Byte tokens.
    U8(Vec<ShardArrays<'a, u8>>),
    /// 16-bit tokens.
    U16(Vec<ShardArrays<'a, u16>>),
    /// 32-bit tokens.
    U32(Vec<ShardArrays<'a, u32>>),
}

impl<'a> Arrays<'a> {
    /// The typed arrays of `shards` (all of one token width).
    pub fn of(shards: &'a [Shard]) -> Arrays<'a> {
        macro_rules! typed {
            ($variant:ident) => {
                Arrays::$variant(
                    shards
                        .iter()
                        .map(|s| ShardArrays {
                            tokens: match s.tokens() {
                                TokenSlice::$variant(t) => t,
                                _ => unreachable!("every shard of an index has the index's width"),
                            },
                            sa: s.suffix_array(),
                            first: s.first_token_table(),
                        })
                        .collect(),
                )
            };
        }
        match shards.first().map(|s| s.tokens()) {
            Some(TokenSlice::U8(_)) | None => typed!(U8),
            Some(TokenSlice::U16(_)) => typed!(U16),
            Some(TokenSlice::U32(_)) => typed!(U32),
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
        }
    };
}

/// Occurrences of `query` in `shard`, starting from the block of its first token.
pub fn shard_find(shard: &Shard, query: &[u32]) -> Range<usize> {
    let sa = shard.suffix_array();
    match query.first() {
        None => 0..sa.len(),
        Some(&t) => {
            let block = shard.first_token_range(t);
            if block.is_empty() {
                return block.start..block.start;
            }
            with_tokens!(shard.tokens(), |tok| find_in(tok, sa, query, block, 1))
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
    let sa = shard.suffix_array();
    with_tokens!(shard.tokens(), |tok| lower_bound_in(
        tok, sa, query, block, 1
    )
    .longest_match)
}
