//! Tokens of VTL expressions (the inside of `#if(...)`, `#set(...)`, method
//! arguments and indexes), and the position bookkeeping shared with the parser.
//!
//! Velocity's lexer is modal: outside directives everything up to `$`, `#` or
//! `\` is text, and the template-level structure is recognised by the parser
//! directly on the source (see `parser/template.rs`). Inside parentheses and
//! brackets this module takes over. Whitespace there, newlines included,
//! separates tokens and is otherwise ignored.

use crate::ast::BinOp;
use crate::error::{ErrorKind, Failure, Fallible, Span};

/// Maps byte offsets to line and column. A sub-template (an interpolated
/// string literal) carries the span of its start so its positions are
/// reported relative to the enclosing template.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    base: Span,
}

impl LineIndex {
    pub fn new(src: &str, base: Span) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts, base }
    }

    pub fn span(&self, src: &str, pos: usize) -> Span {
        let pos = pos.min(src.len());
        let line = self.starts.partition_point(|&s| s <= pos) - 1;
        let start = self.starts[line];
        let column = src
            .get(start..pos)
            .map_or(pos - start, |s| s.chars().count()) as u32
            + 1;
        if line == 0 {
            Span {
                offset: self.base.offset + pos as u32,
                line: self.base.line,
                column: self.base.column + column - 1,
            }
        } else {
            Span {
                offset: self.base.offset + pos as u32,
                line: self.base.line + line as u32,
                column,
            }
        }
    }
}

/// One expression token. Strings borrow the raw text between the quotes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'s> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    DotDot,
    Assign,
    Not,
    Op(BinOp),
    Int(i64),
    Float(f64),
    Str {
        raw: &'s str,
        double: bool,
    },
    True,
    False,
    /// A bare word: `in`, or something the grammar will reject.
    Word(&'s str),
    /// `$`: a reference starts here; the parser reads it.
    Dollar,
    Eof,
}

impl Tok<'_> {
    pub fn describe(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::Comma => "','".into(),
            Tok::Colon => "':'".into(),
            Tok::DotDot => "'..'".into(),
            Tok::Assign => "'='".into(),
            Tok::Not => "'!'".into(),
            Tok::Op(op) => format!("operator {op:?}"),
            Tok::Int(i) => format!("integer {i}"),
            Tok::Float(f) => format!("number {f}"),
            Tok::Str { .. } => "string literal".into(),
            Tok::True => "'true'".into(),
            Tok::False => "'false'".into(),
            Tok::Word(w) => format!("'{w}'"),
            Tok::Dollar => "reference".into(),
            Tok::Eof => "end of template".into(),
        }
    }
}

/// Skips spaces, tabs and newlines.
pub(crate) fn skip_ws(src: &[u8], mut pos: usize) -> usize {
    while pos < src.len() && matches!(src[pos], b' ' | b'\t' | b'\n' | b'\r') {
        pos += 1;
    }
    pos
}

/// The length of the word at the start of `b` (a letter, `_` or `@`, then
/// letters, digits, `_` and `@`), 0 if there is none: an expression's
/// keywords and names, and directive names.
pub(crate) fn word_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c == b'@' => {
            1 + b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'@')
                .count()
        }
        _ => 0,
    }
}

/// Reads the token at `pos` (after whitespace). Returns the token, its start
/// and its end. `operand_before` tells whether the previous token ended an
/// operand, which decides whether `-5` is a negative literal or a minus.
pub(crate) fn next(
    src: &str,
    pos: usize,
    operand_before: bool,
) -> Fallible<(Tok<'_>, usize, usize)> {
    let b = src.as_bytes();
    let start = skip_ws(b, pos);
    let Some(&c) = b.get(start) else {
        return Ok((Tok::Eof, start, start));
    };
    let at = |i: usize| b.get(start + i).copied().unwrap_or(0);
    let one = |t: Tok<'static>| Ok((t, start, start + 1));
    let two = |t: Tok<'static>| Ok((t, start, start + 2));
    match c {
        b'(' => one(Tok::LParen),
        b')' => one(Tok::RParen),
        b'[' => one(Tok::LBracket),
        b']' => one(Tok::RBracket),
        b'{' => one(Tok::LBrace),
        b'}' => one(Tok::RBrace),
        b',' => one(Tok::Comma),
        b':' => one(Tok::Colon),
        b'$' => Ok((Tok::Dollar, start, start)),
        b'.' if at(1) == b'.' => two(Tok::DotDot),
        b'.' if at(1).is_ascii_digit() => number(src, start),
        b'=' if at(1) == b'=' => two(Tok::Op(BinOp::Eq)),
        b'=' => one(Tok::Assign),
        b'!' if at(1) == b'=' => two(Tok::Op(BinOp::Ne)),
        b'!' => one(Tok::Not),
        b'<' if at(1) == b'=' => two(Tok::Op(BinOp::Le)),
        b'<' => one(Tok::Op(BinOp::Lt)),
        b'>' if at(1) == b'=' => two(Tok::Op(BinOp::Ge)),
        b'>' => one(Tok::Op(BinOp::Gt)),
        b'&' if at(1) == b'&' => two(Tok::Op(BinOp::And)),
        b'|' if at(1) == b'|' => two(Tok::Op(BinOp::Or)),
        b'+' => one(Tok::Op(BinOp::Add)),
        b'-' if !operand_before
            && (at(1).is_ascii_digit() || (at(1) == b'.' && at(2).is_ascii_digit())) =>
        {
            number(src, start)
        }
        b'-' => one(Tok::Op(BinOp::Sub)),
        b'*' => one(Tok::Op(BinOp::Mul)),
        b'/' => one(Tok::Op(BinOp::Div)),
        b'%' => one(Tok::Op(BinOp::Mod)),
        b'0'..=b'9' => number(src, start),
        b'"' | b'\'' => string(src, start),
        c if c.is_ascii_alphabetic() || c == b'_' || c == b'@' => {
            let end = start + word_len(&b[start..]);
            let word = &src[start..end];
            let tok = match word {
                "true" => Tok::True,
                "false" => Tok::False,
                "and" => Tok::Op(BinOp::And),
                "or" => Tok::Op(BinOp::Or),
                "not" => Tok::Not,
                "eq" => Tok::Op(BinOp::Eq),
                "ne" => Tok::Op(BinOp::Ne),
                "lt" => Tok::Op(BinOp::Lt),
                "le" => Tok::Op(BinOp::Le),
                "gt" => Tok::Op(BinOp::Gt),
                "ge" => Tok::Op(BinOp::Ge),
                _ => Tok::Word(word),
            };
            Ok((tok, start, end))
        }
        _ => {
            let ch = src[start..].chars().next().unwrap_or('?');
            Err(Failure::new(
                ErrorKind::Syntax,
                format!("unexpected character {ch:?} in expression"),
            ))
        }
    }
}

/// `-?digits` (an integer, also when followed by `..`), or a float with a
/// fraction and/or an exponent, as Velocity's literals.
fn number(src: &str, start: usize) -> Fallible<(Tok<'_>, usize, usize)> {
    let b = src.as_bytes();
    let mut end = start;
    if b[end] == b'-' {
        end += 1;
    }
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    end = digits(end);
    let mut float = false;
    if end < b.len() && b[end] == b'.' && b.get(end + 1) != Some(&b'.') {
        float = true;
        end = digits(end + 1);
    }
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'+' || b[e] == b'-') {
            e += 1;
        }
        if e < b.len() && b[e].is_ascii_digit() {
            float = true;
            end = digits(e);
        }
    }
    let text = &src[start..end];
    if !float {
        if let Ok(i) = text.parse::<i64>() {
            return Ok((Tok::Int(i), start, end));
        }
    }
    text.parse::<f64>()
        .map(|f| (Tok::Float(f), start, end))
        .map_err(|_| Failure::new(ErrorKind::Syntax, format!("invalid number {text:?}")))
}

/// A quoted string. A doubled quote inside stands for one quote (Velocity 1.7);
/// a backslash escapes nothing here.
fn string(src: &str, start: usize) -> Fallible<(Tok<'_>, usize, usize)> {
    let b = src.as_bytes();
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return Ok((
                Tok::Str {
                    raw: &src[start + 1..i],
                    double: q == b'"',
                },
                start,
                i + 1,
            ));
        }
        i += 1;
    }
    // Unclosed once doubled quotes are taken as escapes: fall back to the
    // first lone quote, as the longest-match lexer would.
    if let Some(rel) = src[start + 1..].find(q as char) {
        let end = start + 1 + rel;
        return Ok((
            Tok::Str {
                raw: &src[start + 1..end],
                double: q == b'"',
            },
            start,
            end + 1,
        ));
    }
    Err(Failure::new(
        ErrorKind::Syntax,
        "unterminated string literal",
    ))
}

/// Turns the raw text of a string literal into its value: doubled quotes
/// become one, `\uXXXX` becomes the character (other backslashes stay, as in
/// Velocity 1.7).
pub(crate) fn unquote(raw: &str, double: bool) -> String {
    let q = if double { "\"\"" } else { "''" };
    let mut s = raw.replace(q, &q[..1]);
    if s.contains("\\u") {
        s = unescape_unicode(&s);
    }
    s
}

fn unescape_unicode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut units: Vec<u16> = Vec::new();
    let mut rest = s;
    loop {
        let hex = rest
            .strip_prefix("\\u")
            .and_then(|r| r.get(..4))
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
        if let Some(h) = hex {
            units.push(u16::from_str_radix(h, 16).unwrap_or(0));
            rest = &rest[6..];
            continue;
        }
        if !units.is_empty() {
            out.extend(char::decode_utf16(units.drain(..)).map(|r| r.unwrap_or('\u{FFFD}')));
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}
