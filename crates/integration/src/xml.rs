//! Just enough XML for AWS answers: the text of the first element with a
//! given name. AWS's XML answers (Query-protocol results, S3 and Query errors,
//! moto's authentication errors) are flat and machine-written, so a careful
//! tag search does the job without a parser.

/// The decoded text of the first `<name>` element in `xml`, or `None` when
/// there is none or it is not closed (a truncated body).
pub(crate) fn element_text(xml: &str, name: &str) -> Option<String> {
    let (start, end) = element_span(xml, name)?;
    Some(decode(&xml[start..end]))
}

/// The part of `xml` after the first `<name>` start tag, to search inside it.
pub(crate) fn after_start_tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let (content, _) = start_tag(xml, name)?;
    Some(&xml[content..])
}

/// The byte range of the first `<name>` element's content.
fn element_span(xml: &str, name: &str) -> Option<(usize, usize)> {
    let (content, self_closing) = start_tag(xml, name)?;
    if self_closing {
        return Some((content, content));
    }
    let close = format!("</{name}>");
    let end = content + xml[content..].find(&close)?;
    Some((content, end))
}

/// Finds `<name>` or `<name attr...>` (not `<names>`): where its content
/// starts, and whether it is self-closing (`<name/>`).
fn start_tag(xml: &str, name: &str) -> Option<(usize, bool)> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(found) = xml[from..].find(&open) {
        let after = from + found + open.len();
        match xml.as_bytes().get(after) {
            Some(b'>') => return Some((after + 1, false)),
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'/') => {
                let close = after + xml[after..].find('>')?;
                return Some((close + 1, xml[..close].ends_with('/')));
            }
            Some(_) => from = after,
            None => return None,
        }
    }
    None
}

/// Text content with its character references and CDATA sections decoded.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            out.push_str(&cdata[..end]);
            rest = cdata.get(end + 3..).unwrap_or("");
            continue;
        }
        if let Some(after) = rest.strip_prefix('<') {
            // Only CDATA is expected inside an element's text; anything else
            // is kept as it is.
            out.push('<');
            rest = after;
            continue;
        }
        if !rest.starts_with('&') {
            let next = rest.find(['&', '<']).unwrap_or(rest.len());
            out.push_str(&rest[..next]);
            rest = &rest[next..];
            continue;
        }
        let decoded = rest.find(';').and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_element_by_exact_name() {
        let xml = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Errors><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>a</Message></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            element_text(xml, "Code").as_deref(),
            Some("InvalidClientTokenId")
        );
        // `<Error` must not match `<Errors>`.
        let inner = after_start_tag(xml, "Error").unwrap();
        assert!(inner.starts_with("<Type>Sender"), "{inner}");
        assert_eq!(element_text("<A x=\"1\">v</A>", "A").as_deref(), Some("v"));
        assert_eq!(element_text("<A/><A>v</A>", "A").as_deref(), Some(""));
        assert_eq!(element_text("<AB>v</AB>", "A"), None);
    }

    #[test]
    fn unclosed_elements_are_not_found() {
        assert_eq!(element_text("<Message>The request sig", "Message"), None);
        assert_eq!(element_text("<Mess", "Message"), None);
    }

    #[test]
    fn decodes_references_and_cdata() {
        assert_eq!(
            element_text(
                "<M>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#233;&#xE9; &bogus; &</M>",
                "M"
            )
            .as_deref(),
            Some("a <b> & \"c\" 'd' éé &bogus; &")
        );
        assert_eq!(
            element_text("<M>x<![CDATA[<y> & z]]>w</M>", "M").as_deref(),
            Some("x<y> & zw")
        );
    }
}
