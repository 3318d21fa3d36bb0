//! Running a compiled path on a document: definite paths step by step
//! without allocating, indefinite ones breadth-first, filters per node.

use serde_json::Value;

use super::{Cmp, Filter, Operand, Step};

/// A scalar as filters compare it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'s> {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'s str),
    /// An array or object.
    Composite,
}

/// What a query needs of a JSON document: `serde_json::Value` for callers,
/// the borrowed body tree for templates.
pub(crate) trait Node: Sized {
    fn member(&self, key: &str) -> Option<&Self>;
    fn items(&self) -> Option<&[Self]>;
    /// Array items or object values, in order.
    fn for_each_child<'s>(&'s self, f: &mut dyn FnMut(&'s Self));
    fn scalar(&self) -> Scalar<'_>;
}

impl Node for Value {
    fn member(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    fn items(&self) -> Option<&[Value]> {
        self.as_array().map(Vec::as_slice)
    }

    fn for_each_child<'s>(&'s self, f: &mut dyn FnMut(&'s Value)) {
        match self {
            Value::Array(a) => a.iter().for_each(f),
            Value::Object(o) => o.values().for_each(f),
            _ => {}
        }
    }

    fn scalar(&self) -> Scalar<'_> {
        match self {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Num(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Scalar::Str(s),
            _ => Scalar::Composite,
        }
    }
}

/// One definite step.
pub(super) fn step_one<'v, N: Node>(step: &Step, v: &'v N) -> Option<&'v N> {
    match step {
        Step::Name(n) => v.member(n),
        Step::Index(i) => {
            let a = v.items()?;
            let idx = if *i < 0 { a.len() as i64 + i } else { *i };
            usize::try_from(idx).ok().and_then(|i| a.get(i))
        }
        _ => None,
    }
}

pub(super) fn run<'v, N: Node>(steps: &[Step], start: &'v N, root: &'v N) -> Vec<&'v N> {
    let mut cur = vec![start];
    for step in steps {
        let mut next = Vec::new();
        for v in cur {
            apply(step, v, root, &mut next);
        }
        cur = next;
    }
    cur
}

fn apply<'v, N: Node>(step: &Step, v: &'v N, root: &'v N, out: &mut Vec<&'v N>) {
    match step {
        Step::Name(_) | Step::Index(_) => out.extend(step_one(step, v)),
        Step::Names(names) => out.extend(names.iter().filter_map(|n| v.member(n))),
        Step::Indexes(idx) => {
            for i in idx {
                out.extend(step_one(&Step::Index(*i), v));
            }
        }
        Step::Slice(from, to, by) => {
            if let Some(a) = v.items() {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let by = *by;
                if by > 0 {
                    let (mut i, end) = (norm(from.unwrap_or(0)), norm(to.unwrap_or(len)));
                    while i < end {
                        out.push(&a[i as usize]);
                        i += by;
                    }
                } else if by < 0 {
                    let mut i = from.map_or(len - 1, |f| norm(f).min(len - 1));
                    let end = to.map_or(-1, norm);
                    while i > end && i >= 0 {
                        out.push(&a[i as usize]);
                        i += by;
                    }
                }
            }
        }
        Step::Wildcard => v.for_each_child(&mut |c| out.push(c)),
        Step::Descend(inner) => descend(inner, v, root, out, 0),
        Step::Filter(f) => v.for_each_child(&mut |c| {
            if test(f, c, root) {
                out.push(c);
            }
        }),
    }
}

fn descend<'v, N: Node>(step: &Step, v: &'v N, root: &'v N, out: &mut Vec<&'v N>, depth: usize) {
    // A parsed body nests at most 127 levels (`serde_json`'s limit); this
    // guards other documents.
    if depth > 512 {
        return;
    }
    apply(step, v, root, out);
    v.for_each_child(&mut |c| descend(step, c, root, out, depth + 1));
}

/// An operand's value: present or not, and its scalar form.
fn operand<'s, N: Node>(op: &'s Operand, cur: &'s N, root: &'s N) -> Option<Scalar<'s>> {
    match op {
        Operand::Current(steps) => run(steps, cur, root).into_iter().next().map(Node::scalar),
        Operand::Root(steps) => run(steps, root, root).into_iter().next().map(Node::scalar),
        Operand::Literal(v) => Some(v.scalar()),
    }
}

fn test<N: Node>(f: &Filter, cur: &N, root: &N) -> bool {
    match f {
        Filter::Or(any) => any.iter().any(|f| test(f, cur, root)),
        Filter::And(all) => all.iter().all(|f| test(f, cur, root)),
        Filter::Not(a) => !test(a, cur, root),
        Filter::Exists(op) => operand(op, cur, root).is_some(),
        Filter::Matches(op, re) => {
            matches!(operand(op, cur, root), Some(Scalar::Str(s)) if re.is_match(s))
        }
        Filter::Compare(l, cmp, r) => {
            let (Some(l), Some(r)) = (operand(l, cur, root), operand(r, cur, root)) else {
                return false;
            };
            let ord = match (l, r) {
                (Scalar::Num(a), Scalar::Num(b)) => a.partial_cmp(&b),
                (Scalar::Str(a), Scalar::Str(b)) => Some(a.cmp(b)),
                (Scalar::Composite, _) | (_, Scalar::Composite) => return false,
                _ => {
                    return match cmp {
                        Cmp::Eq => l == r,
                        Cmp::Ne => l != r,
                        _ => false,
                    };
                }
            };
            let Some(ord) = ord else { return false };
            match cmp {
                Cmp::Eq => ord.is_eq(),
                Cmp::Ne => !ord.is_eq(),
                Cmp::Lt => ord.is_lt(),
                Cmp::Le => ord.is_le(),
                Cmp::Gt => ord.is_gt(),
                Cmp::Ge => ord.is_ge(),
            }
        }
    }
}
