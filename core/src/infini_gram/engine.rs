//! infini-gram's query semantics, over any index (infini-gram's or verbatim's own).
//!
//! These are the answers of infini-gram 2.6.0's engine (`engine.py` over `cpp_engine.h`),
//! reproduced exactly where they are deterministic: `find` (suffix-array segment per shard),
//! `prob`, `ntd` (including its approximation: above `max_support` occurrences, one
//! continuation is read per block of `unit` suffixes, `unit` the smallest power of two that
//! brings the blocks under `max_support`), `infgram_prob` / `infgram_ntd` (longest suffix
//! that occurs), documents by rank, by pointer and by number, and the CNF queries of
//! [`crate::query::cnf`]. A document end reads as the index's `eos_token_id`.
//!
//! Pointers (`ptr`) are byte offsets into a shard's token stream, as in infini-gram; on a
//! verbatim index they are `token position × token width`, so `find` → `get_doc_by_rank` →
//! `ptr` → `get_doc_by_ptr` round-trips on both kinds. Ranks are positions in the shard's
//! own suffix array, whose order differs between the two kinds (token id vs. byte order).
//!
//! `search_docs` samples documents at random (like infini-gram, with a new seed each call);
//! each returned document is the one at rank `start + idx` of its shard.

use crate::index::Index;
use crate::search::SuffixArray;
use crate::token::Token;
use crate::tokenizer::TextTokenizer;
use serde_json::Value;
use std::collections::BTreeMap;

/// The end-of-text id of a tokenizer: `<|endoftext|>`, `</s>`, `<|end_of_text|>` or `<eos>`
/// if it has one, 0 for bytes (infini-gram's byte tokenizer), else the last id.
pub fn default_eos(tok: &TextTokenizer, vocab_size: u32) -> u32 {
    if matches!(tok, TextTokenizer::Bytes) {
        return 0;
    }
    ["<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"]
        .iter()
        .find_map(|p| tok.piece_id(p))
        .unwrap_or(vocab_size.saturating_sub(1))
}

/// infini-gram's `find`: occurrences and the suffix-array segment of each shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    /// Total occurrences.
    pub cnt: u64,
    /// `[start, end)` ranks per shard.
    pub segment_by_shard: Vec<(u64, u64)>,
}

/// infini-gram's `prob` (and `infgram_prob`).
#[derive(Debug, Clone, PartialEq)]
pub struct Prob {
    /// Occurrences of the prompt.
    pub prompt_cnt: u64,
    /// Occurrences of prompt + continuation.
    pub cont_cnt: u64,
    /// `cont_cnt / prompt_cnt`, -1 when the prompt does not occur.
    pub prob: f64,
    /// Length of the longest suffix of the prompt that occurs (`infgram_prob` only).
    pub suffix_len: Option<usize>,
}

/// infini-gram's `ntd` (and `infgram_ntd`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ntd {
    /// Occurrences of the prompt (the sum of the counts below).
    pub prompt_cnt: u64,
    /// `token id → (count, probability)`, ascending ids.
    pub result_by_token_id: BTreeMap<u32, (u64, f64)>,
    /// Whether continuations were read one per block of suffixes.
    pub approx: bool,
    /// Length of the longest suffix of the prompt that occurs (`infgram_ntd` only).
    pub suffix_len: Option<usize>,
}

/// infini-gram's `DocResult`: a window of a document around a pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    /// Global document number.
    pub doc_ix: u64,
    /// Tokens in the document.
    pub doc_len: u64,
    /// Tokens in the window.
    pub disp_len: u64,
    /// Token offset of the pointer inside the window.
    pub needle_offset: u64,
    /// The document's metadata line (infini-gram: `metadata.N` as stored, newline included).
    pub metadata: String,
    /// The window's token ids (empty when blocked).
    pub token_ids: Vec<u32>,
    /// Whether the document was taken down.
    pub blocked: bool,
    /// Where the window lies (`None` when blocked or empty), for the privacy filter's
    /// margins ([`Index::margins`]).
    pub place: Option<crate::query::WindowPlace>,
}

/// infini-gram's `search_docs` (and `search_docs_cnf`); the default is the answer for no
/// match.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchDocs {
    /// Occurrences (of the conjunction, for CNF).
    pub cnt: u64,
    /// Whether `cnt` is approximate.
    pub approx: bool,
    /// Which occurrence each document was taken from.
    pub idxs: Vec<u64>,
    /// The documents.
    pub documents: Vec<Doc>,
}

/// A small random number generator (SplitMix64), seeded per call.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator seeded from the clock and a counter.
    pub fn from_entropy() -> Rng {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng(t ^ COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, std::sync::atomic::Ordering::Relaxed))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

impl Index {
    /// Bytes per token.
    fn token_bytes(&self) -> u64 {
        self.manifest().tokenizer.width.bytes() as u64
    }

    /// infini-gram's `find`.
    pub fn ig_find(&self, ids: &[u32]) -> Find {
        let occ = self.find(ids);
        Find {
            cnt: occ.count(),
            segment_by_shard: occ
                .ranges
                .iter()
                .map(|r| (r.start as u64, r.end as u64))
                .collect(),
        }
    }

    /// infini-gram's `prob` of `cont` after `prompt`.
    pub fn ig_prob(&self, prompt: &[u32], cont: u32) -> Prob {
        let prompt_cnt = self.count(prompt);
        if prompt_cnt == 0 {
            return Prob {
                prompt_cnt: 0,
                cont_cnt: 0,
                prob: -1.0,
                suffix_len: None,
            };
        }
        let mut with = prompt.to_vec();
        with.push(cont);
        let cont_cnt = self.count(&with);
        Prob {
            prompt_cnt,
            cont_cnt,
            prob: cont_cnt as f64 / prompt_cnt as f64,
            suffix_len: None,
        }
    }

    /// Length of the longest suffix of `prompt` that occurs (occurrence is monotone in it).
    fn longest_occurring_suffix(&self, prompt: &[u32]) -> usize {
        let (mut lo, mut hi) = (0usize, prompt.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if self.count(&prompt[prompt.len() - mid..]) > 0 {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// infini-gram's `infgram_prob`: `prob` after the longest suffix of `prompt` that occurs.
    pub fn ig_infgram_prob(&self, prompt: &[u32], cont: u32) -> Prob {
        let l = self.longest_occurring_suffix(prompt);
        Prob {
            suffix_len: Some(l),
            ..self.ig_prob(&prompt[prompt.len() - l..], cont)
        }
    }

    /// infini-gram's `ntd` of `prompt`, approximate above `max_support` occurrences.
    pub fn ig_ntd(&self, prompt: &[u32], max_support: u64) -> Ntd {
        let occ = self.find(prompt);
        let cnt = occ.count();
        if cnt == 0 {
            return Ntd {
                prompt_cnt: 0,
                result_by_token_id: BTreeMap::new(),
                approx: false,
                suffix_len: None,
            };
        }
        let mut unit = 1u64;
        while cnt > unit.saturating_mul(max_support.max(1)) {
            unit <<= 1;
        }
        let eos = self.eos_token_id();
        let mut freq: BTreeMap<u32, u64> = BTreeMap::new();
        for (s, r) in occ.ranges.iter().enumerate() {
            if r.is_empty() {
                continue;
            }
            crate::with_shard_arrays!(self.shards()[s].arrays(), |a| {
                let next = NextToken {
                    tokens: a.tokens,
                    sa: a.sa,
                    depth: prompt.len(),
                    eos,
                };
                next.freq(r.start as u64, r.end as u64, unit, None, None, &mut freq);
            });
        }
        let prompt_cnt: u64 = freq.values().sum();
        Ntd {
            prompt_cnt,
            result_by_token_id: freq
                .into_iter()
                .map(|(t, c)| (t, (c, c as f64 / prompt_cnt as f64)))
                .collect(),
            approx: unit > 1,
            suffix_len: None,
        }
    }

    /// infini-gram's `infgram_ntd`: `ntd` of the longest suffix of `prompt` that occurs.
    pub fn ig_infgram_ntd(&self, prompt: &[u32], max_support: u64) -> Ntd {
        let l = self.longest_occurring_suffix(prompt);
        Ntd {
            suffix_len: Some(l),
            ..self.ig_ntd(&prompt[prompt.len() - l..], max_support)
        }
    }

    /// The byte pointer at `rank` of shard `s` (`rank` below the shard's token count).
    pub fn ig_rank_to_ptr(&self, s: usize, rank: u64) -> u64 {
        let sa = self.shards()[s].suffix_array();
        sa.at(rank as usize) as u64 * self.token_bytes()
    }

    /// infini-gram's `get_doc_by_rank`.
    pub fn ig_doc_by_rank(&self, s: usize, rank: u64, max_disp_len: u64) -> Doc {
        self.ig_doc_by_ptr(s, self.ig_rank_to_ptr(s, rank), max_disp_len)
    }

    /// infini-gram's `get_doc_by_ptr`: the document holding byte `ptr` of shard `s`, with a
    /// window of `max_disp_len` tokens around it (half before, half after). Arithmetic wraps
    /// as the engine's unsigned arithmetic does (a pointer at a separator gives the engine's
    /// wrapped `needle_offset`).
    pub fn ig_doc_by_ptr(&self, s: usize, ptr: u64, max_disp_len: u64) -> Doc {
        self.ig_doc_around(s, ptr, max_disp_len / 2, max_disp_len.div_ceil(2))
    }

    /// infini-gram's `get_doc_by_rank_2`: `get_doc_by_ptr_2` at `rank` of shard `s`.
    pub fn ig_doc_by_rank_2(&self, s: usize, rank: u64, needle_len: u64, max_ctx_len: u64) -> Doc {
        self.ig_doc_by_ptr_2(s, self.ig_rank_to_ptr(s, rank), needle_len, max_ctx_len)
    }

    /// infini-gram's `get_doc_by_ptr_2`: the document holding byte `ptr` of shard `s`, with a
    /// window of up to `max_ctx_len` tokens before the pointer and `needle_len + max_ctx_len`
    /// tokens from it (a needle of `needle_len` tokens with `max_ctx_len` of context on each
    /// side). infini-gram's `get_doc_by_ix_2` is [`Index::ig_doc_by_ix`] with `max_ctx_len`.
    pub fn ig_doc_by_ptr_2(&self, s: usize, ptr: u64, needle_len: u64, max_ctx_len: u64) -> Doc {
        self.ig_doc_around(s, ptr, max_ctx_len, needle_len.saturating_add(max_ctx_len))
    }

    /// The document holding byte `ptr` of shard `s`, windowed to at most `before` tokens
    /// before the pointer and `after` tokens from it, clipped to the document.
    fn ig_doc_around(&self, s: usize, ptr: u64, before: u64, after: u64) -> Doc {
        let w = self.token_bytes();
        let shard = &self.shards()[s];
        let local = shard.doc_at((ptr / w) as usize);
        let doc_ix = shard.info().first_doc + local as u64;
        let doc_start = (shard.doc_start(local) as u64 + 1) * w;
        let doc_end = shard.doc_start(local + 1) as u64 * w;
        let doc_len = doc_end.wrapping_sub(doc_start) / w;
        let disp_start = doc_start.max(ptr.saturating_sub(w.saturating_mul(before)));
        let disp_end = doc_end.min(ptr.saturating_add(w.saturating_mul(after)));
        self.ig_window(s, local, doc_ix, doc_len, disp_start, disp_end, ptr)
    }

    /// infini-gram's `get_doc_by_ix`: the first `max_disp_len` tokens of document `doc_ix`.
    pub fn ig_doc_by_ix(&self, doc_ix: u64, max_disp_len: u64) -> Option<Doc> {
        let loc = self.locate(doc_ix)?;
        let w = self.token_bytes();
        let shard = &self.shards()[loc.shard];
        let doc_start = (shard.doc_start(loc.local) as u64 + 1) * w;
        let doc_end = shard.doc_start(loc.local + 1) as u64 * w;
        let disp_end = doc_end.min(doc_start.saturating_add(w.saturating_mul(max_disp_len)));
        Some(self.ig_window(
            loc.shard,
            loc.local,
            doc_ix,
            (doc_end - doc_start) / w,
            doc_start,
            disp_end,
            doc_start,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn ig_window(
        &self,
        s: usize,
        local: usize,
        doc_ix: u64,
        doc_len: u64,
        disp_start: u64,
        disp_end: u64,
        ptr: u64,
    ) -> Doc {
        let w = self.token_bytes();
        let shard = &self.shards()[s];
        let blocked = self.is_taken_down(doc_ix);
        let token_ids = if blocked || disp_end <= disp_start {
            Vec::new()
        } else {
            shard
                .tokens()
                .to_u32((disp_start / w) as usize..(disp_end / w) as usize)
        };
        let place = (!token_ids.is_empty()).then(|| crate::query::WindowPlace {
            shard: s,
            tokens: (disp_start / w) as usize..(disp_end / w) as usize,
            doc: shard.doc_range(local),
        });
        Doc {
            place,
            doc_ix,
            doc_len,
            // An empty window (a pointer at a separator with no context: it ends before it
            // starts) has length 0; infini-gram's engine fails there.
            disp_len: disp_end.saturating_sub(disp_start) / w,
            needle_offset: ptr.wrapping_sub(disp_start) / w,
            metadata: if blocked {
                String::new()
            } else {
                self.ig_metadata(s, local)
            },
            token_ids,
            blocked,
        }
    }

    /// A document's metadata string as infini-gram returns it: the raw `metadata.N` line of an
    /// infini-gram index; for a verbatim index, the record in the same shape, as infini-gram's
    /// indexer writes it with Python's `json.dumps`: `{"path": ..., "linenum": ...,
    /// "metadata": {...}}` and a newline, `metadata` holding the record's `id`, `source` and
    /// other fields, `path` and `linenum` from [`Index::ig_origin`] (`""` and `null` where
    /// unknown).
    pub fn ig_metadata(&self, s: usize, local: usize) -> String {
        let shard = &self.shards()[s];
        if let Some(ig) = shard.infini_gram() {
            return String::from_utf8_lossy(ig.raw_metadata(local)).into_owned();
        }
        match shard.doc_record(local) {
            Ok(r) => {
                let doc_no = shard.info().first_doc + local as u64;
                let (path, linenum) = self.ig_origin(doc_no, &r.id).unwrap_or_default();
                // As infini-gram's indexer builds the line: `id`, `source`, then the other
                // fields (a field of the same name replacing the value in its place).
                let id = Value::String(r.id);
                let source = r.source.map(Value::String);
                let mut fields: Vec<(&str, &Value)> = vec![("id", &id)];
                // A `source` that is not a string (null, a number) is kept with the other
                // fields; it still comes second.
                if let Some(src) = source.as_ref().or_else(|| r.metadata.get("source")) {
                    fields.push(("source", src));
                }
                for (k, v) in &r.metadata {
                    match fields.iter_mut().find(|(name, _)| name == k) {
                        Some(field) => field.1 = v,
                        None => fields.push((k, v)),
                    }
                }
                let metadata = super::pyjson::dumps_object(&fields);
                let (path, linenum) = (Value::from(path), Value::from(linenum));
                format!(
                    "{{\"path\": {}, \"linenum\": {}, \"metadata\": {metadata}}}\n",
                    super::pyjson::dumps(&path),
                    super::pyjson::dumps(&linenum)
                )
            }
            Err(_) => String::new(),
        }
    }

    /// Document `doc_no`'s input file (relative to the common folder of its generation's
    /// inputs) and 0-based line ([`super::origin::Origins::of`]); `None` when the manifest
    /// lists no file for it.
    pub fn ig_origin(&self, doc_no: u64, id: &str) -> Option<(String, Option<u64>)> {
        self.origins
            .get_or_init(|| super::origin::Origins::new(&self.manifest().inputs))
            .of(doc_no, id)
    }

    /// infini-gram's `compute_unigram_counts` of shard `s`: the occurrences of every id below
    /// `vocab_size` (the shard's unigram counts, which size its suffix-array blocks) and,
    /// under the separator's id, of the document separator (one per document), in ascending
    /// ids.
    pub fn ig_unigram_counts(&self, s: usize, vocab_size: u64) -> BTreeMap<u32, u64> {
        let shard = &self.shards()[s];
        let unigrams = shard.unigram_counts();
        let sep = self.manifest().tokenizer.width.separator();
        let mut counts: BTreeMap<u32, u64> = (0..vocab_size.min(sep as u64) as u32)
            .map(|t| (t, unigrams.get(t as usize).copied().unwrap_or(0)))
            .collect();
        counts.insert(sep, shard.documents() as u64);
        counts
    }

    /// The sum of the natural-log unigram probabilities of `ids` as infini-gram's
    /// `attribute` computes them with `precompute_unigram_logprobs`: like
    /// [`Index::unigram_logprob_sum`], except that the separator counts once per document
    /// (infini-gram's unigram table, [`Index::ig_unigram_counts`], holds it).
    pub fn ig_unigram_logprob_sum(&self, ids: &[u32]) -> f64 {
        let sep = self.manifest().tokenizer.width.separator();
        let docs: u64 = self.shards().iter().map(|s| s.documents() as u64).sum();
        let counts = self.unigram_counts();
        self.logprob_sum_with(ids, |t| {
            if t == sep {
                Some(docs)
            } else {
                counts.get(t as usize).copied()
            }
        })
    }

    /// infini-gram's `search_docs`: `maxnum` occurrences drawn at random (with replacement),
    /// each with its document.
    pub fn ig_search_docs(
        &self,
        ids: &[u32],
        maxnum: usize,
        max_disp_len: u64,
        rng: &mut Rng,
    ) -> SearchDocs {
        let f = self.ig_find(ids);
        if f.cnt == 0 {
            return SearchDocs::default();
        }
        let mut idxs = Vec::with_capacity(maxnum);
        let mut documents = Vec::with_capacity(maxnum);
        for _ in 0..maxnum {
            let idx = rng.below(f.cnt);
            let (s, rank) = locate_idx(&f.segment_by_shard, idx);
            idxs.push(idx);
            documents.push(self.ig_doc_by_rank(s, rank, max_disp_len));
        }
        SearchDocs {
            cnt: f.cnt,
            approx: false,
            idxs,
            documents,
        }
    }

    /// infini-gram's `find_cnf`: occurrences and byte pointers of their first terms.
    pub fn ig_find_cnf(
        &self,
        cnf: &[Vec<Vec<u32>>],
        opts: crate::query::CnfOptions,
    ) -> (u64, bool, Vec<Vec<u64>>) {
        let m = self.find_cnf(cnf, opts);
        let w = self.token_bytes();
        let ptrs = m
            .ranges_by_shard
            .iter()
            .map(|rs| rs.iter().map(|&(l, _)| l * w).collect())
            .collect();
        (m.count, m.approx, ptrs)
    }

    /// infini-gram's `search_docs_cnf`: `maxnum` matches drawn at random, each with its
    /// document and its place among the (approximate) count.
    pub fn ig_search_docs_cnf(
        &self,
        cnf: &[Vec<Vec<u32>>],
        opts: crate::query::CnfOptions,
        maxnum: usize,
        max_disp_len: u64,
        rng: &mut Rng,
    ) -> SearchDocs {
        let (cnt, approx, ptrs) = self.ig_find_cnf(cnf, opts);
        let total: u64 = ptrs.iter().map(|p| p.len() as u64).sum();
        if cnt == 0 || total == 0 {
            return SearchDocs::default();
        }
        let mut idxs = Vec::with_capacity(maxnum);
        let mut documents = Vec::with_capacity(maxnum);
        for _ in 0..maxnum {
            let k = rng.below(total);
            let (mut s, mut i) = (0usize, k);
            while i >= ptrs[s].len() as u64 {
                i -= ptrs[s].len() as u64;
                s += 1;
            }
            let percentile = k as f64 / total as f64;
            idxs.push((percentile * cnt as f64) as u64);
            documents.push(self.ig_doc_by_ptr(s, ptrs[s][i as usize], max_disp_len));
        }
        SearchDocs {
            cnt,
            approx,
            idxs,
            documents,
        }
    }
}

/// The shard and rank of occurrence `idx` counted across shards' segments.
pub fn locate_idx(segments: &[(u64, u64)], mut idx: u64) -> (usize, u64) {
    for (s, &(a, b)) in segments.iter().enumerate() {
        if idx < b - a {
            return (s, a + idx);
        }
        idx -= b - a;
    }
    (segments.len().saturating_sub(1), 0)
}

/// The continuation of suffixes `depth` tokens in (document ends read as `eos`).
struct NextToken<'a, T, S> {
    tokens: &'a [T],
    sa: S,
    depth: usize,
    eos: u32,
}

/// A continuation as stored: a token, the separator that ends a document, or the end of the
/// stream (which sorts first). Suffixes with equal continuations are adjacent in a suffix
/// array, so a segment whose first and last agree holds no other; two different ends do
/// not agree, though both count as `eos`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Continuation {
    Token(u32),
    Separator,
    StreamEnd,
}

impl<T: Token, S: SuffixArray> NextToken<'_, T, S> {
    fn at(&self, rank: u64) -> Continuation {
        match self.tokens.get(self.sa.at(rank as usize) + self.depth) {
            Some(t) if *t == T::SEPARATOR => Continuation::Separator,
            Some(t) => Continuation::Token(t.to_u32()),
            None => Continuation::StreamEnd,
        }
    }

    /// The token a continuation counts as (a document end as `eos`).
    fn token(&self, c: Continuation) -> u32 {
        match c {
            Continuation::Token(t) => t,
            Continuation::Separator | Continuation::StreamEnd => self.eos,
        }
    }

    /// infini-gram's `_get_freq_by_token_id_approx`: in segments shorter than four units,
    /// one continuation per unit (at its middle) counts for the unit; a longer segment whose
    /// first and last continuations agree is all that token; others are halved. Unlike
    /// infini-gram's, the agreement is of continuations as stored, not of the tokens they
    /// count as: a segment from a document ending with the stream to one ending at a
    /// separator holds other tokens between (infini-gram counts them all as `eos`).
    fn freq(
        &self,
        start: u64,
        end: u64,
        unit: u64,
        first: Option<Continuation>,
        last: Option<Continuation>,
        out: &mut BTreeMap<u32, u64>,
    ) {
        if end - start < 4 * unit {
            let mut rank = start;
            while rank < end {
                let (mid, n) = if rank + unit <= end {
                    (rank + (unit >> 1), unit)
                } else {
                    ((rank + end) >> 1, end - rank)
                };
                *out.entry(self.token(self.at(mid))).or_default() += n;
                rank += unit;
            }
            return;
        }
        let a = first.unwrap_or_else(|| self.at(start));
        let b = last.unwrap_or_else(|| self.at(end - 1));
        if a == b {
            *out.entry(self.token(a)).or_default() += end - start;
            return;
        }
        let mid = (start + end) >> 1;
        self.freq(start, mid, unit, Some(a), None, out);
        self.freq(mid, end, unit, None, Some(b), out);
    }
}
