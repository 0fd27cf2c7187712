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
use crate::query::longest::LongestMatches;
use crate::query::on_pool::on_pool;
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
    /// Its token ids (the input's tokenization from `token_start` to `token_end`).
    pub token_ids: Vec<u32>,
    /// Exact number of occurrences in the corpus.
    pub count: u64,
    /// Where it occurs (suffix-array ranges per shard).
    pub occurrences: Occurrences,
}

/// A maximal span of a text, as found by [`Index::maximal_spans`]: its token range and, when
/// it was counted, where it occurs.
pub(crate) struct FoundSpan {
    /// First token of the span.
    pub start: usize,
    /// One past its last token.
    pub end: usize,
    /// Its occurrences; `None` when counting was deferred (see [`Index::maximal_spans`]).
    pub occurrences: Option<Occurrences>,
}

/// What a text's span search leaves behind for counting more of its spans later: the start
/// positions and where each searched one landed in each shard.
pub(crate) struct SpanSearch<'a> {
    ids: &'a [u32],
    starts: Vec<usize>,
    matches: LongestMatches,
}

impl Index {
    /// The maximal matching spans of a tokenized text (searched on a thread of rayon's pool,
    /// so that its search rounds split from there).
    pub fn spans(&self, text: &str, enc: &Encoded, opts: &SpanOptions) -> Vec<Span> {
        on_pool(|| self.spans_on_pool(text, enc, opts))
    }

    fn spans_on_pool(&self, text: &str, enc: &Encoded, opts: &SpanOptions) -> Vec<Span> {
        let (found, _) = self.maximal_spans(text, enc, opts, true);
        found
            .into_iter()
            .map(|f| {
                let occurrences = f.occurrences.expect("every span counted");
                self.span_at(text, enc, f.start, f.end, occurrences)
            })
            .collect()
    }

    /// The maximal spans of `ids`, in order. With `count_all`, every span is counted. Without,
    /// a span is counted only where its count decides whether it is kept: when `max_count`
    /// is set and the span's rarest token occurs more than `max_count` times in the corpus
    /// (each occurrence of the span holds one of that token, so the span occurs at most that
    /// often). The others are left for [`Index::count_spans`], so that a caller that keeps a
    /// few of them (the trace's density cap) counts only those.
    ///
    /// Besides OLMoTrace's rules, a span begins and ends only between characters of `text`
    /// ([`span_edges`]), and never holds the tokenizer's unknown token
    /// ([`crate::TextTokenizer::unknown_id`]): in both cases equal tokens need not be equal text.
    pub(crate) fn maximal_spans<'a>(
        &self,
        text: &str,
        enc: &'a Encoded,
        opts: &SpanOptions,
        count_all: bool,
    ) -> (Vec<FoundSpan>, SpanSearch<'a>) {
        let ids = &enc.ids[..];
        let n = ids.len();
        let tok = self.tokenizer();
        let is_delim = |t: u32| opts.delimiters.contains(&t);
        let unknown = tok.unknown_id();
        let is_unknown = |t: u32| Some(t) == unknown;
        let edges = span_edges(text, enc, tok);
        let starts: Vec<usize> = (0..n)
            .filter(|&l| {
                edges.may_start(l)
                    && !is_unknown(ids[l])
                    && (!opts.word_boundaries || tok.is_word_start(ids[l]))
            })
            .collect();
        // The candidate end of start `l` whose longest match is `found` (None: too short).
        // It grows with `found`, which the pinning below relies on.
        let candidate = |l: usize, found: usize| -> Option<usize> {
            let q = &ids[l..];
            let mut len = found;
            if let Some(p) = q[..len.saturating_sub(1)].iter().position(|&t| is_delim(t)) {
                len = p + 1;
            }
            if let Some(p) = q[..len].iter().position(|&t| is_unknown(t)) {
                len = p;
            }
            let may_end = |len: usize| {
                edges.may_end(l + len)
                    && (!opts.word_boundaries || len == q.len() || tok.is_word_start(q[len]))
            };
            while len > 0 && !may_end(len) {
                len -= 1;
            }
            // A span holds some text besides whitespace, whatever the tokenizer: a run of
            // spaces or a line end alone says nothing of where a text came from.
            let has_text = enc.offsets.get(l..l + len).is_none_or(|o| {
                o.first().zip(o.last()).is_some_and(|(a, b)| {
                    text.get(a.0..b.1)
                        .is_none_or(|t| t.chars().any(|c| !c.is_whitespace()))
                })
            });
            (len >= opts.min_len && has_text).then_some(l + len)
        };
        // A start whose candidate is the same for every end its neighbours allow needs no
        // search (its candidate grows with its end, so checking both extremes is enough).
        let same = |i: usize, lo: usize, hi: usize| {
            let l = starts[i];
            candidate(l, lo - l) == candidate(l, hi - l)
        };
        let matches = self.longest_matches_pinned(ids, &starts, Some(&same));
        // Candidate end for each start (None: not a start).
        let mut ends: Vec<Option<usize>> = vec![None; n];
        for (&l, &found) in starts.iter().zip(&matches.lengths) {
            ends[l] = candidate(l, found);
        }
        let mut search = SpanSearch {
            ids,
            starts,
            matches,
        };
        // Whether the count of `ids[l..r]` is needed to find the maximal spans (or asked for).
        // A token the unigram table does not count (outside it, or counted 0, as the
        // separator is) bounds nothing.
        let unigrams = self.unigram_counts();
        let must_count = |l: usize, r: usize| {
            count_all
                || opts.max_count.is_some_and(|m| {
                    let at_most = ids[l..r]
                        .iter()
                        .filter_map(|&t| unigrams.get(t as usize).copied().filter(|&c| c > 0))
                        .min()
                        .unwrap_or(u64::MAX);
                    at_most > m
                })
        };
        // Walk by start; a candidate ending at or before the furthest kept end is nested in a
        // kept span whatever its count, so only candidates that extend it are counted. The
        // candidates kept if every count passes `max_count` are counted first, in parallel
        // and in lockstep; a candidate that fails it lets nested ones through, which are then
        // counted one by one (rare: `max_count` drops only very frequent spans).
        let mut chain: Vec<(usize, usize)> = Vec::new();
        let mut furthest = 0usize;
        for (l, end) in ends.iter().enumerate() {
            if let Some(r) = *end {
                if r > furthest && must_count(l, r) {
                    chain.push((l, r));
                }
                furthest = furthest.max(r);
            }
        }
        let counted = self.count_spans(&mut search, &chain);
        let mut precounted: std::collections::HashMap<(usize, usize), Occurrences> =
            chain.into_iter().zip(counted).collect();
        let mut found = Vec::new();
        let mut last_end = 0usize;
        for (l, end) in ends.into_iter().enumerate() {
            let Some(r) = end else { continue };
            if r <= last_end {
                continue;
            }
            let occurrences = match precounted.remove(&(l, r)) {
                Some(o) => Some(o),
                None if must_count(l, r) => Some(self.find(&ids[l..r])),
                None => None,
            };
            if let (Some(o), Some(m)) = (&occurrences, opts.max_count) {
                if o.count() > m {
                    continue;
                }
            }
            last_end = r;
            found.push(FoundSpan {
                start: l,
                end: r,
                occurrences,
            });
        }
        (found, search)
    }

    /// The occurrences of spans `(start, end)` of a searched text, each starting at one of its
    /// start positions. A span of two tokens or more is counted from where its start's search
    /// landed (galloping out from there; a start whose length was pinned, not searched, is
    /// searched now, one lower-bound search per shard instead of the two of a plain count);
    /// a shorter one by a search from its first-token block. All in parallel, in lockstep.
    pub(crate) fn count_spans(
        &self,
        search: &mut SpanSearch<'_>,
        spans: &[(usize, usize)],
    ) -> Vec<Occurrences> {
        if spans.is_empty() {
            return Vec::new();
        }
        let ids = search.ids;
        let ns = self.shards().len();
        let starts = &search.starts;
        // Index of each span's start in `starts` (increasing).
        let start_index = |l: &usize| starts.binary_search(l).expect("a span starts at a start");
        let unsearched: Vec<usize> = spans
            .iter()
            .filter(|(l, r)| r - l >= 2)
            .map(|(l, _)| start_index(l))
            .filter(|&i| !search.matches.searched[i])
            .collect();
        if !unsearched.is_empty() {
            self.search_starts(ids, starts, &unsearched, &mut search.matches);
        }
        let landings = &search.matches.landings;
        spans
            .par_chunks(self.lockstep_positions(spans.len()))
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
                        next.expect("one count per span")
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The span of tokens `l..r` of a text, with its occurrences. Where the tokenizer does
    /// not decode by concatenating token bytes (SentencePiece, whose `▁` opens a word after a
    /// space or at a document's start alike), the span's leading whitespace is left out: the
    /// documents it cites need not have it.
    pub(crate) fn span_at(
        &self,
        text: &str,
        enc: &Encoded,
        l: usize,
        r: usize,
        occurrences: Occurrences,
    ) -> Span {
        let (byte_start, byte_end) = if r > l {
            let (mut start, end) = (enc.offsets[l].0, enc.offsets[r - 1].1);
            if !self.tokenizer().decodes_by_concatenation() {
                // Only the spaces `▁` stands for: a newline or tab token is the text's own.
                let covered = text.get(start..end).unwrap_or_default();
                let trimmed = covered.trim_start_matches(' ');
                if !trimmed.is_empty() {
                    start += covered.len() - trimmed.len();
                }
            }
            (start, end)
        } else {
            let b = enc.offsets.get(l).map_or(text.len(), |o| o.0);
            (b, b)
        };
        Span {
            token_start: l,
            token_end: r,
            byte_start,
            byte_end,
            // Spans begin and end between characters ([`span_edges`]); lossy only for
            // offsets a caller made up.
            text: text
                .as_bytes()
                .get(byte_start..byte_end)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
            token_ids: enc.ids.get(l..r).map(<[u32]>::to_vec).unwrap_or_default(),
            count: occurrences.count(),
            occurrences,
        }
    }

    /// Sum of the log unigram probabilities of `ids` (natural log; the denominator counts
    /// every token of the corpus, separators included, as infini-gram does). Tokens absent
    /// from the corpus contribute -10000.
    pub fn unigram_logprob_sum(&self, ids: &[u32]) -> f64 {
        let counts = self.unigram_counts();
        self.logprob_sum_with(ids, |t| counts.get(t as usize).copied())
    }

    /// [`Index::unigram_logprob_sum`] with each token's count from `count` (`None` or 0:
    /// absent, -10000).
    pub(crate) fn logprob_sum_with(&self, ids: &[u32], count: impl Fn(u32) -> Option<u64>) -> f64 {
        let total = self
            .shards()
            .iter()
            .map(|s| s.info().tokens)
            .sum::<u64>()
            .max(1) as f64;
        ids.iter()
            .map(|&t| match count(t) {
                Some(c) if c > 0 => (c as f64).ln() - total.ln(),
                _ => -10000.0,
            })
            .sum()
    }
}

/// Where a span of a tokenized text may begin and end ([`span_edges`]).
pub(crate) struct SpanEdges {
    /// `starts[k]`: a span may begin at token `k`.
    starts: Vec<bool>,
    /// `ends[k]`: a span may end before token `k` (`ends[n]`: the text's end).
    ends: Vec<bool>,
}

impl SpanEdges {
    /// Whether a span may begin at token `k`.
    pub(crate) fn may_start(&self, k: usize) -> bool {
        self.starts[k]
    }

    /// Whether a span may end before token `k`.
    pub(crate) fn may_end(&self, k: usize) -> bool {
        self.ends[k]
    }
}

/// Where a span of a tokenized text may begin and end: never inside one character of
/// `text`, where equal tokens need not be equal text. A byte-level token may hold part of a
/// character (whose first bytes other characters share), and tokenizers give every token of
/// one character that character's whole range, so such tokens overlap.
///
/// - A span begins at token `k` when its offset is a character boundary of `text` and the
///   token does not begin inside a character ([`crate::TextTokenizer::starts_inside_char`]).
///   Overlap alone does not forbid it: the `▁` SentencePiece puts before a text overlaps the
///   token after it (` lattice` is `▁` (0, 1), `▁lattice` (0, 8)), and a span may begin there.
/// - A span ends before token `k` when token `k - 1` does not overlap token `k` and `k`'s
///   offset is a character boundary: the last token then holds whole characters of its own
///   (the `▁` above, alone, would be reported as the text's first character).
/// - Neither happens right before a character a tokenizer's normaliser may fold into the one
///   before it (a combining mark: [`crate::TextTokenizer::folds_into_previous`]), whose
///   token's offsets need not be its own.
///
/// Token ids without offsets have every edge.
pub(crate) fn span_edges(text: &str, enc: &Encoded, tok: &crate::TextTokenizer) -> SpanEdges {
    let n = enc.ids.len();
    if enc.offsets.len() != n {
        return SpanEdges {
            starts: vec![true; n + 1],
            ends: vec![true; n + 1],
        };
    }
    let boundary = |k: usize| text.is_char_boundary(enc.offsets[k].0);
    // Inside a letter and its marks ([`crate::TextTokenizer::folds_into_previous`]).
    let in_cluster = |k: usize| {
        text.get(enc.offsets[k].0..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| tok.folds_into_previous(c))
    };
    SpanEdges {
        starts: (0..=n)
            .map(|k| {
                k == 0
                    || k == n
                    || (boundary(k) && !tok.starts_inside_char(enc.ids[k]) && !in_cluster(k))
            })
            .collect(),
        ends: (0..=n)
            .map(|k| {
                k == 0
                    || k == n
                    || (enc.offsets[k - 1].1 <= enc.offsets[k].0 && boundary(k) && !in_cluster(k))
            })
            .collect(),
    }
}
