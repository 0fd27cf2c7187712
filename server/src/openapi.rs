//! The OpenAPI 3 description of the API. Integration tests check real responses against it,
//! and `benches/api/run_schemathesis.sh` fuzzes the running server with it.
//!
//! The request schemas say what the server accepts: whole numbers up to 2^53 - 1
//! ([`crate::fields::UInt`]), optional fields absent rather than `null`, no fields but the
//! listed ones (`additionalProperties: false`: an unknown field is answered 400), texts of at
//! least one character (whitespace is text; a search query needs a word), and the limits this server was started with (`--max-items`,
//! `--max-text-bytes`). Two limits cannot be written in JSON Schema and answer 413 / 422 instead:
//! the text limit counts UTF-8 bytes, not characters, and token ids or delimiters depend on the
//! vocabulary of the index asked for.

use crate::config::ServerConfig;
use crate::fields::MAX_SAFE_INTEGER;
use serde_json::{json, Value};

/// A string with at least one character that is not whitespace, as `str::trim` defines it
/// (Unicode `White_Space`), spelled out so that every regex dialect reads it alike.
const NOT_ONLY_WHITESPACE: &str =
    "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// A text field: any non-empty string (whitespace-only text is a valid n-gram).
fn text_field(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": description})
}

/// A search query: at least one character that is not whitespace.
fn query_field(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "pattern": NOT_ONLY_WHITESPACE, "description": description})
}

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
    let any_int = int_field(0, MAX_SAFE_INTEGER);
    let text_limit = format!(
        "at most {} bytes of UTF-8 (413 beyond)",
        config.max_text_bytes
    );
    let rel = json!({"type": "string", "enum": ["high", "medium", "low"]});
    let meta = json!({"type": "object", "additionalProperties": true});
    let nullable_str = json!({"type": ["string", "null"]});
    let uint = json!({"type": "integer", "minimum": 0});
    let span = json!({
        "type": "object",
        "required": ["id", "byte_start", "byte_end", "utf16_start", "utf16_end", "token_start", "token_end", "text", "count"],
        "properties": {
            "id": uint, "byte_start": uint, "byte_end": uint, "utf16_start": uint, "utf16_end": uint,
            "token_start": uint, "token_end": uint, "text": {"type": "string"}, "count": uint,
            "relevance": rel, "unigram_logprob": {"type": "number"},
            "document_ids": {"type": "array", "items": {"type": "string"}}
        }
    });
    let document = json!({
        "type": "object",
        "required": ["id", "doc_no", "source", "metadata", "bm25", "relevance_score", "relevance", "span_ids", "snippets"],
        "properties": {
            "id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta,
            "bm25": {"type": "number"}, "relevance_score": {"type": "number", "minimum": 0, "maximum": 1},
            "relevance": rel, "span_ids": {"type": "array", "items": uint},
            "snippets": {"type": "array", "items": {
                "type": "object", "required": ["span_id", "before", "match", "after"],
                "properties": {"span_id": uint, "before": {"type": "string"}, "match": {"type": "string"}, "after": {"type": "string"}}
            }},
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
            "/api/v1/trace": {"post": op("OLMoTrace-style trace of a model output", Some("TraceRequest"), schema_ref("Trace"), &["400", "404", "413", "422", "503", "504"])},
            "/api/v1/spans": {"post": op("All maximal matching spans of a text", Some("SpansRequest"), schema_ref("Spans"), &["400", "404", "413", "422", "503", "504"])},
            "/api/v1/count": {"post": op("Occurrences of a text or token ids", Some("CountRequest"), schema_ref("Count"), &["400", "404", "413", "422", "503", "504"])},
            "/api/v1/documents/{id}": {"get": {
                "summary": "A document by external id",
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "index", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "max_tokens", "in": "query", "required": false, "schema": any_int},
                    {"name": "highlight", "in": "query", "required": false, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "the document", "content": {"application/json": {"schema": schema_ref("Document")}}},
                    "400": error_response("bad parameters"),
                    "404": error_response("unknown index or document"),
                    "503": error_response("busy"),
                    "504": error_response("deadline exceeded")
                }
            }},
            "/api/v1/search": {"post": op("BM25 keyword search over the corpus", Some("SearchRequest"), schema_ref("Search"), &["400", "404", "413", "422", "503", "504"])},
            "/api/v1/contamination": {"post": op("Benchmark contamination checks of items (GPT-3, PaLM, Llama 2, GPT-4, 50-char substrings)", Some("ContaminationRequest"), json!({"type": "object", "required": ["index", "methods", "summary", "items", "elapsed_ms"], "properties": {
                "index": {"type": "string"}, "methods": {"type": "array", "items": {"type": "string"}},
                "summary": {"type": "object"}, "items": {"type": "array", "items": {"type": "object"}}, "elapsed_ms": {"type": "number"}
            }}), &["400", "404", "413", "422", "503", "504"])},
            "/api/v1/indexes": {"get": op("The served indexes", None, schema_ref("Indexes"), &[])},
            "/api/v1/examples": {"get": op("Example outputs for the web page", None, json!({"type": "object", "required": ["examples"], "properties": {"examples": {"type": "array", "items": {"type": "object"}}}}), &[])},
            "/health": {"get": op("Liveness", None, json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}), &[])}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
            }}},
            "TraceRequest": {"type": "object", "required": ["response"], "additionalProperties": false, "properties": {
                "response": text_field(&format!("the model output; {text_limit}")),
                "prompt": {"type": "string", "description": text_limit}, "index": {"type": "string"},
                "max_count": any_int,
                "word_boundaries": {"type": "boolean"},
                "density": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "docs_per_span": int_field(1, 100),
                "full_documents": {"type": "boolean"}
            }},
            "SpansRequest": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
                "text": text_field(&text_limit), "index": {"type": "string"},
                "max_count": any_int, "word_boundaries": {"type": "boolean"},
                "delimiters": {"type": "array", "items": {"type": "string", "description": "a single token of the index's tokenizer (422 otherwise)"}, "maxItems": 32},
                "min_len": any_int
            }},
            "CountRequest": {
                "type": "object",
                "additionalProperties": false,
                "description": "text or token_ids, exactly one of them",
                "oneOf": [{"required": ["text"]}, {"required": ["token_ids"]}],
                "properties": {
                    "text": text_field(&text_limit),
                    "token_ids": {"type": "array", "minItems": 1, "maxItems": config.max_text_bytes / 4,
                        "items": {"type": "integer", "minimum": 0, "maximum": u32::MAX, "description": "below the index's vocabulary size (422 otherwise)"}},
                    "index": {"type": "string"}
                }
            },
            "ContaminationRequest": {"type": "object", "required": ["items"], "additionalProperties": false, "properties": {
                "items": {"type": "array", "minItems": 1, "maxItems": config.max_items, "items": {"type": "object", "required": ["id", "text"], "additionalProperties": false, "properties": {
                    "id": {"type": "string"}, "text": text_field(&text_limit), "bench": {"type": "string"}}}},
                "methods": {"type": "array", "items": {"type": "string", "enum": ["gpt3", "palm", "llama2", "gpt4", "substr50", "all"]}},
                "index": {"type": "string"}, "llama2_skip": int_field(0, 16), "examples": int_field(0, 20)
            }},
            "SearchRequest": {"type": "object", "required": ["query"], "additionalProperties": false, "properties": {
                "query": query_field(&text_limit), "limit": int_field(1, 100), "index": {"type": "string"}
            }},
            "Span": span,
            "TracedDocument": document,
            "Trace": {"type": "object", "required": ["index", "tokens", "candidate_spans", "spans", "display_spans", "documents", "timing_ms"], "properties": {
                "index": {"type": "string"}, "tokens": uint, "candidate_spans": uint,
                "spans": {"type": "array", "items": schema_ref("Span")},
                "display_spans": {"type": "array", "items": {"type": "object",
                    "required": ["byte_start", "byte_end", "utf16_start", "utf16_end", "span_ids", "relevance"],
                    "properties": {"byte_start": uint, "byte_end": uint, "utf16_start": uint, "utf16_end": uint,
                        "span_ids": {"type": "array", "items": uint}, "relevance": rel}}},
                "documents": {"type": "array", "items": schema_ref("TracedDocument")},
                "timing_ms": {"type": "object", "additionalProperties": {"type": "number"}}
            }},
            "Spans": {"type": "object", "required": ["index", "tokens", "spans"], "properties": {
                "index": {"type": "string"}, "tokens": uint, "spans": {"type": "array", "items": schema_ref("Span")}
            }},
            "Count": {"type": "object", "required": ["count", "token_ids"], "properties": {
                "count": uint, "token_ids": {"type": "array", "items": uint}
            }},
            "Document": {"type": "object", "required": ["id", "doc_no", "source", "metadata", "tokens", "truncated", "text", "highlights"], "properties": {
                "id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta, "tokens": uint,
                "truncated": {"type": "boolean"}, "text": {"type": "string"},
                "highlights": {"type": "array", "items": {"type": "object", "required": ["utf16_start", "utf16_end"],
                    "properties": {"utf16_start": uint, "utf16_end": uint}}}
            }},
            "Search": {"type": "object", "required": ["hits"], "properties": {"hits": {"type": "array", "items": {
                "type": "object", "required": ["id", "doc_no", "source", "metadata", "score", "snippet"],
                "properties": {"id": {"type": "string"}, "doc_no": uint, "source": nullable_str, "metadata": meta,
                    "score": {"type": "number"}, "snippet": {"type": "string"}}
            }}}},
            "Indexes": {"type": "object", "required": ["indexes"], "properties": {"indexes": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "tokenizer", "tokenizer_family", "tokenizer_sha256", "token_width", "shards", "tokens", "documents", "taken_down", "built_at", "fulltext", "sources", "source_stats"],
                "properties": {"name": {"type": "string"}, "tokenizer": {"type": "string"}, "tokenizer_family": {"type": "string"}, "tokenizer_sha256": {"type": "string"},
                    "token_width": uint, "shards": uint, "tokens": uint, "documents": uint, "taken_down": uint,
                    "built_at": {"type": "integer", "minimum": 0, "description": "Unix time of the build, in seconds"},
                    "fulltext": {"type": "boolean"}, "sources": {"type": "array", "items": {"type": "string"}},
                    "source_stats": {"type": "array", "items": {"type": "object", "required": ["name", "documents", "tokens"],
                        "properties": {"name": nullable_str, "documents": uint, "tokens": uint}}}}
            }}}}
        }}
    })
}
