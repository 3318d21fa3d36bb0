//! The tutorial's PutRecord and a 100-record PutRecords, on the root
//! gateway.yaml: everything the gateway does per request from the method
//! request to the signed integration request (routing, validation, mapping,
//! rendering, the JSON guard, signing), through the server's own flow.

use std::hint::black_box;
use std::path::Path;
use std::time::SystemTime;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use gateway::api::{Api, Backend, Integration};
use gateway::compile::{Environment, compile};
use gateway::config::Loaded;
use gateway::error::GatewayError;
use gateway::pipeline::{self, Dispatch, Exchange, MethodRequest, Prepared, Record};
use gateway_integration::{Credentials, InboundResponse};

// The allocator of the `gateway` binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn api() -> std::sync::Arc<Api> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../gateway.yaml");
    let loaded = Loaded::from_file(&path).unwrap();
    let environment = Environment {
        env: |name| (name == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:8081".to_string()),
        credentials: Credentials::fixed("AKIDEXAMPLE", "secret", None),
    };
    std::sync::Arc::new(compile(&loaded, &environment).unwrap())
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

/// Signs the integration request with fixed credentials and time, and ends
/// the flow there: nothing is sent.
struct SignOnly {
    credentials: aws_credential_types::Credentials,
    now: SystemTime,
}

impl Dispatch for SignOnly {
    async fn call(
        &self,
        integration: &Integration,
        prepared: Prepared,
    ) -> Result<Option<InboundResponse>, GatewayError> {
        let Backend::Aws { signer, .. } = &integration.backend else {
            panic!("not an aws integration")
        };
        let mut outbound = prepared.outbound;
        signer.sign_with(&mut outbound, &self.credentials, self.now)?;
        black_box(outbound);
        Ok(None)
    }
}

fn bench(c: &mut Criterion, name: &str, api: &std::sync::Arc<Api>, request: MethodRequest) {
    let dispatch = SignOnly {
        credentials: aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "bench",
        ),
        now: SystemTime::now(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function(name, |b| {
        b.iter(|| {
            let body = request.body.clone();
            let mut exchange = Exchange::new(api, request.clone(), "bench-request-id".into());
            let mut record = Record::default();
            let flow = pipeline::run(api, &mut exchange, &mut record, body, &dispatch);
            black_box(runtime.block_on(flow).unwrap())
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
