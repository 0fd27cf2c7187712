//! infini-gram's query semantics over any index (placeholder; filled in below).

use crate::tokenizer::TextTokenizer;

/// The end-of-text id of a tokenizer: `<|endoftext|>`, `</s>`, `<|end_of_text|>` or `<eos>`
/// if it has one, 0 for bytes (infini-gram's byte tokenizer), else the last id.
pub fn default_eos(tok: &TextTokenizer, vocab_size: u32) -> u32 {
    if matches!(tok, TextTokenizer::Bytes) {
        return 0;
    }
    ["<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>"]
        .iter()
        .find_map(|p| tok.piece_id(p))
        .unwrap_or(vocab_size.saturating_sub(1))
}
