//! Keyword queries as people type them: a lone word ending in `*` finds every word that
//! starts with it, as a phrase's last word does (`"tokyo tow"*`), and snippets are centred on
//! such a word; characters of tantivy's syntax that text means as themselves (`10:30`,
//! `http://…`, `f(x)`, `[1]`, `a^b`) are searched as text, not dropped with what follows.

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
        // An escaped star is no prefix; a typed regular expression is its words.
        ("tok\\*", &["stoke"]),
        ("/tok.*/", &["stoke"]),
        ("tower /zzz.*/", &[]),
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
    let s = snippet_of(&index, "(tokeniz*)^2", "late");
    assert!(s.contains("the Tokenizers library"), "{s}");
}

#[test]
fn syntax_characters_in_ordinary_text_are_searched_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let doc = |id: &str, text: &str| (id.to_string(), text.to_string());
    let docs = vec![
        doc("time", "The train leaves at 10:30 sharp."),
        doc("url", "See http://example.com/a?b=c for the details."),
        doc("code", "Then call f(x) and std::vec::Vec here."),
        doc("cite", "As shown before [1] and <b>bold</b> text."),
        doc("power", "Here x^y grows fast; cost: 5 dollars."),
        doc("path", "Run /usr/bin/env python3 first."),
        doc("other", "Nothing of the kind: 10 and 30 apart, x and y."),
    ];
    let index = built(dir.path(), &docs);
    let cases: &[(&str, &[&str])] = &[
        // Before, each of these named a field that does not exist, and found nothing.
        ("10:30", &["time"]),
        ("train 10:30", &["time"]),
        ("http://example.com/a?b=c", &["url"]),
        ("std::vec::Vec", &["code"]),
        ("cost: 5", &["power"]),
        // Before, what followed the `)` or `^` was dropped (`f(x) zzz` found `f x`).
        ("f(x) here", &["code"]),
        ("f(x) zzz", &[]),
        ("x^y grows", &["power"]),
        ("x^y zzz", &[]),
        ("before) shown", &["cite"]),
        // Before, range syntax without a number field found nothing.
        ("[1] shown", &["cite"]),
        ("<b>bold</b>", &["cite"]),
        // Before, a word starting with `/` was a regular expression, and dropped.
        ("/usr/bin/env", &["path"]),
        ("x^.5 zzz", &[]),
        // The syntax itself still works.
        ("text:train", &["time"]),
        ("text:(train sharp)", &["time"]),
        ("(train OR details) -sharp", &["url"]),
        ("grows^2 OR train", &["power", "time"]),
    ];
    for (query, want) in cases {
        assert_eq!(ids_of(&index, query), *want, "{query:?}");
    }
    // A snippet centres on such a word as it is written.
    let s = snippet_of(&index, "10:30", "time");
    assert!(s.contains("10:30"), "{s}");
}
