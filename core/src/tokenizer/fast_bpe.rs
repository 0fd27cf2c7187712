//! A fast, exact path for byte-level BPE tokenizers (GPT-2, GPT-NeoX, OLMo).
//!
//! The HuggingFace pipeline builds offset alignments for every byte and allocates per token;
//! measured on Gutenberg books it tokenizes about 1 MB/s per core and does not scale past one
//! core on long documents (page-fault bound). For indexing we only need ids, so this path:
//! 1. NFC-normalises the text with the HuggingFace normaliser itself (only when it is not
//!    ASCII: NFC leaves ASCII unchanged);
//! 2. splits out added tokens (leftmost-longest, as HuggingFace's added vocabulary does);
//! 3. pre-tokenizes with the GPT-2 pattern, emulating its `\s+(?!\S)` look-ahead (a run of
//!    whitespace followed by a non-space gives back its last character);
//! 4. maps each piece's bytes to the byte-level alphabet and runs the tokenizer's own BPE model,
//!    memoising piece → ids in a cache per thread *and per tokenizer*: the cache lives inside
//!    the [`FastBpe`] (a `thread_local::ThreadLocal`), so two tokenizers in one process (a
//!    server with indexes of several tokenizers) never see each other's ids, and it is freed
//!    with its tokenizer.
//!
//! It is used only when the tokenizer file has exactly that shape (checked in [`FastBpe::detect`]);
//! any other tokenizer goes through the full HuggingFace pipeline. The integration tests compare
//! its output with the Python `tokenizers` package on real documents.
//!
//! Queries also need each token's byte range. For text that NFC leaves unchanged (ASCII or
//! already NFC: nearly every model output) [`FastBpe::encode_with_offsets`] derives them from
//! the token bytes and HuggingFace's offset trimming; other text takes the full pipeline. Unit
//! tests compare both with the pipeline.

use aho_corasick::{AhoCorasick, MatchKind};
use std::cell::RefCell;
use std::collections::HashMap;
use thread_local::ThreadLocal;
use tokenizers::{Model, NormalizedString};

/// GPT-2's pre-tokenization pattern without its look-ahead alternative (emulated in code).
const PATTERN: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+";

/// Pieces memoised per thread before the cache is cleared.
const CACHE_CAP: usize = 1 << 20;

/// Piece → ids, for one thread of one tokenizer.
type PieceCache = RefCell<HashMap<Box<str>, Box<[u32]>>>;

/// The fast path's state for one tokenizer.
pub struct FastBpe {
    nfc: bool,
    added: Option<(AhoCorasick, Vec<u32>)>,
    pattern: regex::Regex,
    byte_chars: [char; 256],
    /// How to report offsets like the full pipeline, when the decode table exists.
    offset_rules: Option<OffsetRules>,
    /// Memoised pieces: one map per thread, owned by this tokenizer (issue 16: a cache shared
    /// by all tokenizers of a process gave one tokenizer's ids to another's queries).
    cache: ThreadLocal<PieceCache>,
}

/// The bytes of every id, exactly as HuggingFace's ByteLevel decoder turns a token into bytes
/// (its characters mapped back through the byte alphabet, or its raw UTF-8 when a character is
/// outside it), if `json` uses that decoder: decoding is then the concatenation of these
/// bytes, read as UTF-8 with invalid sequences replaced.
pub fn byte_level_decode_table(
    json: &serde_json::Value,
    tok: &tokenizers::Tokenizer,
    vocab: u32,
) -> Option<Vec<Box<[u8]>>> {
    if json["decoder"]["type"] != "ByteLevel" {
        return None;
    }
    Some(
        (0..vocab)
            .map(|id| {
                let Some(t) = tok.id_to_token(id) else {
                    return Box::default();
                };
                let mapped: Option<Vec<u8>> = t.chars().map(byte_of_char).collect();
                mapped
                    .unwrap_or_else(|| t.as_bytes().to_vec())
                    .into_boxed_slice()
            })
            .collect(),
    )
}

/// The bytes of `ids` in a [`byte_level_decode_table`] (ids outside it have none).
pub fn bytes_with_table(table: &[Box<[u8]>], ids: &[u32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(ids.len() * 4);
    for &id in ids {
        if let Some(b) = table.get(id as usize) {
            bytes.extend_from_slice(b);
        }
    }
    bytes
}

/// Decodes `ids` with a [`byte_level_decode_table`] (ids outside it decode to nothing).
pub fn decode_with_table(table: &[Box<[u8]>], ids: &[u32]) -> String {
    match String::from_utf8(bytes_with_table(table, ids)) {
        Ok(s) => s,
        Err(e) => lossy_without_cut_edges(e.as_bytes()),
    }
}

/// `bytes` as text without the parts of characters cut at either end (continuation bytes
/// before the first character, a character's first bytes after the last); invalid bytes
/// inside become U+FFFD. Valid UTF-8 comes back as it is.
pub fn lossy_without_cut_edges(bytes: &[u8]) -> String {
    let continuation = super::is_continuation_byte;
    let start = bytes
        .iter()
        .take(3)
        .take_while(|&&b| continuation(b))
        .count();
    let mut end = bytes.len();
    let tail = end.saturating_sub(3).max(start);
    if let Some(lead) = (tail..end).rev().find(|&i| !continuation(bytes[i])) {
        let len = super::multibyte_len(bytes[lead]).unwrap_or(1);
        if lead + len > end {
            end = lead;
        }
    }
    String::from_utf8_lossy(&bytes[start..end]).into_owned()
}

/// Token ids and the byte range of the text each covers.
pub type IdsAndOffsets = (Vec<u32>, Vec<(usize, usize)>);

/// What HuggingFace's ByteLevel post-processor does to offsets (`process_offsets`): with
/// `trim_offsets`, a token's leading and trailing spaces (`Ġ`, or whitespace in an added
/// token's text) are cut from its range.
struct OffsetRules {
    trim: bool,
    add_prefix_space: bool,
    /// Per id: leading and trailing space characters of its token string.
    spaces: Vec<(u16, u16)>,
}

/// The byte GPT-2's byte-level alphabet spells with `c`, if it is one of its characters.
pub(crate) fn byte_of_char(c: char) -> Option<u8> {
    static INVERSE: std::sync::OnceLock<HashMap<char, u8>> = std::sync::OnceLock::new();
    INVERSE
        .get_or_init(|| {
            byte_chars()
                .iter()
                .enumerate()
                .map(|(b, c)| (*c, b as u8))
                .collect()
        })
        .get(&c)
        .copied()
}

/// GPT-2's reversible byte → printable character map.
fn byte_chars() -> [char; 256] {
    let mut map = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..=255u32 {
        let printable =
            (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
        map[b as usize] = if printable {
            char::from_u32(b).unwrap()
        } else {
            n += 1;
            char::from_u32(255 + n).unwrap()
        };
    }
    map
}

impl FastBpe {
    /// The fast path for this `tokenizer.json` (loaded as `inner`), if it has the supported
    /// shape.
    pub fn detect(json: &serde_json::Value, inner: &tokenizers::Tokenizer) -> Option<FastBpe> {
        let nfc = match &json["normalizer"] {
            serde_json::Value::Null => false,
            n if n["type"] == "NFC" => true,
            _ => return None,
        };
        let pre = &json["pre_tokenizer"];
        if pre["type"] != "ByteLevel"
            || pre["add_prefix_space"] != false
            || pre["use_regex"] == false
        {
            return None;
        }
        let model = &json["model"];
        let empty_or_null = |v: &serde_json::Value| v.is_null() || v == "";
        if model["type"] != "BPE"
            || !model["dropout"].is_null()
            || !empty_or_null(&model["continuing_subword_prefix"])
            || !empty_or_null(&model["end_of_word_suffix"])
            || model["byte_fallback"] == true
        {
            return None;
        }
        match json["post_processor"]["type"].as_str() {
            None | Some("ByteLevel") => {}
            Some(_) => return None,
        }
        let mut patterns = Vec::new();
        let mut ids = Vec::new();
        for t in json["added_tokens"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or(&[])
        {
            let content = t["content"].as_str()?;
            let flags_off = [
                t["single_word"].clone(),
                t["lstrip"].clone(),
                t["rstrip"].clone(),
            ]
            .iter()
            .all(|f| f != &serde_json::Value::Bool(true));
            let last_ok = content.chars().last().is_some_and(|c| !c.is_alphanumeric());
            let first_ok = content.chars().next().is_some_and(|c| !c.is_alphanumeric());
            if !flags_off || !content.is_ascii() || !last_ok || !first_ok {
                return None;
            }
            patterns.push(content.to_string());
            // The id the pipeline gives it, which is not always the file's `id` (one past the
            // model's vocabulary, say, is renumbered on loading).
            ids.push(inner.token_to_id(content)?);
        }
        let added = if patterns.is_empty() {
            None
        } else {
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .ok()?;
            Some((ac, ids))
        };
        Some(FastBpe {
            nfc,
            added,
            pattern: regex::Regex::new(PATTERN).ok()?,
            byte_chars: byte_chars(),
            offset_rules: None,
            cache: ThreadLocal::new(),
        })
    }

    /// Precomputes how the post-processor reports offsets, if `json` uses the ByteLevel
    /// decoder (offsets are then read from the [`byte_level_decode_table`]).
    pub fn build_offset_rules(
        &mut self,
        json: &serde_json::Value,
        tok: &tokenizers::Tokenizer,
        vocab: u32,
    ) {
        if json["decoder"]["type"] != "ByteLevel" {
            return;
        }
        let post = &json["post_processor"];
        let is_space = |c: &char| *c == 'Ġ' || c.is_whitespace();
        self.offset_rules = Some(OffsetRules {
            trim: post["type"] == "ByteLevel" && post["trim_offsets"] != false,
            add_prefix_space: post["add_prefix_space"] == true,
            spaces: (0..vocab)
                .map(|id| {
                    let t = tok.id_to_token(id).unwrap_or_default();
                    let lead = t.chars().take_while(is_space).count();
                    let trail = t.chars().rev().take_while(is_space).count();
                    (
                        lead.min(u16::MAX as usize) as u16,
                        trail.min(u16::MAX as usize) as u16,
                    )
                })
                .collect(),
        });
    }

    /// Ids and byte offsets of `text`, equal to the full pipeline's `encode(text, false)`, for
    /// text that normalisation leaves unchanged (ASCII, or already NFC). Each byte of the text
    /// is one byte-level character, so a token covers its own bytes; like the pipeline's
    /// alignments, a range that starts or ends inside a multi-byte character is widened to the
    /// whole character; then the post-processor's trimming is applied. `None` where this path
    /// does not apply (text that NFC changes, no offset rules): use the full pipeline.
    pub fn encode_with_offsets(
        &self,
        model: &impl Model,
        table: &[Box<[u8]>],
        text: &str,
    ) -> Option<Result<IdsAndOffsets, String>> {
        let rules = self.offset_rules.as_ref()?;
        if self.nfc && !text.is_ascii() {
            let mut n = NormalizedString::from(text);
            n.nfc();
            if n.get() != text {
                return None;
            }
        }
        // Normalisation left the text unchanged: do not normalise it a second time.
        let ids = match self.encode_normalized(model, text) {
            Ok(ids) => ids,
            Err(e) => return Some(Err(e)),
        };
        let mut offsets = Vec::with_capacity(ids.len());
        let mut pos = 0usize;
        for (i, &id) in ids.iter().enumerate() {
            let len = table.get(id as usize)?.len();
            let (mut start, mut end) = (pos, pos + len);
            pos = end;
            if end > text.len() {
                return None;
            }
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
            if rules.trim {
                let (lead, trail) = rules.spaces.get(id as usize).copied().unwrap_or((0, 0));
                let (mut lead, trail) = (lead as usize, trail as usize);
                if lead > 0 {
                    let is_first = i == 0 || start == 0;
                    if is_first && rules.add_prefix_space && lead == 1 {
                        lead = 0;
                    }
                    start = (start + lead).min(end);
                }
                if trail > 0 && end >= trail {
                    end = end.saturating_sub(trail).max(start);
                }
            }
            offsets.push((start, end));
        }
        // The tokens must tile the text exactly; anything else means this path does not apply.
        (pos == text.len()).then_some(Ok((ids, offsets)))
    }

    /// Token ids of `text` (no special tokens added), equal to the full pipeline's.
    pub fn encode(&self, model: &impl Model, text: &str) -> Result<Vec<u32>, String> {
        let normalized;
        let text = if self.nfc && !text.is_ascii() {
            let mut n = NormalizedString::from(text);
            n.nfc();
            normalized = n.get().to_string();
            normalized.as_str()
        } else {
            text
        };
        self.encode_normalized(model, text)
    }

    /// Token ids of `text` that is already normalised.
    fn encode_normalized(&self, model: &impl Model, text: &str) -> Result<Vec<u32>, String> {
        let mut out = Vec::with_capacity(text.len() / 3);
        let mut start = 0;
        if let Some((ac, ids)) = &self.added {
            for m in ac.find_iter(text) {
                self.encode_plain(model, &text[start..m.start()], &mut out)?;
                out.push(ids[m.pattern().as_usize()]);
                start = m.end();
            }
        }
        self.encode_plain(model, &text[start..], &mut out)?;
        Ok(out)
    }

    /// Pre-tokenizes and BPE-encodes text without added tokens.
    fn encode_plain(
        &self,
        model: &impl Model,
        text: &str,
        out: &mut Vec<u32>,
    ) -> Result<(), String> {
        let mut pos = 0;
        while pos < text.len() {
            let Some(m) = self.pattern.find_at(text, pos) else {
                break;
            };
            let mut end = m.end();
            let piece = m.as_str();
            // `\s+(?!\S)`: a whitespace run followed by a non-space gives back its last char.
            if end < text.len()
                && piece.chars().next().is_some_and(char::is_whitespace)
                && piece.chars().all(char::is_whitespace)
            {
                let next_is_space = text[end..].chars().next().is_some_and(char::is_whitespace);
                if !next_is_space {
                    let last = piece.chars().last().map_or(0, char::len_utf8);
                    if piece.len() > last {
                        end -= last;
                    }
                }
            }
            self.encode_piece(model, &text[m.start()..end], out)?;
            pos = end;
        }
        Ok(())
    }

    fn encode_piece(
        &self,
        model: &impl Model,
        piece: &str,
        out: &mut Vec<u32>,
    ) -> Result<(), String> {
        let mut cache = self.cache.get_or_default().borrow_mut();
        if let Some(ids) = cache.get(piece) {
            out.extend_from_slice(ids);
            return Ok(());
        }
        let mapped: String = piece.bytes().map(|b| self.byte_chars[b as usize]).collect();
        let ids: Vec<u32> = model
            .tokenize(&mapped)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|t| t.id)
            .collect();
        out.extend_from_slice(&ids);
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(piece.into(), ids.into_boxed_slice());
        Ok(())
    }
}
