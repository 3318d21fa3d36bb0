//! The conformance suite: every `tests/fixtures/*.case` file is one case,
//! rendered and compared byte for byte. All cases run; every failure is
//! reported with a line diff, then the test fails.
//!
//! Cases named `doc_*` reproduce the examples of the AWS developer guide
//! (`awsdocs/amazon-api-gateway-developer-guide`), each naming its document;
//! where the guide's output is only illustrative, the case says so and pins
//! the exact output.
//!
//! A case file is a header of `#` comments (where the expectation comes
//! from), then sections introduced by `--- <name>` lines:
//! - `request` (optional): JSON with `body` (raw text), `json` (any JSON,
//!   sent compact) or `binary` (the base64 of a payload of a binary media
//!   type, as the gateway lends it to templates), `path`/`querystring`/`header` (objects, or arrays of
//!   `[name, value]` pairs), `context` (camelCase fields, `identity`,
//!   `error`, `authorizer`), `stageVariables`, `name` (the template name; default the
//!   file stem) and `repeat` (repeat the template and the expected output
//!   this many times, for size limits);
//! - `template`;
//! - `expected` (the exact output) or `error` (the exact error `Display`);
//! - `overrides` (optional): JSON `{"requestHeader": [[k, v]], ...,
//!   "responseStatus": 400}`.
//!
//! A section's text is the lines between its marker and the next one; the
//! newline before the next marker is not part of it (add an empty line to
//! end a text with a newline).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use gateway_mapping::{
    Authorizer, Body, Context, ErrorContext, Identity, Input, Overrides, Params, Template,
    Variables,
};
use serde_json::Value;

struct Case {
    name: String,
    sections: BTreeMap<String, String>,
}

fn parse_case(name: &str, text: &str) -> Case {
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.split('\n') {
        if let Some(section) = line.strip_prefix("--- ") {
            if let Some((n, lines)) = current.take() {
                sections.insert(n, lines.join("\n"));
            }
            current = Some((section.trim().to_owned(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some((n, mut lines)) = current.take() {
        // The file's final newline ends the last section's last line.
        if lines.last() == Some(&"") {
            lines.pop();
        }
        sections.insert(n, lines.join("\n"));
    }
    Case {
        name: name.to_owned(),
        sections,
    }
}

fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        Some(Value::Array(a)) => a.iter().map(|p| (text(&p[0]), text(&p[1]))).collect(),
        _ => Vec::new(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn context(v: Option<&Value>) -> Context {
    let get = |k: &str| v.and_then(|c| c.get(k)).map(text).unwrap_or_default();
    let identity = v.and_then(|c| c.get("identity"));
    let id = |k: &str| {
        identity
            .and_then(|c| c.get(k))
            .map(text)
            .unwrap_or_default()
    };
    let error = v.and_then(|c| c.get("error")).map(|e| ErrorContext {
        message: e.get("message").map(text).unwrap_or_default(),
        response_type: e.get("responseType").map(text).unwrap_or_default(),
        validation_error_string: e.get("validationErrorString").map(text).unwrap_or_default(),
    });
    Context {
        request_id: get("requestId"),
        extended_request_id: get("extendedRequestId"),
        api_id: get("apiId"),
        account_id: get("accountId"),
        stage: get("stage"),
        deployment_id: get("deploymentId"),
        resource_id: get("resourceId"),
        resource_path: get("resourcePath"),
        path: get("path"),
        http_method: get("httpMethod"),
        protocol: get("protocol"),
        request_time: get("requestTime"),
        request_time_epoch: v
            .and_then(|c| c.get("requestTimeEpoch"))
            .and_then(Value::as_i64)
            .unwrap_or(0),
        domain_name: get("domainName"),
        domain_prefix: get("domainPrefix"),
        xray_trace_id: get("xrayTraceId"),
        identity: Identity {
            source_ip: id("sourceIp"),
            user_agent: id("userAgent"),
            access_key: id("accessKey"),
            caller: id("caller"),
            user: id("user"),
            user_arn: id("userArn"),
            account_id: id("accountId"),
            api_key: id("apiKey"),
            api_key_id: id("apiKeyId"),
        },
        error,
        authorizer: authorizer(v.and_then(|c| c.get("authorizer"))),
    }
}

/// `context.authorizer`: `principalId`, `claims` (an object) and any other
/// key as a Lambda authorizer's context value.
fn authorizer(v: Option<&Value>) -> Authorizer {
    let Some(Value::Object(fields)) = v else {
        return Authorizer::default();
    };
    let pairs = |object: &serde_json::Map<String, Value>| {
        object
            .iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect::<Vec<_>>()
    };
    Authorizer {
        principal_id: fields.get("principalId").map(text).unwrap_or_default(),
        claims: fields
            .get("claims")
            .and_then(Value::as_object)
            .map(pairs)
            .unwrap_or_default(),
        values: fields
            .iter()
            .filter(|(k, _)| *k != "principalId" && *k != "claims")
            .map(|(k, v)| (k.clone(), text(v)))
            .collect(),
    }
}

fn overrides_json(o: &Overrides) -> Value {
    let p = |v: &[(String, String)]| {
        Value::Array(v.iter().map(|(k, v)| serde_json::json!([k, v])).collect())
    };
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("requestHeader", &o.request_header),
        ("requestQuerystring", &o.request_querystring),
        ("requestPath", &o.request_path),
        ("responseHeader", &o.response_header),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), p(v));
        }
    }
    if let Some(s) = o.response_status {
        m.insert("responseStatus".into(), s.into());
    }
    Value::Object(m)
}

fn diff(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let (e, a): (Vec<&str>, Vec<&str>) =
        (expected.split('\n').collect(), actual.split('\n').collect());
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => {
                let _ = writeln!(out, "   {x:?}");
            }
            (x, y) => {
                if let Some(x) = x {
                    let _ = writeln!(out, "  -{x:?}");
                }
                if let Some(y) = y {
                    let _ = writeln!(out, "  +{y:?}");
                }
            }
        }
    }
    out
}

/// Runs one case; `Err` describes the mismatch.
fn run(case: &Case) -> Result<(), String> {
    let request: Value = match case.sections.get("request") {
        Some(r) if !r.trim().is_empty() => {
            serde_json::from_str(r).map_err(|e| format!("bad request JSON: {e}"))?
        }
        _ => Value::Object(Default::default()),
    };
    let repeat = request.get("repeat").and_then(Value::as_u64).unwrap_or(1) as usize;
    let template = case
        .sections
        .get("template")
        .ok_or("no template section")?
        .repeat(repeat);
    let template = &template;
    let name = request
        .get("name")
        .map(text)
        .unwrap_or_else(|| case.name.clone());
    let body = match (request.get("body"), request.get("json")) {
        (Some(b), _) => text(b),
        (None, Some(j)) => j.to_string(),
        (None, None) => String::new(),
    };
    let binary = request.get("binary").map(text);
    let body = match &binary {
        Some(base64) => Body::binary(base64),
        None => Body::new(&body),
    };
    let path = pairs(request.get("path"));
    let query = pairs(request.get("querystring"));
    let header = pairs(request.get("header"));
    let ctx = context(request.get("context"));
    let stage: BTreeMap<String, String> =
        pairs(request.get("stageVariables")).into_iter().collect();
    let vars = Variables {
        input: Input::new(
            &body,
            Params {
                path: &path,
                querystring: &query,
                header: &header,
            },
        ),
        context: &ctx,
        stage_variables: &stage,
    };
    let result = Template::compile(name, template).and_then(|t| t.render(&vars));
    match (
        case.sections.get("expected"),
        case.sections.get("error"),
        result,
    ) {
        (Some(want), _, Ok(got)) => {
            let want = &want.repeat(repeat);
            if *want != got.body {
                return Err(format!(
                    "output differs (- expected, + actual):\n{}",
                    diff(want, &got.body)
                ));
            }
            if let Some(o) = case.sections.get("overrides") {
                let want: Value =
                    serde_json::from_str(o).map_err(|e| format!("bad overrides JSON: {e}"))?;
                let got = overrides_json(&got.overrides);
                if want != got {
                    return Err(format!(
                        "overrides differ:\n  expected {want}\n  actual   {got}"
                    ));
                }
            }
            Ok(())
        }
        (Some(_), _, Err(e)) => Err(format!("expected output, got error: {e}")),
        (None, Some(want), Err(e)) => {
            let got = e.to_string();
            if *want != got {
                Err(format!(
                    "error differs:\n  expected {want}\n  actual   {got}"
                ))
            } else {
                Ok(())
            }
        }
        (None, Some(_), Ok(got)) => Err(format!("expected an error, got output {:?}", got.body)),
        (None, None, _) => Err("no expected or error section".into()),
    }
}

#[test]
fn conformance_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures found");
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let case = parse_case(&name, &text);
        if let Err(msg) = run(&case) {
            failures.push(format!("FAIL {name}: {msg}"));
        }
    }
    let passed = files.len() - failures.len();
    println!("{passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "\n{}\n{} of {} fixture cases failed",
        failures.join("\n"),
        failures.len(),
        files.len()
    );
}
