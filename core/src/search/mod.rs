//! Suffix-array search primitives over a single shard, generic over the token width.

pub mod sa;

pub use sa::{
    compare_suffix, find, find_in, lower_bound, lower_bound_in, next_token_block_end, token_at,
    Bound,
};

use crate::shard::Shard;
use crate::with_tokens;
use std::ops::Range;

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
