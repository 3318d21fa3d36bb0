//! `jsonpath`: arbitrary JSONPath text through `JsonPath::compile`, and a
//! path that compiles queried against a few JSON documents (a tutorial
//! body, nested lists, a deep document, scalars).
//!
//! Paths come from configuration (`$input.path('...')`, `*.body.<path>`
//! mappings) and, through template variables, from requests. An error is a
//! fine outcome; a panic, a hang or unbounded memory is a finding.

#![no_main]

use std::sync::LazyLock;

use gateway_mapping::{JsonPath, Matches};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static DOCUMENTS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    [
        gateway_fuzz::BODY,
        r#"{"records": [{"data": "a", "partition-key": "k1", "n": 1},
                        {"data": "b", "partition-key": "k2", "n": 5},
                        {"data": null, "n": 3.5, "tags": ["x", "y"]}],
            "store": {"book": [{"price": 8.95, "title": "A"}, {"price": 22.99}],
                      "bicycle": {"color": "red", "price": 19.95}},
            "a.b": {"c'd": {"": 0}}}"#,
        &deep,
        "[[1, 2, [3, 4]], [5, [6, [7, [8]]]], {}, []]",
        r#""just a string""#,
        "-0.0",
        "null",
    ]
    .iter()
    .map(|text| serde_json::from_str(text).expect("a fixed document parses"))
    .collect()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = JsonPath::compile(text) else {
        return;
    };
    let _ = (path.as_str(), path.is_definite());
    for document in DOCUMENTS.iter() {
        let Ok(matches) = path.query(document) else {
            continue;
        };
        // A definite path gives one value or none; `to_value` copies it, as
        // `$input.json` does.
        if path.is_definite() {
            assert!(!matches!(matches, Matches::Many(_)));
        }
        let _ = matches.to_value();
    }
});
