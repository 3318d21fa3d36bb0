//! Where each key and value sits in the configuration file.
//!
//! serde_yaml reports positions only for its own errors. Problems found later
//! (a template that does not parse, a path that conflicts) need the place of
//! the key too, so the file is scanned once more for the positions of every
//! node, by key path.
//!
//! The same scan finds keys written twice in one mapping, which serde would
//! otherwise settle silently by keeping the last.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based line and column in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Node {
    key: Option<Location>,
    value: Option<Location>,
    style: Option<TScalarStyle>,
}

/// Key path → positions, for one file.
#[derive(Debug, Default)]
pub struct Locations {
    nodes: HashMap<Vec<String>, Node>,
    lines: Vec<String>,
    duplicates: Vec<DuplicateKey>,
}

/// A key written a second time in the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key path of the mapping that holds the key.
    pub parent: Vec<String>,
    pub key: String,
    /// Where the key is first written.
    pub first: Location,
    /// Where it is written again.
    pub again: Location,
}

impl Locations {
    /// Scans a YAML text. Fails only on text that is not YAML, which serde_yaml
    /// has already reported by the time this runs.
    pub fn scan(text: &str) -> Result<Self, String> {
        let mut receiver = Receiver::default();
        Parser::new_from_str(text)
            .load(&mut receiver, false)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            nodes: receiver.nodes,
            lines: yaml_lines(text).map(str::to_string).collect(),
            duplicates: receiver.duplicates,
        })
    }

    /// Every key written twice in one mapping, in file order. The positions
    /// of a duplicated key and what is under it are those of its last
    /// occurrence, the one serde keeps.
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// Where the key at `path` is written, falling back to its nearest parent.
    pub fn key(&self, path: &[&str]) -> Option<Location> {
        (0..=path.len()).rev().find_map(|n| {
            let node = self.node(&path[..n])?;
            node.key.or(node.value)
        })
    }

    /// Where the value at `path` starts.
    pub fn value(&self, path: &[&str]) -> Option<Location> {
        self.node(path)
            .and_then(|n| n.value)
            .or_else(|| self.key(path))
    }

    /// The file position of `line`:`column` (1-based) inside the string value
    /// at `path`, e.g. a template's syntax error. Exact for block scalars (`|`)
    /// and single-line values; approximate for multi-line quoted strings.
    /// `None` when the position would fall past the end of the file.
    pub fn inside_value(&self, path: &[&str], line: usize, column: usize) -> Option<Location> {
        let node = self.node(path)?;
        let start = node.value?;
        let (line, column) = (line.max(1), column.max(1));
        let location = match node.style {
            Some(TScalarStyle::Literal | TScalarStyle::Folded) => {
                // The content starts on the line after the key and its `|`
                // indicator, at the block's indentation.
                let first = node.key.map_or(start.line, |key| key.line + 1);
                let indent = self
                    .lines
                    .get(first.saturating_sub(1)..)
                    .unwrap_or_default()
                    .iter()
                    .find(|l| !l.trim().is_empty())
                    .map_or(0, |l| l.len() - l.trim_start().len());
                Location {
                    line: first + line - 1,
                    column: indent + column,
                }
            }
            style => {
                let quote = usize::from(matches!(
                    style,
                    Some(TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted)
                ));
                if line == 1 {
                    Location {
                        line: start.line,
                        column: start.column + quote + column - 1,
                    }
                } else {
                    Location {
                        line: start.line + line - 1,
                        column,
                    }
                }
            }
        };
        // The line after the last is where a file that ends with a line
        // break ends.
        (location.line <= self.lines.len() + 1).then_some(location)
    }

    /// An empty set of positions in the file `source` was scanned from, to be
    /// filled with [`Locations::alias`]: for a configuration converted from
    /// another format, whose key paths differ from the file's.
    pub fn imported(source: &Locations) -> Self {
        Self {
            nodes: HashMap::new(),
            lines: source.lines.clone(),
            duplicates: Vec::new(),
        }
    }

    /// Gives the key path `path` the positions that `source_path` has in
    /// `source`, the node's quoting included, so that a template's error in
    /// a converted configuration still points inside the template's text.
    /// Does nothing when `source` does not know `source_path`.
    pub fn alias(&mut self, path: &[&str], source: &Locations, source_path: &[&str]) {
        if let Some(node) = source.node(source_path) {
            let key: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            self.nodes.insert(key, *node);
        }
    }

    fn node(&self, path: &[&str]) -> Option<&Node> {
        let key: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        self.nodes.get(&key)
    }
}

/// The lines of `text` as the YAML scanner counts them, and so as its
/// positions number them: `\r\n`, `\n` and a bare `\r` each end a line
/// (`str::lines` takes a bare `\r` for part of the line).
fn yaml_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text).filter(|t| !t.is_empty());
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(end) => {
                let next = if text[end..].starts_with("\r\n") {
                    end + 2
                } else {
                    end + 1
                };
                rest = Some(&text[next..]).filter(|r| !r.is_empty());
                Some(&text[..end])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

enum Frame {
    Mapping {
        pending_key: Option<String>,
        /// The keys written so far, with where.
        seen: HashMap<String, Location>,
    },
    Sequence {
        next: usize,
    },
}

#[derive(Default)]
struct Receiver {
    nodes: HashMap<Vec<String>, Node>,
    stack: Vec<Frame>,
    path: Vec<String>,
    duplicates: Vec<DuplicateKey>,
}

impl Receiver {
    fn location(mark: Marker) -> Location {
        Location {
            line: mark.line(),
            column: mark.col() + 1,
        }
    }

    /// Records a value (scalar or the start of a collection) at the current
    /// position. Returns whether a path segment was pushed for it.
    fn value(&mut self, mark: Marker, style: Option<TScalarStyle>) -> bool {
        let segment = match self.stack.last_mut() {
            Some(Frame::Mapping { pending_key, .. }) => match pending_key.take() {
                Some(key) => key,
                None => return false,
            },
            Some(Frame::Sequence { next }) => {
                *next += 1;
                (*next - 1).to_string()
            }
            None => {
                self.nodes.entry(Vec::new()).or_default().value = Some(Self::location(mark));
                return false;
            }
        };
        self.path.push(segment);
        let node = self.nodes.entry(self.path.clone()).or_default();
        node.value = Some(Self::location(mark));
        node.style = style;
        true
    }

    fn end_value(&mut self, pushed: bool) {
        if pushed {
            self.path.pop();
        }
    }
}

impl MarkedEventReceiver for Receiver {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, style, ..) => {
                if let Some(Frame::Mapping { pending_key, seen }) = self.stack.last_mut()
                    && pending_key.is_none()
                {
                    *pending_key = Some(text.clone());
                    let here = Self::location(mark);
                    let mut path = self.path.clone();
                    path.push(text.clone());
                    if let Some(&first) = seen.get(&text) {
                        // Forget the first occurrence's positions, so that
                        // those of the one serde keeps are not mixed with them.
                        self.nodes.retain(|p, _| !p.starts_with(&path));
                        self.duplicates.push(DuplicateKey {
                            parent: self.path.clone(),
                            key: text,
                            first,
                            again: here,
                        });
                    } else {
                        seen.insert(text, here);
                    }
                    self.nodes.entry(path).or_default().key = Some(here);
                    return;
                }
                let pushed = self.value(mark, Some(style));
                self.end_value(pushed);
            }
            Event::Alias(_) => {
                let pushed = self.value(mark, None);
                self.end_value(pushed);
            }
            Event::MappingStart(..) => {
                let pushed = self.value(mark, None);
                if !pushed && !self.stack.is_empty() {
                    // A mapping used as a key: not something this config uses.
                    self.path.push(String::new());
                }
                self.stack.push(Frame::Mapping {
                    pending_key: None,
                    seen: HashMap::new(),
                });
            }
            Event::SequenceStart(..) => {
                let pushed = self.value(mark, None);
                if !pushed && !self.stack.is_empty() {
                    self.path.push(String::new());
                }
                self.stack.push(Frame::Sequence { next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                if !self.stack.is_empty() {
                    self.path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
listen: 127.0.0.1:8080
resources:
  /streams:
    GET:
      integration:
        action: ListStreams
        request_templates:
          application/json: |
            {
              \"a\": #if(
            }
          text/plain: '{}'
  /other:
    - one
    - two
";

    #[test]
    fn finds_keys_and_values() {
        let l = Locations::scan(TEXT).unwrap();
        assert_eq!(l.key(&["listen"]), Some(Location { line: 1, column: 1 }));
        assert_eq!(l.value(&["listen"]), Some(Location { line: 1, column: 9 }));
        assert_eq!(
            l.key(&["resources", "/streams", "GET", "integration", "action"]),
            Some(Location { line: 6, column: 9 })
        );
        assert_eq!(
            l.value(&["resources", "/other", "1"]),
            Some(Location {
                line: 15,
                column: 7
            })
        );
        // A missing key falls back to its parent.
        assert_eq!(
            l.key(&["resources", "/streams", "GET", "nope"]),
            Some(Location { line: 4, column: 5 })
        );
    }

    #[test]
    fn finds_keys_written_twice_anywhere() {
        let text = "\
resources:
  /s:
    GET:
      integration: {type: aws, type: http}
    POST: {}
    GET:
      integration:
        action: B
  /t: {}
  /s: {}
models:
  M: {properties: {a: 1, a: 2}}
list:
  - {k: 1, k: 2}
";
        let l = Locations::scan(text).unwrap();
        let found: Vec<(String, &str, usize, Location)> = l
            .duplicates()
            .iter()
            .map(|d| (d.parent.join("."), d.key.as_str(), d.first.line, d.again))
            .collect();
        let at = |line, column| Location { line, column };
        assert_eq!(
            found,
            [
                ("resources./s.GET.integration".into(), "type", 4, at(4, 32)),
                ("resources./s".into(), "GET", 3, at(6, 5)),
                ("resources".into(), "/s", 2, at(10, 3)),
                ("models.M.properties".into(), "a", 12, at(12, 26)),
                ("list.0".into(), "k", 14, at(14, 12)),
            ]
        );
        // The positions kept are the last occurrence's, and nothing of the
        // first survives under it.
        assert_eq!(l.key(&["resources", "/s"]), Some(at(10, 3)));
        assert_eq!(l.node(&["resources", "/s", "POST"]).map(|n| n.key), None);
    }

    #[test]
    fn the_same_key_in_different_mappings_is_not_a_duplicate() {
        let text = "a:\n  x: 1\nb:\n  x: 1\nc:\n  - x: 1\n  - x: 1\n";
        assert_eq!(Locations::scan(text).unwrap().duplicates(), []);
    }

    /// `gateway validate` and `run` exited 101 on a file with bare CR line
    /// breaks and a template error: the scanner counts a bare `\r` as a line
    /// break, `str::lines` did not, and the block's first line was looked up
    /// past the end of the file's lines.
    #[test]
    fn cr_line_breaks_and_a_template_error_do_not_panic() {
        let text = "resources:\r\r\r\r\r\r\r\r\r\r\n  /a:\n    GET:\n      integration:\n        type: mock\n        request_templates:\n          application/json: |\n            #if(\n";
        let l = Locations::scan(text).unwrap();
        let block = [
            "resources",
            "/a",
            "GET",
            "integration",
            "request_templates",
            "application/json",
        ];
        assert_eq!(
            l.key(&["resources", "/a"]),
            Some(Location {
                line: 11,
                column: 3
            })
        );
        assert_eq!(
            l.inside_value(&block, 1, 1),
            Some(Location {
                line: 17,
                column: 13
            })
        );
        // A position the file does not have is no position, never a panic.
        assert_eq!(l.inside_value(&block, 1_000, 1), None);
        assert_eq!(l.inside_value(&block, 0, 0).map(|p| p.line), Some(17));
    }

    #[test]
    fn lines_end_where_the_yaml_scanner_ends_them() {
        let lines = |text| yaml_lines(text).collect::<Vec<_>>();
        assert_eq!(lines("a\rb\r\nc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(lines("a\r\r\n\n"), ["a", "", ""]);
        assert_eq!(lines(""), [""; 0]);
        assert_eq!(lines("\r"), [""]);
    }

    #[test]
    fn maps_positions_inside_templates_to_the_file() {
        let l = Locations::scan(TEXT).unwrap();
        let block = [
            "resources",
            "/streams",
            "GET",
            "integration",
            "request_templates",
            "application/json",
        ];
        // Template line 2, column 8 is the `#` of `#if(`.
        assert_eq!(
            l.inside_value(&block, 2, 8),
            Some(Location {
                line: 10,
                column: 20
            })
        );
        let quoted = [
            "resources",
            "/streams",
            "GET",
            "integration",
            "request_templates",
            "text/plain",
        ];
        assert_eq!(
            l.inside_value(&quoted, 1, 2),
            Some(Location {
                line: 12,
                column: 25
            })
        );
    }
}
