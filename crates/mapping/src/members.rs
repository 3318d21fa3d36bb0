//! The members `$util`, `$input` and `$context` have, checked when a
//! template is compiled.
//!
//! API Gateway renders an unknown member as nothing: `$util.escapeJavascript(...)`
//! (wrong case) or `$input.pathh('$.x')` quietly empties a field at run
//! time. Here a template that reads one is refused at load, at the member's
//! line and column, with the closest known name when one is close.
//!
//! Only what can be decided from the text is checked: a static member read
//! directly on the root (`$util.x(...)`, `$input.x`, `$context.x`, only the
//! first segment of `$context.authorizer.claims.sub`), and only when the
//! template never binds that root itself (`#set($util = ...)`, or a
//! `#foreach` or `#define` variable of that name), since a template variable
//! hides the builtin.

use crate::ast::{Part, Reference, Root};
use crate::error::{ErrorKind, Failure, Fallible, Span};

/// `$util`'s methods, as the evaluator implements them (`eval/builtins.rs`);
/// API Gateway documents these six.
pub(crate) const UTIL: &[&str] = &[
    "escapeJavaScript",
    "parseJson",
    "urlEncode",
    "urlDecode",
    "base64Encode",
    "base64Decode",
];

/// `$input`'s members, as the evaluator implements them.
pub(crate) const INPUT: &[&str] = &["body", "json", "path", "params", "getBody"];

/// The first-level `$context` names API Gateway documents for REST APIs,
/// for data transformations and for access logging. Some render as nothing
/// here (there are no authorizers, no canary, no WAF), but a template
/// written for API Gateway may read them.
const CONTEXT: &[&str] = &[
    "accountId",
    "apiId",
    "authorizer",
    "awsEndpointRequestId",
    "deploymentId",
    "domainName",
    "domainPrefix",
    "error",
    "extendedRequestId",
    "httpMethod",
    "identity",
    "isCanaryRequest",
    "path",
    "protocol",
    "requestId",
    "requestOverride",
    "responseOverride",
    "requestTime",
    "requestTimeEpoch",
    "resourceId",
    "resourcePath",
    "stage",
    "wafResponseCode",
    "webaclArn",
    "xrayTraceId",
    // Access logging.
    "authenticate",
    "authorize",
    "customDomain",
    "integration",
    "integrationLatency",
    "integrationStatus",
    "responseLatency",
    "responseLength",
    "status",
    "waf",
];

/// The Java `Map` methods the evaluator runs on a map-like builtin
/// (`eval/methods/map.rs`): AWS's recorded templates iterate
/// `$context.keySet()`.
const MAP_METHODS: &[&str] = &[
    "get",
    "containsKey",
    "containsValue",
    "isEmpty",
    "size",
    "keySet",
    "values",
    "entrySet",
    "put",
    "putAll",
    "remove",
    "clear",
    "toString",
];

/// The members a template reads on the checked roots, and the roots it
/// binds itself; [`Members::check`] decides once the whole template is seen.
#[derive(Debug, Default)]
pub(crate) struct Members {
    reads: Vec<Read>,
    bound: Vec<Root>,
}

/// `$root.name` or `$root.name(...)`.
#[derive(Debug)]
struct Read {
    root: Root,
    name: Box<str>,
    span: Span,
    call: bool,
}

impl Members {
    /// Notes a reference's first member, if its root is checked.
    pub fn read(&mut self, r: &Reference) {
        if !matches!(r.builtin, Root::Util | Root::Input | Root::Context) {
            return;
        }
        let (name, span, call) = match r.parts.first() {
            Some(Part::Property { name, span }) => (name, *span, false),
            Some(Part::Method { name, span, .. }) => (name, *span, true),
            Some(Part::Index { .. }) | None => return,
        };
        self.reads.push(Read {
            root: r.builtin,
            name: name.clone(),
            span,
            call,
        });
    }

    /// Notes a variable the template binds: the target of `#set($name = ...)`,
    /// a `#foreach` or `#define` variable.
    pub fn bind(&mut self, name: &str) {
        self.bound.push(Root::of(name));
    }

    /// The first unknown member read on a root the template does not bind.
    pub fn check(&self) -> Fallible<()> {
        for read in &self.reads {
            if self.bound.contains(&read.root) {
                continue;
            }
            let (root, known): (&str, &[&[&str]]) = match read.root {
                Root::Util => ("util", &[UTIL]),
                Root::Input => ("input", &[INPUT]),
                _ => ("context", &[CONTEXT, MAP_METHODS]),
            };
            let mut names = known.iter().flat_map(|list| list.iter().copied());
            if names.any(|known| known == &*read.name) {
                continue;
            }
            let names = known.iter().flat_map(|list| list.iter().copied());
            let kind = if read.call { "method" } else { "property" };
            let mut message = format!("unknown {kind} `${root}.{}`", read.name);
            if let Some(close) = closest(&read.name, names) {
                message.push_str(&format!("; did you mean `{close}`?"));
            }
            return Err(Failure::new(ErrorKind::UnknownName, message).at(read.span));
        }
        Ok(())
    }
}

/// The known name `name` was probably meant to be: one that differs only in
/// case, else the nearest by edit distance when it is at most a third of the
/// name's length (one edit for short names).
fn closest<'k>(name: &str, known: impl Iterator<Item = &'k str> + Clone) -> Option<&'k str> {
    if let Some(same) = known.clone().find(|k| k.eq_ignore_ascii_case(name)) {
        return Some(same);
    }
    let limit = (name.chars().count() / 3).max(1);
    known
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{Body, Context, Input, Params, Template, Variables};

    #[test]
    fn closest_prefers_case_then_a_near_name() {
        let util = || UTIL.iter().copied();
        assert_eq!(
            closest("escapeJavascript", util()),
            Some("escapeJavaScript")
        );
        assert_eq!(closest("BASE64ENCODE", util()), Some("base64Encode"));
        assert_eq!(closest("parseJsn", util()), Some("parseJson"));
        assert_eq!(closest("urlEcnode", util()), Some("urlEncode"), "a swap");
        assert_eq!(closest("toJson", util()), None);
        let input = || INPUT.iter().copied();
        assert_eq!(closest("pathh", input()), Some("path"));
        assert_eq!(closest("jsn", input()), Some("json"));
        assert_eq!(closest("foo", input()), None, "three edits from body");
    }

    /// Every name the check accepts on `$util` and `$input` is one the
    /// evaluator implements: it gives something other than nothing.
    #[test]
    fn accepted_names_are_implemented() {
        let body = Body::new(r#"{"a": "x"}"#);
        let path = [("a".to_string(), "p".to_string())];
        let context = Context::default();
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
        let render = |source: &str| {
            Template::compile("t", source)
                .and_then(|t| t.render(&vars))
                .unwrap()
                .body
        };
        for name in UTIL {
            let arg = if *name == "parseJson" { "[1]" } else { "e30=" };
            assert_ne!(render(&format!("$util.{name}('{arg}')")), "", "{name}");
        }
        for (name, args) in [
            ("body", ""),
            ("json", "('$.a')"),
            ("path", "('$.a')"),
            ("params", "('a')"),
            ("getBody", "()"),
        ] {
            assert!(INPUT.contains(&name));
            assert_ne!(render(&format!("$input.{name}{args}")), "", "{name}");
        }
        assert_eq!(INPUT.len(), 5);
        for name in MAP_METHODS {
            assert!(
                Template::compile("t", &format!("$context.{name}()")).is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn only_unbound_roots_are_checked() {
        let error = |source: &str| Template::compile("t", source).err().map(|e| e.to_string());
        assert_eq!(
            error("#if(true)\n  $input.Body\n#end"),
            Some("t:2:10: unknown property `$input.Body`; did you mean `body`?".into())
        );
        assert_eq!(
            error("#set($x = \"$util.urlencode($a)\")"),
            Some("t:1:18: unknown method `$util.urlencode`; did you mean `urlEncode`?".into())
        );
        assert_eq!(
            error("#set($context.requestOverrides.header.X = 'a')"),
            Some(
                "t:1:15: unknown property `$context.requestOverrides`; did you mean `requestOverride`?"
                    .into()
            )
        );
        for fine in [
            "$context.authorizer.claims.sub $context.identity.anything",
            "#foreach($k in $context.keySet())$k #end",
            "$context.get('stage') $input.params().header",
            "#set($util = {})$util.anything()",
            "$input.nothing #foreach($input in [1])#end",
            "#define($context)x#end$context.anything",
            "\\$util.escaped",
            "$utility.anything $context['anything']",
        ] {
            assert_eq!(error(fine), None, "{fine}");
        }
    }
}
