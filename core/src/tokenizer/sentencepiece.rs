//! A fast decoder for SentencePiece vocabularies with byte fallback (Llama 2's
//! `tokenizer.json`, which infini-gram's and OLMoTrace's indexes of OLMo 2 use): the same text
//! as HuggingFace's decoder chain `Replace("▁", " ")`, `ByteFallback`, `Fuse`,
//! `Strip(" ", 1, 0)`, read from a table of each id's piece instead of through that chain
//! (which allocated strings per token and per decoder: a Llama 2 trace of 100 documents spent
//! 440-530 ms in its documents stage, 34-87 ms with the table; `benches/RESULTS.md`).
//!
//! As the byte-level decoder does (`fast_bpe::decode_with_table`), the parts of a character cut
//! at either edge of the ids (a window starting or ending inside a character spelt in fallback
//! bytes) are left out rather than shown as U+FFFD, which the document does not hold.

use super::fallback_byte;
use super::fast_bpe::lossy_without_cut_edges;

/// The decoder chain this module stands in for, as `tokenizer.json` writes it.
fn is_llama_decoder(decoder: &serde_json::Value) -> bool {
    *decoder
        == serde_json::json!({
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "\u{2581}"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0}
            ]
        })
}

/// What one id decodes to.
#[derive(Debug, Clone)]
enum Piece {
    /// Its piece with `▁` made a space.
    Text(Box<str>),
    /// A fallback byte (`<0x41>`).
    Byte(u8),
    /// No such id: left out, as HuggingFace's decoder leaves it out.
    Absent,
}

/// The pieces of every id of a SentencePiece vocabulary with byte fallback.
#[derive(Debug, Clone)]
pub struct SentencePieceDecoder {
    pieces: Vec<Piece>,
}

impl SentencePieceDecoder {
    /// The decoder of `tok` (`json` its file) for ids below `vocab`, if its decoder is the
    /// chain above.
    pub fn detect(
        json: &serde_json::Value,
        tok: &tokenizers::Tokenizer,
        vocab: u32,
    ) -> Option<SentencePieceDecoder> {
        if !is_llama_decoder(&json["decoder"]) {
            return None;
        }
        let pieces = (0..vocab)
            .map(|id| match tok.id_to_token(id) {
                None => Piece::Absent,
                Some(t) => match fallback_byte(&t) {
                    Some(b) => Piece::Byte(b),
                    None => Piece::Text(t.replace('\u{2581}', " ").into_boxed_str()),
                },
            })
            .collect();
        Some(SentencePieceDecoder { pieces })
    }

    /// The text of `ids` (ids past the vocabulary are left out).
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::with_capacity(ids.len() * 4);
        let mut bytes: Vec<u8> = Vec::new();
        // Whether the byte run being read opens the ids (nothing decoded before it).
        let mut bytes_first = true;
        for &id in ids {
            match self.pieces.get(id as usize).unwrap_or(&Piece::Absent) {
                Piece::Absent => {}
                Piece::Byte(b) => bytes.push(*b),
                Piece::Text(t) => {
                    push_bytes(&mut out, &bytes, bytes_first, false);
                    bytes.clear();
                    out.push_str(t);
                }
            }
            if !out.is_empty() {
                bytes_first = false;
            }
        }
        push_bytes(&mut out, &bytes, bytes_first, true);
        // `Strip(" ", 1, 0)` of the fused text.
        match out.strip_prefix(' ') {
            Some(rest) => rest.to_string(),
            None => out,
        }
    }
}

/// Appends a run of fallback bytes as HuggingFace's `ByteFallback` does (its text when it is
/// UTF-8, else one U+FFFD per byte), but where the run opens (`first`) or closes (`last`) the
/// ids, without the parts of characters cut there.
fn push_bytes(out: &mut String, bytes: &[u8], first: bool, last: bool) {
    if bytes.is_empty() {
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) if first || last => {
            let trimmed = lossy_without_cut_edges(bytes);
            // Only the cut edges are left out; inside, HuggingFace's one U+FFFD per byte.
            if !trimmed.contains('\u{fffd}') {
                out.push_str(&trimmed);
            } else {
                out.extend(std::iter::repeat_n('\u{fffd}', bytes.len()));
            }
        }
        Err(_) => out.extend(std::iter::repeat_n('\u{fffd}', bytes.len())),
    }
}
