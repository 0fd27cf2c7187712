//! The searches of the word-level methods in the words side index: one pass of
//! longest-prefix matches serving the word n-grams (GPT-3, PaLM) and the 50-character
//! substrings of an item, each search skipped where a bound already decides it.

use crate::method::SUBSTR_LEN;
use std::collections::HashSet;
use verbatim_core::Index;

/// The byte length of the first `n` characters of `s`, if it has that many.
fn chars_len(s: &str, n: usize) -> Option<usize> {
    if n == 0 {
        return Some(0);
    }
    s.char_indices().nth(n - 1).map(|(i, c)| i + c.len_utf8())
}

/// `s` as a query of a byte-level side index.
pub(crate) fn bytes_query(s: &str) -> Vec<u32> {
    s.bytes().map(u32::from).collect()
}

/// Whether `q` occurs: one lower-bound search per shard instead of the two of `count`.
pub(crate) fn present(ix: &Index, q: &[u32]) -> bool {
    !q.is_empty() && ix.longest_prefix_match(q) >= q.len()
}

/// `" w1 w2 ... wn "`: the exact words-side-index query of a word sequence.
fn framed(words: &[String]) -> String {
    let mut s = String::with_capacity(words.iter().map(|w| w.len() + 1).sum::<usize>() + 1);
    s.push(' ');
    for w in words {
        s.push_str(w);
        s.push(' ');
    }
    s
}

/// Longest-prefix-match lengths of `q` at ascending `starts`, computed only where needed and
/// at most `cap` (`need(i) <= cap` for every start).
///
/// If `q[a..a+k]` occurs, so does `q[b..a+k]` for `a < b`, hence
/// `LPM(a) <= LPM(b) + (b - a)`. Walking right to left, a start whose bound is already below
/// `need(i)` cannot reach `need(i)` and is not searched (`None`); the answer "does
/// `q[s..s+need]` occur" stays exact while most searches in text absent from the corpus are
/// skipped. A length of `cap` bounds nothing (the match may go on), and no start is skipped
/// by it either, since `cap >= need`.
///
/// The cap keeps a long item copied from the corpus linear in its length: each search
/// compares its query with the suffixes it meets, as far as they agree, so uncapped the
/// searches of an item of `n` tokens that is all in the corpus compared about `n^2 / 2`
/// tokens (an 80 KB item checked byte by byte took 3.2 s for Llama 2, now 0.14 s:
/// `benches/contamination/long_items.sh`).
pub(crate) fn sparse_lpm(
    ix: &Index,
    q: &[u32],
    starts: &[usize],
    need: impl Fn(usize) -> usize,
    cap: usize,
) -> Vec<Option<usize>> {
    let mut out = vec![None; starts.len()];
    let mut last: Option<(usize, usize)> = None;
    for i in (0..starts.len()).rev() {
        let s = starts[i];
        debug_assert!(need(i) <= cap, "a start needs more than the cap");
        if let Some((p, l)) = last {
            if l + (p - s) < need(i) {
                continue;
            }
        }
        let l = ix.longest_prefix_match(&q[s..q.len().min(s.saturating_add(cap))]);
        out[i] = Some(l);
        last = Some((s, l));
    }
    out
}

/// One pass of searches over the words side index serving every word-level method of an
/// item: longest-prefix-match lengths at the space before each word (n-gram queries
/// `" w1 ... wn "`) and right after it (50-character substrings), searched only where the
/// bound of [`sparse_lpm`] leaves the answer open.
pub(crate) struct WordsSearch {
    /// `" w1 w2 ... wn "`.
    norm: String,
    /// Byte offset of the space before each word, then of the final space.
    ws: Vec<usize>,
    /// LPM at `ws[i]`, at most the longest length asked anywhere in the item (`None`:
    /// provably below every length asked there).
    at_space: Vec<Option<usize>>,
    /// LPM at `ws[i] + 1`, capped as `at_space` (`None`: provably below the substring's
    /// length).
    at_word: Vec<Option<usize>>,
}

impl WordsSearch {
    /// Searches for word n-grams of the lengths in `ns` and, with `substrings`, for the
    /// 50-character substrings at word starts.
    pub(crate) fn new(
        side: &Index,
        words: &[String],
        ns: &[usize],
        substrings: bool,
    ) -> WordsSearch {
        let norm = framed(words);
        let mut ws = Vec::with_capacity(words.len() + 1);
        let mut p = 0usize;
        for w in words {
            ws.push(p);
            p += w.len() + 1;
        }
        ws.push(p);
        let nw = words.len();
        // (position, need, slot): slot 2i = at_space[i], 2i + 1 = at_word[i].
        let mut pos = Vec::with_capacity(2 * nw);
        let mut need = Vec::with_capacity(2 * nw);
        let mut slot = Vec::with_capacity(2 * nw);
        // The longest length asked anywhere: no answer depends on a match beyond it.
        let mut cap = 0;
        for i in 0..nw {
            let lengths = || {
                ns.iter()
                    .filter(move |&&n| i + n <= nw)
                    .map(|&n| ws[i + n] + 1 - ws[i])
            };
            if let Some(k) = lengths().min() {
                pos.push(ws[i]);
                need.push(k);
                slot.push(2 * i);
                cap = lengths().fold(cap, usize::max);
            }
            let sub_len = substrings
                .then(|| chars_len(&norm[ws[i] + 1..inner_end(&norm)], SUBSTR_LEN))
                .flatten();
            if let Some(len) = sub_len {
                pos.push(ws[i] + 1);
                need.push(len);
                slot.push(2 * i + 1);
                cap = cap.max(len);
            }
        }
        let q = bytes_query(&norm);
        let lpm = sparse_lpm(side, &q, &pos, |i| need[i], cap);
        let mut at_space = vec![None; nw];
        let mut at_word = vec![None; nw];
        for (k, l) in lpm.into_iter().enumerate() {
            if slot[k] % 2 == 0 {
                at_space[slot[k] / 2] = l;
            } else {
                at_word[slot[k] / 2] = l;
            }
        }
        WordsSearch {
            norm,
            ws,
            at_space,
            at_word,
        }
    }

    /// The distinct word n-grams in order of first appearance, framed, each with whether it
    /// occurs. An item shorter than `n` words gives its whole word sequence as its single
    /// n-gram (and `true`).
    pub(crate) fn ngrams(&self, side: &Index, n: usize) -> (Vec<(String, bool)>, bool) {
        let nw = self.at_space.len();
        if nw == 0 {
            return (Vec::new(), false);
        }
        if nw < n {
            let p = present(side, &bytes_query(&self.norm));
            return (vec![(self.norm.clone(), p)], true);
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for i in 0..=nw - n {
            let (a, b) = (self.ws[i], self.ws[i + n] + 1);
            let g = &self.norm[a..b];
            if seen.insert(g) {
                out.push((g.to_string(), self.at_space[i].is_some_and(|l| l >= b - a)));
            }
        }
        (out, false)
    }

    /// The distinct 50-character substrings starting at word starts, in order, each with
    /// whether it occurs; a text of fewer than 50 characters (framing spaces excluded) gives
    /// itself (and `true`).
    pub(crate) fn substrings(&self, side: &Index) -> (Vec<(String, bool)>, bool) {
        let inner = self.norm.trim_matches(' ');
        if inner.is_empty() {
            return (Vec::new(), false);
        }
        if inner.chars().count() < SUBSTR_LEN {
            let p = present(side, &bytes_query(inner));
            return (vec![(inner.to_string(), p)], true);
        }
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, &w) in self.ws[..self.at_word.len()].iter().enumerate() {
            let st = w + 1;
            let Some(len) = chars_len(&self.norm[st..inner_end(&self.norm)], SUBSTR_LEN) else {
                break;
            };
            let sub = &self.norm[st..st + len];
            if seen.insert(sub) {
                out.push((sub.to_string(), self.at_word[i].is_some_and(|l| l >= len)));
            }
        }
        (out, false)
    }
}

/// The end of the text of framed words `" w1 ... wn "` before its final framing space: a
/// 50-character substring ends there at the latest, since that space is not in the item (the
/// corpus copy may go on with more letters of the last word).
fn inner_end(norm: &str) -> usize {
    norm.len().saturating_sub(1)
}
