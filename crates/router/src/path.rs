//! API Gateway resource paths, translated to the matcher's syntax.

/// Translates an API Gateway resource path to a matchit pattern:
/// `/streams/{stream-name}` stays as it is and `/files/{proxy+}` becomes
/// `/files/{*proxy}`. Returns why the path is invalid otherwise.
pub fn to_matchit(path: &str) -> Result<String, String> {
    let mut names: Vec<&str> = Vec::new();
    if !path.starts_with('/') {
        return Err("a resource path starts with `/`".to_string());
    }
    if path == "/" {
        return Ok(path.to_string());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut out = String::with_capacity(path.len() + 2);
    for (i, segment) in segments.iter().enumerate() {
        out.push('/');
        if segment.is_empty() {
            return Err("empty path segment (`//` or a trailing `/`)".to_string());
        }
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let (name, greedy) = match name.strip_suffix('+') {
                    Some(name) => (name, true),
                    None => (name, false),
                };
                if name.is_empty() || !name.chars().all(is_param_char) {
                    return Err(format!(
                        "parameter `{segment}` needs a name of letters, digits, `-`, `_` or `.`"
                    ));
                }
                // A request would carry two values under one name, and only
                // one of them could reach `method.request.path.<name>`.
                if names.contains(&name) {
                    return Err(format!(
                        "parameter `{name}` is named twice; each parameter of a path needs its own name"
                    ));
                }
                names.push(name);
                if greedy {
                    if i + 1 != segments.len() {
                        return Err(format!(
                            "greedy parameter `{segment}` must be the last segment"
                        ));
                    }
                    out.push_str("{*");
                    out.push_str(name);
                    out.push('}');
                } else {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            }
            None => {
                if segment.contains(['{', '}']) {
                    return Err(format!(
                        "segment `{segment}` mixes literal text and a parameter; API Gateway allows only whole-segment parameters"
                    ));
                }
                out.push_str(segment);
            }
        }
    }
    Ok(out)
}

fn is_param_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Percent-decodes a path parameter. Invalid escapes and invalid UTF-8 are kept
/// as they are rather than rejected: a parameter value is data, not syntax.
pub(crate) fn decode(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_string();
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_string())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_api_gateway_syntax() {
        assert_eq!(
            to_matchit("/streams/{stream-name}").unwrap(),
            "/streams/{stream-name}"
        );
        assert_eq!(to_matchit("/files/{proxy+}").unwrap(), "/files/{*proxy}");
        assert_eq!(to_matchit("/").unwrap(), "/");
        assert!(to_matchit("/a/").is_err());
        assert!(to_matchit("/a/x{y}").is_err());
    }

    #[test]
    fn refuses_a_parameter_named_twice() {
        let twice = "parameter `x` is named twice; each parameter of a path needs its own name";
        assert_eq!(to_matchit("/a/{x}/{x}").unwrap_err(), twice);
        assert_eq!(to_matchit("/a/{x}/b/{x+}").unwrap_err(), twice);
        assert_eq!(to_matchit("/{x}/{x}/c").unwrap_err(), twice);
        assert_eq!(
            to_matchit("/a/{x}/{x-y}/{x.y}/{proxy+}").unwrap(),
            "/a/{x}/{x-y}/{x.y}/{*proxy}"
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(decode("a%20b"), "a b");
        assert_eq!(decode("%E2%82%AC"), "€");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%4"), "%4");
    }
}
