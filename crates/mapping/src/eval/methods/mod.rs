//! Method calls: Java `String`, `List` and `Map` methods on values, dispatched
//! by receiver type. A method that does not exist for the receiver, or whose
//! arguments do not fit, gives null (Velocity logs and renders nothing); a
//! method that exists but would throw in Java (an index out of range, say)
//! is a render error at the call.
//!
//! `string.rs`, `list.rs` and `map.rs` hold the methods of each receiver
//! type; this module dispatches a call and holds the methods every value has
//! (`toString`, `equals`, the number conversions).

mod list;
mod map;
mod string;

use std::cmp::Ordering;

use crate::ast::Precompiled;
use crate::doc::Doc;
use crate::error::Fallible;
use crate::eval::Eval;
use crate::value::{Value, compare_nums};

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
}

fn ord_value<'a>(o: Ordering) -> Value<'a> {
    Value::Int(match o {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    })
}
