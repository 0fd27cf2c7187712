//! The OLMoTrace pipeline: maximal spans → keep the rarest ones → retrieve documents with
//! context → rank by BM25 → label relevance → merge overlapping spans for display.

use crate::error::Result;
use crate::index::{DocLocation, Index};
use crate::query::bm25;
use crate::query::controls::{SpanRanking, DEFAULT_LONG_CONTEXT, DEFAULT_SNIPPET_CONTEXT};
use crate::query::documents::{Snippet, WindowRanges};
use crate::query::on_pool::on_pool;
use crate::query::spans::{FoundSpan, Span, SpanOptions};
use crate::shard::DocRecord;
use crate::tokenizer::words::{DocWords, WordReader, WordTable};
use crate::tokenizer::Encoded;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Relevance bucket of a document or span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relevance {
    /// Normalised BM25 below 0.5.
    Low,
    /// Normalised BM25 in [0.5, 0.7).
    Medium,
    /// Normalised BM25 of at least 0.7.
    High,
}

impl Relevance {
    /// The bucket of a normalised score in [0, 1].
    pub fn from_score(score: f64) -> Relevance {
        if score >= 0.7 {
            Relevance::High
        } else if score >= 0.5 {
            Relevance::Medium
        } else {
            Relevance::Low
        }
    }
}

/// OLMoTrace's maximum span frequency: spans found more often are not traced.
pub const DEFAULT_MAX_SPAN_COUNT: u64 = 1_000_000;

/// How a trace runs.
#[derive(Debug, Clone)]
pub struct TraceOptions {
    /// Span rules.
    pub spans: SpanOptions,
    /// Keep `ceil(density x output tokens)` spans, the first in `ranking` order.
    pub density: f64,
    /// Which spans the density cap keeps first.
    pub ranking: SpanRanking,
    /// Documents retrieved per span.
    pub docs_per_span: usize,
    /// Snippet context, tokens each side of the match.
    pub snippet_context: usize,
    /// Long-view context, tokens each side of the match: the window BM25 scores, and the one
    /// returned with each snippet when `long_view` is set.
    pub long_context: usize,
    /// Return each snippet's long-view window too.
    pub long_view: bool,
    /// Include each document's full text.
    pub full_documents: bool,
    /// Most document tokens one trace may read and show: the ranking, snippet and long-view
    /// windows of every document occurrence it picks, and the full texts when asked for. A
    /// trace over it is refused with [`crate::Error::TraceTooLarge`] before any is read
    /// (`None`: no limit; a server sets one, so that one request cannot take its memory).
    pub max_document_tokens: Option<u64>,
}

impl TraceOptions {
    /// OLMoTrace's defaults for `index` (spans occurring more than 1,000,000 times are
    /// dropped, OLMoTrace's production setting).
    pub fn defaults_for(index: &Index) -> TraceOptions {
        TraceOptions {
            spans: SpanOptions {
                max_count: Some(DEFAULT_MAX_SPAN_COUNT),
                ..SpanOptions::defaults_for(index)
            },
            density: 0.05,
            ranking: SpanRanking::UnigramLogprobSum,
            docs_per_span: 10,
            snippet_context: DEFAULT_SNIPPET_CONTEXT,
            long_context: DEFAULT_LONG_CONTEXT,
            long_view: false,
            full_documents: false,
            max_document_tokens: None,
        }
    }
}

/// A kept span with its documents.
#[derive(Debug, Clone)]
pub struct TracedSpan {
    /// The span.
    pub span: Span,
    /// Sum of log unigram probabilities of its tokens (lower = rarer).
    pub unigram_logprob: f64,
    /// Best relevance among its documents.
    pub relevance: Relevance,
    /// Indices into [`Trace::documents`].
    pub documents: Vec<usize>,
    /// Every document holding it is taken down: it occurs in the corpus, but no document
    /// can be shown for it.
    pub taken_down_only: bool,
}

/// A retrieved document.
#[derive(Debug, Clone)]
pub struct TracedDocument {
    /// Where it is.
    pub location: DocLocation,
    /// Its id, source and metadata.
    pub record: DocRecord,
    /// One snippet per span it was retrieved for: `(span index, snippet)`.
    pub snippets: Vec<(usize, Snippet)>,
    /// The long-view window of each snippet (same order), when asked for.
    pub long_snippets: Option<Vec<Snippet>>,
    /// BM25 score against prompt + output.
    pub bm25: f64,
    /// `clamp(bm25 / (0.18 x output characters), 0, 1)`.
    pub relevance_score: f64,
    /// Bucket of `relevance_score`.
    pub relevance: Relevance,
    /// Full text, when asked for.
    pub full_text: Option<String>,
}

impl TracedDocument {
    /// The text its BM25 score ranks: its long windows, each followed by a newline (`None`
    /// unless the long view was asked for).
    pub fn ranked_text(&self) -> Option<String> {
        self.long_snippets
            .as_ref()
            .map(|longs| ranked_text_of(longs))
    }
}

/// The ranked text of a document's long windows: each window, then a newline.
fn ranked_text_of(longs: &[Snippet]) -> String {
    let mut text = String::new();
    for w in longs {
        text.push_str(&w.before);
        text.push_str(&w.matched);
        text.push_str(&w.after);
        text.push('\n');
    }
    text
}

/// Overlapping spans merged for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisplaySpan {
    /// Byte range in the output.
    pub byte_start: usize,
    /// End of the byte range.
    pub byte_end: usize,
    /// Indices of the merged spans.
    pub span_ids: Vec<usize>,
    /// Best relevance of the merged spans.
    pub relevance: Relevance,
}

/// Time spent per stage, milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TraceTiming {
    /// Tokenizing the output.
    pub tokenize: f64,
    /// Finding maximal spans.
    pub spans: f64,
    /// Choosing documents, reading their windows, fetching records and snippets.
    pub documents: f64,
    /// BM25 ranking (its scoring runs while records and snippets are fetched, so it overlaps
    /// `documents`) and ordering.
    pub rank: f64,
    /// Everything.
    pub total: f64,
}

/// The result of tracing one output.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Tokens in the output.
    pub tokens: usize,
    /// All maximal spans found, before the density cap.
    pub candidate_spans: usize,
    /// Kept spans, by position.
    pub spans: Vec<TracedSpan>,
    /// Documents, most relevant first.
    pub documents: Vec<TracedDocument>,
    /// Spans merged for display.
    pub display_spans: Vec<DisplaySpan>,
    /// Stage timings.
    pub timing: TraceTiming,
    /// The options it ran with (echoed in answers).
    pub options: TraceOptions,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// One occurrence picked for a span.
struct Pick {
    span: usize,
    /// Token position in the shard of `loc`.
    pos: usize,
    loc: DocLocation,
}

/// The text a document is ranked by: decoded, or its words read from the token ids.
enum RankedText {
    Text(String),
    Words(DocWords),
}

impl RankedText {
    /// BM25 scores of every document's ranked text against `query`.
    fn scores(table: Option<&WordTable>, texts: Vec<RankedText>, query: &str) -> Vec<f64> {
        let mut decoded = Vec::new();
        let mut words = Vec::new();
        for t in texts {
            match t {
                RankedText::Text(s) => decoded.push(s),
                RankedText::Words(w) => words.push(w),
            }
        }
        match table {
            Some(table) if decoded.is_empty() => {
                let words: Vec<&DocWords> = words.iter().collect();
                bm25::okapi_scores_of_words(table, &words, query)
            }
            _ => bm25::okapi_scores(&decoded, query),
        }
    }
}

impl Index {
    /// The text document group `g` is ranked by, and its long windows when they were decoded
    /// for it (without a word table).
    fn ranked_text(
        &self,
        g: &[Pick],
        scored: &[(f64, Span)],
        words: Option<&WordTable>,
        opts: &TraceOptions,
    ) -> (RankedText, Option<Vec<Snippet>>) {
        match words {
            Some(table) => {
                let mut reader =
                    WordReader::with_capacity(table, g.len() * (2 * opts.long_context + 16));
                for p in g {
                    let len = scored[p.span].1.token_end - scored[p.span].1.token_start;
                    let ranges = self.window_ranges(p.loc, p.pos, len, opts.long_context);
                    self.read_window_words(&mut reader, p.loc.shard, &ranges);
                }
                (RankedText::Words(reader.finish()), None)
            }
            None => {
                let longs: Vec<Snippet> = g
                    .iter()
                    .map(|p| {
                        let len = scored[p.span].1.token_end - scored[p.span].1.token_start;
                        self.snippet_in(p.loc, p.pos, len, opts.long_context)
                    })
                    .collect();
                (RankedText::Text(ranked_text_of(&longs)), Some(longs))
            }
        }
    }

    /// Document group `g` as traced: its record and snippets (long ones with `long_view`,
    /// reusing `longs` when they were decoded already), not yet scored.
    fn traced_document(
        &self,
        g: &[Pick],
        scored: &[(f64, Span)],
        longs: Option<Vec<Snippet>>,
        opts: &TraceOptions,
    ) -> Result<TracedDocument> {
        let loc = g[0].loc;
        let record = self.doc_record(loc)?;
        let len = |p: &Pick| scored[p.span].1.token_end - scored[p.span].1.token_start;
        let snippets = g
            .iter()
            .map(|p| {
                let s = self.snippet_in(p.loc, p.pos, len(p), opts.snippet_context);
                (p.span, s)
            })
            .collect();
        let long_snippets = opts.long_view.then(|| match longs {
            Some(l) => l,
            None => g
                .iter()
                .map(|p| self.snippet_in(p.loc, p.pos, len(p), opts.long_context))
                .collect(),
        });
        Ok(TracedDocument {
            location: loc,
            record,
            snippets,
            long_snippets,
            bm25: 0.0,
            relevance_score: 0.0,
            relevance: Relevance::Low,
            full_text: opts.full_documents.then(|| self.doc_text(loc)),
        })
    }
}

impl Index {
    /// How many document tokens a trace of these picks reads and shows: each occurrence's
    /// ranking window (`long_context`), snippet and, with `long_view` and a word table (whose
    /// ranking reads words, not text), the long view decoded again, each clipped to its
    /// document; and each document's whole length with `full_documents`.
    fn document_tokens_read(
        &self,
        groups: &[Vec<Pick>],
        scored: &[(f64, Span)],
        opts: &TraceOptions,
    ) -> u64 {
        let window = |p: &Pick, context: usize| {
            let len = scored[p.span].1.token_end - scored[p.span].1.token_start;
            let w = self.window_ranges(p.loc, p.pos, len, context);
            (w.after.end - w.before.start) as u64
        };
        // Without a word table the ranking decodes the long windows, and a long view reuses
        // them.
        let decoded_again = opts.long_view && self.tokenizer().word_table().is_some();
        let views = 1 + u64::from(decoded_again);
        groups
            .iter()
            .map(|g| {
                let windows: u64 = g
                    .iter()
                    .map(|p| views * window(p, opts.long_context) + window(p, opts.snippet_context))
                    .sum();
                let full = match (opts.full_documents, g.first()) {
                    (true, Some(p)) => {
                        self.shards()[p.loc.shard].doc_range(p.loc.local).len() as u64
                    }
                    _ => 0,
                };
                windows + full
            })
            .sum()
    }

    /// Picks up to `k` distinct, not-taken-down documents among a span's occurrences, in the
    /// layout-independent sampling order of [`crate::query::sample`] seeded by the span's
    /// tokens: the same corpus picks the same documents however it is sharded.
    fn pick_documents(&self, span_idx: usize, span: &Span, ids: &[u32], k: usize) -> Vec<Pick> {
        let seed = crate::query::sample::seed_of(&ids[span.token_start..span.token_end]);
        self.sample_documents(&span.occurrences, seed, k, |loc| {
            !self.is_taken_down(loc.doc_no)
        })
        .into_iter()
        .map(|o| Pick {
            span: span_idx,
            pos: o.pos,
            loc: o.loc,
        })
        .collect()
    }

    /// How many maximal spans `response` has, and the ones the density cap keeps, counted.
    /// Only those are counted, besides any whose count decides whether it is a maximal span
    /// at all (see [`Index::maximal_spans`]).
    fn kept_spans(
        &self,
        response: &str,
        enc: &Encoded,
        opts: &TraceOptions,
    ) -> (usize, Vec<(f64, Span)>) {
        let (found, mut search) = self.maximal_spans(response, enc, &opts.spans, false);
        let ranges: Vec<(usize, usize)> = found.iter().map(|f| (f.start, f.end)).collect();
        let kept = self.rank_spans(&ranges, &enc.ids, opts.density, opts.ranking);
        let candidates = found.len();
        let kept: Vec<(f64, FoundSpan)> = take_kept(found, kept);
        let uncounted: Vec<(usize, usize)> = kept
            .iter()
            .filter(|(_, f)| f.occurrences.is_none())
            .map(|(_, f)| (f.start, f.end))
            .collect();
        let mut counted = self.count_spans(&mut search, &uncounted).into_iter();
        let spans = kept
            .into_iter()
            .map(|(lp, f)| {
                let occurrences = f
                    .occurrences
                    .unwrap_or_else(|| counted.next().expect("one count per uncounted span"));
                (lp, self.span_at(response, enc, f.start, f.end, occurrences))
            })
            .collect();
        (candidates, spans)
    }

    /// Traces `response` (optionally with its `prompt`) back to the corpus, on a thread of
    /// rayon's pool: its parallel steps then split from there, without a hand-off each.
    pub fn trace(
        &self,
        response: &str,
        prompt: Option<&str>,
        opts: &TraceOptions,
    ) -> Result<Trace> {
        on_pool(|| self.trace_on_pool(response, prompt, opts))
    }

    fn trace_on_pool(
        &self,
        response: &str,
        prompt: Option<&str>,
        opts: &TraceOptions,
    ) -> Result<Trace> {
        let t0 = Instant::now();
        let mut timing = TraceTiming::default();
        let enc = self.tokenizer().encode(response)?;
        timing.tokenize = ms(t0);

        let t = Instant::now();
        let (candidate_spans, scored) = self.kept_spans(response, &enc, opts);
        timing.spans = ms(t);

        let t = Instant::now();
        let picks: Vec<Vec<Pick>> = scored
            .par_iter()
            .enumerate()
            .map(|(i, (_, s))| self.pick_documents(i, s, &enc.ids, opts.docs_per_span))
            .collect();
        // A span with occurrences but no document to show: every one is taken down.
        let taken_down_only: Vec<bool> = picks
            .iter()
            .map(|p| p.is_empty() && opts.docs_per_span > 0)
            .collect();
        // Group occurrences by document.
        let mut by_doc: BTreeMap<u64, Vec<Pick>> = BTreeMap::new();
        for p in picks.into_iter().flatten() {
            by_doc.entry(p.loc.doc_no).or_default().push(p);
        }
        let groups: Vec<Vec<Pick>> = by_doc.into_values().collect();
        if let Some(limit) = opts.max_document_tokens {
            let needed = self.document_tokens_read(&groups, &scored, opts);
            if needed > limit {
                return Err(crate::Error::TraceTooLarge { needed, limit });
            }
        }
        if self.reads_ahead() {
            // Read from disk: when the windows' pages are not cached, they are all asked for
            // at once.
            let context = opts.long_context.max(opts.snippet_context);
            let windows: Vec<(DocLocation, WindowRanges)> = groups
                .iter()
                .flatten()
                .map(|p| {
                    let len = scored[p.span].1.token_end - scored[p.span].1.token_start;
                    (p.loc, self.window_ranges(p.loc, p.pos, len, context))
                })
                .collect();
            self.read_windows_ahead(&windows);
        }
        // The text each document is ranked by: its long windows, each followed by a newline.
        // With a byte-level vocabulary its words are read from the token ids and the windows
        // are decoded only when they are shown (`long_view`).
        let words = self.tokenizer().word_table();
        let (ranked, longs): (Vec<RankedText>, Vec<Option<Vec<Snippet>>>) = groups
            .par_iter()
            .map(|g| self.ranked_text(g, &scored, words, opts))
            .unzip();
        let query = match prompt {
            Some(p) if !p.is_empty() => format!("{p} {response}"),
            _ => response.to_string(),
        };
        // Scoring numbers the words in one sequential pass; records and snippets are fetched
        // by the other threads meanwhile.
        let ((scores, rank_ms), built) = rayon::join(
            || {
                let t = Instant::now();
                (RankedText::scores(words, ranked, &query), ms(t))
            },
            || {
                groups
                    .par_iter()
                    .zip(longs)
                    .map(|(g, longs)| self.traced_document(g, &scored, longs, opts))
                    .collect::<Vec<Result<TracedDocument>>>()
            },
        );
        let mut documents = built.into_iter().collect::<Result<Vec<_>>>()?;
        timing.documents = ms(t);

        let t = Instant::now();
        let norm = 0.18 * response.chars().count().max(1) as f64;
        for (d, s) in documents.iter_mut().zip(scores) {
            d.bm25 = s;
            d.relevance_score = (s / norm).clamp(0.0, 1.0);
            d.relevance = Relevance::from_score(d.relevance_score);
        }
        documents.sort_by(|a, b| {
            b.bm25
                .total_cmp(&a.bm25)
                .then(a.location.doc_no.cmp(&b.location.doc_no))
        });
        let mut spans: Vec<TracedSpan> = scored
            .into_iter()
            .zip(taken_down_only)
            .map(|((lp, span), taken_down_only)| TracedSpan {
                span,
                unigram_logprob: lp,
                relevance: Relevance::Low,
                documents: Vec::new(),
                taken_down_only,
            })
            .collect();
        for (di, d) in documents.iter().enumerate() {
            for (si, _) in &d.snippets {
                let s = &mut spans[*si];
                if !s.documents.contains(&di) {
                    s.documents.push(di);
                }
                s.relevance = s.relevance.max(d.relevance);
            }
        }
        let display_spans = merge_for_display(&spans);
        timing.rank = rank_ms + ms(t);
        timing.total = ms(t0);
        Ok(Trace {
            tokens: enc.ids.len(),
            candidate_spans,
            spans,
            documents,
            display_spans,
            timing,
            options: opts.clone(),
        })
    }
}

impl Index {
    /// The spans the density cap keeps, by position, each with its unigram log-probability
    /// sum: `ceil(density x tokens)` of them, the first in `ranking` order (OLMoTrace's rule:
    /// log-probability sum ascending, or length descending; a stable sort, so ties keep text
    /// order, as OLMoTrace's Python sort does).
    pub fn keep_ranked(
        &self,
        spans: Vec<Span>,
        ids: &[u32],
        density: f64,
        ranking: SpanRanking,
    ) -> Vec<(f64, Span)> {
        let ranges: Vec<(usize, usize)> =
            spans.iter().map(|s| (s.token_start, s.token_end)).collect();
        take_kept(spans, self.rank_spans(&ranges, ids, density, ranking))
    }

    /// [`Index::keep_ranked`] of spans given as token ranges `(start, end)` in text order:
    /// the index of each span kept, with its unigram log-probability sum, in text order.
    fn rank_spans(
        &self,
        ranges: &[(usize, usize)],
        ids: &[u32],
        density: f64,
        ranking: SpanRanking,
    ) -> Vec<(f64, usize)> {
        let k = (density * ids.len() as f64).ceil() as usize;
        let mut scored: Vec<(f64, usize)> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(l, r))| (self.unigram_logprob_sum(&ids[l..r]), i))
            .collect();
        match ranking {
            SpanRanking::UnigramLogprobSum => scored.sort_by(|a, b| a.0.total_cmp(&b.0)),
            SpanRanking::Length => scored.sort_by(|a, b| {
                let len = |i: usize| ranges[i].1 - ranges[i].0;
                len(b.1).cmp(&len(a.1))
            }),
        }
        scored.truncate(k);
        scored.sort_by_key(|&(_, i)| ranges[i].0);
        scored
    }
}

/// The items at the indices [`Index::rank_spans`] kept, each with its score, in its order.
fn take_kept<T>(items: Vec<T>, kept: Vec<(f64, usize)>) -> Vec<(f64, T)> {
    let mut items: Vec<Option<T>> = items.into_iter().map(Some).collect();
    kept.into_iter()
        .map(|(score, i)| (score, items[i].take().expect("each span kept once")))
        .collect()
}

/// Merges overlapping spans (not merely touching ones) into display groups.
pub fn merge_for_display(spans: &[TracedSpan]) -> Vec<DisplaySpan> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].span.byte_start, spans[i].span.byte_end));
    let mut out: Vec<DisplaySpan> = Vec::new();
    for i in order {
        let s = &spans[i];
        match out.last_mut() {
            Some(g) if s.span.byte_start < g.byte_end => {
                g.byte_end = g.byte_end.max(s.span.byte_end);
                g.span_ids.push(i);
                g.relevance = g.relevance.max(s.relevance);
            }
            _ => out.push(DisplaySpan {
                byte_start: s.span.byte_start,
                byte_end: s.span.byte_end,
                span_ids: vec![i],
                relevance: s.relevance,
            }),
        }
    }
    out
}
