//! verbatim's integration tests: one binary, one module per area.

mod support;

mod append;
mod assemble_parts;
mod bad_input;
mod body_limit;
mod build_verify;
mod cli_args;
mod cnf_sampling;
mod compact;
mod compressed_input;
mod contamination;
mod corruption;
mod document_size;
mod fulltext_normalization;
mod fulltext_query_text;
mod golden;
mod groups;
mod infini_gram;
mod infini_gram_bare;
mod issue16_core;
mod layout;
mod oracle;
mod parquet_input;
mod pii;
mod privacy_edges;
mod ranking;
mod residency;
mod router;
mod samples;
mod sentencepiece_decode;
mod served_generations;
mod server_api;
mod shared_data;
mod span_text;
mod takedown_carry_over;
