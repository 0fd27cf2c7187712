//! A CNF clause occurring more often than `max_clause_freq` is sampled. Under infini-gram's
//! rules the answer is its engine's, quirks included (the scale factor is an integer ratio,
//! and `approx` is set only when it is not 1); under verbatim's rules the count is scaled by
//! the real ratio and said to be approximate whenever a clause was sampled, so that a clause
//! of 18 occurrences sampled to 15 is not answered "15, exact".

use crate::infini_gram::write_infini_gram;
use verbatim_core::query::{CnfOptions, CnfRules};
use verbatim_core::{Index, TokenWidth};

#[test]
fn a_sampled_clause_is_approximate_under_verbatims_rules_and_as_infini_gram_says_under_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let ig = dir.path().join("ig");
    let mut first = vec![5u32; 15];
    first.extend([6, 7]);
    let docs = vec![first, vec![5, 6, 5, 6, 5]];
    write_infini_gram(&ig, &docs, &["a".into(), "b".into()], TokenWidth::U16);
    let index = Index::open(&ig).unwrap();
    let one = vec![vec![vec![5u32]]];
    let two = vec![vec![vec![5u32]], vec![vec![6u32]]];
    let run = |cnf: &[Vec<Vec<u32>>], max_clause_freq: u64, rules: CnfRules| {
        let m = index.find_cnf(
            cnf,
            CnfOptions {
                max_clause_freq,
                max_diff_tokens: 100,
                rules,
            },
        );
        (m.count, m.approx)
    };
    // infini-gram 2.6.0's `count_cnf` on this index (run with its engine): `[[[5]]]` gives
    // 18, 18, 15, 12, 10 and 16 for max_clause_freq 30, 18, 15, 12, 10 and 8, approx only at
    // 8; `[[[5]], [[6]]]` gives 2, 2, 1, 1, 1 and 2, approx only at 8.
    for (freq, one_ig, two_ig) in [
        (30, (18, false), (2, false)),
        (18, (18, false), (2, false)),
        (15, (15, false), (1, false)),
        (12, (12, false), (1, false)),
        (10, (10, false), (1, false)),
        (8, (16, true), (2, true)),
    ] {
        assert_eq!(run(&one, freq, CnfRules::InfiniGram), one_ig, "{freq}");
        assert_eq!(run(&two, freq, CnfRules::InfiniGram), two_ig, "{freq}");
        let (count, approx) = run(&one, freq, CnfRules::Documents);
        assert_eq!(approx, freq < 18, "{freq}");
        // One clause: every kept occurrence is a match, scaled back to all of them.
        assert_eq!(count, 18, "{freq}");
    }
}
