//! The crate's one error type, and the location-free failure that deep code
//! returns before the public entry points attach a template name and a span.

use std::fmt;

/// A position in a template: byte offset, 1-based line and 1-based column
/// (counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: u32,
    pub line: u32,
    pub column: u32,
}

/// What went wrong, coarsely, so that callers can react without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The template (or a JSONPath) is not well formed.
    Syntax,
    /// A regular expression is invalid or uses a feature the engine lacks.
    Regex,
    /// A JSONPath expression is invalid.
    JsonPath,
    /// A template reads a member `$util`, `$input` or `$context` does not
    /// have.
    UnknownName,
    /// A size, depth, loop or work limit was exceeded while rendering; with
    /// a fixed template, it is the input that drove it there.
    Limit,
    /// The output, or a string built while rendering, grew past
    /// [`MAX_OUTPUT_BYTES`](crate::limits::MAX_OUTPUT_BYTES).
    TooLarge,
    /// The template reads the body as JSON, and the body looks like JSON (it
    /// starts with `{` or `[`) but does not parse, or nests too deep.
    Body,
    /// A method failed at render time (index out of range, bad base64, ...),
    /// as the Java method would have thrown.
    Runtime,
    /// A printed value changed the structure of the JSON the template lays
    /// out ([`Template::check_json`](crate::Template::check_json)).
    Injection,
}

/// An error from compiling or rendering a template, or compiling a JSONPath.
///
/// `Display` gives `<name>:<line>:<column>: <message>`; the alternate form
/// (`{:#}`) adds the offending source line and a caret when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    name: String,
    line: u32,
    column: u32,
    message: String,
    snippet: Option<String>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, name: &str, span: Span, message: String) -> Error {
        Error {
            kind,
            name: name.to_owned(),
            line: span.line,
            column: span.column,
            message,
            snippet: None,
        }
    }

    /// Attaches the source line that `line` points into, for `{:#}`.
    pub(crate) fn with_source(mut self, source: &str) -> Error {
        if self.line > 0 {
            self.snippet = source
                .split('\n')
                .nth(self.line as usize - 1)
                .map(|l| l.trim_end_matches('\r').to_owned());
        }
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The template's (or JSONPath's) name as given to `compile`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 1-based line of the offending node (0 when not tied to a position).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column, in characters, of the offending node.
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The message without the location prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.name, self.line, self.column, self.message
        )?;
        if f.alternate() {
            if let Some(line) = &self.snippet {
                let pad: String = line
                    .chars()
                    .take(self.column.saturating_sub(1) as usize)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                write!(f, "\n  | {line}\n  | {pad}^")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A failure from deep code: a kind and a message, and a span once some caller
/// that knows the node has attached one.
///
/// Boxed so that the evaluator's `Result<Value, Failure>` stays as small as a
/// value: results are moved through every node of a render, and failures
/// are rare.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure(Box<FailureData>);

#[derive(Debug, Clone, PartialEq)]
struct FailureData {
    kind: ErrorKind,
    message: String,
    span: Option<Span>,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure(Box::new(FailureData {
            kind,
            message: message.into(),
            span: None,
        }))
    }

    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure::new(ErrorKind::Runtime, message)
    }

    pub fn limit(message: impl Into<String>) -> Failure {
        Failure::new(ErrorKind::Limit, message)
    }

    /// Sets the span unless a deeper node already set a more precise one.
    pub fn at(mut self, span: Span) -> Failure {
        if self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }

    pub fn into_error(self, name: &str, source: &str) -> Error {
        let FailureData {
            kind,
            message,
            span,
        } = *self.0;
        Error::new(kind, name, span.unwrap_or_default(), message).with_source(source)
    }
}

pub(crate) type Fallible<T> = Result<T, Failure>;

#[cfg(test)]
mod tests {
    use crate::Template;

    #[test]
    fn display_has_location_and_alternate_has_caret() {
        let e = Template::compile("t.vtl", "ok\n  #if($a == )x#end").unwrap_err();
        assert_eq!(e.to_string(), "t.vtl:2:13: expected a value, found ')'");
        assert_eq!(
            format!("{e:#}"),
            "t.vtl:2:13: expected a value, found ')'\n  |   #if($a == )x#end\n  |             ^"
        );
        assert_eq!((e.name(), e.line(), e.column()), ("t.vtl", 2, 13));
        assert_eq!(e.kind(), crate::ErrorKind::Syntax);
    }
}
