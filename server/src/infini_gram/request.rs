//! A request of infini-gram's HTTP API, checked the way its API server (`api_server.py`)
//! checks it, with its limits and its messages.
//!
//! Two kinds of refusal, as infini-gram answers them: a request that cannot be routed (a
//! missing field, an unknown index or query type, both or neither of `query` and
//! `query_ids`) is answered 400; a routed request whose values are out of bounds is answered
//! **200** with `{"error": "..."}`, which infini-gram's clients check before anything else.

use serde::Deserialize;
use serde_json::Value;

/// Longest query string, in characters (infini-gram: `MAX_QUERY_CHARS`).
pub const MAX_QUERY_CHARS: usize = 1000;
/// Most tokens of a query, all terms of a CNF counted (`MAX_QUERY_TOKENS`).
pub const MAX_QUERY_TOKENS: usize = 500;
/// Most clauses of a CNF query (`MAX_CLAUSES_PER_CNF`).
pub const MAX_CLAUSES_PER_CNF: usize = 4;
/// Most terms of a CNF clause (`MAX_TERMS_PER_CLAUSE`).
pub const MAX_TERMS_PER_CLAUSE: usize = 4;
/// Largest `max_support` (`MAX_SUPPORT`).
pub const MAX_SUPPORT: u64 = 1000;
/// Largest `max_clause_freq` (`MAX_CLAUSE_FREQ`).
pub const MAX_CLAUSE_FREQ: u64 = 500_000;
/// Largest `max_diff_tokens` (`MAX_DIFF_TOKENS`).
pub const MAX_DIFF_TOKENS: u64 = 1000;
/// Largest `maxnum` (`MAXNUM`).
pub const MAXNUM: u64 = 10;
/// Largest `max_disp_len` (`MAX_DISP_LEN`).
pub const MAX_DISP_LEN: u64 = 10_000;
/// `max_support` when not given (infini-gram's engine default).
pub const DEFAULT_MAX_SUPPORT: u64 = 1000;
/// `maxnum` when not given.
pub const DEFAULT_MAXNUM: u64 = 1;
/// `max_disp_len` when not given.
pub const DEFAULT_MAX_DISP_LEN: u64 = 1000;

/// The query types answered, by their wire names.
pub const QUERY_TYPES: [&str; 12] = [
    "count",
    "count_cnf",
    "prob",
    "ntd",
    "infgram_prob",
    "infgram_ntd",
    "find",
    "find_cnf",
    "search_docs",
    "search_docs_cnf",
    "get_doc_by_rank",
    "get_doc_by_ptr",
];

/// The body of `POST /api/infini-gram`: infini-gram's request, field for field.
///
/// Integer fields are checked by the server with infini-gram's messages (a wrong type or
/// range is answered 200 with `error`, as infini-gram does), so they are parsed as JSON values
/// and documented as integers.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfiniGramRequest {
    /// The index to query: the name of a served index (`GET /api/v1/indexes`).
    #[serde(default)]
    #[schema(value_type = String)]
    pub index: Option<String>,
    /// The older name of `index`, still sent by infini-gram's clients; `corpus` wins when both are given.
    #[serde(default)]
    #[schema(value_type = String)]
    pub corpus: Option<String>,
    /// One of `count`, `prob`, `ntd`, `infgram_prob`, `infgram_ntd`, `find`, `find_cnf`,
    /// `search_docs`, `get_doc_by_rank`, `get_doc_by_ptr`.
    #[serde(default)]
    #[schema(value_type = String, example = "count")]
    pub query_type: Option<Value>,
    /// The query as text: an n-gram, or a CNF of n-grams joined by ` OR ` and ` AND ` (OR
    /// binds tighter). At most 1000 characters. Exactly one of `query` and `query_ids`.
    #[serde(default)]
    #[schema(value_type = String)]
    pub query: Option<Value>,
    /// The query as token ids: a list of ids, or a CNF as a list (AND) of lists (OR) of lists
    /// of ids. At most 500 ids in all.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub query_ids: Option<Value>,
    /// `search_docs`: documents to return (1 to 10; default 1).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 1, maximum = 10)]
    pub maxnum: Option<Value>,
    /// Documents: tokens shown around the match (1 to 10000; default 1000).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 1, maximum = 10000)]
    pub max_disp_len: Option<Value>,
    /// `ntd`, `infgram_ntd`: occurrences read exactly before the distribution is sampled (1
    /// to 1000; default 1000).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 1, maximum = 1000)]
    pub max_support: Option<Value>,
    /// CNF: a clause with more occurrences is sampled and the answer is approximate (1 to
    /// 500000; default 50000).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 1, maximum = 500000)]
    pub max_clause_freq: Option<Value>,
    /// CNF: the clauses' occurrences lie within this many tokens (1 to 1000; default 100).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 1, maximum = 1000)]
    pub max_diff_tokens: Option<Value>,
    /// `get_doc_by_rank`, `get_doc_by_ptr`: the shard.
    #[serde(default)]
    #[schema(value_type = u64, minimum = 0)]
    pub s: Option<Value>,
    /// `get_doc_by_rank`: the rank in the shard's suffix array (as `find` returns them).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 0)]
    pub rank: Option<Value>,
    /// `get_doc_by_ptr`: a byte offset into the shard's token stream, a multiple of the token
    /// width (as `find_cnf` returns them).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 0)]
    pub ptr: Option<Value>,
    /// Ignored (infini-gram's clients send it).
    #[serde(default)]
    #[schema(value_type = String)]
    pub engine: Option<Value>,
    /// Ignored (infini-gram's clients send it).
    #[serde(default)]
    #[schema(value_type = String)]
    pub source: Option<Value>,
    /// Ignored (infini-gram's clients send it).
    #[serde(default)]
    #[schema(value_type = String)]
    pub timestamp: Option<Value>,
}

/// A refusal before the query is routed: answered 400 with infini-gram's `[Flask]` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unroutable(pub String);

/// What the query is given as.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A string, tokenized by the index's tokenizer.
    Text(String),
    /// Token ids as sent (checked once the index's vocabulary is known).
    Ids(Value),
    /// A `query` that is not a string (infini-gram's processor answers it 200 with an error).
    NotAString,
}

/// A routed request: which index, which query type, the query and the other fields.
#[derive(Debug)]
pub struct Routed {
    /// The index name.
    pub index: String,
    /// The query type (one of [`QUERY_TYPES`]).
    pub query_type: String,
    /// The query.
    pub input: Input,
    /// The request, for its other fields.
    pub fields: InfiniGramRequest,
}

/// Routes a request as infini-gram's server does: the query type and the index must be
/// given, and exactly one of `query` and `query_ids`.
pub fn route(mut req: InfiniGramRequest) -> Result<Routed, Unroutable> {
    let query_type = match req.query_type.take() {
        None => {
            return Err(Unroutable(
                "[Flask] Missing required field: 'query_type'".into(),
            ))
        }
        Some(Value::String(s)) => s,
        Some(other) => return Err(Unroutable(format!("[Flask] Invalid query_type: {other}"))),
    };
    let index = match (req.corpus.take(), req.index.take()) {
        (Some(c), _) => c,
        (None, Some(i)) => i,
        (None, None) => return Err(Unroutable("[Flask] Missing required field: 'index'".into())),
    };
    let input = match (req.query.take(), req.query_ids.take()) {
        (Some(Value::String(q)), None) => Input::Text(q),
        (Some(_), None) => Input::NotAString,
        (None, Some(ids)) => Input::Ids(ids),
        _ => {
            return Err(Unroutable(
                "[Flask] Exactly one of query and query_ids must be present!".into(),
            ))
        }
    };
    if !QUERY_TYPES.contains(&query_type.as_str()) {
        return Err(Unroutable(format!(
            "[Flask] Invalid query_type: {query_type}"
        )));
    }
    Ok(Routed {
        index,
        query_type,
        input,
        fields: req,
    })
}

/// An optional integer field checked as infini-gram checks it: absent gives `default`, an
/// integer in `1..=max` is taken, anything else is refused with `"{name} must be an integer
/// in [1, {max}]!"`.
pub fn bounded(field: &Option<Value>, name: &str, max: u64, default: u64) -> Result<u64, String> {
    match field {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .filter(|&n| (1..=max).contains(&n))
            .ok_or_else(|| format!("{name} must be an integer in [1, {max}]!")),
    }
}

/// A required non-negative integer (`s`, `rank`, `ptr`); `None` when absent or not one.
pub fn index_field(field: &Option<Value>) -> Option<u64> {
    field.as_ref().and_then(Value::as_u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: Value) -> InfiniGramRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn routing_follows_infini_grams_server() {
        let r = route(req(
            json!({"index": "a", "query_type": "count", "query": "x"}),
        ))
        .unwrap();
        assert_eq!(r.index, "a");
        assert_eq!(r.input, Input::Text("x".into()));
        let r = route(req(
            json!({"index": "a", "corpus": "b", "query_type": "count", "query_ids": [1]}),
        ))
        .unwrap();
        assert_eq!(r.index, "b", "corpus wins, as in infini-gram");
        let e = route(req(json!({"index": "a", "query_type": "count"}))).unwrap_err();
        assert!(e.0.contains("Exactly one of query and query_ids"));
        let e = route(req(
            json!({"index": "a", "query_type": "count", "query": "x", "query_ids": [1]}),
        ))
        .unwrap_err();
        assert!(e.0.contains("Exactly one"));
        let e = route(req(json!({"index": "a", "query": "x"}))).unwrap_err();
        assert_eq!(e.0, "[Flask] Missing required field: 'query_type'");
        let e = route(req(json!({"query_type": "count", "query": "x"}))).unwrap_err();
        assert_eq!(e.0, "[Flask] Missing required field: 'index'");
        let e = route(req(
            json!({"index": "a", "query_type": "attribute", "query": "x"}),
        ))
        .unwrap_err();
        assert_eq!(e.0, "[Flask] Invalid query_type: attribute");
        assert!(
            serde_json::from_value::<InfiniGramRequest>(json!({"index": "a", "bogus": 1})).is_err()
        );
    }

    #[test]
    fn bounded_fields_use_infini_grams_messages() {
        assert_eq!(bounded(&None, "maxnum", 10, 1), Ok(1));
        assert_eq!(bounded(&Some(json!(10)), "maxnum", 10, 1), Ok(10));
        for bad in [
            json!(0),
            json!(11),
            json!(2.5),
            json!("3"),
            json!(-1),
            json!(true),
        ] {
            assert_eq!(
                bounded(&Some(bad), "maxnum", 10, 1),
                Err("maxnum must be an integer in [1, 10]!".into())
            );
        }
    }
}
