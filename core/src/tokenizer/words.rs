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

use rustc_hash::FxHashMap;
use std::ops::Range;

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

    /// The fragment whose text is that of `word` (hash `hash`), if any.
    fn fragment_with_text(&self, hash: u64, word: &LongWord, doc: &DocWords) -> Option<u32> {
        let mut f = self.by_hash.get(&hash).copied().unwrap_or(NONE);
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

/// A word of several fragments, or with decoded text in it.
#[derive(Debug, Clone, PartialEq)]
struct LongWord {
    /// Hash of its text.
    hash: u64,
    /// Its fragment numbers in [`DocWords::parts`], or its text in [`DocWords::texts`].
    spelling: Spelling,
}

#[derive(Debug, Clone, PartialEq)]
enum Spelling {
    Fragments(Range<u32>),
    Text(u32),
}

/// The words of one text, read from token ids by a [`WordReader`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DocWords {
    /// Each word in order: a fragment number below [`WordTable::fragment_count`], or
    /// `fragment_count + i` for the `i`th long word.
    keys: Vec<u32>,
    long: Vec<LongWord>,
    parts: Vec<u32>,
    texts: Vec<String>,
}

impl DocWords {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no words.
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
    fn text(&self, table: &WordTable, w: &LongWord) -> String {
        match &w.spelling {
            Spelling::Text(i) => self.texts[*i as usize].clone(),
            Spelling::Fragments(r) => self.parts[r.start as usize..r.end as usize]
                .iter()
                .map(|&f| table.fragment_text(f))
                .collect(),
        }
    }

    /// Whether the text of `w` is `text`, without joining it.
    fn text_equals(&self, table: &WordTable, w: &LongWord, text: &str) -> bool {
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

/// Numbers words across texts densely, `0, 1, 2, ...` in order of first appearance: the same
/// number for the same text, whichever tokens spell it.
pub struct WordNumbering<'a> {
    table: &'a WordTable,
    /// The first long word with each hash, and the next one with the same hash (indexes into
    /// `seen`).
    by_hash: FxHashMap<u64, u32>,
    next_same_hash: Vec<u32>,
    /// One spelling of each distinct long-word text: (text, long word), and its number (a
    /// fragment's when the text is a fragment's).
    seen: Vec<(usize, usize, u32)>,
    /// The number of each fragment seen, by fragment.
    fragments: FragmentNumbers,
    /// Numbers given.
    count: u32,
}

/// The number of each fragment in one numbering: a per-thread array reused across numberings,
/// an entry valid when its generation is the current one (no clearing, no allocation per trace).
struct FragmentNumbers {
    generation: u32,
    slots: Vec<(u32, u32)>,
}

thread_local! {
    static FRAGMENT_NUMBERS: std::cell::Cell<Option<FragmentNumbers>> =
        const { std::cell::Cell::new(None) };
}

impl FragmentNumbers {
    /// This thread's array, at a new generation, with room for `fragments` fragments.
    fn take(fragments: usize) -> FragmentNumbers {
        let mut f = FRAGMENT_NUMBERS
            .with(|c| c.take())
            .unwrap_or(FragmentNumbers {
                generation: 0,
                slots: Vec::new(),
            });
        f.generation = f.generation.wrapping_add(1);
        if f.generation == 0 {
            f.slots.iter_mut().for_each(|s| *s = (0, 0));
            f.generation = 1;
        }
        if f.slots.len() < fragments {
            f.slots.resize(fragments, (0, 0));
        }
        f
    }

    fn get(&self, fragment: u32) -> Option<u32> {
        let (g, n) = self.slots[fragment as usize];
        (g == self.generation).then_some(n)
    }
}

impl Drop for WordNumbering<'_> {
    fn drop(&mut self) {
        let f = std::mem::replace(
            &mut self.fragments,
            FragmentNumbers {
                generation: 0,
                slots: Vec::new(),
            },
        );
        FRAGMENT_NUMBERS.with(|c| c.set(Some(f)));
    }
}

impl<'a> WordNumbering<'a> {
    /// An empty numbering.
    pub fn new(table: &'a WordTable) -> WordNumbering<'a> {
        WordNumbering {
            table,
            by_hash: FxHashMap::default(),
            next_same_hash: Vec::new(),
            seen: Vec::new(),
            fragments: FragmentNumbers::take(table.fragment_count() as usize),
            count: 0,
        }
    }

    /// Numbers given so far (every number is below it).
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether no word was numbered.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn fragment_number(&mut self, f: u32) -> u32 {
        let slot = &mut self.fragments.slots[f as usize];
        if slot.0 == self.fragments.generation {
            return slot.1;
        }
        *slot = (self.fragments.generation, self.count);
        self.count += 1;
        self.count - 1
    }

    /// The numbers of every word of `docs`, text by text.
    pub fn number(&mut self, docs: &[&DocWords]) -> Vec<Vec<u32>> {
        let first = self.table.fragment_count();
        docs.iter()
            .enumerate()
            .map(|(d, doc)| {
                let mut long = doc.long.iter().enumerate();
                let mut out = Vec::with_capacity(doc.keys.len());
                for &k in &doc.keys {
                    let n = if k < first {
                        self.fragment_number(k)
                    } else {
                        // Long words come in key order.
                        let (i, w) = long.next().expect("one long word per long key");
                        self.number_of(docs, d, i, w)
                    };
                    out.push(n);
                }
                out
            })
            .collect()
    }

    fn number_of(&mut self, docs: &[&DocWords], d: usize, i: usize, w: &LongWord) -> u32 {
        let doc = &docs[d];
        // Long words seen before in this numbering (the common case: texts repeat words).
        let head = self.by_hash.get(&w.hash).copied().unwrap_or(NONE);
        let mut s = head;
        while s != NONE {
            let (sd, si, n) = self.seen[s as usize];
            let other = &docs[sd].long[si];
            let same = match (&w.spelling, &other.spelling) {
                (Spelling::Fragments(a), Spelling::Fragments(b))
                    if doc.parts[a.start as usize..a.end as usize]
                        == docs[sd].parts[b.start as usize..b.end as usize] =>
                {
                    true
                }
                _ => doc.text_equals(self.table, w, &docs[sd].text(self.table, other)),
            };
            if same {
                return n;
            }
            s = self.next_same_hash[s as usize];
        }
        // A new text: a fragment's, or a new number.
        let n = match self.table.fragment_with_text(w.hash, w, doc) {
            Some(f) => self.fragment_number(f),
            None => {
                self.count += 1;
                self.count - 1
            }
        };
        self.seen.push((d, i, n));
        self.next_same_hash.push(head);
        self.by_hash.insert(w.hash, self.seen.len() as u32 - 1);
        n
    }

    /// The number of `word` in the texts numbered so far, if it occurs in them.
    pub fn lookup(&self, docs: &[&DocWords], word: &str) -> Option<u32> {
        if let Some(f) = self.table.fragment_of(word) {
            return self.fragments.get(f);
        }
        let (hash, _) = hash_bytes(0, word.as_bytes());
        let mut s = self.by_hash.get(&hash).copied().unwrap_or(NONE);
        while s != NONE {
            let (sd, si, n) = self.seen[s as usize];
            if docs[sd].text_equals(self.table, &docs[sd].long[si], word) {
                return Some(n);
            }
            s = self.next_same_hash[s as usize];
        }
        None
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
            },
        }
    }

    /// Reads the text that `ids` decode to (one decoding unit: `decode` is called with all of
    /// `ids` when one of them is not valid UTF-8 on its own, as the text would be decoded).
    pub fn push_tokens(&mut self, ids: &[u32], decode: impl FnOnce(&[u32]) -> String) {
        let table = self.table;
        if ids.iter().any(|&id| table.shape(id).has(RAW)) {
            self.push_text(&decode(ids));
            return;
        }
        for &id in ids {
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

    #[inline]
    fn push_fragment(&mut self, f: u32) {
        if self.parts == 0 {
            // Most words are one fragment: nothing else is needed until a second one comes.
            self.single = Some(f);
        } else {
            if let Some(first) = self.single.take() {
                self.start_long(first);
            }
            let (h, p) = self.table.hashes[f as usize];
            self.hash = self.hash.wrapping_mul(p).wrapping_add(h);
            match self.text.as_mut() {
                Some(t) => t.push_str(self.table.fragment_text(f)),
                None => self.out.parts.push(f),
            }
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
    #[inline]
    pub fn end_word(&mut self) {
        if self.parts == 0 {
            return;
        }
        self.parts = 0;
        let key = match self.single.take() {
            Some(f) => f,
            None => {
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
                self.table.fragment_count() + self.out.long.len() as u32 - 1
            }
        };
        self.out.keys.push(key);
    }

    /// The words read, the last one ended.
    pub fn finish(mut self) -> DocWords {
        self.end_word();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The words of `doc` as texts.
    fn texts(table: &WordTable, doc: &DocWords) -> Vec<String> {
        doc.keys
            .iter()
            .map(|&k| match k.checked_sub(table.fragment_count()) {
                None => table.fragment_text(k).to_string(),
                Some(i) => doc.text(table, &doc.long[i as usize]),
            })
            .collect()
    }

    fn decode(table: &[Box<[u8]>], ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .filter_map(|&i| table.get(i as usize))
            .flat_map(|b| b.iter().copied())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Pieces of a vocabulary: ASCII words, spaces, Unicode spaces, and multi-byte characters
    /// whole and split into their bytes.
    const PIECES: &[&[u8]] = &[
        b"the",
        b" the",
        b"th",
        b"e",
        b" ",
        b"  ",
        b"\n",
        b"\n\n",
        b"a b",
        b" x ",
        b".",
        b"(",
        "\u{3000}".as_bytes(),
        "\u{a0}x".as_bytes(),
        b"\xc2",
        b"\xa0",
        "é".as_bytes(),
        b"\xc3",
        b"\xa9",
        "日本".as_bytes(),
        b"\xe6\x97",
        b"\xa5",
        b"\xff",
        b"",
        b"the.",
        b"e.",
    ];

    fn vocabulary() -> Vec<Box<[u8]>> {
        PIECES
            .iter()
            .map(|p| p.to_vec().into_boxed_slice())
            .collect()
    }

    /// Ids of the vocabulary and two beyond it.
    fn pieces() -> impl Strategy<Value = Vec<Vec<u32>>> {
        proptest::collection::vec(
            proptest::collection::vec(0u32..(PIECES.len() as u32 + 2), 0..12),
            0..6,
        )
    }

    /// Reads `pieces` as one text, a newline after every third; returns the words and the text.
    fn read(table: &WordTable, vocab: &[Box<[u8]>], pieces: &[Vec<u32>]) -> (DocWords, String) {
        let mut reader = WordReader::new(table);
        let mut text = String::new();
        for (i, ids) in pieces.iter().enumerate() {
            reader.push_tokens(ids, |ids| decode(vocab, ids));
            text.push_str(&decode(vocab, ids));
            if i % 3 == 2 {
                reader.push_text("\n");
                text.push('\n');
            }
        }
        (reader.finish(), text)
    }

    proptest! {
        #[test]
        fn words_equal_those_of_the_decoded_text(pieces in pieces()) {
            let vocab = vocabulary();
            let table = WordTable::from_token_bytes(&vocab);
            let (doc, text) = read(&table, &vocab, &pieces);
            let want: Vec<String> = text.split_whitespace().map(str::to_string).collect();
            prop_assert_eq!(texts(&table, &doc), want);
        }

        #[test]
        fn one_number_per_distinct_word_across_texts(docs in proptest::collection::vec(pieces(), 0..5)) {
            let vocab = vocabulary();
            let table = WordTable::from_token_bytes(&vocab);
            let read: Vec<(DocWords, String)> = docs.iter().map(|p| read(&table, &vocab, p)).collect();
            let words: Vec<DocWords> = read.iter().map(|(w, _)| w.clone()).collect();
            let mut numbering = WordNumbering::new(&table);
            let refs: Vec<&DocWords> = words.iter().collect();
            let numbers = numbering.number(&refs);
            let mut text_of = std::collections::HashMap::new();
            let mut number_of = std::collections::HashMap::new();
            for ((_, text), nums) in read.iter().zip(&numbers) {
                let ws: Vec<&str> = text.split_whitespace().collect();
                prop_assert_eq!(ws.len(), nums.len());
                for (w, n) in ws.iter().zip(nums) {
                    prop_assert_eq!(*text_of.entry(*n).or_insert(*w), *w);
                    prop_assert_eq!(*number_of.entry(*w).or_insert(*n), *n);
                    prop_assert_eq!(numbering.lookup(&refs, w), Some(*n));
                }
            }
            prop_assert_eq!(numbering.lookup(&refs, "absent-word"), None);
            // Dense: every number below the count is used.
            let used: std::collections::HashSet<u32> = numbers.iter().flatten().copied().collect();
            prop_assert_eq!(used.len(), numbering.len());
            prop_assert!(used.iter().all(|&n| (n as usize) < numbering.len()));
        }
    }

    #[test]
    fn a_word_spelt_by_two_tokens_has_the_number_of_the_one_token_spelling() {
        let vocab = vocabulary();
        let table = WordTable::from_token_bytes(&vocab);
        let mut r = WordReader::new(&table);
        // " the" then "th" "e": the same word, once whole, once in two tokens; then "the."
        // whole and as "th" "e.".
        r.push_tokens(&[1, 4, 2, 3, 4, 24, 4, 2, 25], |_| {
            unreachable!("no split character")
        });
        let doc = r.finish();
        let numbers = WordNumbering::new(&table).number(&[&doc]);
        assert_eq!(numbers[0].len(), 4);
        assert_eq!(numbers[0][0], numbers[0][1]);
        assert_eq!(numbers[0][2], numbers[0][3]);
        assert_ne!(numbers[0][0], numbers[0][2]);
    }

    #[test]
    fn words_with_one_hash_and_different_texts_get_different_numbers() {
        let vocab = vocabulary();
        let table = WordTable::from_token_bytes(&vocab);
        let mut r = WordReader::new(&table);
        r.push_tokens(&[0, 10, 4, 0, 11], |_| unreachable!("no split character"));
        let mut doc = r.finish();
        // Force a collision: give the second long word the first one's hash.
        doc.long[1].hash = doc.long[0].hash;
        let mut numbering = WordNumbering::new(&table);
        let numbers = numbering.number(&[&doc]);
        assert_ne!(numbers[0][0], numbers[0][1]);
    }
}
