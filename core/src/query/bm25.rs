//! BM25 (Okapi) over a small set of retrieved texts, as OLMoTrace ranks documents: the corpus
//! is the retrieved context windows, terms are whitespace-separated words (no lowercasing),
//! `k1 = 1.5`, `b = 0.75`, and negative idf values are floored at `0.25 x` the mean idf
//! (the `rank_bm25.BM25Okapi` definition).
//!
//! Words are numbered first (by text, or read from token ids by
//! [`crate::tokenizer::words`]), and the scores are computed on the numbers: the same words
//! give bit-identical scores either way. The mean idf is summed by document frequency
//! (`sum over f of terms(f) x idf(f)`), an order that does not depend on how words are
//! numbered.

use crate::tokenizer::words::{DocWords, WordNumbering, WordTable};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

const K1: f64 = 1.5;
const B: f64 = 0.75;
const EPSILON: f64 = 0.25;

/// Query slot of a word that is no query word.
const NO_SLOT: u32 = u32::MAX;

/// BM25 scores of each text in `corpus` against `query` (equal to `rank_bm25.BM25Okapi`'s up
/// to the rounding of the mean idf; `tests/ranking.rs` checks it against that definition).
pub fn okapi_scores(corpus: &[impl AsRef<str>], query: &str) -> Vec<f64> {
    let mut numbers: HashMap<&str, u32> = HashMap::default();
    // Each occurrence counted as one; `okapi_scores_numbered` adds up repeats.
    let docs: Vec<Vec<(u32, u32)>> = corpus
        .iter()
        .map(|t| {
            t.as_ref()
                .split_whitespace()
                .map(|w| {
                    let next = numbers.len() as u32;
                    (*numbers.entry(w).or_insert(next), 1)
                })
                .collect()
        })
        .collect();
    let query: Vec<Option<u32>> = query
        .split_whitespace()
        .map(|w| numbers.get(w).copied())
        .collect();
    let lens: Vec<usize> = docs.iter().map(Vec::len).collect();
    okapi_scores_numbered(&docs, &lens, &query, numbers.len())
}

/// BM25 scores of texts whose words were read from token ids with `table` (one
/// [`DocWords`] per text) against `query`. Equal to [`okapi_scores`] of the decoded texts.
pub fn okapi_scores_of_words(table: &WordTable, docs: &[&DocWords], query: &str) -> Vec<f64> {
    let mut numbering = WordNumbering::new(table);
    let numbered = numbering.number_counted(docs);
    let query: Vec<Option<u32>> = query
        .split_whitespace()
        .map(|w| numbering.lookup(docs, w))
        .collect();
    let lens: Vec<usize> = docs.iter().map(|d| d.len()).collect();
    okapi_scores_numbered(&numbered, &lens, &query, numbering.len())
}

/// Per word number: the last text it was seen in, its document frequency and its query slot.
#[derive(Clone)]
struct Term {
    last: u32,
    df: u32,
    slot: u32,
}

/// BM25 scores of texts given as `(word number, occurrences)` pairs, numbers below `words`
/// (a number may come more than once in one text), of `lens` words each, against a query
/// given as word numbers (`None`: a word in none of the texts). The same words, numbered any
/// way and counted in any grouping, give the same scores.
fn okapi_scores_numbered(
    docs: &[Vec<(u32, u32)>],
    lens: &[usize],
    query: &[Option<u32>],
    words: usize,
) -> Vec<f64> {
    let n = docs.len();
    if n == 0 {
        return Vec::new();
    }
    let mut terms = vec![
        Term {
            last: u32::MAX,
            df: 0,
            slot: NO_SLOT,
        };
        words
    ];
    let mut slots = 0u32;
    let query_slots: Vec<u32> = query
        .iter()
        .map(|q| match q {
            None => NO_SLOT,
            Some(w) => {
                let t = &mut terms[*w as usize];
                if t.slot == NO_SLOT {
                    t.slot = slots;
                    slots += 1;
                }
                t.slot
            }
        })
        .collect();
    let nq = slots as usize;
    // One pass over every text's distinct words: document frequencies, and term frequencies
    // of query words.
    let mut tf = vec![0u32; n * nq];
    for (d, doc) in docs.iter().enumerate() {
        for &(w, c) in doc {
            let t = &mut terms[w as usize];
            if t.last != d as u32 {
                t.last = d as u32;
                t.df += 1;
            }
            if t.slot != NO_SLOT {
                tf[d * nq + t.slot as usize] += c;
            }
        }
    }
    let nf = n as f64;
    let idf_of = |f: u32| ((nf - f as f64 + 0.5) / (f as f64 + 0.5)).ln();
    // Mean idf over every distinct word of the texts, summed by document frequency.
    let mut with_df = vec![0u64; n + 1];
    for t in &terms {
        with_df[t.df as usize] += 1;
    }
    let distinct: u64 = with_df[1..].iter().sum();
    let idf_sum: f64 = (1..=n)
        .filter(|&f| with_df[f] > 0)
        .map(|f| with_df[f] as f64 * idf_of(f as u32))
        .sum();
    let mean_idf = idf_sum / distinct.max(1) as f64;
    let mut slot_idf = vec![0.0f64; nq];
    for t in &terms {
        if t.slot != NO_SLOT && t.df > 0 {
            let v = idf_of(t.df);
            slot_idf[t.slot as usize] = if v < 0.0 { EPSILON * mean_idf } else { v };
        }
    }
    let lens: Vec<f64> = lens.iter().map(|&l| l as f64).collect();
    let avgdl = (lens.iter().sum::<f64>() / nf).max(1e-9);
    (0..n)
        .into_par_iter()
        .with_min_len(16)
        .map_init(
            || Vec::with_capacity(nq),
            |per_slot: &mut Vec<f64>, d| {
                let dl = lens[d];
                let tf = &tf[d * nq..(d + 1) * nq];
                let term =
                    |i: f64, f: f64| i * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * dl / avgdl));
                per_slot.clear();
                per_slot.extend((0..nq).map(|s| term(slot_idf[s], tf[s] as f64)));
                query_slots
                    .iter()
                    .map(|&s| match s {
                        NO_SLOT => term(0.0, 0.0),
                        s => per_slot[s as usize],
                    })
                    .sum()
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn matching_words_score_higher() {
        let corpus = vec![
            "the cat sat on the mat".to_string(),
            "a dog ran in the park".to_string(),
            "stocks fell sharply today".to_string(),
        ];
        let s = okapi_scores(&corpus, "the cat on a mat");
        assert!(s[0] > s[1] && s[1] >= s[2], "{s:?}");
        assert_eq!(s[2], 0.0);
    }

    /// A vocabulary with words, spaces, a Unicode space and a character split in two tokens.
    const VOCABULARY: &[&[u8]] = &[
        b"cat",
        b" cat",
        b"ca",
        b"t",
        b" ",
        b"\n",
        b"dog",
        b" dog",
        b".",
        b"a b",
        "\u{3000}".as_bytes(),
        b"\xc3",
        b"\xa9",
        "é".as_bytes(),
    ];

    proptest! {
        #[test]
        fn scores_from_token_ids_equal_scores_of_the_decoded_texts(
            docs in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(0u32..VOCABULARY.len() as u32, 0..10), 1..4),
                0..12),
            query in proptest::collection::vec(0u32..VOCABULARY.len() as u32, 0..20),
        ) {
            let vocab: Vec<Box<[u8]>> = VOCABULARY.iter().map(|b| b.to_vec().into_boxed_slice()).collect();
            let decode = |ids: &[u32]| {
                let bytes: Vec<u8> = ids.iter().flat_map(|&i| vocab[i as usize].iter().copied()).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            };
            let table = WordTable::from_token_bytes(&vocab);
            let mut texts = Vec::new();
            let mut words = Vec::new();
            for windows in &docs {
                let mut text = String::new();
                let mut reader = crate::tokenizer::words::WordReader::new(&table);
                for w in windows {
                    text.push_str(&decode(w));
                    text.push('\n');
                    reader.push_tokens(w, decode);
                    reader.end_word();
                }
                texts.push(text);
                words.push(reader.finish());
            }
            let query = decode(&query);
            let by_text = okapi_scores(&texts, &query);
            let by_ids = okapi_scores_of_words(&table, &words.iter().collect::<Vec<_>>(), &query);
            prop_assert_eq!(
                by_text.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                by_ids.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}
