//! Longest matching prefixes of a text's suffixes (infini-gram's `creativity`), searching only
//! the start positions whose answer is not already pinned down by their neighbours'.
//!
//! For start `l`, `m(l)` is the length of the longest prefix of `ids[l..]` occurring in the
//! corpus, and `end(l) = l + m(l)`. If `ids[l..l + m]` occurs, so does `ids[l + 1..l + m]`,
//! so `end` never decreases along the text. Hence when two starts `a < b` have the same end,
//! every start between them has that end too, and its length is `end - l` with no search.
//! Inside a passage copied from the corpus, most starts share the end of the copy.
//!
//! The starts are searched coarse to fine: every [`STRIDE`]-th start (and the last) first,
//! then, between two searched starts with different ends, the one halfway, until every start
//! is searched or pinned. Each round's searches run in parallel chunks whose searches (every
//! shard's) run in lockstep. A text whose ends all differ costs as many searches as before,
//! in `log2 STRIDE + 1` rounds instead of one.

use crate::index::Index;
use crate::search::batch::Landing;
use rayon::prelude::*;

/// Start positions whose searches run in lockstep (memory accesses overlapping), per chunk
/// of the parallel loop, for an index in memory; read from disk, each thread runs its share
/// of a round in one lockstep batch ([`Index::lockstep_positions`]).
const LOCKSTEP_POSITIONS: usize = 16;

/// Whether start `i` (an index into the starts) gives its caller the same answer for every
/// end in `lo..=hi`.
pub(crate) type SameOutcome<'a> = &'a (dyn Fn(usize, usize, usize) -> bool + Sync);

/// Distance, in starts, between the starts searched in the first round.
const STRIDE: usize = 8;

/// Longest matches of a text's starts, and where each search landed.
pub(crate) struct LongestMatches {
    /// `m(l)` of each start.
    pub lengths: Vec<usize>,
    /// Where the search of each start landed in each shard (`[start index x shards +
    /// shard]`); all `None` for a start whose length was pinned without a search.
    pub landings: Vec<Option<Landing>>,
    /// Whether each start was searched (its landings are known).
    pub searched: Vec<bool>,
}

impl Index {
    /// Longest matching prefix length of `ids[l..]` for every `l` (infini-gram's `creativity`,
    /// as lengths).
    pub fn longest_matches(&self, ids: &[u32]) -> Vec<usize> {
        let starts: Vec<usize> = (0..ids.len()).collect();
        self.longest_matches_at(ids, &starts)
    }

    /// Longest matching prefix length of `ids[l..]` for every `l` in `starts`.
    pub fn longest_matches_at(&self, ids: &[u32], starts: &[usize]) -> Vec<usize> {
        self.longest_matches_pinned(ids, starts, None).lengths
    }

    /// The longest matches of `starts` (see the module documentation); starts not in
    /// increasing order are all searched. With `same`, a caller that needs less than the
    /// exact length also lets starts be pinned when `same(i, lo, hi)` holds for each start `i`
    /// between two searched ones: any end of start `i` in `lo..=hi` gives the caller the
    /// same answer. Such a start gets the length of end `lo`, which may be shorter than its
    /// longest match.
    pub(crate) fn longest_matches_pinned(
        &self,
        ids: &[u32],
        starts: &[usize],
        same: Option<SameOutcome<'_>>,
    ) -> LongestMatches {
        let n = starts.len();
        let ns = self.shards().len();
        let mut out = LongestMatches {
            lengths: vec![0; n],
            landings: vec![None; n * ns],
            searched: vec![false; n],
        };
        let increasing = starts.windows(2).all(|w| w[0] < w[1]);
        let mut todo: Vec<usize> = if increasing {
            let mut t: Vec<usize> = (0..n).step_by(STRIDE).collect();
            if n > 0 && t.last() != Some(&(n - 1)) {
                t.push(n - 1);
            }
            t
        } else {
            (0..n).collect()
        };
        let mut known = vec![false; n];
        while !todo.is_empty() {
            self.search_starts(ids, starts, &todo, &mut out);
            for &i in &todo {
                known[i] = true;
            }
            todo = if increasing {
                next_round(starts, &mut out.lengths, &mut known, same)
            } else {
                Vec::new()
            };
        }
        out
    }

    /// Searches starts `which` (indices into `starts`) in parallel chunks, each chunk's
    /// searches in lockstep, recording their lengths and landings in `out`. Used for the
    /// rounds above, and to find where the search of a start whose length was pinned lands.
    pub(crate) fn search_starts(
        &self,
        ids: &[u32],
        starts: &[usize],
        which: &[usize],
        out: &mut LongestMatches,
    ) {
        let ns = self.shards().len();
        let found: Vec<(Vec<usize>, Vec<Option<Landing>>)> = which
            .par_chunks(chunk_len(which.len(), self.lockstep_positions(which.len())))
            .map(|chunk| {
                let queries: Vec<&[u32]> = chunk.iter().map(|&i| &ids[starts[i]..]).collect();
                self.longest_prefix_matches_landing(&queries)
            })
            .collect();
        let mut at = which.iter();
        for (lengths, landings) in found {
            for (k, len) in lengths.into_iter().enumerate() {
                let s = *at.next().expect("one length per start");
                out.lengths[s] = len;
                out.searched[s] = true;
                out.landings[s * ns..(s + 1) * ns].copy_from_slice(&landings[k * ns..(k + 1) * ns]);
            }
        }
    }
}

impl Index {
    /// How many of `n` start positions (or spans) to search in one lockstep batch: 16 for an
    /// index in memory, where that many cache misses overlap; for one read from disk, each
    /// thread's share of all `n`, so that as many page reads as possible are in flight
    /// together (a disk answers tens of reads at once about as fast as one).
    pub(crate) fn lockstep_positions(&self, n: usize) -> usize {
        if self.reads_ahead() {
            n.div_ceil(rayon::current_num_threads().max(1)).max(1)
        } else {
            LOCKSTEP_POSITIONS
        }
    }
}

/// Starts per parallel chunk when `n` are searched: at most `lockstep`, and as many chunks as
/// a multiple of the threads, so that a small round still keeps every thread busy.
fn chunk_len(n: usize, lockstep: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let chunks = n.div_ceil(lockstep.max(1)).div_ceil(threads) * threads;
    n.div_ceil(chunks.max(1)).max(1)
}

/// Between consecutive known starts (searched or pinned): pins the starts between two of
/// equal end, and returns the start halfway between two of different ends (the next round's
/// searches).
fn next_round(
    starts: &[usize],
    lengths: &mut [usize],
    known: &mut [bool],
    same: Option<SameOutcome<'_>>,
) -> Vec<usize> {
    let at: Vec<usize> = (0..starts.len()).filter(|&i| known[i]).collect();
    let mut todo = Vec::new();
    for w in at.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b - a < 2 {
            continue;
        }
        let (end, end_b) = (starts[a] + lengths[a], starts[b] + lengths[b]);
        // Every start between has an end in end..=end_b (at least its own position).
        let pinned = end == end_b
            || same.is_some_and(|f| (a + 1..b).all(|i| f(i, end.max(starts[i]), end_b)));
        if pinned {
            for i in a + 1..b {
                lengths[i] = end.max(starts[i]) - starts[i];
                known[i] = true;
            }
        } else {
            todo.push(a + (b - a) / 2);
        }
    }
    todo
}
