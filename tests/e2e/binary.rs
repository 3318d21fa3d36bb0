//! Binary payloads end to end with the real binary: a PNG uploaded through a
//! mapping template to S3 in moto (signature checking on) and downloaded
//! again byte for byte, by `binary_media_types` and `content_handling`; and
//! header names reaching templates as the client spelled them.

use std::io::{Read, Write};

use sha2::{Digest, Sha256};

use crate::support::recorder::Recorder;
use crate::support::{Gateway, GatewayOptions, Moto, client, write_config};

/// Images in one bucket. An upload's PNG reaches its template as base64
/// (`$input.body`) and `convert_to_binary` sends the bytes the template's
/// output encodes; a download answers bytes to a client whose first
/// `Accept` type is `image/png`, base64 to any other, and base64 always
/// from `/base64` (`convert_to_text`).
const IMAGES: &str = r#"
binary_media_types: ['image/png']
aws:
  region: us-east-1
stage:
  variables:
    bucket: gateway-images
resources:
  /bucket:
    PUT:
      integration:
        type: aws
        service: s3
        path: '{bucket}'
        http_method: PUT
        request_parameters:
          integration.request.path.bucket: stageVariables.bucket
  /images/{name}:
    PUT:
      integration:
        type: aws
        service: s3
        path: '{bucket}/{name}'
        http_method: PUT
        content_handling: convert_to_binary
        request_parameters:
          integration.request.path.bucket: stageVariables.bucket
          integration.request.path.name: method.request.path.name
          integration.request.header.Content-Type: method.request.header.Content-Type
        request_templates:
          image/png: '$input.body'
        responses:
          - status: 201
    GET:
      integration:
        type: aws
        service: s3
        path: '{bucket}/{name}'
        http_method: GET
        request_parameters:
          integration.request.path.bucket: stageVariables.bucket
          integration.request.path.name: method.request.path.name
        responses:
          # A template renders text; convert_to_text keeps it text whatever
          # the client's Accept.
          - selection_pattern: '404'
            status: 404
            content_handling: convert_to_text
            response_templates:
              application/json: '{"message": "no such image"}'
          - status: 200
            response_parameters:
              method.response.header.Content-Type: integration.response.header.Content-Type
  /images/{name}/base64:
    GET:
      integration:
        type: aws
        service: s3
        path: '{bucket}/{name}'
        http_method: GET
        request_parameters:
          integration.request.path.bucket: stageVariables.bucket
          integration.request.path.name: method.request.path.name
        responses:
          - status: 200
            content_handling: convert_to_text
            response_parameters:
              method.response.header.Content-Type: "'text/plain'"
  /uploads/{name}:
    PUT:
      integration:
        type: aws
        service: s3
        path: '{bucket}/{name}'
        http_method: PUT
        # No template: a text body is base64 and is stored decoded.
        content_handling: convert_to_binary
        request_parameters:
          integration.request.path.bucket: stageVariables.bucket
          integration.request.path.name: method.request.path.name
          integration.request.header.Content-Type: "'image/png'"
        responses:
          - status: 201
"#;

/// A real PNG: 8×6 pixels of 8-bit RGB whose values run through every
/// byte, in a stored (uncompressed) zlib stream, with the chunks' CRCs. It
/// holds NULs (filter bytes, the IHDR's lengths) and bytes ≥ 0x80.
fn png() -> Vec<u8> {
    let (width, height) = (8u32, 6u32);
    let mut raw = Vec::new();
    for row in 0..height {
        raw.push(0); // filter: none
        for column in 0..width * 3 {
            raw.push(((row * 97 + column * 41) % 256) as u8);
        }
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    let length = raw.len() as u16;
    zlib.extend_from_slice(&length.to_le_bytes());
    zlib.extend_from_slice(&(!length).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // depth 8, RGB, no interlace

    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut checked = kind.to_vec();
        checked.extend_from_slice(&data);
        png.extend_from_slice(&checked);
        png.extend_from_slice(&crc32(&checked).to_be_bytes());
    }
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn the_test_png_is_a_png() {
    let png = png();
    assert!(png.len() >= 150, "{}", png.len());
    assert!(png.contains(&0) && png.iter().any(|&b| b >= 0x80));
    // Known values: the CRC of IEND, and the layout of the file's start.
    assert_eq!(&png[png.len() - 4..], [0xae, 0x42, 0x60, 0x82]);
    assert_eq!(&png[12..16], b"IHDR");
    assert!(std::str::from_utf8(&png).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_png_goes_to_s3_through_a_template_and_comes_back_byte_for_byte() {
    let moto = Moto::start();
    let config = write_config("binary-images", IMAGES);
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    let http = client();
    let url = |path: &str| gateway.url(path);
    let png = png();

    let created = http.put(url("/bucket")).send().await.unwrap();
    assert_eq!(created.status(), 200);

    let put = http
        .put(url("/images/logo.png"))
        .header("Content-Type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());

    // The first Accept type is binary: the bytes, as S3 holds them.
    let got = http
        .get(url("/images/logo.png"))
        .header("Accept", "image/png, */*")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    let bytes = got.bytes().await.unwrap();
    assert_eq!(bytes.len(), png.len());
    assert_eq!(sha256(&bytes), sha256(&png));

    // A text Accept first (a browser's `*/*` too): the base64 text, as API
    // Gateway answers a binary payload to a text type.
    for accept in ["application/json", "*/*, image/png"] {
        let got = http
            .get(url("/images/logo.png"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{accept}");
        assert_eq!(got.text().await.unwrap(), base64(&png), "{accept}");
    }
    // convert_to_text: base64 even to a binary Accept.
    let got = http
        .get(url("/images/logo.png/base64"))
        .header("Accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "text/plain");
    assert_eq!(got.text().await.unwrap(), base64(&png));

    // A missing image's JSON reaches a binary Accept as JSON.
    let missing = http
        .get(url("/images/nothing.png"))
        .header("Accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.text().await.unwrap(),
        r#"{"message": "no such image"}"#
    );

    // A text body passed through with convert_to_binary is stored decoded.
    let put = http
        .put(url("/uploads/copy.png"))
        .header("Content-Type", "text/plain")
        .body(base64(&png))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    let got = http
        .get(url("/images/copy.png"))
        .header("Accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(sha256(&got.bytes().await.unwrap()), sha256(&png));
}

#[tokio::test(flavor = "multi_thread")]
async fn text_that_is_not_base64_is_a_500_explained_in_the_log_and_nothing_is_stored() {
    let moto = Moto::start();
    let config = write_config("binary-not-base64", IMAGES);
    let gateway = Gateway::against_moto(&config, &moto, &moto.key.secret);
    let http = client();
    let created = http.put(gateway.url("/bucket")).send().await.unwrap();
    assert_eq!(created.status(), 200);

    let refused = http
        .put(gateway.url("/uploads/broken.png"))
        .header("Content-Type", "text/plain")
        .body("this is not base64!")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 500);
    assert_eq!(
        refused.headers()["x-amzn-errortype"],
        "API_CONFIGURATION_ERROR"
    );
    let id = refused.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        crate::support::json_body(refused).await,
        serde_json::json!({"message": "Internal server error"})
    );
    let line = gateway.log_line(&id, "request failed");
    assert!(line.contains("PUT /uploads/{name}"), "{line}");
    assert!(
        line.contains("content_handling convert_to_binary: the request body is not base64"),
        "{line}"
    );
    let missing = http
        .get(gateway.url("/images/broken.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Sends `head` and `body` on a new connection, as written (header names
/// keep their spelling, which HTTP client libraries lower-case), and
/// returns the status.
fn send_raw(gateway: &Gateway, head: &str, body: &[u8]) -> u16 {
    let address = gateway.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// Header names reach a template as the client spelled them, and lookups
/// find them in any case.
#[tokio::test(flavor = "multi_thread")]
async fn templates_see_header_names_as_the_client_spelled_them() {
    let recorder = Recorder::start();
    let config = write_config(
        "header-spelling",
        &format!(
            r##"
resources:
  /spelled:
    POST:
      integration:
        type: http
        uri: {}/spelled
        request_templates:
          text/plain: "#foreach($name in $input.params().header.keySet())$name,#end|$input.params('content-type')|$input.params().header.get('USER-AGENT')"
  /proxied:
    POST:
      integration:
        type: http_proxy
        uri: {}/proxied
"##,
            recorder.url(),
            recorder.url()
        ),
    );
    let gateway = Gateway::start(GatewayOptions {
        config: &config,
        env: Vec::new(),
    });
    let body = b"hello";
    let head = format!(
        "POST /spelled HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: text/plain\r\nUser-Agent: Spelling/1.0\r\nX-Mixed-CASE: v\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    assert_eq!(send_raw(&gateway, &head, body), 200);
    let rendered = String::from_utf8(recorder.last().body).unwrap();
    assert_eq!(
        rendered,
        "Host,Content-Type,User-Agent,X-Mixed-CASE,Content-Length,Connection,|text/plain|Spelling/1.0"
    );

    // An http_proxy drops hop-by-hop and framing headers however they are
    // spelled: one Content-Length (the gateway's), nothing `Connection`
    // names.
    let head = format!(
        "POST /proxied HTTP/1.1\r\nHost: gateway.test\r\nContent-Type: text/plain\r\nX-Hop: 1\r\nConnection: close, X-Hop\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    assert_eq!(send_raw(&gateway, &head, body), 200);
    let received = recorder.last();
    assert_eq!(received.header("content-length"), ["5"]);
    assert!(
        received.header("x-hop").is_empty(),
        "{:?}",
        received.headers
    );
    assert_eq!(received.header("content-type"), ["text/plain"]);
    assert_eq!(received.body, body);
}
