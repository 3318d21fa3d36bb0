//! Render + sign for the tutorial's PutRecord and a 100-record PutRecords, on
//! the root gateway.yaml: everything the gateway does per request between
//! routing and sending.

use std::hint::black_box;
use std::path::Path;
use std::time::SystemTime;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use gateway::api::{Api, Backend};
use gateway::compile::{Environment, compile};
use gateway::config::Loaded;
use gateway::pipeline::{self, Exchange, MethodRequest};
use gateway_integration::Credentials;
use gateway_mapping::Body;

// The allocator of the `gateway` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn api() -> Api {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../gateway.yaml");
    let loaded = Loaded::from_file(&path).unwrap();
    let environment = Environment {
        env: |name| (name == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:8081".to_string()),
        credentials: Credentials::fixed("AKIDEXAMPLE", "secret", None),
    };
    compile(&loaded, &environment).unwrap()
}

fn request(path: &str, body: String) -> MethodRequest {
    MethodRequest {
        method: "PUT".into(),
        path: path.into(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("host".into(), "127.0.0.1:8080".into()),
        ],
        body: Bytes::from(body),
        source_ip: "127.0.0.1".into(),
        ..MethodRequest::default()
    }
}

fn records(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"data": "record number {i} with some payload", "partition-key": "key-{i}"}}"#
            )
        })
        .collect();
    format!(r#"{{"records": [{}]}}"#, items.join(", "))
}

fn bench(c: &mut Criterion, name: &str, api: &Api, request: MethodRequest) {
    let credentials =
        aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "bench");
    let now = SystemTime::now();
    let mut exchange = Exchange::new(api, request, "bench-request-id".into());
    pipeline::route(api, &mut exchange).unwrap();
    let method = exchange.method.clone().unwrap();
    let Backend::Aws { signer, .. } = &method.integration.backend else {
        panic!("not an aws integration")
    };
    c.bench_function(name, |b| {
        b.iter(|| {
            // The request's `Body` is made per request, so its parse is measured.
            let text = pipeline::text(&exchange.request.body);
            let body = Body::new(&text);
            let mut outbound = pipeline::integration_request(api, &exchange, &body).unwrap();
            signer.sign_with(&mut outbound, &credentials, now).unwrap();
            black_box(outbound)
        })
    });
}

fn render_and_sign(c: &mut Criterion) {
    let api = api();
    let put_record = request(
        "/streams/s/record",
        r#"{"Data": "some data", "PartitionKey": "some key"}"#.to_string(),
    );
    bench(c, "render+sign PutRecord", &api, put_record);
    let put_records = request("/streams/s/records", records(100));
    bench(c, "render+sign PutRecords x100", &api, put_records);
}

criterion_group!(benches, render_and_sign);
criterion_main!(benches);
