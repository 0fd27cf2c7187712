//! Keyword search finds a word however its accented letters are spelt (precomposed, or a
//! letter and a combining mark), and a word in a script written without spaces inside a longer
//! run; indexes built before either still search as they were built, appends included.

use crate::support;
use std::path::PathBuf;
use verbatim_core::pii::PiiMode;
use verbatim_core::Index;

/// The format version in the header of the manifest in `dir`.
fn manifest_version(dir: &std::path::Path) -> u32 {
    let b = std::fs::read(dir.join("manifest.bin")).unwrap();
    u32::from_le_bytes(b[8..12].try_into().unwrap())
}

pub(crate) fn ids_of(index: &Index, query: &str) -> Vec<String> {
    let hits = verbatim_core::api::search_json(index, query, 20, PiiMode::Off)
        .unwrap()
        .expect("the index has a full-text index");
    let mut ids: Vec<String> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

pub(crate) fn snippet_of(index: &Index, query: &str, id: &str) -> String {
    let hits = verbatim_core::api::search_json(index, query, 20, PiiMode::Off)
        .unwrap()
        .unwrap();
    let hit = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is a hit of {query:?}: {hits}"));
    hit["snippet"].as_str().unwrap().to_string()
}

/// An index of `docs` (bytes tokenizer, full-text index) built in `dir/idx`, whose manifest
/// carries the version of the analyzer it was built with.
pub(crate) fn built(dir: &std::path::Path, docs: &[(String, String)]) -> Index {
    let input = support::write_jsonl(dir, "docs.jsonl", docs);
    let out = dir.join("idx");
    support::build(vec![input], &out, "bytes", None);
    assert_eq!(
        manifest_version(&out),
        verbatim_core::format::NFC_WORDS_UNSPACED_MANIFEST_VERSION
    );
    Index::open(&out).unwrap()
}

/// Checks the documents each query finds.
fn assert_finds(index: &Index, cases: &[(&str, &[&str])]) {
    for (query, want) in cases {
        assert_eq!(ids_of(index, query), *want, "{query:?}");
    }
}

/// A filler of `n` words, so that a snippet of 30 words each side does not hold a whole
/// document and shows where it was cut.
pub(crate) fn filler(n: usize) -> String {
    (0..n)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_word_is_found_whichever_way_its_accents_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![
        (
            "composed".to_string(),
            format!("{} Un café noir. {}", filler(80), filler(80)),
        ),
        (
            "decomposed".to_string(),
            format!("{} Un cafe\u{301} au lait. {}", filler(80), filler(80)),
        ),
        ("plain".to_string(), "A cafe without an accent.".to_string()),
        (
            "hangul".to_string(),
            "\u{1112}\u{1161}\u{11ab}\u{1100}\u{116e}\u{11a8} (jamo)".to_string(),
        ),
    ];
    // Its manifest carries version 5, so that a verbatim from before the analyzer (which
    // would find nothing by keyword in it) refuses the index; without a full-text index, 2.
    let index = built(dir.path(), &docs);
    let plain = dir.path().join("plain");
    let input = support::write_jsonl(dir.path(), "plain.jsonl", &docs[..1]);
    let mut o = verbatim_indexer::BuildOptions::new(vec![input], plain.clone(), "bytes");
    o.fulltext = false;
    verbatim_indexer::build(&o).unwrap();
    assert_eq!(
        manifest_version(&plain),
        verbatim_core::format::FORMAT_VERSION
    );
    for query in ["café", "cafe\u{301}", "CAFÉ"] {
        assert_eq!(
            ids_of(&index, query),
            ["composed", "decomposed"],
            "{query:?}"
        );
    }
    assert_eq!(ids_of(&index, "cafe"), ["plain"]);
    assert_eq!(
        ids_of(&index, "한국"),
        ["hangul"],
        "precomposed Hangul finds jamo"
    );
    // The snippet is cut around the word as the document spells it.
    assert!(snippet_of(&index, "café", "decomposed").contains("cafe\u{301} au lait"));
    assert!(snippet_of(&index, "cafe\u{301}", "composed").contains("café noir"));
}

#[test]
fn an_index_built_before_normalized_words_searches_and_grows_as_it_was_built() {
    let dir = tempfile::tempdir().unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1-bytes");
    let out = dir.path().join("idx");
    support::copy_dir(&golden, &out);
    let new = support::write_jsonl(
        dir.path(),
        "new.jsonl",
        &[(
            "new/1".to_string(),
            "Golden too: un cafe\u{301}.".to_string(),
        )],
    );
    let mut o = verbatim_indexer::BuildOptions::new(vec![new], out.clone(), "");
    o.threads = 2;
    o.append = true;
    verbatim_indexer::build(&o).expect("an append to a format-1 index");
    // Read by any verbatim that read it before.
    assert_eq!(
        manifest_version(&out),
        verbatim_core::format::FORMAT_VERSION
    );
    let index = Index::open(&out).unwrap();
    // Its terms are tantivy's `default` analyzer's, for old and new documents alike: the
    // combining mark ends the word.
    let terms = index.fulltext().unwrap().terms().of("cafe\u{301}");
    assert_eq!(terms, vec![(0..4, "cafe".to_string())]);
    assert_eq!(ids_of(&index, "cafe"), ["new/1"]);
    assert_eq!(ids_of(&index, "golden").len(), 13);
    verbatim_core::verify::verify(&index).expect("verifies after the append");
}

/// A snippet is centred on a query word as the document holds it whole: not on the end of a
/// longer word that a chunk of the document starts inside (on its accent, or inside its
/// last character), nor on an operator of the query or a word it excludes.
#[test]
fn snippets_are_centred_on_whole_wanted_words() {
    let dir = tempfile::tempdir().unwrap();
    // The bytes tokenizer makes one token per byte, and the snippet search reads documents in
    // chunks of 4,096 tokens overlapping by 128: the second chunk starts at byte 3,968.
    // `word` is written so that the byte `inside` of it is the second chunk's first.
    let at_second_chunk = |word: &str, inside: usize| {
        let pad = 3968 - inside;
        let mut text = "x ".repeat(pad / 2);
        if pad % 2 == 1 {
            text.push(' ');
        }
        assert_eq!(text.len() + inside, 3968);
        format!(
            "{text}{word} {} the real cole word {}",
            filler(300),
            filler(100)
        )
    };
    // The first byte of U+0301 (two bytes) as the first chunk's last byte (4,095): its
    // `cafe` seems to end there, but is `café`.
    let mut end_cut = "x ".repeat(4091 / 2);
    end_cut.push(' ');
    assert_eq!(end_cut.len(), 4091);
    end_cut.push_str(&format!(
        "cafe\u{301} {} the real cafe word {}",
        filler(300),
        filler(100)
    ));
    let docs = vec![
        ("end_cut".to_string(), end_cut),
        // The mark of "é" written decomposed at the chunk's first byte.
        ("mark".to_string(), at_second_chunk("e\u{301}cole", 1)),
        // The second byte of "é" (precomposed, two bytes) at the chunk's first byte.
        ("cut".to_string(), at_second_chunk("\u{e9}cole", 1)),
        (
            "operators".to_string(),
            format!("and not {} une crème {} café", filler(200), filler(50)),
        ),
    ];
    let index = built(dir.path(), &docs);
    for id in ["mark", "cut"] {
        let snippet = snippet_of(&index, "cole", id);
        assert!(snippet.contains("the real cole word"), "{id}: {snippet:?}");
    }
    let snippet = snippet_of(&index, "cafe", "end_cut");
    assert!(
        snippet.contains("the real cafe word"),
        "end_cut: {snippet:?}"
    );
    for query in [
        "crème AND café",
        "NOT zzz crème",
        "-zzz crème",
        "crème OR thé",
    ] {
        let snippet = snippet_of(&index, query, "operators");
        assert!(snippet.contains("une crème"), "{query}: {snippet:?}");
    }
}

/// In Chinese, Japanese and Thai, which are written without spaces between words, a query word
/// is found wherever a document's text holds it, inside a longer run of such characters too,
/// and in its order only.
#[test]
fn a_word_written_without_spaces_is_found_inside_longer_runs() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![
        (
            "zh".to_string(),
            format!("{} 我们在东京都的大学学习。 {}", filler(80), filler(80)),
        ),
        (
            "ja".to_string(),
            "東京タワーはとても高いです。コーヒーを飲みました。".to_string(),
        ),
        ("th".to_string(), "สวัสดีครับ ยินดีต้อนรับ สู่กรุงเทพ".to_string()),
        (
            "long".to_string(),
            "中华人民共和国是一个位于东亚的国家首都北京".to_string(),
        ),
    ];
    let index = built(dir.path(), &docs);
    let cases: [(&str, &[&str]); 12] = [
        ("东京", &["zh"]),
        ("東京", &["ja"]),
        ("京", &["ja", "long", "zh"]),
        ("京都", &["zh"]),
        ("京东", &[]),
        // A word of a run of 21 characters, which was one term of 63 bytes and left out.
        ("北京", &["long"]),
        ("中华人民共和国", &["long"]),
        ("コーヒー", &["ja"]),
        // Written with a combining voicing mark: the kana it composes to.
        ("カ\u{3099}ラス", &[]),
        ("飲みました 高い", &["ja"]),
        ("สวัสดี", &["th"]),
        ("กรุงเทพ", &["th"]),
    ];
    assert_finds(&index, &cases);
    assert!(snippet_of(&index, "北京", "long").contains("北京"));
    assert!(snippet_of(&index, "京都", "zh").contains("东京都"));
}

/// Queries as people type them: an ideographic space (U+3000) or a no-break space between
/// words separates them (tantivy dropped everything after it), a query of no searchable word
/// finds nothing (two of them found every document), `AND NOT` excludes (it found nothing),
/// and `ー` before Latin letters or digits does not hide a katakana word.
#[test]
fn queries_as_typed_find_what_they_say() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![
        ("tower".to_string(), "東京 tokyo tower".to_string()),
        ("station".to_string(), "東京 tokyo station".to_string()),
        (
            "user".to_string(),
            "ユーザーIDを入力して、コーヒー3杯".to_string(),
        ),
    ];
    let index = built(dir.path(), &docs);
    let cases: [(&str, &[&str]); 14] = [
        ("東京\u{3000}zzz", &[]),
        ("東京\u{3000}tower", &["tower"]),
        ("tokyo\u{a0}station", &["station"]),
        ("。 。", &[]),
        ("🗼 ❤", &[]),
        ("🗼 -❤", &[]),
        ("tokyo AND NOT tower", &["station"]),
        ("NOT tower AND tokyo", &["station"]),
        ("tokyo NOT tower", &["station"]),
        ("-tower", &["station", "user"]),
        ("NOT tower AND NOT station", &["user"]),
        ("ユーザー", &["user"]),
        ("コーヒー", &["user"]),
        ("ID", &["user"]),
    ];
    assert_finds(&index, &cases);
}

/// The snippet of a hit in text written without spaces is about as many characters each side
/// as a snippet of spaced text has words, and centred on the query's phrase where the
/// document holds it whole, not on a lone word of it found earlier.
#[test]
fn snippets_in_unspaced_text_are_short_and_centred_on_the_phrase() {
    let dir = tempfile::tempdir().unwrap();
    let docs = vec![
        (
            "cjk".to_string(),
            format!("京{}东京都{}", "あ".repeat(1300), "い".repeat(1300)),
        ),
        (
            "latin".to_string(),
            format!("tower {} tokyo tower {}", filler(200), filler(200)),
        ),
    ];
    let index = built(dir.path(), &docs);
    let cjk = snippet_of(&index, "京都", "cjk");
    assert!(cjk.contains("东京都"), "{cjk}");
    assert!(cjk.chars().count() < 100, "{cjk}");
    let latin = snippet_of(&index, "\"tokyo tower\"", "latin");
    assert!(latin.contains("tokyo tower"), "{latin}");
}

/// An index whose full-text index was built with the analyzer before (a run of characters
/// written without spaces one term: `tests/golden/v4-nfc-words`, made by verbatim 59dd079)
/// opens, searches by its own rule and keeps it, and its manifest version, when appended to.
#[test]
fn an_index_built_with_whole_unspaced_runs_searches_and_grows_as_it_was_built() {
    let dir = tempfile::tempdir().unwrap();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v4-nfc-words");
    let out = dir.path().join("idx");
    support::copy_dir(&golden, &out);
    assert_eq!(
        manifest_version(&out),
        verbatim_core::format::NFC_WORDS_MANIFEST_VERSION
    );
    let check = |index: &Index| {
        assert_eq!(ids_of(index, "我们在东京都的大学学习"), ["cjk/1"]);
        assert!(ids_of(index, "东京").is_empty());
        assert_eq!(ids_of(index, "café"), ["accent/1"]);
        assert_eq!(ids_of(index, "CAFE"), ["plain/1"]);
        // A prefix is of the index's own terms: here a whole run of unspaced characters.
        assert_eq!(ids_of(index, "我们在东京*"), ["cjk/1"]);
        assert!(ids_of(index, "东京*").is_empty());
        assert_eq!(ids_of(index, "caf*"), ["accent/1", "plain/1"]);
        assert_eq!(
            index.fulltext().unwrap().terms().of("東京タワー"),
            vec![(0..15, "東京タワー".to_string())]
        );
    };
    check(&Index::open(&out).unwrap());
    let new = support::write_jsonl(
        dir.path(),
        "new.jsonl",
        &[("new/1".to_string(), "新しい東京".to_string())],
    );
    let mut o = verbatim_indexer::BuildOptions::new(vec![new], out.clone(), "");
    o.threads = 2;
    o.append = true;
    verbatim_indexer::build(&o).expect("an append to a format-4 index");
    assert_eq!(
        manifest_version(&out),
        verbatim_core::format::NFC_WORDS_MANIFEST_VERSION
    );
    let index = Index::open(&out).unwrap();
    check(&index);
    assert_eq!(ids_of(&index, "新しい東京"), ["new/1"]);
    assert!(ids_of(&index, "東京").is_empty());
    verbatim_core::verify::verify(&index).expect("verifies after the append");
}
