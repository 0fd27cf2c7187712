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
//! with (its manifest's `normalization_rules`): [`NormalizationRules::Unicode`] since
//! 2026-12-05, [`NormalizationRules::Ascii`] before. Queries of a side index are normalised
//! by its own rules, and an append keeps them. For ASCII text both give the same bytes.

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
}

impl NormalizationRules {
    /// The rules new side indexes are built with.
    pub const CURRENT: NormalizationRules = NormalizationRules::Unicode;

    /// The rules of version `v` as recorded in a manifest, if this verbatim knows them.
    pub fn from_version(v: u32) -> Option<NormalizationRules> {
        match v {
            1 => Some(NormalizationRules::Ascii),
            2 => Some(NormalizationRules::Unicode),
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
        match self {
            Normalization::Words => {
                let mut out = String::with_capacity(text.len() + 2);
                out.push(' ');
                for w in words_under(text, rules) {
                    out.push_str(&w);
                    out.push(' ');
                }
                out
            }
            Normalization::Alnum => words_under(text, rules).concat(),
        }
    }
}

/// The lowercase alphanumeric words of `text` by the current rules.
pub fn words(text: &str) -> Vec<String> {
    words_under(text, NormalizationRules::CURRENT)
}

/// The lowercase alphanumeric words of `text` by `rules`.
pub fn words_under(text: &str, rules: NormalizationRules) -> Vec<String> {
    if rules == NormalizationRules::Ascii || text.is_ascii() {
        // ASCII text is its own NFKC and NFC: both rules give these words.
        return text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_ascii_lowercase())
            .collect();
    }
    let folded: String = text
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for c in folded.chars() {
        if c.is_alphanumeric() || (!word.is_empty() && is_combining_mark(c)) {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
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

    #[test]
    fn rules_round_trip_through_their_version() {
        for r in [NormalizationRules::Ascii, NormalizationRules::Unicode] {
            assert_eq!(NormalizationRules::from_version(r.version()), Some(r));
        }
        assert_eq!(NormalizationRules::from_version(3), None);
    }
}
