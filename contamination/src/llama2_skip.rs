//! Llama 2's skip budget: an exact match extended by walking the item and a corpus document in
//! step, allowing a few mismatching positions.
//!
//! The walks of one item share their comparisons. A walk compares item position `i` with
//! corpus position `i + d` of one document, for the diagonal `d` its occurrence sets; the
//! walks of later starts along the same diagonal compare the same pairs again. So each
//! diagonal of each document keeps the item positions where it disagrees, as far as some walk
//! compared them, and a walk reads its stop from them, comparing only past the furthest
//! position compared so far. An item copied from the corpus then costs time linear in its
//! length instead of quadratic; the answers are the same as walking every time.

use crate::method::LLAMA2_MIN_LEN;
use std::collections::HashMap;
use verbatim_core::query::Occurrence;
use verbatim_core::Index;

/// A walk compares this many tokens before its diagonal is remembered (most stop sooner).
const SHORT_WALK: usize = 64;
/// At most this many tokens are read at a time as a walk goes past what its diagonal has
/// compared (the reads double from `SHORT_WALK`).
const MAX_CHUNK: usize = 4096;

/// One diagonal of one document: item position `i` against corpus position `i + d`.
struct Diagonal {
    /// The item position where the document (or the item) ends on this diagonal.
    limit: usize,
    /// Positions up to here (exclusive) have been compared, from the first walk's start on.
    compared: usize,
    /// The item positions below `compared` where the item and the document disagree,
    /// ascending.
    mismatches: Vec<usize>,
}

/// An item's tokens and the index its walks read.
struct Walked<'a> {
    index: &'a Index,
    ids: &'a [u32],
    /// A token standing for any text the vocabulary cannot spell: it agrees with nothing.
    unknown: Option<u32>,
}

impl Walked<'_> {
    /// Compares item positions `range` with the corpus of `shard` on diagonal `d`, adding
    /// each disagreeing position to `mismatches`, and stops early once it holds more than
    /// `enough`; returns the position compared up to (exclusive).
    fn compare(
        &self,
        shard: usize,
        d: isize,
        range: std::ops::Range<usize>,
        mismatches: &mut Vec<usize>,
        enough: usize,
    ) -> usize {
        let at = (range.start as isize + d) as usize;
        let corpus = self.index.shards()[shard]
            .tokens()
            .to_u32(at..at + range.len());
        for (i, t) in range.clone().zip(corpus) {
            if t != self.ids[i] || Some(t) == self.unknown {
                mismatches.push(i);
                if mismatches.len() > enough {
                    return i + 1;
                }
            }
        }
        range.end
    }
}

/// The skip-budget walks of one item.
pub(crate) struct SkipWalks<'a> {
    item: Walked<'a>,
    skip: usize,
    /// Per (shard, document, corpus position minus item position).
    diagonals: HashMap<(usize, usize, isize), Diagonal>,
}

impl<'a> SkipWalks<'a> {
    /// The walks of item `ids` with `skip` mismatching positions allowed per match.
    pub(crate) fn new(index: &'a Index, ids: &'a [u32], skip: usize) -> SkipWalks<'a> {
        SkipWalks {
            item: Walked {
                index,
                ids,
                unknown: index.tokenizer().unknown_id(),
            },
            skip,
            diagonals: HashMap::new(),
        }
    }

    /// The end of the walk from item start `l` along occurrence `o` of `ids[l..l + seed]`
    /// (which agrees there): past `l + seed`, item and document are compared until the
    /// `skip + 1`-th mismatch, the end of the document or the end of the item, and the match
    /// ends at its last agreeing position (no trailing mismatches), or at `l + seed` when
    /// nothing past the seed agrees. `None` when the document or the item ends within the
    /// seed.
    ///
    /// Starts must be walked in ascending order: a diagonal's comparisons begin at the first
    /// walk's start, and a later start on it lies past that point, in agreeing positions or
    /// compared ones.
    pub(crate) fn walk(&mut self, l: usize, seed: usize, o: &Occurrence) -> Option<usize> {
        let n = self.item.ids.len();
        let shard = &self.item.index.shards()[o.shard];
        let doc_end = shard.doc_range(o.loc.local).end;
        let avail = doc_end.saturating_sub(o.pos).min(n - l);
        if avail <= seed {
            return None;
        }
        let d = o.pos as isize - l as isize;
        let a = l + seed;
        let limit = l + avail;
        let key = (o.shard, o.loc.local, d);
        if !self.diagonals.contains_key(&key) {
            // Most walks stop within a few tokens: those walk once, without an entry.
            let mut mismatches = Vec::new();
            let to = (a + SHORT_WALK).min(limit);
            let compared = self
                .item
                .compare(o.shard, d, a..to, &mut mismatches, self.skip);
            if mismatches.len() > self.skip || compared == limit {
                let stop = mismatches.get(self.skip).copied().unwrap_or(limit);
                return Some(last_agreeing(&mismatches, 0, a, stop));
            }
            self.prune(l);
            self.diagonals.insert(
                key,
                Diagonal {
                    limit,
                    compared,
                    mismatches,
                },
            );
        }
        let diag = self.diagonals.get_mut(&key).expect("inserted above");
        debug_assert_eq!(diag.limit, limit, "one diagonal of one document ends once");
        // Mismatches at or after `a` already known; compare further while fewer than
        // `skip + 1` of them are.
        let first = diag.mismatches.partition_point(|&i| i < a);
        let enough = first.saturating_add(self.skip);
        let mut chunk = SHORT_WALK;
        while diag.mismatches.len() <= enough && diag.compared < diag.limit {
            let from = diag.compared.max(a);
            let to = (from + chunk).min(diag.limit);
            diag.compared = self
                .item
                .compare(o.shard, d, from..to, &mut diag.mismatches, enough);
            chunk = (chunk * 2).min(MAX_CHUNK);
        }
        // The walk stops at the `skip + 1`-th mismatch from `a`, else where the diagonal ends.
        let stop = diag.mismatches.get(enough).copied().unwrap_or(diag.limit);
        Some(last_agreeing(&diag.mismatches, first, a, stop))
    }

    /// Forgets the diagonals no walk from start `l` on can use: compared only before `l`
    /// (every later walk begins at or after its start). Done once per 4,096 entries.
    fn prune(&mut self, l: usize) {
        if self.diagonals.len() % 4096 == 4095 {
            self.diagonals.retain(|_, g| g.compared > l);
        }
    }
}

/// The end of a walk from `a` stopping at `stop`: one past its last agreeing position, or
/// `a` when none agrees. `mismatches[first..]` holds the mismatches from `a` on, ascending.
fn last_agreeing(mismatches: &[usize], first: usize, a: usize, stop: usize) -> usize {
    let mut end = stop;
    let mut k = first + mismatches[first..].partition_point(|&i| i < stop);
    while end > a && k > first && mismatches[k - 1] == end - 1 {
        end -= 1;
        k -= 1;
    }
    end
}

/// Walks are tried along at most this many occurrences of each seed.
const MAX_OCC: usize = 64;

/// The skip-budget extension of the exact match `ids[l..l + exact]` (exact >= 10): along the
/// occurrences of the match and of its first 10 tokens (each: all of them, or `MAX_OCC`
/// sampled ones when there are more, in the layout-independent sampling order of `seed`; a
/// chain may start wherever those 10 agree, and one from a shorter exact match can reach
/// further), the furthest walk's end and the corpus position (shard, position) it started
/// from; `(l + exact, None)` when no walk gets past the exact match.
pub(crate) fn extend(
    walks: &mut SkipWalks<'_>,
    l: usize,
    exact: usize,
    seed: u64,
) -> (usize, Option<(usize, usize)>) {
    let n = walks.item.ids.len();
    let mut best = (l + exact, None);
    let seeds = if exact > LLAMA2_MIN_LEN {
        vec![exact, LLAMA2_MIN_LEN]
    } else {
        vec![exact]
    };
    for len in seeds {
        let occ = walks.item.index.find(&walks.item.ids[l..l + len]);
        for o in walks.item.index.sample_occurrences(&occ, seed, MAX_OCC) {
            let Some(end) = walks.walk(l, len, &o) else {
                continue;
            };
            if end > best.0 {
                best = (end, Some((o.shard, o.pos)));
                if end == n {
                    return best;
                }
            }
        }
    }
    best
}
