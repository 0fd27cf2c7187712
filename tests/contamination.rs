//! Contamination checks on hand-made corpora: planted copies, near copies and non-copies,
//! each method's score checked against its written definition (docs/contamination.md),
//! including the edge cases (items shorter than n, repeated n-grams, the GPT-3 frequency
//! cut-off, the Llama 2 skip budget), a brute-force oracle, the CLI and the HTTP route.

use crate::support;
use std::path::{Path, PathBuf};
use verbatim_contamination::{
    gpt4_samples, CheckOptions, Checker, Item, Label, Method, MethodResult,
};
use verbatim_core::normalize::Normalization;
use verbatim_core::Index;
use verbatim_indexer::BuildOptions;

/// Words `w{a}` .. `w{b-1}`.
fn seq(a: usize, b: usize) -> Vec<String> {
    (a..b).map(|i| format!("w{i}")).collect()
}

fn join(w: &[String]) -> String {
    w.join(" ")
}

/// Builds an index of `docs` (id, text) with the word tokenizer (one token per `wN` word) and
/// both side indexes.
fn build(dir: &Path, docs: &[(String, String)]) -> PathBuf {
    let tok = support::word_tokenizer(dir, 10_000);
    build_with(dir, docs, tok.to_str().unwrap(), true)
}

fn build_with(dir: &Path, docs: &[(String, String)], tokenizer: &str, sides: bool) -> PathBuf {
    let input = support::write_jsonl(dir, "corpus.jsonl", docs);
    let out = dir.join("idx");
    let mut o = BuildOptions::new(vec![input], out.clone(), tokenizer);
    o.threads = 2;
    o.fulltext = false;
    o.force = true;
    if sides {
        o.side_indexes = vec![Normalization::Words, Normalization::Alnum];
    }
    verbatim_indexer::build(&o).expect("build succeeds");
    out
}

fn docs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(i, t)| (i.to_string(), t.clone()))
        .collect()
}

fn run(index: &Index, m: Method, skip: usize, id: &str, text: &str) -> MethodResult {
    let opts = CheckOptions {
        methods: vec![m],
        llama2_skip: skip,
        ..CheckOptions::default()
    };
    let c = Checker::new(index, opts).unwrap();
    c.check(&Item::new(id, text, "t")).methods[0].clone()
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn gpt3_copies_near_copies_and_non_copies() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(
        dir.path(),
        &docs(&[("d0", join(&seq(0, 100))), ("d1", join(&seq(1000, 1100)))]),
    );
    let ix = Index::open(&idx).unwrap();
    // A planted copy: 20 words, 8 distinct 13-grams, all in d0.
    let r = run(&ix, Method::Gpt3, 0, "copy", &join(&seq(20, 40)));
    assert_eq!((r.units, r.matched, r.label), (8, 8, Label::Dirty), "{r:?}");
    assert!(approx(r.score, 1.0));
    assert_eq!(r.examples[0].id, "d0");
    assert!(r.examples[0].snippet.matched.contains("w20 w21"), "{r:?}");
    // Case and punctuation do not matter (Words normalisation).
    let shouty: String = seq(20, 40)
        .iter()
        .map(|w| format!("{}!,", w.to_uppercase()))
        .collect::<Vec<_>>()
        .join("  ");
    let r = run(&ix, Method::Gpt3, 0, "shouty", &shouty);
    assert_eq!((r.matched, r.label), (8, Label::Dirty), "{r:?}");
    // One 13-gram of 11 matches: dirty, score 1/11.
    let mut w = seq(20, 33);
    w.extend(seq(5000, 5010));
    let r = run(&ix, Method::Gpt3, 0, "partial", &join(&w));
    assert_eq!((r.units, r.matched, r.label), (11, 1, Label::Dirty));
    assert!(approx(r.score, 1.0 / 11.0));
    // Near copy: one word in every 10 replaced, so no 13-gram survives.
    let mut w = seq(20, 60);
    for p in [5, 15, 25, 35] {
        w[p] = format!("w{}", 9000 + p);
    }
    let r = run(&ix, Method::Gpt3, 0, "near", &join(&w));
    assert_eq!((r.matched, r.label), (0, Label::Clean), "{r:?}");
    // Non-copy.
    let r = run(&ix, Method::Gpt3, 0, "none", &join(&seq(5000, 5040)));
    assert_eq!((r.units, r.matched, r.label), (28, 0, Label::Clean));
    // Shorter than 13 words: the whole word sequence is the one n-gram.
    let r = run(&ix, Method::Gpt3, 0, "short", "W20 w21, w22");
    assert_eq!((r.units, r.matched, r.label), (1, 1, Label::Dirty));
    assert!(r.note.as_deref().unwrap().contains("shorter than 13"));
    let r = run(&ix, Method::Gpt3, 0, "short2", "w22 w21");
    assert_eq!((r.units, r.matched, r.label), (1, 0, Label::Clean));
    // No words at all.
    let r = run(&ix, Method::Gpt3, 0, "empty", "!!! ...");
    assert_eq!((r.units, r.matched, r.label), (0, 0, Label::Clean));
}

#[test]
fn gpt3_ignores_13grams_found_in_more_than_10_documents() {
    let gram = join(&seq(7000, 7013));
    let item = format!("{gram} {}", join(&seq(7100, 7101)));
    // 14 words: 2 distinct 13-grams, the planted one and one absent everywhere.
    for (copies, expect_dirty) in [(10usize, true), (11, false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut d: Vec<(String, String)> = (0..copies)
            .map(|i| {
                (
                    format!("doc{i}"),
                    format!("w{} {gram} w{}", 100 + i, 200 + i),
                )
            })
            .collect();
        d.push(("other".into(), join(&seq(0, 50))));
        let ix = Index::open(&build(dir.path(), &d)).unwrap();
        let r = run(&ix, Method::Gpt3, 0, "x", &item);
        assert_eq!(r.units, 2);
        if expect_dirty {
            assert_eq!((r.matched, r.ignored, r.label), (1, Some(0), Label::Dirty));
            assert!(approx(r.score, 0.5));
            assert_eq!(r.examples.len(), 3, "{r:?}");
        } else {
            assert_eq!((r.matched, r.ignored, r.label), (0, Some(1), Label::Clean));
            assert!(approx(r.score, 0.0));
        }
    }
    // The cut-off counts distinct documents, not occurrences: 11 copies in one document count.
    let dir = tempfile::tempdir().unwrap();
    let one = (0..11)
        .map(|_| gram.clone())
        .collect::<Vec<_>>()
        .join(" w1 ");
    let ix = Index::open(&build(dir.path(), &docs(&[("one", one)]))).unwrap();
    let r = run(&ix, Method::Gpt3, 0, "x", &item);
    assert_eq!((r.matched, r.ignored, r.label), (1, Some(0), Label::Dirty));
}

#[test]
fn palm_threshold_repeated_and_short_items() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(
        dir.path(),
        &docs(&[
            ("seven", join(&seq(200, 214))),
            ("six", join(&seq(300, 313))),
            ("rep", format!("w1 {} w2", join(&seq(400, 408)))),
        ]),
    );
    let ix = Index::open(&idx).unwrap();
    // 17 words: 10 distinct 8-grams; the corpus has the first 7 → 70% → dirty.
    let r = run(&ix, Method::Palm, 0, "a", &join(&seq(200, 217)));
    assert_eq!(
        (r.units, r.matched, r.label),
        (10, 7, Label::Dirty),
        "{r:?}"
    );
    assert!(approx(r.score, 0.7));
    assert_eq!(r.examples[0].id, "seven");
    // The first 6 → 60% → clean.
    let r = run(&ix, Method::Palm, 0, "b", &join(&seq(300, 317)));
    assert_eq!((r.units, r.matched, r.label), (10, 6, Label::Clean));
    assert!(approx(r.score, 0.6));
    // Repeated n-grams count once: 8 words twice = 9 windows but 8 distinct 8-grams, of which
    // the corpus has 1 → 1/8 (not 2/9).
    let mut w = seq(400, 408);
    w.extend(seq(400, 408));
    let r = run(&ix, Method::Palm, 0, "rep", &join(&w));
    assert_eq!((r.units, r.matched), (8, 1), "{r:?}");
    assert!(approx(r.score, 0.125));
    // Shorter than 8 words: the whole sequence is the one n-gram.
    let r = run(&ix, Method::Palm, 0, "short", &join(&seq(203, 208)));
    assert_eq!((r.units, r.matched, r.label), (1, 1, Label::Dirty));
    assert!(r.note.is_some());
    let r = run(&ix, Method::Palm, 0, "short-absent", &join(&seq(500, 505)));
    assert_eq!((r.units, r.matched, r.label), (1, 0, Label::Clean));
}

#[test]
fn llama2_token_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(dir.path(), &docs(&[("L", join(&seq(600, 640)))]));
    let ix = Index::open(&idx).unwrap();
    let novel = |n: usize| seq(8000, 8000 + n);
    // Exact copy.
    let r = run(&ix, Method::Llama2, 0, "copy", &join(&seq(600, 630)));
    assert_eq!((r.units, r.matched, r.label), (30, 30, Label::Dirty));
    assert_eq!(r.examples[0].id, "L");
    // Half copied: 15 of 30 tokens covered → suspicious.
    let w = [seq(600, 615), novel(15)].concat();
    let r = run(&ix, Method::Llama2, 0, "half", &join(&w));
    assert_eq!((r.matched, r.label), (15, Label::Suspicious));
    assert!(approx(r.score, 0.5));
    // A match of exactly 10 tokens is not "longer than 10": nothing covered.
    let w = [seq(600, 610), novel(20)].concat();
    let r = run(&ix, Method::Llama2, 0, "ten", &join(&w));
    assert_eq!((r.matched, r.label), (0, Label::Clean));
    // 11 tokens are.
    let w = [seq(600, 611), novel(19)].concat();
    let r = run(&ix, Method::Llama2, 0, "eleven", &join(&w));
    assert_eq!(r.matched, 11);
    assert!(approx(r.score, 11.0 / 30.0));
    // Two 6-token pieces of the corpus side by side: no match is longer than 10.
    let w = [seq(600, 606), seq(620, 626)].concat();
    let r = run(&ix, Method::Llama2, 0, "pieces", &join(&w));
    assert_eq!(r.matched, 0);
    // Fewer than 11 tokens can never be covered.
    let r = run(&ix, Method::Llama2, 0, "short", &join(&seq(600, 610)));
    assert_eq!((r.units, r.matched, r.label), (10, 0, Label::Clean));
    assert!(r.note.is_some());
}

/// With a skip budget, a document that adds a longer exact match never lowers the score: the
/// alignment through another document whose first 10 tokens agree still counts (chains were
/// grown only from the longest exact match, so adding a document could hide one).
#[test]
fn llama2_skip_chains_start_wherever_the_first_ten_tokens_agree() {
    let dir = tempfile::tempdir().unwrap();
    let item = seq(700, 729);
    let mut y = item.clone();
    for (p, v) in [(10, 9010), (12, 9012), (14, 9014), (16, 9016)] {
        y[p] = format!("w{v}");
    }
    let mut x: Vec<String> = item[..11].to_vec();
    x.extend(seq(9500, 9510));
    let score = |docs_: &[(&str, String)]| {
        let d = dir.path().join(format!("i{}", docs_.len()));
        std::fs::create_dir_all(&d).unwrap();
        let ix = Index::open(&build(&d, &docs(docs_))).unwrap();
        let r = run(&ix, Method::Llama2, 4, "it", &join(&item));
        (r.matched, r.label)
    };
    assert_eq!(score(&[("Y", join(&y))]), (29, Label::Dirty));
    assert_eq!(
        score(&[("Y", join(&y)), ("X", join(&x))]),
        (29, Label::Dirty)
    );
}

#[test]
fn llama2_skip_budget() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(dir.path(), &docs(&[("S", join(&seq(700, 730)))]));
    let ix = Index::open(&idx).unwrap();
    let with = |subs: &[(usize, usize)]| {
        let mut w = seq(700, 730);
        for &(p, v) in subs {
            w[p] = format!("w{v}");
        }
        join(&w)
    };
    // Mismatches at 12 and 20: exact pieces of 12, 7 and 9 tokens.
    let t = with(&[(12, 9001), (20, 9002)]);
    let score = |skip| run(&ix, Method::Llama2, skip, "s", &t);
    let r = score(0);
    assert_eq!((r.matched, r.label), (12, Label::Suspicious)); // only [0, 12)
    let r = score(4);
    assert_eq!((r.matched, r.label), (30, Label::Dirty)); // one match, gaps included
    assert_eq!(r.examples[0].id, "S");
    let r = score(1); // budget spent at 12: the match ends at 20
    assert_eq!((r.matched, r.label), (20, Label::Suspicious));
    // A run of 4 mismatching tokens is joined with a budget of 4, a run of 5 is not.
    let four = with(&[(12, 9001), (13, 9002), (14, 9003), (15, 9004)]);
    assert_eq!(run(&ix, Method::Llama2, 0, "4", &four).matched, 26);
    assert_eq!(run(&ix, Method::Llama2, 4, "4", &four).matched, 30);
    let five = with(&[(12, 9001), (13, 9002), (14, 9003), (15, 9004), (16, 9005)]);
    assert_eq!(run(&ix, Method::Llama2, 4, "5", &five).matched, 25);
    // No mismatch within the first 10 tokens of a match: [0, 5) stays uncovered.
    let early = with(&[(5, 9001)]);
    let r = run(&ix, Method::Llama2, 4, "early", &early);
    assert_eq!((r.matched, r.label), (24, Label::Suspicious));
    // No trailing mismatches: the match ends on its last agreeing token.
    let w = [seq(700, 725), seq(9100, 9102)].concat();
    let r = run(&ix, Method::Llama2, 4, "trail", &join(&w));
    assert_eq!((r.units, r.matched), (27, 25));
}

#[test]
fn gpt4_and_substr50_on_normalised_text() {
    let dir = tempfile::tempdir().unwrap();
    let body = "The quick brown fox jumps over the lazy dog while forty-two \
                zebras, under a violet moon, recite the Gettysburg Address backwards \
                to an audience of astonished penguins in Antarctica.";
    let idx = build(
        dir.path(),
        &docs(&[("fox", body.to_string()), ("other", join(&seq(0, 40)))]),
    );
    let ix = Index::open(&idx).unwrap();
    // Spacing, punctuation and case removed: the copy is found.
    let copy = body.to_uppercase().replace([' ', ','], "  ;");
    let r = run(&ix, Method::Gpt4, 0, "g1", &copy);
    assert_eq!((r.units, r.matched, r.label), (3, 3, Label::Dirty), "{r:?}");
    assert_eq!(r.examples[0].id, "fox");
    // The samples are deterministic per id and checked exactly.
    assert_eq!(gpt4_samples("g1", &copy), gpt4_samples("g1", &copy));
    let novel = "Completely unrelated sentence about quantum chromodynamics and \
                 the breeding habits of Patagonian toothfish near the Falklands.";
    let r = run(&ix, Method::Gpt4, 0, "g2", novel);
    assert_eq!((r.matched, r.label), (0, Label::Clean));
    // A mix: each sample's presence is decided by brute force over the alnum corpus.
    let corpus_alnum = Normalization::Alnum.apply(body);
    for id in ["m1", "m2", "m3", "m4", "m5", "m6"] {
        let mixed = format!("{} {}", &body[..70], novel);
        let samples = gpt4_samples(id, &mixed);
        assert_eq!(samples.len(), 3);
        let expect = samples
            .iter()
            .filter(|s| corpus_alnum.contains(s.as_str()))
            .count();
        let r = run(&ix, Method::Gpt4, 0, id, &mixed);
        assert_eq!(r.matched, expect, "{id}: {samples:?}");
        assert_eq!(r.label == Label::Dirty, expect > 0);
    }
    // Shorter than 50 characters: the whole text is the one sample.
    let r = run(&ix, Method::Gpt4, 0, "short", "Quick brown FOX jumps");
    assert_eq!((r.units, r.matched, r.label), (1, 1, Label::Dirty));

    // substr50: 50-character substrings at every word start of the words-normalised text.
    let r = run(&ix, Method::Substr50, 0, "s1", &copy);
    assert_eq!(r.matched, r.units);
    assert_eq!(r.label, Label::Dirty);
    let mixed = format!("{body} {novel}");
    let r = run(&ix, Method::Substr50, 0, "s2", &mixed);
    let (units, found) = brute_substr50(&mixed, &[body]);
    assert_eq!((r.units, r.matched), (units, found));
    assert!(r.score > 0.2 && r.score < 0.8, "{r:?}");
    assert_eq!(r.label, Label::Suspicious);
    let r = run(&ix, Method::Substr50, 0, "s3", novel);
    assert_eq!((r.matched, r.label), (0, Label::Clean));
    let r = run(&ix, Method::Substr50, 0, "s4", "the lazy dog");
    assert_eq!((r.units, r.matched, r.label), (1, 1, Label::Dirty));
}

/// substr50's last substring ends with the item's last word, not with the space framing it:
/// a corpus copy whose last word goes on ("julie" in "julies") still matches.
#[test]
fn substr50_matches_a_copy_whose_last_word_continues_in_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let item = "alpha bravo charlie delta echo foxtrot golf hotel india julie";
    let corpus = format!(
        "intro {} julies and more",
        &item[..item.len() - " julie".len()]
    );
    let idx = build(dir.path(), &docs(&[("copy", corpus.clone())]));
    let ix = Index::open(&idx).unwrap();
    let r = run(&ix, Method::Substr50, 0, "s", item);
    // Two substrings fit before the framing space (a third, from "charlie", would need it).
    assert_eq!((r.units, r.matched, r.label), (2, 2, Label::Dirty), "{r:?}");
    assert_eq!(brute_substr50(item, &[&corpus]), (2, 2));
}

/// substr50 by brute force: distinct 50-char windows at word starts of the normalised item,
/// found when some normalised document contains them.
fn brute_substr50(item: &str, corpus: &[&str]) -> (usize, usize) {
    let norm = Normalization::Words.apply(item);
    let docs: Vec<String> = corpus
        .iter()
        .map(|d| Normalization::Words.apply(d))
        .collect();
    let inner = norm.trim();
    if inner.is_empty() {
        return (0, 0);
    }
    let mut subs: Vec<&str> = Vec::new();
    if inner.len() < 50 {
        subs.push(inner);
    } else {
        let b = norm.as_bytes();
        for i in 1..b.len() {
            if b[i - 1] == b' '
                && b[i] != b' '
                && i + 50 < b.len() // never the framing space after the last word
                && !subs.contains(&&norm[i..i + 50])
            {
                subs.push(&norm[i..i + 50]);
            }
        }
    }
    let found = subs
        .iter()
        .filter(|s| docs.iter().any(|d| d.contains(*s)))
        .count();
    (subs.len(), found)
}

/// Word n-grams by brute force: (distinct, found in 1..=max_docs documents, found in more).
fn brute_ngrams(
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
/// substring of more than 10 tokens containing it is a substring of a document.
fn brute_llama2(item: &[String], docs: &[Vec<String>]) -> usize {
    let n = item.len();
    let mut covered = vec![false; n];
    for l in 0..n {
        for e in (l + 11..=n).rev() {
            let piece = &item[l..e];
            if docs
                .iter()
                .any(|d| d.windows(piece.len()).any(|w| w == piece))
            {
                covered[l..e].iter_mut().for_each(|c| *c = true);
                break;
            }
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

/// Documents whose text has no tokens (`blank`: whitespace only, skipped by the main index)
/// or whose normalisation is empty (`punct`: no ASCII letter or digit, empty in `alnum`).
fn awkward_docs(tag: &str, body: &str) -> Vec<(String, String)> {
    vec![
        (format!("{tag}-a"), join(&seq(0, 20))),
        (format!("{tag}-blank"), "   \n  \t ".to_string()),
        (
            format!("{tag}-punct"),
            "!!! ??? \u{4e2d}\u{6587} ...".to_string(),
        ),
        (format!("{tag}-fox"), body.to_string()),
        (format!("{tag}-b"), join(&seq(20, 40))),
    ]
}

/// Every side index numbers its documents as the main index does (a document the main index
/// skips is skipped, one whose normalisation is empty is kept, empty), also after an append,
/// so a side-index match names the right document.
#[test]
fn side_indexes_number_documents_as_the_main_index_does() {
    let dir = tempfile::tempdir().unwrap();
    let body = "Seven violet penguins recite the Gettysburg Address backwards to forty-two \
                astonished zebras under a quiet Antarctic moon.";
    let idx = build(dir.path(), &awkward_docs("x", body));
    let check = |expect_docs: u64, tag: &str| {
        let ix = Index::open(&idx).unwrap();
        assert_eq!(ix.manifest().documents, expect_docs);
        for n in [Normalization::Words, Normalization::Alnum] {
            let side = ix.side(n).unwrap();
            assert_eq!(side.manifest().documents, expect_docs, "{n:?}");
            for d in 0..expect_docs {
                let (main_loc, side_loc) = (ix.locate(d).unwrap(), side.locate(d).unwrap());
                assert_eq!(
                    ix.doc_record(main_loc).unwrap().id,
                    side.doc_record(side_loc).unwrap().id,
                    "{n:?} document {d}"
                );
            }
        }
        let copy = body.to_uppercase().replace(' ', "  ;");
        for m in [Method::Gpt4, Method::Substr50] {
            let r = run(&ix, m, 0, "g", &copy);
            assert_eq!(r.label, Label::Dirty, "{m:?}: {r:?}");
            let ids: Vec<&str> = r.examples.iter().map(|e| e.id.as_str()).collect();
            assert!(
                ids.contains(&format!("{tag}-fox").as_str()),
                "{m:?}: {ids:?}"
            );
            assert!(ids.iter().all(|i| i.ends_with("-fox")), "{m:?}: {ids:?}");
        }
        let r = run(&ix, Method::Gpt3, 0, "w", &join(&seq(20, 40)));
        assert_eq!(r.examples[0].id, "x-b", "{r:?}");
    };
    check(4, "x");
    // An append with the same kinds of documents.
    let more = support::write_jsonl(dir.path(), "more.jsonl", &awkward_docs("y", body));
    let mut o = BuildOptions::new(vec![more], idx.clone(), "");
    o.threads = 2;
    o.fulltext = false;
    o.append = true;
    verbatim_indexer::build(&o).expect("append succeeds");
    check(8, "x");
}

#[test]
fn missing_side_index_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build_with(
        dir.path(),
        &docs(&[("a", "some text here".to_string())]),
        "bytes",
        false,
    );
    let ix = Index::open(&idx).unwrap();
    let err = Checker::new(&ix, CheckOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("--side-indexes words,alnum"), "{err}");
    // llama2 needs none.
    let opts = CheckOptions {
        methods: vec![Method::Llama2],
        ..CheckOptions::default()
    };
    assert!(Checker::new(&ix, opts).is_ok());
}

fn cli_index(dir: &Path) -> PathBuf {
    build(
        dir,
        &docs(&[
            ("book/a", join(&seq(0, 200))),
            ("book/b", join(&seq(1000, 1200))),
        ]),
    )
}

#[test]
fn cli_reads_jsonl_zst_and_csv_and_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    // JSONL.zst with a template over two fields; items grouped by `bench`.
    let mut jsonl = String::new();
    for i in 0..20 {
        let (q, bench) = if i % 2 == 0 {
            (join(&seq(10 * i, 10 * i + 20)), "alpha")
        } else {
            (join(&seq(5000 + 30 * i, 5000 + 30 * i + 20)), "beta")
        };
        jsonl.push_str(
            &serde_json::json!({"bench": bench, "id": format!("q{i}"), "question": q, "choices": ["w1", "w2"]})
                .to_string(),
        );
        jsonl.push('\n');
    }
    let zst = dir.path().join("items.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(jsonl.as_bytes(), 3).unwrap()).unwrap();
    let csv = dir.path().join("More.csv");
    std::fs::write(
        &csv,
        format!(
            "Question,Answer\n\"{}\",yes\n\"{}\",no\n",
            join(&seq(1000, 1030)),
            join(&seq(7000, 7030))
        ),
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let csv_out = dir.path().join("r.csv");
    let html = dir.path().join("r.html");
    let o = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&zst)
        .args(["--template", "{question} {choices}", "--out"])
        .arg(&out)
        .arg("--csv")
        .arg(&csv_out)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("gpt3") && stdout.contains("cpu s"),
        "{stdout}"
    );
    let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(rep["summary"]["items"], 20);
    assert_eq!(rep["summary"]["benchmarks"]["alpha"]["gpt3"]["dirty"], 10);
    assert_eq!(rep["summary"]["benchmarks"]["beta"]["gpt3"]["clean"], 10);
    assert_eq!(rep["summary"]["overall"]["palm"]["dirty"], 10);
    let item0 = &rep["items"][0];
    assert_eq!(item0["id"], "q0");
    assert_eq!(item0["methods"][0]["examples"][0]["id"], "book/a");
    let rows = std::fs::read_to_string(&csv_out).unwrap();
    assert_eq!(rows.lines().count(), 21);
    assert!(rows.starts_with("bench,id,words,worst,gpt3_score"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<table id=\"items\">") && page.contains("class=\"bar\""));
    assert!(
        !page.contains("src=\"http")
            && !page.contains("href=\"http")
            && !page.contains("src='http")
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());

    // CSV input with --field; the file name is the group.
    let o = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&csv)
        .args(["--field", "Question", "--method", "gpt3,llama2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rep: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(rep["methods"], serde_json::json!(["gpt3", "llama2"]));
    assert_eq!(rep["summary"]["benchmarks"]["More"]["gpt3"]["dirty"], 1);
    assert_eq!(rep["summary"]["benchmarks"]["More"]["llama2"]["dirty"], 1);
    assert_eq!(rep["items"][0]["id"], "1");
}

#[test]
fn interrupted_run_leaves_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    let mut jsonl = String::new();
    for i in 0..150_000usize {
        jsonl.push_str(&format!(
            "{{\"bench\":\"b\",\"id\":\"{i}\",\"text\":\"{}\"}}\n",
            join(&seq(i % 900, i % 900 + 40))
        ));
    }
    let input = dir.path().join("many.jsonl");
    std::fs::write(&input, jsonl).unwrap();
    let out = dir.path().join("report.json");
    let mut child = std::process::Command::new(support::verbatim_bin())
        .args(["contamination", "--index", idx.to_str().unwrap(), "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    if status.success() {
        // The run beat the signal: then the report is complete.
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(v["summary"]["items"], 150_000);
    } else {
        assert!(!out.exists(), "an interrupted run left {}", out.display());
    }
}

#[test]
fn http_route_checks_items_and_limits_their_number() {
    let dir = tempfile::tempdir().unwrap();
    let idx = cli_index(dir.path());
    let srv = crate::server_api::Server::start(&idx, &[]);
    let items = serde_json::json!([
        {"id": "a", "text": join(&seq(10, 40)), "bench": "x"},
        {"id": "b", "text": join(&seq(7000, 7030))},
    ]);
    let (c, v) = srv.post(
        "/api/v1/contamination",
        serde_json::json!({"items": items, "methods": ["gpt3", "llama2", "substr50"]}),
    );
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["items"][0]["methods"][0]["label"], "dirty");
    assert_eq!(v["items"][1]["methods"][0]["label"], "clean");
    assert_eq!(v["summary"]["overall"]["llama2"]["dirty"], 1);
    // The library gives the same answer.
    let ix = Index::open(&idx).unwrap();
    let opts = CheckOptions {
        methods: vec![Method::Gpt3, Method::Llama2, Method::Substr50],
        ..CheckOptions::default()
    };
    let lib = Checker::new(&ix, opts)
        .unwrap()
        .check(&Item::new("a", join(&seq(10, 40)), "x"));
    assert_eq!(v["items"][0], serde_json::to_value(&lib).unwrap());
    // Over the item limit (1000 by default): 413 with the JSON error shape.
    let many: Vec<_> = (0..1001)
        .map(|i| serde_json::json!({"id": i.to_string(), "text": "w1 w2"}))
        .collect();
    let (c, v) = srv.post("/api/v1/contamination", serde_json::json!({"items": many}));
    assert_eq!(c, 413, "{v}");
    assert_eq!(v["error"]["code"], "too_large");
    // Unknown method: 400.
    let (c, v) = srv.post(
        "/api/v1/contamination",
        serde_json::json!({"items": [{"id": "a", "text": "w1"}], "methods": ["bogus"]}),
    );
    assert_eq!(c, 400, "{v}");
}

/// Llama 2 examples skip taken-down documents without losing the match: another document
/// holding it is shown (the one sampled occurrence was dropped when its document was down).
#[test]
fn llama2_examples_come_from_documents_not_taken_down() {
    let dir = tempfile::tempdir().unwrap();
    let text = join(&seq(700, 730));
    let idx = build(
        dir.path(),
        &docs(&[("D1", text.clone()), ("D2", text.clone())]),
    );
    for skip in [0, 4] {
        let ix = Index::open(&idx).unwrap();
        let first = run(&ix, Method::Llama2, skip, "it", &text).examples[0].clone();
        let mut list = verbatim_core::takedown::Takedown::default();
        list.insert(first.doc_no);
        list.save(&idx, ix.build_id()).unwrap();
        let ix = Index::open(&idx).unwrap();
        let r = run(&ix, Method::Llama2, skip, "it", &text);
        assert_eq!(r.label, Label::Dirty);
        assert_eq!(r.examples.len(), 1, "skip {skip}: {r:?}");
        assert_ne!(r.examples[0].id, first.id);
        std::fs::remove_file(idx.join("takedown.bin")).unwrap();
    }
}
