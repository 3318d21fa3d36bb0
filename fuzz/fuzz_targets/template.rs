//! `template`: arbitrary template text through `Template::compile`, and a
//! template that compiles rendered over a fixed request (a JSON body, path,
//! query string and header parameters, `$context`, stage variables).
//!
//! A compile or render error is a fine outcome. A panic, a hang past
//! libFuzzer's `-timeout` or memory past `-rss_limit_mb` is a finding: the
//! engine's limits (`gateway_mapping::limits`) must bound every template.

#![no_main]

use gateway_fuzz::{BODY, render};
use gateway_mapping::{Body, Template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Configuration is text: the loader refuses a file that is not UTF-8.
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(template) = Template::compile("fuzz", source) {
        render(&template, &Body::new(BODY));
    }
});
