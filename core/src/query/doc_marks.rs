//! A document's text with the occurrences of given token sequences (a trace's spans) marked.
//!
//! The occurrences are found in the document's tokens, so a mark is a place where the span's
//! tokens are, as the index counted them: never text that only looks the same (` with` inside
//! ` without`, whose token is another), and a span of one character is marked like any other.
//! The text is decoded in runs cut at every mark's edges
//! ([`TextTokenizer::decode_runs_linear`](crate::tokenizer::TextTokenizer::decode_runs_linear)):
//! the runs join into the document's text, a mark holds only characters it holds whole, and a
//! caller masking personal data masks the runs as parts of one text, which keeps the marks in
//! place.

use super::documents::DocumentView;
use crate::index::{DocLocation, Index};
use crate::Result;
use std::collections::HashMap;

/// Most occurrences marked in one document, over all its sequences, first by position.
pub const MAX_MARKS: usize = 1000;

/// A document's text cut into runs at the edges of the marked occurrences.
#[derive(Debug, Clone)]
pub struct MarkedDocument {
    /// The document (its `text` is the runs joined).
    pub view: DocumentView,
    /// The text in runs; every mark starts and ends at a run's edge.
    pub runs: Vec<String>,
    /// The occurrences marked, by position.
    pub marks: Vec<RunMark>,
}

/// One occurrence of a sequence, as runs of a [`MarkedDocument`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMark {
    /// Which of the sequences asked for occurs here.
    pub sequence: usize,
    /// Its first run.
    pub first_run: usize,
    /// One past its last run.
    pub end_run: usize,
}

/// A token range of the document where sequence `sequence` occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Occurrence {
    start: usize,
    end: usize,
    sequence: usize,
}

impl Index {
    /// [`Index::document`] with every occurrence of each of `sequences` (token ids) in the
    /// text returned marked, at most [`MAX_MARKS`] of them, first by position; an empty
    /// sequence marks nothing.
    pub fn document_marked(
        &self,
        loc: DocLocation,
        max_tokens: Option<usize>,
        sequences: &[Vec<u32>],
    ) -> Result<MarkedDocument> {
        let (mut view, ids) = self.document_ids(loc, max_tokens)?;
        let found = occurrences(&ids, sequences, MAX_MARKS);
        let mut cuts: Vec<usize> = found.iter().flat_map(|o| [o.start, o.end]).collect();
        cuts.extend([0, ids.len()]);
        cuts.sort_unstable();
        cuts.dedup();
        let parts: Vec<&[u32]> = cuts.windows(2).map(|w| &ids[w[0]..w[1]]).collect();
        // A run inside a mark shows only characters it holds whole.
        let mut depth = vec![0i32; cuts.len()];
        for o in &found {
            depth[run_at(&cuts, o.start)] += 1;
            depth[run_at(&cuts, o.end)] -= 1;
        }
        let mut open = 0;
        let narrow: Vec<bool> = depth[..parts.len()]
            .iter()
            .map(|d| {
                open += d;
                open > 0
            })
            .collect();
        let runs = self.tokenizer().decode_runs_linear(&parts, &narrow);
        view.text = runs.concat();
        let marks = found
            .iter()
            .map(|o| RunMark {
                sequence: o.sequence,
                first_run: run_at(&cuts, o.start),
                end_run: run_at(&cuts, o.end),
            })
            .collect();
        Ok(MarkedDocument { view, runs, marks })
    }
}

/// The run starting at token `at`, one of `cuts` (the runs' edges).
fn run_at(cuts: &[usize], at: usize) -> usize {
    cuts.binary_search(&at).expect("every mark's edge is a cut")
}

/// Every occurrence of each non-empty sequence in `ids`, by position (then sequence), at most
/// `limit`: one pass over `ids`, each position checked only against the sequences starting with
/// its token.
fn occurrences(ids: &[u32], sequences: &[Vec<u32>], limit: usize) -> Vec<Occurrence> {
    let mut by_first: HashMap<u32, Vec<usize>> = HashMap::new();
    for (k, s) in sequences.iter().enumerate() {
        if let Some(&first) = s.first() {
            by_first.entry(first).or_default().push(k);
        }
    }
    let mut out = Vec::new();
    for (at, id) in ids.iter().enumerate() {
        let Some(candidates) = by_first.get(id) else {
            continue;
        };
        for &k in candidates {
            let s = &sequences[k];
            if ids[at..].starts_with(s) {
                if out.len() == limit {
                    return out;
                }
                out.push(Occurrence {
                    start: at,
                    end: at + s.len(),
                    sequence: k,
                });
            }
        }
    }
    out
}

/// Which of `runs` runs of a marked document lie inside a mark.
pub(crate) fn marked_runs(runs: usize, marks: &[RunMark]) -> Vec<bool> {
    // +1 where a mark starts, -1 where it ends; a run is marked while the sum is positive.
    let mut change = vec![0i64; runs + 1];
    for m in marks {
        change[m.first_run.min(runs)] += 1;
        change[m.end_run.min(runs)] -= 1;
    }
    let mut open = 0i64;
    change[..runs]
        .iter()
        .map(|c| {
            open += c;
            open > 0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Each occurrence a naive scan finds, in order, up to the limit.
    fn naive(ids: &[u32], sequences: &[Vec<u32>], limit: usize) -> Vec<Occurrence> {
        let mut out = Vec::new();
        for start in 0..ids.len() {
            for (k, s) in sequences.iter().enumerate() {
                if !s.is_empty()
                    && start + s.len() <= ids.len()
                    && ids[start..start + s.len()] == s[..]
                {
                    out.push(Occurrence {
                        start,
                        end: start + s.len(),
                        sequence: k,
                    });
                }
            }
        }
        out.truncate(limit);
        out
    }

    proptest! {
        /// Occurrences are found as a naive scan finds them: overlapping ones, one sequence
        /// inside another, a sequence given twice, an empty one, and up to the limit.
        #[test]
        fn occurrences_are_those_of_a_naive_scan(
            ids in proptest::collection::vec(0u32..3, 0..60),
            sequences in proptest::collection::vec(proptest::collection::vec(0u32..3, 0..4), 0..5),
            limit in 0usize..20,
        ) {
            prop_assert_eq!(occurrences(&ids, &sequences, limit), naive(&ids, &sequences, limit));
        }
    }
}
