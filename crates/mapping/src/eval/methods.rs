//! Method calls: Java `String`, `List` and `Map` methods on values, dispatched
//! by receiver type. A method that does not exist for the receiver, or whose
//! arguments do not fit, gives null (Velocity logs and renders nothing); a
//! method that exists but would throw in Java (an index out of range, say)
//! is a render error at the call.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use crate::doc::Doc;

use super::{Eval, check_len};
use crate::ast::Precompiled;
use crate::error::{Failure, Fallible};
use crate::javaregex;
use crate::limits::MAX_COLLECTION_LEN;
use crate::render;
use crate::value::{Map, Value, compare_nums};

impl<'a> Eval<'a> {
    pub(super) fn call(
        &mut self,
        recv: &Value<'a>,
        name: &str,
        args: Vec<Value<'a>>,
        pre: &'a Precompiled,
    ) -> Fallible<Value<'a>> {
        match recv {
            Value::Null => Ok(Value::Null),
            Value::Object(b) => self.call_builtin(*b, name, args, pre),
            Value::Str(s) => self.string_method(s, name, &args, pre),
            Value::String(s) => {
                let s = s.clone();
                self.string_method(&s, name, &args, pre)
            }
            Value::Json(Doc::Array(_)) | Value::List(_) | Value::Range(..) => {
                self.list_method(recv, name, args)
            }
            Value::Json(Doc::Object(_)) | Value::Map(_) => self.map_method(recv, name, args),
            Value::Define(_) => {
                // A block is used as the string it renders to.
                let text = self.text_of(recv)?;
                self.string_method(&text, name, &args, pre)
            }
            _ => self.scalar_method(recv, name, &args),
        }
    }

    fn scalar_method(
        &mut self,
        recv: &Value<'a>,
        name: &str,
        args: &[Value<'a>],
    ) -> Fallible<Value<'a>> {
        Ok(match (name, args) {
            ("toString", []) => Value::string(self.text_of(recv)?),
            ("equals", [other]) => Value::Bool(self.java_equals(recv, other)?),
            ("intValue" | "longValue" | "shortValue" | "byteValue", []) => match recv {
                Value::Int(i) => Value::Int(*i),
                Value::Float(f) => Value::Int(*f as i64),
                _ => Value::Null,
            },
            ("doubleValue" | "floatValue", []) => match recv.as_num() {
                Some(n) => Value::Float(n.as_f64()),
                None => Value::Null,
            },
            ("booleanValue", []) => match recv {
                Value::Bool(b) => Value::Bool(*b),
                _ => Value::Null,
            },
            ("compareTo", [other]) => match (recv.as_num(), other.as_num()) {
                (Some(a), Some(b)) => compare_nums(a, b).map_or(Value::Null, ord_value),
                _ => Value::Null,
            },
            _ => Value::Null,
        })
    }

    /// Java `equals`: same kind and same value (numbers compare by value
    /// within integers or within doubles; collections by printed form).
    pub(super) fn java_equals(&mut self, a: &Value<'a>, b: &Value<'a>) -> Fallible<bool> {
        Ok(match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Int(_), Value::Float(_)) | (Value::Float(_), Value::Int(_)) => false,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            _ => match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => x == y,
                (Some(_), None) | (None, Some(_)) => false,
                _ => self.text_of(a)? == self.text_of(b)?,
            },
        })
    }

    fn regex(
        &mut self,
        pre: &'a Precompiled,
        pattern: &str,
        whole: bool,
    ) -> Fallible<RegexRef<'a>> {
        if let Precompiled::Regex(re) = pre {
            return Ok(RegexRef::Pre(re));
        }
        self.tick(pattern.len() as u64)?;
        javaregex::compile(pattern, whole).map(|r| RegexRef::Run(Box::new(r)))
    }

    fn string_method(
        &mut self,
        s: &str,
        name: &str,
        args: &[Value<'a>],
        pre: &'a Precompiled,
    ) -> Fallible<Value<'a>> {
        self.tick(1 + s.len() as u64 / 256)?;
        let str_arg = |i: usize| args.get(i).and_then(Value::as_str);
        let int_arg = |i: usize| args.get(i).and_then(Value::as_int);
        let out = match (name, args.len()) {
            ("length", 0) => Value::Int(utf16_len(s) as i64),
            ("isEmpty", 0) => Value::Bool(s.is_empty()),
            ("toString" | "trim" | "toLowerCase" | "toUpperCase", 0) => {
                let r = match name {
                    "trim" => s.trim_matches(|c: char| c <= ' ').to_owned(),
                    "toLowerCase" => s.to_lowercase(),
                    "toUpperCase" => s.to_uppercase(),
                    _ => s.to_owned(),
                };
                Value::string(r)
            }
            // `subSequence` returns a `CharSequence`, which prints the same.
            ("substring", 1 | 2) | ("subSequence", 2) => {
                let (Some(from), to) = (int_arg(0), int_arg(1)) else {
                    return Ok(Value::Null);
                };
                if args.len() == 2 && to.is_none() {
                    return Ok(Value::Null);
                }
                let len = utf16_len(s) as i64;
                let to = to.unwrap_or(len);
                if from < 0 || to > len || from > to {
                    return Err(Failure::runtime(format!(
                        "substring: begin {from}, end {to}, length {len}"
                    )));
                }
                match (
                    byte_at_utf16(s, from as usize),
                    byte_at_utf16(s, to as usize),
                ) {
                    (Some(a), Some(b)) => Value::string(s[a..b].to_owned()),
                    _ => Value::string(utf16_substring(s, from as usize, to as usize)),
                }
            }
            ("charAt", 1) => {
                let Some(i) = int_arg(0) else {
                    return Ok(Value::Null);
                };
                let units: Vec<u16> = s.encode_utf16().collect();
                match usize::try_from(i).ok().and_then(|i| units.get(i)) {
                    Some(u) => Value::string(String::from_utf16_lossy(&[*u])),
                    None => {
                        return Err(Failure::runtime(format!("charAt: index {i} out of range")));
                    }
                }
            }
            ("indexOf" | "lastIndexOf", 1 | 2) => {
                let Some(needle) = str_arg(0) else {
                    return Ok(Value::Null);
                };
                let from = if args.len() == 2 {
                    match int_arg(1) {
                        Some(f) => Some(f),
                        None => return Ok(Value::Null),
                    }
                } else {
                    None
                };
                let len = utf16_len(s) as i64;
                let found = if name == "indexOf" {
                    let from = from.unwrap_or(0).clamp(0, len) as usize;
                    let start = byte_at_utf16(s, from).unwrap_or(s.len());
                    s[start..].find(needle).map(|i| start + i)
                } else {
                    // lastIndexOf: the match must start at or before `from`.
                    let limit = from.map_or(len, |f| f.min(len));
                    if limit < 0 {
                        None
                    } else {
                        let cap = byte_at_utf16(s, limit as usize).unwrap_or(s.len());
                        let end = (cap + needle.len()).min(s.len());
                        let end = (0..=end)
                            .rev()
                            .find(|&e| s.is_char_boundary(e))
                            .unwrap_or(0);
                        s[..end].rfind(needle)
                    }
                };
                Value::Int(found.map_or(-1, |b| utf16_len(&s[..b]) as i64))
            }
            ("contains", 1) => match str_arg(0) {
                Some(n) => Value::Bool(s.contains(n)),
                None => Value::Null,
            },
            ("startsWith", 1) => match str_arg(0) {
                Some(n) => Value::Bool(s.starts_with(n)),
                None => Value::Null,
            },
            ("startsWith", 2) => match (str_arg(0), int_arg(1)) {
                (Some(n), Some(off)) => {
                    let ok = usize::try_from(off)
                        .ok()
                        .and_then(|o| byte_at_utf16(s, o))
                        .is_some_and(|b| s[b..].starts_with(n));
                    Value::Bool(ok)
                }
                _ => Value::Null,
            },
            ("endsWith", 1) => match str_arg(0) {
                Some(n) => Value::Bool(s.ends_with(n)),
                None => Value::Null,
            },
            ("equals", 1) => Value::Bool(str_arg(0) == Some(s)),
            ("contentEquals", 1) => match str_arg(0) {
                Some(n) => Value::Bool(n == s),
                None => Value::Null,
            },
            ("codePointAt", 1) => {
                let Some(i) = int_arg(0) else {
                    return Ok(Value::Null);
                };
                let units: Vec<u16> = s.encode_utf16().collect();
                let Some(i) = usize::try_from(i).ok().filter(|&i| i < units.len()) else {
                    return Err(Failure::runtime(format!(
                        "codePointAt: index {i} out of range"
                    )));
                };
                // A high surrogate followed by a low one is one code point.
                let code = match char::decode_utf16(units[i..].iter().copied()).next() {
                    Some(Ok(c)) => c as u32,
                    _ => u32::from(units[i]),
                };
                Value::Int(i64::from(code))
            }
            ("equalsIgnoreCase", 1) => match str_arg(0) {
                Some(n) => Value::Bool(eq_ignore_case(s, n)),
                None => Value::Bool(false),
            },
            ("compareTo", 1) => match str_arg(0) {
                Some(n) => Value::Int(java_compare(s, n)),
                None => Value::Null,
            },
            ("compareToIgnoreCase", 1) => match str_arg(0) {
                Some(n) => Value::Int(java_compare(&s.to_lowercase(), &n.to_lowercase())),
                None => Value::Null,
            },
            ("concat", 1) => match str_arg(0) {
                Some(n) => {
                    let r = format!("{s}{n}");
                    check_len(&r)?;
                    Value::string(r)
                }
                None => Value::Null,
            },
            ("replace", 2) => match (str_arg(0), str_arg(1)) {
                (Some(from), Some(to)) => {
                    let r = java_replace(s, from, to);
                    check_len(&r)?;
                    Value::string(r)
                }
                _ => Value::Null,
            },
            ("replaceAll" | "replaceFirst", 2) => {
                let (Some(pattern), Some(rep)) = (str_arg(0), str_arg(1)) else {
                    return Ok(Value::Null);
                };
                let re = self.regex(pre, pattern, false)?;
                let re = re.get();
                let rep = javaregex::replacement(rep, re)?;
                let r = if name == "replaceAll" {
                    re.replace_all(s, rep.as_str())
                } else {
                    re.replacen(s, 1, rep.as_str())
                };
                check_len(&r)?;
                Value::string(r.into_owned())
            }
            ("matches", 1) => {
                let Some(pattern) = str_arg(0) else {
                    return Ok(Value::Null);
                };
                let re = self.regex(pre, pattern, true)?;
                Value::Bool(re.get().is_match(s))
            }
            ("split", 1 | 2) => {
                let Some(pattern) = str_arg(0) else {
                    return Ok(Value::Null);
                };
                let limit = if args.len() == 2 {
                    match int_arg(1) {
                        Some(l) => l,
                        None => return Ok(Value::Null),
                    }
                } else {
                    0
                };
                let re = self.regex(pre, pattern, false)?;
                let parts = java_split(s, re.get(), limit);
                if parts.len() > MAX_COLLECTION_LEN {
                    return Err(Failure::limit(format!(
                        "split gave more than {MAX_COLLECTION_LEN} parts"
                    )));
                }
                Value::new_list(
                    parts
                        .into_iter()
                        .map(|p| Value::string(p.to_owned()))
                        .collect(),
                    false,
                )
            }
            ("hashCode", 0) => {
                let h = s
                    .encode_utf16()
                    .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32));
                Value::Int(h as i64)
            }
            _ => Value::Null,
        };
        Ok(out)
    }

    /// Elements of a list-like receiver.
    fn list_items(&self, recv: &Value<'a>) -> Vec<Value<'a>> {
        match recv {
            Value::Json(Doc::Array(a)) => a.iter().map(Value::from_json).collect(),
            Value::List(l) => l.borrow().items.clone(),
            Value::Range(a, b) => render::range_iter(*a, *b).map(Value::Int).collect(),
            _ => Vec::new(),
        }
    }

    fn list_len(recv: &Value<'a>) -> usize {
        match recv {
            Value::Json(Doc::Array(a)) => a.len(),
            Value::List(l) => l.borrow().items.len(),
            Value::Range(a, b) => a.abs_diff(*b) as usize + 1,
            _ => 0,
        }
    }

    /// Element `i` of a list-like receiver, `None` when out of range. A
    /// range's element is computed, not listed.
    pub(super) fn list_get(recv: &Value<'a>, i: i64) -> Option<Value<'a>> {
        match recv {
            Value::Json(Doc::Array(a)) => a.get(usize::try_from(i).ok()?).map(Value::from_json),
            Value::List(l) => l.borrow().items.get(usize::try_from(i).ok()?).cloned(),
            Value::Range(a, b) => (i >= 0 && (i as u64) <= a.abs_diff(*b))
                .then(|| Value::Int(if a <= b { a + i } else { a - i })),
            _ => None,
        }
    }

    fn list_method(
        &mut self,
        recv: &Value<'a>,
        name: &str,
        args: Vec<Value<'a>>,
    ) -> Fallible<Value<'a>> {
        let len = Self::list_len(recv);
        self.tick(1)?;
        match (name, args.len()) {
            // `count()` is not a `java.util.List` method, but the AWS mapping
            // template reference documents `$input.path('$.pets').count()`
            // as the number of elements, so templates written from it work.
            ("size" | "count", 0) => return Ok(Value::Int(len as i64)),
            ("isEmpty", 0) => return Ok(Value::Bool(len == 0)),
            ("toString", 0) => return Ok(Value::string(self.text_of(recv)?)),
            ("get", 1) => {
                let Some(i) = args[0].as_int() else {
                    return Ok(Value::Null);
                };
                return Self::list_get(recv, i).ok_or_else(|| {
                    Failure::runtime(format!("get: index {i} out of bounds for length {len}"))
                });
            }
            ("contains" | "indexOf" | "lastIndexOf", 1) => {
                self.tick(len as u64)?;
                let items = self.list_items(recv);
                let mut found = None;
                for (i, item) in items.iter().enumerate() {
                    if self.java_equals(item, &args[0])? {
                        found = Some(i);
                        if name != "lastIndexOf" {
                            break;
                        }
                    }
                }
                return Ok(match name {
                    "contains" => Value::Bool(found.is_some()),
                    _ => Value::Int(found.map_or(-1, |i| i as i64)),
                });
            }
            ("subList", 2) => {
                let (Some(a), Some(b)) = (args[0].as_int(), args[1].as_int()) else {
                    return Ok(Value::Null);
                };
                if a < 0 || b as usize > len || a > b {
                    return Err(Failure::runtime(format!(
                        "subList: from {a}, to {b}, size {len}"
                    )));
                }
                let items = self.list_items(recv);
                return Ok(Value::new_list(
                    items[a as usize..b as usize].to_vec(),
                    is_json_list(recv),
                ));
            }
            _ => {}
        }
        // Mutators work on template-built lists; the body is read-only.
        let Value::List(list) = recv else {
            return Ok(Value::Null);
        };
        let grow = |extra: usize| -> Fallible<()> {
            if len + extra > MAX_COLLECTION_LEN {
                return Err(Failure::limit(format!(
                    "list larger than {MAX_COLLECTION_LEN} elements"
                )));
            }
            Ok(())
        };
        let mut args = args;
        Ok(match (name, args.len()) {
            ("add", 1) => {
                grow(1)?;
                list.borrow_mut().items.push(args.remove(0));
                Value::Bool(true)
            }
            ("add", 2) => {
                let Some(i) = args[0].as_int() else {
                    return Ok(Value::Null);
                };
                if i < 0 || i as usize > len {
                    return Err(Failure::runtime(format!(
                        "add: index {i} out of bounds for length {len}"
                    )));
                }
                grow(1)?;
                let v = args.remove(1);
                list.borrow_mut().items.insert(i as usize, v);
                Value::Null
            }
            ("addAll", 1) => {
                let extra = match &args[0] {
                    v @ (Value::List(_) | Value::Json(Doc::Array(_)) | Value::Range(..)) => {
                        self.list_items(v)
                    }
                    _ => return Ok(Value::Null),
                };
                grow(extra.len())?;
                self.tick(extra.len() as u64)?;
                list.borrow_mut().items.extend(extra);
                Value::Bool(true)
            }
            ("set", 2) => {
                let Some(i) = args[0].as_int() else {
                    return Ok(Value::Null);
                };
                let mut l = list.borrow_mut();
                match usize::try_from(i).ok().filter(|&i| i < len) {
                    Some(i) => std::mem::replace(&mut l.items[i], args.remove(1)),
                    None => {
                        return Err(Failure::runtime(format!(
                            "set: index {i} out of bounds for length {len}"
                        )));
                    }
                }
            }
            ("remove", 1) => match &args[0] {
                Value::Int(i) => match usize::try_from(*i).ok().filter(|&i| i < len) {
                    Some(i) => list.borrow_mut().items.remove(i),
                    None => {
                        return Err(Failure::runtime(format!(
                            "remove: index {i} out of bounds for length {len}"
                        )));
                    }
                },
                other => {
                    let items = list.borrow().items.clone();
                    let mut at = None;
                    for (i, item) in items.iter().enumerate() {
                        if self.java_equals(item, other)? {
                            at = Some(i);
                            break;
                        }
                    }
                    if let Some(i) = at {
                        list.borrow_mut().items.remove(i);
                    }
                    Value::Bool(at.is_some())
                }
            },
            ("clear", 0) => {
                list.borrow_mut().items.clear();
                Value::Null
            }
            _ => Value::Null,
        })
    }

    fn map_method(
        &mut self,
        recv: &Value<'a>,
        name: &str,
        args: Vec<Value<'a>>,
    ) -> Fallible<Value<'a>> {
        self.tick(1)?;
        let key = |ev: &mut Self, v: &Value<'a>| -> Fallible<Option<String>> {
            if v.is_null() {
                Ok(None)
            } else {
                ev.text_of(v).map(Some)
            }
        };
        let len = match recv {
            Value::Json(d @ Doc::Object(o)) => {
                if matches!(name, "get" | "containsKey") {
                    let Some(k) = args.first() else {
                        return Ok(Value::Null);
                    };
                    let Some(k) = key(self, k)? else {
                        return Ok(Value::Null);
                    };
                    return Ok(match name {
                        "get" => d.get(&k).map_or(Value::Null, Value::from_json),
                        _ => Value::Bool(d.get(&k).is_some()),
                    });
                }
                self.tick(o.len() as u64)?;
                o.len()
            }
            Value::Map(m) => {
                if matches!(name, "get" | "containsKey") && args.len() == 1 {
                    let Some(k) = key(self, &args[0])? else {
                        return Ok(Value::Null);
                    };
                    let m = m.borrow();
                    return Ok(match name {
                        "get" => m.get(&k).cloned().unwrap_or(Value::Null),
                        _ => Value::Bool(m.get(&k).is_some()),
                    });
                }
                m.borrow().entries.len()
            }
            _ => return Ok(Value::Null),
        };
        match (name, args.len()) {
            ("size", 0) => return Ok(Value::Int(len as i64)),
            ("isEmpty", 0) => return Ok(Value::Bool(len == 0)),
            ("toString", 0) => return Ok(Value::string(self.text_of(recv)?)),
            ("keySet", 0) => {
                return Ok(Value::new_list(
                    map_entries(recv)
                        .into_iter()
                        .map(|(k, _)| Value::string(k.to_string()))
                        .collect(),
                    false,
                ));
            }
            ("values", 0) => {
                return Ok(Value::new_list(
                    map_entries(recv).into_iter().map(|(_, v)| v).collect(),
                    false,
                ));
            }
            ("entrySet", 0) => {
                // Entries are small maps, so `$e.key` and `$e.value` work.
                let list = map_entries(recv)
                    .into_iter()
                    .map(|(k, v)| {
                        Value::Map(Rc::new(RefCell::new(Map {
                            entries: vec![
                                ("key".into(), Value::string(k.to_string())),
                                ("value".into(), v),
                            ],
                            case_insensitive: false,
                            entry: true,
                        })))
                    })
                    .collect();
                return Ok(Value::new_list(list, false));
            }
            ("getKey", 0) => {
                return Ok(map_entries(recv)
                    .iter()
                    .find(|(k, _)| &**k == "key")
                    .map_or(Value::Null, |(_, v)| v.clone()));
            }
            ("getValue", 0) => {
                return Ok(map_entries(recv)
                    .iter()
                    .find(|(k, _)| &**k == "value")
                    .map_or(Value::Null, |(_, v)| v.clone()));
            }
            ("containsValue", 1) => {
                // A copy: printing a value to compare it may run `#set`s
                // that change this map.
                for (_, v) in &map_entries(recv) {
                    if self.java_equals(v, &args[0])? {
                        return Ok(Value::Bool(true));
                    }
                }
                return Ok(Value::Bool(false));
            }
            _ => {}
        }
        let Value::Map(map) = recv else {
            return Ok(Value::Null);
        };
        let mut args = args;
        Ok(match (name, args.len()) {
            ("put", 2) => {
                let Some(k) = key(self, &args[0])? else {
                    return Ok(Value::Null);
                };
                if len >= MAX_COLLECTION_LEN {
                    return Err(Failure::limit(format!(
                        "map larger than {MAX_COLLECTION_LEN} entries"
                    )));
                }
                let v = args.remove(1);
                map.borrow_mut().insert(k.into(), v)
            }
            ("putAll", 1) => {
                let extra: Vec<(Rc<str>, Value<'a>)> = match &args[0] {
                    Value::Map(other) => other.borrow().entries.clone(),
                    Value::Json(Doc::Object(o)) => o
                        .iter()
                        .map(|(k, v)| (Rc::from(&**k), Value::from_json(v)))
                        .collect(),
                    _ => return Ok(Value::Null),
                };
                if len + extra.len() > MAX_COLLECTION_LEN {
                    return Err(Failure::limit(format!(
                        "map larger than {MAX_COLLECTION_LEN} entries"
                    )));
                }
                self.tick(extra.len() as u64)?;
                let mut m = map.borrow_mut();
                for (k, v) in extra {
                    m.insert(k, v);
                }
                Value::Null
            }
            ("remove", 1) => match key(self, &args[0])? {
                Some(k) => map.borrow_mut().remove(&k),
                None => Value::Null,
            },
            ("clear", 0) => {
                map.borrow_mut().entries.clear();
                Value::Null
            }
            _ => Value::Null,
        })
    }
}

enum RegexRef<'a> {
    Pre(&'a regex::Regex),
    Run(Box<regex::Regex>),
}

impl RegexRef<'_> {
    fn get(&self) -> &regex::Regex {
        match self {
            RegexRef::Pre(r) => r,
            RegexRef::Run(r) => r,
        }
    }
}

/// The entries of a map-like receiver, copied.
fn map_entries<'a>(recv: &Value<'a>) -> Vec<(Rc<str>, Value<'a>)> {
    match recv {
        Value::Json(Doc::Object(o)) => o
            .iter()
            .map(|(k, v)| (Rc::from(&**k), Value::from_json(v)))
            .collect(),
        Value::Map(m) => m.borrow().entries.clone(),
        _ => Vec::new(),
    }
}

fn is_json_list(v: &Value<'_>) -> bool {
    match v {
        Value::Json(_) => true,
        Value::List(l) => l.borrow().json,
        _ => false,
    }
}

fn ord_value<'a>(o: Ordering) -> Value<'a> {
    Value::Int(match o {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    })
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// The byte offset of UTF-16 index `idx`, if it falls on a character boundary.
fn byte_at_utf16(s: &str, idx: usize) -> Option<usize> {
    if s.is_ascii() {
        return (idx <= s.len()).then_some(idx);
    }
    let mut units = 0;
    for (b, c) in s.char_indices() {
        if units == idx {
            return Some(b);
        }
        units += c.len_utf16();
        if units > idx {
            return None;
        }
    }
    (units == idx).then_some(s.len())
}

/// A substring by UTF-16 indices that may split a surrogate pair.
fn utf16_substring(s: &str, from: usize, to: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16_lossy(&units[from.min(units.len())..to.min(units.len())])
}

/// Java `String.compareTo`: by UTF-16 units, then by length.
fn java_compare(a: &str, b: &str) -> i64 {
    let (mut x, mut y) = (a.encode_utf16(), b.encode_utf16());
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p != q => return p as i64 - q as i64,
            (Some(_), Some(_)) => {}
            (Some(_), None) => return (utf16_len(a) - utf16_len(b)) as i64,
            (None, Some(_)) => return -((utf16_len(b) - utf16_len(a)) as i64),
            (None, None) => return 0,
        }
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.eq_ignore_ascii_case(b)
        || a.chars().count() == b.chars().count()
            && a.chars().zip(b.chars()).all(|(x, y)| {
                x == y
                    || x.to_uppercase().eq(y.to_uppercase())
                    || x.to_lowercase().eq(y.to_lowercase())
            })
}

/// Java `String.replace(CharSequence, CharSequence)`: an empty target
/// inserts the replacement between every character and at both ends.
fn java_replace(s: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        let mut out = String::with_capacity(s.len() + to.len() * (s.len() + 1));
        out.push_str(to);
        for c in s.chars() {
            out.push(c);
            out.push_str(to);
        }
        return out;
    }
    s.replace(from, to)
}

/// Java `String.split(regex, limit)`: a zero-width match at the start adds no
/// leading empty string; limit 0 drops trailing empty strings; a positive
/// limit caps the number of parts.
fn java_split<'s>(s: &'s str, re: &regex::Regex, limit: i64) -> Vec<&'s str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut parts = Vec::new();
    let mut last = 0;
    for m in re.find_iter(s) {
        if limit > 0 && parts.len() as i64 == limit - 1 {
            break;
        }
        if m.end() == 0 {
            continue;
        }
        parts.push(&s[last..m.start()]);
        last = m.end();
    }
    parts.push(&s[last..]);
    if limit == 0 {
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() && last > 0 {
            parts.pop();
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_follows_java() {
        let re = |p: &str| javaregex::compile(p, false).unwrap();
        assert_eq!(java_split("a,b,,c,,", &re(","), 0), vec!["a", "b", "", "c"]);
        assert_eq!(java_split("a,b,c", &re(","), 2), vec!["a", "b,c"]);
        assert_eq!(java_split("abc", &re(""), 0), vec!["a", "b", "c"]);
        assert_eq!(java_split("", &re(","), 0), vec![""]);
        assert_eq!(java_split(",", &re(","), 0), Vec::<&str>::new());
        assert_eq!(java_split("a,b,,", &re(","), -1), vec!["a", "b", "", ""]);
    }

    #[test]
    fn utf16_indexes() {
        assert_eq!(utf16_len("a😀b"), 4);
        assert_eq!(byte_at_utf16("a😀b", 3), Some(5));
        assert_eq!(byte_at_utf16("a😀b", 2), None);
        assert_eq!(java_compare("a", "b"), -1);
        assert_eq!(java_compare("ab", "a"), 1);
    }
}
