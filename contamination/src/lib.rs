//! # verbatim-contamination
//!
//! Which benchmark test items does a training corpus already contain? This crate answers the
//! question with every standard definition, exactly (but for the sampled occurrences the
//! optional Llama 2 skip budget grows its chains from), from one verbatim index:
//!
//! | method | definition (source) | evidence |
//! |---|---|---|
//! | `gpt3` | any word 13-gram of the item occurs in the corpus, ignoring 13-grams found in more than 10 documents (Brown et al. 2020, GPT-3, appendix C) | `words` side index |
//! | `palm` | at least 70% of the item's distinct word 8-grams occur in the corpus (Chowdhery et al. 2022, PaLM, section 8) | `words` side index |
//! | `llama2` | share of the item's tokens covered by corpus matches longer than 10 tokens, optionally with a skip budget; clean < 20% ≤ suspicious < 80% ≤ dirty (Touvron et al. 2023, Llama 2, appendix A.6) | main index tokens |
//! | `gpt4` | any of 3 random 50-character substrings of the item, spaces and symbols removed, occurs (OpenAI 2023, GPT-4 technical report, appendix C) | `alnum` side index |
//! | `substr50` | share of 50-character substrings, one per word start, that occur; clean < 20% ≤ suspicious < 80% ≤ dirty (infini-gram mini, Xu et al. 2025) | `words` side index |
//!
//! Word-level methods query a normalised, byte-level side index (built with
//! `verbatim index --side-indexes words,alnum`), in which every document is stored normalised,
//! so a normalised n-gram is an exact substring query: no tokenizer is involved and the
//! answers are exact. See `docs/contamination.md` for the precise definitions and edge cases.
//!
//! ```no_run
//! use verbatim_contamination::{Checker, CheckOptions, Item, Method};
//! let index = verbatim_core::Index::open(std::path::Path::new("my-index"))?;
//! let checker = Checker::new(&index, CheckOptions::default())?;
//! let r = checker.check(&Item::new("q1", "Which planet is the largest?", "toy"));
//! println!("{:?}", r.methods[0].label);
//! # Ok::<(), verbatim_contamination::Error>(())
//! ```

mod check;
mod csv_items;
pub mod error;
pub mod html;
pub mod input;
pub mod item_ids;
mod json_items;
mod llama2_shown;
mod llama2_skip;
mod method;
mod privacy;
pub mod report;
mod results;
mod words_search;

pub use check::{
    gpt4_samples, gpt4_samples_under, CheckOptions, Checker, Example, ItemResult, MethodResult,
    Snippet,
};
pub use error::{Error, Result};
pub use method::{Label, Method};
pub use report::{check_all, BatchTiming, Counts, Report, Summary};

/// One benchmark item to check.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The item's id within its benchmark.
    pub id: String,
    /// The text checked (question, choices, answer... as the input template made it).
    #[schema(min_length = 1)]
    pub text: String,
    /// Its benchmark (grouping key of the summary).
    #[serde(default)]
    pub bench: String,
}

impl Item {
    /// An item.
    pub fn new(id: impl Into<String>, text: impl Into<String>, bench: impl Into<String>) -> Item {
        Item {
            id: id.into(),
            text: text.into(),
            bench: bench.into(),
        }
    }
}

/// A progress bar on standard error showing items/s and the ETA; hidden when standard error
/// is not a terminal.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:40.cyan/blue} {human_pos}/{human_len} items · {per_sec} · ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_string());
    pb
}
