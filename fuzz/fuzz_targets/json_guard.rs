//! `json_guard`: `gateway::json_guard::check` over arbitrary bytes, as the
//! gateway runs it on every rendered body bound for an AWS JSON protocol.
//!
//! Refusing the body is a fine outcome; a panic, a hang or unbounded memory
//! is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let verdict = gateway::json_guard::check(data);
    // What the guard accepts is one JSON document: serde_json agrees.
    if verdict.is_ok() {
        assert!(
            serde_json::from_slice::<serde_json::Value>(data).is_ok(),
            "the guard accepted a body that is not JSON"
        );
    }
});
