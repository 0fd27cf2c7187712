//! Fetching documents and context windows around matches.

use crate::error::{Error, Result};
use crate::fulltext::Wanted;
use crate::index::{DocLocation, Index};
use crate::search::read_ahead;
use crate::shard::DocRecord;
use crate::tokenizer::words::WordReader;
use std::ops::Range;
use std::time::Instant;

/// A window of a document around a match: the one snippet type of the trace, the API and the
/// contamination reports (serialized as `{"before", "match", "after"}`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Snippet {
    /// Text before the match (up to the context window).
    pub before: String,
    /// The matched text.
    #[serde(rename = "match")]
    pub matched: String,
    /// Text after the match.
    pub after: String,
    /// `before` begins where the document does (nothing of it was cut off before).
    #[serde(default)]
    pub at_document_start: bool,
    /// `after` ends where the document does.
    #[serde(default)]
    pub at_document_end: bool,
    /// Token offset of the match within the document (not serialized).
    #[serde(skip)]
    pub token_offset: usize,
    /// Where the window lies in the index that made it, so that the privacy filter can read
    /// the text around it ([`Index::snippet_margins`]); not serialized, not compared.
    #[serde(skip)]
    pub place: Option<WindowPlace>,
}

impl PartialEq for Snippet {
    fn eq(&self, other: &Snippet) -> bool {
        (&self.before, &self.matched, &self.after, self.token_offset)
            == (
                &other.before,
                &other.matched,
                &other.after,
                other.token_offset,
            )
    }
}

/// Where a shown window of a document lies: its shard (in the index that made it), its
/// tokens and its document's tokens in that shard's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowPlace {
    /// Shard number.
    pub shard: usize,
    /// The window's tokens.
    pub tokens: Range<usize>,
    /// Its document's tokens.
    pub doc: Range<usize>,
}

/// A whole document with its stored record.
#[derive(Debug, Clone)]
pub struct DocumentView {
    /// Where it is.
    pub location: DocLocation,
    /// External id, source, metadata.
    pub record: DocRecord,
    /// Document text (possibly truncated to `max_tokens`).
    pub text: String,
    /// Whether the text was cut.
    pub truncated: bool,
    /// Token count of the whole document.
    pub tokens: usize,
    /// The text after the cut, for the privacy filter (empty when not truncated).
    pub margins: crate::pii::Margins,
}

/// The token ranges of a context window in its shard's stream: before the match, the match
/// and after it, clipped to the document.
#[derive(Debug, Clone)]
pub(crate) struct WindowRanges {
    /// Tokens before the match.
    pub before: Range<usize>,
    /// The match.
    pub matched: Range<usize>,
    /// Tokens after the match.
    pub after: Range<usize>,
    /// First token of the document.
    pub doc_start: usize,
    /// One past the document's last token.
    pub doc_end: usize,
}

impl Index {
    /// The ranges of the window around `len` tokens at position `pos` of document `loc`
    /// (which holds it), `context` tokens each side, clipped to the document.
    pub(crate) fn window_ranges(
        &self,
        loc: DocLocation,
        pos: usize,
        len: usize,
        context: usize,
    ) -> WindowRanges {
        let doc = self.shards()[loc.shard].doc_range(loc.local);
        // Clipped to the document, even for a position a damaged index reports outside it.
        let pos = pos.clamp(doc.start, doc.end);
        let match_end = (pos + len).min(doc.end);
        let start = pos.saturating_sub(context).max(doc.start);
        let end = (match_end + context).min(doc.end);
        WindowRanges {
            before: start..pos,
            matched: pos..match_end,
            after: match_end..end,
            doc_start: doc.start,
            doc_end: doc.end,
        }
    }

    /// Context window around `len` tokens at position `pos` of shard `shard`, `context` tokens
    /// each side, clipped to the document.
    pub fn snippet(&self, shard: usize, pos: usize, len: usize, context: usize) -> Snippet {
        self.snippet_in(self.locate_position(shard, pos), pos, len, context)
    }

    /// [`Index::snippet`] for a position already located in document `loc` (no search for the
    /// document).
    pub(crate) fn snippet_in(
        &self,
        loc: DocLocation,
        pos: usize,
        len: usize,
        context: usize,
    ) -> Snippet {
        let shard = loc.shard;
        let w = self.window_ranges(loc, pos, len, context);
        let toks = self.shards()[shard].tokens();
        let place = WindowPlace {
            shard,
            tokens: w.before.start..w.after.end,
            doc: w.doc_start..w.doc_end,
        };
        // The match narrowed to whole characters, its cut ones shown beside it.
        let [before, matched, after] = self.tokenizer().decode_window(
            &toks.to_u32(w.before),
            &toks.to_u32(w.matched.clone()),
            &toks.to_u32(w.after),
        );
        Snippet {
            before,
            matched,
            after,
            at_document_start: place.tokens.start == place.doc.start,
            at_document_end: place.tokens.end == place.doc.end,
            token_offset: w.matched.start - w.doc_start,
            place: Some(place),
        }
    }

    /// The document's text around a window (for the privacy filter): up to
    /// [`crate::pii::MARGIN_TOKENS`] tokens each side ([`crate::pii::MARGIN_BYTE_TOKENS`]
    /// for a raw-bytes index), clipped to the document. The margins, the window decoded on
    /// its own between them, read as the document does there: they are decoded with the
    /// window in one run, so that a tokenizer whose pieces decode differently alone
    /// (SentencePiece drops a leading space) does not glue an item at the window's edge to the
    /// text beside it, where the filter would no longer see it stand alone.
    pub fn margins(&self, place: &WindowPlace) -> crate::pii::Margins {
        let m = match self.tokenizer() {
            crate::TextTokenizer::Bytes => crate::pii::MARGIN_BYTE_TOKENS,
            _ => crate::pii::MARGIN_TOKENS,
        };
        let spaced_punctuation = self.tokenizer().spaces_punctuation();
        let Some(s) = self.shards().get(place.shard) else {
            return self.no_margins();
        };
        let toks = s.tokens();
        let clip = |r: Range<usize>| crate::shard::clip(r, toks.len());
        let start = place.tokens.start.max(place.doc.start);
        let end = place.tokens.end.min(place.doc.end).max(start);
        let before = clip(start.saturating_sub(m).max(place.doc.start)..start);
        let after = clip(end..(end + m).min(place.doc.end).max(end));
        let tok = self.tokenizer();
        let (before, after) = (toks.to_u32(before), toks.to_u32(after));
        if tok.decodes_by_concatenation() {
            // Decoded apart, they join as decoded together.
            return crate::pii::Margins {
                before: tok.decode(&before),
                after: tok.decode(&after),
                spaced_punctuation,
            };
        }
        let window = toks.to_u32(clip(start..end));
        let [mut before, in_run, after] = tok.decode_parts([&before, &window, &after]);
        // The window as shown is decoded on its own; what the run has before it (a space a
        // first piece loses alone) belongs to the text before it.
        if let Some(lost) = in_run.strip_suffix(tok.decode(&window).as_str()) {
            before.push_str(lost);
        }
        crate::pii::Margins {
            before,
            after,
            spaced_punctuation,
        }
    }

    /// The margins of a snippet made by this index (none for one without its place).
    pub fn snippet_margins(&self, snippet: &Snippet) -> crate::pii::Margins {
        snippet
            .place
            .as_ref()
            .map(|p| self.margins(p))
            .unwrap_or_else(|| self.no_margins())
    }

    /// Margins of text shown whole (or without its place in a document): no text around it,
    /// only how this index decodes text ([`crate::pii::Margins::spaced_punctuation`]).
    pub fn no_margins(&self) -> crate::pii::Margins {
        crate::pii::Margins {
            spaced_punctuation: self.tokenizer().spaces_punctuation(),
            ..Default::default()
        }
    }

    /// For a trace over shards read from disk: when the pages of its documents' windows
    /// (`(document, window)`) are not cached, asks for all of them at once, so that their
    /// disk reads are in flight together instead of one page fault after another. It loads
    /// the first token of the first few windows and asks only when that was slow: on cached
    /// pages, asking would cost a system call per window for nothing.
    pub(crate) fn read_windows_ahead(&self, windows: &[(DocLocation, WindowRanges)]) {
        let probe = Instant::now();
        let probed = &windows[..windows.len().min(read_ahead::PROBED_WINDOWS)];
        for (loc, w) in probed {
            std::hint::black_box(self.shards()[loc.shard].tokens().get(w.matched.start));
        }
        if read_ahead::windows_ask(probe.elapsed(), probed.len()) {
            self.will_need_windows(windows);
        }
    }

    /// Asks for the pages of each window's tokens and, once the record table's entries are
    /// asked for and read, of each document's record.
    fn will_need_windows(&self, windows: &[(DocLocation, WindowRanges)]) {
        for (loc, w) in windows {
            let shard = &self.shards()[loc.shard];
            shard.will_need_tokens(w.before.start..w.after.end);
            shard.will_need_record_offsets(loc.local);
        }
        for (loc, _) in windows {
            self.shards()[loc.shard].will_need_record(loc.local);
        }
    }

    /// Reads the words of a window into `reader` (the text [`Index::snippet`] gives, read from
    /// the token ids), then ends the word being read, as the newline that follows each window
    /// in the ranked text does.
    pub(crate) fn read_window_words(
        &self,
        reader: &mut WordReader<'_>,
        shard: usize,
        w: &WindowRanges,
    ) {
        let tok = self.tokenizer();
        crate::with_tokens!(self.shards()[shard].tokens(), |toks| {
            for r in [&w.before, &w.matched, &w.after] {
                let ids = &toks[crate::shard::clip(r.clone(), toks.len())];
                reader.push_tokens(ids, |ids| tok.decode(ids));
            }
        });
        reader.end_word();
    }

    /// A document by location, refusing taken-down ones; text cut after `max_tokens` tokens.
    pub fn document(&self, loc: DocLocation, max_tokens: Option<usize>) -> Result<DocumentView> {
        let (mut view, ids) = self.document_ids(loc, max_tokens)?;
        view.text = self.tokenizer().decode(&ids);
        Ok(view)
    }

    /// [`Index::document`] before decoding: the view without its text, and the token ids
    /// its text is decoded from.
    pub(crate) fn document_ids(
        &self,
        loc: DocLocation,
        max_tokens: Option<usize>,
    ) -> Result<(DocumentView, Vec<u32>)> {
        if max_tokens == Some(0) {
            return Err(Error::Invalid(
                "max_tokens must be at least 1 (leave it out for the whole document)".into(),
            ));
        }
        if self.is_taken_down(loc.doc_no) {
            return Err(Error::DocumentNotFound(format!("#{}", loc.doc_no)));
        }
        let record = self.doc_record(loc)?;
        let s = &self.shards()[loc.shard];
        let range = s.doc_range(loc.local);
        let tokens = range.len();
        let end = max_tokens.map_or(range.end, |m| range.start + m.min(tokens));
        let ids = s.tokens().to_u32(range.start..end);
        let margins = if end < range.end {
            self.margins(&WindowPlace {
                shard: loc.shard,
                tokens: range.start..end,
                doc: range.clone(),
            })
        } else {
            self.no_margins()
        };
        let view = DocumentView {
            location: loc,
            record,
            text: String::new(),
            truncated: end < range.end,
            tokens,
            margins,
        };
        Ok((view, ids))
    }

    /// A document by external id.
    pub fn document_by_id(&self, id: &str, max_tokens: Option<usize>) -> Result<DocumentView> {
        self.document(self.doc_location_of(id)?, max_tokens)
    }

    /// Where the document with external id `id` is, or the error naming the id.
    pub fn doc_location_of(&self, id: &str) -> Result<DocLocation> {
        self.doc_by_id(id)
            .ok_or_else(|| Error::DocumentNotFound(id.to_string()))
    }
}

impl Index {
    /// A short window of a document, quoted exactly, around the first place that holds one of
    /// the words or phrases `query` searches for whole (not its operators, nor the words it
    /// excludes; words as the full-text index splits and lowercases them, so a word of a
    /// script written without spaces is a phrase of its characters; a word or phrase ending in
    /// `*` ends with any word that starts with its last word), or failing that one of their
    /// words alone; decoding the document a chunk at a time; `words` of context each
    /// side. Falls back to the document's start. Its margins are the document's text around
    /// it, for the privacy filter.
    pub fn keyword_snippet(&self, loc: DocLocation, query: &str, words: usize) -> KeywordSnippet {
        const CHUNK: usize = 4096;
        const MAX_CHUNKS: usize = 64;
        // Consecutive chunks overlap by this many tokens, more than the longest term can take
        // (under 40 bytes once normalized, at most three times that as written), so that a
        // word cut by one chunk's end is whole in the next.
        const OVERLAP: usize = 128;
        const _: () = assert!(OVERLAP < CHUNK, "every chunk moves the window forward");
        // Chunks read for a phrase after the one that held one of its words alone.
        const PHRASE_REACH: usize = 4;
        // The query's words and phrases as the full-text index makes their terms (whole
        // words, lowercased as it lowercases; a word of a script written without spaces is a
        // phrase of its characters), preferring phrases and words of 3 characters or more
        // (`a`, `of` say little); neither operators (`AND`) nor words a hit must not hold
        // (`-word`). Failing those, the first of their words found alone.
        let analyzer = self
            .fulltext()
            .map_or_else(crate::fulltext::Terms::current, |ft| ft.terms());
        let mut targets: Vec<Wanted> = crate::fulltext_query::wanted_phrases(query)
            .iter()
            .map(|p| {
                // `(tok*)^2` and `(whale~1)^2` keep their meaning (the boost is gone already).
                let bare = p.trim_end_matches(')');
                // `whale~1`: the words within one edit of `whale` (fuzzy only alone).
                let (p, edits) = crate::fulltext_fuzzy::fuzzy_word(bare).unwrap_or((p, 0));
                let terms: Vec<String> = analyzer.of(p).into_iter().map(|(_, t)| t).collect();
                Wanted {
                    edits: if terms.len() == 1 { edits } else { 0 },
                    prefix: crate::fulltext_prefix::word_prefix(bare).is_some(),
                    terms,
                }
            })
            .filter(|t| !t.terms.is_empty())
            .collect();
        let telling = |t: &Wanted| t.terms.len() > 1 || t.terms[0].chars().count() >= 3;
        if targets.iter().any(telling) {
            targets.retain(telling);
        }
        let alone: Vec<Wanted> = if targets.iter().any(|t| t.terms.len() > 1) {
            targets
                .iter()
                .flat_map(|t| {
                    let last = t.terms.len() - 1;
                    t.terms.iter().enumerate().map(move |(i, term)| Wanted {
                        terms: vec![term.clone()],
                        prefix: t.prefix && i == last,
                        edits: 0,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut found_alone: Option<(String, usize, usize, usize)> = None;
        let s = &self.shards()[loc.shard];
        let range = s.doc_range(loc.local);
        let toks = s.tokens();
        let mut start = range.start;
        let mut first_text = None;
        // The window of chunk `start..end`, whose text is `text`, around its byte `pos`. Its
        // margins are the chunk's text next to it (at most MARGIN_BYTES each side), and the
        // document's past the chunk's edge only when the chunk holds less than that.
        const MARGIN_BYTES: usize = 1024;
        let around = |text: &str, start: usize, end: usize, pos: usize| {
            let cut = window_around(text, pos, words);
            let mut from = cut.start.saturating_sub(MARGIN_BYTES);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = (cut.end + MARGIN_BYTES).min(text.len());
            while !text.is_char_boundary(to) {
                to += 1;
            }
            let mut margins = crate::pii::Margins {
                before: text[from..cut.start].to_string(),
                after: text[cut.end..to].to_string(),
                spaced_punctuation: self.tokenizer().spaces_punctuation(),
            };
            if from == 0 || to == text.len() {
                let outside = self.margins(&WindowPlace {
                    shard: loc.shard,
                    tokens: start..end,
                    doc: range.clone(),
                });
                if from == 0 {
                    margins.before.insert_str(0, &outside.before);
                }
                if to == text.len() {
                    margins.after.push_str(&outside.after);
                }
            }
            KeywordSnippet {
                text: text[cut].to_string(),
                margins,
            }
        };
        for _ in 0..MAX_CHUNKS {
            if start >= range.end {
                break;
            }
            let end = (start + CHUNK).min(range.end);
            let text = self.tokenizer().decode(&toks.to_u32(start..end));
            // A word at a chunk's edge may go on past it: one at the start of a chunk after the
            // first is found whole in the chunk before (the overlap), one at the end of a chunk
            // before the last is found whole in the next.
            let first = start == range.start;
            let last = end == range.end;
            // A chunk may also start inside a word, on the marks of a letter left in the chunk
            // before (or on the rest of a character cut there, decoded as U+FFFD): a word
            // after nothing else is not taken either.
            let starts_the_chunk = |at: usize| {
                text[..at]
                    .chars()
                    .all(|c| c == '\u{FFFD}' || unicode_normalization::char::is_combining_mark(c))
            };
            // And end inside one: a word before nothing but the start of a character cut
            // by the chunk's end (decoded as U+FFFD) may go on in the next chunk.
            let ends_the_chunk = |at: usize| text[at..].chars().all(|c| c == '\u{FFFD}');
            let whole = |w: &Range<usize>| {
                (first || !starts_the_chunk(w.start)) && (last || !ends_the_chunk(w.end))
            };
            if let Some(w) = analyzer.find(&text, &targets, whole) {
                return around(&text, start, end, w.start);
            }
            match &found_alone {
                None => {
                    if let Some(w) = analyzer.find(&text, &alone, whole) {
                        found_alone = Some((text.clone(), start, end, w.start));
                    }
                }
                // A phrase not found near the first of its words alone (a hit of an `OR`)
                // is not looked for through the whole document.
                Some((_, from, ..)) if start - from >= PHRASE_REACH * (CHUNK - OVERLAP) => break,
                Some(_) => {}
            }
            first_text.get_or_insert((text, start, end));
            if last {
                break;
            }
            start = end - OVERLAP;
        }
        if let Some((t, start, end, pos)) = found_alone {
            return around(&t, start, end, pos);
        }
        first_text
            .map(|(t, start, end)| around(&t, start, end, 0))
            .unwrap_or_default()
    }
}

/// A keyword-search excerpt of a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordSnippet {
    /// The document's own text from about `words` words before the query's phrase or word
    /// found (whole words, as the full-text index splits words) to about `words` after it.
    pub text: String,
    /// The document's text around the excerpt, for the privacy filter (never shown).
    pub margins: crate::pii::Margins,
}

/// The byte range of `text` from about `words` words before byte `pos` (a character
/// boundary) to about `words` after it, `pos`'s own word included: the range starts at a
/// word's start and ends at a word's end, or is empty at `pos`. A word is a
/// whitespace-separated one, except that each character used in a script written without
/// spaces ([`crate::fulltext_words::written_without_spaces`]), with the combining marks after
/// it, is a word of its own: Chinese, Japanese or Thai text gets a window of about as many
/// characters, not the whole run around `pos`.
fn window_around(text: &str, pos: usize, words: usize) -> Range<usize> {
    let before = words_of(&text[..pos]);
    let after = words_of(&text[pos..]);
    let kept_before = &before[before.len() - words.min(before.len())..];
    let kept_after = &after[..(words + 1).min(after.len())];
    let first = kept_before
        .first()
        .map(|w| w.start)
        .or(after.first().map(|w| pos + w.start))
        .unwrap_or(pos);
    let last = kept_after
        .last()
        .map(|w| pos + w.end)
        .or(before.last().map(|w| w.end))
        .unwrap_or(pos);
    first..last.max(first)
}

/// The byte ranges of the words of `text` as [`window_around`] counts them.
fn words_of(text: &str) -> Vec<Range<usize>> {
    use crate::fulltext_words::written_without_spaces;
    use unicode_normalization::char::is_combining_mark;
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    // Whether the word being read is one character written without spaces (and its marks).
    let mut alone = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push(s..i);
            }
            continue;
        }
        let mark = is_combining_mark(c);
        let unspaced = !mark && written_without_spaces(c);
        match start {
            Some(s) if unspaced || (alone && !mark) => {
                out.push(s..i);
                start = Some(i);
            }
            Some(_) => {}
            None => start = Some(i),
        }
        if !mark {
            alone = unspaced;
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::window_around;

    #[test]
    fn window_around_is_a_slice_of_the_text_whole_words_at_its_edges() {
        let text = "The alphabet is long.\n\nLater  we talk about the bet itself.";
        let pos = text.find(" bet ").unwrap() + 1;
        let r = window_around(text, pos, 2);
        assert_eq!(&text[r], "about the bet itself.");
        let r = window_around(text, pos, 4);
        assert_eq!(&text[r], "we talk about the bet itself.");
        let r = window_around(text, 0, 3);
        assert_eq!(&text[r], "The alphabet is long.");
        let r = window_around(text, 0, 5);
        assert_eq!(&text[r], "The alphabet is long.\n\nLater  we");
        assert_eq!(window_around("", 0, 3), 0..0);
        assert_eq!(window_around("  ", 2, 3), 2..2);
    }

    #[test]
    fn in_text_written_without_spaces_each_character_is_a_word_of_the_window() {
        let text = format!("{}東京{}", "あ".repeat(100), "い".repeat(100));
        let pos = text.find("東京").unwrap();
        assert_eq!(&text[window_around(&text, pos, 3)], "あああ東京いい");
        // A character keeps the marks after it; Latin words and spaces count as before.
        let text = "see ka\u{3099}か\u{3099}き the end";
        let pos = text.find("か").unwrap();
        assert_eq!(&text[window_around(text, pos, 1)], "ka\u{3099}か\u{3099}き");
        assert_eq!(
            &text[window_around(text, pos, 2)],
            "see ka\u{3099}か\u{3099}き the"
        );
    }
}
