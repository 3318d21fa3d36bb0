//! Java `Map` methods on objects from the body (read-only) and maps built
//! by the template, `Map.Entry`'s `getKey`/`getValue` included.

use std::cell::RefCell;
use std::rc::Rc;

use crate::doc::Doc;
use crate::error::{Failure, Fallible};
use crate::eval::Eval;
use crate::limits::MAX_COLLECTION_LEN;
use crate::value::{Map, Value};

impl<'a> Eval<'a> {
    pub(super) fn map_method(
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
