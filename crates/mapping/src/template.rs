//! [`Template`]: compile once at load, render per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::ast::{Block, Encoder, Expr, ExprKind, Node, Part, Precompiled, Reference, Root, Slot};
use crate::error::{Error, ErrorKind, Fallible, Span};
use crate::guard::{self, Interpolations};
use crate::jsonpath::JsonPath;
use crate::limits::MAX_TEMPLATE_BYTES;
use crate::members::Members;
use crate::vars::{Rendered, Variables};
use crate::{eval, javaregex, parser};

/// A compiled mapping template.
#[derive(Debug)]
pub struct Template {
    name: String,
    source: String,
    root: Block,
    /// How many variable slots a render needs (see [`Slot`]).
    slots: usize,
    /// Expected output size, to allocate the output buffer once: the larger
    /// of the source size and recent outputs (relaxed: a hint only).
    size_hint: AtomicUsize,
}

impl Template {
    /// Parses a template. Syntax errors, templates over 300 KB, unsupported
    /// directives, literal JSONPaths or regexes that do not compile, and
    /// members that `$util`, `$input` or `$context` do not have (see
    /// `members.rs`) are reported here, with the template name, line and
    /// column.
    pub fn compile(name: impl Into<String>, source: &str) -> Result<Template, Error> {
        let name = name.into();
        if source.len() > MAX_TEMPLATE_BYTES {
            return Err(Error::new(
                ErrorKind::Limit,
                &name,
                Span {
                    offset: 0,
                    line: 1,
                    column: 1,
                },
                format!(
                    "template is {} bytes; API Gateway allows at most {MAX_TEMPLATE_BYTES}",
                    source.len()
                ),
            ));
        }
        let mut root = parser::parse_template(source).map_err(|f| f.into_error(&name, source))?;
        let mut pass = Pass::default();
        precompile_block(&mut root, &mut pass)
            .and_then(|()| pass.members.check())
            .map_err(|f| f.into_error(&name, source))?;
        Ok(Template {
            size_hint: AtomicUsize::new(source.len() + 64),
            name,
            source: source.to_owned(),
            root,
            slots: pass.slots.names.len(),
        })
    }

    /// Renders with one request's variables. Errors carry the template name
    /// and the position of the node that failed.
    pub fn render(&self, vars: &Variables<'_>) -> Result<Rendered, Error> {
        self.render_with(vars, None)
    }

    /// Renders as [`Template::render`] does, and notes in `interpolations`
    /// which bytes of the body each reference printed, for
    /// [`Template::check_json`]. `interpolations` is cleared first; keep one
    /// and pass it to every render to reuse its buffer.
    pub fn render_recording(
        &self,
        vars: &Variables<'_>,
        interpolations: &mut Interpolations,
    ) -> Result<Rendered, Error> {
        self.render_with(vars, Some(interpolations))
    }

    /// The structural injection guard: refuses a body, rendered by
    /// [`Template::render_recording`] with these `interpolations`, in which a
    /// printed value changed the JSON structure that the template's text lays
    /// out. The rules, and what they do not cover, are in the [`guard`
    /// module](crate::guard). The error, of kind [`ErrorKind::Injection`],
    /// points at the reference that printed the value and says what it did.
    /// `interpolations` lends its buffers to the check.
    pub fn check_json(
        &self,
        body: &[u8],
        interpolations: &mut Interpolations,
    ) -> Result<(), Error> {
        let Err(found) = guard::check(body, interpolations) else {
            return Ok(());
        };
        let span = interpolations.items[found.index].span;
        let what = match reference_at(&self.root, span) {
            Some(r) => format!("the value of `{}`", r.literal),
            None => "a value".to_string(),
        };
        Err(Error::new(
            ErrorKind::Injection,
            &self.name,
            span,
            format!("{what} {}", found.breach),
        )
        .with_source(&self.source))
    }

    fn render_with(
        &self,
        vars: &Variables<'_>,
        interpolations: Option<&mut Interpolations>,
    ) -> Result<Rendered, Error> {
        let hint = self.size_hint.load(Ordering::Relaxed);
        let rendered = eval::render(&self.root, self.slots, vars, hint, interpolations)
            .map_err(|f| f.into_error(&self.name, &self.source))?;
        let len = rendered.body.len();
        if len > hint && len <= crate::limits::MAX_OUTPUT_BYTES / 8 {
            self.size_hint.store(len + len / 8, Ordering::Relaxed);
        }
        Ok(rendered)
    }

    /// The name given to [`Template::compile`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template's source text.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The printed reference at `span`, to name it in a message.
fn reference_at(block: &Block, span: Span) -> Option<&Reference> {
    block.nodes.iter().find_map(|node| match node {
        Node::Ref(r) if r.span == span => Some(&**r),
        Node::If(i) => i
            .branches
            .iter()
            .map(|(_, b)| b)
            .chain(&i.otherwise)
            .find_map(|b| reference_at(b, span)),
        Node::Foreach(f) => reference_at(&f.body, span),
        Node::Define(d) => reference_at(&d.body, span),
        _ => None,
    })
}

/// What the load-time pass gathers while it walks a template.
#[derive(Default)]
struct Pass {
    slots: Slots,
    members: Members,
}

/// The variable names of a template; a name's number is its slot.
#[derive(Default)]
struct Slots {
    names: HashMap<Box<str>, Slot>,
}

impl Slots {
    fn of(&mut self, name: &str) -> Slot {
        if let Some(&slot) = self.names.get(name) {
            return slot;
        }
        // A 300 KB template cannot hold 2^32 names.
        let slot = Slot(u32::try_from(self.names.len()).unwrap_or(u32::MAX));
        self.names.insert(name.into(), slot);
        slot
    }
}

/// Compiles literal arguments: `$input.path('...')` / `$input.json('...')`
/// JSONPaths and the patterns of `replaceAll`, `replaceFirst`, `matches`
/// and `split`, so a bad one fails at load and a good one is not parsed per
/// request. Also gives every variable its slot, and notes the members read
/// on builtins and the variables bound, for [`Members::check`].
fn precompile_block(block: &mut Block, pass: &mut Pass) -> Fallible<()> {
    for node in &mut block.nodes {
        match node {
            Node::Text(_) | Node::Break | Node::Stop => {}
            Node::Ref(r) => {
                pass.members.read(r);
                precompile_ref(r, pass)?;
            }
            // Printed as written: nothing is read.
            Node::EscapedRef { reference, .. } => precompile_ref(reference, pass)?,
            Node::Set(s) => {
                if s.target.parts.is_empty() {
                    pass.members.bind(&s.target.root);
                }
                pass.members.read(&s.target);
                precompile_ref(&mut s.target, pass)?;
                precompile_expr(&mut s.value, pass)?;
            }
            Node::If(i) => {
                for (cond, body) in &mut i.branches {
                    precompile_expr(cond, pass)?;
                    precompile_block(body, pass)?;
                }
                if let Some(b) = &mut i.otherwise {
                    precompile_block(b, pass)?;
                }
            }
            Node::Foreach(f) => {
                pass.members.bind(&f.var);
                f.slot = pass.slots.of(&f.var);
                precompile_expr(&mut f.iterable, pass)?;
                precompile_block(&mut f.body, pass)?;
            }
            Node::Define(d) => {
                pass.members.bind(&d.name);
                d.slot = pass.slots.of(&d.name);
                precompile_block(&mut d.body, pass)?;
            }
        }
    }
    Ok(())
}

fn precompile_ref(r: &mut Reference, pass: &mut Pass) -> Fallible<()> {
    r.slot = pass.slots.of(&r.root);
    if let (
        Root::Util,
        [
            Part::Method {
                name, args, pre, ..
            },
        ],
    ) = (r.builtin, r.parts.as_mut_slice())
    {
        if let (Some(encoder), 1) = (Encoder::of(name), args.len()) {
            *pre = Precompiled::Encoder(encoder);
        }
    }
    let on_input = r.builtin == Root::Input;
    for (i, part) in r.parts.iter_mut().enumerate() {
        match part {
            Part::Property { .. } => {}
            Part::Index { index, .. } => precompile_expr(index, pass)?,
            Part::Method {
                name,
                args,
                span,
                pre,
            } => {
                for a in args.iter_mut() {
                    precompile_expr(a, pass)?;
                }
                let Some(Expr {
                    kind: ExprKind::Str(lit),
                    span: lit_span,
                }) = args.first()
                else {
                    continue;
                };
                match &**name {
                    "path" | "json" if on_input && i == 0 && args.len() == 1 => {
                        let path = JsonPath::compile_arg(lit).map_err(|f| f.at(*span))?;
                        *pre = Precompiled::Path(Box::new(path));
                    }
                    "replaceAll" | "replaceFirst" | "split" | "matches" => {
                        let whole = &**name == "matches";
                        let re = javaregex::compile(lit, whole).map_err(|f| f.at(*lit_span))?;
                        *pre = Precompiled::Regex(Box::new(re));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn precompile_expr(e: &mut Expr, pass: &mut Pass) -> Fallible<()> {
    match &mut e.kind {
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_) => Ok(()),
        ExprKind::Interpolated(b) => precompile_block(b, pass),
        ExprKind::Ref(r) => {
            pass.members.read(r);
            precompile_ref(r, pass)
        }
        ExprKind::List(items) => items.iter_mut().try_for_each(|i| precompile_expr(i, pass)),
        ExprKind::Map(entries) => entries.iter_mut().try_for_each(|(k, v)| {
            precompile_expr(k, pass)?;
            precompile_expr(v, pass)
        }),
        ExprKind::Range(a, b) | ExprKind::Binary(_, a, b) => {
            precompile_expr(a, pass)?;
            precompile_expr(b, pass)
        }
        ExprKind::Not(a) => precompile_expr(a, pass),
    }
}
