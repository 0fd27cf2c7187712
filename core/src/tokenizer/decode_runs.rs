//! Decoding consecutive runs of ids (a window's text before a match, the match, the text after
//! it) so that their texts join into the text of all of them.
//!
//! With byte ids (raw bytes, a byte-level vocabulary) a run's boundary may fall inside a
//! character: a match found on byte-level tokens can start or end inside a multi-byte
//! character, the text before it holding the character's first bytes and the match its last
//! ones. Decoded apart, each part drops its cut bytes and the character vanishes from the
//! window shown, which then reads as text its document does not hold (`٣٤ ` + `ΟΦΟΣ` for
//! `٣٤ ΣΟΦΟΣ`). Decoded here, the runs' bytes are joined and every cut character is given
//! whole to one of the two runs beside it: never to a run marked narrow (a match, which holds
//! only the bytes it matched, so its text is shown without the character), otherwise to the
//! earlier run. The runs' texts then join into the window's text, less only the characters
//! cut at its outer edges.

use super::fast_bpe::lossy_without_cut_edges;
use super::{is_continuation_byte, multibyte_len, TextTokenizer};

/// Ids before a run that [`TextTokenizer::decode_runs_linear`] decodes it after: enough for
/// any decoder's look-back (a space before a word, `##` joins, byte-fallback sequences of up to
/// four ids).
pub(crate) const RUN_CONTEXT: usize = 16;

impl TextTokenizer {
    /// Decodes consecutive runs of ids (a window's text before a match, the match, the text
    /// after it) so that the parts join into the decoding of the whole: a decoder that is not
    /// a concatenation of per-token bytes (SentencePiece's, which strips the space opening a
    /// text; WordPiece's, which joins `##` pieces and spaces words) would otherwise lose the
    /// space at each part's start, gluing words together. Such parts are cut from the
    /// decodings of growing prefixes when each extends the last, else decoded alone.
    pub fn decode_parts<const N: usize>(&self, parts: [&[u32]; N]) -> [String; N] {
        let mut runs = self.decode_runs(&parts).into_iter();
        std::array::from_fn(|_| runs.next().unwrap_or_default())
    }

    /// [`TextTokenizer::decode_parts`] of any number of runs.
    pub fn decode_runs(&self, parts: &[&[u32]]) -> Vec<String> {
        let alone = || parts.iter().map(|p| self.decode(p)).collect();
        if self.decodes_by_concatenation() || parts.iter().filter(|p| !p.is_empty()).count() < 2 {
            return alone();
        }
        let mut ids = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = Vec::with_capacity(parts.len());
        let mut last = String::new();
        for p in parts {
            ids.extend_from_slice(p);
            let text = self.decode(&ids);
            if !text.starts_with(&last) {
                return alone();
            }
            ends.push(text.len());
            last = text;
        }
        let mut start = 0;
        ends.into_iter()
            .map(|end| {
                let part = last[start..end].to_string();
                start = end;
                part
            })
            .collect()
    }

    /// The bytes `ids` decode to, for a tokenizer whose decoding concatenates per-id bytes
    /// (`None` for any other, and for the token-id display of an index without a tokenizer).
    fn id_bytes(&self, ids: &[u32]) -> Option<Vec<u8>> {
        match self {
            TextTokenizer::Bytes => Some(ids.iter().map(|&i| i as u8).collect()),
            TextTokenizer::Hf(h) => h
                .decode_table
                .as_deref()
                .map(|table| super::fast_bpe::bytes_with_table(table, ids)),
            TextTokenizer::Ids { .. } => None,
        }
    }

    /// Decodes consecutive runs of ids so that their texts join into the text of all of them
    /// ([`TextTokenizer::decode_runs`]), where a run marked in `narrow` (a match) never shows
    /// a character only part of whose bytes it holds: with byte ids, a character cut between
    /// two runs goes whole to the one not marked (to the earlier when neither or both are).
    pub fn decode_runs_narrowing(&self, parts: &[&[u32]], narrow: &[bool]) -> Vec<String> {
        debug_assert_eq!(parts.len(), narrow.len());
        if !self.decodes_by_concatenation() {
            return self.decode_runs(parts);
        }
        let mut bytes = Vec::new();
        let mut bounds = vec![0];
        for p in parts {
            match self.id_bytes(p) {
                Some(b) => bytes.extend_from_slice(&b),
                None => return self.decode_runs(parts),
            }
            bounds.push(bytes.len());
        }
        for k in 1..parts.len() {
            let at = bounds[k];
            if let Some((start, end)) = cut_character(&bytes, at) {
                let to_later = narrow[k - 1] && !narrow[k];
                bounds[k] = if to_later { start } else { end };
            }
            // A narrow run inside one character keeps none of it.
            bounds[k] = bounds[k].max(bounds[k - 1]);
        }
        for k in (1..parts.len()).rev() {
            bounds[k] = bounds[k].min(bounds[k + 1]);
        }
        bounds
            .windows(2)
            .map(|w| lossy_without_cut_edges(&bytes[w[0]..w[1]]))
            .collect()
    }

    /// [`TextTokenizer::decode_runs_narrowing`] of any number of consecutive runs of a
    /// document, in time linear in their length: a tokenizer whose decoding is not a
    /// concatenation (SentencePiece drops the space opening a text, WordPiece the one before a
    /// word) decodes each run after the `RUN_CONTEXT` (16) ids before it, and the run's text is
    /// what follows the context's own decoding (failing that, the run decoded alone), where
    /// [`TextTokenizer::decode_runs`] decodes growing prefixes of the whole.
    pub fn decode_runs_linear(&self, parts: &[&[u32]], narrow: &[bool]) -> Vec<String> {
        if self.decodes_by_concatenation() {
            return self.decode_runs_narrowing(parts, narrow);
        }
        let mut out = Vec::with_capacity(parts.len());
        let mut context: Vec<u32> = Vec::new();
        for part in parts {
            let alone = || self.decode(part);
            let text = if context.is_empty() {
                alone()
            } else {
                let before = self.decode(&context);
                let mut ids = context.clone();
                ids.extend_from_slice(part);
                let both = self.decode(&ids);
                both.strip_prefix(&before)
                    .map_or_else(alone, str::to_string)
            };
            out.push(text);
            context.extend_from_slice(part);
            let excess = context.len().saturating_sub(RUN_CONTEXT);
            context.drain(..excess);
        }
        out
    }

    /// A window of a document decoded as the text before a match, the match and the text
    /// after it ([`TextTokenizer::decode_runs_narrowing`], the match narrowed to whole
    /// characters).
    pub fn decode_window(&self, before: &[u32], matched: &[u32], after: &[u32]) -> [String; 3] {
        let mut runs = self
            .decode_runs_narrowing(&[before, matched, after], &[false, true, false])
            .into_iter();
        std::array::from_fn(|_| runs.next().unwrap_or_default())
    }
}

/// The byte range of the character that byte offset `at` cuts (`at` is inside it, not at its
/// start), when `bytes` hold a valid lead byte for it and all of it.
fn cut_character(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    if at == 0 || at >= bytes.len() || !is_continuation_byte(bytes[at]) {
        return None;
    }
    let start = (at.saturating_sub(3)..at)
        .rev()
        .find(|&i| !is_continuation_byte(bytes[i]))?;
    let end = start + multibyte_len(bytes[start])?;
    let whole = end <= bytes.len()
        && bytes[start + 1..end]
            .iter()
            .all(|&b| is_continuation_byte(b));
    (end > at && whole).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(s: &[u8]) -> Vec<u32> {
        s.iter().map(|&b| u32::from(b)).collect()
    }

    #[test]
    fn a_cut_character_goes_to_the_run_beside_the_match() {
        let tok = TextTokenizer::Bytes;
        // "٣ ΣΟΦ 🅰 x": the match starts inside Σ and ends inside 🅰.
        let text = "٣ ΣΟΦ 🅰 x".as_bytes();
        let sigma = text.iter().position(|&b| b == 0xCE).unwrap();
        let emoji = text.iter().position(|&b| b == 0xF0).unwrap();
        let (before, matched, after) = (
            &text[..sigma + 1],
            &text[sigma + 1..emoji + 2],
            &text[emoji + 2..],
        );
        let [b, m, a] = tok.decode_window(&ids(before), &ids(matched), &ids(after));
        assert_eq!((b.as_str(), m.as_str(), a.as_str()), ("٣ Σ", "ΟΦ ", "🅰 x"));
        // Decoded apart, both characters vanished.
        assert_eq!(
            tok.decode(&ids(before)) + &tok.decode(&ids(matched)),
            "٣ ΟΦ "
        );
    }

    #[test]
    fn a_match_inside_one_character_shows_nothing() {
        let tok = TextTokenizer::Bytes;
        let text = "a🅰b".as_bytes();
        let [b, m, a] = tok.decode_window(&ids(&text[..2]), &ids(&text[2..4]), &ids(&text[4..]));
        assert_eq!(format!("{b}|{m}|{a}"), "a🅰||b");
    }

    proptest! {
        /// Cut anywhere, the runs join into the text, and a narrow run's text (between runs
        /// that are not) is a part of the text its own bytes decode to.
        #[test]
        fn runs_join_into_the_whole_and_a_narrow_run_holds_only_its_own_characters(
            chars in proptest::collection::vec(
                prop_oneof![Just('a'), Just(' '), Just('Σ'), Just('٣'), Just('€'), Just('🅰')],
                0..12,
            ),
            cuts in proptest::collection::vec(0usize..64, 0..4),
            narrow_bits in 0u8..16,
        ) {
            let tok = TextTokenizer::Bytes;
            let text: String = chars.into_iter().collect();
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut bounds = vec![0];
            bounds.extend(cuts);
            bounds.push(bytes.len());
            let parts: Vec<Vec<u32>> = bounds.windows(2).map(|w| ids(&bytes[w[0]..w[1]])).collect();
            let refs: Vec<&[u32]> = parts.iter().map(|p| &p[..]).collect();
            // Narrow runs (matches) between runs that are not (the text around them).
            let mut narrow: Vec<bool> = Vec::new();
            for i in 0..parts.len() {
                let after_narrow = narrow.last().copied().unwrap_or(false);
                narrow.push(narrow_bits >> i & 1 == 1 && !after_narrow);
            }
            let runs = tok.decode_runs_narrowing(&refs, &narrow);
            prop_assert_eq!(runs.concat(), text.clone());
            for (i, run) in runs.iter().enumerate() {
                if narrow[i] {
                    let own = tok.decode(&parts[i]);
                    prop_assert!(own.contains(run.as_str()), "{:?} not in {:?}", run, own);
                }
            }
        }
    }
}
