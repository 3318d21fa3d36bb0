//! End-to-end tests: the real `gateway` binary against real processes on
//! loopback: moto server (with SigV4 signature checking on) as the Kinesis API.
//! One test binary, so the gateway is built once for all of them.

mod authorizers;
mod binary;
mod config_errors;
mod conventions;
mod cors;
mod credentials;
mod examples;
mod gateway_errors;
mod hostile;
mod import_cloudformation;
mod import_openapi;
mod injection;
mod integrations;
mod kinesis_tutorial;
mod operations;
mod pipeline;
mod proxies;
mod readme;
mod render;
mod support;
mod template_cases;
mod usage_plans;
