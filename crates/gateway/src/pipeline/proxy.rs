//! `http_proxy`: the method request forwarded as it came, and the backend's
//! answer sent back as it came, with the header rules API Gateway follows for
//! proxy integrations.
//!
//! The request keeps its method, its query string as sent (repeated keys and
//! all), its headers and its body bytes; the path is the integration URI's,
//! with `{name}` and `{name+}` filled from the route's path parameters (or a
//! mapping of the same name). `request_parameters` apply on top: a mapped
//! header or query parameter replaces what the client sent under that name.
//! The answer keeps its status, headers and body bytes.
//!
//! Headers follow the table in API Gateway's "Important notes for REST APIs"
//! (developer guide, `api-gateway-known-issues`), `http_proxy` column, and the
//! hop-by-hop rule of RFC 9110 §7.6.1. The `aws_proxy` stage
//! ([`super::lambda_proxy`]) uses the same rules with the table's `lambda`
//! column.

use bytes::Bytes;
use gateway_integration::{InboundResponse, OutboundRequest};
use gateway_mapping::Body;
use gateway_mapping::params::{Scope, Target};
use http::{HeaderMap, HeaderName, HeaderValue, Response, header};
use http_body_util::Full;

use super::integration_request::Prepared;
use super::request::{Routed, insert_request_id};
use crate::api::Api;
use crate::error::{Cause, GatewayError};

/// Request headers never forwarded to a proxied backend or put in a proxy
/// event: hop-by-hop headers, which describe the client's connection to the
/// gateway; those the known-issues table drops on the way to every
/// integration (`Content-MD5`, `Expect`, `Max-Forwards`,
/// `Proxy-Authenticate`, `Server`, `WWW-Authenticate`); and `Content-Length`,
/// which the table has regenerated from the body.
const REQUEST_DROPPED: &[&str] = &[
    // RFC 9110 §7.6.1 and the headers it names as hop-by-hop.
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    // The table.
    "content-md5",
    "expect",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "www-authenticate",
    // Counted again from the body, which is the same.
    "content-length",
];

/// Request headers dropped for an HTTP backend only: `Host` (the client
/// sends the backend's own) and `Via`, which the table drops for `http_proxy`
/// and passes to a Lambda function.
const REQUEST_DROPPED_HTTP: &[&str] = &["host", "via"];

/// Answer headers renamed to `X-Amzn-Remapped-<name>`: the table's
/// "Remapped" and "Remapped Overwritten" rows for `http_proxy` and `lambda`
/// (the two columns agree). The gateway sends its own `Date`, and no
/// `Server`.
const RESPONSE_REMAPPED: &[&str] = &[
    "authorization",
    "connection",
    "content-md5",
    "date",
    "max-forwards",
    "server",
    "user-agent",
    "www-authenticate",
];

/// Answer headers dropped: the table's "Dropped" rows for `http_proxy` and
/// `lambda`, the hop-by-hop headers not remapped above, and the framing
/// headers, which the gateway sets for the body it sends.
const RESPONSE_DROPPED: &[&str] = &[
    "expect",
    "host",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "keep-alive",
    "proxy-connection",
    "content-length",
];

/// Whether a request header reaches a proxied backend (`to_http`) or a proxy
/// event. Names are compared without case: the method request holds them as
/// the client spelled them (`Content-Length`, `connection`).
/// `connection_names` (lower-case) are the headers the client's `Connection`
/// header names as hop-by-hop.
pub(super) fn forwards_request_header(
    name: &str,
    value: &str,
    connection_names: &[String],
    to_http: bool,
) -> bool {
    let name = name.to_ascii_lowercase();
    let name = name.as_str();
    !(REQUEST_DROPPED.contains(&name)
        || (to_http && REQUEST_DROPPED_HTTP.contains(&name))
        || connection_names.iter().any(|n| n == name)
        // API Gateway drops an `Authorization` that carries a SigV4
        // signature: it was made for the gateway, not for the backend.
        || (name == "authorization" && value.trim_start().starts_with("AWS4-HMAC-SHA256")))
}

/// The header names a `Connection` header lists (besides `close` and
/// `keep-alive`), lower-cased.
pub(super) fn connection_names<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .flat_map(|v| v.split(','))
        .map(|token| token.trim().to_ascii_lowercase())
        .filter(|token| !token.is_empty() && token != "close" && token != "keep-alive")
        .collect()
}

/// A backend's (or a proxy result's) headers as the client gets them: the
/// remapped ones renamed, the dropped ones left out, the rest as they are,
/// repeated values kept.
pub(super) fn response_headers(from: &HeaderMap) -> HeaderMap {
    let connection = connection_names(
        from.get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    let mut to = HeaderMap::with_capacity(from.len());
    for (name, value) in from {
        let lower = name.as_str();
        if RESPONSE_DROPPED.contains(&lower) || connection.iter().any(|n| n == lower) {
            continue;
        }
        if RESPONSE_REMAPPED.contains(&lower) {
            if let Ok(remapped) =
                HeaderName::from_bytes(format!("x-amzn-remapped-{lower}").as_bytes())
            {
                to.append(remapped, value.clone());
            }
            continue;
        }
        to.append(name.clone(), value.clone());
    }
    to
}

/// The integration request: the method request as it came, to the
/// integration URI, with the mappings on top.
pub fn build(api: &Api, routed: &Routed<'_>, body: &Body<'_>) -> Result<Prepared, GatewayError> {
    let integration = &routed.method.integration;
    let request = routed.request;
    let verb = integration
        .http_method
        .clone()
        .or_else(|| http::Method::from_bytes(request.method.as_bytes()).ok())
        .unwrap_or(http::Method::GET);
    let mut outbound = OutboundRequest::new(verb, String::new());

    let connection = connection_names(
        request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .map(|(_, v)| v.as_str()),
    );
    outbound.headers = request
        .headers
        .iter()
        .filter(|(name, value)| forwards_request_header(name, value, &connection, true))
        .cloned()
        .collect();
    outbound.body = request.body.clone();

    let scope = Scope {
        request: routed.input(body),
        response: None,
        context: routed.context,
        stage_variables: &api.stage.variables,
    };
    // The route's path parameters fill the URI's placeholders of the same
    // name; a mapping, later in the list, wins over them.
    let mut path: Vec<(String, String)> = routed.path_params.to_vec();
    let mut query: Vec<(String, String)> = Vec::new();
    for (target, source) in &integration.request_parameters {
        let Some(value) = source.resolve(&scope) else {
            continue;
        };
        match target {
            Target::Header(name) => {
                outbound
                    .headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
                outbound.headers.push((name.clone(), value));
            }
            Target::QueryString(name) => match query.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => query.push((name.clone(), value)),
            },
            Target::Path(name) => path.push((name.clone(), value)),
        }
    }
    let Some(call) = integration.backend.call() else {
        return Err(GatewayError::configuration(Cause::Configuration(
            "an http_proxy integration without a backend".into(),
        )));
    };
    call.finish(&mut outbound, &path, &query).map_err(|e| {
        GatewayError::configuration(Cause::Configuration(format!(
            "the integration request cannot be built: {e}"
        )))
    })?;
    // The client's query string as sent, less the names a mapping replaced.
    let mut separator = if outbound.url.contains('?') { '&' } else { '?' };
    for pair in request.raw_query.split('&').filter(|p| !p.is_empty()) {
        let name = form_urlencoded::parse(pair.as_bytes())
            .next()
            .map(|(name, _)| name);
        if name.is_some_and(|name| query.iter().any(|(mapped, _)| *mapped == name)) {
            continue;
        }
        outbound.url.push(separator);
        outbound.url.push_str(pair);
        separator = '&';
    }
    // The caller's trace goes on to the backend, as for every integration.
    if !request.trace_id.is_empty() {
        outbound
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amzn-trace-id"));
        outbound
            .headers
            .push(("X-Amzn-Trace-Id".into(), request.trace_id.clone()));
    }
    Ok(Prepared {
        outbound,
        template: None,
    })
}

/// The method response: the backend's status, headers (by the rules above)
/// and body. Like every integration response it carries a `Content-Type`,
/// `application/json` when the backend sent none, as API Gateway's do.
pub fn respond(routed: &Routed<'_>, inbound: InboundResponse) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(inbound.body));
    *response.status_mut() = inbound.status;
    let headers = response.headers_mut();
    *headers = response_headers(&inbound.headers);
    if !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    insert_request_id(headers, &routed.context.request_id);
    response
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::Path;

    use gateway_integration::Credentials;

    use super::*;
    use crate::compile::{Environment, compile};
    use crate::config::Loaded;
    use crate::pipeline::request::{Exchange, MethodRequest};

    /// The API of `yaml`, with fixed credentials and no environment.
    pub(in crate::pipeline) fn api_from(yaml: &str) -> Api {
        let loaded = Loaded::from_str(Path::new("test.yaml"), yaml).unwrap();
        let environment = Environment {
            env: |_| None,
            credentials: Credentials::fixed("a", "b", None),
        };
        compile(&loaded, &environment).unwrap()
    }

    /// `f` of `request` routed in `api`, with the body it has.
    pub(in crate::pipeline) fn with_routed<T>(
        api: &Api,
        request: MethodRequest,
        f: impl FnOnce(&Routed<'_>) -> T,
    ) -> T {
        let body = request.body.clone();
        let mut exchange = Exchange::new(api, request, "rid-1".into());
        let routed = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(crate::pipeline::route::route(api, &mut exchange, body))
            .unwrap();
        f(&routed)
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_request_goes_on_as_it_came_with_the_mappings_on_top() {
        let api = api_from(concat!(
            "resources:\n  /kafka/{proxy+}:\n    ANY:\n      integration:\n",
            "        type: http_proxy\n        uri: 'http://127.0.0.1:9/v2/{proxy}?format=json'\n",
            "        request_parameters:\n",
            "          integration.request.header.X-Api-Key: \"'from-the-gateway'\"\n",
            "          integration.request.querystring.mode: \"'fast'\"\n",
        ));
        let raw_query = "partition=1&partition=2&mode=slow&x=a%20b&flag";
        let request = MethodRequest {
            method: "POST".into(),
            path: "/kafka/topics/orders/partitions".into(),
            query: form_urlencoded::parse(raw_query.as_bytes())
                .into_owned()
                .collect(),
            raw_query: raw_query.into(),
            headers: pairs(&[
                ("host", "gateway.example.com"),
                ("connection", "keep-alive, x-hop"),
                ("x-hop", "1"),
                ("x-custom", "a"),
                ("x-custom", "b"),
                ("content-length", "3"),
                ("authorization", "Bearer t"),
                ("x-api-key", "from-the-client"),
                ("content-type", "application/octet-stream"),
            ]),
            body: Bytes::from_static(&[0xff, 0, 1]),
            ..MethodRequest::default()
        };
        let outbound = with_routed(&api, request, |routed| {
            build(&api, routed, &Body::new("")).unwrap().outbound
        });
        assert_eq!(outbound.method, http::Method::POST);
        assert_eq!(
            outbound.url,
            "http://127.0.0.1:9/v2/topics/orders/partitions?format=json&mode=fast&partition=1&partition=2&x=a%20b&flag"
        );
        assert_eq!(
            outbound.headers,
            pairs(&[
                ("x-custom", "a"),
                ("x-custom", "b"),
                ("authorization", "Bearer t"),
                ("content-type", "application/octet-stream"),
                ("X-Api-Key", "from-the-gateway"),
            ])
        );
        assert_eq!(&outbound.body[..], &[0xff, 0, 1]);
    }

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    /// Every row of the table's response side, `http_proxy` column.
    #[test]
    fn answer_headers_follow_the_known_issues_table() {
        let table = [
            ("Age", Some("age")),
            ("Accept", Some("accept")),
            ("Accept-Charset", Some("accept-charset")),
            ("Accept-Encoding", Some("accept-encoding")),
            ("Authorization", Some("x-amzn-remapped-authorization")),
            ("Connection", Some("x-amzn-remapped-connection")),
            ("Content-Encoding", Some("content-encoding")),
            ("Content-MD5", Some("x-amzn-remapped-content-md5")),
            ("Content-Type", Some("content-type")),
            ("Date", Some("x-amzn-remapped-date")),
            ("Expect", None),
            ("Host", None),
            ("Max-Forwards", Some("x-amzn-remapped-max-forwards")),
            ("Pragma", Some("pragma")),
            ("Proxy-Authenticate", None),
            ("Range", Some("range")),
            ("Referer", Some("referer")),
            ("Server", Some("x-amzn-remapped-server")),
            ("TE", None),
            ("Transfer-Encoding", None),
            ("Trailer", None),
            ("Upgrade", None),
            ("User-Agent", Some("x-amzn-remapped-user-agent")),
            ("Via", None),
            ("Warn", Some("warn")),
            ("WWW-Authenticate", Some("x-amzn-remapped-www-authenticate")),
        ];
        for (name, expected) in table {
            let value = format!("value of {name}");
            let out = response_headers(&map(&[(name, &value)]));
            match expected {
                Some(to) => {
                    assert_eq!(out.len(), 1, "{name}: {out:?}");
                    assert_eq!(out[to], value.as_str(), "{name}");
                }
                None => assert!(out.is_empty(), "{name}: {out:?}"),
            }
        }
    }

    #[test]
    fn answer_headers_keep_repeats_and_drop_what_connection_names() {
        let out = response_headers(&map(&[
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("connection", "keep-alive, X-Hop"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("content-length", "12"),
        ]));
        let cookies: Vec<_> = out.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(out["x-amzn-remapped-connection"], "keep-alive, X-Hop");
        assert!(out.get("x-hop").is_none());
        assert!(out.get("keep-alive").is_none());
        assert!(out.get("content-length").is_none());
    }

    #[test]
    fn request_headers_lose_hop_by_hop_and_signatures_only() {
        let connection = connection_names(["close, X-Hop"].into_iter());
        let forwards = |name: &str, value: &str, to_http: bool| {
            forwards_request_header(name, value, &connection, to_http)
        };
        for kept in [
            "accept",
            "content-type",
            "user-agent",
            "x-custom",
            "date",
            "range",
        ] {
            assert!(forwards(kept, "v", true), "{kept}");
        }
        for dropped in [
            "connection",
            "x-hop",
            "transfer-encoding",
            "te",
            "upgrade",
            "expect",
            "content-md5",
            "max-forwards",
            "content-length",
            "host",
            "via",
        ] {
            assert!(!forwards(dropped, "v", true), "{dropped}");
        }
        // A Lambda function sees the Host and Via the client sent.
        assert!(forwards("host", "api.example.com", false));
        assert!(forwards("via", "1.1 proxy", false));
        // Names as clients spell them are the same headers.
        for dropped in [
            "Connection",
            "Content-Length",
            "Transfer-Encoding",
            "Host",
            "X-HOP",
        ] {
            assert!(!forwards(dropped, "v", true), "{dropped}");
        }
        assert!(forwards("Content-Type", "text/plain", true));
        assert!(forwards("authorization", "Bearer abc", true));
        assert!(!forwards(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0",
            true
        ));
    }
}
