//! The `spans` of a document in infini-gram's answers: its tokens cut into pieces of text,
//! each matched piece labelled with the number of the clause it matches.

use verbatim_core::TextTokenizer;

/// How the pieces of [`spans`] are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceText {
    /// Each piece alone, as infini-gram's server decodes them (a SentencePiece piece loses
    /// the space it opens with: `cat sat`, `light`, ` hill` read as `cat satlight hill`).
    Alone,
    /// So that the pieces join into the window's text
    /// ([`TextTokenizer::decode_runs_narrowing`]: a labelled piece holds whole characters).
    Joined,
}

/// Cuts `tokens` into `[text, label]` pieces as infini-gram's server does: for each clause
/// `d` in order, for each of its terms, every leftmost non-overlapping occurrence inside a
/// still unlabelled piece is labelled `"d"`; text is each piece decoded as `text` says.
pub fn spans(
    tok: &TextTokenizer,
    tokens: &[u32],
    clauses: &[Vec<Vec<u32>>],
    text: PieceText,
) -> Vec<(String, Option<String>)> {
    let mut pieces: Vec<(Vec<u32>, Option<String>)> = vec![(tokens.to_vec(), None)];
    for (d, clause) in clauses.iter().enumerate() {
        for needle in clause.iter().filter(|n| !n.is_empty()) {
            pieces = pieces
                .into_iter()
                .flat_map(|(t, label)| match label {
                    Some(_) => vec![(t, label)],
                    None => replace(&t, needle, &d.to_string()),
                })
                .collect();
        }
    }
    let texts = match text {
        PieceText::Alone => pieces.iter().map(|(t, _)| tok.decode(t)).collect(),
        PieceText::Joined => {
            // A labelled piece shows only characters it holds whole.
            let narrow: Vec<bool> = pieces.iter().map(|(_, label)| label.is_some()).collect();
            tok.decode_runs_narrowing(
                &pieces.iter().map(|(t, _)| &t[..]).collect::<Vec<_>>(),
                &narrow,
            )
        }
    };
    texts
        .into_iter()
        .zip(pieces)
        .map(|(text, (_, label))| (text, label))
        .collect()
}

/// infini-gram's `_replace`: `haystack` cut at each leftmost occurrence of `needle`.
fn replace(haystack: &[u32], needle: &[u32], label: &str) -> Vec<(Vec<u32>, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = haystack;
    while let Some(pos) = rest.windows(needle.len()).position(|w| w == needle) {
        if pos > 0 {
            out.push((rest[..pos].to_vec(), None));
        }
        out.push((
            rest[pos..pos + needle.len()].to_vec(),
            Some(label.to_string()),
        ));
        rest = &rest[pos + needle.len()..];
    }
    if !rest.is_empty() {
        out.push((rest.to_vec(), None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_label_their_leftmost_occurrences() {
        let tok = TextTokenizer::Bytes;
        let text: Vec<u32> = b"abcabxab".iter().map(|&b| b as u32).collect();
        let ids = |s: &str| s.bytes().map(u32::from).collect::<Vec<_>>();
        let got = spans(
            &tok,
            &text,
            &[vec![ids("ab")], vec![ids("x"), ids("c")]],
            PieceText::Alone,
        );
        let want: Vec<(String, Option<String>)> = vec![
            ("ab".into(), Some("0".into())),
            ("c".into(), Some("1".into())),
            ("ab".into(), Some("0".into())),
            ("x".into(), Some("1".into())),
            ("ab".into(), Some("0".into())),
        ];
        assert_eq!(got, want);
        assert_eq!(
            spans(&tok, &text, &[], PieceText::Joined),
            vec![("abcabxab".to_string(), None)]
        );
    }
}
