//! Fuzzy searches of a lone word, in Lucene's syntax: `whale~1` finds the words within one
//! edit (a character inserted, deleted, replaced, or two neighbours swapped) of `whale`, and
//! `whale~` within two. tantivy's grammar keeps the `~1` in the word, so the query searched
//! the phrase `whale 1` and found nothing.
//!
//! The word's term is expanded over the term dictionary of every segment with tantivy's
//! Levenshtein automaton, and the search is for any of the closest [`MAX_EXPANSIONS`] terms
//! (fewest edits first, then the most frequent), so a one- or two-letter word cannot make a
//! search read thousands of posting lists. Finding any of them scores a constant 1, as a
//! prefix does, and the word itself adds its BM25 score: the documents holding the word as
//! written come first. (Summing every near term's BM25 put first the documents holding many
//! rare spellings: dialect poems for `whale~1`.)

use std::collections::HashMap;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// The most terms one fuzzy word searches for (Lucene's default for `FuzzyQuery`).
pub const MAX_EXPANSIONS: usize = 50;

/// The most edits a fuzzy word allows (a larger number asks for this many, as in Lucene).
const MAX_DISTANCE: u8 = 2;

/// The word and the edits allowed of a word written fuzzy: `word~N` (`N` at most 2), or
/// `word~` (2); `None` for any other word, or one whose `~` is escaped.
pub(crate) fn fuzzy_word(word: &str) -> Option<(&str, u8)> {
    let (body, n) = word.rsplit_once('~')?;
    if body.is_empty() || body.ends_with('\\') || body.ends_with('~') {
        return None;
    }
    let distance = match n {
        "" => MAX_DISTANCE,
        n if n.bytes().all(|b| b.is_ascii_digit()) => {
            n.parse::<u32>().map_or(MAX_DISTANCE as u32, |d| d.min(2)) as u8
        }
        _ => return None,
    };
    Some((body, distance))
}

/// What a user is told of a bare word written with a fuzzy distance that is over the most
/// (`fox~9`: read as `fox~2`) or not a whole number (`fox~-1`, `fox~1.5`: searched as written,
/// which finds what its words find); `None` for any other word.
pub(crate) fn fuzzy_distance_warning(word: &str) -> Option<String> {
    let (body, n) = word.rsplit_once('~')?;
    if body.is_empty() || body.ends_with('\\') || body.ends_with('~') || n.is_empty() {
        return None;
    }
    if n.bytes().all(|b| b.is_ascii_digit()) {
        let over = n.parse::<u32>().map_or(true, |d| d > MAX_DISTANCE as u32);
        return over.then(|| {
            format!("`{word}` asks for more edits than {MAX_DISTANCE}: it was read as `{body}~{MAX_DISTANCE}`")
        });
    }
    let numeric = n.bytes().any(|b| b.is_ascii_digit())
        && n.bytes().all(|b| b.is_ascii_digit() || b"+-.".contains(&b));
    numeric.then(|| {
        format!(
            "`{word}`: a fuzzy word's edits are 0, 1 or 2 (`{body}~1`); it was searched as written"
        )
    })
}

/// The terms of `field` within `distance` edits of `term` that the index holds, at most
/// [`MAX_EXPANSIONS`] of them: fewest edits first, then the most documents, then in term
/// order.
pub(crate) fn expansions(
    searcher: &Searcher,
    field: Field,
    term: &str,
    distance: u8,
) -> tantivy::Result<Vec<String>> {
    let query = FuzzyTermQuery::new(Term::from_field_text(field, term), distance, true);
    let automaton = query.automaton()?;
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().search(&automaton).into_stream()?;
        while stream.advance() {
            let Ok(text) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            *found.entry(text.to_string()).or_default() += stream.value().doc_freq as u64;
        }
    }
    let mut ranked: Vec<(usize, u64, String)> = found
        .into_iter()
        .map(|(t, docs)| (edits(term, &t), docs, t))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    Ok(ranked
        .into_iter()
        .take(MAX_EXPANSIONS)
        .map(|(_, _, t)| t)
        .collect())
}

/// Whether `word` is within `distance` edits of `term`, as the automaton counts them (for
/// the snippet of a hit, centred on the word that matched).
pub(crate) fn within_edits(word: &str, term: &str, distance: u8) -> bool {
    let (a, b) = (word.chars().count(), term.chars().count());
    a.abs_diff(b) <= distance as usize && edits(word, term) <= distance as usize
}

/// Edits between `a` and `b` in characters: insertions, deletions, replacements and swaps
/// of two neighbours (the optimal string alignment distance, which the automaton counts).
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let replace = d[(i - 1) * w + j - 1] + usize::from(a[i - 1] != b[j - 1]);
                let mut best = replace
                    .min(d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * w + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_words_are_read_as_lucene_writes_them() {
        assert_eq!(fuzzy_word("whale~1"), Some(("whale", 1)));
        assert_eq!(fuzzy_word("whale~"), Some(("whale", 2)));
        assert_eq!(fuzzy_word("whale~0"), Some(("whale", 0)));
        assert_eq!(fuzzy_word("whale~7"), Some(("whale", 2)));
        assert_eq!(fuzzy_word("whale~99999999999999999999"), Some(("whale", 2)));
        for plain in ["whale", "~1", "a~b", "whale\\~1", "x~~", "1.5~x"] {
            assert_eq!(fuzzy_word(plain), None, "{plain}");
        }
    }

    #[test]
    fn distances_that_are_not_read_as_written_are_said() {
        for (word, said) in [
            ("fox~9", Some("read as `fox~2`")),
            ("fox~99999999999999999999", Some("read as `fox~2`")),
            ("fox~-1", Some("searched as written")),
            ("fox~1.5", Some("searched as written")),
            ("fox~2", None),
            ("fox~", None),
            ("fox~0", None),
            ("a~b", None),
            ("fox\\~9", None),
            ("fox", None),
        ] {
            let got = fuzzy_distance_warning(word);
            match said {
                Some(s) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(s)),
                    "{word}: {got:?}"
                ),
                None => assert_eq!(got, None, "{word}"),
            }
        }
    }

    #[test]
    fn edits_count_swaps_as_one() {
        assert_eq!(edits("whale", "whale"), 0);
        assert_eq!(edits("whale", "whales"), 1);
        assert_eq!(edits("whale", "hwale"), 1);
        assert_eq!(edits("whale", "wale"), 1);
        assert_eq!(edits("whale", "shale"), 1);
        assert_eq!(edits("whale", "shall"), 2);
        assert_eq!(edits("東京", "京東"), 1);
        assert_eq!(edits("", "ab"), 2);
    }
}
