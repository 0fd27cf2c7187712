//! Keyword search of words by their start: a lone word ending in `*` finds every word that
//! starts with it, as a phrase's last word does (`"tokyo tow"*`); snippets are centred on
//! such a word.

use crate::fulltext_normalization::{built, filler, ids_of, snippet_of};

#[test]
fn a_word_ending_in_a_star_finds_the_words_that_start_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let doc = |id: &str, text: &str| (id.to_string(), text.to_string());
    let docs = vec![
        doc("tokenizer", "The Tokenizer splits text."),
        doc("tokyo", "A tower in Tokyo."),
        doc("token", "One token, then another."),
        doc("stoke", "Stoke the fire; the tok is not a word."),
        doc("cafe", "Un café au lait, près de la tour."),
        doc("tokyo-tower", "We saw tokyo-towers and tokyo-tower views."),
        doc("cjk", "我们在东京都的大学学习"),
    ];
    let index = built(dir.path(), &docs);
    let cases: &[(&str, &[&str])] = &[
        // Before, `tok*` searched for the word `tok`.
        (
            "tok*",
            &["stoke", "token", "tokenizer", "tokyo", "tokyo-tower"],
        ),
        ("TOKE*", &["token", "tokenizer"]),
        ("tokenizer*", &["tokenizer"]),
        ("\"toke\"*", &["token", "tokenizer"]),
        ("text:toke*", &["token", "tokenizer"]),
        ("tok* -toky*", &["stoke", "token", "tokenizer"]),
        ("toke* OR caf*", &["cafe", "token", "tokenizer"]),
        ("tow* tok*", &["tokyo", "tokyo-tower"]),
        ("(toke*)^3 splits", &["tokenizer"]),
        // Accents as the index folds them: `cafe*` is not `café`'s start.
        ("CAFÉ*", &["cafe"]),
        ("pr*", &["cafe"]),
        // A word of several terms: a phrase whose last word is a prefix.
        ("tokyo-tow*", &["tokyo-tower"]),
        ("东京*", &["cjk"]),
        ("东京都的大*", &["cjk"]),
        ("zzz*", &[]),
        // An escaped star is no prefix; a typed regular expression is left out.
        ("tok\\*", &["stoke"]),
        ("/tok.*/", &[]),
        ("tower /zzz.*/", &["tokyo", "tokyo-tower"]),
    ];
    for (query, want) in cases {
        assert_eq!(ids_of(&index, query), *want, "{query:?}");
    }
}

#[test]
fn a_snippet_is_centred_on_a_word_that_starts_with_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![
        (
            "late".to_string(),
            format!(
                "{} the Tokenizers library {} tokyo tower {}",
                filler(200),
                filler(200),
                filler(100)
            ),
        ),
        (
            "phrase".to_string(),
            format!("tokyo {} tokyo towers {}", filler(200), filler(100)),
        ),
    ];
    let index = built(dir.path(), &docs);
    let s = snippet_of(&index, "tokeniz*", "late");
    assert!(s.contains("the Tokenizers library"), "{s}");
    assert!(!s.starts_with("w0 "), "{s}");
    let s = snippet_of(&index, "\"tokyo tow\"*", "phrase");
    assert!(s.contains("tokyo towers"), "{s}");
}
