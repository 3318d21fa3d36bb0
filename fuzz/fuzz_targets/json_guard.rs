//! `json_guard`: the template-injection guard over the tutorial's PutRecord
//! and PutRecords templates, with the fuzz input as the client's body.
//!
//! Both templates paste client text between quotes. Whatever the body, a
//! render the guard lets through must keep the structure the template lays
//! out: PutRecord's three members, and PutRecords' records of exactly `Data`
//! and `PartitionKey`. A body the guard accepts that serde_json reads with
//! other members is a finding; so is a panic, a hang or unbounded memory.
//! (The guard reads strings leniently, as `$util.escapeJavaScript`'s `\'` is
//! harmless, so a render it accepts need not be strict JSON.)

#![no_main]

use gateway_fuzz::render_recording;
use gateway_mapping::{Body, Interpolations, Template};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::LazyLock;

const PUT_RECORD: &str = r#"{
    "StreamName": "$input.params('stream-name')",
    "Data": "$util.base64Encode($input.json('$.Data'))",
    "PartitionKey": "$input.path('$.PartitionKey')"
}"#;

const PUT_RECORDS: &str = r#"{
    "StreamName": "$input.params('stream-name')",
    "Records": [
       #foreach($elem in $input.path('$.records'))
          {
            "Data": "$util.base64Encode($elem.data)",
            "PartitionKey": "$elem.partition-key"
          }#if($foreach.hasNext),#end
        #end
    ]
}"#;

static TEMPLATES: LazyLock<[Template; 2]> = LazyLock::new(|| {
    [
        Template::compile("PutRecord", PUT_RECORD).expect("the tutorial's template"),
        Template::compile("PutRecords", PUT_RECORDS).expect("the tutorial's template"),
    ]
});

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let body = Body::new(&text);
    let mut interpolations = Interpolations::default();
    let [put_record, put_records] = &*TEMPLATES;

    if let Some(out) = render_recording(put_record, &body, &mut interpolations) {
        let accepted = gateway::json_guard::check(put_record, out.as_bytes(), &mut interpolations);
        if let (Ok(()), Ok(value)) = (accepted, serde_json::from_str::<Value>(&out)) {
            assert_eq!(
                keys(&value),
                ["Data", "PartitionKey", "StreamName"],
                "{out}"
            );
        }
    }

    if let Some(out) = render_recording(put_records, &body, &mut interpolations) {
        let accepted = gateway::json_guard::check(put_records, out.as_bytes(), &mut interpolations);
        if let (Ok(()), Ok(value)) = (accepted, serde_json::from_str::<Value>(&out)) {
            assert_eq!(keys(&value), ["Records", "StreamName"], "{out}");
            for record in value["Records"].as_array().expect("Records is a list") {
                assert_eq!(keys(record), ["Data", "PartitionKey"], "{out}");
            }
        }
    }
});
