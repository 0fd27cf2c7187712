//! Suffix-array search primitives over a single shard, generic over the token width.

pub mod sa;

pub use sa::{compare_suffix, find, lower_bound, next_token_block_end, token_at, Bound};
