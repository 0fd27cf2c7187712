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
        match answer::answer(index, &routed.query_type, &q, &routed.fields) {
            Ok(m) => m,
            Err(e) => {
                let mut m = Map::new();
                m.insert("error".into(), json!(e));
                m
            }
        };
    withhold_personal_data(&mut m, pii);
    m.insert("latency".into(), json!(t.elapsed().as_secs_f64() * 1000.0));
    m.insert("token_ids".into(), q.ids_json());
    m.insert("tokens".into(), q.tokens_json(index.tokenizer()));
    Value::Object(m)
}

/// The privacy filter on infini-gram's document answers (`search_docs`, `get_doc_by_rank`,
/// `get_doc_by_ptr`): their `token_ids` are the shown text too, so a document whose window
/// holds an e-mail address, phone number or IP address cannot be masked in place; in `mask`
/// and `drop` modes it is answered as infini-gram answers a blocked document (`blocked: true`,
/// no token ids, spans or metadata). Counts are unaffected.
fn withhold_personal_data(m: &mut Map<String, Value>, pii: PiiMode) {
    if pii == PiiMode::Off {
        return;
    }
    let withhold = |d: &mut Map<String, Value>| {
        let Some(spans) = d.get("spans").and_then(Value::as_array) else {
            return;
        };
        let text: String = spans
            .iter()
            .filter_map(|s| s.get(0).and_then(Value::as_str))
            .collect();
        if !verbatim_core::pii::find(&text).is_empty() {
            d.insert("blocked".into(), json!(true));
            d.insert("token_ids".into(), json!([]));
            d.insert("spans".into(), json!([]));
            d.insert("metadata".into(), json!(""));
        }
    };
    withhold(m);
    if let Some(docs) = m.get_mut("documents").and_then(Value::as_array_mut) {
        for d in docs.iter_mut().filter_map(Value::as_object_mut) {
            withhold(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("an object"),
        }
    }

    fn doc(text: &str) -> Value {
        json!({"doc_ix": 1, "blocked": false, "token_ids": [1, 2], "metadata": "{}",
               "spans": [[text, null], [" and more", "0"]]})
    }

    #[test]
    fn documents_holding_personal_data_are_answered_blocked() {
        let mut one = object(doc("write to jane.doe@example.com"));
        withhold_personal_data(&mut one, PiiMode::Mask);
        assert_eq!(one["blocked"], true);
        assert_eq!(one["token_ids"], json!([]));
        assert_eq!(one["spans"], json!([]));
        let mut many =
            object(json!({"documents": [doc("call 555-867-5309 now"), doc("version 1.2 only")]}));
        withhold_personal_data(&mut many, PiiMode::Drop);
        assert_eq!(many["documents"][0]["blocked"], true);
        assert_eq!(many["documents"][1]["blocked"], false);
        let mut off = object(doc("write to jane.doe@example.com"));
        withhold_personal_data(&mut off, PiiMode::Off);
        assert_eq!(off["blocked"], false);
    }
}
