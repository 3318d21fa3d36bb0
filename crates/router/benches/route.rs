//! Routing the tutorial's paths.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gateway_router::Router;

fn tutorial() -> Router<&'static str> {
    let mut b = Router::builder();
    for (path, method, action) in [
        ("/streams", "GET", "ListStreams"),
        ("/streams/{stream-name}", "GET", "DescribeStream"),
        ("/streams/{stream-name}", "POST", "CreateStream"),
        ("/streams/{stream-name}", "DELETE", "DeleteStream"),
        ("/streams/{stream-name}/record", "PUT", "PutRecord"),
        ("/streams/{stream-name}/records", "PUT", "PutRecords"),
        ("/streams/{stream-name}/records", "GET", "GetRecords"),
        (
            "/streams/{stream-name}/sharditerator",
            "GET",
            "GetShardIterator",
        ),
    ] {
        b.add(path, method, action).unwrap();
    }
    b.build()
}

fn routing(c: &mut Criterion) {
    let router = tutorial();
    c.bench_function("route PUT /streams/{stream-name}/record", |b| {
        b.iter(|| {
            router
                .at(black_box("PUT"), black_box("/streams/orders/record"))
                .unwrap()
                .value
        })
    });
    c.bench_function("route 404", |b| {
        b.iter(|| {
            router
                .at(black_box("GET"), black_box("/nowhere/at/all"))
                .is_err()
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
