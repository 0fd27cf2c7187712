//! The OpenAPI 3.1 description of the API. Integration tests check real responses against it,
//! and `benches/api/run_schemathesis.sh` fuzzes the running server with it.
//!
//! The request schemas are derived from the request types with `utoipa` (`#[derive(ToSchema)]`
//! beside each route's request struct), so they cannot drift from what the server parses;
//! only the limits this server was started with are filled in here. Paths and answer schemas
//! are written out below.
//!
//! The request schemas say what the server accepts: whole numbers up to 2^53 - 1
//! ([`crate::fields::UInt`]), optional fields absent rather than `null`, no fields but the
//! listed ones (`additionalProperties: false`: an unknown field is answered 400), texts of at
//! least one character (whitespace is text; a search query needs a word), and the limits this
//! server was started with (`--max-items`, `--max-text-bytes`; the body limit,
//! `--max-body-bytes`, is in the API's description). Three limits cannot be written in JSON Schema and answer 413 / 422 instead:
//! the text limit counts UTF-8 bytes, not characters, token ids or delimiters depend on the
//! vocabulary of the index asked for, and the document tokens a trace reads
//! (`--max-trace-tokens`) depend on what it finds.

use crate::config::ServerConfig;
use crate::fields::MAX_SAFE_INTEGER;
use serde_json::{json, Value};

/// An integer field in `min..=max`.
fn int_field(min: u64, max: u64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn error_response(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn errors(codes: &[&str]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    for c in codes {
        let desc = match *c {
            "400" => "malformed JSON, wrong field types or an unknown field",
            "404" => "unknown index or document",
            "408" => "the request body paused longer than the server waits (`verbatim serve --body-timeout-secs`)",
            "413" => "text or body over the configured limit",
            "422" => "unusable input (empty text, ids outside the vocabulary)",
            "503" => "the server is busy; retry (Retry-After: 1)",
            "504" => "the request exceeded its deadline",
            _ => "error",
        };
        m.insert(c.to_string(), error_response(desc));
    }
    m
}

fn op(summary: &str, body: Option<&str>, ok: Value, errs: &[&str]) -> Value {
    let mut responses = errors(errs);
    responses.insert(
        "200".into(),
        json!({"description": "success", "content": {"application/json": {"schema": ok}}}),
    );
    let mut o = json!({"summary": summary, "responses": responses});
    if let Some(b) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{b}")}}}});
    }
    o
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The OpenAPI document for a server running with `config`.
pub fn document(config: &ServerConfig) -> Value {
    let mut doc = hand_written();
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("the document has component schemas");
    request_schemas(schemas, config);
    doc["info"]["description"] = Value::from(format!(
        "{} Request bodies of POST routes are JSON of at most {} bytes (413 beyond); their fields are read from the body only (a query string is answered 400).",
        doc["info"]["description"].as_str().unwrap_or_default(),
        config.max_body_bytes
    ));
    doc
}

/// The schema of request type `T` (and of the types it references), derived from the type
/// itself: its fields, their serde attributes (`deny_unknown_fields` gives
/// `additionalProperties: false`) and `#[schema(...)]` limits.
fn derive_schema<T: utoipa::ToSchema>(schemas: &mut serde_json::Map<String, Value>) {
    let mut deps = Vec::new();
    T::schemas(&mut deps);
    for (name, schema) in deps {
        schemas.insert(name, serde_json::to_value(schema).unwrap_or_default());
    }
    schemas.insert(
        T::name().into_owned(),
        serde_json::to_value(T::schema()).unwrap_or_default(),
    );
}

/// The request schemas, derived from the request types, with what only this running server
/// knows: its text, token and item limits.
fn request_schemas(schemas: &mut serde_json::Map<String, Value>, config: &ServerConfig) {
    use crate::routes::{cnf, contamination, count, search, spans, trace};
    derive_schema::<cnf::CnfRequest>(schemas);
    derive_schema::<crate::infini_gram::request::InfiniGramRequest>(schemas);
    derive_schema::<trace::TraceRequest>(schemas);
    derive_schema::<spans::SpansRequest>(schemas);
    derive_schema::<count::CountRequest>(schemas);
    derive_schema::<search::SearchRequest>(schemas);
    derive_schema::<contamination::ContaminationRequest>(schemas);
    let limit = format!(
        "at most {} bytes of UTF-8; 413 beyond",
        config.max_text_bytes
    );
    let mut describe = |schema: &str, path: &[&str]| {
        let mut v = &mut schemas[schema];
        for p in path {
            v = &mut v[*p];
        }
        let before = v["description"]
            .as_str()
            .unwrap_or("text")
            .trim_end_matches('.');
        v["description"] = Value::from(format!("{before} ({limit})."));
    };
    describe("TraceRequest", &["properties", "response"]);
    describe("TraceRequest", &["properties", "prompt"]);
    describe("SpansRequest", &["properties", "text"]);
    describe("CountRequest", &["properties", "text"]);
    describe("SearchRequest", &["properties", "query"]);
    describe(
        "ContaminationRequest",
        &["properties", "items", "items", "properties", "text"],
    );
    let count = &mut schemas["CountRequest"];
    count["description"] = Value::from("text or token_ids, exactly one of them");
    count["oneOf"] = json!([{"required": ["text"]}, {"required": ["token_ids"]}]);
    count["properties"]["token_ids"]["maxItems"] = Value::from(config.max_text_bytes / 4);
    // Token ids are u32 (TokenId); JSON Schema's int32 format is signed, so say it.
    count["properties"]["token_ids"]["items"]["maximum"] = Value::from(u32::MAX);
    schemas["ContaminationRequest"]["properties"]["items"]["maxItems"] =
        Value::from(config.max_items);
    // A list of index names holds 1 to MAX_LISTED names.
    if let Some(list) = schemas["IndexSelector"]["oneOf"]
        .as_array_mut()
        .and_then(|kinds| kinds.iter_mut().find(|k| k["type"] == "array"))
    {
        list["minItems"] = Value::from(1);
        list["maxItems"] = Value::from(crate::select::MAX_LISTED);
    }
    // The two names of the partial-words control must not contradict each other.
    let contradict = json!({"required": ["allow_spans_with_partial_words", "word_boundaries"],
    "anyOf": [
        {"properties": {"allow_spans_with_partial_words": {"const": true}, "word_boundaries": {"const": true}}},
        {"properties": {"allow_spans_with_partial_words": {"const": false}, "word_boundaries": {"const": false}}}
    ]});
    for name in ["SpansRequest", "TraceRequest"] {
        schemas[name]["not"] = contradict.clone();
        // A delimiter is one token: never empty.
        schemas[name]["properties"]["delimiters"]["items"]["minLength"] = Value::from(1);
    }
    // Older names the server accepts as aliases: listed, so that the closed schemas say what
    // is taken, and marked deprecated; one name or the other, never both (400).
    for &(schema, alias, name) in crate::fields::ALIASES {
        let s = &mut schemas[schema];
        let mut property = s["properties"][name].clone();
        property["description"] = Value::from(format!("Another name of `{name}` (not both)."));
        property["deprecated"] = Value::from(true);
        s["properties"][alias] = property;
        let both = json!({"not": {"required": [alias, name]}});
        match s["allOf"].as_array_mut() {
            Some(all) => all.push(both),
            None => s["allOf"] = json!([both]),
        }
    }
    // infini-gram's server reads a `null` query or query_ids as absent; exactly one is given.
    let ig = &mut schemas["InfiniGramRequest"];
    ig["properties"]["query"]["type"] = json!(["string", "null"]);
    ig["properties"]["query_ids"] = json!({"type": ["array", "null"],
        "description": "The query as token ids: a list of ids, or a CNF as a list (AND) of lists (OR) of lists of ids. At most 500 ids in all. Exactly one of `query` and `query_ids`."});
    for ignored in ["engine", "source", "timestamp"] {
        ig["properties"][ignored] = json!({"description": "Accepted and ignored, whatever its type (infini-gram's clients send it)."});
    }
    ig["properties"]["query_type"]["enum"] = json!(crate::infini_gram::request::QUERY_TYPES);
    // Routing needs the query type and the index (by either name).
    ig["required"] = json!(["query_type"]);
    ig["anyOf"] = json!([{"required": ["index"]}, {"required": ["corpus"]}]);
    ig["oneOf"] = json!([
        {"required": ["query"], "properties": {"query": {"type": "string"}, "query_ids": {"type": "null"}}},
        {"required": ["query_ids"], "properties": {"query_ids": {"type": "array"}, "query": {"type": "null"}}}
    ]);
}

/// `POST /api/infini-gram`: infini-gram's API, with its error convention (a string `error`;
/// 400 when the request cannot be routed, 200 when a value is out of bounds).
fn infini_gram_op() -> Value {
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": schema_ref("InfiniGramError")}}});
    json!({
        "summary": "infini-gram's HTTP API (also at POST /): count, prob, ntd, infgram_prob, infgram_ntd, find, find_cnf, search_docs, get_doc_by_rank, get_doc_by_ptr, with its request fields, limits and answers",
        "requestBody": {"required": true, "content": {"application/json": {"schema": schema_ref("InfiniGramRequest")}}},
        "responses": {
            "200": {"description": "the answer, or {\"error\"} for a value out of infini-gram's bounds", "content": {"application/json": {"schema": schema_ref("InfiniGramAnswer")}}},
            "400": err("missing query_type or index, unknown index or query type, both or neither of query and query_ids, malformed JSON or an unknown field"),
            "408": err("the request body paused longer than the server waits"),
            "413": err("body over the configured limit"),
            "503": err("the server is busy; retry"),
            "504": err("the request exceeded its deadline")
        }
    })
}

/// The rest of the document: paths, responses and answer schemas.
fn hand_written() -> Value {
    // Larger values are taken as the server's cap on a document's text.
    let doc_tokens = int_field(1, MAX_SAFE_INTEGER);
    let rel = json!({"type": "string", "enum": ["high", "medium", "low"]});
    let meta = json!({"type": "object", "additionalProperties": true});
    let nullable_str = json!({"type": ["string", "null"]});
    let uint = json!({"type": "integer", "minimum": 0});
    let span = json!({
        "type": "object",
        "required": ["id", "byte_start", "byte_end", "utf16_start", "utf16_end", "token_start", "token_end", "text", "token_ids", "count"],
        "properties": {
            "id": uint, "byte_start": uint, "byte_end": uint, "utf16_start": uint, "utf16_end": uint,
            "token_start": uint, "token_end": uint, "text": {"type": "string"}, "count": uint,
            "token_ids": {"type": "array", "items": uint, "description": "the span's token ids: give them to `GET /api/v1/documents` as `marks` to mark its occurrences in a document"},
            "relevance": rel, "unigram_logprob": {"type": "number"},
            "document_ids": {"type": "array", "items": {"type": "string"}},
            "stage_counts": {"type": "array", "items": schema_ref("StageCount")},
            "documents_withheld": {"type": "string", "enum": ["taken_down", "personal_data"],
                "description": "why a traced span that occurs in the corpus shows no document: every document holding it is taken down, or the privacy filter dropped every one shown"}
        }
    });
    let pii_masked = json!({"type": "object", "description": "personal-data items masked in the shown text, by kind",
        "properties": {"email": uint, "phone": uint, "ip": uint}, "additionalProperties": false});
    // A snippet, and a long view, of a traced document.
    let snippet = json!({
        "type": "object", "required": ["span_id", "before", "match", "after"],
        "properties": {"span_id": uint, "before": {"type": "string"}, "match": {"type": "string"}, "after": {"type": "string"},
            "at_document_start": {"type": "boolean", "description": "before begins where the document does"},
            "at_document_end": {"type": "boolean", "description": "after ends where the document does"}}
    });
    let document = json!({
        "type": "object",
        "required": ["id", "doc_no", "index", "source", "metadata", "bm25", "relevance_score", "relevance", "span_ids", "snippets"],
        "properties": {
            "id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta,
            "index": {"type": "string", "description": "the index holding it (in a group: the member)"},
            "stage": {"type": "string", "description": "the group's label for that index (groups only)"},
            "pii_masked": pii_masked,
            "long_snippets": {"type": "array", "items": snippet},
            "bm25": {"type": "number"}, "relevance_score": {"type": "number", "minimum": 0, "maximum": 1},
            "relevance": rel, "span_ids": {"type": "array", "items": uint},
            "snippets": {"type": "array", "items": snippet},
            "text": {"type": "string"}
        }
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "verbatim",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Find which spans of a language model's output appear verbatim in its training corpus, and the documents behind each span."
        },
        "paths": {
            "/api/v1/trace": {"post": op("OLMoTrace-style trace of a model output", Some("TraceRequest"), schema_ref("Trace"), &["400", "404", "408", "413", "422", "503", "504"])},
            "/api/v1/spans": {"post": op("All maximal matching spans of a text", Some("SpansRequest"), schema_ref("Spans"), &["400", "404", "408", "413", "422", "503", "504"])},
            "/api/v1/count": {"post": op("Occurrences of a text or token ids", Some("CountRequest"), schema_ref("Count"), &["400", "404", "408", "413", "422", "503", "504"])},
            "/api/v1/documents/{id}": {"get": {
                "summary": "A document by external id",
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "index", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "max_tokens", "in": "query", "required": false, "schema": doc_tokens},
                    {"name": "highlight", "in": "query", "required": false, "description": "mark every occurrence of this text in `text`, exactly as written (case-sensitive, inside words too; at most 1,000), as UTF-16 ranges in `highlights`", "schema": {"type": "string"}},
                    {"name": "marks", "in": "query", "required": false, "description": "mark every occurrence of these token sequences (a trace's spans' `token_ids`: ids joined by `.`, sequences by `,`; at most 256 sequences and 65,536 ids) in the document's tokens, as UTF-16 ranges in `marks` (at most 1,000, by position)", "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "the document", "content": {"application/json": {"schema": schema_ref("Document")}}},
                    "400": error_response("bad parameters"),
                    "404": error_response("unknown index or document"),
                    "503": error_response("busy"),
                    "504": error_response("deadline exceeded")
                }
            }},
            "/api/v1/documents": {"get": {
                "summary": "A document by external id, given as a query parameter (any id, `.` and `..` included)",
                "parameters": [
                    {"name": "id", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "index", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "max_tokens", "in": "query", "required": false, "schema": doc_tokens},
                    {"name": "highlight", "in": "query", "required": false, "description": "mark every occurrence of this text in `text`, exactly as written (case-sensitive, inside words too; at most 1,000), as UTF-16 ranges in `highlights`", "schema": {"type": "string"}},
                    {"name": "marks", "in": "query", "required": false, "description": "mark every occurrence of these token sequences (a trace's spans' `token_ids`: ids joined by `.`, sequences by `,`; at most 256 sequences and 65,536 ids) in the document's tokens, as UTF-16 ranges in `marks` (at most 1,000, by position)", "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "the document", "content": {"application/json": {"schema": schema_ref("Document")}}},
                    "400": error_response("bad parameters"),
                    "404": error_response("unknown index or document"),
                    "503": error_response("busy"),
                    "504": error_response("deadline exceeded")
                }
            }},
            "/api/v1/search": {"post": op("BM25 keyword search over the corpus", Some("SearchRequest"), schema_ref("Search"), &["400", "404", "408", "413", "422", "503", "504"])},
            "/api/v1/contamination": {"post": op("Benchmark contamination checks of items (GPT-3, PaLM, Llama 2, GPT-4, 50-char substrings)", Some("ContaminationRequest"), json!({"type": "object", "required": ["index", "methods", "summary", "items", "elapsed_ms"], "properties": {
                "index": {"type": "string"}, "methods": {"type": "array", "items": {"type": "string"}},
                "summary": {"type": "object"}, "items": {"type": "array", "items": {"type": "object"}}, "elapsed_ms": {"type": "number"}
            }}), &["400", "404", "408", "413", "422", "503", "504"])},
            "/api/v1/cnf": {"post": op("Documents holding a CNF of n-grams (a AND (b OR c)), counted and listed with the matches marked; infini-gram's max_clause_freq / max_diff_tokens semantics", Some("CnfRequest"), schema_ref("Cnf"), &["400", "404", "408", "413", "422", "503", "504"])},
            "/api/infini-gram": {"post": infini_gram_op()},
            "/": {"post": infini_gram_op()},
            "/api/v1/indexes": {"get": op("The served indexes", None, schema_ref("Indexes"), &[])},
            "/api/v1/examples": {"get": op("Example outputs for the web page", None, json!({"type": "object", "required": ["examples"], "properties": {"examples": {"type": "array", "items": {"type": "object"}}}}), &[])},
            "/health": {"get": op("Liveness", None, json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}), &[])},
            "/metrics": {"get": {
                "summary": "Prometheus metrics: requests, latency, each index's generation and reloads",
                "responses": {"200": {"description": "the metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}
            }}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
            }}},
            "Span": span,
            "StageCount": {"type": "object", "required": ["index", "stage", "count"], "properties": {
                "index": {"type": "string"}, "stage": {"type": "string"}, "count": uint}},
            "Stage": {"type": "object", "required": ["index", "stage", "first_doc", "documents"], "properties": {
                "index": {"type": "string"}, "stage": {"type": "string"}, "first_doc": uint, "documents": uint,
                "shown_documents": uint}},
            "TracedDocument": document,
            "Trace": {"type": "object", "required": ["index", "tokens", "candidate_spans", "spans", "display_spans", "documents", "timing_ms", "options", "pii", "pii_dropped_documents"], "properties": {
                "options": {"type": "object", "description": "every control the trace ran with, resolved",
                    "required": ["delimiters", "allow_spans_with_partial_words", "minimum_span_length", "maximum_frequency", "maximum_span_density", "span_ranking_method", "maximum_documents_per_span", "snippet_context_tokens", "long_context_tokens"],
                    "properties": {"delimiters": {"type": "array", "items": {"type": "string"}}, "allow_spans_with_partial_words": {"type": "boolean"},
                        "minimum_span_length": uint, "maximum_frequency": {"type": ["integer", "null"], "minimum": 1}, "maximum_span_density": {"type": "number"},
                        "span_ranking_method": {"type": "string", "enum": ["unigram_logprob_sum", "length"]},
                        "maximum_documents_per_span": uint, "snippet_context_tokens": uint, "long_context_tokens": uint}},
                "stages": {"type": "array", "items": schema_ref("Stage")},
                "pii": {"type": "string", "enum": ["mask", "drop", "off"]},
                "pii_dropped_documents": uint,
                "index": {"type": "string"}, "tokens": uint, "candidate_spans": uint,
                "spans": {"type": "array", "items": schema_ref("Span")},
                "display_spans": {"type": "array", "items": {"type": "object",
                    "required": ["byte_start", "byte_end", "utf16_start", "utf16_end", "span_ids", "relevance"],
                    "properties": {"byte_start": uint, "byte_end": uint, "utf16_start": uint, "utf16_end": uint,
                        "span_ids": {"type": "array", "items": uint}, "relevance": rel}}},
                "documents": {"type": "array", "items": schema_ref("TracedDocument")},
                "timing_ms": {"type": "object", "additionalProperties": {"type": "number"}}
            }},
            "Cnf": {"type": "object", "required": ["index", "clauses", "count", "approx", "documents_matched", "documents", "elapsed_ms"], "properties": {
                "index": {"type": "string"},
                "clauses": {"type": "array", "items": {"type": "array", "items": {"type": "object", "required": ["text", "token_ids", "count"],
                    "properties": {"text": {"type": "string"}, "token_ids": {"type": "array", "items": uint}, "count": uint}}}},
                "count": uint, "approx": {"type": "boolean"}, "documents_matched": uint, "elapsed_ms": {"type": "number"},
                "documents": {"type": "array", "items": {"type": "object", "required": ["id", "doc_no", "source", "metadata", "pieces"], "properties": {
                    "id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta, "pii_masked": pii_masked,
                    "pieces": {"type": "array", "items": {"type": "object", "required": ["text", "clause"],
                        "properties": {"text": {"type": "string"}, "clause": {"type": ["integer", "null"], "minimum": 0}}}}
                }}}
            }},
            "InfiniGramAnswer": {"type": "object", "description": "infini-gram's answer of the query type: count/approx (count), prompt_cnt/cont_cnt/prob (prob, infgram_prob, with suffix_len and longest_suffix), prompt_cnt/result_by_token_id/approx (ntd, infgram_ntd), cnt/segment_by_shard (find), cnt/approx/ptrs_by_shard (find_cnf), cnt/approx/idxs/documents/message (search_docs), doc_ix/doc_len/disp_len/needle_offset/metadata/blocked/spans (get_doc_by_rank, get_doc_by_ptr); always latency (ms), token_ids and tokens; or error (a string) when a value is out of bounds", "properties": {
                "error": {"type": "string"}, "latency": {"type": "number"}, "token_ids": {"type": "array"}, "tokens": {"type": "array"},
                "count": uint, "approx": {"type": "boolean"}, "cnt": uint, "prompt_cnt": uint, "cont_cnt": uint, "prob": {"type": "number"},
                "suffix_len": uint, "longest_suffix": {"type": "string"}, "result_by_token_id": {"type": "object"},
                "segment_by_shard": {"type": "array"}, "ptrs_by_shard": {"type": "array"}, "idxs": {"type": "array"}, "documents": {"type": "array"},
                "message": {"type": "string"}
            }},
            "InfiniGramError": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "Spans": {"type": "object", "required": ["index", "tokens", "spans"], "properties": {
                "index": {"type": "string"}, "tokens": uint, "spans": {"type": "array", "items": schema_ref("Span")},
                "stages": {"type": "array", "items": schema_ref("Stage")}
            }},
            "Count": {"type": "object", "required": ["count", "token_ids"], "properties": {
                "count": uint, "token_ids": {"type": "array", "items": uint},
                "stage_counts": {"type": "array", "items": schema_ref("StageCount")}
            }},
            "Document": {"type": "object", "required": ["id", "doc_no", "source", "metadata", "tokens", "truncated", "text", "highlights"], "properties": {
                "id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta, "tokens": uint,
                "truncated": {"type": "boolean"}, "text": {"type": "string"}, "pii_masked": pii_masked,
                "highlights": {"type": "array", "items": {"type": "object", "required": ["utf16_start", "utf16_end"],
                    "properties": {"utf16_start": uint, "utf16_end": uint}}},
                "marks": {"type": "array", "description": "occurrences of the `marks` sequences in the document's tokens, by position (present when `marks` was given)",
                    "items": {"type": "object", "required": ["mark", "utf16_start", "utf16_end"],
                    "properties": {"mark": uint, "utf16_start": uint, "utf16_end": uint}}}
            }},
            "Search": {"type": "object", "required": ["hits", "warnings"], "properties": {"hits": {"type": "array", "items": {
                "type": "object", "required": ["id", "doc_no", "source", "metadata", "score", "snippet"],
                "properties": {"id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta,
                    "score": {"type": "number"}, "snippet": {"type": "string"}, "pii_masked": pii_masked}
            }}, "warnings": {"type": "array", "description": "How the query was read where it was not valid as written (an unclosed parenthesis or quote, an AND with nothing before it, a regular expression left out); empty when it was read as typed", "items": {"type": "string"}}}},
            "Indexes": {"type": "object", "required": ["indexes", "groups", "unavailable", "pii"], "properties": {
                "pii": {"type": "string", "enum": ["mask", "drop", "off"]},
                "unavailable": {"type": "array", "description": "Indexes that answer nothing (rebuilt on disk as one this server cannot serve, failed their integrity check, a takedown list that cannot be read), and the groups holding them, with the reason their queries are refused; they are not in `indexes` or `groups`", "items": {"type": "object", "required": ["name", "error"], "properties": {"name": {"type": "string"}, "error": {"type": "string"}}}},
                "groups": {"type": "array", "items": {"type": "object", "required": ["name", "documents", "tokens", "stages"], "properties": {
                    "name": {"type": "string"}, "documents": uint, "tokens": uint, "stages": {"type": "array", "items": schema_ref("Stage")}}}},
                "indexes": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "tokenizer", "tokenizer_family", "tokenizer_sha256", "token_width", "shards", "tokens", "documents", "taken_down", "built_at", "generation", "fulltext", "sources", "source_stats"],
                "properties": {"name": {"type": "string"}, "tokenizer": {"type": "string"}, "tokenizer_family": {"type": "string"}, "tokenizer_sha256": {"type": "string"},
                    "token_width": uint, "shards": uint, "tokens": uint, "documents": uint, "taken_down": uint,
                    "built_at": {"type": "integer", "minimum": 0, "description": "Unix time of the build, in seconds"},
                    "generation": {"type": "integer", "minimum": 0, "description": "Appends and compactions since the first build; the server serves a new generation once it has opened it"},
                    "fulltext": {"type": "boolean"}, "sources": {"type": "array", "items": {"type": "string"}},
                    "source_stats": {"type": "array", "items": {"type": "object", "required": ["name", "documents", "tokens"],
                        "properties": {"name": nullable_str, "documents": uint, "tokens": uint}}}}
            }}}}
        }}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request schemas come from the request types: closed objects, optional fields that
    /// are absent rather than `null`, the limits of the types and of this server.
    #[test]
    fn request_schemas_are_derived_closed_and_carry_the_limits() {
        let config = ServerConfig::default();
        let doc = document(&config);
        let s = &doc["components"]["schemas"];
        for name in [
            "TraceRequest",
            "SpansRequest",
            "CountRequest",
            "SearchRequest",
            "ContaminationRequest",
        ] {
            assert_eq!(s[name]["additionalProperties"], false, "{name}");
            for (field, schema) in s[name]["properties"].as_object().unwrap() {
                let text = schema.to_string();
                assert!(!text.contains("null"), "{name}.{field} is nullable: {text}");
            }
        }
        let t = &s["TraceRequest"];
        assert_eq!(t["required"], json!(["response"]));
        assert_eq!(t["properties"]["response"]["minLength"], 1);
        assert_eq!(
            t["properties"]["maximum_frequency"]["maximum"],
            MAX_SAFE_INTEGER
        );
        assert_eq!(
            t["properties"]["maximum_documents_per_span"]["maximum"],
            100
        );
        assert_eq!(
            s["SpanRankingMethod"]["enum"],
            json!(["unigram_logprob_sum", "length"])
        );
        // `index` is a name or a list of names, through the shared `IndexSelector` schema.
        assert_eq!(
            t["properties"]["index"]["$ref"],
            "#/components/schemas/IndexSelector"
        );
        let kinds: Vec<&Value> = s["IndexSelector"]["oneOf"]
            .as_array()
            .expect("IndexSelector is a oneOf")
            .iter()
            .map(|k| &k["type"])
            .collect();
        assert_eq!(kinds, [&json!("string"), &json!("array")]);
        assert_eq!(s["IndexSelector"]["oneOf"][1]["maxItems"], 16);
        assert!(s["SpansRequest"]["not"]["required"].is_array());
        // Aliases are listed, deprecated, and exclusive of their other name.
        assert_eq!(t["properties"]["docs_per_span"]["deprecated"], true);
        assert_eq!(t["properties"]["docs_per_span"]["maximum"], 100);
        assert_eq!(
            s["SpansRequest"]["properties"]["maximum_frequency"]["deprecated"],
            true
        );
        assert!(t["allOf"]
            .as_array()
            .unwrap()
            .contains(&json!({"not": {"required": ["density", "maximum_span_density"]}})));
        assert_eq!(s["InfiniGramRequest"]["oneOf"].as_array().unwrap().len(), 2);
        let items = &s["ContaminationRequest"]["properties"]["items"];
        assert_eq!(items["maxItems"], config.max_items);
        assert_eq!(items["items"]["additionalProperties"], false);
        assert_eq!(
            s["CountRequest"]["properties"]["token_ids"]["maxItems"],
            config.max_text_bytes / 4
        );
        assert!(s["SearchRequest"]["properties"]["query"]["pattern"].is_string());
        assert_eq!(s["MethodName"]["enum"].as_array().unwrap().len(), 6);
        assert_eq!(
            s["CountRequest"]["properties"]["token_ids"]["items"]["maximum"],
            u32::MAX
        );
    }
}
