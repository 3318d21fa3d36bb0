//! Java `String` methods, with Java's UTF-16 indexes, and the regex-taking
//! ones (`matches`, `replaceAll`, `replaceFirst`, `split`) on the Java regex
//! dialect.

use crate::ast::Precompiled;
use crate::error::{Failure, Fallible};
use crate::eval::{Eval, check_len};
use crate::javaregex;
use crate::limits::MAX_COLLECTION_LEN;
use crate::value::Value;

impl<'a> Eval<'a> {
    fn regex(
        &mut self,
        pre: &'a Precompiled,
        pattern: &str,
        whole: bool,
    ) -> Fallible<RegexRef<'a>> {
        if let Precompiled::Regex(re) = pre {
            return Ok(RegexRef::Pre(re));
        }
        self.tick(pattern.len() as u64)?;
        javaregex::compile(pattern, whole).map(|r| RegexRef::Run(Box::new(r)))
    }

    pub(super) fn string_method(
        &mut self,
        s: &str,
        name: &str,
        args: &[Value<'a>],
        pre: &'a Precompiled,
    ) -> Fallible<Value<'a>> {
        self.tick(1 + s.len() as u64 / 256)?;
        let str_arg = |i: usize| args.get(i).and_then(Value::as_str);
        let int_arg = |i: usize| args.get(i).and_then(Value::as_int);
        let out = match (name, args.len()) {
            ("length", 0) => Value::Int(utf16_len(s) as i64),
            ("isEmpty", 0) => Value::Bool(s.is_empty()),
            ("toString" | "trim" | "toLowerCase" | "toUpperCase", 0) => {
                let r = match name {
                    "trim" => s.trim_matches(|c: char| c <= ' ').to_owned(),
                    "toLowerCase" => s.to_lowercase(),
                    "toUpperCase" => s.to_uppercase(),
                    _ => s.to_owned(),
                };
                Value::string(r)
            }
            // `subSequence` returns a `CharSequence`, which prints the same.
            ("substring", 1 | 2) | ("subSequence", 2) => {
                let (Some(from), to) = (int_arg(0), int_arg(1)) else {
                    return Ok(Value::Null);
                };
                if args.len() == 2 && to.is_none() {
                    return Ok(Value::Null);
                }
                let len = utf16_len(s) as i64;
                let to = to.unwrap_or(len);
                if from < 0 || to > len || from > to {
                    return Err(Failure::runtime(format!(
                        "substring: begin {from}, end {to}, length {len}"
                    )));
                }
                match (
                    byte_at_utf16(s, from as usize),
                    byte_at_utf16(s, to as usize),
                ) {
                    (Some(a), Some(b)) => Value::string(s[a..b].to_owned()),
                    _ => Value::string(utf16_substring(s, from as usize, to as usize)),
                }
            }
            ("charAt", 1) => {
                let Some(i) = int_arg(0) else {
                    return Ok(Value::Null);
                };
                let units: Vec<u16> = s.encode_utf16().collect();
                match usize::try_from(i).ok().and_then(|i| units.get(i)) {
                    Some(u) => Value::string(String::from_utf16_lossy(&[*u])),
                    None => {
                        return Err(Failure::runtime(format!("charAt: index {i} out of range")));
                    }
                }
            }
            ("indexOf" | "lastIndexOf", 1 | 2) => {
                let Some(needle) = str_arg(0) else {
                    return Ok(Value::Null);
                };
                let from = if args.len() == 2 {
                    match int_arg(1) {
                        Some(f) => Some(f),
                        None => return Ok(Value::Null),
                    }
                } else {
                    None
                };
                let len = utf16_len(s) as i64;
                let found = if name == "indexOf" {
                    let from = from.unwrap_or(0).clamp(0, len) as usize;
                    let start = byte_at_utf16(s, from).unwrap_or(s.len());
                    s[start..].find(needle).map(|i| start + i)
                } else {
                    // lastIndexOf: the match must start at or before `from`.
                    let limit = from.map_or(len, |f| f.min(len));
                    if limit < 0 {
                        None
                    } else {
                        let cap = byte_at_utf16(s, limit as usize).unwrap_or(s.len());
                        let end = (cap + needle.len()).min(s.len());
                        let end = (0..=end)
                            .rev()
                            .find(|&e| s.is_char_boundary(e))
                            .unwrap_or(0);
                        s[..end].rfind(needle)
                    }
                };
                Value::Int(found.map_or(-1, |b| utf16_len(&s[..b]) as i64))
            }
            ("contains", 1) => match str_arg(0) {
                Some(n) => Value::Bool(s.contains(n)),
                None => Value::Null,
            },
            ("startsWith", 1) => match str_arg(0) {
                Some(n) => Value::Bool(s.starts_with(n)),
                None => Value::Null,
            },
            ("startsWith", 2) => match (str_arg(0), int_arg(1)) {
                (Some(n), Some(off)) => {
                    let ok = usize::try_from(off)
                        .ok()
                        .and_then(|o| byte_at_utf16(s, o))
                        .is_some_and(|b| s[b..].starts_with(n));
                    Value::Bool(ok)
                }
                _ => Value::Null,
            },
            ("endsWith", 1) => match str_arg(0) {
                Some(n) => Value::Bool(s.ends_with(n)),
                None => Value::Null,
            },
            ("equals", 1) => Value::Bool(str_arg(0) == Some(s)),
            ("contentEquals", 1) => match str_arg(0) {
                Some(n) => Value::Bool(n == s),
                None => Value::Null,
            },
            ("codePointAt", 1) => {
                let Some(i) = int_arg(0) else {
                    return Ok(Value::Null);
                };
                let units: Vec<u16> = s.encode_utf16().collect();
                let Some(i) = usize::try_from(i).ok().filter(|&i| i < units.len()) else {
                    return Err(Failure::runtime(format!(
                        "codePointAt: index {i} out of range"
                    )));
                };
                // A high surrogate followed by a low one is one code point.
                let code = match char::decode_utf16(units[i..].iter().copied()).next() {
                    Some(Ok(c)) => c as u32,
                    _ => u32::from(units[i]),
                };
                Value::Int(i64::from(code))
            }
            ("equalsIgnoreCase", 1) => match str_arg(0) {
                Some(n) => Value::Bool(eq_ignore_case(s, n)),
                None => Value::Bool(false),
            },
            ("compareTo", 1) => match str_arg(0) {
                Some(n) => Value::Int(java_compare(s, n)),
                None => Value::Null,
            },
            ("compareToIgnoreCase", 1) => match str_arg(0) {
                Some(n) => Value::Int(java_compare(&s.to_lowercase(), &n.to_lowercase())),
                None => Value::Null,
            },
            ("concat", 1) => match str_arg(0) {
                Some(n) => {
                    let r = format!("{s}{n}");
                    check_len(&r)?;
                    Value::string(r)
                }
                None => Value::Null,
            },
            ("replace", 2) => match (str_arg(0), str_arg(1)) {
                (Some(from), Some(to)) => {
                    let r = java_replace(s, from, to);
                    check_len(&r)?;
                    Value::string(r)
                }
                _ => Value::Null,
            },
            ("replaceAll" | "replaceFirst", 2) => {
                let (Some(pattern), Some(rep)) = (str_arg(0), str_arg(1)) else {
                    return Ok(Value::Null);
                };
                let re = self.regex(pre, pattern, false)?;
                let re = re.get();
                let rep = javaregex::replacement(rep, re)?;
                let r = if name == "replaceAll" {
                    re.replace_all(s, rep.as_str())
                } else {
                    re.replacen(s, 1, rep.as_str())
                };
                check_len(&r)?;
                Value::string(r.into_owned())
            }
            ("matches", 1) => {
                let Some(pattern) = str_arg(0) else {
                    return Ok(Value::Null);
                };
                let re = self.regex(pre, pattern, true)?;
                Value::Bool(re.get().is_match(s))
            }
            ("split", 1 | 2) => {
                let Some(pattern) = str_arg(0) else {
                    return Ok(Value::Null);
                };
                let limit = if args.len() == 2 {
                    match int_arg(1) {
                        Some(l) => l,
                        None => return Ok(Value::Null),
                    }
                } else {
                    0
                };
                let re = self.regex(pre, pattern, false)?;
                let parts = java_split(s, re.get(), limit);
                if parts.len() > MAX_COLLECTION_LEN {
                    return Err(Failure::limit(format!(
                        "split gave more than {MAX_COLLECTION_LEN} parts"
                    )));
                }
                Value::new_list(
                    parts
                        .into_iter()
                        .map(|p| Value::string(p.to_owned()))
                        .collect(),
                    false,
                )
            }
            ("hashCode", 0) => {
                let h = s
                    .encode_utf16()
                    .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32));
                Value::Int(h as i64)
            }
            _ => Value::Null,
        };
        Ok(out)
    }
}

enum RegexRef<'a> {
    Pre(&'a regex::Regex),
    Run(Box<regex::Regex>),
}

impl RegexRef<'_> {
    fn get(&self) -> &regex::Regex {
        match self {
            RegexRef::Pre(r) => r,
            RegexRef::Run(r) => r,
        }
    }
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// The byte offset of UTF-16 index `idx`, if it falls on a character boundary.
fn byte_at_utf16(s: &str, idx: usize) -> Option<usize> {
    if s.is_ascii() {
        return (idx <= s.len()).then_some(idx);
    }
    let mut units = 0;
    for (b, c) in s.char_indices() {
        if units == idx {
            return Some(b);
        }
        units += c.len_utf16();
        if units > idx {
            return None;
        }
    }
    (units == idx).then_some(s.len())
}

/// A substring by UTF-16 indices that may split a surrogate pair.
fn utf16_substring(s: &str, from: usize, to: usize) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16_lossy(&units[from.min(units.len())..to.min(units.len())])
}

/// Java `String.compareTo`: by UTF-16 units, then by length.
fn java_compare(a: &str, b: &str) -> i64 {
    let (mut x, mut y) = (a.encode_utf16(), b.encode_utf16());
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p != q => return p as i64 - q as i64,
            (Some(_), Some(_)) => {}
            (Some(_), None) => return (utf16_len(a) - utf16_len(b)) as i64,
            (None, Some(_)) => return -((utf16_len(b) - utf16_len(a)) as i64),
            (None, None) => return 0,
        }
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.eq_ignore_ascii_case(b)
        || a.chars().count() == b.chars().count()
            && a.chars().zip(b.chars()).all(|(x, y)| {
                x == y
                    || x.to_uppercase().eq(y.to_uppercase())
                    || x.to_lowercase().eq(y.to_lowercase())
            })
}

/// Java `String.replace(CharSequence, CharSequence)`: an empty target
/// inserts the replacement between every character and at both ends.
fn java_replace(s: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        let mut out = String::with_capacity(s.len() + to.len() * (s.len() + 1));
        out.push_str(to);
        for c in s.chars() {
            out.push(c);
            out.push_str(to);
        }
        return out;
    }
    s.replace(from, to)
}

/// Java `String.split(regex, limit)`: a zero-width match at the start adds no
/// leading empty string; limit 0 drops trailing empty strings; a positive
/// limit caps the number of parts.
fn java_split<'s>(s: &'s str, re: &regex::Regex, limit: i64) -> Vec<&'s str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut parts = Vec::new();
    let mut last = 0;
    for m in re.find_iter(s) {
        if limit > 0 && parts.len() as i64 == limit - 1 {
            break;
        }
        if m.end() == 0 {
            continue;
        }
        parts.push(&s[last..m.start()]);
        last = m.end();
    }
    parts.push(&s[last..]);
    if limit == 0 {
        while parts.len() > 1 && parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() && last > 0 {
            parts.pop();
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_follows_java() {
        let re = |p: &str| javaregex::compile(p, false).unwrap();
        assert_eq!(java_split("a,b,,c,,", &re(","), 0), vec!["a", "b", "", "c"]);
        assert_eq!(java_split("a,b,c", &re(","), 2), vec!["a", "b,c"]);
        assert_eq!(java_split("abc", &re(""), 0), vec!["a", "b", "c"]);
        assert_eq!(java_split("", &re(","), 0), vec![""]);
        assert_eq!(java_split(",", &re(","), 0), Vec::<&str>::new());
        assert_eq!(java_split("a,b,,", &re(","), -1), vec!["a", "b", "", ""]);
    }

    #[test]
    fn utf16_indexes() {
        assert_eq!(utf16_len("a😀b"), 4);
        assert_eq!(byte_at_utf16("a😀b", 3), Some(5));
        assert_eq!(byte_at_utf16("a😀b", 2), None);
        assert_eq!(java_compare("a", "b"), -1);
        assert_eq!(java_compare("ab", "a"), 1);
    }
}
