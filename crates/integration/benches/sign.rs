//! SigV4 signing of a 1 KB body.

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use gateway_integration::{Credentials, OutboundRequest, Service, Signer};

fn signing(c: &mut Criterion) {
    let signer = Signer::new(
        &Service::lookup("kinesis"),
        "us-east-1",
        Credentials::fixed("a", "b", None),
    );
    let credentials =
        aws_credential_types::Credentials::new("AKIDEXAMPLE", "secret", None, None, "bench");
    let mut request = OutboundRequest::new(
        http::Method::POST,
        "http://127.0.0.1:8081/?Action=PutRecord".to_string(),
    );
    request.set_header("Content-Type", "application/x-amz-json-1.1");
    request.body = vec![b'x'; 1024].into();
    let now = SystemTime::now();
    c.bench_function("sign 1 KB", |b| {
        b.iter(|| {
            let mut r = request.clone();
            signer.sign_with(&mut r, &credentials, now).unwrap();
            black_box(r)
        })
    });
}

criterion_group!(benches, signing);
criterion_main!(benches);
