//! The matches a Llama 2 result shows as its spans and examples: each run of covered tokens as
//! a chain of real matches, so that no span shown joins the text of two places in the corpus.
//!
//! Covered tokens form runs, and a run may join matches of different documents (the end of
//! one document's text followed, in the item, by the start of another's). Shown whole, such a
//! run is text the corpus does not hold. So a run is shown as the match at its start, then,
//! while the run goes on past the last match shown, the match covering the first token after
//! it that reaches furthest, and so on: every span shown is one match (one document holds it,
//! or, with a skip budget, aligns with it), and together they cover the run.

use std::cmp::Reverse;

/// A Llama 2 match: `(start, end, exact prefix length, aligned corpus (shard, position) when
/// extended past a mismatch)`.
pub(crate) type Llama2Match = (usize, usize, usize, Option<(usize, usize)>);

/// The matches shown for `runs` (the runs of covered tokens, in order), in order. `matches` are
/// the matches that cover them, sorted by start, whose ends may be capped; `whole` gives a
/// match its whole extent (its end and exact length past the cap). A match that a capped end
/// shows reaching past a token reaches past it whole too.
pub(crate) fn shown_matches(
    runs: &[(usize, usize)],
    matches: &[Llama2Match],
    whole: impl Fn(Llama2Match) -> Llama2Match,
) -> Vec<Llama2Match> {
    let mut shown = Vec::new();
    for &(a, b) in runs {
        let first = matches.partition_point(|m| m.0 < a);
        let Some(&m) = matches.get(first).filter(|m| m.0 == a) else {
            continue;
        };
        let mut cur = whole(m);
        shown.push(cur);
        while cur.1 < b {
            // The matches starting after the last one shown and no later than its end that
            // cover the token at its end: the one reaching furthest, the earliest of those.
            let lo = matches.partition_point(|m| m.0 <= cur.0);
            let hi = matches.partition_point(|m| m.0 <= cur.1);
            let next = matches[lo..hi]
                .iter()
                .filter(|m| m.1 > cur.1)
                .max_by_key(|m| (m.1, Reverse(m.0)));
            let Some(&m) = next else { break };
            cur = whole(m);
            shown.push(cur);
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(l: usize, e: usize) -> Llama2Match {
        (l, e, e - l, None)
    }

    #[test]
    fn a_run_of_two_matches_is_shown_as_both() {
        // Tokens 0..20 from one place, 18..40 from another: one run, two matches.
        let matches: Vec<Llama2Match> = (0..=9)
            .map(|l| m(l, 20))
            .chain((10..=29).map(|l| m(l, 40)))
            .collect();
        let shown = shown_matches(&[(0, 40)], &matches, |x| x);
        assert_eq!(shown, vec![m(0, 20), m(10, 40)]);
    }

    #[test]
    fn capped_matches_are_shown_whole() {
        // One match of 100 tokens, its starts' ends capped at 16 tokens.
        let matches: Vec<Llama2Match> = (0..90).map(|l| m(l, (l + 16).min(100))).collect();
        let whole = |x: Llama2Match| m(x.0, 100);
        assert_eq!(shown_matches(&[(0, 100)], &matches, whole), vec![m(0, 100)]);
        // Without the whole extents, the chain still covers the run with real matches.
        let shown = shown_matches(&[(0, 100)], &matches, |x| x);
        assert_eq!(shown.first(), Some(&m(0, 16)));
        assert_eq!(shown.last().map(|x| x.1), Some(100));
        assert!(shown
            .windows(2)
            .all(|w| w[1].0 <= w[0].1 && w[1].1 > w[0].1));
    }
}
