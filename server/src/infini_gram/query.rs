//! The query of an infini-gram API request as token ids: a string tokenized the way
//! infini-gram's API server tokenizes it, or ids checked against its limits.

use super::request::{
    Input, MAX_CLAUSES_PER_CNF, MAX_QUERY_CHARS, MAX_QUERY_TOKENS, MAX_TERMS_PER_CLAUSE,
};
use serde_json::Value;
use verbatim_core::{Index, TextTokenizer};

/// A query as token ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// One n-gram (possibly empty).
    Simple(Vec<u32>),
    /// Clauses (AND) of terms (OR) of n-grams.
    Cnf(Vec<Vec<Vec<u32>>>),
}

impl Query {
    /// The query as JSON (`token_ids` of the answer).
    pub fn ids_json(&self) -> Value {
        match self {
            Query::Simple(ids) => serde_json::json!(ids),
            Query::Cnf(c) => serde_json::json!(c),
        }
    }

    /// The vocabulary entries of the query (`tokens` of the answer), nested like the ids.
    pub fn tokens_json(&self, tok: &TextTokenizer) -> Value {
        // An id outside the vocabulary (the separator) is `null`, as `convert_ids_to_tokens`
        // gives `None` for it.
        let pieces = |ids: &[u32]| -> Value {
            Value::Array(
                ids.iter()
                    .map(|&id| tok.id_piece(id).map_or(Value::Null, Value::String))
                    .collect(),
            )
        };
        match self {
            Query::Simple(ids) => pieces(ids),
            Query::Cnf(c) => Value::Array(
                c.iter()
                    .map(|terms| Value::Array(terms.iter().map(|t| pieces(t)).collect()))
                    .collect(),
            ),
        }
    }

    /// The terms to mark in a shown document, by clause (a non-empty simple query is one
    /// clause of one term).
    pub fn needles(&self) -> Vec<Vec<Vec<u32>>> {
        match self {
            Query::Simple(ids) if ids.is_empty() => Vec::new(),
            Query::Simple(ids) => vec![vec![ids.clone()]],
            Query::Cnf(c) => c.clone(),
        }
    }
}

/// Tokenizes a query string as infini-gram's API server does: a non-empty query gets a
/// leading space for byte-level BPE tokenizers (GPT-2, GPT-NeoX / OLMo: `" " + query`), and a
/// lone leading `▁` is dropped for SentencePiece tokenizers (Llama: id 29871); bytes as they are.
pub fn api_tokenize(tok: &TextTokenizer, text: &str) -> verbatim_core::Result<Vec<u32>> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    if tok.piece_id("Ġthe").is_some() {
        return tok.encode_ids(&format!(" {text}"));
    }
    let mut ids = tok.encode_ids(text)?;
    if let (Some(lone), Some(&first)) = (tok.piece_id("▁"), ids.first()) {
        if first == lone {
            ids.remove(0);
        }
    }
    Ok(ids)
}

/// The query of a request as token ids, with infini-gram's checks and messages (answered
/// 200 with `error`).
pub fn resolve(index: &Index, input: Input) -> Result<Query, String> {
    let ids = match input {
        Input::NotAString => return Err("query must be a string!".into()),
        Input::Ids(v) => v,
        Input::Text(q) => {
            if q.chars().count() > MAX_QUERY_CHARS {
                return Err(format!(
                    "Please limit your input to <= {MAX_QUERY_CHARS} characters!"
                ));
            }
            let tok = index.tokenizer();
            let t = |s: &str| api_tokenize(tok, s).map_err(|e| e.to_string());
            if !(q.contains(" AND ") || q.contains(" OR ")) {
                serde_json::json!(t(&q)?)
            } else {
                let cnf = q
                    .split(" AND ")
                    .map(|c| c.split(" OR ").map(t).collect::<Result<Vec<_>, _>>())
                    .collect::<Result<Vec<_>, _>>()?;
                serde_json::json!(cnf)
            }
        }
    };
    check_ids(index, &ids)
}

/// A JSON integer (not a float, not a boolean).
fn int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

fn ints(v: &Value) -> Option<Vec<i128>> {
    v.as_array()?.iter().map(int).collect()
}

/// Checks `query_ids`: a list of integers or a triply-nested list, within infini-gram's
/// limits, every id in the vocabulary (or the document separator, which infini-gram's
/// server lets through as 65535).
fn check_ids(index: &Index, v: &Value) -> Result<Query, String> {
    let vocab = index.manifest().tokenizer.vocab_size as i128;
    let sep = index.manifest().tokenizer.width.separator() as i128;
    let in_range = |ids: &[i128]| ids.iter().all(|&i| i >= 0 && (i < vocab || i == sep));
    let too_many = || format!("Please limit your input to <= {MAX_QUERY_TOKENS} tokens!");
    let out_of_range = || "Some item(s) in your query_ids are out-of-range!".to_string();
    if let Some(ids) = ints(v) {
        if ids.len() > MAX_QUERY_TOKENS {
            return Err(too_many());
        }
        if !in_range(&ids) {
            return Err(out_of_range());
        }
        return Ok(Query::Simple(ids.into_iter().map(|i| i as u32).collect()));
    }
    let cnf: Option<Vec<Vec<Vec<i128>>>> = v.as_array().and_then(|clauses| {
        clauses
            .iter()
            .map(|c| c.as_array()?.iter().map(ints).collect())
            .collect()
    });
    let Some(cnf) = cnf else {
        return Err(
            "query_ids must be a list of integers, or a triply-nested list of integers!".into(),
        );
    };
    if cnf.iter().flatten().map(Vec::len).sum::<usize>() > MAX_QUERY_TOKENS {
        return Err(too_many());
    }
    if cnf.len() > MAX_CLAUSES_PER_CNF {
        return Err(format!(
            "Please enter at most {MAX_CLAUSES_PER_CNF} disjunctive clauses!"
        ));
    }
    for clause in &cnf {
        if clause.len() > MAX_TERMS_PER_CLAUSE {
            return Err(format!(
                "Please enter at most {MAX_TERMS_PER_CLAUSE} terms in each disjunctive clause!"
            ));
        }
        if !clause.iter().all(|t| in_range(t)) {
            return Err(out_of_range());
        }
    }
    Ok(Query::Cnf(
        cnf.into_iter()
            .map(|c| {
                c.into_iter()
                    .map(|t| t.into_iter().map(|i| i as u32).collect())
                    .collect()
            })
            .collect(),
    ))
}
