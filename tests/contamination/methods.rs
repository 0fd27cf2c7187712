//! Each method against its written definition, on planted copies and near copies.

use super::oracle::brute_substr50;
use super::*;

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
    // Llama 2 alone runs no words search, and reports no time spent in one.
    let opts = CheckOptions {
        methods: vec![Method::Llama2],
        ..CheckOptions::default()
    };
    let item = Item::new("copy", join(&seq(600, 630)), "t");
    let checked = Checker::new(&ix, opts).unwrap().check(&item);
    assert_eq!(checked.shared_elapsed, std::time::Duration::ZERO);
}

/// A run of covered tokens that joins the end of one document to the start of another is
/// shown as its two matches, each held by its document and each with an example, not as one
/// span that no document holds; with a skip budget too.
#[test]
fn llama2_spans_are_matches_a_document_holds() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(
        dir.path(),
        &docs(&[("A", join(&seq(600, 640))), ("B", join(&seq(700, 740)))]),
    );
    let ix = Index::open(&idx).unwrap();
    let w = [seq(615, 640), seq(700, 720)].concat();
    for skip in [0, 4] {
        let opts = CheckOptions {
            methods: vec![Method::Llama2],
            llama2_skip: skip,
            ..CheckOptions::default()
        };
        let r = Checker::new(&ix, opts)
            .unwrap()
            .check(&Item::new("joined", join(&w), "t"));
        let r = r.get(Method::Llama2).unwrap();
        assert_eq!((r.units, r.matched), (45, 45), "skip {skip}");
        assert_eq!(
            r.spans,
            [join(&seq(615, 640)), join(&seq(700, 720))],
            "skip {skip}"
        );
        let mut ids: Vec<&str> = r.examples.iter().map(|e| e.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["A", "B"], "skip {skip}");
    }
}

/// Llama 2's "dirty" subset holds the items with 80% of their tokens contaminated or more
/// (appendix A.6: "greater than (or equal to) 80%"), its complement "not dirty" those below
/// 80%; "clean" is below 20%, "not clean" from 20% on.
#[test]
fn llama2_thresholds_include_20_and_80_percent() {
    let dir = tempfile::tempdir().unwrap();
    let idx = build(dir.path(), &docs(&[("L", join(&seq(600, 660)))]));
    let ix = Index::open(&idx).unwrap();
    let novel = |n: usize| seq(8000, 8000 + n);
    // 12 of 15 tokens covered: exactly 80%.
    let w = [seq(600, 612), novel(3)].concat();
    let r = run(&ix, Method::Llama2, 0, "eighty", &join(&w));
    assert_eq!((r.units, r.matched), (15, 12));
    assert!(approx(r.score, 0.8));
    assert_eq!(r.label, Label::Dirty, "{r:?}");
    // 11 of 14: below 80%.
    let w = [seq(600, 611), novel(3)].concat();
    let r = run(&ix, Method::Llama2, 0, "below", &join(&w));
    assert_eq!((r.matched, r.label), (11, Label::Suspicious));
    // 11 of 55 tokens covered: exactly 20%, not clean.
    let w = [seq(600, 611), novel(44)].concat();
    let r = run(&ix, Method::Llama2, 0, "twenty", &join(&w));
    assert_eq!((r.units, r.matched), (55, 11));
    assert!(approx(r.score, 0.2));
    assert_eq!(r.label, Label::Suspicious, "{r:?}");
    assert_eq!(Method::Llama2.label(0.8, 1), Label::Dirty);
    assert_eq!(Method::Llama2.label(0.2 - 1e-12, 1), Label::Clean);
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
    // No mismatch within the first 10 tokens of a match: [0, 5) stays uncovered (24 of 30
    // tokens: 80%, dirty).
    let early = with(&[(5, 9001)]);
    let r = run(&ix, Method::Llama2, 4, "early", &early);
    assert_eq!((r.matched, r.label), (24, Label::Dirty));
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

/// A Llama 2 match extended past a mismatch belongs to one document; when that document is
/// taken down, the example shown from another document marks only the exact prefix that
/// document shares with the item, never the extended length (its tokens there differ).
#[test]
fn llama2_example_from_another_document_marks_only_what_it_shares() {
    let dir = tempfile::tempdir().unwrap();
    let whole = seq(800, 830);
    // The item: the 30 words with word 19 replaced (one skip extends across it).
    let mut item = whole.clone();
    item[19] = "w999".to_string();
    // Another document shares the first 19 words only, then goes on differently.
    let mut other = seq(800, 819);
    other.extend(seq(900, 911));
    let idx = build(
        dir.path(),
        &docs(&[("secret", join(&whole)), ("public", join(&other))]),
    );
    let ix = Index::open(&idx).unwrap();
    let before = run(&ix, Method::Llama2, 4, "it", &join(&item));
    assert_eq!(before.examples[0].id, "secret", "{before:?}");
    assert_eq!(before.examples[0].snippet.matched, join(&whole));
    let mut list = verbatim_core::takedown::Takedown::default();
    list.insert(before.examples[0].doc_no);
    list.save(&idx, ix.build_id()).unwrap();
    let ix = Index::open(&idx).unwrap();
    let after = run(&ix, Method::Llama2, 4, "it", &join(&item));
    assert_eq!(after.examples.len(), 1, "{after:?}");
    let e = &after.examples[0];
    assert_eq!(e.id, "public");
    // What is marked occurs in the item, word for word.
    assert_eq!(e.snippet.matched, join(&whole[..19]), "{e:?}");
    assert!(join(&item).starts_with(&e.snippet.matched));
}
