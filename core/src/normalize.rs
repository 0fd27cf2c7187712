//! Text normalisations for exact word-level matching (contamination checks).
//!
//! A side index stores every document normalised, as raw bytes, so that a normalised n-gram
//! is an exact substring query:
//! - [`Normalization::Words`]: lowercase ASCII `[a-z0-9]+` words joined by single spaces, with
//!   one space before the first and after the last word (`" it was the best "`), so a query
//!   `" w1 ... wn "` matches exactly the n-grams of whole words (the GPT-3 / PaLM definition);
//! - [`Normalization::Alnum`]: lowercase `[a-z0-9]` characters only, everything else removed
//!   (GPT-4's "remove spaces and symbols").

use serde::{Deserialize, Serialize};

/// How a side index normalises text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Lowercased alphanumeric words separated by single spaces, space-framed.
    Words,
    /// Lowercased alphanumeric characters only.
    Alnum,
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

    /// Normalises `text`.
    pub fn apply(self, text: &str) -> String {
        match self {
            Normalization::Words => {
                let mut out = String::with_capacity(text.len() + 2);
                out.push(' ');
                for w in words(text) {
                    out.push_str(&w);
                    out.push(' ');
                }
                out
            }
            Normalization::Alnum => text
                .bytes()
                .filter(|b| b.is_ascii_alphanumeric())
                .map(|b| b.to_ascii_lowercase() as char)
                .collect(),
        }
    }
}

/// The lowercase ASCII alphanumeric words of `text`.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
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
        assert_eq!(Normalization::Words.apply("café au lait"), " caf au lait ");
        assert_eq!(Normalization::Words.apply("!!"), " ");
        assert_eq!(
            Normalization::Alnum.apply("It's 42 o'clock."),
            "its42oclock"
        );
    }
}
