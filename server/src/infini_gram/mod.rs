//! infini-gram's HTTP API (`POST /api/infini-gram`), so its clients work unchanged.
//!
//! A request is routed ([`request`]: the index, the query type, `query` or `query_ids`),
//! its query turned into token ids ([`query`]: a string tokenized as infini-gram's server
//! does, CNF syntax included, within its limits), then answered ([`answer`]) by
//! [`verbatim_core::infini_gram::engine`] on any served index, infini-gram's or verbatim's.
//! Answers carry infini-gram's fields and `latency` (milliseconds), `token_ids` and
//! `tokens`; refusals are `{"error": "..."}`: 400 for a request that cannot be routed, 200
//! for out-of-bounds values, as infini-gram answers them (see docs/infini-gram.md).

pub mod answer;
pub mod marks;
pub mod query;
pub mod request;

use serde_json::{json, Map, Value};
use std::time::Instant;
use verbatim_core::pii::PiiMode;
use verbatim_core::Index;

/// Answers a routed request whose query is already resolved on `index`: the answer (or
/// refusal) with `latency`, `token_ids` and `tokens` added, its documents under the privacy
/// filter `pii`.
pub fn respond(index: &Index, routed: request::Routed, pii: PiiMode) -> Value {
    let q = match query::resolve(index, routed.input) {
        Ok(q) => q,
        Err(e) => return json!({ "error": e }),
    };
    let t = Instant::now();
    let mut m: Map<String, Value> =
        match answer::answer(index, &routed.query_type, &q, &routed.fields, pii) {
            Ok(m) => m,
            Err(e) => {
                let mut m = Map::new();
                m.insert("error".into(), json!(e));
                m
            }
        };
    m.insert("latency".into(), json!(t.elapsed().as_secs_f64() * 1000.0));
    m.insert("token_ids".into(), q.ids_json());
    m.insert("tokens".into(), q.tokens_json(index.tokenizer()));
    Value::Object(m)
}
