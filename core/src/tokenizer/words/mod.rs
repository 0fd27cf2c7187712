//! The whitespace-separated words of decoded token ranges, read from the token ids.
//!
//! The trace ranks its documents by BM25 over words: the `split_whitespace` words of each
//! document's decoded context windows. Decoding ~500 tokens per window and hashing every word
//! cost more than the rest of a trace on a corpus with many near-duplicates. With a byte-level
//! vocabulary, decoding is the concatenation of each token's bytes, so the words can be read
//! from the ids instead: each token is precomputed, once per tokenizer, as a list of events,
//! *fragment* (a maximal run of non-whitespace characters, numbered by its text) and
//! *break* (whitespace). A word made of one fragment is its fragment's number, no text built.
//! A word spread over several tokens is kept as its fragment numbers and a hash of its text,
//! combined from the fragments' precomputed hashes; words are numbered across texts by that
//! hash, and two words with the same hash are the same word only if their texts are equal
//! (checked: equal fragment lists, or equal joined texts), so a hash collision costs time,
//! never a wrong word. A word whose text is also a fragment gets that fragment's number,
//! whichever tokens spell it.
//!
//! Exactness: a token whose bytes are not valid UTF-8 on their own (part of a multi-byte
//! character) makes its whole piece decode as text, exactly as [`super::TextTokenizer::decode`]
//! does (lossily, piece by piece), and that text is read character by character. Whitespace is
//! [`char::is_whitespace`], as in `str::split_whitespace`. The property tests check that the
//! words equal those of the decoded text, for random vocabularies with split characters and
//! Unicode spaces.

mod numbering;
mod reader;
mod slots;

pub use numbering::WordNumbering;
pub use reader::{DocWords, WordReader};

use reader::LongWord;
use rustc_hash::FxHashMap;

/// Event code of whitespace in a token's event list.
const BREAK: u32 = u32::MAX;
/// No fragment (in [`TokenShape::fragment`] and hash chains).
const NONE: u32 = u32::MAX;

/// Multiplier of the polynomial text hash (odd).
const HASH_BASE: u64 = 0x100_0000_01b3;

/// Polynomial hash of `bytes` continuing `h`, and the base's power it was shifted by.
fn hash_bytes(mut h: u64, bytes: &[u8]) -> (u64, u64) {
    let mut p = 1u64;
    for &b in bytes {
        h = h.wrapping_mul(HASH_BASE).wrapping_add(b as u64 + 1);
        p = p.wrapping_mul(HASH_BASE);
    }
    (h, p)
}

/// The events of one token, packed in 32 bits for the common shapes: an optional break, at
/// most one fragment, an optional break; anything else is read from the event list. Bits
/// 0..28: the fragment, or [`NO_FRAGMENT`]; bits 28..32: flags.
#[derive(Clone, Copy)]
struct TokenShape(u32);

/// Break before the fragment.
const BREAK_BEFORE: u32 = 1 << 28;
/// Break after it.
const BREAK_AFTER: u32 = 1 << 29;
/// Several fragments: read the event list.
const COMPLEX: u32 = 1 << 30;
/// Not valid UTF-8 on its own.
const RAW: u32 = 1 << 31;
/// No fragment in a [`TokenShape`].
const NO_FRAGMENT: u32 = (1 << 28) - 1;

impl TokenShape {
    fn new(fragment: Option<u32>, flags: u32) -> TokenShape {
        TokenShape(fragment.unwrap_or(NO_FRAGMENT) | flags)
    }

    #[inline]
    fn fragment(self) -> u32 {
        self.0 & NO_FRAGMENT
    }

    #[inline]
    fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }
}

/// Per-token word structure of a byte-level vocabulary (see the module documentation).
pub struct WordTable {
    shapes: Vec<TokenShape>,
    /// Events of token `id` (complex tokens only): `events[starts[id]..starts[id + 1]]`.
    starts: Vec<u32>,
    /// Fragment numbers and [`BREAK`]s.
    events: Vec<u32>,
    /// Every fragment's text, one after the other.
    arena: String,
    /// Each fragment's byte range in `arena`.
    spans: Vec<(u32, u32)>,
    /// Each fragment's text hash and the base's power of its length.
    hashes: Vec<(u64, u64)>,
    /// Fragment number of each fragment text.
    by_text: FxHashMap<Box<str>, u32>,
    /// First fragment number with each text hash, and the next one with the same hash.
    by_hash: FxHashMap<u64, u32>,
    next_same_hash: Vec<u32>,
}

impl WordTable {
    /// The table of a vocabulary given as the decoded bytes of each id.
    pub fn from_token_bytes(table: &[Box<[u8]>]) -> WordTable {
        let mut t = WordTable {
            shapes: Vec::with_capacity(table.len()),
            starts: Vec::with_capacity(table.len() + 1),
            events: Vec::new(),
            arena: String::new(),
            spans: Vec::new(),
            hashes: Vec::new(),
            by_text: FxHashMap::default(),
            by_hash: FxHashMap::default(),
            next_same_hash: Vec::new(),
        };
        for bytes in table {
            t.starts.push(t.events.len() as u32);
            let Ok(s) = std::str::from_utf8(bytes) else {
                t.shapes.push(TokenShape::new(None, RAW));
                continue;
            };
            let events: Vec<u32> = runs(s)
                .map(|run| match run {
                    Run::Space => BREAK,
                    Run::Word(w) => t.fragment_number(w),
                })
                .collect();
            let packable = events.iter().all(|&e| e == BREAK || e < NO_FRAGMENT);
            let shape = match events.as_slice() {
                _ if !packable => None,
                [] => Some(TokenShape::new(None, 0)),
                [BREAK] => Some(TokenShape::new(None, BREAK_BEFORE)),
                [f] => Some(TokenShape::new(Some(*f), 0)),
                [BREAK, f] => Some(TokenShape::new(Some(*f), BREAK_BEFORE)),
                [f, BREAK] => Some(TokenShape::new(Some(*f), BREAK_AFTER)),
                [BREAK, f, BREAK] => Some(TokenShape::new(Some(*f), BREAK_BEFORE | BREAK_AFTER)),
                _ => None,
            };
            let shape = shape.unwrap_or_else(|| {
                t.events.extend_from_slice(&events);
                TokenShape::new(None, COMPLEX)
            });
            t.shapes.push(shape);
        }
        t.starts.push(t.events.len() as u32);
        t
    }

    fn fragment_number(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.by_text.get(text) {
            return n;
        }
        let n = self.spans.len() as u32;
        let start = self.arena.len() as u32;
        self.arena.push_str(text);
        self.spans.push((start, self.arena.len() as u32));
        let (h, p) = hash_bytes(0, text.as_bytes());
        self.hashes.push((h, p));
        self.next_same_hash
            .push(self.by_hash.insert(h, n).unwrap_or(NONE));
        self.by_text.insert(text.into(), n);
        n
    }

    /// Number of fragment numbers: word numbers below it are fragment numbers.
    pub fn fragment_count(&self) -> u32 {
        self.spans.len() as u32
    }

    /// The fragment number of `word`, if some token holds it as a whole fragment.
    pub fn fragment_of(&self, word: &str) -> Option<u32> {
        self.by_text.get(word).copied()
    }

    /// The text of fragment `f`.
    pub fn fragment_text(&self, f: u32) -> &str {
        let (a, b) = self.spans[f as usize];
        &self.arena[a as usize..b as usize]
    }

    /// The fragment whose text is that of long word `word` of `doc`, if any.
    fn fragment_with_text(&self, word: &LongWord, doc: &DocWords) -> Option<u32> {
        let mut f = self.by_hash.get(&word.hash).copied().unwrap_or(NONE);
        while f != NONE {
            if doc.text_equals(self, word, self.fragment_text(f)) {
                return Some(f);
            }
            f = self.next_same_hash[f as usize];
        }
        None
    }

    #[inline]
    fn shape(&self, id: u32) -> TokenShape {
        // Ids outside the vocabulary decode to nothing.
        self.shapes
            .get(id as usize)
            .copied()
            .unwrap_or(TokenShape(NO_FRAGMENT))
    }

    fn events(&self, id: u32) -> &[u32] {
        let (a, b) = (self.starts[id as usize], self.starts[id as usize + 1]);
        &self.events[a as usize..b as usize]
    }
}

/// A maximal run of a text: whitespace, or a word fragment.
enum Run<'a> {
    Space,
    Word(&'a str),
}

/// The runs of `s` in order (each whitespace run reported once).
fn runs(s: &str) -> impl Iterator<Item = Run<'_>> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let mut chars = rest.char_indices();
        let (_, c) = chars.next()?;
        if c.is_whitespace() {
            let end = chars
                .find(|(_, c)| !c.is_whitespace())
                .map_or(rest.len(), |(i, _)| i);
            rest = &rest[end..];
            Some(Run::Space)
        } else {
            let end = chars
                .find(|(_, c)| c.is_whitespace())
                .map_or(rest.len(), |(i, _)| i);
            let (w, r) = rest.split_at(end);
            rest = r;
            Some(Run::Word(w))
        }
    })
}

#[cfg(test)]
mod tests;
