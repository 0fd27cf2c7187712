//! n-gram statistics as infini-gram offers them: next-token distribution and the infini-gram
//! (longest matching suffix) probability. Counts follow infini-gram 2.6.0: the empty prompt
//! occurs once per token (separators included), and a document end is reported separately.

use crate::index::Index;
use crate::search::{self, SuffixArray};
use std::collections::BTreeMap;

/// Distribution of the token that follows a prompt in the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct NextTokenDistribution {
    /// Occurrences of the prompt.
    pub prompt_count: u64,
    /// `(token id, continuation count)` in ascending id order.
    pub next: Vec<(u32, u64)>,
    /// Occurrences followed by the end of their document (infini-gram reports these as EOS).
    pub end_of_document: u64,
}

/// The infini-gram probability of a continuation.
#[derive(Debug, Clone, PartialEq)]
pub struct InfGramProb {
    /// Length of the longest suffix of the prompt that occurs in the corpus.
    pub suffix_len: usize,
    /// Occurrences of that suffix.
    pub prompt_count: u64,
    /// Occurrences of that suffix followed by the continuation.
    pub cont_count: u64,
    /// `cont_count / prompt_count` (-1 when the prompt never occurs, as in infini-gram).
    pub prob: f64,
}

impl Index {
    /// Exact next-token distribution after `prompt`. Within the suffix-array range of the
    /// prompt, suffixes are sorted by their next token, so each distinct next token costs one
    /// binary search: no sampling, no approximation, however frequent the prompt.
    pub fn next_token_distribution(&self, prompt: &[u32]) -> NextTokenDistribution {
        let mut counts: BTreeMap<u32, u64> = BTreeMap::new();
        let mut end_of_document = 0u64;
        let mut prompt_count = 0u64;
        let depth = prompt.len();
        for s in self.shards() {
            let range = search::shard_find(s, prompt);
            prompt_count += range.len() as u64;
            crate::with_shard_arrays!(s.arrays(), |a| {
                let (t, sa) = (a.tokens, a.sa);
                let sep = separator_of(t);
                let mut start = range.start;
                while start < range.end {
                    let end = search::next_token_block_end(t, sa, start..range.end, depth);
                    match search::token_at(t, sa.at(start) + depth) {
                        Some(tok) if tok != sep => {
                            *counts.entry(tok).or_default() += (end - start) as u64
                        }
                        _ => end_of_document += (end - start) as u64,
                    }
                    start = end;
                }
            });
        }
        NextTokenDistribution {
            prompt_count,
            next: counts.into_iter().collect(),
            end_of_document,
        }
    }

    /// The infini-gram probability of `cont` after `prompt`: find the longest suffix of the
    /// prompt that occurs in the corpus, then `P = count(suffix + cont) / count(suffix)`.
    pub fn infgram_prob(&self, prompt: &[u32], cont: u32) -> InfGramProb {
        // Occurrence is monotone in the suffix length: binary search the longest suffix.
        let (mut lo, mut hi) = (0usize, prompt.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.count(&prompt[prompt.len() - mid..]) > 0 {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let suffix = &prompt[prompt.len() - lo..];
        let prompt_count = self.count(suffix);
        let mut with_cont = suffix.to_vec();
        with_cont.push(cont);
        let cont_count = self.count(&with_cont);
        InfGramProb {
            suffix_len: lo,
            prompt_count,
            cont_count,
            prob: if prompt_count == 0 {
                -1.0
            } else {
                cont_count as f64 / prompt_count as f64
            },
        }
    }
}

fn separator_of<T: crate::token::Token>(_: &[T]) -> u32 {
    T::SEPARATOR.to_u32()
}
