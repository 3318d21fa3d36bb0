//! The eight request templates of the "REST API as an Amazon Kinesis proxy"
//! tutorial (shared/seeds/001: the multi-line versions; seeds/000: the
//! single-line ones), with the tutorial's example inputs.

use std::collections::BTreeMap;

use gateway_mapping::{Body, Context, Input, Params, Template, Variables};

struct Req<'a> {
    body: &'a str,
    path: Vec<(String, String)>,
    query: Vec<(String, String)>,
    header: Vec<(String, String)>,
}

impl<'a> Req<'a> {
    fn new(body: &'a str) -> Req<'a> {
        Req {
            body,
            path: vec![("stream-name".into(), "myStream".into())],
            query: vec![],
            header: vec![],
        }
    }
}

fn render(name: &str, template: &str, req: &Req<'_>) -> String {
    let t = Template::compile(name, template).unwrap_or_else(|e| panic!("{e:#}"));
    let context = Context::default();
    let stage = BTreeMap::new();
    let body = Body::new(req.body);
    let vars = Variables {
        input: Input::new(
            &body,
            Params {
                path: &req.path,
                querystring: &req.query,
                header: &req.header,
            },
        ),
        context: &context,
        stage_variables: &stage,
    };
    t.render(&vars).unwrap_or_else(|e| panic!("{e:#}")).body
}

fn assert_json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

const CREATE_STREAM: &str = "{\n    \"ShardCount\": #if($input.path('$.ShardCount') == '') 5 #else $input.path('$.ShardCount') #end,\n    \"StreamName\": \"$input.params('stream-name')\"\n}";

const PUT_RECORD: &str = "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Data\": \"$util.base64Encode($input.json('$.Data'))\",\n    \"PartitionKey\": \"$input.path('$.PartitionKey')\"\n}";

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

#[test]
fn list_streams() {
    assert_eq!(render("ListStreams", "{}", &Req::new("")), "{}");
}

#[test]
fn create_stream_defaults_shard_count_for_empty_object_and_empty_body() {
    let want = "{\n    \"ShardCount\":  5 ,\n    \"StreamName\": \"myStream\"\n}";
    for body in ["{}", ""] {
        let out = render("CreateStream", CREATE_STREAM, &Req::new(body));
        assert_eq!(out, want, "body {body:?}");
        assert_eq!(assert_json(&out)["ShardCount"], 5);
    }
}

#[test]
fn create_stream_uses_given_shard_count() {
    let out = render(
        "CreateStream",
        CREATE_STREAM,
        &Req::new("{ \n    \"ShardCount\": 3\n}"),
    );
    assert_eq!(
        out,
        "{\n    \"ShardCount\":  3 ,\n    \"StreamName\": \"myStream\"\n}"
    );
    assert_eq!(assert_json(&out)["ShardCount"], 3);
}

#[test]
fn create_stream_single_line() {
    let t = r#"{ "ShardCount": #if($input.path('$.ShardCount') == '') 5 #else $input.path('$.ShardCount') #end, "StreamName": "$input.params('stream-name')" }"#;
    assert_eq!(
        render("CreateStream", t, &Req::new("{}")),
        r#"{ "ShardCount":  5 , "StreamName": "myStream" }"#
    );
    assert_eq!(
        render("CreateStream", t, &Req::new(r#"{"ShardCount": 2}"#)),
        r#"{ "ShardCount":  2 , "StreamName": "myStream" }"#
    );
}

#[test]
fn describe_and_delete_stream() {
    let t = "{\n    \"StreamName\": \"$input.params('stream-name')\"\n}";
    for name in ["DescribeStream", "DeleteStream"] {
        let out = render(name, t, &Req::new(""));
        assert_eq!(out, "{\n    \"StreamName\": \"myStream\"\n}");
        assert_json(&out);
    }
}

#[test]
fn put_record_keeps_the_quotes_of_input_json() {
    let out = render(
        "PutRecord",
        PUT_RECORD,
        &Req::new(r#"{"Data": "some data", "PartitionKey": "some key"}"#),
    );
    // base64 of `"some data"`, quotes included ($input.json returns JSON text).
    assert_eq!(
        out,
        "{\n    \"StreamName\": \"myStream\",\n    \"Data\": \"InNvbWUgZGF0YSI=\",\n    \"PartitionKey\": \"some key\"\n}"
    );
    assert_json(&out);
}

#[test]
fn put_record_single_line() {
    let t = r#"{ "StreamName": "$input.params('stream-name')", "Data": "$util.base64Encode($input.json('$.Data'))", "PartitionKey": "$input.path('$.PartitionKey')" }"#;
    let out = render(
        "PutRecord",
        t,
        &Req::new(r#"{ "Data": "some data", "PartitionKey": "some key" }"#),
    );
    assert_eq!(
        out,
        r#"{ "StreamName": "myStream", "Data": "InNvbWUgZGF0YSI=", "PartitionKey": "some key" }"#
    );
}

#[test]
fn put_records_multi_line_renders_velocity_whitespace_and_valid_json() {
    let body = r#"{"records":[{"data":"some data","partition-key":"some key"},{"data":"some other data","partition-key":"some key"}]}"#;
    let out = render("PutRecords", PUT_RECORDS, &Req::new(body));
    // Velocity 1.7: a directive's line keeps its indentation; the `)` of
    // #foreach and each `#end` swallow the newline after them.
    let record = |data: &str| {
        format!(
            "          {{\n            \"Data\": \"{data}\",\n            \"PartitionKey\": \"some key\"\n          }}"
        )
    };
    let want = format!(
        "{{\n    \"StreamName\": \"myStream\",\n    \"Records\": [\n{}{}{}{}{}{}{}\n}}",
        " ".repeat(7),
        record("c29tZSBkYXRh"),
        ",",
        " ".repeat(8),
        record("c29tZSBvdGhlciBkYXRh"),
        " ".repeat(8),
        "    ]"
    );
    assert_eq!(out, want);
    let json = assert_json(&out);
    assert_eq!(json["Records"].as_array().unwrap().len(), 2);
    assert_eq!(json["Records"][1]["Data"], "c29tZSBvdGhlciBkYXRh");
}

#[test]
fn put_records_with_no_records_is_valid_json() {
    for body in ["{}", "", r#"{"records": []}"#] {
        let out = render("PutRecords", PUT_RECORDS, &Req::new(body));
        assert_eq!(
            assert_json(&out)["Records"],
            serde_json::json!([]),
            "body {body:?}"
        );
    }
}

#[test]
fn put_records_single_line() {
    let t = r#"{ "StreamName": "$input.params('stream-name')", "Records": [ #foreach($elem in $input.path('$.records')) { "Data": "$util.base64Encode($elem.data)", "PartitionKey": "$elem.partition-key" }#if($foreach.hasNext),#end #end ] }"#;
    let body = r#"{ "records": [ { "data": "some data", "partition-key": "some key" }, { "data": "some other data", "partition-key": "some key" } ] }"#;
    let out = render("PutRecords", t, &Req::new(body));
    assert_eq!(
        out,
        r#"{ "StreamName": "myStream", "Records": [  { "Data": "c29tZSBkYXRh", "PartitionKey": "some key" },  { "Data": "c29tZSBvdGhlciBkYXRh", "PartitionKey": "some key" }  ] }"#
    );
    assert_json(&out);
}

#[test]
fn get_shard_iterator_reads_the_query_string() {
    let t = "{\n    \"ShardId\": \"$input.params('shard-id')\",\n    \"ShardIteratorType\": \"TRIM_HORIZON\",\n    \"StreamName\": \"$input.params('stream-name')\"\n}";
    let mut req = Req::new("");
    req.query
        .push(("shard-id".into(), "shard-000000000004".into()));
    let out = render("GetShardIterator", t, &req);
    assert_eq!(
        out,
        "{\n    \"ShardId\": \"shard-000000000004\",\n    \"ShardIteratorType\": \"TRIM_HORIZON\",\n    \"StreamName\": \"myStream\"\n}"
    );
    assert_json(&out);
}

#[test]
fn get_records_reads_a_header_case_insensitively() {
    let t = "{\n    \"ShardIterator\": \"$input.params('Shard-Iterator')\"\n}";
    let mut req = Req::new("");
    req.header
        .push(("shard-iterator".into(), "AAAAAAAAAAFYVN3VlFy".into()));
    let out = render("GetRecords", t, &req);
    assert_eq!(out, "{\n    \"ShardIterator\": \"AAAAAAAAAAFYVN3VlFy\"\n}");
    // Missing: empty, still valid JSON.
    assert_eq!(
        render("GetRecords", t, &Req::new("")),
        "{\n    \"ShardIterator\": \"\"\n}"
    );
}
