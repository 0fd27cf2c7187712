//! Prefix searches of a lone word (`tok*`), which tantivy's query grammar marks as a prefix
//! but its query parser searches as the whole word `tok`: it makes prefixes of a phrase's last
//! word only (`"tokyo tow"*`); and fuzzy searches of a lone word (`whale~1`,
//! `fulltext_fuzzy.rs`).
//!
//! The parsed query's words marked as prefixes that the index's analyzer makes one term of
//! become a search for every term starting with that term (tantivy's `RegexQuery` over the
//! term dictionary, `tok.*`: constant-scored, as a prefix query is in Lucene). Regular
//! expressions stay unsupported, because one such as `/.*/` reads every posting list of the
//! index: [`crate::fulltext_query::literal_syntax`] makes a typed one text, and any regular
//! expression leaf left is taken out of the query with an error.

use crate::fulltext::Terms;
use crate::fulltext_fuzzy;
use tantivy::query::QueryParserError;
use tantivy::query_grammar::{Delimiter, Occur, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::Field;
use tantivy::Searcher;

/// Where the rewritten words search: the field, by name and handle, its analyzer, and a
/// searcher over its term dictionaries (for fuzzy words' terms).
pub(crate) struct WordField<'a> {
    /// The field's name, as a query names it.
    pub name: &'a str,
    /// The field.
    pub field: Field,
    /// Its analyzer.
    pub terms: &'a Terms,
    /// A searcher of the index.
    pub searcher: &'a Searcher,
}

/// `ast` with each lone-word prefix of the field (named, or the default field when unnamed)
/// made a prefix search of its term, each lone fuzzy word a search of the terms near its
/// term, and every regular expression typed in it left out (each reported in `errors`); with
/// the number of prefix and fuzzy searches made (they name no term of their own).
pub(crate) fn with_word_prefixes(
    ast: UserInputAst,
    at: &WordField<'_>,
    errors: &mut Vec<QueryParserError>,
) -> (UserInputAst, usize) {
    let mut made = 0;
    let ast =
        rewritten(ast, at, errors, &mut made).unwrap_or_else(|| UserInputAst::Clause(Vec::new()));
    (ast, made)
}

/// [`with_word_prefixes`] of one node; `None` for a node left out.
fn rewritten(
    ast: UserInputAst,
    at: &WordField<'_>,
    errors: &mut Vec<QueryParserError>,
    made: &mut usize,
) -> Option<UserInputAst> {
    let (terms, field) = (at.terms, at.name);
    match ast {
        UserInputAst::Clause(clauses) => Some(UserInputAst::Clause(
            clauses
                .into_iter()
                .filter_map(|(occur, sub)| Some((occur, rewritten(sub, at, errors, made)?)))
                .collect(),
        )),
        UserInputAst::Boost(sub, boost) => Some(UserInputAst::Boost(
            Box::new(rewritten(*sub, at, errors, made)?),
            boost,
        )),
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Regex { .. } => {
                errors.push(QueryParserError::UnsupportedQuery(
                    "regular expressions are not supported; a word ending in `*` searches the words that start with it".to_string(),
                ));
                None
            }
            UserInputLeaf::Literal(mut literal) => {
                let ours = literal.field_name.as_deref().is_none_or(|f| f == field);
                let bare = literal.delimiter == Delimiter::None && literal.slop == 0;
                if let Some(w) = fulltext_fuzzy::fuzzy_distance_warning(&literal.phrase)
                    .filter(|_| ours && bare && !literal.prefix)
                {
                    errors.push(QueryParserError::UnsupportedQuery(w));
                }
                if let Some((word, distance)) = fuzzy_stem(&literal).filter(|_| ours) {
                    let word = word.to_string();
                    return fuzzy(literal, word, distance, at, errors, made);
                }
                let Some(stem) = prefix_stem(&literal).filter(|_| ours) else {
                    return Some(UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(
                        literal,
                    ))));
                };
                let leaf = match terms.of(stem).as_slice() {
                    [(_, term)] => {
                        *made += 1;
                        UserInputLeaf::Regex {
                            field: Some(field.to_string()),
                            pattern: format!("{}.*", regex::escape(term)),
                        }
                    }
                    // Several terms (`tokyo-tow*`, `東京*`): a phrase whose last word is a
                    // prefix, as `"tokyo tow"*` is.
                    [_, _, ..] => {
                        literal.phrase = stem.to_string();
                        literal.prefix = true;
                        UserInputLeaf::Literal(literal)
                    }
                    [] => UserInputLeaf::Literal(literal),
                };
                Some(UserInputAst::Leaf(Box::new(leaf)))
            }
            // `text:*`: tantivy searches it as "has a value", which needs a fast field
            // (the search failed); every document has text, so it finds every one, as `*`.
            UserInputLeaf::Exists { field: f } if f == field => {
                Some(UserInputAst::Leaf(Box::new(UserInputLeaf::All)))
            }
            other => Some(UserInputAst::Leaf(Box::new(other))),
        },
    }
}

/// A lone fuzzy word (`whale~1`) made a search for any of the terms near its term; a word of
/// several terms (`tokyo-tower~1`) searches them as a phrase, and `~0` the word itself.
fn fuzzy(
    mut literal: UserInputLiteral,
    word: String,
    distance: u8,
    at: &WordField<'_>,
    errors: &mut Vec<QueryParserError>,
    made: &mut usize,
) -> Option<UserInputAst> {
    let near = match at.terms.of(&word).as_slice() {
        [(_, term)] if distance > 0 => {
            match fulltext_fuzzy::expansions(at.searcher, at.field, term, distance) {
                Ok(near) => near,
                Err(e) => {
                    errors.push(QueryParserError::UnsupportedQuery(format!(
                        "cannot read the terms near {term:?}: {e}"
                    )));
                    return None;
                }
            }
        }
        _ => Vec::new(),
    };
    literal.phrase = word;
    let as_written = UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(literal)));
    // None near it (then the word itself is not in the index either, and finds nothing).
    if near.is_empty() {
        return Some(as_written);
    }
    *made += 1;
    // Any term near it, and the word itself scored by BM25, so that the documents holding
    // the word come first.
    let any = UserInputLeaf::Set {
        field: Some(at.name.to_string()),
        elements: near,
    };
    Some(UserInputAst::Clause(vec![
        (Some(Occur::Must), UserInputAst::Leaf(Box::new(any))),
        (Some(Occur::Should), as_written),
    ]))
}

/// The word and edits of a bare word written fuzzy (`whale~1`), which the grammar keeps in
/// the word.
fn fuzzy_stem(literal: &UserInputLiteral) -> Option<(&str, u8)> {
    if literal.delimiter != Delimiter::None || literal.slop > 0 || literal.prefix {
        return None;
    }
    fulltext_fuzzy::fuzzy_word(&literal.phrase)
}

/// The text a literal asks for the prefixes of: a quoted one marked as a prefix (`"tok"*`),
/// or a bare word ending in `*` (`tok*`, which the grammar keeps in the word; not `tok\*`).
fn prefix_stem(literal: &UserInputLiteral) -> Option<&str> {
    if literal.prefix {
        return Some(&literal.phrase);
    }
    if literal.delimiter != Delimiter::None || literal.slop > 0 {
        return None;
    }
    word_prefix(&literal.phrase)
}

/// The stem of a word written as a prefix, `tok*` (`tok`), or `None` when it does not end in
/// an unescaped `*`.
pub(crate) fn word_prefix(word: &str) -> Option<&str> {
    let stem = word.trim_end_matches('*');
    (stem.len() < word.len() && !stem.ends_with('\\')).then_some(stem)
}
