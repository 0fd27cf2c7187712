//! verbatim's integration tests: one binary, one module per area.

mod support;

mod bad_input;
mod build_verify;
mod contamination;
mod golden;
mod corruption;
mod issue16_core;
mod oracle;
mod server_api;
mod shared_data;
