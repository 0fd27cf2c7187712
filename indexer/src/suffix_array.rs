//! Suffix-array construction with libsais (parallel via OpenMP), for every token width.

use crate::error::{bail, Error, Result};
use libsais::{suffix_array::AlphabetSize, SuffixArrayConstruction, ThreadCount};
use verbatim_core::Token;

/// Builds the suffix array of `tokens` (suffixes in lexicographic order; a suffix that is a
/// prefix of another sorts first), as `u32` positions. `alphabet` bounds every token value for
/// 32-bit streams, where the separator is remapped to `alphabet - 1` in place (so the stream
/// is taken by value: 32-bit tokens need no second copy).
pub fn build<T: Token>(tokens: &mut [T], alphabet: u32, threads: usize) -> Result<Vec<u32>> {
    if tokens.len() > libsais::LIBSAIS_I32_OUTPUT_MAXIMUM_SIZE {
        bail!(
            "shard of {} tokens exceeds the suffix-array limit of 2^31-1",
            tokens.len()
        );
    }
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let threads = ThreadCount::fixed(threads.max(1) as u16);
    let sa: Vec<i32> = match T::WIDTH {
        verbatim_core::TokenWidth::U8 => {
            let t: &[u8] = bytemuck::cast_slice(tokens);
            SuffixArrayConstruction::for_text(t)
                .in_owned_buffer32()
                .multi_threaded(threads)
                .run()
                .map_err(|e| Error::Failed(format!("libsais failed: {e:?}")))?
                .into_vec()
        }
        verbatim_core::TokenWidth::U16 => {
            let t: &[u16] = bytemuck::cast_slice(tokens);
            SuffixArrayConstruction::for_text(t)
                .in_owned_buffer32()
                .multi_threaded(threads)
                .run()
                .map_err(|e| Error::Failed(format!("libsais failed: {e:?}")))?
                .into_vec()
        }
        verbatim_core::TokenWidth::U32 => build_u32(tokens, alphabet, threads)?,
    };
    Ok(bytemuck::cast_vec(sa))
}

/// libsais for 32-bit tokens: it sorts non-negative i32 texts over a dense alphabet, so the
/// separator (u32::MAX) is mapped to the top of the alphabet, which keeps the order, and mapped
/// back afterwards (libsais restores the text it sorted), so the caller keeps its tokens.
#[allow(unsafe_code)]
fn build_u32<T: Token>(tokens: &mut [T], alphabet: u32, threads: ThreadCount) -> Result<Vec<i32>> {
    let sep_dense = alphabet - 1;
    let words: &mut [u32] = bytemuck::try_cast_slice_mut(tokens)
        .map_err(|e| Error::Failed(format!("32-bit token stream expected: {e}")))?;
    let remap = |words: &mut [u32], from: u32, to: u32| {
        for v in words.iter_mut().filter(|v| **v == from) {
            *v = to;
        }
    };
    if words.iter().any(|&v| v != u32::MAX && v >= sep_dense) {
        bail!("token id outside the alphabet of {alphabet}");
    }
    remap(words, u32::MAX, sep_dense);
    let text: &mut [i32] = bytemuck::cast_slice_mut(words);
    let c = SuffixArrayConstruction::for_text_mut(text)
        .in_owned_buffer()
        .multi_threaded(threads);
    // SAFETY: every value of the text was checked just above to lie in 0..alphabet (ids below
    // `sep_dense`, separators mapped to it); libsais reads out of bounds only if a value is
    // negative or not below the alphabet size.
    let c = unsafe { c.with_alphabet_size(AlphabetSize::new(alphabet as i32)) };
    let sa = c
        .run()
        .map_err(|e| Error::Failed(format!("libsais failed: {e:?}")))?
        .into_vec();
    remap(bytemuck::cast_slice_mut(text), sep_dense, u32::MAX);
    Ok(sa)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_sort() {
        let t: Vec<u16> = vec![u16::MAX, 3, 1, 3, 1, 2, u16::MAX, 3, 1];
        let sa = build(&mut t.clone(), 0, 1).unwrap();
        let mut naive: Vec<u32> = (0..t.len() as u32).collect();
        naive.sort_by(|&a, &b| t[a as usize..].cmp(&t[b as usize..]));
        assert_eq!(sa, naive);
        let t32: Vec<u32> = t
            .iter()
            .map(|&x| if x == u16::MAX { u32::MAX } else { x as u32 })
            .collect();
        let mut sorted = t32.clone();
        assert_eq!(build(&mut sorted, 5, 1).unwrap(), naive);
        assert_eq!(sorted, t32, "the tokens are given back as they were");
    }
}
