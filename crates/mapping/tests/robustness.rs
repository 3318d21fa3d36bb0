//! Untrusted-input robustness: random templates built from VTL fragments and
//! hostile bodies must compile or fail cleanly, and render or fail cleanly,
//! never panic, hang or overflow the stack.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use gateway_mapping::{Body, Context, Input, Params, Template, Variables};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "$",
    "#",
    "#if(",
    "#elseif(",
    "#else",
    "#end",
    "#foreach(",
    "$x in ",
    "#set(",
    "$a",
    "$a.b",
    "$a-b",
    "$!a",
    "${a}",
    "$input.path('$.x')",
    "$input.json('$')",
    "$input.params('p')",
    "$input.body",
    "$util.base64Encode(",
    "$util.parseJson(",
    "$util.urlDecode('%",
    "$context.requestOverride.header.X",
    "$foreach.hasNext",
    "$velocityCount",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "..",
    "'",
    "\"",
    "\\",
    "\\$",
    "\\#",
    "\n",
    " ",
    "\t",
    "x",
    "1",
    "-1",
    "2.5",
    "==",
    "!=",
    "<",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&&",
    "||",
    "!",
    "=",
    ",",
    ":",
    "#*",
    "*#",
    "##",
    "#[[",
    "]]#",
    "#define($d)",
    "$d",
    "#break",
    "#stop",
    "é",
    "😀",
    ".length()",
    ".substring(1, 9)",
    ".replaceAll('(', 'x')",
    ".split('')",
    ".add($a)",
    ".put('k', $a)",
    ".get(0)",
    "[0..3]",
    "[1..99999]",
    "#macro(m)",
    "#evaluate(",
    "true",
    "false",
    "in",
    "#{if}",
    "#{end}",
    "\r\n",
];

fn render(template: &str, body: &str) -> Result<String, String> {
    let t = Template::compile("fuzz", template).map_err(|e| e.to_string())?;
    let context = Context::default();
    let stage = BTreeMap::new();
    let path = [("p".to_string(), "v".to_string())];
    let body = Body::new(body);
    let vars = Variables {
        input: Input::new(
            &body,
            Params {
                path: &path,
                ..Params::default()
            },
        ),
        context: &context,
        stage_variables: &stage,
    };
    t.render(&vars).map(|r| r.body).map_err(|e| e.to_string())
}

#[test]
fn random_templates_never_panic() {
    // FUZZ_ITERATIONS / FUZZ_SEED widen the search when run by hand.
    let iterations = std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15);
    let mut rng = Rng(seed);
    let bodies = [
        "",
        "{}",
        r#"{"x": [1, {"y": null}], "b": "s"}"#,
        "not json",
        "[1,2,3]",
    ];
    for i in 0..iterations {
        let len = 1 + rng.below(40);
        let template: String = (0..len)
            .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
            .collect();
        let body = bodies[i % bodies.len()];
        let outcome = catch_unwind(AssertUnwindSafe(|| render(&template, body)));
        assert!(
            outcome.is_ok(),
            "panic for template {template:?} with body {body:?}"
        );
    }
}

#[test]
fn errors_always_name_a_position() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = 1 + rng.below(20);
        let template: String = (0..len)
            .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
            .collect();
        if let Err(e) = Template::compile("fuzz", &template) {
            assert!(e.line() >= 1 && e.column() >= 1, "{e} for {template:?}");
            assert!(e.to_string().starts_with("fuzz:"), "{e}");
        }
    }
}

#[test]
fn hostile_bodies_are_bounded() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let wide = format!("[{}]", vec!["{\"a\":1}"; 50_000].join(","));
    for body in [
        deep.as_str(),
        wide.as_str(),
        "\u{0}\u{1}",
        "{\"a\": \"\\ud800\"}",
    ] {
        for template in [
            "$input.path('$')",
            "$input.json('$..a')",
            "$input.body.length()",
            "#foreach($x in $input.path('$'))$x#end",
        ] {
            let _ = render(template, body);
        }
    }
    // A 50,000-element list cannot be iterated past the 1,000 limit.
    let err = render("#foreach($x in $input.path('$'))#end", &wide).unwrap_err();
    assert!(err.contains("at most 1000 iterations"), "{err}");
}

#[test]
fn pathological_templates_are_bounded() {
    let many_dollars = "$".repeat(200_000);
    assert_eq!(render(&many_dollars, "").unwrap(), many_dollars);
    let deep_if = "#if(true)".repeat(5_000);
    assert!(render(&deep_if, "").unwrap_err().contains("nesting deeper"));
    let deep_parens = format!("#set($a = {})", "(".repeat(100_000));
    assert!(
        render(&deep_parens, "")
            .unwrap_err()
            .contains("nesting deeper")
    );
    let deep_string = format!("#set($a = {}", "\"#if(".repeat(10_000));
    assert!(render(&deep_string, "").is_err());
    let doubling = "#set($s = 'ab')#foreach($i in [1..64])#set($s = $s.concat($s))#end";
    assert!(render(doubling, "").unwrap_err().contains("longer than"));
    let list_doubling = "#set($l = [1])#foreach($i in [1..64])#set($x = $l.addAll($l))#end";
    assert!(
        render(list_doubling, "")
            .unwrap_err()
            .contains("larger than")
    );
    let cyclic = "#set($m = {})#set($x = $m.put('self', $m))$m";
    assert!(render(cyclic, "").unwrap_err().contains("nested deeper"));
}
