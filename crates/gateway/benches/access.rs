//! What an API key and in-memory throttles cost a request: finding the key
//! among 1,000 declared ones, then a plan's per-method throttle, the plan's
//! throttle, the method's throttle and the plan's quota, with the clock
//! reads they need. The gateway's allocator, as in the binary.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use gateway::compile::{Environment, compile};
use gateway::config::Loaded;
use gateway::usage::{Decision, now_nanos, unix_now};
use gateway_integration::Credentials;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const KEYS: usize = 1000;

fn key(i: usize) -> String {
    format!("bench-key-{i:06}-Xq7Lm2Rt9Wz4")
}

fn config() -> String {
    let mut yaml = String::from("api_keys:\n");
    for i in 0..KEYS {
        yaml.push_str(&format!("  k{i}:\n    value: {}\n", key(i)));
    }
    yaml.push_str("usage_plans:\n  gold:\n    api_keys: [");
    yaml.push_str(
        &(0..KEYS)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    yaml.push_str(
        "]\n    throttle: {rate: 1000, burst: 1000}\n    quota: {limit: 1000000000, period: month}\n    method_throttles:\n      \"PUT /things\": {rate: 1000, burst: 1000}\n",
    );
    yaml.push_str(
        "stage:\n  throttle: {rate: 1000, burst: 1000}\nresources:\n  /things:\n    PUT:\n      api_key_required: true\n      integration:\n        type: mock\n",
    );
    yaml
}

fn access(c: &mut Criterion) {
    let loaded = Loaded::from_str(Path::new("bench.yaml"), &config()).unwrap();
    let environment = Environment {
        env: |_| None,
        credentials: Credentials::fixed("a", "b", None),
    };
    let api = compile(&loaded, &environment).unwrap();
    let method = api.router.at("PUT", "/things").unwrap().value.clone();
    let usage = &api.usage;
    let presented = key(KEYS / 2);
    // Each iteration is a millisecond after the last, so that every bucket
    // admits and the bench measures the path most requests take.
    let mut tick = 0u64;
    c.bench_function("access/key + 3 throttles + quota, in memory", |b| {
        b.iter(|| {
            tick += 1_000_000;
            let key = usage.keys.find(Some(black_box(&presented))).unwrap();
            let checks = usage.checks(&method.access, Some(key));
            let decision = usage.admit_in_memory(&checks, now_nanos() + tick, unix_now());
            assert_eq!(decision, Decision::Pass);
        })
    });
    c.bench_function("access/unknown key refused", |b| {
        b.iter(|| {
            usage
                .keys
                .find(Some(black_box("bench-key-999999-Xq7Lm2Rt9Wz5")))
        })
    });
}

criterion_group!(benches, access);
criterion_main!(benches);
