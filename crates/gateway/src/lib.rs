//! The gateway binary's library: configuration, compilation, the server and
//! the command line.
//!
//! `gateway run` loads `gateway.yaml` ([`config`]), compiles it once into an
//! [`api::Api`] ([`compile`]) and serves it ([`server`]); every request goes
//! through the stages in [`pipeline`]. `gateway render` runs the same stages
//! up to the integration request and prints it instead of sending it.

pub mod access_log;
pub mod admin;
pub mod api;
pub mod auth;
pub mod binary;
pub mod cases;
pub mod cli;
pub mod compile;
pub mod config;
pub mod cors;
pub mod environment;
pub mod error;
pub mod forwarded;
pub mod framing;
pub mod gateway_response;
pub mod import;
pub mod json_guard;
pub mod metrics;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod run;
pub mod server;
pub mod settings;
mod time;
pub mod usage;
