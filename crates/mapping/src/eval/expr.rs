//! Expressions: literals, operators with Velocity 1.7's semantics, and the
//! comparisons and printing that operators and methods share.

use std::borrow::Cow;
use std::rc::Rc;

use crate::ast::*;
use crate::error::{Failure, Fallible};
use crate::limits::MAX_COLLECTION_LEN;
use crate::render;
use crate::value::{Map, Num, Value, arith, compare_nums};

use super::{Eval, Flow, check_len};

impl<'a> Eval<'a> {
    /// Evaluates an expression. References, by far the most common kind,
    /// are handled here so that they cost no extra call.
    #[inline]
    pub(crate) fn expr(&mut self, e: &'a Expr) -> Fallible<Value<'a>> {
        self.tick(1)?;
        match &e.kind {
            ExprKind::Ref(r) => self.reference(r),
            _ => self.expr_other(e),
        }
    }

    fn expr_other(&mut self, e: &'a Expr) -> Fallible<Value<'a>> {
        let v = match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Str(s) => Value::Str(s),
            ExprKind::Interpolated(block) => {
                let s = self.capture(|ev| match ev.block(block) {
                    Ok(()) | Err(Flow::Break) | Err(Flow::Stop) => Ok(()),
                    Err(Flow::Fail(f)) => Err(f),
                })?;
                Value::string(s)
            }
            ExprKind::Ref(r) => self.reference(r)?,
            ExprKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for i in items {
                    values.push(self.expr(i)?);
                }
                Value::new_list(values, false)
            }
            ExprKind::Map(entries) => {
                let mut map = Map::default();
                for (k, v) in entries {
                    let key = self.expr(k)?;
                    let value = self.expr(v)?;
                    let s = render::to_string(&key).map_err(|f| f.at(k.span))?;
                    map.insert(s.into(), value);
                }
                Value::Map(Rc::new(std::cell::RefCell::new(map)))
            }
            ExprKind::Range(a, b) => {
                let (x, y) = (self.expr(a)?, self.expr(b)?);
                match (range_bound(&x), range_bound(&y)) {
                    (Some(x), Some(y)) => {
                        if x.abs_diff(y) >= MAX_COLLECTION_LEN as u64 {
                            return Err(Failure::limit(format!(
                                "range [{x}..{y}] has more than {MAX_COLLECTION_LEN} elements"
                            ))
                            .at(e.span));
                        }
                        Value::Range(x, y)
                    }
                    // Velocity logs a non-integer bound and yields null.
                    _ => Value::Null,
                }
            }
            ExprKind::Not(inner) => Value::Bool(!self.expr(inner)?.truthy()),
            ExprKind::Binary(op, l, r) => return self.binary(*op, l, r).map_err(|f| f.at(e.span)),
        };
        Ok(v)
    }

    fn binary(&mut self, op: BinOp, l: &'a Expr, r: &'a Expr) -> Fallible<Value<'a>> {
        match op {
            BinOp::And => {
                let left = self.expr(l)?.truthy();
                return Ok(Value::Bool(left && self.expr(r)?.truthy()));
            }
            BinOp::Or => {
                let left = self.expr(l)?.truthy();
                return Ok(Value::Bool(left || self.expr(r)?.truthy()));
            }
            _ => {}
        }
        let a = self.expr(l)?;
        let b = self.expr(r)?;
        Ok(match op {
            BinOp::Eq => Value::Bool(self.loose_eq(&a, &b)?),
            BinOp::Ne => Value::Bool(!self.loose_eq(&a, &b)?),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = match (a.as_num(), b.as_num()) {
                    (Some(x), Some(y)) => compare_nums(x, y),
                    // Velocity 1.7 compares only numbers; anything else is false.
                    _ => None,
                };
                Value::Bool(ord.is_some_and(|o| match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Le => o.is_le(),
                    BinOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }))
            }
            BinOp::Add if a.is_stringish() || b.is_stringish() => {
                if a.is_null() || b.is_null() {
                    return Ok(Value::Null);
                }
                let mut s = String::new();
                self.display_into(&a, &mut s)?;
                self.display_into(&b, &mut s)?;
                check_len(&s)?;
                Value::string(s)
            }
            _ => match (a.as_num(), b.as_num()) {
                (Some(x), Some(y)) => match arith(op, x, y) {
                    Some(Num::I(i)) => Value::Int(i),
                    Some(Num::F(f)) => Value::Float(f),
                    None => Value::Null,
                },
                _ => Value::Null,
            },
        })
    }

    /// Prints a value into a separate string (`Define` blocks rendered).
    pub(crate) fn display_into(&mut self, v: &Value<'a>, s: &mut String) -> Fallible<()> {
        match v {
            Value::Define(_) | Value::Object(_) => {
                let v = v.clone();
                let text = self.capture(|ev| ev.emit(&v))?;
                s.push_str(&text);
                Ok(())
            }
            _ => render::display(v, s),
        }
    }

    pub(crate) fn text_of(&mut self, v: &Value<'a>) -> Fallible<String> {
        let mut s = String::new();
        self.display_into(v, &mut s)?;
        Ok(s)
    }

    /// The text a one-argument `$util` method works on: `None` for a null
    /// argument, else its printed form (borrowed when it is a string), with
    /// the work of reading it counted.
    pub(super) fn arg_text<'v>(&mut self, v: &'v Value<'a>) -> Fallible<Option<Cow<'v, str>>> {
        if v.is_null() {
            return Ok(None);
        }
        let text = match v.as_str() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(self.text_of(v)?),
        };
        self.tick(text.len() as u64 / 256)?;
        Ok(Some(text))
    }

    /// `==` as API Gateway evaluates it.
    fn loose_eq(&mut self, a: &Value<'a>, b: &Value<'a>) -> Fallible<bool> {
        if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
            return Ok(compare_nums(x, y).is_some_and(|o| o.is_eq()));
        }
        match (a, b) {
            (Value::Null, Value::Null) => return Ok(true),
            // AWS-recorded: a missing value equals `''` as well as `$null`.
            (Value::Null, other) | (other, Value::Null) => return Ok(other.as_str() == Some("")),
            (Value::Bool(x), Value::Bool(y)) => return Ok(x == y),
            _ => {}
        }
        if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
            return Ok(x == y);
        }
        // Different classes: Velocity 1.7 compares their string forms.
        let (x, y) = (self.text_of(a)?, self.text_of(b)?);
        Ok(x == y)
    }
}

fn range_bound(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Str(_) | Value::String(_) => v.as_str()?.trim().parse().ok(),
        _ => None,
    }
}
