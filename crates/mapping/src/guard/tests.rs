use std::collections::BTreeMap;

use super::scan::one_value;
use super::*;
use crate::{Body, Context, ErrorKind, Input, Params, Template, Variables};

/// Renders `template` over `body` with recording on; returns the body and
/// what each interpolation printed, with its line and column.
fn record(template: &str, body: &str) -> (String, Vec<(String, u32, u32)>) {
    let t = Template::compile("t", template).unwrap();
    let mut interpolations = Interpolations::default();
    let rendered = with_vars(body, |vars| t.render_recording(vars, &mut interpolations)).unwrap();
    let printed = interpolations
        .as_slice()
        .iter()
        .map(|i| {
            (
                rendered.body[i.start as usize..i.end as usize].to_string(),
                i.span.line,
                i.span.column,
            )
        })
        .collect();
    (rendered.body, printed)
}

fn with_vars<T>(body: &str, f: impl FnOnce(&Variables<'_>) -> T) -> T {
    let body = Body::new(body);
    let path = [("stream-name".to_string(), "s".to_string())];
    let context = Context {
        request_id: "rid-1".into(),
        ..Context::default()
    };
    let stage_variables = BTreeMap::new();
    let vars = Variables {
        input: Input::new(
            &body,
            Params {
                path: &path,
                ..Params::default()
            },
        ),
        context: &context,
        stage_variables: &stage_variables,
    };
    f(&vars)
}

/// Renders and checks: the body, or the guard's error as `line:column: message`.
fn guard(template: &str, body: &str) -> Result<String, String> {
    let t = Template::compile("t", template).unwrap();
    let mut interpolations = Interpolations::default();
    let rendered = with_vars(body, |vars| t.render_recording(vars, &mut interpolations)).unwrap();
    match t.check_json(rendered.body.as_bytes(), &mut interpolations) {
        Ok(()) => Ok(rendered.body),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Injection);
            Err(format!("{}:{}: {}", e.line(), e.column(), e.message()))
        }
    }
}

fn printed(items: &[(&str, u32, u32)]) -> Vec<(String, u32, u32)> {
    items
        .iter()
        .map(|&(s, l, c)| (s.to_string(), l, c))
        .collect()
}

// Recording.

#[test]
fn records_each_printed_reference_and_not_the_template_text() {
    let (body, seen) = record(
        "{\"s\": \"$input.params('stream-name')\",\n \"k\": \"$input.path('$.k')\", \"n\": $input.json('$.n'), \"r\": \"$context.requestId\"}",
        r#"{"k": "key", "n": [1, 2]}"#,
    );
    assert_eq!(
        body,
        "{\"s\": \"s\",\n \"k\": \"key\", \"n\": [1,2], \"r\": \"rid-1\"}"
    );
    assert_eq!(
        seen,
        printed(&[
            ("s", 1, 8),
            ("key", 2, 8),
            ("[1,2]", 2, 34),
            ("rid-1", 2, 60)
        ])
    );
}

#[test]
fn records_inside_nested_directives_and_foreach() {
    let template = concat!(
        "[#foreach($r in $input.path('$.records'))",
        "#if($r.on)#if($r.k != '')\"$r.k\"#else\"-\"#end#end",
        "#if($foreach.hasNext),#end#end]",
    );
    let (body, seen) = record(
        template,
        r#"{"records": [{"on": true, "k": "a"}, {"on": true, "k": ""}, {"on": true, "k": "b"}]}"#,
    );
    assert_eq!(body, r#"["a","-","b"]"#);
    // The empty `$r.k` of the second record is tested, not printed.
    assert_eq!(seen, printed(&[("a", 1, 68), ("b", 1, 68)]));
}

#[test]
fn a_set_variable_is_one_interpolation_however_it_was_built() {
    let (body, seen) = record(
        "#set($q = '\"')#set($kv = \"${q}k${q}: ${q}$input.path('$.v')${q}\")\n{$kv}",
        r#"{"v": "x"}"#,
    );
    assert_eq!(body, r#"{"k": "x"}"#);
    // The references inside the string literal were printed into the value,
    // not into the body: only `$kv` is noted.
    assert_eq!(seen, printed(&[(r#""k": "x""#, 2, 2)]));
}

#[test]
fn a_define_block_is_template_text_and_its_references_are_noted() {
    let (body, seen) = record(
        "#define($pair)\"k\": \"$input.path('$.v')\"#end{$pair, $pair}",
        r#"{"v": "x"}"#,
    );
    assert_eq!(body, r#"{"k": "x", "k": "x"}"#);
    assert_eq!(seen, printed(&[("x", 1, 21), ("x", 1, 21)]));
}

#[test]
fn a_define_used_in_a_string_literal_is_part_of_that_value() {
    let (body, seen) = record(
        "#define($d)<$input.path('$.v')>#end#set($s = \"[$d]\")$s",
        r#"{"v": "x"}"#,
    );
    assert_eq!(body, "[<x>]");
    assert_eq!(seen, printed(&[("[<x>]", 1, 53)]));
}

#[test]
fn records_encoders_escaped_and_quiet_references() {
    let (body, seen) = record(
        r#""$util.escapeJavaScript($input.path('$.n'))" \$input.path('$.n') $!input.path('$.n') $!nothing $util.base64Encode('a')"#,
        r#"{"n": "O'Brien"}"#,
    );
    assert_eq!(body, r#""O\'Brien" $input.path('$.n') O'Brien  YQ=="#);
    // `\$...` prints the template's own text; an empty value is not noted.
    assert_eq!(
        seen,
        printed(&[("O\\'Brien", 1, 2), ("O'Brien", 1, 66), ("YQ==", 1, 96)])
    );
}

#[test]
fn macro_calls_print_as_written_and_are_template_text() {
    let (body, seen) = record(
        "#macro(m $a)$a#end#m($input.path('$.v'))|$input.path('$.v')",
        r#"{"v": "x"}"#,
    );
    assert_eq!(body, "#m($input.path('$.v'))|x");
    assert_eq!(seen, printed(&[("x", 1, 42)]));
}

#[test]
fn a_render_without_recording_notes_nothing_and_recording_starts_afresh() {
    let t = Template::compile("t", "\"$input.path('$.v')\"").unwrap();
    let mut interpolations = Interpolations::default();
    with_vars(r#"{"v": "x"}"#, |vars| {
        t.render_recording(vars, &mut interpolations).unwrap();
        t.render_recording(vars, &mut interpolations).unwrap();
    });
    assert_eq!(interpolations.as_slice().len(), 1, "cleared by each render");
    assert_eq!(
        interpolations.as_slice()[0],
        Interpolation {
            start: 1,
            end: 2,
            span: crate::Span {
                offset: 1,
                line: 1,
                column: 2
            }
        }
    );
}

// The checker, through templates.

const PUT_RECORD: &str = "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Data\": \"$util.base64Encode($input.json('$.Data'))\",\n    \"PartitionKey\": \"$input.path('$.PartitionKey')\"\n}";

const PUT_RECORDS: &str = concat!(
    "{\"StreamName\": \"$input.params('stream-name')\", \"Records\": [\n",
    "#foreach($elem in $input.path('$.records'))",
    "{\"Data\": \"$util.base64Encode($elem.data)\", \"PartitionKey\": \"$elem.partition-key\"}",
    "#if($foreach.hasNext),#end#end\n]}",
);

fn put_record(partition_key: &str) -> Result<String, String> {
    let body = serde_json::json!({"Data": "d", "PartitionKey": partition_key}).to_string();
    guard(PUT_RECORD, &body)
}

#[test]
fn refuses_a_value_that_closes_its_string_to_add_a_key() {
    assert_eq!(
        put_record(r#"k", "ExplicitHashKey": "0"#),
        Err(
            "4:22: the value of `$input.path('$.PartitionKey')` closed the JSON string it is in (an unescaped `\"`)"
                .into()
        )
    );
}

#[test]
fn refuses_a_value_that_retargets_a_field() {
    // The README's attack: a second `StreamName`.
    assert!(
        put_record(r#"x", "StreamName": "other-stream"#)
            .unwrap_err()
            .contains("closed the JSON string")
    );
    // A key the client chooses may not repeat one of the template's.
    let template = r#"{"StreamName": "s", "$input.path('$.name')": "$input.path('$.value')"}"#;
    assert_eq!(
        guard(template, r#"{"name": "StreamName", "value": "other"}"#),
        Err(
            "1:22: the value of `$input.path('$.name')` made the key `StreamName` repeat another key of the same object"
                .into()
        )
    );
    // Compared as JSON parsers read them, escapes decoded.
    assert!(
        guard(
            template,
            r#"{"name": "\\u0053treamName", "value": "other"}"#
        )
        .unwrap_err()
        .contains("`StreamName`")
    );
    assert_eq!(
        guard(template, r#"{"name": "Tag", "value": "x"}"#).unwrap(),
        r#"{"StreamName": "s", "Tag": "x"}"#
    );
}

#[test]
fn refuses_a_value_that_adds_an_array_element() {
    let body = serde_json::json!({"records": [
        {"data": "a", "partition-key": "k\"}, {\"Data\": \"eA==\", \"PartitionKey\": \"z"}
    ]})
    .to_string();
    assert_eq!(
        guard(PUT_RECORDS, &body),
        Err(
            "2:104: the value of `$elem.partition-key` closed the JSON string it is in (an unescaped `\"`)"
                .into()
        )
    );
    // Outside a string, a second element after the first.
    assert_eq!(
        guard(
            r#"{"Records": [$input.path('$.r')]}"#,
            r#"{"r": "{\"a\": 1}, {\"b\": 2}"}"#
        ),
        Err(
            "1:14: the value of `$input.path('$.r')` printed more than one JSON value: it adds a member or an element to the template's"
                .into()
        )
    );
}

#[test]
fn refuses_a_value_that_adds_a_key_outside_strings() {
    let template = r#"{"ShardCount": $input.path('$.n'), "StreamName": "s"}"#;
    assert!(
        guard(template, r#"{"n": "1, \"StreamName\": \"x\""}"#)
            .unwrap_err()
            .contains("printed more than one JSON value")
    );
    assert!(
        guard(template, r#"{"n": ", \"StreamName\": \"x\""}"#)
            .unwrap_err()
            .contains("printed more than one JSON value")
    );
}

#[test]
fn refuses_a_value_that_closes_an_object() {
    let template = r#"{"a": {"n": $input.path('$.n')}, "b": 1}"#;
    for n in ["1}, \"b\": 2, \"c\": {\"d\": 3", "}"] {
        let body = serde_json::json!({ "n": n }).to_string();
        assert!(
            guard(template, &body)
                .unwrap_err()
                .contains("closed an object or array of the template's"),
            "{n}"
        );
    }
}

#[test]
fn refuses_a_dangling_escape_and_unclosed_or_foreign_values() {
    // `k\` would escape the template's closing quote.
    assert_eq!(
        put_record("k\\"),
        Err("4:22: the value of `$input.path('$.PartitionKey')` ended in an unpaired backslash, which escapes the template's closing quote".into())
    );
    assert!(put_record("k\\\\").is_ok(), "an even run is two escapes");
    let outside = r#"{"n": $input.path('$.n')}"#;
    for (n, why) in [
        ("\"abc", "does not close"),
        ("[1, 2", "does not close"),
        ("\"abc\\", "does not close"),
        ("abc", "not a JSON value"),
        ("{k=v}", "not a JSON value"),
        ("[1}", "not a JSON value"),
        ("01", "not a JSON value"),
        ("1.", "not a JSON value"),
        (":", "not a JSON value"),
        ("\"k\": 1", "more than one JSON value"),
        ("1 2", "more than one JSON value"),
    ] {
        let body = serde_json::json!({ "n": n }).to_string();
        let refused = guard(outside, &body).unwrap_err();
        assert!(refused.contains(why), "{n}: {refused}");
    }
}

#[test]
fn passes_values_that_change_no_structure() {
    for key in ["O'Brien", "a{b}:c,d[e]", ""] {
        let rendered = put_record(key).unwrap();
        let json: serde_json::Value = serde_json::from_str(&rendered).unwrap();
        assert_eq!(json["PartitionKey"], key);
    }
    // A raw control character makes the string invalid JSON, but no
    // structure changes: the service refuses it if it must.
    assert!(put_record("tab\there").is_ok());
    // Escapes the template wrote around quotes stay inside the string.
    assert_eq!(
        guard(
            r#"{"k": "$util.escapeJavaScript($input.path('$.k'))"}"#,
            r#"{"k": "say \"hi\" to O'Brien\\"}"#
        )
        .unwrap(),
        r#"{"k": "say \"hi\" to O\'Brien\\"}"#
    );
}

#[test]
fn passes_one_json_value_or_nothing_outside_strings() {
    let template =
        r#"{"n": $input.json('$.n'), "p": $input.path('$.p'), "m": $input.path('$.missing')}"#;
    for (n, p) in [
        (r#"{"a": "}", "b": [1, {"c": "\"]"}], "d": null}"#, "5"),
        ("[]", "-1.5E10"),
        ("\"a string\"", "true"),
        ("null", " 0.25 "),
    ] {
        let body = format!(r#"{{"n": {n}, "p": "{p}"}}"#);
        assert!(guard(template, &body).is_ok(), "{n} {p}");
    }
    // The tutorial's CreateStream, with its default and with a count.
    let create = r#"{"ShardCount": #if($input.path('$.ShardCount') == '') 5 #else $input.path('$.ShardCount') #end, "StreamName": "$input.params('stream-name')"}"#;
    assert!(guard(create, "{}").is_ok());
    assert!(guard(create, r#"{"ShardCount": 2}"#).is_ok());
    assert!(guard(create, r#"{"ShardCount": "2, \"StreamModeDetails\": {}"}"#).is_err());
}

#[test]
fn the_template_s_own_text_is_not_judged() {
    // Invalid JSON and a repeated key, both written by the template.
    assert!(
        guard(
            r#"{"a": 1, "a": 2, "b": "$input.path('$.v')", oops"#,
            r#"{"v": "x"}"#
        )
        .is_ok()
    );
    assert!(guard(r#"{"a": 1, "a": 2}"#, "{}").is_ok());
}

#[test]
fn repeated_keys_printed_by_a_value_are_found_in_large_objects() {
    let template = r#"{"detail": $input.json('$')}"#;
    let mut body = String::from("{");
    for i in 0..40 {
        body.push_str(&format!("\"k{i}\": {i}, "));
    }
    let unique = format!("{body}\"k99\": 0}}");
    assert!(guard(template, &unique).is_ok());
    let repeated = format!("{body}\"k3\": 0}}");
    // The body's parser keeps both members and `$input.json` prints both.
    assert!(
        guard(template, &repeated)
            .unwrap_err()
            .contains("made the key `k3` repeat")
    );
    // In a large object of the template's, a key from a value is still compared.
    let mut many = String::from("{");
    for i in 0..40 {
        many.push_str(&format!("\"k{i}\": {i}, "));
    }
    many.push_str("\"$input.path('$.k')\": 0}");
    assert!(guard(&many, r#"{"k": "k7"}"#).is_err());
    assert!(guard(&many, r#"{"k": "k77"}"#).is_ok());
}

// The checker, on bodies and ranges given by hand.

fn check(body: &[u8], ranges: &[Interpolation]) -> Result<(), Found> {
    let mut interpolations = Interpolations {
        items: ranges.to_vec(),
        ..Interpolations::default()
    };
    super::check(body, &mut interpolations)
}

fn at(start: u32, end: u32) -> Interpolation {
    Interpolation {
        start,
        end,
        span: crate::Span::default(),
    }
}

#[test]
fn a_backslash_of_the_template_escapes_the_value_s_first_byte() {
    // `"a\` then a value `"` then `"`: the value's quote is escaped.
    assert_eq!(check(br#"{"k": "a\""}"#, &[at(9, 10)]), Ok(()));
    assert_eq!(
        check(br#"{"k": "a""}"#, &[at(8, 9)]),
        Err(Found {
            index: 0,
            breach: Breach::ClosedString
        })
    );
}

#[test]
fn mismatched_ranges_do_not_panic() {
    assert!(check(b"{}", &[at(5, 9), at(1, 0)]).is_ok());
    assert!(check(b"\"\\", &[at(1, 2)]).is_err());
}

#[test]
fn deep_values_are_checked_without_recursion() {
    let mut nesting = Vec::new();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(one_value(deep.as_bytes(), &mut nesting), Ok(()));
    assert_eq!(
        one_value(&deep.as_bytes()[1..], &mut nesting),
        Err(Breach::ClosedContainer)
    );
    assert_eq!(
        one_value(&deep.as_bytes()[..150_000], &mut nesting),
        Err(Breach::Unclosed)
    );
}

#[test]
fn scanning_finds_every_quote_and_backslash() {
    // Around the eight-byte steps of the fast search.
    for len in 0..40 {
        for special in [b'"', b'\\'] {
            for p in 0..len {
                let mut text = vec![b'a'; len];
                text[p] = special;
                let body = [b"\"".as_slice(), &text, b"\""].concat();
                let refused = check(&body, &[at(1, 1 + len as u32)]);
                if special == b'"' {
                    assert_eq!(refused.unwrap_err().breach, Breach::ClosedString);
                } else if p + 1 == len {
                    assert_eq!(refused.unwrap_err().breach, Breach::DanglingEscape);
                } else {
                    assert_eq!(refused, Ok(()), "{len} {p}");
                }
            }
        }
    }
}

#[test]
fn skipping_stops_at_or_before_every_significant_byte() {
    for len in 1..40 {
        for special in *b"\"{}[]," {
            for p in 0..len {
                let mut text = vec![b' '; len];
                text[p] = special;
                let skipped = super::scan::skip_insignificant(&text);
                assert!(skipped <= p && skipped % 8 == 0, "{len} {p} {skipped}");
                assert!(p - skipped < 8, "passes whole words only: {len} {p}");
            }
        }
    }
    assert_eq!(super::scan::skip_insignificant(b"  : 12.5e3, "), 8);
}
