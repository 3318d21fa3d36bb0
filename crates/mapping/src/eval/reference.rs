//! References: a reference's root (a template variable or a builtin), its
//! properties, indexes and method calls, and assignment to `#set` targets.

use crate::ast::*;
use crate::doc::Doc;
use crate::error::{Failure, Fallible};
use crate::limits::MAX_COLLECTION_LEN;
use crate::render;
use crate::value::{Builtin, Value};

use super::Eval;

impl<'a> Eval<'a> {
    /// A reference's root: a template variable, else a builtin of that name.
    fn lookup(&self, r: &Reference) -> Value<'a> {
        if let Some(v) = self.locals.get(r.slot) {
            return v.clone();
        }
        match r.builtin {
            Root::Input => Value::Object(Builtin::Input),
            Root::Util => Value::Object(Builtin::Util),
            Root::Context => Value::Object(Builtin::Context),
            Root::StageVariables => Value::Object(Builtin::StageVariables),
            Root::Foreach if !self.loops.is_empty() => {
                Value::Object(Builtin::Loop(self.loops.len() - 1))
            }
            Root::VelocityCount => self
                .loops
                .last()
                .map_or(Value::Null, |l| l.field(LoopField::Count)),
            Root::VelocityHasNext => self
                .loops
                .last()
                .map_or(Value::Null, |l| l.field(LoopField::HasNext)),
            Root::Foreach | Root::None => Value::Null,
        }
    }

    /// Evaluates a reference. On API Gateway a reference that comes out null
    /// (undefined, missing, JSON null) behaves as the empty string at every
    /// step: it prints as nothing, equals `''` and `$null`, is *true* in `#if`,
    /// and `.length()` on it is 0. AWS-recorded (airspeed snapshots):
    /// `#if($undefined)yes#end` and `#if(${a.b.c})yes#end` print `yes`,
    /// `!$undefined` is false.
    pub(super) fn reference(&mut self, r: &'a Reference) -> Fallible<Value<'a>> {
        if let (Some(field), Some(frame)) = (r.loop_field, self.loops.last()) {
            // `$foreach.hasNext` and friends, unless the template has a
            // variable of its own called `$foreach`.
            if self.locals.get(r.slot).is_none() {
                let v = frame.field(field);
                self.tick(1)?;
                return Ok(v);
            }
        }
        // `$elem.a.b` on a variable holding a body object, the common case:
        // walk the names on the document directly, and fall back to the
        // general steps below at the first part that is not a plain name.
        let mut rest = r.parts.as_slice();
        let v = match self.locals.get(r.slot) {
            Some(&Value::Json(mut doc)) => {
                while let [Part::Property { name, span }, tail @ ..] = rest {
                    let Doc::Object(_) = doc else { break };
                    self.tick(1).map_err(|f| f.at(*span))?;
                    rest = tail;
                    match doc.get(name) {
                        Some(child @ (Doc::Object(_) | Doc::Array(_))) => doc = child,
                        Some(scalar) if tail.is_empty() => {
                            return Ok(empty_if_null(Value::from_json(scalar)));
                        }
                        // A scalar, or nothing, with parts still to go: the
                        // general steps take it from here.
                        found => {
                            let v = found.map_or(Value::Null, Value::from_json);
                            return self.reference_rest(empty_if_null(v), rest);
                        }
                    }
                }
                Value::Json(doc)
            }
            _ => empty_if_null(self.lookup(r)),
        };
        self.reference_rest(v, rest)
    }

    /// The remaining parts of a reference, from value `v`.
    fn reference_rest(&mut self, mut v: Value<'a>, rest: &'a [Part]) -> Fallible<Value<'a>> {
        for part in rest {
            v = empty_if_null(self.access(v, part).map_err(|f| f.at(part.span()))?);
        }
        Ok(v)
    }

    fn access(&mut self, v: Value<'a>, part: &'a Part) -> Fallible<Value<'a>> {
        self.tick(1)?;
        match part {
            Part::Property { name, .. } => Ok(self.property(&v, name)),
            Part::Index { index, .. } => {
                let idx = self.expr(index)?;
                Ok(self.index(&v, &idx))
            }
            Part::Method {
                name, args, pre, ..
            } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.expr(a)?);
                }
                self.call(&v, name, values, pre)
            }
        }
    }

    /// `$v.name`: a map entry, a builtin's member, else null.
    fn property(&mut self, v: &Value<'a>, name: &str) -> Value<'a> {
        match v {
            Value::Json(d @ Doc::Object(_)) => d.get(name).map_or(Value::Null, Value::from_json),
            Value::Map(m) => m.borrow().get(name).cloned().unwrap_or(Value::Null),
            Value::Object(b) => self.builtin_property(*b, name),
            _ => Value::Null,
        }
    }

    /// `$v[i]` / `$v['k']`.
    fn index(&mut self, v: &Value<'a>, idx: &Value<'a>) -> Value<'a> {
        let key_str = || -> Option<String> {
            match idx {
                Value::Null => None,
                other => render::to_string(other).ok(),
            }
        };
        match v {
            Value::Json(Doc::Array(_)) | Value::List(_) | Value::Range(..) => idx
                .as_int()
                .and_then(|i| Self::list_get(v, i))
                .unwrap_or(Value::Null),
            Value::Json(d @ Doc::Object(_)) => key_str()
                .and_then(|k| d.get(&k))
                .map_or(Value::Null, Value::from_json),
            Value::Map(m) => key_str()
                .and_then(|k| m.borrow().get(&k).cloned())
                .unwrap_or(Value::Null),
            Value::Object(b) => match key_str() {
                Some(k) => self.builtin_property(*b, &k),
                None => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// `#set($a.b.c = v)` / `#set($a[k] = v)`.
    pub(super) fn assign(&mut self, target: &'a Reference, value: Value<'a>) -> Fallible<()> {
        let Some((last, init)) = target.parts.split_last() else {
            self.locals.insert(target.slot, value);
            return Ok(());
        };
        let mut container = self.lookup(target);
        for part in init {
            if container.is_null() {
                return Ok(());
            }
            container = self
                .access(container, part)
                .map_err(|f| f.at(part.span()))?;
        }
        let key: Value<'a> = match last {
            Part::Property { name, .. } => Value::Str(name),
            Part::Index { index, .. } => self.expr(index)?,
            Part::Method { span, .. } => {
                return Err(Failure::runtime("cannot assign to a method call").at(*span));
            }
        };
        match (&container, &key) {
            (Value::Map(m), k) if !k.is_null() => {
                let s = render::to_string(k)?;
                let mut m = m.borrow_mut();
                if m.entries.len() >= MAX_COLLECTION_LEN {
                    return Err(Failure::limit(format!(
                        "map larger than {MAX_COLLECTION_LEN} entries"
                    )));
                }
                m.insert(s.into(), value);
            }
            (Value::List(l), Value::Int(i)) => {
                let mut l = l.borrow_mut();
                let len = l.items.len();
                match usize::try_from(*i).ok().filter(|&i| i < len) {
                    Some(i) => l.items[i] = value,
                    None => {
                        return Err(Failure::runtime(format!(
                            "index {i} out of bounds for length {len}"
                        ))
                        .at(last.span()));
                    }
                }
            }
            // Read-only (the body, builtins) or not a container: Velocity
            // would log and move on.
            _ => {}
        }
        Ok(())
    }
}

fn empty_if_null(v: Value<'_>) -> Value<'_> {
    if v.is_null() { Value::Str("") } else { v }
}
