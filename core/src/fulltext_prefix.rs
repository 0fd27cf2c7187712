//! Prefix searches of a lone word (`tok*`), which tantivy's query grammar marks as a prefix
//! but its query parser searches as the whole word `tok`: it makes prefixes of a phrase's last
//! word only (`"tokyo tow"*`).
//!
//! The parsed query's words marked as prefixes that the index's analyzer makes one term of
//! become a search for every term starting with that term (tantivy's `RegexQuery` over the
//! term dictionary, `tok.*`: constant-scored, as a prefix query is in Lucene). Regular
//! expressions stay unsupported, because one such as `/.*/` reads every posting list of the
//! index: [`crate::fulltext_query::literal_syntax`] makes a typed one text, and any regular
//! expression leaf left is taken out of the query with an error.

use crate::fulltext::Terms;
use tantivy::query::QueryParserError;
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};

/// `ast` with each lone-word prefix of the field `field` (named, or the default field when
/// unnamed) made a prefix search of its term, and every regular expression typed in it left
/// out (each reported in `errors`); with the number of prefix searches made.
pub(crate) fn with_word_prefixes(
    ast: UserInputAst,
    terms: &Terms,
    field: &str,
    errors: &mut Vec<QueryParserError>,
) -> (UserInputAst, usize) {
    let mut made = 0;
    let ast = rewritten(ast, terms, field, errors, &mut made)
        .unwrap_or_else(|| UserInputAst::Clause(Vec::new()));
    (ast, made)
}

/// [`with_word_prefixes`] of one node; `None` for a node left out.
fn rewritten(
    ast: UserInputAst,
    terms: &Terms,
    field: &str,
    errors: &mut Vec<QueryParserError>,
    made: &mut usize,
) -> Option<UserInputAst> {
    match ast {
        UserInputAst::Clause(clauses) => Some(UserInputAst::Clause(
            clauses
                .into_iter()
                .filter_map(|(occur, sub)| {
                    Some((occur, rewritten(sub, terms, field, errors, made)?))
                })
                .collect(),
        )),
        UserInputAst::Boost(sub, boost) => Some(UserInputAst::Boost(
            Box::new(rewritten(*sub, terms, field, errors, made)?),
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
            other => Some(UserInputAst::Leaf(Box::new(other))),
        },
    }
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
