//! `config`: arbitrary configuration text loaded and compiled exactly as
//! `gateway validate` does: `Loaded::from_str`, then `compile::compile`
//! with a fixed environment (a region, nothing else) and fixed credentials.
//! Nothing is read from the process environment or the network.
//!
//! Refusing the file is a fine outcome, and a refusal is formatted as the
//! binary prints it; a panic (the CLI's exit 101), a hang or unbounded
//! memory is a finding.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use gateway::compile::{self, Environment};
use gateway::config::Loaded;
use gateway_integration::Credentials;
use libfuzzer_sys::fuzz_target;

fn env(name: &str) -> Option<String> {
    (name == "AWS_REGION").then(|| "us-east-1".to_string())
}

static ENVIRONMENT: LazyLock<Environment> = LazyLock::new(|| Environment {
    env,
    credentials: Credentials::fixed("fuzz", "fuzz", None),
});

fuzz_target!(|data: &[u8]| {
    // `Loaded::from_file` refuses a file that is not UTF-8.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.yaml");
    let result = Loaded::from_str(path, text)
        .and_then(|loaded| compile::compile(&loaded, &ENVIRONMENT).map(|api| api.router.len()));
    if let Err(error) = result {
        // What `gateway validate` prints.
        let _ = error.to_string();
    }
});
