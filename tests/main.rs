//! verbatim's integration tests: one binary, one module per area.

mod support;

mod bad_input;
mod build_verify;
mod contamination;
mod corruption;
mod issue16_core;
mod oracle;
mod parquet_input;
mod server_api;
mod shared_data;
