//! The full-text side index (tantivy): BM25 keyword search.
//!
//! One tantivy document per corpus document: `doc_no` and `part` (fast fields: the document's
//! number), `id` and `source` (stored strings), `meta` (stored JSON text) and `text` (indexed
//! with frequencies and positions, not stored: text is always decoded from the token stream),
//! its terms made by the analyzer its schema names ([`crate::fulltext_words`]).
//!
//! A document's global number is `doc_no` when `part` is 0. An index assembled from parts
//! built apart (a distributed build) keeps each part's tantivy segments as they are: their
//! documents carry `part = K + 1` and their number within part K, and the manifest's
//! `fulltext_parts` gives each part's first global number. Opening costs nothing per
//! document: numbers are read from the fast-field columns (memory-mapped) when a hit needs
//! one.

use crate::error::{Error, Result};
use crate::residency::Residency;
use std::collections::BTreeMap;
use std::path::Path;
use std::result::Result as StdResult;
use std::sync::{Arc, RwLock};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Advice, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::schema::{
    Field, FieldType, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Score;
use tantivy::{Index, IndexReader, ReloadPolicy};

/// Directory of the full-text index inside an index directory.
pub const FULLTEXT_DIR: &str = "fulltext";

/// The fields of the full-text schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Document number (global when `part` is 0, else within the part).
    pub doc_no: Field,
    /// 0, or 1 + the number of the distributed-build part that indexed the document.
    pub part: Field,
    /// External id.
    pub id: Field,
    /// Source name.
    pub source: Field,
    /// Metadata JSON.
    pub meta: Field,
    /// Document text (indexed only).
    pub text: Field,
}

/// Builds the schema; the indexer and the reader both call this.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let doc_no = b.add_u64_field("doc_no", FAST | INDEXED | STORED);
    let id = b.add_text_field("id", STRING | STORED);
    let source = b.add_text_field("source", STRING | STORED);
    let meta = b.add_text_field("meta", STORED);
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(crate::fulltext_words::NFC_WORDS_UNSPACED)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = b.add_text_field(
        "text",
        TextOptions::default().set_indexing_options(indexing),
    );
    let part = b.add_u64_field("part", FAST | STORED);
    (
        b.build(),
        Fields {
            doc_no,
            part,
            id,
            source,
            meta,
            text,
        },
    )
}

/// The terms of the `text` field: the analyzer a full-text index's schema names for it, which
/// indexed its documents and parses its queries (see [`crate::fulltext_words`]).
#[derive(Clone)]
pub struct Terms(TextAnalyzer);

impl Terms {
    /// The analyzer of `schema`'s `text` field; `None` when it names one verbatim does not
    /// know (an index written by a newer verbatim).
    fn of_schema(schema: &Schema) -> Option<Terms> {
        let field = schema.get_field("text").ok()?;
        let FieldType::Str(o) = schema.get_field_entry(field).field_type() else {
            return None;
        };
        crate::fulltext_words::analyzer_named(o.get_indexing_options()?.tokenizer()).map(Terms)
    }

    /// The analyzer of the full-text indexes this verbatim builds.
    pub fn current() -> Terms {
        Terms::of_schema(&schema().0).expect("the schema names an analyzer verbatim knows")
    }

    /// Calls `each` with every term of `text` as the full-text index makes them, in order,
    /// with its byte range in `text`, until `each` returns `false`.
    fn for_each(&self, text: &str, mut each: impl FnMut(std::ops::Range<usize>, &String) -> bool) {
        let mut analyzer = self.0.clone();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            if !each(t.offset_from..t.offset_to, &t.text) {
                return;
            }
        }
    }

    /// The terms of `text` as the full-text index makes them from a document's text (and
    /// from a query's words), in order, each with its byte range in `text`: a term is matched
    /// only as a whole word, never inside another (`bet` is not a term of `alphabet`).
    pub fn of(&self, text: &str) -> Vec<(std::ops::Range<usize>, String)> {
        let mut out = Vec::new();
        self.for_each(text, |range, term| {
            out.push((range, term.clone()));
            true
        });
        out
    }

    /// The byte range in `text` of the first run of words that makes one of `targets` and
    /// that `accept` accepts (given the run's byte range, from its first word's start to its
    /// last's end).
    pub fn find(
        &self,
        text: &str,
        targets: &[Wanted],
        mut accept: impl FnMut(&std::ops::Range<usize>) -> bool,
    ) -> Option<std::ops::Range<usize>> {
        let longest = targets.iter().map(|t| t.terms.len()).max().unwrap_or(0);
        if longest == 0 {
            return None;
        }
        // The last `longest` words, the newest last: a target ending at the newest word.
        let mut recent: std::collections::VecDeque<(std::ops::Range<usize>, String)> =
            std::collections::VecDeque::with_capacity(longest);
        // The earliest-starting target ending at the newest word; several may end there.
        let mut found: Option<std::ops::Range<usize>> = None;
        let mut best_start = usize::MAX;
        self.for_each(text, |range, term| {
            // The oldest word's string is reused once the window is full.
            let mut word = if recent.len() == longest {
                recent.pop_front().map(|w| w.1).unwrap_or_default()
            } else {
                String::new()
            };
            word.clear();
            word.push_str(term);
            recent.push_back((range.clone(), word));
            // A match starting before `best_start` may still end later, at most `longest`
            // words after it: stop once no such match can come.
            if found.is_some() && recent.front().is_some_and(|w| w.0.start > best_start) {
                return false;
            }
            for t in targets {
                let n = t.terms.len();
                if n == 0 || n > recent.len() {
                    continue;
                }
                let words = recent.range(recent.len() - n..);
                let last = n - 1;
                let matched = words.zip(&t.terms).enumerate().all(|(i, (w, want))| {
                    if t.prefix && i == last {
                        w.1.starts_with(want.as_str())
                    } else if t.edits > 0 && n == 1 {
                        crate::fulltext_fuzzy::within_edits(&w.1, want, t.edits)
                    } else {
                        w.1 == *want
                    }
                });
                if !matched {
                    continue;
                }
                let start = recent[recent.len() - n].0.start;
                let run = start..range.end;
                if start < best_start && accept(&run) {
                    best_start = start;
                    found = Some(run);
                }
            }
            true
        });
        found
    }
}

/// A word or phrase a keyword snippet is centred on: its terms as [`Terms::of`] makes them,
/// the last of which may be a prefix (`tok*`, `"tokyo tow"*`), or a lone term may be fuzzy
/// (`whale~1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The terms, in order.
    pub terms: Vec<String>,
    /// The last term matches any word that starts with it.
    pub prefix: bool,
    /// A lone term matches any word within this many edits of it (0: only itself).
    pub edits: u8,
}

impl From<Vec<String>> for Wanted {
    /// Terms matched whole.
    fn from(terms: Vec<String>) -> Wanted {
        Wanted {
            terms,
            prefix: false,
            edits: 0,
        }
    }
}

/// An open full-text index.
pub struct FullText {
    /// The tantivy index and its reader, swapped whole when [`FullText::set_residency`] maps
    /// the files anew; a search holds the pair it started with.
    opened: RwLock<Arc<Opened>>,
    fields: Fields,
    /// First global number of each part (by `part` field value); part 0 is 0. Shared with
    /// the searches' sort keys.
    part_bases: Arc<BTreeMap<u64, u64>>,
    documents: u64,
    /// Where it is, for errors.
    dir: std::path::PathBuf,
}

/// A tantivy index opened over its directory, and its reader.
struct Opened {
    index: Index,
    reader: IndexReader,
    /// Its files are mapped for [`Residency::Disk`].
    on_disk: bool,
    /// The segments it searches, sorted: which build and generation of the directory it is.
    segments: Vec<tantivy::index::SegmentId>,
    /// The analyzer its documents were indexed with.
    terms: Terms,
}

impl Opened {
    /// Opens the tantivy index in `dir`: for [`Residency::Disk`] its files are mapped
    /// `MADV_RANDOM` (a page fault reads the page it needs), otherwise with the kernel's
    /// read-around, as tantivy maps them by default.
    fn open(dir: &Path, residency: Residency) -> Result<Opened> {
        let on_disk = residency == Residency::Disk;
        let mapped = match residency {
            Residency::Disk => MmapDirectory::open_with_madvice(dir, Advice::Random),
            _ => MmapDirectory::open(dir),
        };
        let index = mapped
            .map_err(|e| e.to_string())
            .and_then(|d| Index::open(ReadOnlyUnlocked(d)).map_err(|e| e.to_string()))
            .map_err(|e| Error::Corrupt {
                path: dir.to_path_buf(),
                detail: format!("full-text index does not open: {e}"),
            })?;
        crate::fulltext_words::register(&index);
        let terms = Terms::of_schema(&index.schema()).ok_or_else(|| {
            Error::FullText(format!(
                "the full-text index in {} has no `text` field whose analyzer this verbatim knows (it knows `{}`, `{}` and tantivy's built-in ones): an index built by a newer verbatim needs that verbatim; otherwise rebuild the index",
                dir.display(),
                crate::fulltext_words::NFC_WORDS_UNSPACED,
                crate::fulltext_words::NFC_WORDS
            ))
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(ft_err)?;
        let mut segments: Vec<tantivy::index::SegmentId> = reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        segments.sort();
        Ok(Opened {
            index,
            reader,
            on_disk,
            segments,
            terms,
        })
    }
}

/// One page of keyword-search hits, with what the lenient query parse could not take as
/// written.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
    /// How the query was read where it was not valid as written (an unclosed parenthesis or
    /// quote, an operator with nothing to join, a regular expression left out), one line
    /// each ([`crate::fulltext_query::warning`]).
    pub warnings: Vec<String>,
}

/// One keyword-search hit.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// Global document number.
    pub doc_no: u64,
    /// BM25 score.
    pub score: f32,
}

fn ft_err(e: impl std::fmt::Display) -> Error {
    Error::FullText(e.to_string())
}

/// Runs `f` on the tantivy index in `dir`, turning a panic into an error naming the
/// directory: tantivy asserts on some damaged files (a flipped byte in a fast-field file)
/// instead of returning an error, and bad data must never take the process down.
fn guarded<T>(dir: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::quiet_panic::catch_quietly(f).unwrap_or_else(|p| {
        let at = p.location.map(|l| format!(" at {l}")).unwrap_or_default();
        Err(Error::Corrupt {
            path: dir.to_path_buf(),
            detail: format!(
                "the full-text index is damaged (tantivy failed: {}{at}); `verbatim verify` names the file",
                p.message
            ),
        })
    })
}

/// The `doc_no` and `part` columns of one segment (`part` absent in indexes built before
/// parts existed, which is part 0).
struct NumberColumns {
    doc_no: Column<u64>,
    part: Option<Column<u64>>,
}

/// The columns of a segment that number its documents.
fn number_columns(seg: &tantivy::SegmentReader) -> Result<NumberColumns> {
    let ff = seg.fast_fields();
    Ok(NumberColumns {
        doc_no: ff.u64("doc_no").map_err(ft_err)?,
        part: ff.u64("part").ok(),
    })
}

/// The global number of tantivy document `doc` of a segment, from its parts' first numbers.
fn global_number(bases: &BTreeMap<u64, u64>, cols: &NumberColumns, doc: u32) -> Option<u64> {
    let local = cols.doc_no.first(doc)?;
    let part = cols.part.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
    Some(bases.get(&part)? + local)
}

impl FullText {
    /// Opens the tantivy index in `dir` of an index of `documents` documents whose parts start
    /// at `part_bases` (see the module documentation), its files mapped for `residency`
    /// (`Disk`, or otherwise as for `Memory`; see [`FullText::set_residency`]).
    pub fn open(
        dir: &Path,
        documents: u64,
        part_bases: &BTreeMap<u64, u64>,
        residency: Residency,
    ) -> Result<FullText> {
        guarded(dir, || {
            Self::open_unguarded(dir, documents, part_bases, residency)
        })
    }

    fn open_unguarded(
        dir: &Path,
        documents: u64,
        part_bases: &BTreeMap<u64, u64>,
        residency: Residency,
    ) -> Result<FullText> {
        let opened = Opened::open(dir, residency)?;
        let (_, fields) = schema();
        let mut bases = part_bases.clone();
        bases.insert(0, 0);
        Ok(FullText {
            opened: RwLock::new(Arc::new(opened)),
            fields,
            part_bases: Arc::new(bases),
            documents,
            dir: dir.to_path_buf(),
        })
    }

    /// Maps its files for `residency` (`Memory` or `Disk`; see [`crate::residency`]) unless
    /// they already are: the tantivy index is opened again over a directory that advises them
    /// so, and later searches use it (searches running keep the mapping they started with).
    /// Answers do not change. If it does not open again (its files gone), or the directory now
    /// holds other segments (an append or a rebuild since it was opened: another generation's
    /// index, whose hits would name other documents), the files stay mapped as they were and
    /// the error is returned.
    pub fn set_residency(&self, residency: Residency) -> Result<()> {
        let current = self.opened();
        if current.on_disk == (residency == Residency::Disk) {
            return Ok(());
        }
        let opened = guarded(&self.dir, || Opened::open(&self.dir, residency))?;
        if opened.segments != current.segments {
            return Err(Error::FullText(format!(
                "the full-text index in {} is another generation's since this one was opened (an append or a rebuild); it stays mapped as it was",
                self.dir.display()
            )));
        }
        *self.opened.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(opened);
        Ok(())
    }

    /// How its documents and queries are split into terms (to find a query's words in a
    /// document as the search matched them).
    pub fn terms(&self) -> Terms {
        self.opened().terms.clone()
    }

    /// The tantivy index and reader searches use now.
    fn opened(&self) -> Arc<Opened> {
        self.opened
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Checks every tantivy file's checksum, and that every document of the index is in the
    /// full-text index exactly once.
    pub fn verify(&self, dir: &Path) -> Result<()> {
        guarded(dir, || self.verify_unguarded(dir))
    }

    fn verify_unguarded(&self, dir: &Path) -> Result<()> {
        let opened = self.opened();
        let bad = opened.index.validate_checksum().map_err(ft_err)?;
        if let Some(p) = bad.iter().next() {
            return Err(Error::Corrupt {
                path: dir.join(p),
                detail: "full-text index file checksum mismatch".into(),
            });
        }
        let corrupt = |detail: String| Error::Corrupt {
            path: dir.to_path_buf(),
            detail,
        };
        let searcher = opened.reader.searcher();
        let mut seen = roaring::RoaringTreemap::new();
        let mut count = 0u64;
        for seg in searcher.segment_readers() {
            let cols = number_columns(seg)?;
            for doc in 0..seg.max_doc() {
                let no = global_number(&self.part_bases, &cols, doc).ok_or_else(|| {
                    corrupt("a document has no number, or an unknown part".into())
                })?;
                if no >= self.documents || !seen.insert(no) {
                    return Err(corrupt(format!(
                        "document number {no} is out of range or indexed twice"
                    )));
                }
                count += 1;
            }
        }
        if count != self.documents {
            return Err(corrupt(format!(
                "{count} documents in the full-text index, {} in the index",
                self.documents
            )));
        }
        Ok(())
    }

    /// BM25 keyword search over the document text: the hits ranked `offset..offset + limit`
    /// (best first; fewer at the end of the results), with the query's warnings.
    /// A query nesting deeper than [`crate::fulltext_query::MAX_QUERY_NESTING`] is refused
    /// ([`Error::Invalid`]).
    pub fn search(&self, query: &str, offset: usize, limit: usize) -> Result<SearchPage> {
        crate::fulltext_query::check_nesting(query)?;
        guarded(&self.dir, || self.search_unguarded(query, offset, limit))
    }

    fn search_unguarded(&self, query: &str, offset: usize, limit: usize) -> Result<SearchPage> {
        let opened = self.opened();
        let searcher = opened.reader.searcher();
        let (q, errors) = crate::fulltext_query::parse(
            &opened.index,
            &searcher,
            self.fields.text,
            &opened.terms,
            query,
        );
        // Best score first, and equal scores in document order: tantivy's own order among
        // them is its segments', which an append or a compaction changes (a limit of 1 gave
        // another hit after an append). First tantivy's top-k (which skips blocks that
        // cannot enter it) with one hit more: when that one scores below the last wanted, no
        // tie crosses the cut and sorting the hits is enough. Otherwise every hit is scored
        // with its document number as the second key.
        let wanted = offset.saturating_add(limit.max(1));
        let fast = searcher
            .search(
                &q,
                &TopDocs::with_limit(wanted.saturating_add(1)).order_by_score(),
            )
            .map_err(ft_err)?;
        let no_tie_at_cut = fast.len() <= wanted || fast[wanted].0 < fast[wanted - 1].0;
        let ranked: Vec<(Score, u64)> = if no_tie_at_cut {
            let mut cols: BTreeMap<u32, Option<NumberColumns>> = BTreeMap::new();
            let mut ranked: Vec<(Score, u64)> = fast
                .into_iter()
                .take(wanted)
                .filter_map(|(score, addr)| {
                    let c = cols.entry(addr.segment_ord).or_insert_with(|| {
                        number_columns(searcher.segment_reader(addr.segment_ord)).ok()
                    });
                    let no = global_number(&self.part_bases, c.as_ref()?, addr.doc_id)?;
                    Some((score, no))
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            ranked.into_iter().skip(offset).collect()
        } else {
            let bases = Arc::clone(&self.part_bases);
            let by_score_then_document = TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .tweak_score(move |seg: &tantivy::SegmentReader| {
                    let cols = number_columns(seg).ok();
                    let bases = Arc::clone(&bases);
                    move |doc: tantivy::DocId, score: Score| {
                        let no = cols.as_ref().and_then(|c| global_number(&bases, c, doc));
                        (score, std::cmp::Reverse(no.unwrap_or(u64::MAX)))
                    }
                });
            let top = searcher
                .search(&q, &by_score_then_document)
                .map_err(ft_err)?;
            top.into_iter()
                .filter(|((_, no), _)| no.0 != u64::MAX)
                .map(|((score, no), _)| (score, no.0))
                .collect()
        };
        let hits = ranked
            .into_iter()
            .take(limit.max(1))
            .map(|(score, doc_no)| SearchHit { doc_no, score })
            .collect();
        let mut warnings: Vec<String> = Vec::new();
        for w in errors.iter().filter_map(crate::fulltext_query::warning) {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        Ok(SearchPage { hits, warnings })
    }
}

#[cfg(test)]
mod tests {
    use super::{Terms, Wanted};

    #[test]
    fn terms_are_whole_words_lowercased_with_their_places_in_the_text() {
        let text = "The alphabet is long. Later we talk about the BET itself.";
        let terms = Terms::current().of(text);
        assert!(terms
            .iter()
            .all(|(r, t)| text[r.clone()].to_lowercase() == *t));
        let bet = vec![Wanted::from(vec!["bet".to_string()])];
        let r = Terms::current().find(text, &bet, |_| true).unwrap();
        assert_eq!(&text[r.clone()], "BET");
        assert_eq!(r.start, text.find("BET").unwrap());
        assert_eq!(
            Terms::current().find("alphabet betting", &bet, |_| true),
            None
        );
        assert_eq!(Terms::current().find(text, &bet, |r| r.start < 10), None);
        assert_eq!(Terms::current().find(text, &[], |_| true), None);
    }

    #[test]
    fn a_phrase_is_found_where_its_words_follow_each_other() {
        let text = "tower of tokyo, then tokyo tower, then the tower";
        let t = |s: &str| -> Wanted {
            Wanted::from(s.split(' ').map(str::to_string).collect::<Vec<_>>())
        };
        let all = |_: &std::ops::Range<usize>| true;
        let r = Terms::current()
            .find(text, &[t("tokyo tower")], all)
            .unwrap();
        assert_eq!(&text[r], "tokyo tower");
        // The earliest of several targets, whichever is listed first.
        let r = Terms::current()
            .find(text, &[t("then the tower"), t("of tokyo")], all)
            .unwrap();
        assert_eq!(&text[r], "of tokyo");
        assert_eq!(Terms::current().find(text, &[t("tokyo of")], all), None);
        // A target starting earlier but ending later than another is still the earliest.
        let r = Terms::current()
            .find("a b c d", &[t("a b c d"), t("b c")], all)
            .unwrap();
        assert_eq!(r, 0..7);
        // Unspaced scripts: a phrase of characters, inside a longer run.
        let text = "我们在东京都的大学";
        let target = vec![Wanted::from(
            Terms::current()
                .of("京都")
                .into_iter()
                .map(|t| t.1)
                .collect::<Vec<_>>(),
        )];
        let r = Terms::current().find(text, &target, all).unwrap();
        assert_eq!(&text[r], "京都");
    }

    #[test]
    fn a_prefix_target_matches_words_that_start_with_its_last_term() {
        let text = "tok tower of Tokyo, then tokyo towers";
        let all = |_: &std::ops::Range<usize>| true;
        let prefix = |s: &str| Wanted {
            terms: s.split(' ').map(str::to_string).collect(),
            prefix: true,
            edits: 0,
        };
        let r = Terms::current().find(text, &[prefix("toky")], all).unwrap();
        assert_eq!(&text[r], "Tokyo");
        let r = Terms::current()
            .find(text, &[prefix("tokyo towe")], all)
            .unwrap();
        assert_eq!(&text[r], "tokyo towers");
        // Only the last term is a prefix.
        assert_eq!(
            Terms::current().find(text, &[prefix("toky towers")], all),
            None
        );
        let r = Terms::current().find(text, &[prefix("tok")], all).unwrap();
        assert_eq!(&text[r], "tok");
    }

    #[test]
    fn a_fuzzy_target_matches_words_within_its_edits() {
        let text = "the wale and the whales, then a whale";
        let all = |_: &std::ops::Range<usize>| true;
        let near = |s: &str, edits: u8| Wanted {
            terms: vec![s.to_string()],
            prefix: false,
            edits,
        };
        let r = Terms::current()
            .find(text, &[near("whale", 1)], all)
            .unwrap();
        assert_eq!(&text[r], "wale");
        let r = Terms::current()
            .find(text, &[near("whale", 0)], all)
            .unwrap();
        assert_eq!(&text[r], "whale");
        assert_eq!(Terms::current().find(text, &[near("whelk", 1)], all), None);
    }

    #[test]
    fn lowercasing_that_changes_lengths_keeps_the_original_byte_ranges() {
        // `İ` is 2 bytes, its lowercase (`i` and a combining dot) 3.
        let text = "İİİİ İSTANBUL, istanbul";
        let query = vec![Wanted::from(
            Terms::current()
                .of("İstanbul")
                .into_iter()
                .map(|t| t.1)
                .collect::<Vec<_>>(),
        )];
        let r = Terms::current().find(text, &query, |_| true).unwrap();
        assert_eq!(&text[r], "İSTANBUL");
        let plain = vec![Wanted::from(vec!["istanbul".to_string()])];
        let r = Terms::current().find(text, &plain, |_| true).unwrap();
        assert_eq!(&text[r], "istanbul");
    }
}

/// A tantivy directory that, on a read-only file system, reads without the lock files tantivy
/// takes (a reader holds its meta lock while it opens segments, so that a writer does not
/// delete them meanwhile): they cannot be created there, and no writer can change the index
/// there either. Elsewhere every lock is taken as tantivy takes it.
#[derive(Debug, Clone)]
struct ReadOnlyUnlocked(MmapDirectory);

impl tantivy::Directory for ReadOnlyUnlocked {
    fn get_file_handle(&self, path: &Path) -> StdResult<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> StdResult<(), DeleteError> {
        self.0.delete(path)
    }

    fn exists(&self, path: &Path) -> StdResult<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> StdResult<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> StdResult<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> StdResult<DirectoryLock, LockError> {
        match self.0.acquire_lock(lock) {
            Err(LockError::IoError(e)) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
                Ok(DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(callback)
    }
}
