//! Test fixtures for the lockstep searches: shards with suffix arrays sorted naively, in
//! verbatim's layout and in infini-gram's.

use super::batch::ShardArrays;
use super::samples::{build_keys, SuffixSamples};
use super::suffix_array::{BytePointers, FirstTokenTable, SuffixArray};
use crate::token::{BytewiseU16, Token};

/// The suffix array of `t`, by sorting its suffixes.
pub fn naive_sa<T: Token>(t: &[T]) -> Vec<u32> {
    let mut sa: Vec<u32> = (0..t.len() as u32).collect();
    sa.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
    sa
}

/// The first-token table of `t` over a vocabulary of `vocab` ids.
pub fn first_table<T: Token>(t: &[T], vocab: usize) -> FirstTokenTable {
    let mut counts = vec![0u64; vocab];
    for tok in t {
        if let Some(c) = counts.get_mut(tok.to_u32() as usize) {
            *c += 1;
        }
    }
    FirstTokenTable::from_counts(&counts, T::key_of, T::SEPARATOR.to_u32(), t.len() as u64).0
}

/// Every shard's arrays.
pub fn arrays<'a, T, S: Copy>(
    shards: &'a [Vec<T>],
    sas: &[S],
    firsts: &'a [FirstTokenTable],
) -> Vec<ShardArrays<'a, T, S>> {
    (0..shards.len())
        .map(|i| ShardArrays {
            tokens: &shards[i],
            sa: sas[i],
            first: &firsts[i],
            samples: None,
            // Asking for pages changes no answer: the property tests run the reading-ahead
            // path (a no-op on heap memory) to show it.
            read_ahead: true,
        })
        .collect()
}

/// Every shard's suffix-sample keys at stride `1 << stride_log2`, `key_tokens` per sample.
pub fn sample_keys<T: Token, S: SuffixArray>(
    shards: &[Vec<T>],
    sas: &[S],
    stride_log2: u32,
    key_tokens: usize,
) -> Vec<Vec<T>> {
    shards
        .iter()
        .zip(sas)
        .map(|(t, &sa)| build_keys(t, sa, stride_log2, key_tokens))
        .collect()
}

/// `arrays` with the suffix samples of [`sample_keys`] (same stride and key length).
pub fn with_samples<'a, T: Token, S: SuffixArray>(
    mut arrays: Vec<ShardArrays<'a, T, S>>,
    keys: &'a [Vec<T>],
    stride_log2: u32,
    key_tokens: usize,
) -> Vec<ShardArrays<'a, T, S>> {
    for (a, k) in arrays.iter_mut().zip(keys) {
        a.samples =
            Some(SuffixSamples::new(k, a.sa.len(), stride_log2, key_tokens).expect("keys fit"));
    }
    arrays
}

/// infini-gram's suffix-array tables (3-byte pointers to byte offsets) of 16-bit shards.
pub fn infini_gram_tables(shards: &[Vec<BytewiseU16>]) -> Vec<Vec<u8>> {
    shards
        .iter()
        .map(|t| {
            naive_sa(t)
                .iter()
                .flat_map(|&p| (p as u64 * 2).to_le_bytes()[..3].to_vec())
                .collect()
        })
        .collect()
}

/// The tables of [`infini_gram_tables`] read as suffix arrays.
pub fn byte_pointers<'a>(
    tables: &'a [Vec<u8>],
    shards: &[Vec<BytewiseU16>],
) -> Vec<BytePointers<'a>> {
    tables
        .iter()
        .zip(shards)
        .map(|(b, t)| BytePointers::new(b, 3, 2, t.len()))
        .collect()
}

/// Suffix arrays and first-token tables of shards in verbatim's layout.
pub fn verbatim_layout<T: Token>(
    shards: &[Vec<T>],
    vocab: usize,
) -> (Vec<Vec<u32>>, Vec<FirstTokenTable>) {
    let sas = shards.iter().map(|t| naive_sa(t)).collect();
    let firsts = shards.iter().map(|t| first_table(t, vocab)).collect();
    (sas, firsts)
}

/// The suffix arrays of [`verbatim_layout`] as slices.
pub fn views(sas: &[Vec<u32>]) -> Vec<&[u32]> {
    sas.iter().map(|s| s.as_slice()).collect()
}

/// Shards in infini-gram's layout: the tokens in its order, its suffix-array tables (read
/// them with [`byte_pointers`]) and first-token tables.
pub fn infini_gram_layout(
    shards: Vec<Vec<u16>>,
    vocab: usize,
) -> (Vec<Vec<BytewiseU16>>, Vec<Vec<u8>>, Vec<FirstTokenTable>) {
    let shards: Vec<Vec<BytewiseU16>> = shards
        .into_iter()
        .map(|t| t.into_iter().map(BytewiseU16).collect())
        .collect();
    let tables = infini_gram_tables(&shards);
    let firsts = shards.iter().map(|t| first_table(t, vocab)).collect();
    (shards, tables, firsts)
}
