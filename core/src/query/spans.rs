//! Maximal matching spans of a text, by OLMoTrace's rules (infini-gram's `attribute`).
//!
//! For every start position `l` (a word start when word boundaries are enforced):
//! 1. `L` = the longest prefix of `ids[l..]` occurring anywhere in the corpus: one lower-bound
//!    search per shard, whose two neighbouring suffixes give the longest common prefix, or no
//!    search where neighbouring starts pin it down (`query/longest.rs`);
//! 2. the span is cut after its first delimiter token (it may end with one, never contain one);
//! 3. with word boundaries, it is shortened until the token after it begins a word (or the
//!    input ends);
//! 4. spans shorter than `min_len`, or occurring more than `max_count` times, are dropped;
//! 5. walking by start position, a span is kept only if it ends after every span kept before
//!    it (so no kept span lies inside another).
//!
//! The occurrences of a candidate are found from where its start's search in step 1 landed in
//! each shard (see [`crate::search::expand`]): a shard without the span costs nothing, one with
//! `c` occurrences about `2 log2 c` suffix reads per boundary.
//!
//! The result equals infini-gram 2.6.0's `attribute()` except where that engine's search
//! inspects no neighbour at suffix-array rank 0 (an unsigned underflow) and reports no match;
//! verbatim reports the true longest match there.

use crate::index::Index;
use crate::query::count::Occurrences;
use crate::search::batch::Landing;
use crate::tokenizer::Encoded;
use rayon::prelude::*;

/// How spans are found.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanOptions {
    /// Token ids a span may end with but not contain (default: the ids of `.` and newline).
    pub delimiters: Vec<u32>,
    /// Spans start at a word start and the token after them starts a word.
    pub word_boundaries: bool,
    /// Shortest span kept, in tokens.
    pub min_len: usize,
    /// Spans occurring more than this many times are dropped.
    pub max_count: Option<u64>,
}

impl SpanOptions {
    /// OLMoTrace's defaults for an index: delimiters `.` and `\n`, word boundaries, spans of
    /// at least one token, no count limit.
    pub fn defaults_for(index: &Index) -> SpanOptions {
        let tok = index.tokenizer();
        let delimiters = [".", "\n"]
            .iter()
            .filter_map(|d| tok.single_token(d))
            .collect();
        SpanOptions {
            delimiters,
            word_boundaries: true,
            min_len: 1,
            max_count: None,
        }
    }
}

/// One maximal matching span of an input text.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// First token of the span in the input's token sequence.
    pub token_start: usize,
    /// One past the last token.
    pub token_end: usize,
    /// Byte range of the input text the span covers.
    pub byte_start: usize,
    /// End of that byte range.
    pub byte_end: usize,
    /// The input text of the span.
    pub text: String,
    /// Exact number of occurrences in the corpus.
    pub count: u64,
    /// Where it occurs (suffix-array ranges per shard).
    pub occurrences: Occurrences,
}

/// Candidates counted in lockstep, per chunk of the parallel loop.
const LOCKSTEP_POSITIONS: usize = 16;

impl Index {
    /// The maximal matching spans of a tokenized text.
    pub fn spans(&self, text: &str, enc: &Encoded, opts: &SpanOptions) -> Vec<Span> {
        let ids = &enc.ids;
        let n = ids.len();
        let tok = self.tokenizer();
        let is_delim = |t: u32| opts.delimiters.contains(&t);
        let starts: Vec<usize> = (0..n)
            .filter(|&l| !opts.word_boundaries || tok.is_word_start(ids[l]))
            .collect();
        // The candidate end of start `l` whose longest match is `found` (None: too short).
        let candidate = |l: usize, found: usize| -> Option<usize> {
            let q = &ids[l..];
            let mut len = found;
            if let Some(p) = q[..len.saturating_sub(1)].iter().position(|&t| is_delim(t)) {
                len = p + 1;
            }
            if opts.word_boundaries {
                while len > 0 && !(len == q.len() || tok.is_word_start(q[len])) {
                    len -= 1;
                }
            }
            (len >= opts.min_len).then_some(l + len)
        };
        // A start whose candidate is the same for every end its neighbours allow needs no
        // search (its candidate grows with its end, so checking both extremes is enough).
        let same = |i: usize, lo: usize, hi: usize| {
            let l = starts[i];
            candidate(l, lo - l) == candidate(l, hi - l)
        };
        let mut matches = self.longest_matches_pinned(ids, &starts, Some(&same));
        // Candidate end for each start (None: not a start).
        let mut ends: Vec<Option<usize>> = vec![None; n];
        for (&l, &found) in starts.iter().zip(&matches.lengths) {
            ends[l] = candidate(l, found);
        }
        // Walk by start; a candidate ending at or before the furthest kept end is nested in a
        // kept span whatever its count, so only candidates that extend it are counted. The
        // candidates kept if every count passes `max_count` are counted first, in parallel
        // and in lockstep; a candidate that fails it lets nested ones through, which are then
        // counted one by one (rare: `max_count` drops only very frequent spans).
        let mut chain: Vec<(usize, usize)> = Vec::new();
        let mut furthest = 0usize;
        for (l, end) in ends.iter().enumerate() {
            if let Some(r) = *end {
                if r > furthest {
                    chain.push((l, r));
                    furthest = r;
                }
            }
        }
        // A candidate of two tokens or more is counted from where its start's search landed
        // (galloping out from there); shorter ones by a search from their first-token block.
        let ns = self.shards().len();
        // Index of each candidate's start in `starts` (increasing).
        let start_index = |l: &usize| starts.binary_search(l).expect("a candidate is a start");
        // Candidates whose start's length was pinned, not searched: searched now, for their
        // landings (one lower-bound search per shard instead of two to count them).
        let unsearched: Vec<usize> = chain
            .iter()
            .filter(|(l, r)| r - l >= 2)
            .map(|(l, _)| start_index(l))
            .filter(|&i| !matches.searched[i])
            .collect();
        self.search_starts(ids, &starts, &unsearched, &mut matches);
        let landings = &matches.landings;
        let counted: Vec<Occurrences> = chain
            .par_chunks(LOCKSTEP_POSITIONS)
            .flat_map_iter(|c| {
                let (long, short): (Vec<_>, Vec<_>) = c.iter().partition(|(l, r)| r - l >= 2);
                let qs: Vec<&[u32]> = long.iter().map(|&(l, r)| &ids[l..r]).collect();
                let lands: Vec<Option<Landing>> = long
                    .iter()
                    .flat_map(|(l, _)| {
                        let i = start_index(l);
                        landings[i * ns..(i + 1) * ns].iter().copied()
                    })
                    .collect();
                let mut from_landings = self.find_from_landings(&qs, &lands).into_iter();
                let qs: Vec<&[u32]> = short.iter().map(|&(l, r)| &ids[l..r]).collect();
                let mut searched = self.find_many(&qs).into_iter();
                c.iter()
                    .map(|(l, r)| {
                        let next = if r - l >= 2 {
                            from_landings.next()
                        } else {
                            searched.next()
                        };
                        next.expect("one count per candidate")
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut precounted: std::collections::HashMap<(usize, usize), Occurrences> =
            chain.into_iter().zip(counted).collect();
        let mut spans = Vec::new();
        let mut last_end = 0usize;
        for (l, end) in ends.into_iter().enumerate() {
            let Some(r) = end else { continue };
            if r <= last_end {
                continue;
            }
            let occurrences = precounted
                .remove(&(l, r))
                .unwrap_or_else(|| self.find(&ids[l..r]));
            let count = occurrences.count();
            if opts.max_count.is_some_and(|m| count > m) {
                continue;
            }
            last_end = r;
            let (byte_start, byte_end) = if r > l {
                (enc.offsets[l].0, enc.offsets[r - 1].1)
            } else {
                let b = enc.offsets.get(l).map_or(text.len(), |o| o.0);
                (b, b)
            };
            spans.push(Span {
                token_start: l,
                token_end: r,
                byte_start,
                byte_end,
                // Lossy where a span edge splits a character (byte tokens can).
                text: text
                    .as_bytes()
                    .get(byte_start..byte_end)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
                count,
                occurrences,
            });
        }
        spans
    }

    /// Sum of the log unigram probabilities of `ids` (natural log; the denominator counts
    /// every token of the corpus, separators included, as infini-gram does). Tokens absent
    /// from the corpus contribute -10000.
    pub fn unigram_logprob_sum(&self, ids: &[u32]) -> f64 {
        let total = self
            .shards()
            .iter()
            .map(|s| s.info().tokens)
            .sum::<u64>()
            .max(1) as f64;
        let counts = self.unigram_counts();
        ids.iter()
            .map(|&t| match counts.get(t as usize) {
                Some(&c) if c > 0 => (c as f64).ln() - total.ln(),
                _ => -10000.0,
            })
            .sum()
    }
}
