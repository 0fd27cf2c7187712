//! The privacy filter on shown text: e-mail addresses, phone numbers and IP addresses in
//! document text that a trace, a document view or a search returns are masked (the default),
//! or the document is left out (`drop`), or shown as stored (`off`, for private deployments).
//! Counts and spans are not affected: the filter applies to what is shown, never to what is
//! searched.
//!
//! Detection is by pattern (the `regex` crate), then a check of each candidate:
//! - **e-mail**: `local@domain.tld` (letters, digits and `._%+-` before the `@`; a dotted
//!   domain with a top-level part of at least two letters);
//! - **IPv4**: four dot-separated numbers 0–255 not inside a longer dotted number;
//!   **IPv6**: hexadecimal groups and colons that `std::net::Ipv6Addr` parses, with at least
//!   two non-empty groups and a digit (so `std::vec` or `d::` in code is not one);
//! - **phone**: an optional `+` country code, an optional area code in parentheses, then
//!   groups of digits separated by one space, dot or hyphen, 10 to 15 digits in all, or 7 to
//!   9 digits written as `NNN-NNNN` / `NNN.NNNN` / with a `+`; not inside a longer number.
//!   Digit groups that run on into the next number (`555-867-5309 1.2.3.4`) are cut back
//!   where the separator changes, to the longest part that is a phone number.
//!
//! Known false positives and misses (`docs/pii.md` has the measured precision and recall on a
//! planted corpus): four-part version numbers (`1.2.3.4`) are masked as IP addresses; long
//! digit groups separated by spaces (table rows, ISBNs written with spaces) can be masked as
//! phone numbers; obfuscated addresses (`jane at example dot com`), phone numbers written in
//! words or without any separator beyond 15 digits are missed.
//!
//! **Spaced punctuation.** A WordPiece index (BERT's) decodes `info@eun.org` as `info @ eun.
//! org` and `+32 (0)2 790 75 75` as `+ 32 ( 0 ) 2 790 75 75`, which no pattern above
//! matches; its text is also read with the spaces beside `@ . ( ) + - : _ %` closed up (but
//! the one before `(` or `+`: [`find_spaced`]), and an item found so is masked over the
//! spaced text it covers.
//!
//! **Cut windows.** Shown text is usually a window of a document (a snippet, a truncated
//! document, a search excerpt), and an item cut by the window's edge may no longer match
//! (`jane.doe@example` left of `jane.doe@example.com`). So every window is filtered with its
//! [`Margins`], the document's text just outside it (up to [`MARGIN_TOKENS`] tokens each
//! side): an item that reaches into the window from a margin is found, and its part inside
//! the window is masked (or, in `drop` mode, the document left out).

use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// What the filter does with shown text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PiiMode {
    /// Replace each item by a marker naming its kind (`[EMAIL]`, `[PHONE]`, `[IP]`).
    #[default]
    Mask,
    /// Leave out every document whose shown text holds an item.
    Drop,
    /// Show text as stored.
    Off,
}

impl PiiMode {
    /// The mode's name (`mask`, `drop`, `off`).
    pub fn name(self) -> &'static str {
        match self {
            PiiMode::Mask => "mask",
            PiiMode::Drop => "drop",
            PiiMode::Off => "off",
        }
    }
}

impl std::str::FromStr for PiiMode {
    type Err = String;

    fn from_str(s: &str) -> Result<PiiMode, String> {
        match s {
            "mask" => Ok(PiiMode::Mask),
            "drop" => Ok(PiiMode::Drop),
            "off" => Ok(PiiMode::Off),
            _ => Err(format!(
                "{s:?} is not a PII mode; accepted: mask, drop, off"
            )),
        }
    }
}

/// The kind of a personal-data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PiiKind {
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// An IPv4 or IPv6 address.
    Ip,
}

impl PiiKind {
    /// The marker that replaces an item of this kind.
    pub fn marker(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Ip => "[IP]",
        }
    }
}

/// One item found in a text: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiiMatch {
    /// What it is.
    pub kind: PiiKind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

struct Patterns {
    email: Regex,
    ipv4: Regex,
    ipv6: Regex,
    phone: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        email: Regex::new(r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}")
            .expect("valid regex"),
        ipv4: Regex::new(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}").expect("valid regex"),
        ipv6: Regex::new(r"(?i)[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:]*").expect("valid regex"),
        phone: Regex::new(
            r"(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{1,4}){1,5}",
        )
        .expect("valid regex"),
    })
}

fn byte_before(text: &str, i: usize) -> Option<u8> {
    i.checked_sub(1).map(|j| text.as_bytes()[j])
}

fn byte_at(text: &str, i: usize) -> Option<u8> {
    text.as_bytes().get(i).copied()
}

/// Whether `text[start..end]` stands alone as a number: no digit or letter touches it, and
/// it does not continue as a dotted or hyphenated number (`1.2.3.4.5`, `12-34-56`).
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    if word(byte_before(text, start)) || word(byte_at(text, end)) {
        return false;
    }
    let joined = |sep: Option<u8>, next: Option<u8>| {
        matches!(sep, Some(b'.' | b'-' | b':')) && next.is_some_and(|b| b.is_ascii_digit())
    };
    let before2 = start.checked_sub(2).map(|j| text.as_bytes()[j]);
    !(joined(byte_before(text, start), before2)
        || joined(byte_at(text, end), byte_at(text, end + 1)))
}

fn emails(text: &str, out: &mut Vec<PiiMatch>) {
    for m in patterns().email.find_iter(text) {
        out.push(PiiMatch {
            kind: PiiKind::Email,
            start: m.start(),
            end: m.end(),
        });
    }
}

fn ips(text: &str, out: &mut Vec<PiiMatch>) {
    for m in patterns().ipv4.find_iter(text) {
        let ok = m
            .as_str()
            .split('.')
            .all(|p| p.parse::<u16>().is_ok_and(|n| n <= 255));
        if ok && stands_alone(text, m.start(), m.end()) {
            out.push(PiiMatch {
                kind: PiiKind::Ip,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    for m in patterns().ipv6.find_iter(text) {
        let s = m.as_str();
        let groups = s.split(':').filter(|g| !g.is_empty()).count();
        let word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if groups >= 2
            && s.bytes().any(|b| b.is_ascii_digit())
            && s.parse::<std::net::Ipv6Addr>().is_ok()
            && !word(byte_before(text, m.start()))
            && !word(byte_at(text, m.end()))
        {
            out.push(PiiMatch {
                kind: PiiKind::Ip,
                start: m.start(),
                end: m.end(),
            });
        }
    }
}

fn phones(text: &str, out: &mut Vec<PiiMatch>) {
    let mut from = 0;
    while let Some(m) = patterns().phone.find_at(text, from) {
        // The pattern takes every digit group it can, so it may run on into the next number
        // (`555-867-5309 1.2.3`, before an IP address; another phone number), which then
        // fails the checks: cut back where the separator changes, the longest such part that
        // passes is the phone, and the search goes on after it.
        let s = m.as_str();
        let changes = s
            .bytes()
            .enumerate()
            .filter(|(_, b)| matches!(b, b' ' | b'.' | b'-'))
            .scan(None, |last, (i, b)| {
                let changed = last.is_some_and(|l| l != b);
                *last = Some(b);
                Some(changed.then_some(i))
            })
            .flatten()
            .collect::<Vec<usize>>();
        let mut ends = std::iter::once(s.len()).chain(changes.into_iter().rev());
        match ends.find(|&len| is_phone(text, m.start(), m.start() + len)) {
            Some(len) => {
                out.push(PiiMatch {
                    kind: PiiKind::Phone,
                    start: m.start(),
                    end: m.start() + len,
                });
                from = m.start() + len;
            }
            None => from = m.end(),
        }
    }
}

/// Whether `text[start..end]`, digit groups the phone pattern matched, is a phone number.
fn is_phone(text: &str, start: usize, end: usize) -> bool {
    let s = &text[start..end];
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let seps: Vec<u8> = s
        .bytes()
        .filter(|b| matches!(b, b' ' | b'.' | b'-'))
        .collect();
    let plus = s.starts_with('+');
    let paren = s.contains('(');
    let long = (10..=15).contains(&digits);
    // 7 to 9 digits only in the shapes local numbers are written in.
    let local_shape =
        s.len() == 8 && s.as_bytes()[3] != b' ' && seps.len() == 1 && s.find(['-', '.']) == Some(3);
    let short = (7..=9).contains(&digits) && (plus || paren || local_shape);
    // Dotted numbers with a group of one digit are version or section numbers.
    let dotted_version = seps.iter().all(|&b| b == b'.') && s.split('.').any(|g| g.len() == 1);
    (long || short) && !dotted_version && stands_alone(text, start, end)
}

/// Every item in `text`, by position; items that overlap are merged into one, of the earlier
/// (then longer) one's kind, that covers them all: masking must hide every byte of each
/// (a phone number running into an e-mail address, say), not only the first.
pub fn find(text: &str) -> Vec<PiiMatch> {
    let mut all = Vec::new();
    emails(text, &mut all);
    ips(text, &mut all);
    phones(text, &mut all);
    merge_overlapping(all)
}

/// Characters of items that WordPiece's decoder writes apart from what follows them
/// (`+ 32`, `( 0`, `info @ eun`).
fn joins_next(c: char) -> bool {
    matches!(c, '@' | '.' | '(' | '+' | '-' | ':' | '_' | '%')
}

/// Characters of items that WordPiece's decoder writes apart from what precedes them
/// (`0 )`, `info @`); an opening bracket or a `+` keeps the space before it (`or ( 555 )`).
fn joins_previous(c: char) -> bool {
    matches!(c, '@' | '.' | ')' | '-' | ':' | '_' | '%')
}

/// `text` with the spaces beside an item's punctuation removed (`info @ eun. org` is
/// `info@eun.org`, `+ 32 ( 0 ) 2` is `+32 (0)2`), and for each byte of it the byte of `text`
/// it comes from.
fn close_up(text: &str) -> (String, Vec<usize>) {
    let mut closed = String::with_capacity(text.len());
    let mut from = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if c == ' ' {
            let next = chars.peek().map(|&(_, n)| n);
            // A `+` before a word is inside an address (`j _ thornton + orders @`); before
            // digits it starts a phone number (`or + 32`).
            let plus_in_word = text[i + 1..]
                .strip_prefix('+')
                .map(|r| r.trim_start_matches(' '))
                .is_some_and(|r| r.starts_with(|c: char| c.is_alphabetic()));
            if prev.is_some_and(joins_next) || next.is_some_and(joins_previous) || plus_in_word {
                continue;
            }
        }
        closed.push(c);
        from.extend(i..i + c.len_utf8());
        prev = Some(c);
    }
    (closed, from)
}

/// [`find`] for text whose decoder writes punctuation apart from words (WordPiece's): the
/// items of `text` as it is, and those of `text` with the spaces beside an item's punctuation
/// closed up, each covering the bytes of `text` it was read from.
pub fn find_spaced(text: &str) -> Vec<PiiMatch> {
    let (closed, from) = close_up(text);
    let mut all = find(text);
    all.extend(find(&closed).into_iter().map(|m| PiiMatch {
        kind: m.kind,
        start: from[m.start],
        end: from[m.end - 1] + 1,
    }));
    merge_overlapping(all)
}

/// Sorts items by position and merges those that overlap into one, of the earlier (then
/// longer) one's kind, covering them all.
fn merge_overlapping(mut all: Vec<PiiMatch>) -> Vec<PiiMatch> {
    all.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let mut out: Vec<PiiMatch> = Vec::with_capacity(all.len());
    for m in all {
        match out.last_mut() {
            Some(l) if m.start < l.end => l.end = l.end.max(m.end),
            _ => out.push(m),
        }
    }
    out
}

/// `text` with every item replaced by its kind's marker, and the items found.
pub fn mask(text: &str) -> (String, Vec<PiiMatch>) {
    let found = find(text);
    if found.is_empty() {
        return (text.to_string(), found);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in &found {
        out.push_str(&text[at..m.start]);
        out.push_str(m.kind.marker());
        at = m.end;
    }
    out.push_str(&text[at..]);
    (out, found)
}

/// How many items of each kind `found` holds (what answers report as `pii_masked`).
pub fn count_by_kind(found: &[PiiMatch]) -> BTreeMap<PiiKind, usize> {
    let mut counts = BTreeMap::new();
    for f in found {
        *counts.entry(f.kind).or_default() += 1;
    }
    counts
}

/// Tokens of context read each side of a shown window for the filter (see [`Margins`]):
/// enough for any realistic item with a subword vocabulary (about four bytes a token); a
/// byte-level index reads [`MARGIN_BYTE_TOKENS`].
pub const MARGIN_TOKENS: usize = 64;

/// Tokens of context each side of a window of a raw-bytes index (one byte a token).
pub const MARGIN_BYTE_TOKENS: usize = 256;

/// The document's text just outside a shown window: what the filter reads to find items
/// that the window's edges cut (empty at a document's start or end), and how the text was
/// decoded. Never shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Margins {
    /// Text just before the window.
    pub before: String,
    /// Text just after the window.
    pub after: String,
    /// The text comes from a decoder that writes punctuation apart from words (WordPiece's:
    /// `info @ eun. org`, `+ 32 ( 0 ) 2 790 75 75`): items are also looked for with those
    /// spaces closed up ([`find_spaced`]).
    pub spaced_punctuation: bool,
}

/// Which of the parts given to the masking functions are highlighted (`true`), by position; a
/// part past the end of the list is not. An item reaching into a highlighted part puts its
/// marker in the first such part it reaches, not where it starts, so that a highlight inside
/// masked text still shows, as the marker, instead of being masked away to nothing.
pub type Highlighted<'a> = &'a [bool];

/// A snippet's parts, `[before, matched, after]`: the match is highlighted.
pub const SNIPPET_MATCH: Highlighted<'static> = &[false, true, false];

/// Parts none of which is highlighted.
pub const NOT_HIGHLIGHTED: Highlighted<'static> = &[];

/// The privacy filter `mode` on texts shown together (see [`mask_parts`]): masks them unless
/// the filter is off, and gives the items masked by kind, or `None` when `mode` is `drop` and
/// they hold any (the caller leaves the whole thing out).
pub fn filter_parts(parts: &mut [&mut String], mode: PiiMode) -> Option<BTreeMap<PiiKind, usize>> {
    filter_parts_within(&Margins::default(), parts, NOT_HIGHLIGHTED, mode)
}

/// [`filter_parts`] for a window of a document, with the document's text around it
/// (see [`mask_parts_within`]).
pub fn filter_parts_within(
    margins: &Margins,
    parts: &mut [&mut String],
    highlighted: Highlighted<'_>,
    mode: PiiMode,
) -> Option<BTreeMap<PiiKind, usize>> {
    if mode == PiiMode::Off {
        return Some(BTreeMap::new());
    }
    let found = mask_parts_within(margins, parts, highlighted);
    if !found.is_empty() && mode == PiiMode::Drop {
        return None;
    }
    Some(count_by_kind(&found))
}

/// Masks texts that are shown one after the other (a snippet's before, match and after), so
/// that an item crossing from one part into the next is found: each item's marker goes in
/// the part where it starts, and its remainder is removed from the parts it reaches into.
pub fn mask_parts(parts: &mut [&mut String]) -> Vec<PiiMatch> {
    mask_parts_within(&Margins::default(), parts, NOT_HIGHLIGHTED)
}

/// [`mask_parts`] for a window of a document whose surrounding text is `margins`: items are
/// found in the margins and the parts together, and every item reaching into the parts is
/// masked there (an item cut by the window's edge is masked up to the edge, its marker where
/// its shown part starts, or in the first `highlighted` part it reaches). The matches
/// returned are clipped to the parts, offsets in their concatenation.
pub fn mask_parts_within(
    margins: &Margins,
    parts: &mut [&mut String],
    highlighted: Highlighted<'_>,
) -> Vec<PiiMatch> {
    mask_parts_within_items(margins, parts, highlighted)
        .into_iter()
        .map(|(m, _)| m)
        .collect()
}

/// [`mask_parts_within`], each match with the whole item's text (its part in the margins
/// included), so that an item shown in several windows of one document counts once.
pub fn mask_parts_within_items(
    margins: &Margins,
    parts: &mut [&mut String],
    highlighted: Highlighted<'_>,
) -> Vec<(PiiMatch, String)> {
    let all = window_text(margins, parts);
    let found = if margins.spaced_punctuation {
        find_spaced(&all)
    } else {
        find(&all)
    };
    let lo = margins.before.len();
    let shown: usize = parts.iter().map(|p| p.len()).sum();
    let texts: Vec<String> = found
        .iter()
        .filter(|m| m.end > lo && m.start < lo + shown)
        .map(|m| all[m.start..m.end].to_string())
        .collect();
    mask_found(&all, lo, parts, found, highlighted)
        .into_iter()
        .zip(texts)
        .collect()
}

/// How many distinct items of each kind `items` holds (an item by its kind and text).
pub fn count_distinct_by_kind(items: &[(PiiMatch, String)]) -> BTreeMap<PiiKind, usize> {
    let distinct: std::collections::BTreeSet<(PiiKind, &str)> =
        items.iter().map(|(m, t)| (m.kind, t.as_str())).collect();
    let mut counts = BTreeMap::new();
    for (kind, _) in distinct {
        *counts.entry(kind).or_default() += 1;
    }
    counts
}

/// [`mask_parts_within`] for a window of **normalised** text (a contamination side index's:
/// lowercased words, or alphanumerics only), where no pattern can recognise an item
/// (`jane doe example com`): `items` are the items of the original document, each given
/// normalised the same way, and every occurrence of one in the window (or reaching into it
/// from the margins) is masked with its kind's marker.
pub fn mask_normalized_within(
    margins: &Margins,
    parts: &mut [&mut String],
    highlighted: Highlighted<'_>,
    items: &[(PiiKind, String)],
) -> Vec<PiiMatch> {
    let all = window_text(margins, parts);
    let found: Vec<PiiMatch> = items
        .iter()
        .filter(|(_, needle)| !needle.is_empty())
        .flat_map(|(kind, needle)| {
            all.match_indices(needle.as_str())
                .map(|(start, m)| PiiMatch {
                    kind: *kind,
                    start,
                    end: start + m.len(),
                })
        })
        .collect();
    mask_found(
        &all,
        margins.before.len(),
        parts,
        merge_overlapping(found),
        highlighted,
    )
}

/// The margins and the parts of a window, concatenated.
fn window_text(margins: &Margins, parts: &[&mut String]) -> String {
    let shown: usize = parts.iter().map(|p| p.len()).sum();
    let mut all = String::with_capacity(margins.before.len() + shown + margins.after.len());
    all.push_str(&margins.before);
    for p in parts.iter() {
        all.push_str(p);
    }
    all.push_str(&margins.after);
    all
}

/// Masks in `parts` the items `found` (ascending, not overlapping) of `all`, the parts
/// preceded by `lo` bytes of margin and followed by the rest: items reaching into the parts
/// are clipped to them, each item's marker in the first `highlighted` part it reaches, else
/// in the part where it starts; returns the clipped items, offsets in the parts'
/// concatenation.
fn mask_found(
    all: &str,
    lo: usize,
    parts: &mut [&mut String],
    found: Vec<PiiMatch>,
    highlighted: Highlighted<'_>,
) -> Vec<PiiMatch> {
    let shown: usize = parts.iter().map(|p| p.len()).sum();
    let found: Vec<PiiMatch> = found
        .into_iter()
        .filter(|m| m.end > lo && m.start < lo + shown)
        .map(|m| PiiMatch {
            kind: m.kind,
            start: m.start.max(lo) - lo,
            end: m.end.min(lo + shown) - lo,
        })
        .collect();
    if found.is_empty() {
        return found;
    }
    let joined = &all[lo..lo + shown];
    let mut bounds = Vec::with_capacity(parts.len());
    let mut acc = 0;
    for p in parts.iter() {
        bounds.push((acc, acc + p.len()));
        acc += p.len();
    }
    let reaches = |m: &PiiMatch, i: usize| m.end > bounds[i].0 && m.start < bounds[i].1;
    // The part each item's marker goes in.
    let marked_in: Vec<usize> = found
        .iter()
        .map(|m| {
            let mut reached = (0..bounds.len()).filter(|&i| reaches(m, i));
            let first = reached.clone().next().unwrap_or(0);
            reached
                .find(|&i| highlighted.get(i).copied().unwrap_or(false))
                .unwrap_or(first)
        })
        .collect();
    for (i, (part, &(lo, hi))) in parts.iter_mut().zip(&bounds).enumerate() {
        let mut out = String::with_capacity(hi - lo);
        let mut at = lo;
        for (m, &marked) in found.iter().zip(&marked_in) {
            if m.end <= lo || m.start >= hi {
                continue;
            }
            let s = m.start.max(lo);
            out.push_str(&joined[at..s]);
            if marked == i {
                out.push_str(m.kind.marker());
            }
            at = m.end.min(hi);
        }
        out.push_str(&joined[at..hi]);
        **part = out;
    }
    found
}

#[cfg(test)]
#[path = "pii_tests.rs"]
mod tests;
