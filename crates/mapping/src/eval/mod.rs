//! The evaluator: walks the AST with one request's variables and writes the
//! output.
//!
//! Semantics follow Velocity 1.7 as API Gateway runs it: undefined
//! references render as nothing; `#set` with a null right-hand side leaves
//! the target unchanged; `#foreach` restores its variable afterwards; `==`
//! compares numbers numerically, treats null as equal to null and to `''`
//! (AWS-recorded), and otherwise compares the printed forms when the types
//! differ.

mod builtins;
mod methods;
mod scope;

use std::borrow::Cow;
use std::rc::Rc;

use crate::doc::Doc;

use crate::ast::*;
use crate::error::{Failure, Fallible};
use crate::limits::*;
use crate::render;
use crate::value::{Builtin, Map, MapRef, Num, Value, arith, compare_nums};
use crate::vars::{Overrides, Rendered, Variables};
use scope::{Items, Locals, LoopFrame};

/// Why rendering of a block stopped early.
pub(crate) enum Flow {
    Break,
    Stop,
    Fail(Failure),
}

impl From<Failure> for Flow {
    fn from(f: Failure) -> Flow {
        Flow::Fail(f)
    }
}

type Flowing<T> = Result<T, Flow>;

/// `$context.requestOverride` and `$context.responseOverride`, created on
/// first touch.
struct OverrideMaps<'a> {
    request: MapRef<'a>,
    response: MapRef<'a>,
}

pub(crate) struct Eval<'a> {
    vars: &'a Variables<'a>,
    locals: Locals<'a>,
    loops: Vec<LoopFrame>,
    overrides: Option<OverrideMaps<'a>>,
    out: String,
    work: u64,
    define_depth: usize,
}

/// Renders a compiled template.
pub(crate) fn render<'a>(
    root: &'a Block,
    slots: usize,
    vars: &'a Variables<'a>,
    size_hint: usize,
) -> Fallible<Rendered> {
    let mut ev = Eval {
        vars,
        locals: Locals::new(slots),
        loops: Vec::new(),
        overrides: None,
        out: String::with_capacity(size_hint),
        work: 0,
        define_depth: 0,
    };
    match ev.block(root) {
        Ok(()) | Err(Flow::Break) | Err(Flow::Stop) => {}
        Err(Flow::Fail(f)) => return Err(f),
    }
    let overrides = ev.collect_overrides()?;
    Ok(Rendered {
        body: ev.out,
        overrides,
    })
}

impl<'a> Eval<'a> {
    fn tick(&mut self, units: u64) -> Fallible<()> {
        self.work += units;
        if self.work > MAX_WORK {
            return Err(Failure::limit(format!(
                "template did more than {MAX_WORK} units of work"
            )));
        }
        Ok(())
    }

    fn check_output(&self) -> Fallible<()> {
        if self.out.len() > MAX_OUTPUT_BYTES {
            return Err(Failure::limit(format!(
                "output larger than {MAX_OUTPUT_BYTES} bytes"
            )));
        }
        Ok(())
    }

    /// `$input`'s document, parsed on first use (see [`crate::Body`]).
    pub(crate) fn body_json(&self) -> &'a Doc<'a> {
        self.vars.input.body.doc()
    }

    fn block(&mut self, block: &'a Block) -> Flowing<()> {
        for node in &block.nodes {
            self.node(node)?;
        }
        Ok(())
    }

    fn node(&mut self, node: &'a Node) -> Flowing<()> {
        self.tick(1)?;
        match node {
            Node::Text(t) => {
                self.out.push_str(t);
                self.check_output()?;
            }
            Node::Ref(r) => {
                if !self.emit_encoded(r)? {
                    let v = self.reference(r)?;
                    self.emit(&v).map_err(|f| f.at(r.span))?;
                }
            }
            Node::EscapedRef { prefix, reference } => {
                // Velocity prints `\$x` for an undefined `$x`; references are
                // never null on API Gateway (see `reference`), so this prints `$x`.
                self.out.push_str(prefix);
                self.out.push_str(&reference.literal);
            }
            Node::Set(s) => {
                let v = self.expr(&s.value)?;
                // Velocity 1.7 (directive.set.null.allowed = false): a null
                // value leaves the target as it was.
                if !v.is_null() {
                    self.assign(&s.target, v).map_err(|f| f.at(s.span))?;
                }
            }
            Node::If(n) => {
                for (cond, body) in &n.branches {
                    if self.expr(cond)?.truthy() {
                        return self.block(body);
                    }
                }
                if let Some(body) = &n.otherwise {
                    self.block(body)?;
                }
            }
            Node::Foreach(f) => self.foreach(f)?,
            Node::Define(d) => {
                self.locals.insert(d.slot, Value::Define(&d.body));
            }
            Node::Break => return Err(Flow::Break),
            Node::Stop => return Err(Flow::Stop),
        }
        Ok(())
    }

    /// Writes a value as `$x` prints it.
    fn emit(&mut self, v: &Value<'a>) -> Fallible<()> {
        match v {
            // Most references print a string: no need for the general printer.
            Value::Str(s) => self.out.push_str(s),
            Value::String(s) => self.out.push_str(s),
            Value::Define(block) => self.render_define(block)?,
            Value::Object(b) => {
                if let Some(m) = self.builtin_as_map(*b) {
                    render::display(&m, &mut self.out)?;
                }
            }
            _ => render::display(v, &mut self.out)?,
        }
        self.check_output()
    }

    /// Prints `$util.base64Encode(x)`, `$util.escapeJavaScript(x)` or
    /// `$util.urlEncode(x)` straight into the output, as `reference` then
    /// `emit` would, without the intermediate string. This is the per-record
    /// shape of PutRecords templates. Returns false for any other reference.
    fn emit_encoded(&mut self, r: &'a Reference) -> Fallible<bool> {
        let [
            Part::Method {
                args: arg,
                span,
                pre: Precompiled::Encoder(encoder),
                ..
            },
        ] = r.parts.as_slice()
        else {
            return Ok(false);
        };
        let [arg] = arg.as_slice() else {
            return Ok(false);
        };
        // A template may rebind `$util`; then it is an ordinary reference.
        if r.builtin != Root::Util || self.locals.get(r.slot).is_some() {
            return Ok(false);
        }
        self.tick(1).map_err(|f| f.at(*span))?;
        let value = self.expr(arg).map_err(|f| f.at(*span))?;
        let Some(text) = self.arg_text(&value).map_err(|f| f.at(*span))? else {
            return Ok(true);
        };
        encoder.encode_into(&text, &mut self.out);
        self.check_output().map_err(|f| f.at(r.span))?;
        Ok(true)
    }

    fn render_define(&mut self, block: &'a Block) -> Fallible<()> {
        if self.define_depth >= MAX_DEFINE_DEPTH {
            return Err(Failure::limit(format!(
                "#define blocks nested deeper than {MAX_DEFINE_DEPTH}"
            )));
        }
        self.define_depth += 1;
        let r = self.block(block);
        self.define_depth -= 1;
        match r {
            Ok(()) | Err(Flow::Break) => Ok(()),
            // `#stop` inside a define ends only that block here; the outer
            // render goes on (Velocity's scoped stop is not modelled further).
            Err(Flow::Stop) => Ok(()),
            Err(Flow::Fail(f)) => Err(f),
        }
    }

    /// Renders a block into a string (interpolated literals, define values).
    fn capture(&mut self, f: impl FnOnce(&mut Self) -> Fallible<()>) -> Fallible<String> {
        let saved = std::mem::take(&mut self.out);
        let r = f(self);
        let captured = std::mem::replace(&mut self.out, saved);
        r.map(|()| captured)
    }

    fn foreach(&mut self, f: &'a ForeachNode) -> Flowing<()> {
        let iterable = self.expr(&f.iterable)?;
        let items = self
            .iteration_items(&iterable)
            .map_err(|e| e.at(f.iterable.span))?;
        if items.len() > MAX_FOREACH_ITERATIONS {
            return Err(Failure::limit(format!(
                "#foreach over {} items: API Gateway allows at most {MAX_FOREACH_ITERATIONS} iterations",
                items.len()
            ))
            .at(f.span)
            .into());
        }
        let saved = self.locals.remove(f.slot);
        self.loops.push(LoopFrame {
            index: 0,
            len: items.len(),
        });
        let mut result = Ok(());
        for i in 0..items.len() {
            let item = items.get(i);
            if let Err(e) = self.tick(1) {
                result = Err(e.at(f.span).into());
                break;
            }
            if let Some(frame) = self.loops.last_mut() {
                frame.index = i;
            }
            self.locals.insert(f.slot, item);
            match self.block(&f.body) {
                Ok(()) => {}
                Err(Flow::Break) => break,
                Err(other) => {
                    result = Err(other);
                    break;
                }
            }
        }
        self.loops.pop();
        match saved {
            Some(v) => self.locals.insert(f.slot, v),
            None => self.locals.remove(f.slot),
        };
        result
    }

    /// What `#foreach` walks: list elements, map values, range numbers.
    fn iteration_items(&mut self, v: &Value<'a>) -> Fallible<Items<'a>> {
        Ok(Items::Values(match v {
            // The usual case, a list from the body: walked in place.
            Value::Json(Doc::Array(a)) => return Ok(Items::Body(a)),
            Value::Json(Doc::Object(o)) => o.iter().map(|(_, v)| Value::from_json(v)).collect(),
            Value::List(l) => l.borrow().items.clone(),
            Value::Map(m) => map_values(m),
            Value::Range(a, b) => render::range_iter(*a, *b).map(Value::Int).collect(),
            Value::Object(b) => match self.builtin_as_map(*b) {
                Some(Value::Map(m)) => map_values(&m),
                _ => Vec::new(),
            },
            // Velocity logs and skips anything it cannot iterate.
            _ => Vec::new(),
        }))
    }

    // ----- references --------------------------------------------------

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
    fn reference(&mut self, r: &'a Reference) -> Fallible<Value<'a>> {
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
    fn assign(&mut self, target: &'a Reference, value: Value<'a>) -> Fallible<()> {
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

    // ----- expressions -------------------------------------------------

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
    fn arg_text<'v>(&mut self, v: &'v Value<'a>) -> Fallible<Option<Cow<'v, str>>> {
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

    // ----- overrides ---------------------------------------------------

    fn override_maps(&mut self) -> &OverrideMaps<'a> {
        self.overrides.get_or_insert_with(|| {
            let sub = |ci: bool| {
                Value::Map(Rc::new(std::cell::RefCell::new(Map {
                    case_insensitive: ci,
                    ..Map::default()
                })))
            };
            let request = Map {
                entries: vec![
                    ("header".into(), sub(true)),
                    ("querystring".into(), sub(false)),
                    ("path".into(), sub(false)),
                ],
                ..Map::default()
            };
            let response = Map {
                entries: vec![("header".into(), sub(true))],
                ..Map::default()
            };
            OverrideMaps {
                request: Rc::new(request.into()),
                response: Rc::new(response.into()),
            }
        })
    }

    fn collect_overrides(&mut self) -> Fallible<Overrides> {
        let Some(maps) = self.overrides.take() else {
            return Ok(Overrides::default());
        };
        let mut o = Overrides::default();
        let pairs =
            |ev: &mut Self, map: &MapRef<'a>, key: &str| -> Fallible<Vec<(String, String)>> {
                let sub = map.borrow().get(key).cloned();
                let mut out = Vec::new();
                if let Some(Value::Map(m)) = sub {
                    let entries = m.borrow().entries.clone();
                    for (k, v) in entries {
                        match &v {
                            Value::Null => {}
                            // Multi-value headers take a list.
                            Value::List(l) => {
                                let items = l.borrow().items.clone();
                                for item in items {
                                    out.push((k.to_string(), ev.text_of(&item)?));
                                }
                            }
                            _ => out.push((k.to_string(), ev.text_of(&v)?)),
                        }
                    }
                }
                Ok(out)
            };
        o.request_header = pairs(self, &maps.request, "header")?;
        o.request_querystring = pairs(self, &maps.request, "querystring")?;
        o.request_path = pairs(self, &maps.request, "path")?;
        o.response_header = pairs(self, &maps.response, "header")?;
        let status = maps.response.borrow().get("status").cloned();
        o.response_status = match status {
            Some(Value::Int(i)) if (100..=599).contains(&i) => Some(i as u16),
            _ => None,
        };
        Ok(o)
    }
}

/// A map's values, in order.
fn map_values<'a>(m: &MapRef<'a>) -> Vec<Value<'a>> {
    m.borrow().entries.iter().map(|(_, v)| v.clone()).collect()
}

fn empty_if_null(v: Value<'_>) -> Value<'_> {
    if v.is_null() { Value::Str("") } else { v }
}

fn range_bound(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Str(_) | Value::String(_) => v.as_str()?.trim().parse().ok(),
        _ => None,
    }
}

/// Strings built at render time are bounded like the output.
pub(crate) fn check_len(s: &str) -> Fallible<()> {
    if s.len() > MAX_OUTPUT_BYTES {
        return Err(Failure::limit(format!(
            "string longer than {MAX_OUTPUT_BYTES} bytes"
        )));
    }
    Ok(())
}
