//! How the full-text index splits text into terms.
//!
//! Full-text indexes built by this verbatim name the analyzer [`NFC_WORDS_UNSPACED`] in their
//! schema (FORMAT.md, `fulltext/`; their manifest carries header version 5). A word is a run of
//! alphanumeric characters and the combining marks that follow them, lowercased character by
//! character (a final sigma `ς` made `σ`), then put in Unicode normalization form C; terms of
//! 40 bytes or more are left out. So a word spelt with a precomposed letter (`café`, U+00E9)
//! and one spelt with a letter and a combining mark (`cafe` + U+0301) are one term, in capitals
//! too (`J̌AMAL` and `ǰamal`; `ΟΔΟΣ` and `οδος`), in documents and in queries alike.
//!
//! Scripts written without spaces between words (Han, Hiragana, Katakana, Bopomofo, Thai,
//! Lao, Khmer, Myanmar, Yi) have no word boundaries to find, so each character used in them
//! ([`written_without_spaces`]: by Unicode's Script_Extensions, so kana's `ー` too) is a term
//! of its own, with the combining marks after it (variation selectors left out), and a run
//! of other letters ends before one. A query word in them (`東京`) is then a phrase of its
//! characters, which finds it wherever the text holds it, inside a longer run too; as one
//! term per run, a run of 14 or more such characters (40 bytes) was left out altogether.
//!
//! Indexes built by earlier versions keep the analyzer their schema names, and are searched
//! and appended to with it, so that their terms still match: [`NFC_WORDS`] (the rule above,
//! with a run in those scripts one term; header version 4), or tantivy's `default` (runs of
//! alphanumeric characters only, not normalized: the combining mark splits `cafe` + U+0301
//! into `cafe` alone).

use tantivy::tokenizer::{
    RemoveLongFilter, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_script::{Script, UnicodeScript};

/// The analyzer name of normalized words, each character of a script written without spaces a
/// term of its own, in a full-text schema: the one this verbatim builds with.
pub const NFC_WORDS_UNSPACED: &str = "verbatim_nfc_words_unspaced";

/// The analyzer name of normalized words, a run in a script written without spaces one term,
/// in the schema of a full-text index built before [`NFC_WORDS_UNSPACED`].
pub const NFC_WORDS: &str = "verbatim_nfc_words";

/// Words of this many bytes or more (after normalization) are not terms, as in tantivy's
/// `default` analyzer.
const LONGEST_TERM: usize = 40;

/// The analyzer named `name` in a full-text schema: [`NFC_WORDS_UNSPACED`], [`NFC_WORDS`],
/// or one of tantivy's built-in analyzers (`default` in indexes built before [`NFC_WORDS`]).
pub fn analyzer_named(name: &str) -> Option<TextAnalyzer> {
    match name {
        NFC_WORDS_UNSPACED => Some(nfc_words(true)),
        NFC_WORDS => Some(nfc_words(false)),
        _ => TokenizerManager::default().get(name),
    }
}

/// Registers [`NFC_WORDS_UNSPACED`] and [`NFC_WORDS`] with a tantivy index, so that it can
/// index and parse queries with them (tantivy knows only its built-in analyzers by name).
pub fn register(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(NFC_WORDS_UNSPACED, nfc_words(true));
    index.tokenizers().register(NFC_WORDS, nfc_words(false));
}

fn nfc_words(split_unspaced: bool) -> TextAnalyzer {
    let tokenizer = NfcWordTokenizer {
        token: Token::default(),
        split_unspaced,
    };
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(LONGEST_TERM))
        .build()
}

/// The scripts written without spaces between words, whose characters [`NFC_WORDS_UNSPACED`]
/// makes a term each (Hangul is written with spaces).
const UNSPACED_SCRIPTS: [Script; 9] = [
    Script::Han,
    Script::Hiragana,
    Script::Katakana,
    Script::Bopomofo,
    Script::Thai,
    Script::Lao,
    Script::Khmer,
    Script::Myanmar,
    Script::Yi,
];

/// Whether `c` is used in a script written without spaces between words: Han, Hiragana,
/// Katakana, Bopomofo, Thai, Lao, Khmer, Myanmar or Yi is one of its Unicode
/// Script_Extensions (so the prolonged sound mark `ー`, of script Common but used only in
/// kana, is one too, and so are a Thai digit and `〇`; digits and punctuation that every
/// script shares are not). Only letters and digits make terms, so Thai punctuation makes none.
pub fn written_without_spaces(c: char) -> bool {
    is_common_kana_or_han(c) || in_unspaced_script(c)
}

/// [`written_without_spaces`] by `c`'s Script_Extensions alone.
fn in_unspaced_script(c: char) -> bool {
    let ext = c.script_extension();
    // Common and Inherited would intersect every script.
    !ext.is_common()
        && !ext.is_inherited()
        && UNSPACED_SCRIPTS.iter().any(|&s| ext.contains_script(s))
}

/// Whether `c` is of the blocks most Chinese and Japanese text is written in:
/// hiragana and katakana letters (U+3041 to U+3096, U+30A1 to U+30FA) and the CJK unified
/// ideographs of the basic block and extension A (U+3400 to U+4DBF, U+4E00 to U+9FFF). Each is
/// [`written_without_spaces`], has no case and is its own form C (checked for every one by a
/// test), so the analyzer takes them without looking them up.
fn is_common_kana_or_han(c: char) -> bool {
    matches!(
        c,
        '\u{3041}'..='\u{3096}' | '\u{30a1}'..='\u{30fa}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}'
    )
}

/// Whether `c` is a variation selector (U+FE00 to U+FE0F, U+E0100 to U+E01EF): a mark that
/// picks one glyph of the character before it, without changing which character it is.
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
}

/// Splits text into runs of alphanumeric characters and the combining marks after them,
/// each lowercased and put in normalization form C (its byte range is the run's in the
/// original text); with `split_unspaced`, a character [`written_without_spaces`] is a run of
/// its own with the marks after it.
#[derive(Clone)]
struct NfcWordTokenizer {
    token: Token,
    split_unspaced: bool,
}

struct NfcWordStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
    split_unspaced: bool,
}

impl Tokenizer for NfcWordTokenizer {
    type TokenStream<'a> = NfcWordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> NfcWordStream<'a> {
        self.token.reset();
        NfcWordStream {
            text,
            at: 0,
            token: &mut self.token,
            split_unspaced: self.split_unspaced,
        }
    }
}

impl NfcWordStream<'_> {
    /// Whether a term is to start at `c` (a character that is not ASCII) and end after it and
    /// its marks: a character [`written_without_spaces`], when the analyzer splits them.
    fn splits_at(&self, c: char) -> bool {
        self.split_unspaced && !is_combining_mark(c) && written_without_spaces(c)
    }

    /// The character at byte `i` of the text, which is not ASCII.
    fn char_at(&self, i: usize) -> char {
        self.text[i..]
            .chars()
            .next()
            .expect("a character starts at i")
    }
}

impl TokenStream for NfcWordStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        // Bytes, with ASCII decided without decoding: most text is mostly ASCII.
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        let from = loop {
            let Some(&b) = bytes.get(i) else {
                self.at = i;
                return false;
            };
            if b.is_ascii() {
                if b.is_ascii_alphanumeric() {
                    break i;
                }
                i += 1;
            } else {
                let c = self.char_at(i);
                if c.is_alphanumeric() {
                    break i;
                }
                i += c.len_utf8();
            }
        };
        let mut ascii = true;
        let alone = !bytes[from].is_ascii() && self.splits_at(self.char_at(from));
        if alone {
            // One character of a script written without spaces, and the marks after it.
            ascii = false;
            i += self.char_at(from).len_utf8();
            while i < bytes.len() && !bytes[i].is_ascii() {
                let c = self.char_at(i);
                if !is_combining_mark(c) {
                    break;
                }
                i += c.len_utf8();
            }
        }
        while let (false, Some(&b)) = (alone, bytes.get(i)) {
            if b.is_ascii() {
                if !b.is_ascii_alphanumeric() {
                    break;
                }
                i += 1;
            } else {
                let c = self.char_at(i);
                let continues = is_combining_mark(c) || (c.is_alphanumeric() && !self.splits_at(c));
                if !continues {
                    break;
                }
                ascii = false;
                i += c.len_utf8();
            }
        }
        self.at = i;
        self.token.offset_from = from;
        self.token.offset_to = i;
        let word = &self.text[from..i];
        if ascii {
            self.token.text.push_str(word);
            self.token.text.make_ascii_lowercase();
        } else if alone
            && word
                .chars()
                .next()
                .is_some_and(|c| c.len_utf8() == word.len() && is_common_kana_or_han(c))
        {
            // Already lowercase and in form C: most terms of Chinese and Japanese text.
            self.token.text.push_str(word);
        } else {
            // Lowercased, then composed: a capital with no precomposed accented form (`J̌`)
            // lowercases to a letter and a mark that compose (`ǰ`). A final sigma is a sigma.
            // Splitting unspaced scripts, a variation selector (which picks a glyph of an
            // ideograph) is left out, so that `葛` + U+E0100 is `葛`.
            let split = self.split_unspaced;
            let lower = word
                .chars()
                .filter(|&c| !(split && is_variation_selector(c)))
                .flat_map(char::to_lowercase)
                .map(|c| if c == 'ς' { 'σ' } else { c });
            self.token.text.extend(lower.nfc());
        }
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, usize, String)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.offset_from, t.offset_to, t.text.clone()));
        }
        out
    }

    /// The terms by the rule in the module documentation, written plainly (`split`: each
    /// character written without spaces a term): for the property test below.
    fn oracle(text: &str, split: bool) -> Vec<(usize, usize, String)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let end_of = |i: usize| chars.get(i).map_or(text.len(), |c| c.0);
        let alone = |c: char| split && !is_combining_mark(c) && written_without_spaces(c);
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].1.is_alphanumeric() {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            let goes_on = |c: char| {
                if alone(chars[i].1) {
                    is_combining_mark(c)
                } else {
                    is_combining_mark(c) || (c.is_alphanumeric() && !alone(c))
                }
            };
            while j < chars.len() && goes_on(chars[j].1) {
                j += 1;
            }
            let (from, to) = (chars[i].0, end_of(j));
            let lower: String = text[from..to]
                .chars()
                .filter(|&c| !(split && is_variation_selector(c)))
                .flat_map(char::to_lowercase)
                .collect::<String>()
                .replace('ς', "σ")
                .nfc()
                .collect();
            if lower.len() < LONGEST_TERM {
                out.push((from, to, lower));
            }
            i = j;
        }
        out
    }

    #[test]
    fn a_precomposed_letter_and_a_letter_with_a_combining_mark_make_one_term() {
        let mut a = nfc_words(true);
        let composed = "Café crème";
        let decomposed = "Cafe\u{301} cre\u{300}me";
        let want = vec!["café".to_string(), "crème".to_string()];
        let texts = |t| {
            terms(&mut nfc_words(true), t)
                .into_iter()
                .map(|x| x.2)
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(composed), want);
        assert_eq!(texts(decomposed), want);
        // Byte ranges are the original text's.
        let t = terms(&mut a, decomposed);
        assert_eq!(&decomposed[t[0].0..t[0].1], "Cafe\u{301}");
        // Capitals with no precomposed accented form, and a final sigma.
        assert_eq!(texts("J\u{30c}AMAL ǰamal"), ["ǰamal", "ǰamal"]);
        assert_eq!(texts("ΟΔΟΣ οδος"), ["οδοσ", "οδοσ"]);
        // tantivy's default analyzer splits at the mark: why old indexes miss such words.
        let mut old = analyzer_named("default").unwrap();
        assert_eq!(terms(&mut old, decomposed)[0].2, "cafe");
    }

    #[test]
    fn marks_with_no_letter_before_them_are_no_word_and_long_words_are_left_out() {
        let mut a = nfc_words(true);
        assert!(terms(&mut a, "\u{301} - \u{300}\u{301}").is_empty());
        let long = "x".repeat(LONGEST_TERM);
        assert_eq!(terms(&mut a, &format!("{long} ok"))[0].2, "ok");
        assert!(analyzer_named("no such analyzer").is_none());
        assert!(analyzer_named(NFC_WORDS).is_some());
        assert!(analyzer_named(NFC_WORDS_UNSPACED).is_some());
    }

    #[test]
    fn the_common_kana_and_han_are_taken_as_the_full_rule_would_take_them() {
        let ranges = [
            0x3041..=0x3096u32,
            0x30a1..=0x30fa,
            0x3400..=0x4dbf,
            0x4e00..=0x9fff,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            assert!(
                in_unspaced_script(c) && c.is_alphanumeric(),
                "U+{:04X}",
                c as u32
            );
            let one = c.to_string();
            let composed: String = one.chars().flat_map(char::to_lowercase).nfc().collect();
            assert_eq!(composed, one, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn each_character_of_a_script_written_without_spaces_is_a_term() {
        let texts = |split: bool, t: &str| {
            terms(&mut nfc_words(split), t)
                .into_iter()
                .map(|x| x.2)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(true, "東京タワーとTokyo"),
            ["東", "京", "タ", "ワ", "ー", "と", "tokyo"]
        );
        // A voiced kana written as a kana and a combining mark is the precomposed one.
        assert_eq!(texts(true, "カ\u{3099}ラス"), ["ガ", "ラ", "ス"]);
        // Thai: a consonant with the vowel and tone marks written over or under it.
        assert_eq!(texts(true, "สวัสดี"), ["ส", "วั", "ส", "ดี"]);
        // A variation selector picks a glyph, not another character.
        assert_eq!(texts(true, "葛\u{e0100}飾"), ["葛", "飾"]);
        // Hangul is written with spaces: its words stay whole.
        assert_eq!(texts(true, "한국어 공부"), ["한국어", "공부"]);
        // The analyzer of indexes built before: a run is one term, and a long one none.
        assert_eq!(texts(false, "東京タワーとTokyo"), ["東京タワーとtokyo"]);
        let long = "東".repeat(14);
        assert!(texts(false, &long).is_empty());
        assert_eq!(texts(true, &long).len(), 14);
    }

    proptest! {
        #[test]
        fn terms_follow_the_rule_and_do_not_depend_on_the_normal_form(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("e"), Just("E"), Just("é"), Just("e\u{301}"), Just("\u{301}"),
                    Just("İ"), Just("ß"), Just("한"), Just("\u{1112}\u{1161}\u{11ab}"),
                    Just(" "), Just("-"), Just("7"), Just("ﬁ"), Just("\u{308}"),
                    Just("J\u{30c}"), Just("ǰ"), Just("Σ"), Just("ς"), Just("Ϊ́"),
                    Just("東"), Just("京"), Just("カ"), Just("ガ"), Just("\u{3099}"),
                    Just("ー"), Just("ส"), Just("\u{e31}"), Just("ດ"), Just("\u{f900}"),
                    Just("\u{fe01}"), Just("\u{e0100}"),
                ],
                0..30,
            ),
            split: bool,
        ) {
            let text: String = parts.concat();
            let mut a = nfc_words(split);
            let got = terms(&mut a, &text);
            prop_assert_eq!(&got, &oracle(&text, split));
            let nfd: String = text.nfd().collect();
            let nfc: String = text.nfc().collect();
            let words = |t: &str, a: &mut TextAnalyzer| {
                terms(a, t).into_iter().map(|x| x.2).collect::<Vec<_>>()
            };
            prop_assert_eq!(words(&nfd, &mut a), words(&nfc, &mut a));
        }
    }
}
