//! A CloudFormation template as a tree of nodes that remember where they are
//! written, so that a reference that does not resolve can be reported at its
//! line and column.
//!
//! YAML and JSON are read by the same YAML parser (JSON is YAML's flow
//! style). The short-form tags (`!Ref X`, `!Sub ...`, `!GetAtt A.B`) become
//! the long form they abbreviate (`{"Ref": "X"}`), as CloudFormation reads
//! them, so that the resolver sees one shape only. Text the YAML parser
//! refuses but serde_json reads (JSON with tabs for indentation) is read
//! without positions; its problems are named by JSON pointer instead.
//!
//! Input is untrusted: nesting depth, the number of nodes (aliases included:
//! a "billion laughs" of anchors is refused) and the size of included files
//! are bounded in [`super::limits`].

use std::collections::HashMap;
use std::fmt;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::limits::{MAX_DEPTH, MAX_NODES};

/// Where a node is written: a 1-based line and column, and the file (0 the
/// template itself, higher numbers the files it includes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub file: usize,
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// A node of a document read without positions.
    pub const NONE: Pos = Pos {
        file: usize::MAX,
        line: 0,
        column: 0,
    };

    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

/// One value of the template, with its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    /// Keys in file order. A key written twice keeps its last value, as
    /// CloudFormation's JSON and YAML readers do.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn new(pos: Pos, value: Value) -> Self {
        Self { pos, value }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The intrinsic function this node calls, if it is one: a mapping with
    /// exactly one key that is `Ref`, `Condition` or starts with `Fn::`.
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match &self.value {
            Value::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                let is_function = key == "Ref" || key == "Condition" || key.starts_with("Fn::");
                is_function.then_some((key.as_str(), value))
            }
            _ => None,
        }
    }

    /// What the node is, for messages: `a string`, `a list`.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Reads a JSON value (no positions).
    pub fn from_json(value: &serde_json::Value) -> Self {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.clone()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Seq(items.iter().map(Self::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Self::from_json(v)))
                    .collect(),
            ),
        };
        Self::new(Pos::NONE, value)
    }
}

/// A template that cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub pos: Option<Pos>,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses a template (YAML or JSON), numbering its positions as file `file`.
pub fn parse(text: &str, file: usize) -> Result<Node, ParseError> {
    match parse_yaml(text, file) {
        Ok(node) => Ok(node),
        Err(yaml_error) => {
            // JSON that the YAML reader refuses (tabs before keys): read it
            // as JSON, without positions.
            if text.trim_start().starts_with('{')
                && let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
            {
                if depth(&value) > MAX_DEPTH {
                    return Err(ParseError {
                        pos: None,
                        message: format!("nested more than {MAX_DEPTH} levels deep"),
                    });
                }
                return Ok(Node::from_json(&value));
            }
            Err(yaml_error)
        }
    }
}

fn depth(value: &serde_json::Value) -> usize {
    // serde_json refuses more than 128 levels itself, so this recursion is bounded.
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        tag: Option<Tag>,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        tag: Option<Tag>,
        entries: Vec<(String, Node)>,
        key: Option<(String, Pos)>,
    },
}

/// Reads events one at a time with an explicit stack, so that deep nesting
/// is refused at [`MAX_DEPTH`] instead of overflowing the call stack.
fn parse_yaml(text: &str, file: usize) -> Result<Node, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut nodes = 0usize;
    let mut root: Option<Node> = None;
    let at = |mark: Marker| Pos {
        file,
        line: mark.line(),
        column: mark.col() + 1,
    };
    loop {
        let (event, mark) = parser.next_token().map_err(|e| ParseError {
            pos: Some(Pos {
                file,
                line: e.marker().line(),
                column: e.marker().col() + 1,
            }),
            message: format!("not valid YAML or JSON: {}", e.info()),
        })?;
        let pos = at(mark);
        let complete = match event {
            Event::StreamEnd => break,
            Event::DocumentStart if root.is_some() => {
                return Err(ParseError {
                    pos: Some(pos),
                    message: "more than one YAML document: a template is one".to_string(),
                });
            }
            Event::Scalar(text, style, anchor, tag) => {
                let node = tagged(scalar(pos, text, style, tag.as_ref())?, tag.as_ref(), pos)?;
                remember(&mut anchors, anchor, &node);
                Some(node)
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().ok_or_else(|| ParseError {
                    pos: Some(pos),
                    message: "an alias to an anchor not defined before it".to_string(),
                })?;
                nodes += count(&node);
                Some(node)
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if stack.len() >= MAX_DEPTH =>
            {
                let _ = (anchor, tag);
                return Err(ParseError {
                    pos: Some(pos),
                    message: format!("nested more than {MAX_DEPTH} levels deep"),
                });
            }
            Event::SequenceStart(anchor, tag) => {
                stack.push(Frame::Seq {
                    pos,
                    anchor,
                    tag,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                stack.push(Frame::Map {
                    pos,
                    anchor,
                    tag,
                    entries: Vec::new(),
                    key: None,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match stack.pop() {
                    Some(Frame::Seq {
                        pos,
                        anchor,
                        tag,
                        items,
                    }) => (
                        tagged(Node::new(pos, Value::Seq(items)), tag.as_ref(), pos)?,
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        tag,
                        entries,
                        ..
                    }) => (
                        tagged(Node::new(pos, Value::Map(entries)), tag.as_ref(), pos)?,
                        anchor,
                    ),
                    None => continue,
                };
                remember(&mut anchors, anchor, &node);
                Some(node)
            }
            _ => None,
        };
        let Some(node) = complete else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(ParseError {
                pos: Some(pos),
                message: format!("more than {MAX_NODES} values (aliases counted as copies)"),
            });
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((key, _)) => {
                    entries.retain(|(k, _)| *k != key);
                    entries.push((key, node));
                }
                None => {
                    let name = match node.value {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => "null".to_string(),
                        _ => {
                            return Err(ParseError {
                                pos: Some(node.pos),
                                message: "a key that is a list or a mapping".to_string(),
                            });
                        }
                    };
                    *key = Some((name, node.pos));
                }
            },
        }
    }
    Ok(root.unwrap_or(Node::new(
        Pos {
            file,
            line: 1,
            column: 1,
        },
        Value::Null,
    )))
}

fn remember(anchors: &mut HashMap<usize, Node>, anchor: usize, node: &Node) {
    if anchor > 0 {
        anchors.insert(anchor, node.clone());
    }
}

fn count(node: &Node) -> usize {
    let mut total = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        total += 1;
        match &node.value {
            Value::Seq(items) => pending.extend(items),
            Value::Map(entries) => pending.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    total
}

/// A scalar's value under YAML 1.2's core schema: a plain `true`, `12` or
/// `null` is typed, a quoted one is a string.
fn scalar(
    pos: Pos,
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<Node, ParseError> {
    let value = match (style, tag) {
        (TScalarStyle::Plain, None) => plain(text),
        (_, Some(tag)) if tag.handle == "tag:yaml.org,2002:" => match tag.suffix.as_str() {
            "str" => Value::String(text),
            "null" => Value::Null,
            _ => plain(text),
        },
        _ => Value::String(text),
    };
    Ok(Node::new(pos, value))
}

fn plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            let looks_numeric = text
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
            if looks_numeric
                && let Ok(serde_json::Value::Number(n)) =
                    serde_json::from_str::<serde_json::Value>(text.trim_start_matches('+'))
            {
                Value::Number(n)
            } else {
                Value::String(text)
            }
        }
    }
}

/// The long form a short-form tag abbreviates.
fn function_of_tag(suffix: &str) -> Option<&'static str> {
    Some(match suffix {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "Sub" => "Fn::Sub",
        "GetAtt" => "Fn::GetAtt",
        "Join" => "Fn::Join",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "If" => "Fn::If",
        "FindInMap" => "Fn::FindInMap",
        "ImportValue" => "Fn::ImportValue",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "GetAZs" => "Fn::GetAZs",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        _ => return None,
    })
}

/// Wraps a node written with a short-form tag into the function's long form.
fn tagged(node: Node, tag: Option<&Tag>, pos: Pos) -> Result<Node, ParseError> {
    let Some(tag) = tag else { return Ok(node) };
    if tag.handle == "tag:yaml.org,2002:" {
        return Ok(node);
    }
    let suffix = if tag.handle == "!" {
        tag.suffix.as_str()
    } else {
        ""
    };
    let Some(function) = function_of_tag(suffix) else {
        return Err(ParseError {
            pos: Some(pos),
            message: format!(
                "unknown tag `{}{}`: CloudFormation's short forms are !Ref, !Sub, !GetAtt, !Join, !Select, !Split, !If, !FindInMap, !ImportValue, !Equals, !Not, !And, !Or, !Condition, !Base64, !Cidr, !GetAZs and !Transform",
                tag.handle, tag.suffix
            ),
        });
    };
    let argument = match (function, node.value) {
        // `!GetAtt Resource.Attribute` is the list `[Resource, Attribute]`;
        // the attribute may itself hold dots (`Outputs.Name`).
        ("Fn::GetAtt", Value::String(text)) => match text.split_once('.') {
            Some((resource, attribute)) => Node::new(
                node.pos,
                Value::Seq(vec![
                    Node::new(node.pos, Value::String(resource.to_string())),
                    Node::new(node.pos, Value::String(attribute.to_string())),
                ]),
            ),
            None => Node::new(node.pos, Value::String(text)),
        },
        (_, value) => Node::new(node.pos, value),
    };
    Ok(Node::new(
        pos,
        Value::Map(vec![(function.to_string(), argument)]),
    ))
}

/// A node as plain JSON, for parts that hold no intrinsic functions.
pub fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::Value::Number(n.clone()),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        to_json(&parse(text, 0).unwrap())
    }

    #[test]
    fn short_forms_become_long_forms() {
        let text = "\
A: !Ref Stream
B: !Sub 'arn:${AWS::Partition}:x'
C: !GetAtt Role.Arn
D: !GetAtt [Role, Arn]
E: !Join ['', [a, !Ref B]]
F: !If [IsProd, 1, !Ref AWS::NoValue]
G: !Equals [a, b]
H: !Condition IsProd
I: !GetAtt Stack.Outputs.Name
";
        assert_eq!(
            json(text),
            serde_json::json!({
                "A": {"Ref": "Stream"},
                "B": {"Fn::Sub": "arn:${AWS::Partition}:x"},
                "C": {"Fn::GetAtt": ["Role", "Arn"]},
                "D": {"Fn::GetAtt": ["Role", "Arn"]},
                "E": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
                "F": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]},
                "G": {"Fn::Equals": ["a", "b"]},
                "H": {"Condition": "IsProd"},
                "I": {"Fn::GetAtt": ["Stack", "Outputs.Name"]},
            })
        );
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let node = parse("Resources:\n  Api:\n    Type: !Ref X\n", 0).unwrap();
        let ty = node
            .get("Resources")
            .unwrap()
            .get("Api")
            .unwrap()
            .get("Type")
            .unwrap();
        // A tagged scalar is placed at its text, after the tag.
        assert_eq!((ty.pos.line, ty.pos.column), (3, 16));
        let (_, argument) = ty.intrinsic().unwrap();
        assert_eq!(argument.as_str(), Some("X"));
    }

    #[test]
    fn json_is_read_with_positions() {
        let node = parse(
            "{\n \"Resources\": {\n  \"A\": {\"Ref\": \"B\"}\n }\n}\n",
            0,
        )
        .unwrap();
        let a = node.get("Resources").unwrap().get("A").unwrap();
        assert_eq!((a.pos.line, a.pos.column), (3, 8));
        assert_eq!(a.intrinsic().unwrap().0, "Ref");
    }

    #[test]
    fn json_with_tabs_is_read_without_positions() {
        let node = parse("{\n\t\"A\": {\n\t\t\"Ref\": \"B\"\n\t}\n}\n", 0).unwrap();
        assert_eq!(to_json(&node), serde_json::json!({"A": {"Ref": "B"}}));
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        assert_eq!(
            json("a: 12\nb: '12'\nc: true\nd: ~\ne: 1.5\nf: 2010-09-09\ng: !!str 3\n"),
            serde_json::json!({"a": 12, "b": "12", "c": true, "d": null, "e": 1.5, "f": "2010-09-09", "g": "3"})
        );
    }

    #[test]
    fn an_unknown_tag_is_an_error_at_its_place() {
        let err = parse("a:\n  b: !Frobnicate x\n", 0).unwrap_err();
        assert_eq!(err.pos.map(|p| (p.line, p.column)), Some((2, 18)));
        assert!(
            err.message.contains("unknown tag `!Frobnicate`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn nesting_and_alias_bombs_are_refused() {
        let deep = "[".repeat(MAX_DEPTH + 10);
        // The YAML parser's own recursion limit, or ours, whichever is lower.
        let err = parse(&deep, 0).unwrap_err();
        assert!(
            err.message.contains("levels deep") || err.message.contains("recursion limit"),
            "{}",
            err.message
        );

        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let err = parse(&bomb, 0).unwrap_err();
        assert!(err.message.contains("values"), "{}", err.message);
    }

    #[test]
    fn aliases_copy_their_anchor() {
        assert_eq!(
            json("a: &x {k: v}\nb: *x\n"),
            serde_json::json!({"a": {"k": "v"}, "b": {"k": "v"}})
        );
    }

    #[test]
    fn not_yaml_is_an_error_with_a_place() {
        let err = parse("a: [\n", 0).unwrap_err();
        assert!(err.pos.is_some());
    }
}
