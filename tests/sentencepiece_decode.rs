//! The fast SentencePiece decoder (Llama 2's `tokenizer.json`) against HuggingFace's decoder
//! chain: the same text for any ids, but that the parts of a character cut at either edge of
//! the ids are left out (as for byte-level vocabularies), not shown as U+FFFD.

use crate::support;
use verbatim_core::tokenizer::TextTokenizer;

/// `a..b` without the fallback bytes of a character cut at its edges: at the start, the bytes
/// that continue a character begun before `a`; at the end, those of a character that goes
/// on past `b`.
fn without_cut_edges(tok: &TextTokenizer, ids: &[u32], a: usize, b: usize) -> (usize, usize) {
    let byte = |i: usize| -> Option<u8> {
        let p = tok.id_pieces(&ids[i..i + 1]).pop().unwrap_or_default();
        (p.len() == 6 && p.starts_with("<0x") && p.ends_with('>'))
            .then(|| u8::from_str_radix(&p[3..5], 16).ok())
            .flatten()
    };
    let mut a2 = a;
    while a2 < b && byte(a2).is_some_and(|x| (0x80..0xC0).contains(&x)) {
        a2 += 1;
    }
    // The last character begun in fallback bytes, if it needs more than are left.
    let mut b2 = b;
    let mut k = b;
    while k > a2 && byte(k - 1).is_some_and(|x| (0x80..0xC0).contains(&x)) {
        k -= 1;
    }
    if k > a2 {
        if let Some(lead) = byte(k - 1) {
            let len = match lead {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            if (k - 1) + len > b {
                b2 = k - 1;
            }
        }
    }
    (a2, b2)
}

#[test]
fn llama2_decoding_equals_huggingfaces_but_for_characters_cut_at_the_edges() {
    let Some(path) = support::shared_data("tokenizers/llama2.json") else {
        return;
    };
    let tok = TextTokenizer::from_spec(path.to_str().unwrap()).unwrap().0;
    let texts = [
        "Hello, world! It's 2024 -- they'll've done it.\n\n  Indented\tline  ",
        " leading space, then\u{a0}no-break and ideographic\u{3000}spaces",
        "Cafe\u{301} naïve — déjà vu; 東京タワー 🦀🦀 emoji ᛗᛁᛚ runes 𝔘𝔫𝔦",
        "the \" <unk> \" , and <s> x</s>y",
    ];
    for t in texts {
        let ids = tok.encode_ids(t).unwrap();
        assert_eq!(tok.decode(&ids), tok.decode_reference(&ids), "{t:?}");
        for a in 0..ids.len() {
            for b in a..=ids.len().min(a + 6) {
                let (a2, b2) = without_cut_edges(&tok, &ids, a, b);
                assert_eq!(
                    tok.decode(&ids[a..b]),
                    tok.decode_reference(&ids[a2..b2]),
                    "{t:?} {a}..{b}"
                );
            }
        }
    }
    // Random ids over the whole vocabulary (fallback bytes, `<unk>`, `<s>` included), and ids
    // past it, between two words (no character cut at an edge).
    let word = tok.encode_ids("word").unwrap()[0];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..2000 {
        let ids: Vec<u32> = std::iter::once(word)
            .chain((0..24).map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (x >> 33) % (tok.vocab_size() as u64 + 40);
                // Fallback bytes (ids 3..259) often, so that runs of them form characters.
                if r.is_multiple_of(3) {
                    3 + (r % 256) as u32
                } else {
                    r as u32
                }
            }))
            .chain(std::iter::once(word))
            .collect();
        assert_eq!(tok.decode(&ids), tok.decode_reference(&ids), "{ids:?}");
    }
}
