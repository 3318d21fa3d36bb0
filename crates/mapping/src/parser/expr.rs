//! Expressions inside directives and arguments: precedence climbing over
//! Velocity's operators, literals (numbers, strings, lists, ranges, maps) and
//! references.

use crate::ast::*;
use crate::error::Fallible;
use crate::lexer::{self, Tok};
use crate::limits::MAX_NESTING;

use super::Parser;

impl<'s> Parser<'s> {
    pub(super) fn tok(&self, operand_before: bool) -> Fallible<(Tok<'s>, usize, usize)> {
        lexer::next(self.src, self.pos, operand_before).map_err(|e| {
            let at = lexer::skip_ws(self.b, self.pos);
            e.at(self.span(at))
        })
    }

    pub(super) fn expect(&mut self, want: Tok<'_>, what: &str) -> Fallible<()> {
        let (tok, at, end) = self.tok(true)?;
        if tok != want {
            return self.err(
                at,
                format!(
                    "expected {} to close {what}, found {}",
                    want.describe(),
                    tok.describe()
                ),
            );
        }
        self.pos = end;
        Ok(())
    }

    pub(super) fn parse_expr(&mut self) -> Fallible<Expr> {
        let at = self.pos;
        self.enter(at)?;
        let e = self.parse_binary(0);
        self.leave();
        e
    }

    /// Precedence climbing over Velocity's levels: or, and, equality,
    /// relational, additive, multiplicative.
    fn parse_binary(&mut self, level: u8) -> Fallible<Expr> {
        if level == 6 {
            return self.parse_unary();
        }
        let mut left = self.parse_binary(level + 1)?;
        loop {
            let (tok, at, end) = self.tok(true)?;
            let op = match tok {
                Tok::Op(op) if op_level(op) == level => op,
                _ => return Ok(left),
            };
            self.pos = end;
            self.enter(at)?;
            let right = self.parse_binary(level + 1)?;
            self.leave();
            left = Expr {
                span: self.span(at),
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
            };
        }
    }

    fn parse_unary(&mut self) -> Fallible<Expr> {
        let (tok, at, end) = self.tok(false)?;
        if tok == Tok::Not {
            self.pos = end;
            self.enter(at)?;
            let inner = self.parse_unary()?;
            self.leave();
            return Ok(Expr {
                span: self.span(at),
                kind: ExprKind::Not(Box::new(inner)),
            });
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Fallible<Expr> {
        let (tok, at, end) = self.tok(false)?;
        let span = self.span(at);
        let kind = match tok {
            Tok::Int(i) => {
                self.pos = end;
                ExprKind::Int(i)
            }
            Tok::Float(f) => {
                self.pos = end;
                ExprKind::Float(f)
            }
            Tok::True => {
                self.pos = end;
                ExprKind::Bool(true)
            }
            Tok::False => {
                self.pos = end;
                ExprKind::Bool(false)
            }
            // Not a Velocity 1.7 literal, but API Gateway accepts it
            // (`$map.put('k', null)`, AWS-recorded) and it is the null value.
            Tok::Word("null") => {
                self.pos = end;
                ExprKind::Null
            }
            Tok::Str { raw, double } => {
                self.pos = end;
                self.string_literal(raw, double, at)?
            }
            Tok::Dollar => {
                self.pos = at;
                match self.try_reference()? {
                    Some(r) => ExprKind::Ref(Box::new(r)),
                    None => return self.err(at, "expected a reference after '$'"),
                }
            }
            Tok::LParen => {
                self.pos = end;
                let e = self.parse_expr()?;
                self.expect(Tok::RParen, "parenthesis")?;
                return Ok(e);
            }
            Tok::LBracket => {
                self.pos = end;
                let (next, _, nend) = self.tok(false)?;
                if next == Tok::RBracket {
                    self.pos = nend;
                    ExprKind::List(Vec::new())
                } else {
                    let first = self.parse_expr()?;
                    let (sep, _, send) = self.tok(true)?;
                    if sep == Tok::DotDot {
                        self.pos = send;
                        let last = self.parse_expr()?;
                        self.expect(Tok::RBracket, "range")?;
                        ExprKind::Range(Box::new(first), Box::new(last))
                    } else {
                        let mut items = vec![first];
                        loop {
                            let (t, tat, tend) = self.tok(true)?;
                            self.pos = tend;
                            match t {
                                Tok::RBracket => break,
                                Tok::Comma => items.push(self.parse_expr()?),
                                other => {
                                    return self.err(
                                        tat,
                                        format!(
                                            "expected ',' or ']' in list, found {}",
                                            other.describe()
                                        ),
                                    );
                                }
                            }
                        }
                        ExprKind::List(items)
                    }
                }
            }
            Tok::LBrace => {
                self.pos = end;
                let mut entries = Vec::new();
                let (next, _, nend) = self.tok(false)?;
                if next == Tok::RBrace {
                    self.pos = nend;
                } else {
                    loop {
                        let key = self.parse_expr()?;
                        let (t, tat, tend) = self.tok(true)?;
                        if t != Tok::Colon {
                            return self
                                .err(tat, format!("expected ':' in map, found {}", t.describe()));
                        }
                        self.pos = tend;
                        let value = self.parse_expr()?;
                        entries.push((key, value));
                        let (t, tat, tend) = self.tok(true)?;
                        self.pos = tend;
                        match t {
                            Tok::RBrace => break,
                            Tok::Comma => {}
                            other => {
                                return self.err(
                                    tat,
                                    format!(
                                        "expected ',' or '}}' in map, found {}",
                                        other.describe()
                                    ),
                                );
                            }
                        }
                    }
                }
                ExprKind::Map(entries)
            }
            other => return self.err(at, format!("expected a value, found {}", other.describe())),
        };
        Ok(Expr { span, kind })
    }

    /// A string literal: single quotes are literal; double quotes interpolate
    /// references and directives, parsed here once.
    fn string_literal(&mut self, raw: &str, double: bool, at: usize) -> Fallible<ExprKind> {
        let text = lexer::unquote(raw, double);
        if !double || !(text.contains('$') || text.contains('#')) {
            return Ok(ExprKind::Str(text.into()));
        }
        let base = self.span(at + 1);
        let mut sub = Parser::new(&text, base, self.depth + 1);
        if sub.depth > MAX_NESTING {
            return self.err(at, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        let block = sub.parse_root()?;
        Ok(ExprKind::Interpolated(block))
    }
}

fn op_level(op: BinOp) -> u8 {
    match op {
        BinOp::Or => 0,
        BinOp::And => 1,
        BinOp::Eq | BinOp::Ne => 2,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Mod => 5,
    }
}
