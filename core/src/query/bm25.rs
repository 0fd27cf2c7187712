//! BM25 (Okapi) over a small set of retrieved texts, as OLMoTrace ranks documents: the corpus
//! is the retrieved context windows, terms are whitespace-separated words (no lowercasing),
//! `k1 = 1.5`, `b = 0.75`, and negative idf values are floored at `0.25 x` the mean idf
//! (the `rank_bm25.BM25Okapi` definition).

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

const K1: f64 = 1.5;
const B: f64 = 0.75;
const EPSILON: f64 = 0.25;

/// BM25 scores of each text in `corpus` against `query`.
pub fn okapi_scores(corpus: &[String], query: &str) -> Vec<f64> {
    // Term frequencies and lengths of each text, in parallel (a trace ranks a few hundred
    // windows of ~500 words each).
    let (docs, lens): (Vec<HashMap<&str, u32>>, Vec<f64>) = corpus
        .par_iter()
        .with_min_len(8)
        .map(|t| {
            let mut tf = HashMap::default();
            let mut len = 0usize;
            for w in t.split_whitespace() {
                *tf.entry(w).or_insert(0) += 1;
                len += 1;
            }
            (tf, len as f64)
        })
        .unzip();
    let n = docs.len() as f64;
    if docs.is_empty() {
        return Vec::new();
    }
    let avgdl = (lens.iter().sum::<f64>() / n).max(1e-9);
    let mut df: HashMap<&str, u32> = HashMap::default();
    for d in &docs {
        for w in d.keys() {
            *df.entry(w).or_insert(0) += 1;
        }
    }
    let mut idf: HashMap<&str, f64> = df
        .iter()
        .map(|(w, &f)| (*w, ((n - f as f64 + 0.5) / (f as f64 + 0.5)).ln()))
        .collect();
    let mean_idf = idf.values().sum::<f64>() / idf.len().max(1) as f64;
    for v in idf.values_mut() {
        if *v < 0.0 {
            *v = EPSILON * mean_idf;
        }
    }
    let query: Vec<&str> = query.split_whitespace().collect();
    docs.par_iter()
        .zip(&lens)
        .map(|(tf, &dl)| {
            query
                .iter()
                .map(|q| {
                    let f = tf.get(*q).copied().unwrap_or(0) as f64;
                    let i = idf.get(*q).copied().unwrap_or(0.0);
                    i * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * dl / avgdl))
                })
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
