//! Render timings for the tutorial's hot templates: PutRecord with the
//! tutorial's example body, and PutRecords with 100 records, each without and
//! with the injection guard. Run with `cargo bench -p gateway-mapping`.
//!
//! The templates are the multi-line ones of the root `gateway.yaml`; the
//! bench checks that they still appear there, so the two cannot drift apart.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gateway_mapping::{Body, Context, Input, Interpolations, Params, Template, Variables};

const GATEWAY_YAML: &str = include_str!("../../../gateway.yaml");

const PUT_RECORD: &str = r#"{
    "StreamName": "$input.params('stream-name')",
    "Data": "$util.base64Encode($input.json('$.Data'))",
    "PartitionKey": "$input.path('$.PartitionKey')"
}
"#;

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
}
"#;

/// The template as a YAML block scalar under `application/json: |` in
/// `gateway.yaml` (indented by twelve spaces).
fn in_gateway_yaml(template: &str) -> bool {
    let block: String = template
        .lines()
        .map(|line| format!("            {line}\n"))
        .collect();
    GATEWAY_YAML.contains(&format!("application/json: |\n{block}"))
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

fn bench(c: &mut Criterion, name: &str, template: &str, body: &str) {
    assert!(
        in_gateway_yaml(template),
        "{name}: template no longer matches gateway.yaml"
    );
    let template = Template::compile(name, template).unwrap();
    let path = [("stream-name".to_string(), "myStream".to_string())];
    let context = Context::default();
    let stage_variables = BTreeMap::new();
    let params = Params {
        path: &path,
        ..Params::default()
    };
    c.bench_function(name, |b| {
        b.iter(|| {
            // One `Body` per request, as the gateway makes it: the render
            // pays for parsing it.
            let body = Body::new(black_box(body));
            let vars = Variables {
                input: Input::new(&body, params),
                context: &context,
                stage_variables: &stage_variables,
            };
            black_box(template.render(&vars).unwrap())
        })
    });
    // The same with the injection guard: ranges noted into one reused list,
    // and the body checked, as the gateway does for JSON integrations.
    let mut interpolations = Interpolations::default();
    c.bench_function(&format!("{name} guarded"), |b| {
        b.iter(|| {
            let body = Body::new(black_box(body));
            let vars = Variables {
                input: Input::new(&body, params),
                context: &context,
                stage_variables: &stage_variables,
            };
            let rendered = template
                .render_recording(&vars, &mut interpolations)
                .unwrap();
            template
                .check_json(rendered.body.as_bytes(), &mut interpolations)
                .unwrap();
            black_box(rendered)
        })
    });
}

fn render(c: &mut Criterion) {
    bench(
        c,
        "render PutRecord",
        PUT_RECORD,
        r#"{"Data": "some data", "PartitionKey": "some key"}"#,
    );
    bench(c, "render PutRecords x100", PUT_RECORDS, &records(100));
}

criterion_group!(benches, render);
criterion_main!(benches);
