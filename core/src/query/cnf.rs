//! CNF queries: where the corpus holds `a AND (b OR c)`, with n-grams as terms.
//!
//! A query is a list of clauses joined by AND; a clause is a list of terms (token sequences)
//! joined by OR. The definitions are infini-gram's (`find_cnf` in its `cpp_engine.h`), so the
//! answers equal its engine's on the same index:
//!
//! 1. Each clause's occurrences are the union of its terms' occurrences (suffix-array ranges).
//!    When a clause occurs more than `max_clause_freq` times (split evenly over the shards,
//!    rounded up), each of its terms keeps a random contiguous window of its suffix-array range,
//!    sized in proportion: the answer is then approximate (`approx`), scaled up by the ratio
//!    of all to kept occurrences. Under infini-gram's rules ([`CnfRules::InfiniGram`]) the
//!    ratio is an integer and `approx` is set only when it is not 1, as its engine does (a
//!    clause of 79,326 occurrences sampled to 50,000 counts 50,000, said to be exact). The
//!    windows are drawn as infini-gram draws them (`std::mt19937` seeded 19260817 per clause
//!    and shard, libstdc++'s uniform distribution; module `cpp_random`), so on an infini-gram index the sample, and
//!    the approximate count, are infini-gram's too. On a verbatim index the suffix array orders
//!    the same occurrences differently, so a sampled answer may differ.
//! 2. Per shard, the rarest clause's occurrences start one range each `[p, p]` (rarest in
//!    the whole index, or in that shard as infini-gram takes it: [`CnfRules`]); each other
//!    clause (from rarer to more frequent) extends every range to its nearest occurrence on
//!    the left and on the right (the last one before the range's end, the first one from its
//!    start): a range survives extended both ways when both lie within `max_diff_tokens`
//!    tokens, or as one range per side that does (so a range can split in two).
//! 3. Ranges holding a document separator between their first and last occurrence are dropped.
//!
//! The count is the number of surviving ranges (times the scale factor): occurrences of the
//! conjunction, not documents; a document can hold several.

use super::cpp_random::Mt19937;
use crate::index::Index;
use crate::search::SuffixArray;
use crate::token::Token;
use std::ops::Range;

/// infini-gram's default `max_clause_freq`.
pub const DEFAULT_MAX_CLAUSE_FREQ: u64 = 50_000;
/// infini-gram's default `max_diff_tokens`.
pub const DEFAULT_MAX_DIFF_TOKENS: u64 = 100;

/// A CNF query: clauses (AND) of terms (OR) of token ids.
pub type Cnf = Vec<Vec<Vec<u32>>>;

/// Where step 2 differs from infini-gram's engine, whose count depends on how the corpus is
/// sharded: it takes each shard's rarest clause (each of its occurrences gives zero, one or
/// two ranges), and a range reaches for the nearest occurrence even in the next document,
/// which then drops it in step 3, though it may have been satisfied on its other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CnfRules {
    /// The rarest clause of the whole index, the same in every shard, and a range grows only
    /// to occurrences in its own document (verbatim's API): an exact answer does not depend
    /// on the sharding (a sampled one does: each shard keeps its share of `max_clause_freq`).
    #[default]
    Documents,
    /// infini-gram's engine's (its API, answering as it does on the same shards).
    InfiniGram,
}

/// How a CNF query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CnfOptions {
    /// Clauses occurring more often than this are sampled (the answer is then approximate).
    pub max_clause_freq: u64,
    /// The occurrences of all clauses lie within this many tokens of each other.
    pub max_diff_tokens: u64,
    /// verbatim's rules or infini-gram's.
    pub rules: CnfRules,
}

impl Default for CnfOptions {
    fn default() -> Self {
        CnfOptions {
            max_clause_freq: DEFAULT_MAX_CLAUSE_FREQ,
            max_diff_tokens: DEFAULT_MAX_DIFF_TOKENS,
            rules: CnfRules::default(),
        }
    }
}

/// Where a CNF query is satisfied.
#[derive(Debug, Clone, PartialEq)]
pub struct CnfMatches {
    /// Occurrences of the conjunction (scaled up when sampled), infini-gram's `cnt`.
    pub count: u64,
    /// Whether a clause was sampled. Under [`CnfRules::InfiniGram`], as infini-gram's engine
    /// says it: only when the integer scale factor is not 1 (a clause of 79,326 occurrences
    /// sampled to 50,000 counts 50,000, exact).
    pub approx: bool,
    /// Per shard, the token ranges `[first occurrence, start of the last clause's occurrence]`
    /// that satisfy every clause, in infini-gram's order. Empty (no shards at all) when a
    /// clause does not occur, as infini-gram answers.
    pub ranges_by_shard: Vec<Vec<(u64, u64)>>,
}

/// One clause's occurrences in one shard: each term's suffix-array range (a window of it when
/// sampled), the count before sampling, the scale factor, and whether it was sampled.
struct ClauseInShard {
    segments: Vec<Range<usize>>,
    count: u64,
    factor: f64,
    sampled: bool,
}

impl Index {
    /// Finds a CNF query (see the module documentation). An empty query or clause, or an
    /// empty term, matches nothing.
    pub fn find_cnf(&self, cnf: &[Vec<Vec<u32>>], opts: CnfOptions) -> CnfMatches {
        let none = CnfMatches {
            count: 0,
            approx: false,
            ranges_by_shard: Vec::new(),
        };
        if cnf.is_empty()
            || cnf
                .iter()
                .any(|c| c.is_empty() || c.iter().any(|t| t.is_empty()))
        {
            return none;
        }
        let shards = self.shards().len() as u64;
        let per_shard = opts.max_clause_freq.div_ceil(shards.max(1));
        // clauses[c][s]
        let clauses: Vec<Vec<ClauseInShard>> = cnf
            .iter()
            .map(|terms| self.clause(terms, per_shard, opts.rules))
            .collect();
        if clauses
            .iter()
            .any(|c| c.iter().map(|s| s.count).sum::<u64>() == 0)
        {
            return none;
        }
        let mut count = 0u64;
        // Under verbatim's rules: the shards' scaled counts, rounded once at the end.
        let mut scaled = 0f64;
        let mut approx = false;
        let mut ranges_by_shard = Vec::with_capacity(self.shards().len());
        // Rarer clauses first (a stable sort, as infini-gram's sort of a few clauses is).
        let ordered = |count: &dyn Fn(usize) -> u64| {
            let mut order: Vec<usize> = (0..clauses.len()).collect();
            order.sort_by_key(|&c| count(c));
            order
        };
        let in_index = ordered(&|c| clauses[c].iter().map(|s| s.count).sum());
        let own_document = opts.rules == CnfRules::Documents;
        for s in 0..self.shards().len() {
            let in_shard;
            let order = match opts.rules {
                CnfRules::Documents => &in_index,
                CnfRules::InfiniGram => {
                    in_shard = ordered(&|c| clauses[c][s].count);
                    &in_shard
                }
            };
            let (ranges, factor, sampled) =
                self.cnf_in_shard(s, &clauses, order, opts.max_diff_tokens, own_document);
            match opts.rules {
                // Scaled by the real ratio, and approximate whenever a clause was sampled.
                CnfRules::Documents => {
                    scaled += ranges.len() as f64 * factor;
                    approx |= sampled;
                }
                // As infini-gram's C++ computes it: converted as x86-64 converts, summed
                // modulo 2^64.
                CnfRules::InfiniGram => {
                    let in_shard = ranges.len() as f64 * factor;
                    count = count.wrapping_add(super::cpp_random::x86_64_double_to_u64(in_shard));
                    approx |= factor != 1.0;
                }
            }
            ranges_by_shard.push(ranges);
        }
        if opts.rules == CnfRules::Documents {
            count = scaled.round() as u64;
        }
        CnfMatches {
            count,
            approx,
            ranges_by_shard,
        }
    }

    /// A clause's occurrences in every shard, sampled to `per_shard` as infini-gram does; the
    /// scale factor is all over kept occurrences, as an integer under infini-gram's rules.
    fn clause(&self, terms: &[Vec<u32>], per_shard: u64, rules: CnfRules) -> Vec<ClauseInShard> {
        let finds: Vec<Vec<Range<usize>>> = terms.iter().map(|t| self.find(t).ranges).collect();
        (0..self.shards().len())
            .map(|s| {
                let segments: Vec<Range<usize>> = finds.iter().map(|f| f[s].clone()).collect();
                let count: u64 = segments.iter().map(|r| r.len() as u64).sum();
                if count <= per_shard {
                    return ClauseInShard {
                        segments,
                        count,
                        factor: 1.0,
                        sampled: false,
                    };
                }
                let mut gen = Mt19937::new(19_260_817);
                let mut kept = 0u64;
                let segments = segments
                    .iter()
                    .map(|r| {
                        let len = r.len() as u64;
                        let new_len = len.wrapping_mul(per_shard).div_ceil(count);
                        let start = r.start as u64 + gen.uniform_u64(0, len - new_len);
                        kept += new_len;
                        start as usize..(start + new_len) as usize
                    })
                    .collect();
                let factor = match rules {
                    CnfRules::Documents => count as f64 / kept.max(1) as f64,
                    // infini-gram divides the counts as integers.
                    CnfRules::InfiniGram => (count / kept.max(1)) as f64,
                };
                ClauseInShard {
                    segments,
                    count,
                    factor,
                    sampled: true,
                }
            })
            .collect()
    }

    /// Token positions of a clause's (sampled) occurrences in shard `s`, in suffix-array order.
    fn positions(&self, s: usize, segments: &[Range<usize>]) -> Vec<u64> {
        crate::with_shard_arrays!(self.shards()[s].arrays(), |a| {
            segments
                .iter()
                .flat_map(|r| r.clone().map(|rank| a.sa.at(rank) as u64))
                .collect()
        })
    }

    /// The ranges of shard `s` satisfying every clause, taken in `order`, the shard's scale
    /// factor, and whether a clause was sampled there. With `own_document`, a range does not
    /// grow to an occurrence past a document separator.
    fn cnf_in_shard(
        &self,
        s: usize,
        clauses: &[Vec<ClauseInShard>],
        order: &[usize],
        max_diff: u64,
        own_document: bool,
    ) -> (Vec<(u64, u64)>, f64, bool) {
        let shard = &self.shards()[s];
        let crosses = |a: u64, b: u64| {
            own_document
                && crate::with_tokens!(shard.tokens(), |t| has_separator(t, a as usize, b as usize))
        };
        let first = &clauses[order[0]][s];
        let mut ranges: Vec<(u64, u64)> = self
            .positions(s, &first.segments)
            .into_iter()
            .map(|p| (p, p))
            .collect();
        let mut factor = first.factor;
        let mut sampled = first.sampled;
        for &c in &order[1..] {
            let clause = &clauses[c][s];
            let mut ptrs = self.positions(s, &clause.segments);
            ptrs.sort_unstable();
            let mut next = Vec::with_capacity(ranges.len());
            for &(l, r) in &ranges {
                // The last occurrence before r, and the first at or after l.
                let lo = ptrs.partition_point(|&p| p < r).checked_sub(1);
                let hi = ptrs.partition_point(|&p| p < l);
                let new_l = lo.map(|i| l.min(ptrs[i]));
                let new_r = ptrs.get(hi).map(|&p| r.max(p));
                let left_ok = new_l.is_some_and(|nl| nl + max_diff >= l && !crosses(nl, l));
                let right_ok = new_r.is_some_and(|nr| nr <= r + max_diff && !crosses(r, nr));
                match (new_l, new_r) {
                    (Some(nl), Some(nr)) if left_ok && right_ok => next.push((nl, nr)),
                    _ => {
                        if left_ok {
                            next.push((new_l.expect("checked"), r));
                        }
                        if right_ok {
                            next.push((l, new_r.expect("checked")));
                        }
                    }
                }
            }
            ranges = next;
            factor *= clause.factor;
            sampled |= clause.sampled;
        }
        crate::with_tokens!(shard.tokens(), |t| {
            ranges.retain(|&(l, r)| !has_separator(t, l as usize, r as usize));
        });
        (ranges, factor, sampled)
    }

    /// Up to `k` distinct documents holding a match of `m`, in shard and range order, with the
    /// first range found in each.
    pub fn cnf_documents(
        &self,
        m: &CnfMatches,
        k: usize,
    ) -> Vec<(crate::index::DocLocation, (u64, u64))> {
        let mut out: Vec<(crate::index::DocLocation, (u64, u64))> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (s, ranges) in m.ranges_by_shard.iter().enumerate() {
            for &(l, r) in ranges {
                let loc = self.locate_position(s, l as usize);
                if self.is_taken_down(loc.doc_no) || !seen.insert(loc.doc_no) {
                    continue;
                }
                out.push((loc, (l, r)));
                if out.len() == k {
                    return out;
                }
            }
        }
        out
    }

    /// Number of distinct documents holding a match of `m`.
    pub fn cnf_document_count(&self, m: &CnfMatches) -> u64 {
        let mut docs = std::collections::HashSet::new();
        for (s, ranges) in m.ranges_by_shard.iter().enumerate() {
            for &(l, _) in ranges {
                docs.insert(self.locate_position(s, l as usize).doc_no);
            }
        }
        docs.len() as u64
    }
}

/// Whether a separator token lies at a position in `l..r`.
fn has_separator<T: Token>(t: &[T], l: usize, r: usize) -> bool {
    let end = r.min(t.len());
    t.get(l.min(end)..end)
        .is_some_and(|w| w.contains(&T::SEPARATOR))
}

/// Parses infini-gram's CNF syntax: clauses separated by ` AND `, terms by ` OR ` (OR binds
/// tighter than AND, as infini-gram reads it). A query without either is one term.
pub fn parse_query(query: &str) -> Vec<Vec<String>> {
    query
        .split(" AND ")
        .map(|c| c.split(" OR ").map(str::to_string).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnf_syntax_or_binds_tighter() {
        assert_eq!(
            parse_query("a b AND c OR d"),
            vec![vec!["a b".to_string()], vec!["c".into(), "d".into()]]
        );
        assert_eq!(parse_query("x"), vec![vec!["x".to_string()]]);
    }
}
