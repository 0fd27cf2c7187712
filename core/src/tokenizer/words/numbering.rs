//! Numbering words across texts: the same number for the same text.

use super::reader::{LongWord, Spelling};
use super::slots::Slots;
use super::{hash_bytes, DocWords, WordTable, NONE};
use rustc_hash::FxHashMap;

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
    /// The number of each fragment seen, by fragment (a per-thread array reused across
    /// numberings).
    fragments: Slots,
    /// Numbers given.
    count: u32,
}

thread_local! {
    static FRAGMENT_NUMBERS: std::cell::Cell<Option<Slots>> = const { std::cell::Cell::new(None) };
}

impl Drop for WordNumbering<'_> {
    fn drop(&mut self) {
        std::mem::replace(&mut self.fragments, Slots::empty()).put_back(&FRAGMENT_NUMBERS);
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
            fragments: Slots::take(&FRAGMENT_NUMBERS, table.fragment_count() as usize),
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

    #[inline]
    fn fragment_number(&mut self, f: u32) -> u32 {
        if let Some(n) = self.fragments.get(f) {
            return n;
        }
        self.fragments.set(f, self.count);
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

    /// The numbers of the distinct words of each of `docs`, with how often each occurs
    /// (`(number, count)`, from [`DocWords`]'s distinct words: a number may appear twice in
    /// one text when two spellings of one word were counted apart).
    pub fn number_counted(&mut self, docs: &[&DocWords]) -> Vec<Vec<(u32, u32)>> {
        let first = self.table.fragment_count();
        docs.iter()
            .enumerate()
            .map(|(d, doc)| {
                doc.distinct
                    .iter()
                    .map(|&(k, c)| {
                        let n = match k.checked_sub(first) {
                            None => self.fragment_number(k),
                            Some(i) => self.number_of(docs, d, i as usize, &doc.long[i as usize]),
                        };
                        (n, c)
                    })
                    .collect()
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
        let n = match self.table.fragment_with_text(w, doc) {
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
