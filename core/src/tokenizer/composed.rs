//! Characters a normaliser folds into the one before them, which HuggingFace's offsets leave
//! to no token: they are given to the token before them.

/// Whether NFC may fold `c` into the character before it: a combining mark, or a Hangul
/// vowel or final consonant jamo (`ᄂ` + `ᅡ` is `나`).
pub(super) fn composes_with_previous(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
        || matches!(c, '\u{1160}'..='\u{11FF}' | '\u{D7B0}'..='\u{D7FF}')
}

/// Extends each token's end over the combining marks right after it that no token covers.
///
/// A normaliser that composes characters (NFC: `e` + U+0301 into `é`) or strips accents
/// (BERT's) gives the resulting character the range of the first original character only, so
/// its combining marks belong to no token, and a span ending on it would stop before them.
pub(super) fn cover_combining_marks(text: &str, offsets: &mut [(usize, usize)]) {
    let mut starts: Vec<usize> = offsets.iter().map(|o| o.0).collect();
    starts.sort_unstable();
    for o in offsets.iter_mut() {
        let Some(rest) = text.get(o.1..) else {
            continue;
        };
        let marks: usize = rest
            .chars()
            .take_while(|&c| composes_with_previous(c))
            .map(char::len_utf8)
            .sum();
        if marks == 0 || starts.binary_search(&o.1).is_ok() {
            continue;
        }
        // Marks a later token covers are its own.
        let next = starts.partition_point(|&s| s < o.1);
        let limit = starts.get(next).copied().unwrap_or(text.len());
        o.1 = (o.1 + marks).min(limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncovered_marks_go_to_the_token_before_them() {
        // Marks a token of their own covers stay its own.
        let mut offsets = vec![(0, 1), (1, 2), (2, 3)];
        cover_combining_marks("e\u{301}", &mut offsets);
        assert_eq!(offsets, [(0, 1), (1, 2), (2, 3)]);
        let mut offsets = vec![(0, 1), (5, 6)];
        cover_combining_marks("e\u{301}\u{302}x", &mut offsets);
        assert_eq!(offsets, [(0, 5), (5, 6)]);
        // Whitespace and other letters are not folded.
        let mut offsets = vec![(0, 1), (2, 3)];
        cover_combining_marks("e x", &mut offsets);
        assert_eq!(offsets, [(0, 1), (2, 3)]);
    }
}
