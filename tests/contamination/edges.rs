//! Edge cases of the definitions against brute force over the documents' text: matches that
//! would cross a document boundary, items of punctuation only, non-ASCII text, repeated
//! items, and matches held only by taken-down documents.

use super::oracle::{brute_llama2, brute_llama2_skip, brute_ngrams, brute_substr50};
use super::*;

/// Every method's units and matches for `text`, against brute force over `texts` (documents
/// of `wN` words and other text; Llama 2 counts `wN` words, one token each).
fn agree_with_brute_force(c: &Checker<'_>, texts: &[String], id: &str, text: &str) {
    let r = c.check(&Item::new(id, text, "b"));
    let words: Vec<String> = verbatim_core::normalize::words(text);
    let g = r.get(Method::Gpt3).unwrap();
    let (units, ok, common) = brute_ngrams(&words, 13, texts, 10);
    assert_eq!(
        (g.units, g.matched, g.ignored),
        (units, ok, Some(common)),
        "gpt3 {text:?}"
    );
    let p = r.get(Method::Palm).unwrap();
    let (units, ok, _) = brute_ngrams(&words, 8, texts, usize::MAX);
    assert_eq!((p.units, p.matched), (units, ok), "palm {text:?}");
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let s = r.get(Method::Substr50).unwrap();
    assert_eq!(
        (s.units, s.matched),
        brute_substr50(text, &refs),
        "substr50 {text:?}"
    );
    let alnum: Vec<String> = texts
        .iter()
        .map(|t| Normalization::Alnum.apply(t))
        .collect();
    let expect = gpt4_samples(id, text)
        .iter()
        .filter(|s| alnum.iter().any(|d| d.contains(s.as_str())))
        .count();
    assert_eq!(
        r.get(Method::Gpt4).unwrap().matched,
        expect,
        "gpt4 {text:?}"
    );
    let tok = |t: &str| -> Vec<String> { t.split_whitespace().map(str::to_string).collect() };
    if text.split_whitespace().all(|w| w.starts_with('w')) {
        let docs: Vec<Vec<String>> = texts.iter().map(|t| tok(t)).collect();
        let l = r.get(Method::Llama2).unwrap();
        assert_eq!(
            l.matched,
            brute_llama2(&tok(text), &docs),
            "llama2 {text:?}"
        );
    }
}

/// `texts` as documents `d0`, `d1`, ...
fn numbered(texts: &[String]) -> Vec<(String, String)> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("d{i}"), t.clone()))
        .collect()
}

/// No n-gram, substring or token match spans two documents, even when the two documents,
/// side by side, hold the item word for word (and in several shards).
#[test]
fn no_match_crosses_a_document_boundary() {
    let texts: Vec<String> = vec![
        join(&seq(0, 30)),
        join(&seq(30, 60)),
        // The normalised texts meet without a space: "...w99" + "w100..." in alnum.
        format!("{}!", join(&seq(90, 100))),
        format!("-{}", join(&seq(100, 130))),
        "Mary had a little lamb, its fleece was white".to_string(),
        "as snow; and everywhere that Mary went the lamb was sure to go.".to_string(),
        "!!! ... ???".to_string(),
        "Ünïcödé ｗｉｄｅ ｔｅｘｔ café naïve".to_string(),
        "Жил-был у бабушки серенький козлик, вот как, вот как, серенький козлик".to_string(),
    ];
    let d = numbered(&texts);
    let dir = tempfile::tempdir().unwrap();
    let tok = support::word_tokenizer(dir.path(), 10_000);
    let input = support::write_jsonl(dir.path(), "corpus.jsonl", &d);
    let out = dir.path().join("idx");
    let mut o = BuildOptions::new(vec![input], out.clone(), tok.to_str().unwrap());
    o.threads = 2;
    o.fulltext = false;
    o.shard_max_tokens = 160; // several shards
    o.side_indexes = vec![Normalization::Words, Normalization::Alnum];
    verbatim_indexer::build(&o).expect("build succeeds");
    let ix = Index::open(&out).unwrap();
    let c = Checker::new(&ix, CheckOptions::default()).unwrap();
    let items = [
        join(&seq(15, 45)),
        join(&seq(20, 42)),
        join(&seq(85, 115)),
        join(&seq(95, 125)),
        "Mary had a little lamb, its fleece was white as snow; and everywhere that Mary went"
            .to_string(),
        "its fleece was white as snow and everywhere".to_string(),
        "white as snow".to_string(),
        "!!! ... ???".to_string(),
        "".to_string(),
        "Ünïcödé ｗｉｄｅ ｔｅｘｔ café naïve".to_string(),
        "cafe naive".to_string(),
        "ＭＡＲＹ ｈａｄ ａ ｌｉｔｔｌｅ ｌａｍｂ, its fleece was white".to_string(),
        "unicode wide text cafe\u{301} nai\u{308}ve".to_string(),
        "ЖИЛ-БЫЛ у бабушки серенький козлик, вот как, вот как, серенький козлик".to_string(),
        "у бабушки серенький козлик, вот как".to_string(),
    ];
    for (k, text) in items.iter().enumerate() {
        agree_with_brute_force(&c, &texts, &format!("i{k}"), text);
    }
    // 8 words of each of two documents side by side: no 13-gram, no match of 11 tokens.
    let r = c.check(&Item::new("x", join(&seq(22, 38)), "b"));
    for m in [Method::Gpt3, Method::Llama2] {
        assert_eq!(r.get(m).unwrap().matched, 0, "{m}: {r:?}");
    }
}

/// Items longer than the searches measure matches (256 tokens for Llama 2, the longest
/// n-gram or substring for the word-level methods), copied whole, with changes, across two
/// near-duplicate documents, or from two documents in turn, give the answers of brute force.
#[test]
fn long_copied_items_agree_with_brute_force() {
    let texts: Vec<String> = vec![
        join(&seq(0, 900)),
        // Shares 500 words with the first: a copy of either part is found in both.
        join(&seq(400, 1300)),
        format!("{} {}", join(&seq(2000, 2400)), join(&seq(0, 300))),
    ];
    let d = numbered(&texts);
    let dir = tempfile::tempdir().unwrap();
    let ix = Index::open(&build(dir.path(), &d)).unwrap();
    let c = Checker::new(&ix, CheckOptions::default()).unwrap();
    let mut changed = seq(100, 800);
    for p in (37..changed.len()).step_by(150) {
        changed[p] = "w5000".to_string();
    }
    let mut two = seq(2000, 2350);
    two.extend(seq(10, 420));
    let items = [
        join(&seq(50, 850)),
        join(&changed),
        join(&two),
        join(&seq(850, 1250)),
        join(&seq(0, 1300)),
    ];
    for (k, text) in items.iter().enumerate() {
        agree_with_brute_force(&c, &texts, &format!("long{k}"), text);
    }
}

/// With a skip budget, long items copied with changes (single words, runs of changed words,
/// two places joined) get the coverage of the written definition, brute-forced: the exact
/// matches measured up to 256 tokens and the walks that share their comparisons along a
/// diagonal change nothing while no occurrence is sampled (each 10-gram here occurs at most
/// 4 times).
#[test]
fn long_changed_items_with_a_skip_budget_agree_with_brute_force() {
    let changed = |mut w: Vec<String>, every: usize, run: usize, tag: usize| {
        for p in (7..w.len()).step_by(every) {
            for q in p..(p + run).min(w.len()) {
                w[q] = format!("w{}", tag + q);
            }
        }
        w
    };
    let word_docs: Vec<Vec<String>> = vec![
        seq(0, 900),
        changed(seq(0, 900), 97, 1, 5000),
        changed(seq(300, 1200), 41, 2, 6000),
        [seq(2000, 2300), seq(100, 500)].concat(),
    ];
    let texts: Vec<String> = word_docs.iter().map(|d| join(d)).collect();
    let dir = tempfile::tempdir().unwrap();
    let ix = Index::open(&build(dir.path(), &numbered(&texts))).unwrap();
    let items: Vec<Vec<String>> = vec![
        seq(50, 850),
        changed(seq(50, 850), 30, 1, 7000),
        changed(seq(50, 850), 120, 3, 7000),
        changed(seq(350, 1150), 17, 1, 7000),
        changed(seq(0, 900), 300, 6, 7000),
        [seq(2100, 2300), changed(seq(100, 700), 45, 2, 7000)].concat(),
        changed(seq(0, 1200), 11, 1, 7000),
    ];
    for skip in [1, 4] {
        for (k, w) in items.iter().enumerate() {
            let r = run(&ix, Method::Llama2, skip, &format!("s{k}"), &join(w));
            assert_eq!(
                (r.units, r.matched),
                (w.len(), brute_llama2_skip(w, &word_docs, skip)),
                "skip {skip}, item {k}"
            );
        }
    }
}

/// With most of the documents holding an item taken down, the examples are the visible ones:
/// they were sampled among all holders and the taken-down ones left out afterwards, which
/// showed none (a review: 39 of 40 holders taken down, every method dirty without example).
#[test]
fn examples_are_the_visible_holders_when_most_are_taken_down() {
    let dir = tempfile::tempdir().unwrap();
    let item = join(&seq(300, 330));
    let d: Vec<(String, String)> = (0..40)
        .map(|i| {
            (
                format!("h{i:02}"),
                format!("w{} {item} w{}", 500 + i, 600 + i),
            )
        })
        .collect();
    let idx = build(dir.path(), &d);
    for i in 0..39 {
        support::take_down(&idx, &format!("h{i:02}"));
    }
    let ix = Index::open(&idx).unwrap();
    let opts = CheckOptions {
        examples: 5,
        ..CheckOptions::default()
    };
    let r = Checker::new(&ix, opts)
        .unwrap()
        .check(&Item::new("it", item.clone(), "b"));
    for m in Method::ALL {
        let x = r.get(m).unwrap();
        if x.label == Label::Clean {
            continue; // gpt3: the item's 13-grams are in 40 documents, more than 10
        }
        let ids: Vec<&str> = x.examples.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["h39"], "{m}: {x:?}");
        assert_eq!(x.note, None, "{m}");
    }
}

/// GPT-3's examples are not crowded out by taken-down holders of the item's first n-grams: a
/// visible document holding a later n-gram is shown.
#[test]
fn gpt3_examples_skip_taken_down_holders_of_earlier_ngrams() {
    let dir = tempfile::tempdir().unwrap();
    let mut d: Vec<(String, String)> = Vec::new();
    for i in 0..10 {
        d.push((
            format!("t{i}"),
            format!("w{} {} w{}", 500 + i, join(&seq(300, 313)), 600 + i),
        ));
        d.push((
            format!("u{i}"),
            format!("w{} {} w{}", 700 + i, join(&seq(301, 314)), 800 + i),
        ));
    }
    d.push(("v".to_string(), join(&seq(302, 315))));
    let idx = build(dir.path(), &d);
    for i in 0..10 {
        support::take_down(&idx, &format!("t{i}"));
        support::take_down(&idx, &format!("u{i}"));
    }
    let ix = Index::open(&idx).unwrap();
    let r = run(&ix, Method::Gpt3, 0, "it", &join(&seq(300, 330)));
    assert_eq!(r.label, Label::Dirty, "{r:?}");
    let ids: Vec<&str> = r.examples.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["v"], "{r:?}");
}

/// Taken-down documents count towards every method's score (they were in the training data)
/// but are never shown: an item held only by a taken-down document stays dirty, with no
/// example; the GPT-3 cut-off counts taken-down documents too.
#[test]
fn taken_down_documents_count_but_are_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let item = join(&seq(300, 330));
    let mut d = vec![("secret".to_string(), format!("w1 {item} w2"))];
    // A 13-gram of the item in 10 more documents: 11 in all with the secret one.
    let gram = join(&seq(300, 313));
    for i in 0..10 {
        d.push((
            format!("common{i}"),
            format!("w{} {gram} w{}", 500 + i, 600 + i),
        ));
    }
    let idx = build(dir.path(), &d);
    let ix = Index::open(&idx).unwrap();
    let before = Checker::new(&ix, CheckOptions::default())
        .unwrap()
        .check(&Item::new("it", item.clone(), "b"));
    support::take_down(&idx, "secret");
    let ix = Index::open(&idx).unwrap();
    let after = Checker::new(&ix, CheckOptions::default())
        .unwrap()
        .check(&Item::new("it", item.clone(), "b"));
    for m in Method::ALL {
        let (b, a) = (before.get(m).unwrap(), after.get(m).unwrap());
        assert_eq!(
            (a.units, a.matched, a.ignored, a.label),
            (b.units, b.matched, b.ignored, b.label),
            "{m}"
        );
        assert_eq!(a.label, Label::Dirty, "{m}: {a:?}");
        assert!(
            a.examples.iter().all(|e| e.id != "secret"),
            "{m}: {:?}",
            a.examples
        );
        // A dirty item without an example says why; before the takedown none needed to.
        let hidden = |r: &MethodResult| r.note.as_deref().is_some_and(|n| n.contains("taken down"));
        assert_eq!(hidden(a), a.examples.is_empty(), "{m}: {a:?}");
        assert!(!hidden(b), "{m}: {b:?}");
    }
    // Only the taken-down document holds the item's other n-grams: some method shows nothing.
    assert!(Method::ALL
        .iter()
        .any(|&m| after.get(m).unwrap().examples.is_empty()));
    // The 13-gram in 11 documents (one taken down) is ignored, before and after.
    assert_eq!(after.get(Method::Gpt3).unwrap().ignored, Some(1));
}

/// Known limitation, not fixed: with a skip budget, chains are grown from at most 64 sampled
/// occurrences of the exact match, so the one document continuing the item past a mismatch,
/// among 3,000 that share only its first 12 tokens, is missed (29 of 30 tokens covered; the
/// definition covers all 30). Run with `--ignored` to see it.
#[test]
#[ignore = "known limitation: the llama2 skip chain is grown from 64 sampled occurrences"]
fn llama2_skip_chain_through_one_document_among_many() {
    let dir = tempfile::tempdir().unwrap();
    let item = seq(700, 730);
    let mut d: Vec<(String, String)> = (0..3000)
        .map(|i| {
            let mut w = seq(700, 712);
            w.push(format!("w{}", 3000 + i));
            (format!("decoy{i}"), join(&w))
        })
        .collect();
    let mut y = item.clone();
    y[12] = "w8999".into();
    d.insert(1500, ("Y".to_string(), join(&y)));
    let ix = Index::open(&build(dir.path(), &d)).unwrap();
    let r = run(&ix, Method::Llama2, 4, "it", &join(&item));
    assert_eq!(r.matched, 30, "{r:?}");
}

/// A copy of a corpus text in full-width letters, decomposed accents, other case or another
/// script is found by every word and character method (the ASCII-only normalisation missed
/// all of them: full-width letters and Cyrillic gave no words at all).
#[test]
fn unicode_copies_of_a_corpus_text_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let original = "Crème brûlée is a dessert of rich custard topped with a layer of hard caramel, \
                    served cold in a ramekin. Съешь же ещё этих мягких французских булок, да выпей чаю";
    let idx = build(dir.path(), &docs(&[("d", original.to_string())]));
    let ix = Index::open(&idx).unwrap();
    let nfd: String = unicode_normalization::UnicodeNormalization::nfd(original).collect();
    let wide: String = original
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
            c => c,
        })
        .collect();
    for (what, text) in [
        ("nfd", nfd),
        ("full-width", wide),
        ("upper", original.to_uppercase()),
    ] {
        for m in [Method::Gpt3, Method::Palm, Method::Substr50, Method::Gpt4] {
            let r = run(&ix, m, 0, "u", &text);
            assert_eq!(r.label, Label::Dirty, "{what} copy under {m}: {r:?}");
        }
    }
}

/// A side index normalised by the ASCII rules (built before 2026-12-05) is queried by them,
/// and an append to it keeps them, so its documents and queries never disagree.
#[test]
fn a_side_index_of_the_ascii_rules_is_queried_and_appended_by_them() {
    use verbatim_core::manifest::Manifest;
    use verbatim_core::normalize::NormalizationRules;
    let dir = tempfile::tempdir().unwrap();
    let idx = build(dir.path(), &docs(&[("d", join(&seq(0, 40)))]));
    // The header version of a manifest: a side index of the Unicode rules is written as
    // version 3, which a verbatim that knows only the ASCII rules (reading up to 2) refuses.
    let version = |p: &std::path::Path| {
        let b = std::fs::read(p).unwrap();
        u32::from_le_bytes(b[8..12].try_into().unwrap())
    };
    assert_eq!(version(&idx.join("manifest.bin")), 2);
    // ASCII documents normalise to the same bytes under both rules: only the record differs.
    for side in ["words", "alnum"] {
        let d = idx.join("side").join(side);
        assert_eq!(version(&d.join("manifest.bin")), 3);
        let (mut m, build_id) = Manifest::read(&d).unwrap();
        assert_eq!(m.rules().unwrap(), NormalizationRules::CURRENT);
        m.normalization_rules = NormalizationRules::Ascii.version();
        std::fs::remove_file(d.join("manifest.bin")).unwrap();
        m.write(&d, build_id).unwrap();
        assert_eq!(
            version(&d.join("manifest.bin")),
            2,
            "the ASCII rules are version 2's"
        );
    }
    let ix = Index::open(&idx).unwrap();
    let item = Item::new("x", "Привет мир w1 w2 w3", "b");
    let c = Checker::new(&ix, CheckOptions::default()).unwrap();
    assert_eq!(c.rules(Normalization::Words), NormalizationRules::Ascii);
    assert_eq!(
        c.check(&item).words,
        3,
        "Cyrillic is no word under the ASCII rules"
    );
    drop(c);
    drop(ix);
    let more = support::write_jsonl(
        dir.path(),
        "more.jsonl",
        &docs(&[("e", "Привет w7".into())]),
    );
    let mut o = BuildOptions::new(vec![more], idx.clone(), "");
    o.append = true;
    o.threads = 2;
    verbatim_indexer::build(&o).unwrap();
    let ix = Index::open(&idx).unwrap();
    let side = ix.side(Normalization::Words).unwrap();
    assert_eq!(side.manifest().rules().unwrap(), NormalizationRules::Ascii);
    // The new document was normalised as the old ones: " w7 ", without the Cyrillic word
    // (the Unicode rules give " привет w7 ").
    let bytes = |s: &str| s.bytes().map(u32::from).collect::<Vec<_>>();
    assert_eq!(side.count(&bytes("привет")), 0);
    assert_eq!(
        side.count(&bytes(" w7 ")),
        2,
        "both documents hold the word"
    );
}

/// WordPiece writes every character it cannot spell as the same `[UNK]` id, which stands for
/// different texts: Llama 2's method matches no text through it (a review saw 🚀 items
/// "dirty" against 😀 documents), while a skip budget may step over it as over any mismatch.
#[test]
fn llama2_matches_no_text_through_an_unknown_token() {
    let Some(bert) = support::shared_data("tokenizers/bert-uncased-wordpiece.json") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Ten words of one token each, either side.
    let words = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    let more = [
        "red", "blue", "green", "black", "white", "brown", "pink", "gray", "gold", "silver",
    ];
    let sentence = |glyph: &str| format!("{} {glyph} {}", words.join(" "), more.join(" "));
    let corpus = docs(&[
        ("emoji", "😀 ".repeat(12).trim_end().to_string()),
        ("sentence", sentence("😀")),
    ]);
    let ix = Index::open(&build_with(
        dir.path(),
        &corpus,
        bert.to_str().unwrap(),
        false,
    ))
    .unwrap();
    // Twelve unknown characters, other than the document's twelve.
    let r = run(
        &ix,
        Method::Llama2,
        0,
        "rockets",
        "🚀 ".repeat(12).trim_end(),
    );
    assert_eq!((r.matched, r.label), (0, Label::Clean), "{r:?}");
    // Ten words each side of a character the document does not hold: no match is longer
    // than 10 tokens.
    let r = run(&ix, Method::Llama2, 0, "across", &sentence("🚀"));
    assert_eq!(r.matched, 0, "{r:?}");
    // With one skip the unknown position is stepped over as a mismatch, as a known
    // different word would be.
    let r = run(&ix, Method::Llama2, 1, "across", &sentence("🚀"));
    let known = run(&ix, Method::Llama2, 1, "across", &sentence("dog"));
    assert_eq!(r.matched, 21, "{r:?}");
    assert_eq!(known.matched, r.matched, "{known:?}");
}

/// A Llama 2 match on byte-level tokens may start or end inside a character (the item's first
/// character follows a space in the document, a character shares its first bytes with
/// another's). The evidence shows each cut character whole beside the match, so the text
/// shown is the document's, and no character vanishes from it.
#[test]
fn llama2_evidence_keeps_characters_a_match_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = docs(&[
        ("doc1", "café  ٣٤ ΣΟΦΟΣ 🄰 ＭＭＬＵ end".to_string()),
        ("doc2", "ΣΟΦΟΣ 🅰 -- tail".to_string()),
        (
            "doc3",
            "x Ωmega the wind blew over the hills and down to the grey sea below them. In the end"
                .to_string(),
        ),
    ]);
    let tok = support::demo_tokenizer();
    let index = Index::open(&build_with(
        dir.path(),
        &corpus,
        tok.to_str().unwrap(),
        false,
    ))
    .unwrap();
    let text = |id: &str| corpus.iter().find(|(i, _)| i == id).unwrap().1.clone();
    for item in [
        "ΣΟΦΟΣ 🄰",
        "Ωmega the wind blew over the hills and down to the grey sea below them.",
    ] {
        let r = run(&index, Method::Llama2, 0, "q", item);
        assert!(!r.examples.is_empty(), "{item}: {r:?}");
        for e in &r.examples {
            let s = &e.snippet;
            let shown = format!("{}{}{}", s.before, s.matched, s.after);
            assert!(
                text(&e.id).contains(&shown),
                "{item}: {shown:?} in {}",
                e.id
            );
            assert!(item.contains(&s.matched), "{item}: match {:?}", s.matched);
        }
        for span in &r.spans {
            assert!(item.contains(span.as_str()), "{item}: span {span:?}");
        }
    }
}

/// An item copied from the start of a Greek document is wholly contaminated though the
/// document goes on after its last word with `.` and a letter (`ΛΟΓΟΣ.ΤΕΛΟΣ`), where
/// lowercasing gives that word's capital sigma as `σ` and the item's as final `ς`.
#[test]
fn a_copied_greek_item_matches_whatever_follows_its_last_sigma() {
    let dir = tempfile::tempdir().unwrap();
    let item = "Ο ΣΩΚΡΑΤΗΣ ΗΤΑΝ ΕΝΑΣ ΑΡΧΑΙΟΣ ΦΙΛΟΣΟΦΟΣ ΑΠΟ ΤΗΝ ΑΘΗΝΑ ΚΑΙ ΔΑΣΚΑΛΟΣ ΤΟΥ ΠΛΑΤΩΝΑ ΟΠΩΣ ΛΕΕΙ Ο ΛΟΓΟΣ";
    let corpus = docs(&[("greek", format!("{item}.ΤΕΛΟΣ"))]);
    let index = Index::open(&build_with(dir.path(), &corpus, "bytes", true)).unwrap();
    for m in [Method::Gpt3, Method::Palm, Method::Gpt4, Method::Substr50] {
        let r = run(&index, m, 0, "q", item);
        assert!(approx(r.score, 1.0), "{m}: {r:?}");
    }
}
