//! The contamination definitions and the three labels.

use serde::{Deserialize, Serialize};
use verbatim_core::normalize::Normalization;

/// A contamination definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// GPT-3: any word 13-gram found in at most 10 corpus documents.
    Gpt3,
    /// PaLM: at least 70% of the distinct word 8-grams found.
    Palm,
    /// Llama 2: share of tokens covered by matches longer than 10 tokens.
    Llama2,
    /// GPT-4: any of 3 random 50-character substrings (alphanumerics only) found.
    Gpt4,
    /// infini-gram mini: share of 50-character substrings at one-word stride found.
    Substr50,
}

impl Method {
    /// Every method, in report order.
    pub const ALL: [Method; 5] = [
        Method::Gpt3,
        Method::Palm,
        Method::Llama2,
        Method::Gpt4,
        Method::Substr50,
    ];

    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Gpt3 => "gpt3",
            Method::Palm => "palm",
            Method::Llama2 => "llama2",
            Method::Gpt4 => "gpt4",
            Method::Substr50 => "substr50",
        }
    }

    /// Parses a name (case-insensitive; `infinigram`/`infini-gram-mini` alias `substr50`).
    pub fn from_name(s: &str) -> Option<Method> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gpt3" | "gpt-3" => Some(Method::Gpt3),
            "palm" => Some(Method::Palm),
            "llama2" | "llama-2" => Some(Method::Llama2),
            "gpt4" | "gpt-4" => Some(Method::Gpt4),
            "substr50" | "infinigram" | "infini-gram-mini" => Some(Method::Substr50),
            _ => None,
        }
    }

    /// Parses a comma-separated list, keeping report order and dropping repeats.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Vec<Method>, crate::Error> {
        let mut out = Vec::new();
        for n in names {
            for part in n.as_ref().split(',').filter(|p| !p.trim().is_empty()) {
                if part.trim() == "all" {
                    out.extend(Method::ALL);
                    continue;
                }
                let m = Method::from_name(part).ok_or_else(|| {
                    crate::Error::UnknownMethod(format!(
                        "unknown method {part:?}; choose among gpt3, palm, llama2, gpt4, substr50 (or all)"
                    ))
                })?;
                out.push(m);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The side index the method needs, if any (`llama2` uses the main index).
    pub fn side_index(self) -> Option<Normalization> {
        match self {
            Method::Gpt3 | Method::Palm | Method::Substr50 => Some(Normalization::Words),
            Method::Gpt4 => Some(Normalization::Alnum),
            Method::Llama2 => None,
        }
    }

    /// The label of a score under the method's thresholds.
    pub fn label(self, score: f64, matched: usize) -> Label {
        match self {
            // Binary definitions: any match is contamination.
            Method::Gpt3 | Method::Gpt4 => {
                if matched > 0 {
                    Label::Dirty
                } else {
                    Label::Clean
                }
            }
            Method::Palm => {
                if score >= PALM_DIRTY {
                    Label::Dirty
                } else {
                    Label::Clean
                }
            }
            Method::Llama2 => {
                if score < LLAMA2_CLEAN {
                    Label::Clean
                } else if score >= LLAMA2_DIRTY {
                    Label::Dirty
                } else {
                    Label::Suspicious
                }
            }
            Method::Substr50 => {
                if score < SUBSTR_CLEAN {
                    Label::Clean
                } else if score < SUBSTR_DIRTY {
                    Label::Suspicious
                } else {
                    Label::Dirty
                }
            }
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// GPT-3: word n-gram length.
pub const GPT3_N: usize = 13;
/// GPT-3: n-grams found in more than this many documents are ignored as too common.
pub const GPT3_MAX_DOCS: usize = 10;
/// PaLM: word n-gram length.
pub const PALM_N: usize = 8;
/// PaLM: share of n-grams found from which an item is dirty.
pub const PALM_DIRTY: f64 = 0.7;
/// Llama 2: a match must be longer than this many tokens.
pub const LLAMA2_MIN_LEN: usize = 10;
/// Llama 2: exact matches are measured up to this many tokens, which leaves the covered
/// tokens exact (see `Checker::llama2`; with a skip budget, while no occurrence is sampled)
/// and keeps a long copied item's searches linear in its length (the matches shown are then
/// measured whole).
pub const LLAMA2_EXACT_CAP: usize = 256;
/// Llama 2: below this coverage an item is clean (from it on, "not clean").
pub const LLAMA2_CLEAN: f64 = 0.2;
/// Llama 2: from this coverage on an item is dirty (appendix A.6: "greater than (or equal
/// to) 80%").
pub const LLAMA2_DIRTY: f64 = 0.8;
/// GPT-4: substrings sampled per item.
pub const GPT4_SAMPLES: usize = 3;
/// GPT-4 and substr50: substring length in characters.
pub const SUBSTR_LEN: usize = 50;
/// substr50: below this share an item is clean.
pub const SUBSTR_CLEAN: f64 = 0.2;
/// substr50: from this share an item is dirty.
pub const SUBSTR_DIRTY: f64 = 0.8;

/// An item's verdict under one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Not contaminated.
    Clean,
    /// Partly contaminated (methods with three buckets only).
    Suspicious,
    /// Contaminated.
    Dirty,
}

impl Label {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Label::Clean => "clean",
            Label::Suspicious => "suspicious",
            Label::Dirty => "dirty",
        }
    }
}
