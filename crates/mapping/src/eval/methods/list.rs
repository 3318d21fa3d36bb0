//! Java `List` methods on lists from the body (read-only), lists built by
//! the template (mutable, shared as Java references are) and ranges.

use crate::doc::Doc;
use crate::error::{Failure, Fallible};
use crate::eval::Eval;
use crate::limits::MAX_COLLECTION_LEN;
use crate::render;
use crate::value::Value;

impl<'a> Eval<'a> {
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
    pub(in crate::eval) fn list_get(recv: &Value<'a>, i: i64) -> Option<Value<'a>> {
        match recv {
            Value::Json(Doc::Array(a)) => a.get(usize::try_from(i).ok()?).map(Value::from_json),
            Value::List(l) => l.borrow().items.get(usize::try_from(i).ok()?).cloned(),
            Value::Range(a, b) => (i >= 0 && (i as u64) <= a.abs_diff(*b))
                .then(|| Value::Int(if a <= b { a + i } else { a - i })),
            _ => None,
        }
    }

    pub(super) fn list_method(
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
}

fn is_json_list(v: &Value<'_>) -> bool {
    match v {
        Value::Json(_) => true,
        Value::List(l) => l.borrow().json,
        _ => false,
    }
}
