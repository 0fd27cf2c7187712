//! Keyword-search query text before tantivy parses it: a bound on how deeply it nests, and
//! the words a hit is to be shown around.
//!
//! Tantivy's query grammar recurses once per parenthesis and per prefix operator (`NOT`, `-`,
//! `+`), on the stack of the thread that parses: a request of 1.6 KB (`(` x 800) overflowed a
//! server thread's 2 MiB stack, which aborts the whole process. A query nesting deeper than
//! [`MAX_QUERY_NESTING`] is refused instead; real queries nest a few levels.

use crate::error::{Error, Result};

/// The words of `query` a hit's snippet may be centred on: all but tantivy's operators
/// (`AND`, `OR`, `NOT`) and what a hit must not hold (the word, parenthesised group or quoted
/// phrase after `NOT` or `-`), joined by spaces.
pub fn wanted_words(query: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut words = query.split_whitespace();
    // Whether the next word or group is excluded (after `NOT`).
    let mut excluded = false;
    while let Some(word) = words.next() {
        if word == "AND" || word == "OR" {
            continue;
        }
        if word == "NOT" {
            excluded = true;
            continue;
        }
        let negated = std::mem::take(&mut excluded) || word.starts_with('-');
        if !negated {
            out.push(word);
            continue;
        }
        // Skip the excluded group or phrase to its end.
        let body = word.trim_start_matches('-');
        let mut depth = body.matches('(').count() as i64 - body.matches(')').count() as i64;
        let mut in_quote = body.matches('"').count() % 2 == 1;
        while depth > 0 || in_quote {
            let Some(w) = words.next() else { break };
            depth += w.matches('(').count() as i64 - w.matches(')').count() as i64;
            if w.matches('"').count() % 2 == 1 {
                in_quote = !in_quote;
            }
        }
    }
    out.join(" ")
}

/// The most levels of parentheses and prefix operators a search query may stack.
pub const MAX_QUERY_NESTING: usize = 100;

/// An upper bound on the recursion depth of parsing `query`: the deepest parenthesis, plus
/// every `NOT` word and every `-`, `+` or `!` that starts a word (each may open one level
/// wherever it stands).
pub fn nesting_bound(query: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in query.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let prefixes: usize = query
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .map(|w| {
            if w == "NOT" {
                1
            } else {
                w.chars()
                    .take_while(|c| matches!(c, '-' | '+' | '!'))
                    .count()
            }
        })
        .sum();
    deepest + prefixes
}

/// Refuses a query that could nest deeper than [`MAX_QUERY_NESTING`].
pub fn check_nesting(query: &str) -> Result<()> {
    let n = nesting_bound(query);
    if n > MAX_QUERY_NESTING {
        return Err(Error::Invalid(format!(
            "the search query nests {n} levels of parentheses and NOT / - / + / ! operators; at most {MAX_QUERY_NESTING} are allowed"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_count_parentheses_and_prefix_operators() {
        assert_eq!(nesting_bound("quick brown fox"), 0);
        assert_eq!(nesting_bound("state-of-the-art"), 0);
        assert_eq!(nesting_bound("(a OR (b AND c)) AND (d)"), 2);
        assert_eq!(nesting_bound("NOT a -b +c !!d"), 5);
        assert_eq!(nesting_bound("))))(("), 2);
        assert!(check_nesting(&format!("{}zebra{}", "(".repeat(101), ")".repeat(101))).is_err());
        assert!(check_nesting(&"NOT ".repeat(101)).is_err());
    }

    #[test]
    fn operators_and_excluded_words_are_not_wanted() {
        assert_eq!(wanted_words("crème AND café"), "crème café");
        assert_eq!(wanted_words("café NOT zzz OR thé"), "café thé");
        // `!` is no operator in tantivy's grammar; lowercase `and` is a word.
        assert_eq!(wanted_words("-zzz café !yyy and not"), "café !yyy and not");
        assert_eq!(
            wanted_words("NOT (zzz yyy) café -(a (b c)) thé"),
            "café thé"
        );
        assert_eq!(
            wanted_words("-\"zzz yyy\" café NOT \"a b c\" thé"),
            "café thé"
        );
        assert_eq!(wanted_words("NOT"), "");
        assert_eq!(wanted_words("-(unclosed café"), "");
    }

    /// Every query at the bound parses on a thread with a server thread's 2 MiB stack (one
    /// level more of any kind used to take 800 to overflow it; an overflow aborts the test).
    #[test]
    fn queries_at_the_bound_parse_on_a_small_stack() {
        let n = MAX_QUERY_NESTING;
        let queries = [
            format!("{}zebra{}", "(".repeat(n), ")".repeat(n)),
            format!("{}zebra", "NOT ".repeat(n)),
            format!("{}zebra", "-".repeat(n)),
            format!("{}zebra", "+".repeat(n)),
            format!("{}zebra", "!".repeat(n)),
            format!("{}zebra{}", "(NOT ".repeat(n / 2), ")".repeat(n / 2)),
            format!("{}zebra{}", "-(".repeat(n / 2), ")".repeat(n / 2)),
        ];
        for q in queries {
            assert_eq!(nesting_bound(&q), n, "{q}");
            check_nesting(&q).unwrap();
            let (schema, fields) = crate::fulltext::schema();
            let index = tantivy::Index::create_in_ram(schema);
            crate::fulltext_words::register(&index);
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let mut parser =
                        tantivy::query::QueryParser::for_index(&index, vec![fields.text]);
                    parser.set_conjunction_by_default();
                    let _ = parser.parse_query_lenient(&q);
                })
                .unwrap()
                .join()
                .unwrap();
        }
    }
}
