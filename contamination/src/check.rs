//! Checking one item under every requested definition.

use crate::error::{Error, Result};
use crate::llama2_shown::{shown_matches, Llama2Match};
use crate::llama2_skip::{self, SkipWalks};
use crate::method::*;
use crate::words_search::{bytes_query, present, sparse_lpm, WordsSearch};
use crate::Item;
use std::time::{Duration, Instant};
use verbatim_core::normalize::{self, Normalization, NormalizationRules};
use verbatim_core::query::Occurrences;
use verbatim_core::{DocLocation, Index};

pub use crate::results::{CheckOptions, Example, ItemResult, MethodResult, Snippet};

/// Checks items against one index.
pub struct Checker<'a> {
    index: &'a Index,
    words: Option<&'a Index>,
    alnum: Option<&'a Index>,
    /// The rules the words side index was normalised by, for its queries.
    words_rules: NormalizationRules,
    /// The rules the alnum side index was normalised by, for its queries.
    alnum_rules: NormalizationRules,
    opts: CheckOptions,
}

/// A hit in a side index: `(shard, position, document, match length)`.
type Hit = (usize, usize, DocLocation, usize);

/// Documents sampled per example wanted, among which the examples are the first that can be
/// shown (not taken down).
const EXAMPLE_CANDIDATES: usize = 16;

/// Seed of the occurrence sampling of contamination checks (fixed: reports are reproducible).
const SAMPLE_SEED: u64 = 0x7665_7262_6174_696d;

/// FNV-1a, 64 bits: the stable seed of an item id.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// splitmix64: a small, stable pseudo-random generator.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by rejection.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return x % n;
            }
        }
    }
}

/// The GPT-4 samples of an item: start offsets of up to 3 distinct 50-character windows of
/// the alnum text of length `len`, drawn with a generator seeded by the item id.
pub(crate) fn gpt4_starts(id: &str, len: usize) -> Vec<usize> {
    if len <= SUBSTR_LEN {
        return if len == 0 { Vec::new() } else { vec![0] };
    }
    let positions = (len - SUBSTR_LEN + 1) as u64;
    if positions <= GPT4_SAMPLES as u64 {
        return (0..positions as usize).collect();
    }
    let mut rng = SplitMix(fnv1a(id));
    let mut out: Vec<usize> = Vec::with_capacity(GPT4_SAMPLES);
    while out.len() < GPT4_SAMPLES {
        let p = rng.below(positions) as usize;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The GPT-4 samples of an item: up to 3 distinct 50-character substrings of its alnum text
/// (the whole text when shorter), at offsets drawn by a generator seeded with the item id.
pub fn gpt4_samples(id: &str, text: &str) -> Vec<String> {
    gpt4_samples_under(id, text, NormalizationRules::CURRENT)
}

/// [`gpt4_samples`] of an alnum text normalised by `rules` (offsets count characters, so
/// ASCII text gives the same samples under either rules).
pub fn gpt4_samples_under(id: &str, text: &str, rules: NormalizationRules) -> Vec<String> {
    let a = Normalization::Alnum.apply_under(text, rules);
    let bounds: Vec<usize> = a
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(a.len()))
        .collect();
    let chars = bounds.len() - 1;
    gpt4_starts(id, chars)
        .into_iter()
        .map(|s| a[bounds[s]..bounds[(s + SUBSTR_LEN).min(chars)]].to_string())
        .collect()
}

/// Documents whose ids [`first_other_id`] compares: evenly spaced, the first and last
/// included.
const IDS_COMPARED: u64 = 65;

/// The first of [`IDS_COMPARED`] evenly spaced documents (the first and the last among them)
/// whose id in `side` is not [`same_document_id`] as its id in `index`, as `(number, side's
/// id, index's id)`: a side index of another corpus with as many documents. A record that
/// cannot be read is not compared (reading it for a match reports the damage).
fn first_other_id(index: &Index, side: &Index) -> Option<(u64, String, String)> {
    let n = index.manifest().documents;
    let id = |i: &Index, doc_no: u64| {
        i.locate(doc_no)
            .and_then(|loc| i.doc_record(loc).ok())
            .map(|r| r.id)
    };
    (0..IDS_COMPARED)
        .map(|k| k * n.saturating_sub(1) / (IDS_COMPARED - 1))
        .filter(|&d| d < n)
        .find_map(|d| match (id(side, d), id(index, d)) {
            (Some(a), Some(b)) if !same_document_id(&a, &b) => Some((d, a, b)),
            _ => None,
        })
}

/// Whether ids `a` and `b` may name one document of one corpus indexed twice: equal; or both
/// derived from a file and a line (`DIR/FILE:LINE`, which depends on how the input was
/// given) with the same file name and line; or either an infini-gram index's number (`#N`),
/// which says nothing of the corpus.
fn same_document_id(a: &str, b: &str) -> bool {
    let file_line = |id: &str| {
        let (path, line) = id.rsplit_once(':')?;
        let digits = !line.is_empty() && line.bytes().all(|c| c.is_ascii_digit());
        digits.then(|| {
            (
                path.rsplit('/').next().unwrap_or(path).to_string(),
                line.to_string(),
            )
        })
    };
    let number = |id: &str| {
        id.strip_prefix('#')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
    };
    a == b
        || number(a)
        || number(b)
        || matches!((file_line(a), file_line(b)), (Some(x), Some(y)) if x == y)
}

/// The first input file whose bytes differ between the builds of `index` and `side`, where
/// both record their input files and those pair up (as many files, each giving as many
/// documents): a side index numbers its documents as the index does only when built from
/// the same bytes in the same order, and the same ids are not enough (ids `FILE:LINE` of a
/// file whose lines were reordered agree). Files split otherwise (an index appended to, its
/// side index built at once) are left to the id check.
fn first_other_input(index: &Index, side: &Index) -> Option<String> {
    let (a, b) = (&index.manifest().inputs, &side.manifest().inputs);
    let paired = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.documents == y.documents);
    if a.is_empty() || !paired {
        return None;
    }
    a.iter().zip(b).enumerate().find_map(|(i, (x, y))| {
        (x.sha256 != y.sha256).then(|| {
            format!(
                "input file {} is {} (sha256 {}) where the index read {} (sha256 {})",
                i + 1,
                y.path,
                y.sha256,
                x.path,
                x.sha256
            )
        })
    })
}

impl<'a> Checker<'a> {
    /// A checker for `index` using its own side indexes; fails when a requested method needs
    /// a side index it lacks.
    pub fn new(index: &'a Index, opts: CheckOptions) -> Result<Checker<'a>> {
        Self::with_side_indexes(
            index,
            index.side(Normalization::Words),
            index.side(Normalization::Alnum),
            opts,
        )
    }

    /// A checker for `index` with side indexes opened separately (e.g. `OTHER/side/words` of
    /// a `--tokenizer bytes` build of the same corpus). Each must carry its normalisation and
    /// hold as many documents as the main index, with the same ids at 65 evenly spaced
    /// documents, and the same input files byte for byte where both builds read the same
    /// number of files, each giving as many documents.
    pub fn with_side_indexes(
        index: &'a Index,
        words: Option<&'a Index>,
        alnum: Option<&'a Index>,
        opts: CheckOptions,
    ) -> Result<Checker<'a>> {
        if opts.methods.is_empty() {
            return Err(Error::NoMethod);
        }
        for (side, want) in [(words, Normalization::Words), (alnum, Normalization::Alnum)] {
            let Some(side) = side else { continue };
            if side.manifest().normalization != Some(want) {
                return Err(Error::NotASideIndex {
                    dir: side.dir().to_path_buf(),
                    want: want.name(),
                    found: format!("{:?}", side.manifest().normalization),
                });
            }
            if side.manifest().documents != index.manifest().documents {
                return Err(Error::SideIndexMismatch {
                    want: want.name(),
                    dir: side.dir().to_path_buf(),
                    side_documents: side.manifest().documents,
                    index: index.dir().to_path_buf(),
                    index_documents: index.manifest().documents,
                });
            }
            if let Some(detail) = first_other_input(index, side) {
                return Err(Error::SideIndexOtherInputs {
                    want: want.name(),
                    dir: side.dir().to_path_buf(),
                    index: index.dir().to_path_buf(),
                    detail,
                });
            }
            if let Some((doc_no, side_id, index_id)) = first_other_id(index, side) {
                return Err(Error::SideIndexOtherDocuments {
                    want: want.name(),
                    dir: side.dir().to_path_buf(),
                    doc_no,
                    side_id,
                    index: index.dir().to_path_buf(),
                    index_id,
                });
            }
        }
        let mut missing: Vec<String> = Vec::new();
        for m in &opts.methods {
            let have = match m.side_index() {
                Some(Normalization::Words) => words.is_some(),
                Some(Normalization::Alnum) => alnum.is_some(),
                None => true,
            };
            if !have {
                let side = m.side_index().map_or("", |s| s.name());
                missing.push(format!("{m} needs the `{side}` side index"));
            }
        }
        if !missing.is_empty() {
            return Err(Error::MissingSideIndexes {
                index: index.dir().to_path_buf(),
                missing,
            });
        }
        let rules_of = |side: Option<&Index>| {
            side.map_or(Ok(NormalizationRules::CURRENT), |s| s.manifest().rules())
        };
        Ok(Checker {
            index,
            words,
            alnum,
            words_rules: rules_of(words)?,
            alnum_rules: rules_of(alnum)?,
            opts,
        })
    }

    /// The options.
    pub fn options(&self) -> &CheckOptions {
        &self.opts
    }

    /// The index checked against.
    pub fn index(&self) -> &Index {
        self.index
    }

    /// The rules the side index of normalisation `n` was normalised by (its queries are).
    pub fn rules(&self, n: Normalization) -> NormalizationRules {
        match n {
            Normalization::Words => self.words_rules,
            Normalization::Alnum => self.alnum_rules,
        }
    }

    /// The side index of normalisation `n` this checker reads, if it has one.
    pub fn side(&self, n: Normalization) -> Option<&Index> {
        match n {
            Normalization::Words => self.words,
            Normalization::Alnum => self.alnum,
        }
    }

    /// Checks one item under every method.
    pub fn check(&self, item: &Item) -> ItemResult {
        let words = normalize::words_under(&item.text, self.words_rules);
        let ms = &self.opts.methods;
        let mut ns = Vec::new();
        if ms.contains(&Method::Gpt3) {
            ns.push(GPT3_N);
        }
        if ms.contains(&Method::Palm) {
            ns.push(PALM_N);
        }
        let substrings = ms.contains(&Method::Substr50);
        let t = Instant::now();
        let shared = match self.words {
            Some(side) if !ns.is_empty() || substrings => {
                Some(WordsSearch::new(side, &words, &ns, substrings))
            }
            _ => None,
        };
        // Timed only when it ran: a llama2-only check has no words search to report.
        let shared_elapsed = if shared.is_some() {
            t.elapsed()
        } else {
            Duration::ZERO
        };
        let methods = ms
            .iter()
            .map(|&m| {
                let t = Instant::now();
                let ws = shared.as_ref();
                let mut r = match m {
                    Method::Gpt3 => self.gpt3(&words, ws.expect("words side index")),
                    Method::Palm => self.palm(&words, ws.expect("words side index")),
                    Method::Llama2 => self.llama2(&item.text),
                    Method::Gpt4 => self.gpt4(&item.id, &item.text),
                    Method::Substr50 => self.substr50(ws.expect("words side index")),
                };
                r.elapsed = t.elapsed();
                self.note_hidden_examples(&mut r);
                r
            })
            .collect();
        ItemResult {
            bench: item.bench.clone(),
            id: item.id.clone(),
            words: words.len(),
            methods,
            shared_elapsed,
        }
    }

    fn result(&self, method: Method, units: usize, matched: usize) -> MethodResult {
        let score = if units == 0 {
            0.0
        } else {
            matched as f64 / units as f64
        };
        MethodResult {
            method,
            score,
            label: method.label(score, matched),
            units,
            matched,
            ignored: None,
            spans: Vec::new(),
            examples: Vec::new(),
            note: None,
            elapsed: Duration::ZERO,
        }
    }

    /// A match shown without an example document says why when documents are taken down:
    /// takedowns hide the documents but not what they matched, so a reader would otherwise
    /// see a dirty item with nothing behind it.
    fn note_hidden_examples(&self, r: &mut MethodResult) {
        if r.label == Label::Clean
            || !r.examples.is_empty()
            || self.opts.examples == 0
            || self.index.taken_down_count() == 0
        {
            return;
        }
        let why = "no example shown: the documents looked at that hold the matches are taken down (or could not be read)";
        r.note = Some(match r.note.take() {
            Some(n) => format!("{n}; {why}"),
            None => why.to_string(),
        });
    }

    /// Up to `limit + 1` occurrences in distinct documents, taken-down ones included (they
    /// count towards contamination, though they are never shown), in the layout-independent
    /// sampling order, so that any sharding of the corpus gives the same report.
    fn distinct_docs(&self, ix: &Index, occ: &Occurrences, len: usize, limit: usize) -> Vec<Hit> {
        ix.sample_documents(occ, SAMPLE_SEED, limit + 1, |_| true)
            .into_iter()
            .map(|o| (o.shard, o.pos, o.loc, len))
            .collect()
    }

    /// Adds to `out` the examples of `hits` that can be shown (not taken down), one per
    /// document, until it holds `examples` of them.
    fn push_examples(
        &self,
        side: &Index,
        hits: impl IntoIterator<Item = Hit>,
        out: &mut Vec<Example>,
    ) {
        for hit in hits {
            if out.len() >= self.opts.examples {
                break;
            }
            if let Some(e) = self.side_example(side, hit) {
                if !out.iter().any(|x| x.id == e.id) {
                    out.push(e);
                }
            }
        }
    }

    /// An example from a side-index hit: the document is found in the main index by its
    /// external id (side indexes keep the ids), and the snippet is the normalised text.
    fn side_example(&self, side: &Index, hit: Hit) -> Option<Example> {
        let (shard, pos, loc, len) = hit;
        let rec = side.doc_record(loc).ok()?;
        let main = self.index.doc_by_id(&rec.id)?; // None when taken down
        let sn = side.snippet(shard, pos, len, self.opts.snippet_chars);
        Some(Example {
            id: rec.id,
            doc_no: main.doc_no,
            source: rec.source,
            snippet: sn,
        })
    }

    /// Examples for matched side-index units: up to `examples` distinct documents.
    fn side_examples(&self, side: &Index, units: &[String]) -> Vec<Example> {
        let k = self.opts.examples;
        let mut out: Vec<Example> = Vec::new();
        for u in units.iter().take(4 * k.max(1)) {
            if out.len() >= k {
                break;
            }
            let q = bytes_query(u);
            let occ = side.find(&q);
            // Among up to 16 times as many documents sampled as wanted: sampling `k` left
            // none to show when most holders were taken down, and filtering while sampling
            // would read every occurrence of a unit held only by hidden documents.
            let hits = side
                .sample_documents(&occ, SAMPLE_SEED, EXAMPLE_CANDIDATES * k, |_| true)
                .into_iter()
                .map(|o| (o.shard, o.pos, o.loc, q.len()));
            self.push_examples(side, hits, &mut out);
        }
        out
    }

    /// At most `max_spans` of the matched units, as shown: a word n-gram without the spaces
    /// that frame its words; a character substring (`substr50`, `gpt4`) exactly as matched,
    /// an end space included, so that it keeps its 50 characters.
    fn cap_spans(&self, units: &[String], words: bool) -> Vec<String> {
        units
            .iter()
            .take(self.opts.max_spans)
            .map(|u| if words { u.trim_matches(' ') } else { u }.to_string())
            .collect()
    }

    /// GPT-3: distinct word 13-grams; one found in 1..=10 distinct documents contaminates,
    /// one found in more is ignored.
    fn gpt3(&self, words: &[String], ws: &WordsSearch) -> MethodResult {
        let side = self.words.expect("checked in new");
        let (grams, short) = ws.ngrams(side, GPT3_N);
        let mut matched_units: Vec<String> = Vec::new();
        let mut examples: Vec<Example> = Vec::new();
        let mut ignored = 0usize;
        for (g, found) in &grams {
            if !found {
                continue;
            }
            let q = bytes_query(g);
            let occ = side.find(&q);
            let docs = self.distinct_docs(side, &occ, q.len(), GPT3_MAX_DOCS);
            if docs.len() > GPT3_MAX_DOCS {
                ignored += 1;
                continue;
            }
            matched_units.push(g.clone());
            // From the documents that can be shown, so that taken-down holders of the first
            // n-grams do not crowd out visible ones found by later n-grams.
            self.push_examples(side, docs, &mut examples);
        }
        let mut r = self.result(Method::Gpt3, grams.len(), matched_units.len());
        r.ignored = Some(ignored);
        r.spans = self.cap_spans(&matched_units, true);
        if r.label != Label::Clean {
            r.examples = examples;
        }
        if short {
            r.note = Some(format!(
                "shorter than {GPT3_N} words: its whole word sequence ({} words) is the single n-gram",
                words.len()
            ));
        } else if words.is_empty() {
            r.note = Some("no words: nothing to match".into());
        }
        r
    }

    /// PaLM: share of distinct word 8-grams found; dirty from 70%.
    fn palm(&self, words: &[String], ws: &WordsSearch) -> MethodResult {
        let side = self.words.expect("checked in new");
        let (grams, short) = ws.ngrams(side, PALM_N);
        let found: Vec<String> = grams.iter().filter(|g| g.1).map(|g| g.0.clone()).collect();
        let mut r = self.result(Method::Palm, grams.len(), found.len());
        r.spans = self.cap_spans(&found, true);
        if r.label != Label::Clean {
            r.examples = self.side_examples(side, &found);
        }
        if short {
            r.note = Some(format!(
                "shorter than {PALM_N} words: its whole word sequence ({} words) is the single n-gram",
                words.len()
            ));
        } else if words.is_empty() {
            r.note = Some("no words: nothing to match".into());
        }
        r
    }

    /// infini-gram mini: share of distinct 50-character substrings of the words-normalised
    /// text, one starting at each word, that occur.
    fn substr50(&self, ws: &WordsSearch) -> MethodResult {
        let side = self.words.expect("checked in new");
        let (subs, short) = ws.substrings(side);
        let found: Vec<String> = subs.iter().filter(|s| s.1).map(|s| s.0.clone()).collect();
        let mut r = self.result(Method::Substr50, subs.len(), found.len());
        r.spans = self.cap_spans(&found, false);
        if r.label != Label::Clean {
            r.examples = self.side_examples(side, &found);
        }
        if short {
            r.note = Some(format!(
                "normalised text shorter than {SUBSTR_LEN} characters: the whole text is the single substring"
            ));
        }
        r
    }

    /// GPT-4: 3 random 50-character substrings of the alnum text (seeded by the item id);
    /// any found contaminates.
    fn gpt4(&self, id: &str, text: &str) -> MethodResult {
        let side = self.alnum.expect("checked in new");
        let a = Normalization::Alnum.apply_under(text, self.alnum_rules);
        let subs = gpt4_samples_under(id, text, self.alnum_rules);
        let found: Vec<String> = subs
            .iter()
            .filter(|s| present(side, &bytes_query(s)))
            .cloned()
            .collect();
        let mut r = self.result(Method::Gpt4, subs.len(), found.len());
        r.spans = self.cap_spans(&found, false);
        if r.label != Label::Clean {
            r.examples = self.side_examples(side, &found);
        }
        let chars = a.chars().count();
        if chars > 0 && chars < SUBSTR_LEN {
            r.note = Some(format!(
                "fewer than {SUBSTR_LEN} alphanumeric characters ({chars}): the whole text is the single sample"
            ));
        }
        r
    }

    /// Llama 2: share of tokens covered by matches longer than 10 tokens (with the skip
    /// budget, aligned matches with at most `llama2_skip` mismatching positions).
    fn llama2(&self, text: &str) -> MethodResult {
        let ids = match self.index.tokenizer().encode_ids(text) {
            Ok(ids) => ids,
            Err(e) => {
                let mut r = self.result(Method::Llama2, 0, 0);
                r.note = Some(format!("cannot tokenize: {e}"));
                return r;
            }
        };
        let n = ids.len();
        let skip = self.opts.llama2_skip;
        let mut covered = vec![false; n];
        // (start, end, exact prefix length, aligned corpus position if extended)
        let mut matches: Vec<Llama2Match> = Vec::new();
        // A chain needs 10 exact tokens first (skip budget) or one match of 11 (no budget).
        let need = if skip > 0 {
            LLAMA2_MIN_LEN
        } else {
            LLAMA2_MIN_LEN + 1
        };
        let starts: Vec<usize> = (0..n).collect();
        // Exact matches are measured up to LLAMA2_EXACT_CAP tokens, which leaves the covered
        // tokens as they are: ends `l + LPM(l)` never decrease along the item, so a token `t`
        // that a start `l` covers is covered by a start `l' = max(l, t + 1 - cap)`, whose
        // match ends after `t` and is more than 10 tokens long. With a skip budget, chains
        // grow from the capped match's occurrences and its first 10 tokens'; every chain a
        // longer match would grow runs along an occurrence of its first 10 tokens as well, so
        // while those are few enough to be walked all (64), the ends are the same
        // (`llama2_skip::extend`).
        let lpm = sparse_lpm(self.index, &ids, &starts, |_| need, LLAMA2_EXACT_CAP);
        // A token standing for any text the vocabulary cannot spell (WordPiece's `[UNK]`)
        // agrees with nothing: an exact match ends before it, and a skip-gram walk counts it
        // as a mismatch. `unknown_at[l]`: the first such position at or after `l`.
        let unknown = self.index.tokenizer().unknown_id();
        let mut unknown_at = vec![n; n + 1];
        for l in (0..n).rev() {
            unknown_at[l] = if Some(ids[l]) == unknown {
                l
            } else {
                unknown_at[l + 1]
            };
        }
        let mut walks = SkipWalks::new(self.index, &ids, skip);
        for l in 0..n {
            let Some(exact) = lpm[l].map(|e| e.min(unknown_at[l] - l)) else {
                continue;
            };
            let mut end = l + exact;
            let mut at = None;
            if skip > 0 && exact >= LLAMA2_MIN_LEN && end < n {
                let (e, p) = llama2_skip::extend(&mut walks, l, exact, SAMPLE_SEED);
                if e > end {
                    end = e;
                    at = p;
                }
            }
            if end - l > LLAMA2_MIN_LEN {
                covered[l..end].iter_mut().for_each(|c| *c = true);
                matches.push((l, end, exact, at));
            }
        }
        let matched = covered.iter().filter(|&&c| c).count();
        let mut r = self.result(Method::Llama2, n, matched);
        // Spans: the covered runs.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for (i, &c) in covered.iter().enumerate() {
            if c {
                match runs.last_mut() {
                    Some(last) if last.1 == i => last.1 = i + 1,
                    _ => runs.push((i, i + 1)),
                }
            }
        }
        // Spans: the matches that make up the runs, each one whole (a run may join matches
        // of different places, which together are text the corpus does not hold).
        let shown = shown_matches(&runs, &matches, |m| {
            // Measured whole already: shorter than the cap, or a chain walked to its end.
            if m.2 < LLAMA2_EXACT_CAP || m.3.is_some() {
                return m;
            }
            // The exact match past the cap: within its run, which holds every match.
            let run_end = runs[runs.partition_point(|r| r.1 <= m.0)].1;
            let exact = self
                .index
                .longest_prefix_match(&ids[m.0..run_end])
                .min(unknown_at[m.0] - m.0);
            (m.0, m.0 + exact, exact, m.3)
        });
        let tok = self.index.tokenizer();
        r.spans = shown
            .iter()
            .take(self.opts.max_spans)
            .map(|m| tok.decode(&ids[m.0..m.1]))
            .collect();
        if r.label != Label::Clean {
            let ctx = (self.opts.snippet_chars / 4).max(1);
            // The longest matches shown.
            let mut best = shown;
            best.sort_by_key(|m| std::cmp::Reverse(m.1 - m.0));
            for (l, end, exact, at) in best {
                if r.examples.len() >= self.opts.examples {
                    break;
                }
                // The aligned document when it can be shown, else an occurrence of the exact
                // match in a document that is not taken down.
                let shown = |&(shard, pos): &(usize, usize)| {
                    !self
                        .index
                        .is_taken_down(self.index.locate_position(shard, pos).doc_no)
                };
                // The shown match: the whole aligned match in its own document, or only the
                // exact prefix elsewhere (another document agrees with the item on no more).
                let ((shard, pos), shown_len) = match at.filter(shown) {
                    Some(p) => (p, end - l),
                    None => {
                        let occ = self.index.find(&ids[l..l + exact]);
                        let visible = self.index.sample_documents(&occ, SAMPLE_SEED, 1, |loc| {
                            !self.index.is_taken_down(loc.doc_no)
                        });
                        match visible.first() {
                            Some(o) => ((o.shard, o.pos), exact),
                            None => continue,
                        }
                    }
                };
                let loc = self.index.locate_position(shard, pos);
                if self.index.is_taken_down(loc.doc_no)
                    || r.examples.iter().any(|e| e.doc_no == loc.doc_no)
                {
                    continue;
                }
                let Ok(rec) = self.index.doc_record(loc) else {
                    continue;
                };
                let sn = self.index.snippet(shard, pos, shown_len, ctx);
                r.examples.push(Example {
                    id: rec.id,
                    doc_no: loc.doc_no,
                    source: rec.source,
                    snippet: sn,
                });
            }
        }
        if n <= LLAMA2_MIN_LEN && n > 0 {
            r.note = Some(format!(
                "{n} tokens: no match can be longer than {LLAMA2_MIN_LEN} tokens"
            ));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::same_document_id;

    #[test]
    fn ids_derived_from_files_compare_by_file_name_and_line() {
        assert!(same_document_id("doc-7", "doc-7"));
        assert!(!same_document_id("doc-7", "doc-8"));
        assert!(same_document_id("data/a.jsonl:12", "a.jsonl:12"));
        assert!(!same_document_id("a.jsonl:12", "a.jsonl:13"));
        assert!(!same_document_id("a.jsonl:12", "b.jsonl:12"));
        assert!(same_document_id("#41", "doc-7"));
        assert!(!same_document_id("#", "doc-7"));
    }
}
