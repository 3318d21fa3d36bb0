//! Java regular expressions (as `String.replaceAll`, `matches`, `split` take
//! them) translated to the `regex` crate's syntax, and Java replacement
//! strings (`$1`, `${name}`, `\$`) translated to the crate's.
//!
//! The two syntaxes agree on most things. What differs is translated: Java
//! lets any punctuation be escaped (`\'`, `\/`), has `\Q...\E` quoting, octal
//! `\0nn`, `\e`, `\h`, `\R`, `\Z`, and POSIX names like `\p{Alpha}`. What the
//! crate cannot do at all (backreferences, look-around, atomic groups,
//! possessive quantifiers) is reported as an error rather than run wrongly.

use std::fmt::Write as _;

use crate::error::{ErrorKind, Failure, Fallible};
use crate::limits::MAX_REGEX_SIZE;

fn unsupported(what: &str) -> Failure {
    Failure::new(
        ErrorKind::Regex,
        format!("regex uses {what}, which is not supported"),
    )
}

/// Compiles a Java pattern. `whole` anchors it at both ends, for `matches()`.
pub(crate) fn compile(pattern: &str, whole: bool) -> Fallible<regex::Regex> {
    let translated = translate(pattern)?;
    let source = if whole {
        format!(r"\A(?:{translated})\z")
    } else {
        translated
    };
    regex::RegexBuilder::new(&source)
        .size_limit(MAX_REGEX_SIZE)
        .build()
        .map_err(|e| {
            Failure::new(
                ErrorKind::Regex,
                format!("invalid regex {pattern:?}: {}", first_line(&e.to_string())),
            )
        })
}

/// The crate's multi-line message reduced to its last `error: ...` line.
fn first_line(s: &str) -> &str {
    s.lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| s.lines().next().unwrap_or(s))
}

fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii() {
        out.push(c);
    } else {
        let _ = write!(out, "\\x{{{:X}}}", c as u32);
    }
}

pub(crate) fn translate(p: &str) -> Fallible<String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    // Inside `[...]` a `+` after `*` is a literal, not a possessive quantifier.
    let mut class_depth = 0usize;
    // Whether the last thing written was a quantifier: a `+` right after one
    // makes it possessive.
    let mut after_quantifier = false;
    while i < chars.len() {
        let c = chars[i];
        let was_quantifier = std::mem::replace(&mut after_quantifier, false);
        match c {
            '[' => {
                class_depth += 1;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal in both syntaxes.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
            }
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(Failure::new(
                        ErrorKind::Regex,
                        "regex ends with a lone backslash",
                    ));
                };
                i += 2;
                match e {
                    'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'b' | 'B' | 'A' | 'z' | 'n' | 't' | 'r'
                    | 'f' | 'a' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'Z' => out.push_str(r"(?:\n?\z)"),
                    'e' => out.push_str(r"\x{1B}"),
                    'h' => out.push_str(
                        r"[\t \xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]",
                    ),
                    'H' => out.push_str(
                        r"[^\t \xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]",
                    ),
                    'v' => out.push_str(r"[\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
                    'V' => out.push_str(r"[^\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
                    'R' => out.push_str(r"(?:\r\n|[\n\x0B\f\r\x{85}\x{2028}\x{2029}])"),
                    'Q' => {
                        let rest: String = chars[i..].iter().collect();
                        let (quoted, consumed) = match rest.find("\\E") {
                            Some(end) => (&rest[..end], end + 2),
                            None => (&rest[..], rest.len()),
                        };
                        for q in quoted.chars() {
                            push_literal(&mut out, q);
                        }
                        i += rest[..consumed].chars().count();
                    }
                    'E' => {}
                    '0' => {
                        let mut v = 0u32;
                        let mut n = 0;
                        while n < 3 && chars.get(i).is_some_and(|d| ('0'..='7').contains(d)) {
                            let next = v * 8 + chars[i].to_digit(8).unwrap_or(0);
                            if next > 0o377 {
                                break;
                            }
                            v = next;
                            i += 1;
                            n += 1;
                        }
                        if n == 0 {
                            return Err(Failure::new(ErrorKind::Regex, "illegal octal escape"));
                        }
                        let _ = write!(out, "\\x{{{v:X}}}");
                    }
                    'x' => {
                        if chars.get(i) == Some(&'{') {
                            out.push_str("\\x");
                        } else {
                            let hex: String = chars
                                .get(i..i + 2)
                                .map(|h| h.iter().collect())
                                .unwrap_or_default();
                            if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                                return Err(Failure::new(
                                    ErrorKind::Regex,
                                    "illegal hexadecimal escape",
                                ));
                            }
                            let _ = write!(out, "\\x{{{hex}}}");
                            i += 2;
                        }
                    }
                    'u' => {
                        let hex: String = chars
                            .get(i..i + 4)
                            .map(|h| h.iter().collect())
                            .unwrap_or_default();
                        if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return Err(Failure::new(ErrorKind::Regex, "illegal unicode escape"));
                        }
                        let _ = write!(out, "\\x{{{hex}}}");
                        i += 4;
                    }
                    'c' => {
                        let Some(&ctl) = chars.get(i) else {
                            return Err(Failure::new(ErrorKind::Regex, "illegal control escape"));
                        };
                        let _ = write!(out, "\\x{{{:X}}}", (ctl as u32) ^ 64);
                        i += 1;
                    }
                    'p' | 'P' => {
                        let (class, used) = property(&chars[i..])?;
                        i += used;
                        if e == 'P' {
                            match class.strip_prefix('[') {
                                Some(inner) => {
                                    out.push_str("[^");
                                    out.push_str(inner);
                                }
                                None => {
                                    out.push_str("\\P");
                                    out.push_str(&class[2..]);
                                }
                            }
                        } else {
                            out.push_str(&class);
                        }
                    }
                    '1'..='9' | 'k' => return Err(unsupported("a backreference")),
                    'G' => return Err(unsupported(r"\G")),
                    e if e.is_ascii_alphanumeric() => {
                        return Err(Failure::new(
                            ErrorKind::Regex,
                            format!("illegal escape \\{e}"),
                        ));
                    }
                    e => push_literal(&mut out, e),
                }
                continue;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let next = chars.get(i + 2).copied();
                let next2 = chars.get(i + 3).copied();
                match (next, next2) {
                    (Some('='), _)
                    | (Some('!'), _)
                    | (Some('<'), Some('='))
                    | (Some('<'), Some('!')) => {
                        return Err(unsupported("look-around"));
                    }
                    (Some('>'), _) => return Err(unsupported("an atomic group")),
                    _ => {}
                }
                // Java's `d` (UNIX_LINES) flag has no equivalent; `.` already
                // excludes only `\n` here.
                out.push_str("(?");
                i += 2;
                while let Some(&f) = chars.get(i) {
                    if f == ':' || f == ')' || f == '<' || f == 'P' {
                        break;
                    }
                    if f != 'd' {
                        out.push(f);
                    }
                    i += 1;
                }
                continue;
            }
            '+' if class_depth == 0 && was_quantifier => {
                return Err(unsupported("a possessive quantifier"));
            }
            '*' | '+' | '?' if class_depth == 0 => {
                out.push(c);
                after_quantifier = c != '?' || !was_quantifier;
            }
            '{' if class_depth == 0 => {
                // `{n}`, `{n,}`, `{n,m}` is a quantifier; anything else a literal.
                let end = chars[i..].iter().position(|&x| x == '}');
                let body: Option<String> = end.map(|e| chars[i + 1..i + e].iter().collect());
                match body.filter(|b| {
                    !b.is_empty()
                        && b.chars().all(|x| x.is_ascii_digit() || x == ',')
                        && !b.starts_with(',')
                }) {
                    Some(b) => {
                        out.push('{');
                        out.push_str(&b);
                        out.push('}');
                        i += b.chars().count() + 2;
                        after_quantifier = true;
                        continue;
                    }
                    None => out.push_str("\\{"),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(out)
}

/// `\p{...}` after the `p`: Java's POSIX and `java*` names as classes, `Is`
/// prefixes dropped, the rest passed to the crate's Unicode tables.
fn property(rest: &[char]) -> Fallible<(String, usize)> {
    let (name, used): (String, usize) = if rest.first() == Some(&'{') {
        let end = rest
            .iter()
            .position(|&c| c == '}')
            .ok_or_else(|| Failure::new(ErrorKind::Regex, "unclosed \\p{"))?;
        (rest[1..end].iter().collect(), end + 1)
    } else if let Some(&c) = rest.first() {
        (c.to_string(), 1)
    } else {
        return Err(Failure::new(ErrorKind::Regex, "incomplete \\p"));
    };
    let posix = match name.as_str() {
        "Lower" => Some("[a-z]"),
        "Upper" => Some("[A-Z]"),
        "ASCII" => Some(r"[\x00-\x7F]"),
        "Alpha" => Some("[a-zA-Z]"),
        "Digit" => Some("[0-9]"),
        "Alnum" => Some("[a-zA-Z0-9]"),
        "Punct" => Some(r"[!-/:-@\[-`{-~]"),
        "Graph" => Some(r"[!-~]"),
        "Print" => Some(r"[ -~]"),
        "Blank" => Some(r"[ \t]"),
        "Cntrl" => Some(r"[\x00-\x1F\x7F]"),
        "XDigit" => Some("[0-9a-fA-F]"),
        "Space" => Some(r"[ \t\n\x0B\f\r]"),
        "javaLowerCase" => Some(r"[\p{Lowercase}]"),
        "javaUpperCase" => Some(r"[\p{Uppercase}]"),
        "javaWhitespace" => Some(r"[\s]"),
        _ => None,
    };
    if let Some(class) = posix {
        return Ok((class.to_owned(), used));
    }
    let name = name
        .strip_prefix("Is")
        .filter(|n| !n.is_empty())
        .unwrap_or(&name);
    let name = name
        .strip_prefix("In")
        .filter(|n| n.len() > 2)
        .unwrap_or(name);
    Ok((format!("\\p{{{name}}}"), used))
}

/// Translates a Java replacement string for a regex with `groups` capture
/// groups (group 0 included). Java reads `$12` as group 12 only if it
/// exists, else group 1 followed by `2`.
pub(crate) fn replacement(r: &str, re: &regex::Regex) -> Fallible<String> {
    let groups = re.captures_len();
    let chars: Vec<char> = r.chars().collect();
    let mut out = String::with_capacity(r.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let Some(&c) = chars.get(i + 1) else {
                    return Err(Failure::runtime("replacement ends with a lone backslash"));
                };
                if c == '$' {
                    out.push_str("$$");
                } else {
                    out.push(c);
                }
                i += 2;
            }
            '$' => {
                i += 1;
                match chars.get(i) {
                    Some('{') => {
                        let end = chars[i..]
                            .iter()
                            .position(|&c| c == '}')
                            .ok_or_else(|| Failure::runtime("unclosed ${ in replacement"))?;
                        let name: String = chars[i + 1..i + end].iter().collect();
                        if name.is_empty() || re.capture_names().flatten().all(|n| n != name) {
                            return Err(Failure::runtime(format!("no group named {name:?}")));
                        }
                        let _ = write!(out, "${{{name}}}");
                        i += end + 1;
                    }
                    Some(d) if d.is_ascii_digit() => {
                        let mut n = d.to_digit(10).unwrap_or(0) as usize;
                        if n >= groups {
                            return Err(Failure::runtime(format!("no group {n}")));
                        }
                        i += 1;
                        while let Some(next) = chars.get(i).and_then(|c| c.to_digit(10)) {
                            let candidate = n * 10 + next as usize;
                            if candidate >= groups {
                                break;
                            }
                            n = candidate;
                            i += 1;
                        }
                        let _ = write!(out, "${{{n}}}");
                    }
                    _ => return Err(Failure::runtime("illegal group reference in replacement")),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str) -> regex::Regex {
        compile(p, false).unwrap()
    }

    #[test]
    fn java_escapes_translate() {
        assert_eq!(re(r"\\'").replace_all(r"it\'s", "'"), "it's");
        assert!(re(r"\/\-").is_match("/-"));
        assert!(re(r"\Qa.b\E").is_match("a.b"));
        assert!(!re(r"\Qa.b\E").is_match("axb"));
        assert!(re(r"\p{Alpha}+").is_match("abc"));
        assert!(re(r"\0101").is_match("A"));
        assert!(compile("a", true).unwrap().is_match("a"));
        assert!(!compile("a", true).unwrap().is_match("ab"));
    }

    #[test]
    fn unsupported_features_are_errors() {
        assert!(compile(r"(a)\1", false).is_err());
        assert!(compile(r"a(?=b)", false).is_err());
        assert!(compile(r"a++", false).is_err());
        assert!(compile(r"(?>a)", false).is_err());
        assert!(compile(r"[a", false).is_err());
    }

    #[test]
    fn replacements_translate() {
        let r = re("(a)(b)");
        assert_eq!(
            r.replace_all("ab", replacement("$2$1", &r).unwrap().as_str()),
            "ba"
        );
        assert_eq!(
            r.replace_all("ab", replacement(r"\$1", &r).unwrap().as_str()),
            "$1"
        );
        assert_eq!(
            r.replace_all("ab", replacement("$12", &r).unwrap().as_str()),
            "a2"
        );
        assert!(replacement("$3", &r).is_err());
        assert!(replacement("$x", &r).is_err());
    }
}
