//! Text normalisations for exact word-level matching (contamination checks).
//!
//! A side index stores every document normalised, as raw bytes, so that a normalised n-gram
//! is an exact substring query:
//! - [`Normalization::Words`]: lowercase alphanumeric words joined by single spaces, with
//!   one space before the first and after the last word (`" it was the best "`), so a query
//!   `" w1 ... wn "` matches exactly the n-grams of whole words (the GPT-3 / PaLM definition);
//! - [`Normalization::Alnum`]: lowercase alphanumeric characters only, everything else
//!   removed (GPT-4's "remove spaces and symbols").
//!
//! What counts as a letter is set by the [`NormalizationRules`] a side index was built
//! with (its manifest's `normalization_rules`): [`NormalizationRules::UnicodeSigma`] since
//! 2026-12-07, [`NormalizationRules::Unicode`] from 2026-12-05, [`NormalizationRules::Ascii`]
//! before. Queries of a side index are normalised by its own rules, and an append keeps them.
//! For ASCII text all give the same bytes.

use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// How a side index normalises text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Lowercased alphanumeric words separated by single spaces, space-framed.
    Words,
    /// Lowercased alphanumeric characters only.
    Alnum,
}

/// Which characters are letters and how case and width are folded; recorded in a side
/// index's manifest as `normalization_rules` (absent: 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NormalizationRules {
    /// Version 1: ASCII `[a-z0-9]` only, lowercased; every other character separates words.
    /// `café` gives `caf`, and text in other scripts gives no words at all.
    Ascii = 1,
    /// Version 2: the text is brought to Unicode NFKC (full-width `Ａ` is `A`, ligatures
    /// split, `é` composed however it was written), lowercased and composed again (NFC);
    /// a letter is any alphanumeric character (Unicode Alphabetic or Numeric), with the
    /// combining marks that follow it.
    Unicode = 2,
    /// Version 3: version 2, with Greek final sigma `ς` written `σ`. Lowercasing gives a
    /// capital `Σ` as `ς` or `σ` by what follows it (`ΛΟΓΟΣ` is `λογος`, `ΛΟΓΟΣ.ΤΕΛΟΣ` is
    /// `λογοσ.τελος`), so the same word could normalise two ways in an item and in the
    /// document it was copied from; one sigma, as Unicode case folding has it, makes them one.
    UnicodeSigma = 3,
}

impl NormalizationRules {
    /// The rules new side indexes are built with.
    pub const CURRENT: NormalizationRules = NormalizationRules::UnicodeSigma;

    /// The rules of version `v` as recorded in a manifest, if this verbatim knows them.
    pub fn from_version(v: u32) -> Option<NormalizationRules> {
        match v {
            1 => Some(NormalizationRules::Ascii),
            2 => Some(NormalizationRules::Unicode),
            3 => Some(NormalizationRules::UnicodeSigma),
            _ => None,
        }
    }

    /// The version recorded in a manifest.
    pub fn version(self) -> u32 {
        self as u32
    }
}

impl Normalization {
    /// The side-index directory name.
    pub fn name(self) -> &'static str {
        match self {
            Normalization::Words => "words",
            Normalization::Alnum => "alnum",
        }
    }

    /// Parses a name.
    pub fn from_name(s: &str) -> Option<Normalization> {
        match s {
            "words" => Some(Normalization::Words),
            "alnum" => Some(Normalization::Alnum),
            _ => None,
        }
    }

    /// Normalises `text` by the current rules.
    pub fn apply(self, text: &str) -> String {
        self.apply_under(text, NormalizationRules::CURRENT)
    }

    /// Normalises `text` by `rules`.
    pub fn apply_under(self, text: &str, rules: NormalizationRules) -> String {
        let mut out = String::with_capacity(text.len() + 2);
        match self {
            Normalization::Words => {
                out.push(' ');
                each_word(text, rules, |w| {
                    out.push_str(w);
                    out.push(' ');
                });
            }
            Normalization::Alnum => each_word(text, rules, |w| out.push_str(w)),
        }
        out
    }
}

/// The lowercase alphanumeric words of `text` by the current rules.
pub fn words(text: &str) -> Vec<String> {
    words_under(text, NormalizationRules::CURRENT)
}

/// The lowercase alphanumeric words of `text` by `rules`.
pub fn words_under(text: &str, rules: NormalizationRules) -> Vec<String> {
    let mut out = Vec::new();
    each_word(text, rules, |w| out.push(w.to_string()));
    out
}

/// Calls `f` with each word of `text` by `rules`, in order.
fn each_word(text: &str, rules: NormalizationRules, mut f: impl FnMut(&str)) {
    let mut lower = String::new();
    if rules == NormalizationRules::Ascii {
        ascii_words(text, &mut lower, &mut f);
        return;
    }
    // No word spans whitespace, and the Unicode steps act within a run of non-whitespace
    // (compatibility forms that hold a space, like `¨`, are split inside their run): so each
    // run is folded alone, and a run of ASCII, its own NFKC and NFC, takes the fast path.
    // Prose with curly quotes and dashes then costs little more than ASCII.
    for run in text.split(char::is_whitespace).filter(|r| !r.is_empty()) {
        if run.is_ascii() {
            ascii_words(run, &mut lower, &mut f);
        } else {
            unicode_words(run, rules == NormalizationRules::UnicodeSigma, &mut f);
        }
    }
}

/// Calls `f` with each lowercase ASCII alphanumeric word of `text` (`lower`: scratch space).
fn ascii_words(text: &str, lower: &mut String, f: &mut impl FnMut(&str)) {
    for w in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if w.bytes().any(|b| b.is_ascii_uppercase()) {
            lower.clear();
            lower.push_str(w);
            lower.make_ascii_lowercase();
            f(lower);
        } else {
            f(w);
        }
    }
}

/// Calls `f` with each word of `text` by the Unicode rules (`one_sigma`: with `ς` as `σ`).
fn unicode_words(text: &str, one_sigma: bool, f: &mut impl FnMut(&str)) {
    let folded: String = text
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect();
    let mut word = String::new();
    for c in folded.chars() {
        let c = if one_sigma && c == 'ς' { 'σ' } else { c };
        if c.is_alphanumeric() || (!word.is_empty() && is_combining_mark(c)) {
            word.push(c);
        } else if !word.is_empty() {
            f(&word);
            word.clear();
        }
    }
    if !word.is_empty() {
        f(&word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_alnum() {
        assert_eq!(
            Normalization::Words.apply("It was -- the BEST, of times!"),
            " it was the best of times "
        );
        assert_eq!(Normalization::Words.apply("café au lait"), " café au lait ");
        assert_eq!(
            Normalization::Words.apply_under("café au lait", NormalizationRules::Ascii),
            " caf au lait "
        );
        assert_eq!(Normalization::Words.apply("!!"), " ");
        assert_eq!(
            Normalization::Alnum.apply("It's 42 o'clock."),
            "its42oclock"
        );
    }

    /// Copies of one text that differ by width, composition, case or script are one text
    /// under the Unicode rules (the ASCII rules dropped every non-ASCII letter).
    #[test]
    fn unicode_rules_fold_width_composition_and_case() {
        let w = |t: &str| Normalization::Words.apply(t);
        let a = |t: &str| Normalization::Alnum.apply(t);
        // Full-width letters and digits, and a ligature.
        assert_eq!(w("ＭＭＬＵ ｔｅｓｔ １２"), " mmlu test 12 ");
        assert_eq!(w("eﬃcient"), " efficient ");
        // NFD and NFC spellings of é, and an uppercase one.
        assert_eq!(w("cafe\u{301} CAFÉ café"), " café café café ");
        assert_eq!(a("Crème brûlée!"), "crèmebrûlée");
        // Other scripts are words, not separators.
        assert_eq!(w("Привет, мир"), " привет мир ");
        assert_eq!(w("日本語のテキスト。次"), " 日本語のテキスト 次 ");
        // Combining marks stay with their letter (Devanagari vowel signs, a dotted i);
        // a mark after a separator is not a word.
        assert_eq!(w("नमस्ते दुनिया"), " नमस्ते दुनिया ");
        assert_eq!(w("İstanbul"), " i\u{307}stanbul ");
        assert_eq!(w("- \u{301} x"), " x ");
        // ASCII text: the same bytes under both rules.
        for t in ["It was -- the BEST, of times!", "It's 42 o'clock.", ""] {
            for n in [Normalization::Words, Normalization::Alnum] {
                assert_eq!(n.apply(t), n.apply_under(t, NormalizationRules::Ascii));
            }
        }
    }

    /// A capital sigma gives one word however the text goes on after it (version 3); version
    /// 2 lowercased it by what followed (`ς` at a word's end, `σ` before `.` and a letter).
    #[test]
    fn a_final_sigma_is_one_letter_whatever_follows() {
        let w = |t: &str| Normalization::Words.apply(t);
        assert_eq!(w("Ο ΛΟΓΟΣ"), " ο λογοσ ");
        assert_eq!(w("Ο ΛΟΓΟΣ.ΤΕΛΟΣ"), " ο λογοσ τελοσ ");
        assert_eq!(w("ο λόγος"), " ο λόγοσ ");
        let v2 = |t: &str| Normalization::Words.apply_under(t, NormalizationRules::Unicode);
        assert_eq!(v2("ΛΟΓΟΣ.ΤΕΛΟΣ"), " λογοσ τελος ");
        assert_eq!(v2("ΛΟΓΟΣ"), " λογος ");
    }

    #[test]
    fn rules_round_trip_through_their_version() {
        for r in [
            NormalizationRules::Ascii,
            NormalizationRules::Unicode,
            NormalizationRules::UnicodeSigma,
        ] {
            assert_eq!(NormalizationRules::from_version(r.version()), Some(r));
        }
        assert_eq!(NormalizationRules::from_version(4), None);
    }

    proptest::proptest! {
        /// Folding each whitespace-separated run alone gives the words of folding the whole
        /// text at once, on text mixing ASCII, spaces of several kinds, combining marks,
        /// compatibility forms holding a space, final sigma and other scripts.
        #[test]
        fn runs_fold_as_the_whole_text(chars in proptest::collection::vec(
            proptest::sample::select(vec![
                'a', 'Z', '7', ' ', '\n', '\u{a0}', '\u{3000}', '-', '\'', '\u{301}',
                '\u{308}', '\u{a8}', '\u{2019}', 'Σ', 'σ', 'İ', 'ﬃ', 'Ａ', '１', 'é', 'ж',
                '日', '\u{93e}', '\u{2028}', '½',
            ]),
            0..40,
        )) {
            let text: String = chars.into_iter().collect();
            let mut whole = Vec::new();
            unicode_words(&text, true, &mut |w: &str| whole.push(w.to_string()));
            proptest::prop_assert_eq!(words(&text), whole, "{:?}", text);
        }
    }
}
