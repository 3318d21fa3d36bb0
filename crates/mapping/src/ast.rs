//! The compiled form of a template. Every node that can fail at render time
//! carries the [`Span`] of its source so errors can point at it.

use crate::error::Span;
use crate::jsonpath::JsonPath;
use crate::util;

/// A sequence of nodes rendered in order.
#[derive(Debug, Default)]
pub(crate) struct Block {
    pub nodes: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    /// Literal output, already stripped of whatever Velocity's lexer gobbles.
    Text(String),
    /// `$a.b(...)`, `${a}`, `$!a`.
    Ref(Box<Reference>),
    /// `\$a` (an odd number of backslashes): renders `prefix` (half the
    /// backslashes) then the reference's source text.
    EscapedRef {
        prefix: Box<str>,
        reference: Box<Reference>,
    },
    Set(Box<SetNode>),
    If(Box<IfNode>),
    Foreach(Box<ForeachNode>),
    Define(Box<DefineNode>),
    Break,
    Stop,
}

/// Where a template variable lives during a render. Every distinct variable
/// name of a template gets one slot when it is compiled, so a render finds
/// `$elem` by index instead of comparing names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Slot(pub u32);

/// The variables API Gateway and Velocity provide, recognised by name once
/// at parse time rather than at every render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Root {
    Input,
    Util,
    Context,
    StageVariables,
    Foreach,
    VelocityCount,
    VelocityHasNext,
    /// Not a builtin: undefined unless the template sets it.
    None,
}

impl Root {
    pub fn of(name: &str) -> Root {
        match name {
            "input" => Root::Input,
            "util" => Root::Util,
            "context" => Root::Context,
            "stageVariables" => Root::StageVariables,
            "foreach" => Root::Foreach,
            "velocityCount" => Root::VelocityCount,
            "velocityHasNext" => Root::VelocityHasNext,
            _ => Root::None,
        }
    }
}

/// The fields of `$foreach`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoopField {
    Index,
    Count,
    HasNext,
    First,
    Last,
}

impl LoopField {
    pub fn of(name: &str) -> Option<LoopField> {
        Some(match name {
            "index" => LoopField::Index,
            "count" => LoopField::Count,
            "hasNext" => LoopField::HasNext,
            "first" => LoopField::First,
            "last" => LoopField::Last,
            _ => return None,
        })
    }
}

/// A reference: a root variable and a chain of property, index and method parts.
#[derive(Debug)]
pub(crate) struct Reference {
    pub span: Span,
    pub root: Box<str>,
    /// The root variable's slot, assigned at compile time (see [`Slot`]).
    pub slot: Slot,
    /// The builtin the root names when no template variable of that name
    /// is set.
    pub builtin: Root,
    /// For `$foreach.hasNext` and the other loop fields, the field, so the
    /// per-iteration test needs no lookups by name.
    pub loop_field: Option<LoopField>,
    pub parts: Vec<Part>,
    /// The source text, rendered by escaped references.
    pub literal: Box<str>,
}

#[derive(Debug)]
pub(crate) enum Part {
    Property {
        name: Box<str>,
        span: Span,
    },
    Index {
        index: Expr,
        span: Span,
    },
    Method {
        name: Box<str>,
        args: Vec<Expr>,
        span: Span,
        /// Work done at compile time for literal arguments.
        pre: Precompiled,
    },
}

impl Part {
    pub fn span(&self) -> Span {
        match self {
            Part::Property { span, .. } | Part::Index { span, .. } | Part::Method { span, .. } => {
                *span
            }
        }
    }
}

/// Literal arguments compiled once at load: `$input.path('$.a')` gets its
/// JSONPath, `$s.replaceAll('[a-z]', '')` its regex.
#[derive(Debug, Default)]
pub(crate) enum Precompiled {
    #[default]
    None,
    Path(Box<JsonPath>),
    Regex(Box<regex::Regex>),
    /// `$util.base64Encode(x)` and the other encoders that cannot fail, which
    /// a render may print straight into its output.
    Encoder(Encoder),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoder {
    Base64,
    EscapeJavaScript,
    UrlEncode,
}

impl Encoder {
    /// The encoder a `$util` method name calls, if it is one.
    pub fn of(name: &str) -> Option<Encoder> {
        Some(match name {
            "base64Encode" => Encoder::Base64,
            "escapeJavaScript" => Encoder::EscapeJavaScript,
            "urlEncode" => Encoder::UrlEncode,
            _ => return None,
        })
    }

    /// The fewest bytes the encoding of `len` bytes of text can take: exact
    /// for base64, the text's own length for the escapes. A render checks it
    /// against the output limit before encoding, so a body too large to send
    /// fails before its encoding is built.
    pub fn min_len(self, len: usize) -> usize {
        match self {
            Encoder::Base64 => len.div_ceil(3) * 4,
            Encoder::EscapeJavaScript | Encoder::UrlEncode => len,
        }
    }

    /// Appends the encoding of `text` to `out`.
    pub fn encode_into(self, text: &str, out: &mut String) {
        match self {
            Encoder::Base64 => util::base64_encode_into(text.as_bytes(), out),
            Encoder::EscapeJavaScript => util::escape_javascript_into(text, out),
            Encoder::UrlEncode => util::url_encode_into(text, out),
        }
    }
}

#[derive(Debug)]
pub(crate) struct SetNode {
    pub span: Span,
    pub target: Reference,
    pub value: Expr,
}

#[derive(Debug)]
pub(crate) struct IfNode {
    /// `#if` then each `#elseif`, in order.
    pub branches: Vec<(Expr, Block)>,
    pub otherwise: Option<Block>,
}

#[derive(Debug)]
pub(crate) struct ForeachNode {
    pub span: Span,
    pub var: Box<str>,
    pub slot: Slot,
    pub iterable: Expr,
    pub body: Block,
}

#[derive(Debug)]
pub(crate) struct DefineNode {
    pub name: Box<str>,
    pub slot: Slot,
    pub body: Block,
}

#[derive(Debug)]
pub(crate) struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug)]
pub(crate) enum ExprKind {
    /// `null`.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A single-quoted string, or a double-quoted one with nothing to interpolate.
    Str(Box<str>),
    /// A double-quoted string containing `$` or `#`: parsed as a template.
    Interpolated(Block),
    Ref(Box<Reference>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}
