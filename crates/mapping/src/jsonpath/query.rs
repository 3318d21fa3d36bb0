//! Running a compiled path on a document: definite paths step by step
//! without allocating, indefinite ones breadth-first, filters per node.

use serde_json::Value;

use super::{Cmp, Computed, Filter, Function, Operand, Step};

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
    /// An object's member names, each once, in document order.
    fn keys(&self) -> Option<Vec<&str>>;
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

    fn keys(&self) -> Option<Vec<&str>> {
        self.as_object()
            .map(|o| o.keys().map(String::as_str).collect())
    }
}

/// What a function ending a path is applied to: the value of a definite
/// path, or the matches of an indefinite one (Jayway hands its functions
/// those as one array).
pub(super) enum Input<'v, N> {
    One(&'v N),
    Many(Vec<&'v N>),
}

/// Applies `function` as Jayway does; `None` where Jayway gives null
/// (`length()` of a string, `keys()` of an array, the numeric functions of
/// something that is not an array). The numeric functions skip items that
/// are not numbers; over no numbers at all they give `None` (older Jayway
/// versions answer with a seed value, newer ones fail).
pub(super) fn call<N: Node>(function: Function, input: Input<'_, N>) -> Option<Computed> {
    let items: Vec<&N> = match (&input, function) {
        (Input::One(v), Function::Length) => {
            let len = match v.items() {
                Some(items) => items.len(),
                None => v.keys()?.len(),
            };
            return Some(Computed::Int(len as i64));
        }
        (Input::Many(vs), Function::Length) => return Some(Computed::Int(vs.len() as i64)),
        (Input::One(v), Function::Keys) => {
            return Some(Computed::Keys(
                v.keys()?.into_iter().map(str::to_owned).collect(),
            ));
        }
        (Input::Many(_), Function::Keys) => return None,
        (Input::One(v), _) => v.items()?.iter().collect(),
        (Input::Many(vs), _) => vs.clone(),
    };
    let numbers: Vec<f64> = items
        .into_iter()
        .filter_map(|v| match v.scalar() {
            Scalar::Num(n) => Some(n),
            _ => None,
        })
        .collect();
    if numbers.is_empty() {
        return None;
    }
    let count = numbers.len() as f64;
    let sum: f64 = numbers.iter().sum();
    let value = match function {
        Function::Min => numbers.iter().copied().fold(f64::INFINITY, f64::min),
        Function::Max => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Function::Sum => sum,
        Function::Avg => sum / count,
        Function::StdDev => {
            let squares: f64 = numbers.iter().map(|n| n * n).sum();
            (squares / count - (sum / count) * (sum / count)).sqrt()
        }
        // Answered above, before the numbers.
        Function::Length | Function::Keys => return None,
    };
    Some(Computed::Double(value))
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

/// The nodes one query may still visit or match, and the error once it
/// has visited them all: a path such as `$..[0,1]..[0,1]..[0,1]` matches a
/// number of nodes exponential in its length, and `..` twice a number
/// quadratic in the body's size.
pub(super) struct Budget(pub(super) u64);

/// A query ran out of [`Budget`].
#[derive(Debug)]
pub(super) struct Exhausted;

impl Budget {
    fn spend(&mut self, n: usize) -> Result<(), Exhausted> {
        self.0 = self.0.checked_sub(n as u64).ok_or(Exhausted)?;
        Ok(())
    }
}

pub(super) fn run<'v, N: Node>(
    steps: &[Step],
    start: &'v N,
    root: &'v N,
    budget: &mut Budget,
) -> Result<Vec<&'v N>, Exhausted> {
    let mut cur = vec![start];
    for step in steps {
        let mut next = Vec::new();
        for v in cur {
            budget.spend(1)?;
            apply(step, v, root, &mut next, budget)?;
        }
        cur = next;
    }
    Ok(cur)
}

fn apply<'v, N: Node>(
    step: &Step,
    v: &'v N,
    root: &'v N,
    out: &mut Vec<&'v N>,
    budget: &mut Budget,
) -> Result<(), Exhausted> {
    let before = out.len();
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
        // Charged node by node as it goes.
        Step::Descend(inner) => return descend(inner, v, root, out, 0, budget),
        Step::Filter(f) => {
            let mut result = Ok(());
            v.for_each_child(&mut |c| {
                if result.is_ok() {
                    match test(f, c, root, budget) {
                        Ok(true) => out.push(c),
                        Ok(false) => {}
                        Err(e) => result = Err(e),
                    }
                }
            });
            result?;
        }
    }
    budget.spend(out.len() - before)
}

fn descend<'v, N: Node>(
    step: &Step,
    v: &'v N,
    root: &'v N,
    out: &mut Vec<&'v N>,
    depth: usize,
    budget: &mut Budget,
) -> Result<(), Exhausted> {
    // A parsed body nests at most 127 levels (`serde_json`'s limit); this
    // guards other documents.
    if depth > 512 {
        return Ok(());
    }
    budget.spend(1)?;
    apply(step, v, root, out, budget)?;
    let mut result = Ok(());
    v.for_each_child(&mut |c| {
        if result.is_ok() {
            result = descend(step, c, root, out, depth + 1, budget);
        }
    });
    result
}

/// An operand's value: present or not, and its scalar form.
fn operand<'s, N: Node>(
    op: &'s Operand,
    cur: &'s N,
    root: &'s N,
    budget: &mut Budget,
) -> Result<Option<Scalar<'s>>, Exhausted> {
    Ok(match op {
        Operand::Current(steps) => run(steps, cur, root, budget)?
            .into_iter()
            .next()
            .map(Node::scalar),
        Operand::Root(steps) => run(steps, root, root, budget)?
            .into_iter()
            .next()
            .map(Node::scalar),
        Operand::Literal(v) => Some(v.scalar()),
    })
}

fn test<N: Node>(f: &Filter, cur: &N, root: &N, budget: &mut Budget) -> Result<bool, Exhausted> {
    Ok(match f {
        Filter::Or(any) => {
            for f in any {
                if test(f, cur, root, budget)? {
                    return Ok(true);
                }
            }
            false
        }
        Filter::And(all) => {
            for f in all {
                if !test(f, cur, root, budget)? {
                    return Ok(false);
                }
            }
            true
        }
        Filter::Not(a) => !test(a, cur, root, budget)?,
        Filter::Exists(op) => operand(op, cur, root, budget)?.is_some(),
        Filter::Matches(op, re) => {
            matches!(operand(op, cur, root, budget)?, Some(Scalar::Str(s)) if re.is_match(s))
        }
        Filter::Compare(l, cmp, r) => {
            let (Some(l), Some(r)) = (
                operand(l, cur, root, budget)?,
                operand(r, cur, root, budget)?,
            ) else {
                return Ok(false);
            };
            let ord = match (l, r) {
                (Scalar::Num(a), Scalar::Num(b)) => a.partial_cmp(&b),
                (Scalar::Str(a), Scalar::Str(b)) => Some(a.cmp(b)),
                (Scalar::Composite, _) | (_, Scalar::Composite) => return Ok(false),
                _ => {
                    return Ok(match cmp {
                        Cmp::Eq => l == r,
                        Cmp::Ne => l != r,
                        _ => false,
                    });
                }
            };
            let Some(ord) = ord else { return Ok(false) };
            match cmp {
                Cmp::Eq => ord.is_eq(),
                Cmp::Ne => !ord.is_eq(),
                Cmp::Lt => ord.is_lt(),
                Cmp::Le => ord.is_le(),
                Cmp::Gt => ord.is_gt(),
                Cmp::Ge => ord.is_ge(),
            }
        }
    })
}
