//! Keyword-search query text before tantivy parses it: a bound on how deeply it nests, and
//! the words a hit is to be shown around.
//!
//! Tantivy's query grammar recurses once per parenthesis and per prefix operator (`NOT`, `-`,
//! `+`), on the stack of the thread that parses: a request of 1.6 KB (`(` x 800) overflowed a
//! server thread's 2 MiB stack, which aborts the whole process. A query nesting deeper than
//! [`MAX_QUERY_NESTING`] is refused instead; real queries nest a few levels.

use crate::error::{Error, Result};
use crate::fulltext::Terms;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, Query, QueryParser, QueryParserError,
};
use tantivy::schema::Field;

/// The words of `query` a hit's snippet may be centred on: all but tantivy's operators
/// (`AND`, `OR`, `NOT`) and what a hit must not hold (the word, parenthesised group or quoted
/// phrase after `NOT` or `-`).
pub fn wanted_words(query: &str) -> Vec<&str> {
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
    out
}

/// The words and quoted phrases of [`wanted_words`] of `query`, each on its own: a phrase from
/// the word that opens its quotes to the one that closes them, quotes and all.
pub fn wanted_phrases(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for word in wanted_words(query) {
        let word = without_syntax(word);
        match out.last_mut() {
            Some(phrase) if open => {
                phrase.push(' ');
                phrase.push_str(word);
            }
            _ => out.push(word.to_string()),
        }
        if word.matches('"').count() % 2 == 1 {
            open = !open;
        }
    }
    out
}

/// A query word without the syntax around it that names no word of a document: a leading
/// `+`, the field `text:`, a boost (`^2`) or a phrase's slop (`"…"~1`). A bare word's `~N`
/// stays: it asks for the words within N edits (`fulltext_fuzzy.rs`).
fn without_syntax(word: &str) -> &str {
    let mut w = word.trim_start_matches('+');
    // The one field a query may name; any other `word:` is text ([`literal_syntax`]).
    if let Some(rest) = w.strip_prefix("text:") {
        w = rest;
    }
    for mark in ['^', '~'] {
        if let Some((body, n)) = w.rsplit_once(mark) {
            let number = !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit() || c == b'.');
            if number && (mark == '^' || body.ends_with('"')) {
                w = body;
            }
        }
    }
    w
}

/// `query` with each whitespace character that is not ASCII (the ideographic space U+3000
/// that Japanese input methods type, a no-break space) made an ASCII space: tantivy's query
/// grammar separates words at spaces, tabs and line ends only, and its lenient parse dropped
/// the rest of a query after another whitespace character.
pub fn spaced(query: &str) -> std::borrow::Cow<'_, str> {
    if query.is_ascii() {
        return query.into();
    }
    query
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect::<String>()
        .into()
}

/// Lenient-parse message of an `AND` or `OR` right after another ([`joined_operators`]).
const DOUBLED_OPERATOR: &str = "doubled operator";

/// Lenient-parse message of an `AND` or `OR` that ends the query ([`joined_operators`]).
const TRAILING_OPERATOR: &str = "trailing operator";

/// `query` without the `AND` and `OR` operators that join nothing, with an error for each
/// kind left out: one right after another (`tokyo AND AND station`, `tokyo OR AND osaka`: the
/// first is kept; tantivy's lenient parse dropped the word before them) and one ending the
/// query (`tokyo OR`: tantivy searched it as the word `or`). Quoted phrases are left as they
/// are.
pub fn joined_operators(query: &str) -> (std::borrow::Cow<'_, str>, Vec<QueryParserError>) {
    let is_operator = |w: &str| w == "AND" || w == "OR";
    let words: Vec<(usize, &str)> = query
        .split_ascii_whitespace()
        .map(|w| (w.as_ptr() as usize - query.as_ptr() as usize, w))
        .collect();
    let mut cut: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut doubled, mut trailing) = (false, false);
    let mut in_phrase = false;
    let mut previous_operator = false;
    for (k, &(at, w)) in words.iter().enumerate() {
        let operator = !in_phrase && is_operator(w);
        if operator && (previous_operator || k + 1 == words.len()) {
            doubled |= previous_operator;
            trailing |= !previous_operator;
            cut.push(at..at + w.len());
            continue;
        }
        previous_operator = operator;
        // A quote not escaped by a backslash opens or closes a phrase.
        let mut escaped = false;
        for c in w.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_phrase = !in_phrase,
                _ => escaped = false,
            }
        }
    }
    if cut.is_empty() {
        return (query.into(), Vec::new());
    }
    let mut out = String::with_capacity(query.len());
    let mut from = 0;
    for r in &cut {
        out.push_str(&query[from..r.start]);
        from = r.end;
    }
    out.push_str(&query[from..]);
    let errors = [(doubled, DOUBLED_OPERATOR), (trailing, TRAILING_OPERATOR)]
        .into_iter()
        .filter(|(found, _)| *found)
        .map(|(_, m)| QueryParserError::SyntaxError(m.to_string()))
        .collect();
    (out.into(), errors)
}

/// `query` with the characters that tantivy's grammar reads as syntax where text means them
/// as themselves escaped, so that they stay in their word (whose terms are then searched as
/// a phrase, as `e-mail` is): a `:` after a word that is not one of `fields` (`10:30`,
/// `tokyo:zzz`, `http://…`, `std::vec`: tantivy searched a field of that name, which does not
/// exist, and dropped the word); a `^` not followed by a number (`word^2` is a boost; in
/// `a^b` tantivy dropped the rest of the query); a `(` inside a word and a `)` that closes no
/// `(` (`f(x) y`, `tokyo)zzz`: the rest was dropped too); a `[`, `{`, `<` or `>` that starts
/// a word (`[1]`, `>5`: range syntax, for a field of numbers, which verbatim's full-text index
/// has not; the word was dropped); and a `/` that starts one (`/usr/bin/env`: a regular
/// expression, which verbatim does not search; it was dropped). Quoted phrases are left as
/// they are.
pub fn literal_syntax<'a>(query: &'a str, fields: &[&str]) -> std::borrow::Cow<'a, str> {
    if !query.contains([':', '^', '(', ')', '[', '{', '<', '>', '/']) {
        return query.into();
    }
    let mut out = String::with_capacity(query.len() + 8);
    // Where the word being read starts in `out` (after its leading operators).
    let mut word_start = 0;
    let mut depth = 0usize;
    // Parentheses opened inside the word being read.
    let mut inner = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        if escaped {
            escaped = false;
            out.push(c);
            continue;
        }
        if c == '\\' {
            escaped = true;
            out.push(c);
            continue;
        }
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            out.push(c);
            continue;
        }
        let before = out.len();
        match c {
            '"' | '\'' if out.len() == word_start || after_field(&out[word_start..], fields) => {
                quote = Some(c);
            }
            '+' | '-' | '!' if out.len() == word_start => {
                out.push(c);
                word_start = out.len();
                continue;
            }
            ':' if !fields.contains(&&out[word_start..]) => out.push('\\'),
            '^' => {
                // Tantivy's boost is a number that starts with a digit (`x^2`, `x^0.5`).
                let boost = chars.peek().is_some_and(char::is_ascii_digit);
                if !boost {
                    out.push('\\');
                }
            }
            // Ranges (`[a TO b]`, `>5`) need a field that holds numbers; verbatim has none.
            '[' | '{' | '<' | '>' if out.len() == word_start => out.push('\\'),
            // A regular expression (`/usr/`), which verbatim does not search: a path's words.
            '/' if out.len() == word_start || after_field(&out[word_start..], fields) => {
                out.push('\\')
            }
            // Inside a word (`f(x)`) a parenthesis opens no group; after a field (`text:(`)
            // it does.
            '(' if out.len() > word_start && !after_field(&out[word_start..], fields) => {
                inner += 1;
                out.push('\\');
            }
            '(' => depth += 1,
            ')' if inner > 0 => {
                inner -= 1;
                out.push('\\');
            }
            ')' if depth == 0 => out.push('\\'),
            ')' => depth -= 1,
            _ => {}
        }
        // Whether `c` was escaped just now (it stays in its word).
        let literal = out.len() > before;
        out.push(c);
        if !literal && (c.is_whitespace() || c == '(' || c == ')') {
            word_start = out.len();
            inner = 0;
        }
    }
    out.into()
}

/// Whether `word` is one of `fields` and a colon (`text:`).
fn after_field(word: &str, fields: &[&str]) -> bool {
    word.strip_suffix(':').is_some_and(|f| fields.contains(&f))
}

/// The query verbatim searches for the search text `query` in `field` of `index`, whose
/// analyzer is `terms`, with the errors of its lenient parse: words are ANDed, separated by
/// any whitespace ([`spaced`]), syntax characters that text means as themselves stay in
/// their words ([`literal_syntax`]), a lone word ending in `*` searches the words that start with
/// it (`fulltext_prefix.rs`), and the rules of [`settled`] apply.
pub fn parse(
    index: &tantivy::Index,
    searcher: &tantivy::Searcher,
    field: Field,
    terms: &Terms,
    query: &str,
) -> (Box<dyn Query>, Vec<QueryParserError>) {
    let mut parser = QueryParser::for_index(index, vec![field]);
    parser.set_conjunction_by_default();
    // Only the prefix searches made below: typed regular expressions are left out by them.
    parser.allow_regexes();
    let name = index.schema().get_field_name(field).to_string();
    let spaced = spaced(query);
    let (joined, mut errors) = joined_operators(&spaced);
    let text = literal_syntax(&joined, &[name.as_str()]);
    let (ast, syntax) = tantivy::query_grammar::parse_query_lenient(&text);
    errors.extend(
        syntax
            .into_iter()
            .map(|e| QueryParserError::SyntaxError(e.message)),
    );
    let at = crate::fulltext_prefix::WordField {
        name: &name,
        field,
        terms,
        searcher,
    };
    let (ast, prefixes) = crate::fulltext_prefix::with_word_prefixes(ast, &at, &mut errors);
    let (q, mut built) = parser.build_query_from_user_input_ast_lenient(ast);
    errors.append(&mut built);
    (settled(q, prefixes, &errors), errors)
}

/// What a user is told of `error`, one of a search query's lenient-parse errors: how the query
/// was read instead. `None` for an error that changes nothing the user meant (a query that
/// only excludes, which [`settled`] reads as Lucene does). Positions are left out: tantivy's
/// count in the rewritten text ([`literal_syntax`]), not in the query as typed.
pub fn warning(error: &QueryParserError) -> Option<String> {
    let syntax = match error {
        QueryParserError::AllButQueryForbidden => return None,
        QueryParserError::SyntaxError(m) => m.as_str(),
        QueryParserError::UnsupportedQuery(m) => return Some(m.clone()),
        other => return Some(other.to_string()),
    };
    let read = match syntax {
        "expected ')'" => "a `(` is not closed: the query was read as if it closed at the end",
        "missing ]" => "a `[` is not closed: the query was read as if it closed at the end",
        "Found unexpected boolean operator before term" => {
            "an AND or OR with no word before it was left out"
        }
        "parsed keyword NOT as term. It should be quoted" => {
            "a NOT with no word after it was searched as the word `not`"
        }
        "expected word" => "an operator or field name with no word after it was left out",
        DOUBLED_OPERATOR => "an AND or OR right after another was left out (the first was kept)",
        TRAILING_OPERATOR => "an AND or OR with no word after it was left out",
        m if m.starts_with("missing delimiter") => {
            "a quote is not closed: the phrase was read to the end of the query"
        }
        m => return Some(format!("part of the query was left out ({m})")),
    };
    Some(read.to_string())
}

/// The query tantivy parsed from a search text (`errors`: those of its lenient parse; holding
/// `prefixes` prefix searches, which name no term), as verbatim searches it:
/// - a query without any term that tantivy made match every document because it saw no
///   positive clause (`。 。`, `🗼 -❤`: words of punctuation or emoji, or too long to be
///   terms) finds nothing, as one such word does; `*` still finds every document;
/// - a clause that only excludes matches every document but those it excludes, wherever it
///   stands, as tantivy makes it at the top level (`-tower`): `tokyo AND NOT tower` and
///   `NOT tower AND tokyo` find `tokyo` without `tower` (tantivy's nested `NOT tower`
///   matched nothing, so they found nothing), and `tokyo OR NOT tower` finds `tokyo` or no
///   `tower`. Inside a boosted group (`(…)^2`) tantivy's reading is kept.
pub fn settled(
    query: Box<dyn Query>,
    prefixes: usize,
    errors: &[QueryParserError],
) -> Box<dyn Query> {
    let mut terms = prefixes;
    query.query_terms(&mut |_, _| terms += 1);
    let made_all = errors
        .iter()
        .any(|e| matches!(e, QueryParserError::AllButQueryForbidden));
    if terms == 0 && made_all {
        return Box::new(EmptyQuery);
    }
    with_exclusions_from_all(query)
}

/// [`settled`]'s second rule, throughout `query`.
fn with_exclusions_from_all(query: Box<dyn Query>) -> Box<dyn Query> {
    let Some(b) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = b
        .clauses()
        .iter()
        .map(|(occur, sub)| (*occur, with_exclusions_from_all(sub.box_clone())))
        .collect();
    if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
        clauses.push((Occur::Should, Box::new(AllQuery)));
    }
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        b.get_minimum_number_should_match(),
    ))
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

    /// How many of three documents (`tokyo tower`, `tokyo station`, `osaka`) `query` finds,
    /// parsed and settled as a search is.
    fn hits(query: &str) -> usize {
        searched(query).0
    }

    /// [`hits`], and the warnings a search answers with.
    fn searched(query: &str) -> (usize, Vec<String>) {
        let (schema, fields) = crate::fulltext::schema();
        let index = tantivy::Index::create_in_ram(schema);
        crate::fulltext_words::register(&index);
        let mut w: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        for text in ["tokyo tower", "tokyo station", "osaka"] {
            let mut d = tantivy::TantivyDocument::default();
            d.add_text(fields.text, text);
            w.add_document(d).unwrap();
        }
        w.commit().unwrap();
        let terms = Terms::current();
        let searcher = index.reader().unwrap().searcher();
        let (q, errors) = parse(&index, &searcher, fields.text, &terms, query);
        let warnings = errors.iter().filter_map(warning).collect();
        (
            searcher.search(&q, &tantivy::collector::Count).unwrap(),
            warnings,
        )
    }

    #[test]
    fn searches_read_otherwise_than_written_say_so() {
        for (query, found, said) in [
            ("tokyo AND AND station", 1, "right after another"),
            ("tokyo OR", 2, "no word after"),
            ("tokio~9", 2, "read as `tokio~2`"),
            ("tokyo~-1", 0, "searched as written"),
        ] {
            let (n, warnings) = searched(query);
            assert_eq!(n, found, "{query}");
            assert!(
                warnings.iter().any(|w| w.contains(said)),
                "{query}: {warnings:?}"
            );
        }
        assert_eq!(searched("tokyo station"), (1, vec![]));
    }

    #[test]
    fn settled_queries_exclude_where_they_stand_and_find_nothing_without_a_word() {
        let cases = [
            ("tokyo", 2),
            ("tokyo AND NOT tower", 1),
            ("NOT tower AND tokyo", 1),
            ("tokyo NOT tower", 1),
            ("tokyo -tower", 1),
            ("-tower", 2),
            ("tokyo OR NOT tower", 3),
            ("osaka OR NOT tokyo", 1),
            ("(tokyo AND NOT tower) OR osaka", 2),
            ("tokyo OR osaka", 3),
            // An operator that joins nothing is left out.
            ("tokyo AND AND station", 1),
            ("tokyo OR OR osaka", 3),
            ("tokyo OR AND osaka", 3),
            ("tokyo AND OR osaka", 0),
            ("tokyo OR", 2),
            ("tokyo AND", 2),
            ("osaka OR OR", 1),
            ("\"tokyo AND AND\" station", 0),
            ("\"tokyo tower\"", 1),
            ("tokyo^2 station", 1),
            ("。", 0),
            ("。 。", 0),
            ("🗼 -❤", 0),
            ("tokyo 。", 2),
            ("*", 3),
            ("text:*", 3),
            ("text:* -tower", 2),
            ("tokyo\u{3000}station", 1),
            ("tokyo\u{a0}zzz", 0),
            // A phrase's last word may be a prefix, and so may a lone word.
            ("\"tokyo tow\"*", 1),
            ("\"tokyo x\"*", 0),
            ("tokyo*", 2),
            ("tok*", 2),
            ("TOK*", 2),
            ("\"tok\"*", 2),
            ("text:tok*", 2),
            ("tok* tow*", 1),
            ("tok* -tow*", 1),
            ("-tow*", 2),
            ("osa* OR tow*", 2),
            ("(tok*)^2 station", 1),
            ("t*", 2),
            ("o*", 1),
            ("x*", 0),
            ("tok\\*", 0),
            ("tokyo-tow*", 1),
            ("tokyo-x*", 0),
            // A typed regular expression is the words in it (verbatim searches none).
            ("/tok.*/", 0),
            ("/tokyo/", 2),
            ("tokyo /osaka/", 0),
            ("text:/.*/ osaka", 1),
            // Syntax characters meant as text stay in their words.
            ("tokyo:tower", 1),
            ("tokyo:zzz", 0),
            ("tokyo)station", 1),
            ("tokyo^tower", 1),
            ("tokyo^2 tower", 1),
            ("station: tokyo", 1),
            ("tower(tokyo) station", 0),
            ("tokyo(tower) OR osaka", 2),
            ("(tokyo(tower) OR osaka) station", 0),
            ("[tokyo] <tower>", 1),
            // A lone word ending in `~N` finds the words within N edits (`~`: 2).
            ("tokio~1", 2),
            ("TOKIO~1", 2),
            ("tokyo~1", 2),
            ("tokyo~0", 2),
            ("tokio~0", 0),
            ("tokio", 0),
            ("oska~1", 1),
            ("osk~1", 0),
            ("osk~", 1),
            ("osk~9", 1),
            ("towr~1 tokio~1", 1),
            ("tokyo -towers~1", 1),
            ("(towr~1)^2 OR osaka", 2),
            ("text:osak~1", 1),
            ("zzzzz~1", 0),
            ("tokyo zzzzz~1", 0),
            // Several terms: the phrase, as written.
            ("tokyo-towr~1", 0),
            ("tokyo-tower~1", 1),
            ("\"tokyo tower\"~1", 1),
        ];
        for (query, want) in cases {
            assert_eq!(hits(query), want, "{query:?}");
        }
    }

    #[test]
    fn operators_that_join_nothing_are_left_out_with_a_warning() {
        let said = |q: &str| {
            let (text, errors) = joined_operators(q);
            let w: Vec<String> = errors.iter().filter_map(warning).collect();
            (text.into_owned(), w)
        };
        assert_eq!(said("tokyo station"), ("tokyo station".into(), vec![]));
        let (text, w) = said("tokyo AND  AND station OR");
        assert_eq!(text, "tokyo AND   station ");
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("right after another") && w[1].contains("no word after"));
        assert_eq!(said("\"a AND\" OR").0, "\"a AND\" ");
        assert_eq!(said("\"a \\\" AND\" b").0, "\"a \\\" AND\" b");
        assert_eq!(said("and or").0, "and or");
    }

    #[test]
    fn syntax_characters_that_text_means_as_themselves_are_escaped() {
        let f = &["text"];
        let cases = [
            ("tokyo", "tokyo"),
            ("10:30", "10\\:30"),
            ("tokyo:zzz", "tokyo\\:zzz"),
            ("text:tokyo", "text:tokyo"),
            ("text:tokyo:zzz", "text:tokyo\\:zzz"),
            ("+text:a -text:b", "+text:a -text:b"),
            ("-foo:bar", "-foo\\:bar"),
            ("cost: $5 (approx)", "cost\\: $5 (approx)"),
            ("http://a.org/b", "http\\://a.org/b"),
            ("std::vec", "std\\:\\:vec"),
            ("\"a:b\" c:d", "\"a:b\" c\\:d"),
            ("text:\"a:b\"", "text:\"a:b\""),
            ("what's up:x", "what's up\\:x"),
            ("a\\:b", "a\\:b"),
            ("x^2 y^1.5", "x^2 y^1.5"),
            ("x^.5 y", "x\\^.5 y"),
            ("/usr/bin/env python", "\\/usr/bin/env python"),
            ("text:/x/ a/b", "text:\\/x/ a/b"),
            ("a^b", "a\\^b"),
            ("(a b)^2", "(a b)^2"),
            ("tokyo)zzz", "tokyo\\)zzz"),
            ("(a) b)", "(a) b\\)"),
            ("((a)", "((a)"),
            ("\"x)\" y", "\"x)\" y"),
            ("f(x) y", "f\\(x\\) y"),
            ("(f(x))", "(f\\(x\\))"),
            ("[1] {2} <b> >5 a[1]", "\\[1] \\{2} \\<b> \\>5 a[1]"),
            ("text:(a b) a:(b c)", "text:(a b) a\\:\\(b c\\)"),
        ];
        for (query, want) in cases {
            assert_eq!(literal_syntax(query, f), want, "{query:?}");
        }
    }

    #[test]
    fn wanted_phrases_are_words_and_quoted_phrases_without_syntax() {
        assert_eq!(
            wanted_phrases("+tokyo^2 \"old tower\"~1 text:station -osaka NOT (a b) 東京"),
            ["tokyo", "\"old tower\"", "station", "東京"]
        );
        assert_eq!(wanted_phrases("a AND b OR c"), ["a", "b", "c"]);
        assert_eq!(wanted_phrases("10:30 text:x"), ["10:30", "x"]);
        assert_eq!(wanted_phrases("whale~1 +ship^2"), ["whale~1", "ship"]);
        assert_eq!(spaced("a\u{3000}b\u{a0}c d"), "a b c d");
    }

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
        assert_eq!(wanted_words("crème AND café").join(" "), "crème café");
        assert_eq!(wanted_words("café NOT zzz OR thé").join(" "), "café thé");
        // `!` is no operator in tantivy's grammar; lowercase `and` is a word.
        assert_eq!(
            wanted_words("-zzz café !yyy and not").join(" "),
            "café !yyy and not"
        );
        assert_eq!(
            wanted_words("NOT (zzz yyy) café -(a (b c)) thé").join(" "),
            "café thé"
        );
        assert_eq!(
            wanted_words("-\"zzz yyy\" café NOT \"a b c\" thé").join(" "),
            "café thé"
        );
        assert_eq!(wanted_words("NOT").join(" "), "");
        assert_eq!(wanted_words("-(unclosed café").join(" "), "");
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
