//! Reading the words of one text from token ids and decoded pieces.

use super::slots::Slots;
use super::{
    hash_bytes, runs, Run, WordTable, BREAK, BREAK_AFTER, BREAK_BEFORE, COMPLEX, NO_FRAGMENT, RAW,
};
use crate::token::Token;
use rustc_hash::FxHashMap;
use std::ops::Range;

thread_local! {
    /// Where each fragment is in the distinct words of the text being counted.
    static DISTINCT_FRAGMENTS: std::cell::Cell<Option<Slots>> = const { std::cell::Cell::new(None) };
}

/// A word of several fragments, or with decoded text in it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LongWord {
    /// Hash of its text.
    pub(super) hash: u64,
    /// Its fragment numbers in [`DocWords::parts`], or its text in [`DocWords::texts`].
    pub(super) spelling: Spelling,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Spelling {
    Fragments(Range<u32>),
    Text(u32),
}

/// The words of one text, read from token ids by a [`WordReader`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DocWords {
    /// Each word in order: a fragment number below [`WordTable::fragment_count`], or
    /// `fragment_count + i` for the `i`th long word.
    pub(super) keys: Vec<u32>,
    pub(super) long: Vec<LongWord>,
    pub(super) parts: Vec<u32>,
    pub(super) texts: Vec<String>,
    /// Each distinct word once, with how often it occurs, in order of first occurrence:
    /// `(key, count)`, a key as in `keys` (a long word's is its first occurrence's). Long
    /// words are merged when spelt alike (same fragments, or same text); one word spelt two
    /// ways is counted apart, and merged when numbered.
    pub(super) distinct: Vec<(u32, u32)>,
}

impl DocWords {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the text has no word.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The words as texts, in order (long words joined): for checks.
    pub fn to_strings(&self, table: &WordTable) -> Vec<String> {
        let mut long = self.long.iter();
        self.keys
            .iter()
            .map(|&k| match k.checked_sub(table.fragment_count()) {
                None => table.fragment_text(k).to_string(),
                Some(_) => self.text(table, long.next().expect("one long word per long key")),
            })
            .collect()
    }

    /// The text of long word `w`.
    pub(super) fn text(&self, table: &WordTable, w: &LongWord) -> String {
        match &w.spelling {
            Spelling::Text(i) => self.texts[*i as usize].clone(),
            Spelling::Fragments(r) => self.parts[r.start as usize..r.end as usize]
                .iter()
                .map(|&f| table.fragment_text(f))
                .collect(),
        }
    }

    /// Whether long words `a` and `b` are spelt alike (same fragments, or same text).
    fn same_spelling(&self, a: &LongWord, b: &LongWord) -> bool {
        match (&a.spelling, &b.spelling) {
            (Spelling::Fragments(x), Spelling::Fragments(y)) => {
                self.parts[x.start as usize..x.end as usize]
                    == self.parts[y.start as usize..y.end as usize]
            }
            (Spelling::Text(i), Spelling::Text(j)) => {
                self.texts[*i as usize] == self.texts[*j as usize]
            }
            _ => false,
        }
    }

    /// The distinct words of the text with their counts (see [`DocWords::distinct`]).
    pub(super) fn count_distinct(&self, table: &WordTable) -> Vec<(u32, u32)> {
        let first = table.fragment_count();
        let mut seen = Slots::take(&DISTINCT_FRAGMENTS, first as usize);
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(self.keys.len() / 2);
        let mut by_hash: FxHashMap<u64, u32> =
            FxHashMap::with_capacity_and_hasher(self.long.len(), Default::default());
        for &k in &self.keys {
            if k < first {
                match seen.get(k) {
                    Some(i) => out[i as usize].1 += 1,
                    None => {
                        seen.set(k, out.len() as u32);
                        out.push((k, 1));
                    }
                }
                continue;
            }
            let w = &self.long[(k - first) as usize];
            match by_hash.get(&w.hash) {
                Some(&i)
                    if self.same_spelling(&self.long[(out[i as usize].0 - first) as usize], w) =>
                {
                    out[i as usize].1 += 1
                }
                // Another spelling, or another word with the same hash: counted apart.
                Some(_) => out.push((k, 1)),
                None => {
                    by_hash.insert(w.hash, out.len() as u32);
                    out.push((k, 1));
                }
            }
        }
        seen.put_back(&DISTINCT_FRAGMENTS);
        out
    }

    /// Whether the text of `w` is `text`, without joining it.
    pub(super) fn text_equals(&self, table: &WordTable, w: &LongWord, text: &str) -> bool {
        match &w.spelling {
            Spelling::Text(i) => self.texts[*i as usize] == text,
            Spelling::Fragments(r) => {
                let mut rest = text;
                for &f in &self.parts[r.start as usize..r.end as usize] {
                    match rest.strip_prefix(table.fragment_text(f)) {
                        Some(r) => rest = r,
                        None => return false,
                    }
                }
                rest.is_empty()
            }
        }
    }
}

/// Reads the words of one text from token pieces and text pieces (see [`DocWords`]).
pub struct WordReader<'a> {
    table: &'a WordTable,
    /// Fragments in the word being read.
    parts: u32,
    /// Its only fragment's number, while it has one fragment that came from a token.
    single: Option<u32>,
    /// Its hash so far.
    hash: u64,
    /// Where its fragment numbers start in `out.parts`.
    parts_start: u32,
    /// Its text, once a fragment of decoded text is in it (`None`: fragments only).
    text: Option<String>,
    out: DocWords,
}

impl<'a> WordReader<'a> {
    /// A reader starting outside any word.
    pub fn new(table: &'a WordTable) -> WordReader<'a> {
        WordReader::with_capacity(table, 0)
    }

    /// A reader with room for about `tokens` tokens' words.
    pub fn with_capacity(table: &'a WordTable, tokens: usize) -> WordReader<'a> {
        WordReader {
            table,
            parts: 0,
            single: None,
            hash: 0,
            parts_start: 0,
            text: None,
            out: DocWords {
                keys: Vec::with_capacity(tokens / 2),
                long: Vec::with_capacity(tokens / 8),
                parts: Vec::with_capacity(tokens / 4),
                texts: Vec::new(),
                distinct: Vec::new(),
            },
        }
    }

    /// Reads the text that `ids` decode to (one decoding unit: `decode` is called with all of
    /// `ids`, widened, when one of them is not valid UTF-8 on its own, as the text would be
    /// decoded). Any token width: a window is read in place from a shard's token stream.
    pub fn push_tokens<T: Token>(&mut self, ids: &[T], decode: impl FnOnce(&[u32]) -> String) {
        let table = self.table;
        if ids.iter().any(|&id| table.shape(id.to_u32()).has(RAW)) {
            let wide: Vec<u32> = ids.iter().map(|&id| id.to_u32()).collect();
            self.push_text(&decode(&wide));
            return;
        }
        for &id in ids {
            let id = id.to_u32();
            let shape = table.shape(id);
            if shape.has(COMPLEX) {
                for &e in table.events(id) {
                    if e == BREAK {
                        self.end_word();
                    } else {
                        self.push_fragment(e);
                    }
                }
                continue;
            }
            if shape.has(BREAK_BEFORE) {
                self.end_word();
            }
            if shape.fragment() != NO_FRAGMENT {
                self.push_fragment(shape.fragment());
            }
            if shape.has(BREAK_AFTER) {
                self.end_word();
            }
        }
    }

    /// Reads decoded text.
    pub fn push_text(&mut self, text: &str) {
        for run in runs(text) {
            match run {
                Run::Space => self.end_word(),
                Run::Word(w) => self.push_str(w),
            }
        }
    }

    #[inline(always)]
    fn push_fragment(&mut self, f: u32) {
        if self.parts == 0 {
            // Most words are one fragment: nothing else is needed until a second one comes.
            self.single = Some(f);
            self.parts = 1;
        } else if self.single.is_none() && self.text.is_none() {
            // A third or later fragment of a word kept as fragments (code is full of them).
            let (h, p) = self.table.hashes[f as usize];
            self.hash = self.hash.wrapping_mul(p).wrapping_add(h);
            self.out.parts.push(f);
            self.parts += 1;
        } else {
            self.push_later_fragment(f);
        }
    }

    /// A second fragment of the word being read, or a fragment of a word with decoded text
    /// in it (out of line: the paths above are the hot ones).
    #[inline(never)]
    fn push_later_fragment(&mut self, f: u32) {
        if let Some(first) = self.single.take() {
            self.start_long(first);
        }
        let (h, p) = self.table.hashes[f as usize];
        self.hash = self.hash.wrapping_mul(p).wrapping_add(h);
        match self.text.as_mut() {
            Some(t) => t.push_str(self.table.fragment_text(f)),
            None => self.out.parts.push(f),
        }
        self.parts += 1;
    }

    /// Starts keeping the word being read, whose first fragment is `first`, as a long word.
    fn start_long(&mut self, first: u32) {
        self.parts_start = self.out.parts.len() as u32;
        self.out.parts.push(first);
        self.hash = self.table.hashes[first as usize].0;
    }

    fn push_str(&mut self, s: &str) {
        if self.parts == 0 {
            self.parts_start = self.out.parts.len() as u32;
            self.hash = 0;
        } else if let Some(first) = self.single.take() {
            self.start_long(first);
        }
        // From here on the word is kept as text.
        if self.text.is_none() {
            let t: String = self.out.parts[self.parts_start as usize..]
                .iter()
                .map(|&f| self.table.fragment_text(f))
                .collect();
            self.out.parts.truncate(self.parts_start as usize);
            self.text = Some(t);
        }
        self.hash = hash_bytes(self.hash, s.as_bytes()).0;
        self.text.as_mut().expect("set above").push_str(s);
        self.parts += 1;
    }

    /// Ends the word being read, if any (whitespace, or the end of the text).
    #[inline(always)]
    pub fn end_word(&mut self) {
        if self.parts == 0 {
            return;
        }
        self.parts = 0;
        match self.single.take() {
            Some(f) => self.out.keys.push(f),
            None => self.end_long_word(),
        }
    }

    /// Ends a word of several fragments, or with decoded text in it.
    #[inline(never)]
    fn end_long_word(&mut self) {
        let spelling = match self.text.take() {
            Some(t) => {
                self.out.texts.push(t);
                Spelling::Text(self.out.texts.len() as u32 - 1)
            }
            None => Spelling::Fragments(self.parts_start..self.out.parts.len() as u32),
        };
        self.out.long.push(LongWord {
            hash: self.hash,
            spelling,
        });
        let key = self.table.fragment_count() + self.out.long.len() as u32 - 1;
        self.out.keys.push(key);
    }

    /// The words read, the last one ended.
    pub fn finish(mut self) -> DocWords {
        self.end_word();
        self.out.distinct = self.out.count_distinct(self.table);
        self.out
    }
}
