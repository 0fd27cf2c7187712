//! Turning text into token ids and back: a HuggingFace `tokenizer.json`, or raw UTF-8 bytes.
//!
//! The same [`TextTokenizer`] is used to build an index and to query it; the index stores the
//! tokenizer file it was built with, so a query can never be tokenized differently from the
//! corpus.

mod composed;
mod decode_runs;
mod family;
mod fast_bpe;
mod pieces;
mod sentencepiece;
pub mod words;

use crate::error::{Error, Result};
use crate::token::TokenWidth;
use sha2::{Digest, Sha256};

/// A tokenized text: ids and, for each id, the byte range of the input it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoded {
    /// Token ids.
    pub ids: Vec<u32>,
    /// Byte range of the input text covered by each token.
    pub offsets: Vec<(usize, usize)>,
}

/// Which tokenizer an index uses.
pub enum TextTokenizer {
    /// Raw UTF-8 bytes, one token per byte (tokenizer-free, like infini-gram mini).
    Bytes,
    /// A HuggingFace tokenizer loaded from `tokenizer.json` bytes.
    Hf(Box<HfTokenizer>),
    /// No tokenizer: token ids only (an infini-gram index served without a side directory).
    /// Texts cannot be tokenized; decoding shows each id as `⟨id⟩`.
    Ids {
        /// Number of token ids.
        vocab_size: u32,
        /// Token width of the index.
        width: TokenWidth,
    },
}

/// A loaded HuggingFace tokenizer and the per-id facts the query engine needs.
pub struct HfTokenizer {
    inner: tokenizers::Tokenizer,
    vocab_size: u32,
    word_start: Vec<bool>,
    /// Whether each id's first byte is a UTF-8 continuation byte (read once at load, so that
    /// span edges cost a table look-up).
    starts_inside_char: Vec<bool>,
    sha256: String,
    family: String,
    fast: Option<fast_bpe::FastBpe>,
    /// The bytes of every id, when the decoder is ByteLevel (decoding is then their
    /// concatenation), whether or not the fast encoder applies (OLMo 2's pre-tokenizer is one
    /// it does not know).
    decode_table: Option<Vec<Box<[u8]>>>,
    /// Each id's piece, when the decoder is SentencePiece's with byte fallback (Llama 2's).
    sentencepiece: Option<sentencepiece::SentencePieceDecoder>,
    /// Words of token ranges read from the ids, built on first use (byte-level BPE only).
    words: std::sync::OnceLock<Option<words::WordTable>>,
    /// The id standing for text the vocabulary cannot spell (WordPiece's `[UNK]`), when
    /// the model has one and no byte fallback.
    unknown: Option<u32>,
    /// Whether decoded text has punctuation written apart from its words (see
    /// [`TextTokenizer::spaces_punctuation`]).
    spaces_punctuation: bool,
}

/// The id of the model's unknown token, when text it cannot spell becomes that token (a
/// `unk_token` and no `byte_fallback`, which spells every character in bytes instead).
fn unknown_id(json: &serde_json::Value, inner: &tokenizers::Tokenizer) -> Option<u32> {
    let model = &json["model"];
    if model["byte_fallback"].as_bool() == Some(true) {
        return None;
    }
    match &model["unk_token"] {
        serde_json::Value::String(t) => inner.token_to_id(t),
        // A Unigram model names its unknown piece by id.
        serde_json::Value::Number(n) if model["type"] == "Unigram" => {
            n.as_u64().and_then(|n| u32::try_from(n).ok())
        }
        _ => None,
    }
}

/// The byte of a SentencePiece byte-fallback token (`<0x0A>`: a newline), if `t` is one.
fn fallback_byte(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    (hex.len() == 2).then(|| u8::from_str_radix(hex, 16).ok())?
}

/// A UTF-8 continuation byte: one that cannot begin a character.
pub(crate) fn is_continuation_byte(b: u8) -> bool {
    (0x80..0xC0).contains(&b)
}

/// The length of the UTF-8 character that lead byte `b` starts (`None`: not a lead byte of a
/// multi-byte character).
pub(crate) fn multibyte_len(b: u8) -> Option<usize> {
    match b {
        0xC0..=0xDF => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF7 => Some(4),
        _ => None,
    }
}

impl TextTokenizer {
    /// Loads a `tokenizer.json` from its bytes. Nothing is downloaded.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<TextTokenizer> {
        let mut json = serde_json::from_slice::<serde_json::Value>(bytes).ok();
        // Offsets say which text a span counted, so every token must cover its own bytes:
        // ByteLevel's `trim_offsets` cuts a token's spaces from its range (GPT-NeoX's ` Good`
        // covered `Good` and a run of spaces nothing, so a span showed `Good` with the count
        // of `    Good`, and whitespace alone was no span). Ids do not change.
        let untrimmed = json
            .as_mut()
            .is_some_and(|j| pieces::untrim_offsets(&mut j["post_processor"]));
        let mut inner = match &json {
            Some(j) if untrimmed => tokenizers::Tokenizer::from_bytes(j.to_string()),
            _ => tokenizers::Tokenizer::from_bytes(bytes),
        }
        .map_err(|e| Error::Tokenizer(format!("cannot load tokenizer.json: {e}")))?;
        // A tokenizer.json saved for batched model input may pad every text to a fixed length
        // or cut it at one (BERT's: 128). Neither belongs in an index or a query: padding
        // would index pad tokens and match them, truncation would drop the rest of a document.
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(format!("cannot turn truncation off: {e}")))?;
        // Ids run up to the highest one, which a vocabulary with gaps puts past its size.
        let vocab_size = inner
            .get_vocab(true)
            .values()
            .map(|&id| id.saturating_add(1))
            .max()
            .unwrap_or(0)
            .max(inner.get_vocab_size(true) as u32);
        let added: std::collections::HashSet<u32> =
            inner.get_added_tokens_decoder().keys().copied().collect();
        // WordPiece marks the pieces that go on a word (`##ing`): every other piece starts one.
        // Other vocabularies mark the pieces that start one (a leading space, `Ġ` or `▁`).
        let continuing = json
            .as_ref()
            .filter(|j| j["model"]["type"] == "WordPiece")
            .map(|j| {
                j["model"]["continuing_subword_prefix"]
                    .as_str()
                    .unwrap_or("##")
                    .to_string()
            });
        let word_start = (0..vocab_size)
            .map(|id| {
                if added.contains(&id) {
                    return true;
                }
                match (inner.id_to_token(id), &continuing) {
                    (None, _) => false,
                    (Some(t), Some(prefix)) => !t.starts_with(prefix.as_str()),
                    (Some(t), None) => {
                        // A byte-level piece starting with a space, tab, line end (`\r`
                        // too, as in byte mode), vertical tab or form feed; a SentencePiece
                        // `▁`; punctuation alone, Unicode's too (`“`, `…`), or an opening
                        // bracket or quote before a word (`“I`).
                        // A piece of raw whitespace (SentencePiece's `\r`, Llama 2's id
                        // 28801) starts one too, as its byte-fallback form `<0x0D>` does.
                        let first = t.chars().next();
                        matches!(first, Some('Ġ' | 'Ċ' | 'ĉ' | 'č' | 'ċ' | 'Č' | '▁'))
                            || matches!(first, Some(' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}'))
                            || (!t.is_empty() && t.bytes().all(|b| b.is_ascii_punctuation()))
                            || fallback_byte(&t).is_some_and(pieces::is_ascii_boundary_byte)
                            || pieces::starts_word_by_punctuation(&t)
                    }
                }
            })
            .collect();
        let fast = json.as_ref().and_then(|json| {
            let mut f = fast_bpe::FastBpe::detect(json, &inner)?;
            f.build_offset_rules(json, &inner, vocab_size);
            Some(f)
        });
        let decode_table = json
            .as_ref()
            .and_then(|json| fast_bpe::byte_level_decode_table(json, &inner, vocab_size));
        let sentencepiece = json
            .as_ref()
            .and_then(|json| sentencepiece::SentencePieceDecoder::detect(json, &inner, vocab_size));
        let unknown = json.as_ref().and_then(|j| unknown_id(j, &inner));
        // WordPiece's decoder joins pieces with spaces (`info @ eun. org`); without a
        // decoder, HuggingFace joins the pieces of any model so.
        let spaces_punctuation = json.as_ref().is_some_and(|j| {
            j["decoder"]["type"] == "WordPiece"
                || (j["decoder"].is_null() && j["model"]["type"] == "WordPiece")
        });
        let starts_inside_char = (0..vocab_size)
            .map(|id| {
                let first = match decode_table.as_deref() {
                    Some(table) => table.get(id as usize).and_then(|b| b.first().copied()),
                    None => inner.id_to_token(id).as_deref().and_then(fallback_byte),
                };
                first.is_some_and(is_continuation_byte)
            })
            .collect();
        let sha256 = sha256_hex(bytes);
        Ok(TextTokenizer::Hf(Box::new(HfTokenizer {
            inner,
            vocab_size,
            word_start,
            starts_inside_char,
            family: family::family_of(&sha256, json.as_ref(), vocab_size),
            sha256,
            fast,
            decode_table,
            sentencepiece,
            words: std::sync::OnceLock::new(),
            unknown,
            spaces_punctuation,
        })))
    }

    /// Loads a tokenizer from a path, or raw bytes when `spec` is `bytes`.
    pub fn from_spec(spec: &str) -> Result<(TextTokenizer, Option<Vec<u8>>)> {
        if spec == "bytes" {
            return Ok((TextTokenizer::Bytes, None));
        }
        let path = std::path::Path::new(spec);
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Ok((TextTokenizer::from_json_bytes(&bytes)?, Some(bytes)))
    }

    /// Number of ids the tokenizer can produce.
    pub fn vocab_size(&self) -> u32 {
        match self {
            TextTokenizer::Bytes => 255,
            TextTokenizer::Hf(h) => h.vocab_size,
            TextTokenizer::Ids { vocab_size, .. } => *vocab_size,
        }
    }

    /// Token width an index of this tokenizer uses.
    pub fn width(&self) -> TokenWidth {
        match self {
            TextTokenizer::Bytes => TokenWidth::U8,
            TextTokenizer::Hf(h) => TokenWidth::for_vocab(h.vocab_size),
            TextTokenizer::Ids { width, .. } => *width,
        }
    }

    /// sha256 of the tokenizer file, or `"bytes"`.
    pub fn identity(&self) -> String {
        match self {
            TextTokenizer::Bytes => "bytes".to_string(),
            TextTokenizer::Hf(h) => h.sha256.clone(),
            TextTokenizer::Ids { .. } => "ids".to_string(),
        }
    }

    /// The model family, for people: `OLMo (GPT-NeoX)`, `GPT-2`, ... for known tokenizer
    /// files, otherwise the tokenizer's shape (`byte-level BPE, 50,257 ids`).
    pub fn family(&self) -> String {
        match self {
            TextTokenizer::Bytes => "raw UTF-8 bytes".to_string(),
            TextTokenizer::Hf(h) => h.family.clone(),
            TextTokenizer::Ids { .. } => "token ids only (no tokenizer attached)".to_string(),
        }
    }

    /// Tokenizes `text` for indexing (no special tokens added, no offsets).
    pub fn encode_ids(&self, text: &str) -> Result<Vec<u32>> {
        match self {
            TextTokenizer::Bytes => Ok(text.bytes().map(u32::from).collect()),
            TextTokenizer::Ids { .. } => Err(no_tokenizer()),
            TextTokenizer::Hf(h) => match &h.fast {
                Some(fast) => fast
                    .encode(h.inner.get_model(), text)
                    .map_err(Error::Tokenizer),
                None => h
                    .inner
                    .encode_fast(text, false)
                    .map(|e| e.get_ids().to_vec())
                    .map_err(|e| Error::Tokenizer(e.to_string())),
            },
        }
    }

    /// Tokenizes with the full HuggingFace pipeline even where a fast path exists (reference).
    pub fn encode_ids_reference(&self, text: &str) -> Result<Vec<u32>> {
        match self {
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => self.encode_ids(text),
            TextTokenizer::Hf(h) => h
                .inner
                .encode_fast(text, false)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| Error::Tokenizer(e.to_string())),
        }
    }

    /// Decodes with the full HuggingFace pipeline even where a fast path exists (reference).
    pub fn decode_reference(&self, ids: &[u32]) -> String {
        match self {
            TextTokenizer::Hf(h) => h.inner.decode(ids, false).unwrap_or_default(),
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => self.decode(ids),
        }
    }

    /// How to read the words of decoded token ranges from the ids, when decoding is the
    /// concatenation of each token's bytes (byte-level BPE); built on first use.
    pub fn word_table(&self) -> Option<&words::WordTable> {
        match self {
            TextTokenizer::Hf(h) => h
                .words
                .get_or_init(|| {
                    Some(words::WordTable::from_token_bytes(
                        h.decode_table.as_deref()?,
                    ))
                })
                .as_ref(),
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => None,
        }
    }

    /// Whether the fast byte-level BPE path is in use.
    pub fn has_fast_path(&self) -> bool {
        matches!(self, TextTokenizer::Hf(h) if h.fast.is_some())
    }

    /// Tokenizes `text` with byte offsets into it (no special tokens added).
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        match self {
            TextTokenizer::Ids { .. } => Err(no_tokenizer()),
            TextTokenizer::Bytes => Ok(Encoded {
                ids: text.bytes().map(u32::from).collect(),
                offsets: (0..text.len()).map(|i| (i, i + 1)).collect(),
            }),
            TextTokenizer::Hf(h) => {
                // The fast path gives the same ids and offsets several times sooner wherever
                // normalisation leaves the text unchanged (tested against the full pipeline below).
                if let (Some(fast), Some(table)) = (&h.fast, h.decode_table.as_deref()) {
                    if let Some(r) = fast.encode_with_offsets(h.inner.get_model(), table, text) {
                        let (ids, offsets) = r.map_err(Error::Tokenizer)?;
                        return Ok(Encoded { ids, offsets });
                    }
                }
                h.encode_reference(text)
            }
        }
    }

    /// Tokenizes with offsets through the full HuggingFace pipeline (reference).
    pub fn encode_reference(&self, text: &str) -> Result<Encoded> {
        match self {
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => self.encode(text),
            TextTokenizer::Hf(h) => h.encode_reference(text),
        }
    }

    /// Turns ids back into text. Where ids are bytes (raw bytes, a byte-level vocabulary,
    /// SentencePiece's fallback bytes), the parts of characters cut at either edge (a window of
    /// a document starting or ending inside one) are left out rather than shown as U+FFFD,
    /// which the document does not hold; invalid bytes inside become U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        match self {
            TextTokenizer::Bytes => {
                let bytes: Vec<u8> = ids.iter().map(|&i| i as u8).collect();
                fast_bpe::lossy_without_cut_edges(&bytes)
            }
            TextTokenizer::Hf(h) => match (h.decode_table.as_deref(), &h.sentencepiece) {
                (Some(table), _) => fast_bpe::decode_with_table(table, ids),
                (None, Some(sp)) => sp.decode(ids),
                (None, None) => {
                    let text = h.inner.decode(ids, false).unwrap_or_default();
                    // WordPiece writes a continuation piece's `##` unless a piece comes
                    // before it: a window starting inside a word (`##vably` of `unbelievably`)
                    // shows the word's rest, which its document holds, not the marker.
                    match ids.first() {
                        Some(&first) if h.spaces_punctuation && !self.is_word_start(first) => {
                            text.strip_prefix("##").map(str::to_string).unwrap_or(text)
                        }
                        _ => text,
                    }
                }
            },
            TextTokenizer::Ids { .. } => ids.iter().map(|i| format!("⟨{i}⟩")).collect(),
        }
    }

    /// Whether decoded text writes punctuation apart from its words, as WordPiece's decoder
    /// does (`info@eun.org` decodes as `info @ eun. org`): the privacy filter then also reads
    /// the text with those spaces closed up ([`crate::pii::Margins::spaced_punctuation`]).
    pub fn spaces_punctuation(&self) -> bool {
        match self {
            TextTokenizer::Hf(h) => h.spaces_punctuation,
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => false,
        }
    }

    /// Whether decoding ids is concatenating each id's text (a byte table: raw bytes, or a
    /// byte-level vocabulary), so that ranges decoded apart join as decoded together.
    pub fn decodes_by_concatenation(&self) -> bool {
        match self {
            TextTokenizer::Hf(h) => h.decode_table.is_some(),
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => true,
        }
    }

    /// The vocabulary entry of each id (HuggingFace's `convert_ids_to_tokens`: `Ġthe`,
    /// `▁the`; bytes as one character each; `⟨id⟩` without a tokenizer). Unknown ids give
    /// an empty string.
    pub fn id_pieces(&self, ids: &[u32]) -> Vec<String> {
        match self {
            TextTokenizer::Bytes => ids
                .iter()
                .map(|&i| char::from_u32(i).map(String::from).unwrap_or_default())
                .collect(),
            TextTokenizer::Hf(h) => ids
                .iter()
                .map(|&i| h.inner.id_to_token(i).unwrap_or_default())
                .collect(),
            TextTokenizer::Ids { .. } => ids.iter().map(|i| format!("⟨{i}⟩")).collect(),
        }
    }

    /// The vocabulary entry of one id, `None` for an id outside the vocabulary (as
    /// HuggingFace's `convert_ids_to_tokens` answers: the document separator, for one).
    pub fn id_piece(&self, id: u32) -> Option<String> {
        match self {
            TextTokenizer::Bytes => (id < 256).then(|| char::from_u32(id).map(String::from))?,
            TextTokenizer::Hf(h) => h.inner.id_to_token(id),
            TextTokenizer::Ids { .. } => Some(format!("⟨{id}⟩")),
        }
    }

    /// The id of a vocabulary entry (`<|endoftext|>`), if the tokenizer has it.
    pub fn piece_id(&self, piece: &str) -> Option<u32> {
        match self {
            TextTokenizer::Hf(h) => h.inner.token_to_id(piece),
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => None,
        }
    }

    /// Whether `c` may be folded by this tokenizer's normaliser into the character before it
    /// (a combining mark, a Hangul vowel or final jamo; raw bytes: never). NFC also reorders
    /// and composes marks that are not next to their letter (`a` + U+0332 + U+0301 is `á` +
    /// U+0332), and HuggingFace's offsets then name the wrong characters: a span never begins
    /// or ends right before such a character ([`crate::query::spans`]).
    pub fn folds_into_previous(&self, c: char) -> bool {
        matches!(self, TextTokenizer::Hf(_)) && composed::composes_with_previous(c)
    }

    /// Whether token `id` begins inside a character: its first byte is a UTF-8 continuation
    /// byte (a byte-level token, a raw byte, or a SentencePiece byte-fallback piece
    /// `<0x80>`..`<0xBF>`). Other pieces hold whole characters.
    pub fn starts_inside_char(&self, id: u32) -> bool {
        match self {
            TextTokenizer::Bytes => u8::try_from(id).is_ok_and(is_continuation_byte),
            TextTokenizer::Hf(h) => h
                .starts_inside_char
                .get(id as usize)
                .copied()
                .unwrap_or(false),
            TextTokenizer::Ids { .. } => false,
        }
    }

    /// The id standing for any text the vocabulary cannot spell (WordPiece's `[UNK]`), if
    /// the tokenizer has one: two texts with that id in the same place may differ there, so
    /// no span may hold it.
    pub fn unknown_id(&self) -> Option<u32> {
        match self {
            TextTokenizer::Hf(h) => h.unknown,
            TextTokenizer::Bytes | TextTokenizer::Ids { .. } => None,
        }
    }

    /// Whether a token begins a word: it starts with whitespace, is all punctuation, or is an
    /// added/special token (infini-gram's and OLMoTrace's "bow" rule).
    pub fn is_word_start(&self, id: u32) -> bool {
        match self {
            TextTokenizer::Bytes => id < 256 && pieces::is_ascii_boundary_byte(id as u8),
            TextTokenizer::Hf(h) => h.word_start.get(id as usize).copied().unwrap_or(false),
            // Without a tokenizer nothing is known about words: every token may start one.
            TextTokenizer::Ids { .. } => true,
        }
    }

    /// The id a text (e.g. `"."` or `"\n"`) takes as one token in running text: after a word,
    /// where a delimiter occurs. That is not always its encoding alone: SentencePiece encodes
    /// `"."` alone as `"▁."` (a space opens every text) but `"x."` with `"."`, and `"\n"`
    /// alone as two tokens but after a word as the one byte token `<0x0A>`. Failing that, the
    /// text alone when it is one token; `None` when it is never one. WordPiece splits words
    /// at spaces and punctuation before it looks up pieces, so a text is one of its words
    /// as it is alone: after a word it would be that word's continuation (`cat` after `x` is
    /// `##cat`, which never occurs where the word `cat` does).
    pub fn single_token(&self, text: &str) -> Option<u32> {
        let after = |word: &str| -> Option<u32> {
            let base = self.encode_ids(word).ok()?;
            let ids = self.encode_ids(&format!("{word}{text}")).ok()?;
            (ids.len() == base.len() + 1 && ids.starts_with(&base)).then(|| ids[base.len()])
        };
        let alone = || {
            let ids = self.encode_ids(text).ok()?;
            (ids.len() == 1).then(|| ids[0])
        };
        if self.spaces_punctuation() {
            return alone().or_else(|| after("x"));
        }
        after("x").or_else(|| after("the")).or_else(alone)
    }
}

impl HfTokenizer {
    /// Ids and offsets from the full HuggingFace pipeline.
    fn encode_reference(&self, text: &str) -> Result<Encoded> {
        let e = self
            .inner
            .encode(text, false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let mut offsets = e.get_offsets().to_vec();
        composed::cover_combining_marks(text, &mut offsets);
        Ok(Encoded {
            ids: e.get_ids().to_vec(),
            offsets,
        })
    }
}

/// The error of tokenizing text without a tokenizer.
fn no_tokenizer() -> Error {
    Error::Invalid(
        "this index has no tokenizer (an infini-gram index served without a side directory): \
         query it with token ids (`query_ids` in infini-gram's API), or attach a tokenizer \
         with `verbatim attach`"
            .into(),
    )
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo tokenizer (OLMo's GPT-NeoX), loaded once for all tests.
    fn demo_tokenizer() -> &'static TextTokenizer {
        static TOKENIZER: std::sync::OnceLock<TextTokenizer> = std::sync::OnceLock::new();
        TOKENIZER.get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../corpora/demo/tokenizer.json"
            );
            TextTokenizer::from_spec(path).unwrap().0
        })
    }

    const TRICKY: &[&str] = &[
        "Hello, world! It's 2024 -- they'll've done it.\n\n  Indented\tline  ",
        "a\u{a0}\u{a0}b a\u{3000}\u{3000}b x\u{2028}y a \u{85}b",
        "Cafe\u{301} cafe\u{301} naïve — déjà vu; 東京 🦀🦀 emoji",
        "<|endoftext|>x |||IP_ADDRESS||| and   three   spaces                          many",
        "numbers 1234567 and 3.14159, 'quoted' 'S 'T 'RE 'Ll",
        "",
        " ",
        "\n",
        "trailing spaces   ",
    ];

    #[test]
    fn fast_path_equals_the_huggingface_pipeline() {
        let tok = demo_tokenizer();
        assert!(tok.has_fast_path());
        for t in TRICKY {
            assert_eq!(
                tok.encode_ids(t).unwrap(),
                tok.encode_ids_reference(t).unwrap(),
                "{t:?}"
            );
        }
    }

    /// ASCII texts with what makes offsets hard: runs of spaces (the tokenizer has added tokens
    /// for runs of 2-24 spaces), tabs, newlines, contractions, added tokens, punctuation.
    const OFFSET_CASES: &[&str] = &[
        "Hello, world! It's 2024 -- they'll've done it.\n\n  Indented\tline  ",
        "<|endoftext|>x |||IP_ADDRESS||| and   three   spaces                          many",
        "  leading two, trailing two  ",
        " \t \n\r\n  \t\t  x",
        "a                                                  b",
        "def f(x):\n    return x  # comment\n\n\n    \n",
        " ",
        "",
        "'s 'S's''s ''",
    ];

    #[test]
    fn fast_offsets_equal_the_huggingface_pipeline() {
        let tok = demo_tokenizer();
        // The fast path is taken for ASCII and for NFC text, not for text that NFC changes.
        let TextTokenizer::Hf(h) = tok else {
            panic!("a HuggingFace tokenizer")
        };
        let fast = h.fast.as_ref().expect("the fast path");
        let table = h.decode_table.as_deref().expect("a byte-level decoder");
        let model = h.inner.get_model();
        assert!(fast
            .encode_with_offsets(model, table, "plain ascii")
            .is_some());
        assert!(fast
            .encode_with_offsets(model, table, "naïve “quotes” 東京 🦀")
            .is_some());
        assert!(fast
            .encode_with_offsets(model, table, "cafe\u{301}")
            .is_none());
        for t in OFFSET_CASES.iter().chain(TRICKY) {
            assert_eq!(
                tok.encode(t).unwrap(),
                tok.encode_reference(t).unwrap(),
                "{t:?}"
            );
        }
    }

    /// NFC composes `e` + U+0301 into `é`, whose token covers both (HuggingFace's, the `e`).
    #[test]
    fn a_composed_character_covers_its_combining_marks() {
        let tok = demo_tokenizer();
        let text = "cafe\u{301} au lait";
        let e = tok.encode(text).unwrap();
        let ends: Vec<usize> = e.offsets.iter().map(|o| o.1).collect();
        assert!(ends.contains(&6) && !ends.contains(&4), "{:?}", e.offsets);
        let mut offsets = e.offsets.clone();
        offsets.dedup();
        assert!(offsets.windows(2).all(|w| w[0].1 <= w[1].0), "{offsets:?}");
        // Conjoining jamo NFC composes into a syllable are the syllable's too.
        let text = "a \u{1102}\u{1161}";
        let e = tok.encode(text).unwrap();
        assert_eq!(e.offsets.last().unwrap().1, text.len(), "{:?}", e.offsets);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        #[test]
        fn fast_offsets_equal_the_huggingface_pipeline_on_random_text(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[ ]{1,30}",
                    "[\t\n\r ]{1,4}",
                    "[A-Za-z]{1,8}",
                    "[0-9]{1,5}",
                    "[!-/:-@\\[-`{-~]{1,3}",
                    proptest::strategy::Just("'s".to_string()),
                    proptest::strategy::Just("<|endoftext|>".to_string()),
                    proptest::strategy::Just("|||EMAIL_ADDRESS|||".to_string()),
                    // Multi-byte characters: accents (precomposed and combining), CJK, emoji,
                    // Unicode spaces and line separators, a lone combining mark.
                    "[éüßœ—“”‘’…東京語🦀😀\u{a0}\u{3000}\u{2028}\u{85}]{1,4}",
                    proptest::strategy::Just("e\u{301}".to_string()),
                    proptest::strategy::Just("\u{301}".to_string()),
                ],
                0..40,
            )
        ) {
            let tok = demo_tokenizer();
            let text = parts.concat();
            proptest::prop_assert_eq!(tok.encode(&text).unwrap(), tok.encode_reference(&text).unwrap(), "{:?}", text);
        }
    }

    /// The demo tokenizer with the ids of its model vocabulary reversed (added tokens keep
    /// theirs): the same pieces, other ids.
    fn permuted_demo_tokenizer() -> TextTokenizer {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../corpora/demo/tokenizer.json"
        );
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let added: std::collections::HashSet<u64> = json["added_tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_u64().unwrap())
            .collect();
        let vocab = json["model"]["vocab"].as_object_mut().unwrap();
        let mut ids: Vec<u64> = vocab
            .values()
            .filter_map(|v| v.as_u64())
            .filter(|i| !added.contains(i))
            .collect();
        ids.sort_unstable();
        let rev: std::collections::HashMap<u64, u64> = ids
            .iter()
            .zip(ids.iter().rev())
            .map(|(a, b)| (*a, *b))
            .collect();
        for v in vocab.values_mut() {
            if let Some(n) = v.as_u64().and_then(|i| rev.get(&i)) {
                *v = (*n).into();
            }
        }
        TextTokenizer::from_json_bytes(&serde_json::to_vec(&json).unwrap()).unwrap()
    }

    /// Issue 16, item 1: two byte-level BPE tokenizers used in turn on one thread each give
    /// their own ids (the piece cache was per thread only, so the second got the first's).
    #[test]
    fn issue16_two_tokenizers_on_one_thread_keep_their_own_ids() {
        let (a, b) = (demo_tokenizer(), permuted_demo_tokenizer());
        assert!(a.has_fast_path() && b.has_fast_path());
        for t in TRICKY.iter().chain(OFFSET_CASES) {
            for _ in 0..2 {
                for tok in [a, &b] {
                    let want = tok.encode_ids_reference(t).unwrap();
                    assert_eq!(tok.encode_ids(t).unwrap(), want, "{t:?}");
                    assert_eq!(tok.encode(t).unwrap().ids, want, "{t:?}");
                }
            }
        }
        assert_ne!(
            a.encode_ids("the best of times").unwrap(),
            b.encode_ids("the best of times").unwrap()
        );
    }

    #[test]
    fn families_of_known_and_unknown_tokenizers() {
        assert_eq!(demo_tokenizer().family(), "OLMo (GPT-NeoX)");
        assert_eq!(
            permuted_demo_tokenizer().family(),
            "byte-level BPE, 50,280 ids"
        );
        assert_eq!(TextTokenizer::Bytes.family(), "raw UTF-8 bytes");
    }

    #[test]
    fn fast_decode_equals_the_huggingface_decoder_but_for_characters_cut_at_the_edges() {
        let tok = demo_tokenizer();
        for t in TRICKY {
            let ids = tok.encode_ids(t).unwrap();
            for a in 0..ids.len() {
                for b in a..=ids.len().min(a + 4) {
                    // HuggingFace's shows a character cut at an edge as U+FFFD; the fast
                    // decoder leaves it out (the texts hold no U+FFFD of their own).
                    assert_eq!(
                        tok.decode(&ids[a..b]),
                        tok.decode_reference(&ids[a..b]).trim_matches('\u{fffd}'),
                        "{t:?} {a}..{b}"
                    );
                }
            }
            assert_eq!(tok.decode(&ids), tok.decode_reference(&ids));
        }
    }

    /// An added token whose `id` in the file lies past the vocabulary (the pipeline renumbers
    /// it on loading) gets the pipeline's id on the fast path too, inside the vocabulary.
    #[test]
    fn an_added_token_numbered_past_the_vocabulary_gets_the_pipelines_id() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../corpora/demo/tokenizer.json"
        );
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let far = json["model"]["vocab"].as_object().unwrap().len() as u64 + 100;
        json["added_tokens"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "id": far, "content": "<|extra|>", "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true
            }));
        let tok = TextTokenizer::from_json_bytes(&serde_json::to_vec(&json).unwrap()).unwrap();
        let text = "before <|extra|> after";
        let ids = tok.encode_ids(text).unwrap();
        assert_eq!(ids, tok.encode_ids_reference(text).unwrap());
        assert!(ids.iter().all(|&i| i < tok.vocab_size()), "{ids:?}");
    }

    /// Any window of a document's ids decodes to text the document holds: characters cut at
    /// its edges are left out (they were U+FFFD, which the document does not hold).
    #[test]
    fn windows_decode_to_text_of_the_document() {
        let text = "naïve résumé ☃ 🦀 déjà vu";
        for tok in [&TextTokenizer::Bytes, demo_tokenizer()] {
            let ids = tok.encode_ids(text).unwrap();
            for a in 0..ids.len() {
                for b in a..=ids.len() {
                    let got = tok.decode(&ids[a..b]);
                    assert!(text.contains(&got), "{a}..{b}: {got:?}");
                }
            }
        }
        assert_eq!(fast_bpe::lossy_without_cut_edges(b"a\xffb"), "a\u{fffd}b");
    }
}
