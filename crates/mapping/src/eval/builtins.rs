//! `$input`, `$util`, `$context`, `$stageVariables` and `$foreach`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value as Json;

use super::Eval;
use crate::ast::{Encoder, LoopField, Precompiled};
use crate::error::{Failure, Fallible};
use crate::jsonpath::{Computed, JsonPath, Matches};
use crate::params::Location;
use crate::render;
use crate::util;
use crate::value::{Builtin, Map, Value};

impl<'a> Eval<'a> {
    pub(super) fn builtin_property(&mut self, b: Builtin, name: &str) -> Value<'a> {
        let vars = self.vars;
        let ctx = vars.context;
        match b {
            Builtin::Input => match name {
                "body" => Value::Str(match vars.input.body.text() {
                    "" => "{}",
                    text => text,
                }),
                "params" => self.params_map(),
                _ => Value::Null,
            },
            Builtin::Util => Value::Null,
            Builtin::Context => match name {
                "requestTimeEpoch" => Value::Int(ctx.request_time_epoch),
                "identity" => Value::Object(Builtin::Identity),
                "authorizer" => Value::Object(Builtin::Authorizer),
                "error" if ctx.error.is_some() => Value::Object(Builtin::ContextError),
                "requestOverride" => Value::Map(self.override_maps().request.clone()),
                "responseOverride" => Value::Map(self.override_maps().response.clone()),
                _ => ctx.field(name).map_or(Value::Null, Value::Str),
            },
            Builtin::Identity => ctx.identity.field(name).map_or(Value::Null, Value::Str),
            Builtin::Authorizer => match name {
                "claims" => Value::Object(Builtin::Claims),
                _ => ctx.authorizer.field(name).map_or(Value::Null, Value::Str),
            },
            Builtin::Claims => ctx.authorizer.claim(name).map_or(Value::Null, Value::Str),
            Builtin::ContextError => match ctx.error.as_ref().and_then(|e| e.field(name)) {
                Some(Cow::Borrowed(text)) => Value::Str(text),
                Some(Cow::Owned(text)) => Value::string(text),
                None => Value::Null,
            },
            Builtin::StageVariables => vars
                .stage_variables
                .get(name)
                .map_or(Value::Null, |v| Value::Str(v)),
            Builtin::Loop(depth) => {
                let Some(frame) = self.loops.get(depth) else {
                    return Value::Null;
                };
                match (LoopField::of(name), name) {
                    (Some(field), _) => frame.field(field),
                    (None, "parent") if depth > 0 => Value::Object(Builtin::Loop(depth - 1)),
                    // Velocity 1.7's `Scope.getTopmost()`: the outermost loop.
                    (None, "topmost") => Value::Object(Builtin::Loop(0)),
                    _ => Value::Null,
                }
            }
        }
    }

    /// A builtin as a map, for printing, iterating and map methods.
    pub(super) fn builtin_as_map(&mut self, b: Builtin) -> Option<Value<'a>> {
        let keys: &[&str] = match b {
            Builtin::Context => &[
                "resourceId",
                "resourcePath",
                "httpMethod",
                "extendedRequestId",
                "requestTime",
                "path",
                "accountId",
                "protocol",
                "requestOverride",
                "stage",
                "domainPrefix",
                "requestTimeEpoch",
                "requestId",
                "identity",
                "authorizer",
                "domainName",
                "deploymentId",
                "responseOverride",
                "apiId",
            ],
            Builtin::Identity => &[
                "sourceIp",
                "userAgent",
                "accessKey",
                "caller",
                "user",
                "userArn",
                "accountId",
                "apiKey",
                "apiKeyId",
            ],
            Builtin::Authorizer => {
                let authorizer = &self.vars.context.authorizer;
                let mut entries: Vec<(Rc<str>, Value<'a>)> = Vec::new();
                if !authorizer.principal_id.is_empty() {
                    entries.push(("principalId".into(), Value::Str(&authorizer.principal_id)));
                }
                if !authorizer.claims.is_empty() {
                    let claims = self.builtin_as_map(Builtin::Claims).unwrap_or(Value::Null);
                    entries.push(("claims".into(), claims));
                }
                for (k, v) in &authorizer.values {
                    entries.push((Rc::from(k.as_str()), Value::Str(v)));
                }
                return Some(Value::new_map(entries));
            }
            Builtin::Claims => {
                let entries = self
                    .vars
                    .context
                    .authorizer
                    .claims
                    .iter()
                    .map(|(k, v)| (Rc::from(k.as_str()), Value::Str(v)))
                    .collect();
                return Some(Value::new_map(entries));
            }
            Builtin::ContextError => &[
                "message",
                "messageString",
                "responseType",
                "validationErrorString",
            ],
            Builtin::StageVariables => {
                let entries = self
                    .vars
                    .stage_variables
                    .iter()
                    .map(|(k, v)| (Rc::from(k.as_str()), Value::Str(v)))
                    .collect();
                return Some(Value::new_map(entries));
            }
            Builtin::Loop(_) => &["index", "count", "hasNext", "first", "last"],
            Builtin::Input | Builtin::Util => return None,
        };
        let mut entries = Vec::with_capacity(keys.len());
        for k in keys {
            let mut v = self.builtin_property(b, k);
            if let Value::Object(inner) = v {
                v = self.builtin_as_map(inner).unwrap_or(Value::Null);
            }
            entries.push((Rc::from(*k), v));
        }
        Some(Value::new_map(entries))
    }

    /// `$input.params()`: `{path={...}, querystring={...}, header={...}}`,
    /// each name once with the value `$input.params('x')` would give.
    fn params_map(&self) -> Value<'a> {
        let params = self.vars.input.params;
        let section = |location: Location| {
            let entries = params
                .entries(location)
                .into_iter()
                .map(|(k, v)| (Rc::from(k), Value::Str(v)))
                .collect();
            Value::Map(Rc::new(RefCell::new(Map {
                entries,
                case_insensitive: location == Location::Header,
                entry: false,
            })))
        };
        Value::new_map(vec![
            ("path".into(), section(Location::Path)),
            ("querystring".into(), section(Location::QueryString)),
            ("header".into(), section(Location::Header)),
        ])
    }

    fn path_arg(
        &mut self,
        args: &[Value<'a>],
        pre: &'a Precompiled,
    ) -> Fallible<Option<PathRef<'a>>> {
        if let Precompiled::Path(p) = pre {
            return Ok(Some(PathRef::Borrowed(p)));
        }
        let Some(text) = args.first().and_then(Value::as_str) else {
            return Ok(None);
        };
        JsonPath::compile_arg(text).map(|p| Some(PathRef::Owned(Box::new(p))))
    }

    pub(super) fn call_builtin(
        &mut self,
        b: Builtin,
        name: &str,
        args: Vec<Value<'a>>,
        pre: &'a Precompiled,
    ) -> Fallible<Value<'a>> {
        match (b, name, args.len()) {
            (Builtin::Input, "path", 1) => {
                let Some(path) = self.path_arg(&args, pre)? else {
                    return Ok(Value::Null);
                };
                let body = self.body_json()?;
                Ok(match path.get().query_node(body)? {
                    Matches::Missing => Value::Null,
                    Matches::One(v) => Value::from_json(v),
                    Matches::Many(vs) => {
                        Value::new_list(vs.into_iter().map(Value::from_json).collect(), true)
                    }
                    Matches::Computed(c) => computed_value(c),
                })
            }
            (Builtin::Input, "json", 1) => {
                let Some(path) = self.path_arg(&args, pre)? else {
                    return Ok(Value::Null);
                };
                let body = self.body_json()?;
                let mut s = String::new();
                match path.get().query_node(body)? {
                    // Not recorded on AWS; LocalStack renders `""`, which this follows.
                    Matches::Missing => s.push_str("\"\""),
                    Matches::One(v) => render::write_json(v, &mut s, 0)?,
                    Matches::Many(vs) => {
                        s.push('[');
                        for (i, v) in vs.into_iter().enumerate() {
                            if i > 0 {
                                s.push(',');
                            }
                            render::write_json(v, &mut s, 0)?;
                        }
                        s.push(']');
                    }
                    Matches::Computed(c) => c.write_json(&mut s),
                }
                super::check_len(&s)?;
                Ok(Value::string(s))
            }
            (Builtin::Input, "params", 0) => Ok(self.params_map()),
            (Builtin::Input, "params", 1) => Ok(args[0]
                .as_str()
                .and_then(|name| self.vars.input.params.find(name))
                .map_or(Value::Null, Value::Str)),
            (Builtin::Input, "getBody", 0) => Ok(self.builtin_property(b, "body")),
            (Builtin::Util, _, 1) => {
                let Some(text) = self.arg_text(&args[0])? else {
                    return Ok(Value::Null);
                };
                let out = match name {
                    "urlDecode" => util::url_decode(&text)?,
                    "base64Decode" => util::base64_decode(&text)?,
                    "parseJson" => return parse_json(&text),
                    _ => match Encoder::of(name) {
                        Some(encoder) => {
                            let mut out = String::with_capacity(text.len());
                            encoder.encode_into(&text, &mut out);
                            out
                        }
                        None => return Ok(Value::Null),
                    },
                };
                super::check_len(&out)?;
                Ok(Value::string(out))
            }
            (Builtin::Loop(_), _, 0) => {
                let prop = match name {
                    "getIndex" => "index",
                    "getCount" => "count",
                    "hasNext" | "getHasNext" => "hasNext",
                    "isFirst" | "getFirst" => "first",
                    "isLast" | "getLast" => "last",
                    "getParent" => "parent",
                    "getTopmost" => "topmost",
                    _ => return self.builtin_map_method(b, name, args),
                };
                Ok(self.builtin_property(b, prop))
            }
            (
                Builtin::Context
                | Builtin::StageVariables
                | Builtin::Identity
                | Builtin::Authorizer
                | Builtin::Claims
                | Builtin::ContextError,
                "get",
                1,
            ) => Ok(match args[0].as_str() {
                Some(k) => self.builtin_property(b, k),
                None => Value::Null,
            }),
            _ => self.builtin_map_method(b, name, args),
        }
    }

    /// Map methods (`keySet`, `containsKey`, `size`, ...) on a map-like builtin.
    fn builtin_map_method(
        &mut self,
        b: Builtin,
        name: &str,
        args: Vec<Value<'a>>,
    ) -> Fallible<Value<'a>> {
        match self.builtin_as_map(b) {
            Some(m) => self.call(&m, name, args, &Precompiled::None),
            None => Ok(Value::Null),
        }
    }
}

enum PathRef<'a> {
    Borrowed(&'a JsonPath),
    Owned(Box<JsonPath>),
}

impl PathRef<'_> {
    fn get(&self) -> &JsonPath {
        match self {
            PathRef::Borrowed(p) => p,
            PathRef::Owned(p) => p,
        }
    }
}

/// `$util.parseJson`: an owned tree of maps and JSON-printing lists.
/// A JSONPath function's result as `$input.path` gives it: a number, or
/// the names as a list that prints as JSON, like a list from the body.
fn computed_value<'a>(c: Computed) -> Value<'a> {
    match c {
        Computed::Int(i) => Value::Int(i),
        Computed::Double(d) => Value::Float(d),
        Computed::Keys(keys) => {
            Value::new_list(keys.into_iter().map(Value::string).collect(), true)
        }
    }
}

fn parse_json<'a>(text: &str) -> Fallible<Value<'a>> {
    let json: Json = serde_json::from_str(text)
        .map_err(|e| Failure::runtime(format!("parseJson: invalid JSON: {e}")))?;
    Ok(owned(&json))
}

fn owned<'a>(j: &Json) -> Value<'a> {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => crate::value::number_value(n),
        Json::String(s) => Value::string(s.clone()),
        Json::Array(a) => Value::new_list(a.iter().map(owned).collect(), true),
        Json::Object(o) => Value::new_map(
            o.iter()
                .map(|(k, v)| (Rc::from(k.as_str()), owned(v)))
                .collect(),
        ),
    }
}
