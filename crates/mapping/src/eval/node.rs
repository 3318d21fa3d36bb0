//! Walking the template's nodes: text and printed references, `#set`, `#if`,
//! `#foreach` and `#define`.

use crate::ast::*;
use crate::doc::Doc;
use crate::error::{Failure, Fallible};
use crate::limits::*;
use crate::render;
use crate::value::{MapRef, Value};

use super::scope::{Items, LoopFrame};
use super::{Eval, Flow, Flowing};

impl<'a> Eval<'a> {
    pub(super) fn block(&mut self, block: &'a Block) -> Flowing<()> {
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
                let start = self.out.len();
                if !self.emit_encoded(r)? {
                    let v = self.reference(r)?;
                    self.emit(&v).map_err(|f| f.at(r.span))?;
                    // A `#define` block prints template text: the references
                    // in it noted their own output.
                    if let Value::Define(_) = v {
                        return Ok(());
                    }
                }
                if self.recording {
                    self.note(start, r.span);
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
    pub(super) fn emit(&mut self, v: &Value<'a>) -> Fallible<()> {
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
        self.check_room(encoder.min_len(text.len()))
            .map_err(|f| f.at(r.span))?;
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
    pub(super) fn capture(
        &mut self,
        f: impl FnOnce(&mut Self) -> Fallible<()>,
    ) -> Fallible<String> {
        let saved = std::mem::take(&mut self.out);
        let recording = std::mem::replace(&mut self.recording, false);
        let r = f(self);
        self.recording = recording;
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
}

/// A map's values, in order.
fn map_values<'a>(m: &MapRef<'a>) -> Vec<Value<'a>> {
    m.borrow().entries.iter().map(|(_, v)| v.clone()).collect()
}
