//! What a tokenizer's pieces say of the text they spell: which begin a word (for the
//! OLMoTrace rule that a span starts at a word), and the offsets setting that makes each piece
//! cover its own bytes.

/// Whether the piece `t` spells punctuation alone (Unicode general category P: `“`, `…`, `—`)
/// or opens with an opening bracket or quote (`“I`, `(foo`, `"I`, as pre-tokenizers that put
/// one such character before a word make them; not `'s`), read through the byte-level
/// alphabet when every character is in it and the bytes are UTF-8 (`âĢľ` is `“`), else as
/// written.
pub(super) fn starts_word_by_punctuation(t: &str) -> bool {
    // Most pieces begin with a letter or digit, which no punctuation rule matches: they cost
    // no decoding when a tokenizer loads.
    if t.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return false;
    }
    static PUNCT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let punct = PUNCT.get_or_init(|| {
        regex::Regex::new(r#"^(\p{P}+$|[\p{Ps}\p{Pi}"])"#).expect("a valid pattern")
    });
    let bytes: Option<Vec<u8>> = t.chars().map(super::fast_bpe::byte_of_char).collect();
    let decoded = bytes.and_then(|b| String::from_utf8(b).ok());
    punct.is_match(decoded.as_deref().unwrap_or(t))
}

/// Python's `string.whitespace + string.punctuation`: the bytes that begin a word in byte mode.
pub(super) fn is_ascii_boundary_byte(b: u8) -> bool {
    b.is_ascii_punctuation() || matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Sets `trim_offsets` off in every ByteLevel post-processor of `post` (alone or in a
/// `Sequence`); whether one had it on.
pub(super) fn untrim_offsets(post: &mut serde_json::Value) -> bool {
    if post["type"] == "Sequence" {
        let mut changed = false;
        if let Some(steps) = post["processors"].as_array_mut() {
            for step in steps {
                changed |= untrim_offsets(step);
            }
        }
        return changed;
    }
    if post["type"] == "ByteLevel" && post["trim_offsets"] != false {
        post["trim_offsets"] = false.into();
        return true;
    }
    false
}
