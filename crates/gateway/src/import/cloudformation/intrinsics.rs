//! Resolving CloudFormation's intrinsic functions, parameters, pseudo
//! parameters and references into plain JSON, as CloudFormation would when
//! it creates the stack.
//!
//! Only what the API needs is resolved: a template holds functions, roles and
//! tables whose references cannot be worked out offline, and they are no
//! error unless the API uses them. What cannot be resolved is an error at
//! the place of the reference, never an empty string; `--parameter` and
//! `--resource` values always win over what the template says.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value as Json;

use super::limits::{MAX_INCLUDE_BYTES, MAX_INCLUDES, MAX_NESTING, MAX_STRING_BYTES};
use super::references;
use super::template::{self, Node, Pos, Value};
use crate::import::ImportOptions;

/// A reference or function that cannot be resolved, at its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub pos: Pos,
    pub message: String,
}

impl Error {
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
        }
    }
}

type Result<T> = std::result::Result<T, Error>;

/// The account moto and LocalStack use, and so the offline default.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The region when nothing says otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";
/// `AWS::StackName` when `--parameter AWS::StackName=...` does not say.
pub const DEFAULT_STACK_NAME: &str = "local";

/// The template's values and the command line's, for resolving.
#[derive(Debug)]
pub struct Resolver<'a> {
    pub template: &'a Node,
    pub options: &'a ImportOptions,
    pseudo: BTreeMap<&'static str, String>,
    conditions: RefCell<HashMap<String, bool>>,
    /// Resources and conditions being resolved, to refuse cycles.
    visiting: RefCell<Vec<String>>,
    /// The template (index 0) and the files it includes, by [`Pos::file`].
    files: RefCell<Vec<PathBuf>>,
}

impl<'a> Resolver<'a> {
    /// `env` reads the environment (the region's defaults).
    pub fn new(
        path: &Path,
        template: &'a Node,
        options: &'a ImportOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let given = |name: &str| options.parameters.get(name).cloned();
        let region = given("AWS::Region")
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| DEFAULT_REGION.to_string());
        // The partition and the domain follow the region, as in AWS.
        let (partition, suffix) = if region.starts_with("cn-") {
            ("aws-cn", "amazonaws.com.cn")
        } else if region.starts_with("us-gov-") {
            ("aws-us-gov", "amazonaws.com")
        } else {
            ("aws", "amazonaws.com")
        };
        let account = given("AWS::AccountId").unwrap_or_else(|| DEFAULT_ACCOUNT.to_string());
        let stack = given("AWS::StackName").unwrap_or_else(|| DEFAULT_STACK_NAME.to_string());
        let pseudo = BTreeMap::from([
            (
                "AWS::StackId",
                format!(
                    "arn:{partition}:cloudformation:{region}:{account}:stack/{stack}/00000000-0000-0000-0000-000000000000"
                ),
            ),
            ("AWS::Partition", partition.to_string()),
            ("AWS::URLSuffix", suffix.to_string()),
            ("AWS::Region", region),
            ("AWS::AccountId", account),
            ("AWS::StackName", stack),
        ]);
        Self {
            template,
            options,
            pseudo,
            conditions: RefCell::new(HashMap::new()),
            visiting: RefCell::new(Vec::new()),
            files: RefCell::new(vec![path.to_path_buf()]),
        }
    }

    /// A pseudo parameter's value, `--parameter` included.
    pub fn pseudo(&self, name: &str) -> &str {
        self.options
            .parameters
            .get(name)
            .or_else(|| self.pseudo.get(name))
            .map_or("", String::as_str)
    }

    /// The file a position is in.
    pub fn file(&self, pos: Pos) -> Option<PathBuf> {
        self.files.borrow().get(pos.file).cloned()
    }

    /// A resource of the template by logical id.
    pub fn resource(&self, id: &str) -> Option<&'a Node> {
        self.template.get("Resources")?.get(id)
    }

    /// Resolves `node` into JSON. `None`: the node is `Ref AWS::NoValue`
    /// (or a function that gave it), and its key or list item is left out.
    pub fn resolve(&self, node: &Node) -> Result<Option<Json>> {
        self.value(node, 0)
    }

    /// Resolves a node that must give a string (numbers are written out, as
    /// CloudFormation does for properties of type String).
    pub fn resolve_string(&self, node: &Node) -> Result<String> {
        self.string(node, 0)
    }

    fn some(&self, node: &Node, depth: usize) -> Result<Json> {
        self.value(node, depth)?
            .ok_or_else(|| Error::new(node.pos, "`AWS::NoValue` where a value is needed"))
    }

    fn string(&self, node: &Node, depth: usize) -> Result<String> {
        let value = self.some(node, depth)?;
        scalar_string(&value).ok_or_else(|| {
            Error::new(
                node.pos,
                format!("expected a string, found {}", describe(&value)),
            )
        })
    }

    fn value(&self, node: &Node, depth: usize) -> Result<Option<Json>> {
        if depth > MAX_NESTING {
            return Err(Error::new(
                node.pos,
                format!(
                    "intrinsic functions and references nested more than {MAX_NESTING} levels deep"
                ),
            ));
        }
        if let Some((function, argument)) = node.intrinsic()
            && (function != "Condition" || argument.as_str().is_some())
        {
            return self.function(node.pos, function, argument, depth + 1);
        }
        Ok(Some(match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(value) = self.value(item, depth + 1)? {
                        out.push(value);
                    }
                }
                Json::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (key, value) in entries {
                    if let Some(value) = self.value(value, depth + 1)? {
                        out.insert(key.clone(), value);
                    }
                }
                Json::Object(out)
            }
            _ => template::to_json(node),
        }))
    }

    fn function(
        &self,
        pos: Pos,
        function: &str,
        argument: &Node,
        depth: usize,
    ) -> Result<Option<Json>> {
        let value = match function {
            "Ref" => return self.reference(pos, argument, depth),
            "Fn::Sub" => Json::String(self.sub(pos, argument, depth)?),
            "Fn::Join" => Json::String(self.join(pos, argument, depth)?),
            "Fn::GetAtt" => self.get_att(pos, argument, depth)?,
            "Fn::Select" => return self.select(pos, argument, depth),
            "Fn::Split" => {
                let [delimiter, source] = arguments(pos, function, argument)?;
                let delimiter = self.string(delimiter, depth)?;
                let source = self.string(source, depth)?;
                if delimiter.is_empty() {
                    return Err(Error::new(pos, "Fn::Split: the delimiter is empty"));
                }
                Json::Array(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Json::String(s.to_string()))
                        .collect(),
                )
            }
            "Fn::If" => {
                let [condition, yes, no] = arguments(pos, function, argument)?;
                let name = condition.as_str().ok_or_else(|| {
                    Error::new(
                        condition.pos,
                        "Fn::If: the first argument must be a condition's name",
                    )
                })?;
                let chosen = if self.condition(condition.pos, name, depth)? {
                    yes
                } else {
                    no
                };
                return self.value(chosen, depth);
            }
            "Fn::FindInMap" => self.find_in_map(pos, argument, depth)?,
            "Fn::ImportValue" => {
                let name = self.string(argument, depth)?;
                self.import_value(pos, &name, depth)?
            }
            "Fn::Base64" => Json::String(
                base64::engine::general_purpose::STANDARD.encode(self.string(argument, depth)?),
            ),
            "Fn::Length" => match self.some(argument, depth)? {
                Json::Array(items) => Json::from(items.len()),
                other => {
                    return Err(Error::new(
                        pos,
                        format!("Fn::Length: expected a list, found {}", describe(&other)),
                    ));
                }
            },
            "Fn::ToJsonString" => Json::String(self.some(argument, depth)?.to_string()),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => {
                Json::Bool(self.boolean(pos, function, argument, depth)?)
            }
            "Fn::Transform" => return self.transform(pos, argument, depth),
            "Fn::GetAZs" | "Fn::Cidr" => {
                return Err(Error::new(
                    pos,
                    format!("{function} is not supported: its value depends on the AWS account"),
                ));
            }
            other => {
                return Err(Error::new(
                    pos,
                    format!("unknown intrinsic function `{other}`"),
                ));
            }
        };
        if let Json::String(s) = &value
            && s.len() > MAX_STRING_BYTES
        {
            return Err(Error::new(
                pos,
                format!("{function} makes a string longer than {MAX_STRING_BYTES} bytes"),
            ));
        }
        Ok(Some(value))
    }

    /// `Ref`: a parameter, a pseudo parameter or a resource.
    fn reference(&self, pos: Pos, argument: &Node, depth: usize) -> Result<Option<Json>> {
        let name = match argument.as_str() {
            Some(name) => name.to_string(),
            None => self.string(argument, depth)?,
        };
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        self.named(pos, &name, depth).map(Some)
    }

    /// What `Ref name` gives, and so `${name}` in `Fn::Sub`.
    fn named(&self, pos: Pos, name: &str, depth: usize) -> Result<Json> {
        let declared = self.template.get("Parameters").and_then(|p| p.get(name));
        if let Some(value) = self.options.parameters.get(name) {
            return Ok(parameter_value(declared, value));
        }
        if let Some(value) = self.options.resources.get(name) {
            return Ok(Json::String(value.clone()));
        }
        if let Some(value) = self.pseudo.get(name) {
            return Ok(Json::String(value.clone()));
        }
        if let Some(declared) = declared {
            return self.parameter(pos, name, declared);
        }
        if name.starts_with("AWS::") {
            return Err(Error::new(
                pos,
                format!(
                    "the pseudo parameter `{name}` has no value offline: give --parameter {name}=VALUE"
                ),
            ));
        }
        if let Some(resource) = self.resource(name) {
            return self.guarded(pos, name, || {
                references::reference(self, pos, name, resource, depth)
            });
        }
        Err(Error::new(
            pos,
            format!(
                "`{name}` is not a parameter, a resource or a pseudo parameter of this template; give --parameter {name}=VALUE or --resource {name}=VALUE"
            ),
        ))
    }

    fn parameter(&self, pos: Pos, name: &str, declared: &Node) -> Result<Json> {
        let Some(default) = declared.get("Default") else {
            return Err(Error::new(
                pos,
                format!("the parameter `{name}` has no Default: give --parameter {name}=VALUE"),
            ));
        };
        let kind = declared
            .get("Type")
            .and_then(Node::as_str)
            .unwrap_or("String");
        if kind.starts_with("AWS::SSM::Parameter::Value") {
            return Err(Error::new(
                pos,
                format!(
                    "the parameter `{name}` is read from SSM when the stack is made: give --parameter {name}=VALUE"
                ),
            ));
        }
        let text = match &default.value {
            Value::Seq(items) => items
                .iter()
                .map(|i| scalar_string(&template::to_json(i)).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(","),
            _ => scalar_string(&template::to_json(default)).ok_or_else(|| {
                Error::new(
                    default.pos,
                    format!("the Default of `{name}` is {}", default.kind()),
                )
            })?,
        };
        if let Some(allowed) = declared.get("AllowedValues").and_then(Node::as_seq) {
            let allowed: Vec<String> = allowed
                .iter()
                .filter_map(|a| scalar_string(&template::to_json(a)))
                .collect();
            if !allowed.contains(&text) {
                return Err(Error::new(
                    default.pos,
                    format!("the Default of `{name}`, `{text}`, is not one of its AllowedValues"),
                ));
            }
        }
        Ok(parameter_value(Some(declared), &text))
    }

    /// Runs `f` for `name`, refusing a reference back to `name` while it runs.
    fn guarded(&self, pos: Pos, name: &str, f: impl FnOnce() -> Result<Json>) -> Result<Json> {
        if self.visiting.borrow().iter().any(|v| v == name) {
            let chain = self.visiting.borrow().join(" → ");
            return Err(Error::new(
                pos,
                format!("`{name}` refers to itself: {chain} → {name}"),
            ));
        }
        self.visiting.borrow_mut().push(name.to_string());
        let result = f();
        self.visiting.borrow_mut().pop();
        result
    }

    fn sub(&self, pos: Pos, argument: &Node, depth: usize) -> Result<String> {
        let (text_node, variables) = match &argument.value {
            Value::String(_) => (argument, None),
            Value::Seq(items) if items.len() == 2 => (&items[0], Some(&items[1])),
            _ => {
                return Err(Error::new(
                    pos,
                    "Fn::Sub takes a string, or a list of a string and a mapping of variables",
                ));
            }
        };
        let text = text_node
            .as_str()
            .ok_or_else(|| Error::new(text_node.pos, "Fn::Sub: the text must be a string"))?;
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                // No closing brace: the rest is text, as CloudFormation leaves it.
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let name = name.trim();
                let given = variables.and_then(|v| v.get(name));
                let value = match given {
                    Some(node) => self.some(node, depth)?,
                    None => self.variable(text_node.pos, name, depth)?,
                };
                let value = scalar_string(&value).ok_or_else(|| {
                    Error::new(
                        text_node.pos,
                        format!(
                            "Fn::Sub: `${{{name}}}` is {}, not a string",
                            describe(&value)
                        ),
                    )
                })?;
                out.push_str(&value);
            }
            if out.len() > MAX_STRING_BYTES {
                return Err(Error::new(
                    pos,
                    format!("Fn::Sub makes a string longer than {MAX_STRING_BYTES} bytes"),
                ));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `${name}` in `Fn::Sub`: a `Ref`, or with a dot a `Fn::GetAtt`.
    fn variable(&self, pos: Pos, name: &str, depth: usize) -> Result<Json> {
        if name.is_empty() {
            return Err(Error::new(pos, "Fn::Sub: an empty `${}`"));
        }
        // A dot makes it an attribute: parameters' names have none.
        match name.split_once('.') {
            Some((resource, attribute)) => self.attribute(pos, resource, attribute, depth),
            None => self.named(pos, name, depth),
        }
    }

    fn join(&self, pos: Pos, argument: &Node, depth: usize) -> Result<String> {
        let [delimiter, list] = arguments(pos, "Fn::Join", argument)?;
        let delimiter = self.string(delimiter, depth)?;
        let items = match self.some(list, depth)? {
            Json::Array(items) => items,
            other => {
                return Err(Error::new(
                    list.pos,
                    format!("Fn::Join: expected a list, found {}", describe(&other)),
                ));
            }
        };
        let mut parts = Vec::with_capacity(items.len());
        for item in &items {
            parts.push(scalar_string(item).ok_or_else(|| {
                Error::new(
                    list.pos,
                    format!(
                        "Fn::Join: the list holds {}, not only strings",
                        describe(item)
                    ),
                )
            })?);
        }
        Ok(parts.join(&delimiter))
    }

    fn select(&self, pos: Pos, argument: &Node, depth: usize) -> Result<Option<Json>> {
        let [index, list] = arguments(pos, "Fn::Select", argument)?;
        let index_value = self.some(index, depth)?;
        let index_number = scalar_string(&index_value)
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| {
                Error::new(
                    index.pos,
                    format!(
                        "Fn::Select: the index is {}, not a number from 0",
                        describe(&index_value)
                    ),
                )
            })?;
        match self.some(list, depth)? {
            Json::Array(items) => {
                let len = items.len();
                items
                    .into_iter()
                    .nth(index_number)
                    .map(Some)
                    .ok_or_else(|| {
                        Error::new(
                            index.pos,
                            format!("Fn::Select: index {index_number} of a list of {len}"),
                        )
                    })
            }
            other => Err(Error::new(
                list.pos,
                format!("Fn::Select: expected a list, found {}", describe(&other)),
            )),
        }
    }

    fn get_att(&self, pos: Pos, argument: &Node, depth: usize) -> Result<Json> {
        let (resource, attribute) = match &argument.value {
            Value::Seq(items) if items.len() == 2 => {
                let resource = items[0].as_str().ok_or_else(|| {
                    Error::new(
                        items[0].pos,
                        "Fn::GetAtt: the resource must be a logical id",
                    )
                })?;
                (resource.to_string(), self.string(&items[1], depth)?)
            }
            Value::String(text) => match text.split_once('.') {
                Some((r, a)) => (r.to_string(), a.to_string()),
                None => return Err(Error::new(pos, "Fn::GetAtt takes [resource, attribute]")),
            },
            _ => return Err(Error::new(pos, "Fn::GetAtt takes [resource, attribute]")),
        };
        self.attribute(pos, &resource, &attribute, depth)
    }

    /// What `Fn::GetAtt [resource, attribute]` gives.
    fn attribute(&self, pos: Pos, resource: &str, attribute: &str, depth: usize) -> Result<Json> {
        let key = format!("{resource}.{attribute}");
        if let Some(value) = self.options.resources.get(&key) {
            return Ok(Json::String(value.clone()));
        }
        match self.resource(resource) {
            Some(node) => self.guarded(pos, &key, || {
                references::attribute(self, pos, resource, node, attribute, depth)
            }),
            None => Err(Error::new(
                pos,
                format!(
                    "Fn::GetAtt: `{resource}` is not a resource of this template; give --resource {key}=VALUE"
                ),
            )),
        }
    }

    fn find_in_map(&self, pos: Pos, argument: &Node, depth: usize) -> Result<Json> {
        let items = argument
            .as_seq()
            .filter(|i| i.len() == 3 || i.len() == 4)
            .ok_or_else(|| {
                Error::new(
                    pos,
                    "Fn::FindInMap takes [map, top-level key, second-level key]",
                )
            })?;
        let map = self.string(&items[0], depth)?;
        let top = self.string(&items[1], depth)?;
        let second = self.string(&items[2], depth)?;
        let found = self
            .template
            .get("Mappings")
            .and_then(|m| m.get(&map))
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second));
        match found {
            Some(node) => self.some(node, depth),
            // The language extensions' `DefaultValue`.
            None => match items.get(3).and_then(|d| d.get("DefaultValue")) {
                Some(default) => self.some(default, depth),
                None => Err(Error::new(
                    pos,
                    format!("Fn::FindInMap: the mapping `{map}` has no `{top}` → `{second}`"),
                )),
            },
        }
    }

    /// `Fn::ImportValue`: another stack's export. Offline it is given with
    /// `--resource EXPORT_NAME=VALUE`, or taken from this template's own
    /// `Outputs` when it exports that name.
    fn import_value(&self, pos: Pos, name: &str, depth: usize) -> Result<Json> {
        if let Some(value) = self.options.resources.get(name) {
            return Ok(Json::String(value.clone()));
        }
        if let Some(outputs) = self.template.get("Outputs").and_then(Node::as_map) {
            for (_, output) in outputs {
                let Some(export) = output.get("Export").and_then(|e| e.get("Name")) else {
                    continue;
                };
                if self.string(export, depth).ok().as_deref() == Some(name)
                    && let Some(value) = output.get("Value")
                {
                    return self.guarded(pos, name, || self.some(value, depth));
                }
            }
        }
        Err(Error::new(
            pos,
            format!(
                "Fn::ImportValue: the export `{name}` is another stack's: give --resource {name}=VALUE"
            ),
        ))
    }

    /// `Fn::Transform` of `AWS::Include`: the file's content in its place,
    /// then resolved like the rest of the template.
    fn transform(&self, pos: Pos, argument: &Node, depth: usize) -> Result<Option<Json>> {
        let included = self.include(pos, argument, depth)?;
        self.value(&included, depth)
    }

    /// Reads the file an `AWS::Include` transform names.
    pub fn include(&self, pos: Pos, argument: &Node, depth: usize) -> Result<Node> {
        let name = argument
            .get("Name")
            .map(|n| self.string(n, depth))
            .transpose()?;
        if name.as_deref() != Some("AWS::Include") {
            return Err(Error::new(
                pos,
                format!(
                    "the transform {} is not supported: only AWS::Include is",
                    name.map_or("without a Name".to_string(), |n| format!("`{n}`"))
                ),
            ));
        }
        let location = argument
            .get("Parameters")
            .and_then(|p| p.get("Location"))
            .ok_or_else(|| Error::new(pos, "AWS::Include without Parameters.Location"))?;
        let location_text = self.string(location, depth)?;
        self.read_file(location.pos, &location_text)
    }

    /// Reads and parses a local file named relative to the file of `pos`.
    pub fn read_file(&self, pos: Pos, location: &str) -> Result<Node> {
        if location.starts_with("s3://") || location.starts_with("https://") {
            return Err(Error::new(
                pos,
                format!(
                    "`{location}` is not a local file: only local files are read; point at a copy"
                ),
            ));
        }
        if self.files.borrow().len() > MAX_INCLUDES {
            return Err(Error::new(
                pos,
                format!("more than {MAX_INCLUDES} included files"),
            ));
        }
        let base = self
            .file(pos)
            .or_else(|| self.file(Pos::default()))
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let path = base.join(location);
        let too_big = std::fs::metadata(&path).map(|m| m.len() > MAX_INCLUDE_BYTES);
        let text = match too_big {
            Ok(true) => Err(format!("larger than {MAX_INCLUDE_BYTES} bytes")),
            _ => std::fs::read_to_string(&path).map_err(|e| e.to_string()),
        }
        .map_err(|e| Error::new(pos, format!("cannot read `{}`: {e}", path.display())))?;
        let index = {
            let mut files = self.files.borrow_mut();
            files.push(path.clone());
            files.len() - 1
        };
        template::parse(&text, index).map_err(|e| {
            let at = e
                .pos
                .map(|p| format!(":{}:{}", p.line, p.column))
                .unwrap_or_default();
            Error::new(pos, format!("{}{at}: {}", path.display(), e.message))
        })
    }

    /// A condition of the template's `Conditions`, by name.
    pub fn condition(&self, pos: Pos, name: &str, depth: usize) -> Result<bool> {
        if let Some(&value) = self.conditions.borrow().get(name) {
            return Ok(value);
        }
        let node = self
            .template
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| {
                Error::new(pos, format!("`{name}` is not a condition of this template"))
            })?;
        let key = format!("Conditions.{name}");
        let value = self.guarded(pos, &key, || self.truth(node, depth + 1).map(Json::Bool))?;
        let value = value == Json::Bool(true);
        self.conditions.borrow_mut().insert(name.to_string(), value);
        Ok(value)
    }

    /// A condition function's value.
    fn truth(&self, node: &Node, depth: usize) -> Result<bool> {
        if depth > MAX_NESTING {
            return Err(Error::new(
                node.pos,
                format!("conditions nested more than {MAX_NESTING} levels deep"),
            ));
        }
        match node.intrinsic() {
            Some((function, argument)) => self.boolean(node.pos, function, argument, depth),
            None => match self.some(node, depth)? {
                Json::Bool(b) => Ok(b),
                Json::String(s) if s == "true" => Ok(true),
                Json::String(s) if s == "false" => Ok(false),
                other => Err(Error::new(
                    node.pos,
                    format!("expected a condition, found {}", describe(&other)),
                )),
            },
        }
    }

    fn boolean(&self, pos: Pos, function: &str, argument: &Node, depth: usize) -> Result<bool> {
        match function {
            "Condition" => {
                let name = argument
                    .as_str()
                    .ok_or_else(|| Error::new(pos, "Condition takes a condition's name"))?;
                self.condition(pos, name, depth)
            }
            "Fn::Equals" => {
                let [a, b] = arguments(pos, function, argument)?;
                let (a, b) = (self.some(a, depth)?, self.some(b, depth)?);
                // CloudFormation compares values as strings: `!Equals [1, "1"]` holds.
                Ok(match (scalar_string(&a), scalar_string(&b)) {
                    (Some(a), Some(b)) => a == b,
                    _ => a == b,
                })
            }
            "Fn::Not" => {
                let [a] = arguments(pos, function, argument)?;
                Ok(!self.truth(a, depth + 1)?)
            }
            "Fn::And" | "Fn::Or" => {
                let items = argument
                    .as_seq()
                    .filter(|i| (2..=10).contains(&i.len()))
                    .ok_or_else(|| {
                        Error::new(
                            pos,
                            format!("{function} takes a list of 2 to 10 conditions"),
                        )
                    })?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push(self.truth(item, depth + 1)?);
                }
                Ok(if function == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            other => Err(Error::new(
                pos,
                format!("`{other}` is not a condition function"),
            )),
        }
    }

    /// Whether a resource exists: it has no `Condition`, or a true one.
    pub fn exists(&self, resource: &Node) -> Result<bool> {
        match resource.get("Condition") {
            None => Ok(true),
            Some(condition) => {
                let name = condition.as_str().ok_or_else(|| {
                    Error::new(
                        condition.pos,
                        "a resource's Condition must be a condition's name",
                    )
                })?;
                self.condition(condition.pos, name, 0)
            }
        }
    }

    /// Resolves a resource's property into a string, `None` when absent.
    pub fn property(&self, resource: &Node, name: &str, depth: usize) -> Result<Option<String>> {
        match resource.get("Properties").and_then(|p| p.get(name)) {
            None => Ok(None),
            Some(node) => match self.value(node, depth + 1)? {
                None => Ok(None),
                Some(value) => scalar_string(&value).map(Some).ok_or_else(|| {
                    Error::new(
                        node.pos,
                        format!("`{name}` is {}, not a string", describe(&value)),
                    )
                }),
            },
        }
    }
}

/// `--parameter` text as the parameter's type reads it: a list for
/// `CommaDelimitedList` and `List<...>`.
fn parameter_value(declared: Option<&Node>, text: &str) -> Json {
    let kind = declared
        .and_then(|d| d.get("Type"))
        .and_then(Node::as_str)
        .unwrap_or("String");
    if kind == "CommaDelimitedList" || kind.starts_with("List<") {
        Json::Array(
            text.split(',')
                .map(|s| Json::String(s.trim().to_string()))
                .collect(),
        )
    } else {
        Json::String(text.to_string())
    }
}

/// A string, number or boolean as the text CloudFormation would use.
pub fn scalar_string(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn describe(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// A function's list of exactly `N` arguments.
fn arguments<'n, const N: usize>(
    pos: Pos,
    function: &str,
    argument: &'n Node,
) -> Result<[&'n Node; N]> {
    let items = argument
        .as_seq()
        .filter(|items| items.len() == N)
        .ok_or_else(|| Error::new(pos, format!("{function} takes a list of {N} arguments")))?;
    Ok(std::array::from_fn(|i| &items[i]))
}

#[cfg(test)]
mod tests;
