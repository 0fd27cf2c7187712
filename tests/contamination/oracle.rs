//! Every method against brute force over the corpus text.

use super::*;

/// substr50 by brute force: distinct 50-char windows at word starts of the normalised item,
/// found when some normalised document contains them.
pub(super) fn brute_substr50(item: &str, corpus: &[&str]) -> (usize, usize) {
    let norm = Normalization::Words.apply(item);
    let docs: Vec<String> = corpus
        .iter()
        .map(|d| Normalization::Words.apply(d))
        .collect();
    let inner = norm.trim();
    if inner.is_empty() {
        return (0, 0);
    }
    // Substrings of 50 characters (not bytes) at word starts.
    let mut subs: Vec<String> = Vec::new();
    if inner.chars().count() < 50 {
        subs.push(inner.to_string());
    } else {
        let c: Vec<char> = norm.chars().collect();
        for i in 1..c.len() {
            let sub: String = c[i..c.len().min(i + 50)].iter().collect();
            if c[i - 1] == ' '
                && c[i] != ' '
                && i + 50 < c.len() // never the framing space after the last word
                && !subs.contains(&sub)
            {
                subs.push(sub);
            }
        }
    }
    let found = subs
        .iter()
        .filter(|s| docs.iter().any(|d| d.contains(s.as_str())))
        .count();
    (subs.len(), found)
}

/// Word n-grams by brute force: (distinct, found in 1..=max_docs documents, found in more).
pub(super) fn brute_ngrams(
    words: &[String],
    n: usize,
    docs: &[String],
    max_docs: usize,
) -> (usize, usize, usize) {
    if words.is_empty() {
        return (0, 0, 0);
    }
    let grams: Vec<String> = if words.len() < n {
        vec![format!(" {} ", words.join(" "))]
    } else {
        let mut g: Vec<String> = Vec::new();
        for w in words.windows(n) {
            let s = format!(" {} ", w.join(" "));
            if !g.contains(&s) {
                g.push(s);
            }
        }
        g
    };
    let norm: Vec<String> = docs.iter().map(|d| Normalization::Words.apply(d)).collect();
    let (mut ok, mut common) = (0, 0);
    for g in &grams {
        let k = norm.iter().filter(|d| d.contains(g.as_str())).count();
        if k > max_docs {
            common += 1;
        } else if k > 0 {
            ok += 1;
        }
    }
    (grams.len(), ok, common)
}

/// Llama 2 coverage by brute force (exact matches only): a token is covered when some
/// substring of more than 10 tokens containing it is a substring of a document; at each start,
/// the longest piece of the item from there that a document holds, from every document
/// position.
pub(super) fn brute_llama2(item: &[String], docs: &[Vec<String>]) -> usize {
    let n = item.len();
    let mut covered = vec![false; n];
    for l in 0..n {
        let longest = docs
            .iter()
            .flat_map(|d| (0..d.len()).map(move |p| &d[p..]))
            .map(|d| item[l..].iter().zip(d).take_while(|(a, b)| a == b).count())
            .max()
            .unwrap_or(0);
        if longest > 10 {
            covered[l..l + longest].iter_mut().for_each(|c| *c = true);
        }
    }
    covered.iter().filter(|&&c| c).count()
}

/// Llama 2 coverage with a skip budget by brute force, as docs/contamination.md defines it
/// when every 10-token prefix has at most 64 occurrences (none sampled): at each start whose
/// longest exact match has 10 tokens or more, the match itself, and every walk from an
/// occurrence of its first 10 tokens in step with the item, through at most `skip`
/// mismatching positions, to its last agreeing token before the next mismatch or the end of
/// the document or item; the furthest end covers from the start when it is more than 10
/// tokens away.
pub(super) fn brute_llama2_skip(item: &[String], docs: &[Vec<String>], skip: usize) -> usize {
    let n = item.len();
    let mut covered = vec![false; n];
    for l in 0..n {
        let exact = docs
            .iter()
            .flat_map(|d| (0..d.len()).map(move |p| &d[p..]))
            .map(|d| item[l..].iter().zip(d).take_while(|(a, b)| a == b).count())
            .max()
            .unwrap_or(0);
        if exact < 10 {
            continue;
        }
        let mut end = l + exact;
        for d in docs {
            for p in 0..d.len().saturating_sub(9) {
                if d[p..p + 10] != item[l..l + 10] {
                    continue;
                }
                let (mut mismatches, mut last) = (0, 10);
                for j in 10..(n - l).min(d.len() - p) {
                    if item[l + j] == d[p + j] {
                        last = j + 1;
                    } else {
                        mismatches += 1;
                        if mismatches > skip {
                            break;
                        }
                    }
                }
                end = end.max(l + last);
            }
        }
        if end - l > 10 {
            covered[l..end].iter_mut().for_each(|c| *c = true);
        }
    }
    covered.iter().filter(|&&c| c).count()
}

#[test]
fn every_method_agrees_with_brute_force_on_a_repetitive_corpus() {
    // A two-word vocabulary makes n-grams repeat across documents, so the GPT-3 cut-off, the
    // distinct-n-gram rule and the sparse search all get exercised.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut word_docs: Vec<Vec<String>> = Vec::new();
    for _ in 0..30 {
        let len = 30 + (next() % 40) as usize;
        word_docs.push((0..len).map(|_| format!("w{}", 1 + next() % 2)).collect());
    }
    let texts: Vec<String> = word_docs.iter().map(|d| d.join(" ")).collect();
    let dir = tempfile::tempdir().unwrap();
    let d: Vec<(String, String)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("r{i}"), t.clone()))
        .collect();
    let ix = Index::open(&build(dir.path(), &d)).unwrap();
    let c = Checker::new(&ix, CheckOptions::default()).unwrap();
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    for k in 0..60 {
        // Copies, mutated copies and random items of various lengths.
        let src = &word_docs[k % word_docs.len()];
        let a = (next() as usize) % src.len();
        let len = 1 + (next() as usize) % 40;
        let mut w: Vec<String> = src[a..(a + len).min(src.len())].to_vec();
        if k % 3 == 1 {
            for _ in 0..3 {
                let p = next() as usize % w.len();
                w[p] = "w3".into();
            }
        }
        if k % 3 == 2 {
            w = (0..len).map(|_| format!("w{}", 1 + next() % 3)).collect();
        }
        let text = join(&w);
        let r = c.check(&Item::new(format!("i{k}"), text.clone(), "b"));
        let g = r.get(Method::Gpt3).unwrap();
        let (units, ok, common) = brute_ngrams(&w, 13, &texts, 10);
        assert_eq!(
            (g.units, g.matched, g.ignored),
            (units, ok, Some(common)),
            "gpt3 {text}"
        );
        let p = r.get(Method::Palm).unwrap();
        let (units, ok, common) = brute_ngrams(&w, 8, &texts, usize::MAX);
        assert_eq!((p.units, p.matched, common), (units, ok, 0), "palm {text}");
        let s = r.get(Method::Substr50).unwrap();
        assert_eq!(
            (s.units, s.matched),
            brute_substr50(&text, &refs),
            "substr50 {text}"
        );
        let l = r.get(Method::Llama2).unwrap();
        assert_eq!(l.matched, brute_llama2(&w, &word_docs), "llama2 {text}");
        let alnum: Vec<String> = texts
            .iter()
            .map(|t| Normalization::Alnum.apply(t))
            .collect();
        let samples = gpt4_samples(&format!("i{k}"), &text);
        let expect = samples
            .iter()
            .filter(|s| alnum.iter().any(|d| d.contains(s.as_str())))
            .count();
        assert_eq!(r.get(Method::Gpt4).unwrap().matched, expect, "gpt4 {text}");
    }
}
