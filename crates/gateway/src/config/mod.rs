//! The configuration file, `gateway.yaml`: its raw shape as written by people,
//! and loading it with errors that point at the file, line, column and key.
//!
//! These types mirror the YAML exactly; nothing on the request path reads
//! them. [`crate::compile`] turns them into the runtime [`crate::api::Api`].

mod fields;
mod locate;
mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use locate::{DuplicateKey, Location, Locations};
pub use schema::*;

/// A configuration that failed to load: every problem, each with its place.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

/// One problem in a configuration file.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The dotted key path, e.g. `resources./streams.GET.integration.action`.
    pub key: String,
    pub location: Option<Location>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "{} has {count} problem{}:",
            self.file.display(),
            if count == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {}", p.in_file(&self.file))?;
        }
        Ok(())
    }
}

impl Problem {
    /// `file:line:column: key: message`.
    pub fn in_file(&self, file: &Path) -> String {
        let mut out = file.display().to_string();
        if let Some(loc) = self.location {
            out.push_str(&format!(":{}:{}", loc.line, loc.column));
        }
        if !self.key.is_empty() {
            out.push_str(&format!(": {}", self.key));
        }
        out.push_str(&format!(": {}", self.message));
        out
    }
}

impl std::error::Error for ConfigError {}

/// A parsed file with the positions of its keys, ready to compile.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    pub locations: Locations,
    /// Problems that did not stop the parse (unknown keys, keys written
    /// twice), in file order. [`crate::compile::compile`] reports them with
    /// its own, so that one run shows every mistake; code that reads `config`
    /// without compiling it must check them itself.
    pub problems: Vec<Problem>,
    /// What an imported definition (OpenAPI, CloudFormation) holds that the
    /// gateway does not run, one line each with its place in the file.
    /// [`crate::compile::compile`] puts them first among the API's warnings,
    /// so that `validate` prints them and `run` logs them.
    pub warnings: Vec<String>,
    /// For an imported definition: key path in [`Loaded::config`] → the JSON
    /// pointer of what it was converted from. A problem found later names
    /// the pointer, which the file has, rather than the gateway's key path,
    /// which it has not. Empty for gateway.yaml.
    pub pointers: BTreeMap<Vec<String>, String>,
}

impl Loaded {
    /// Reads and parses `path`, in whichever format it is written (see
    /// [`crate::import::detect`]), with no import flags.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::from_file_with(path, &crate::import::ImportOptions::default())
    }

    /// Reads and parses `path`, in whichever format it is written: gateway.yaml,
    /// OpenAPI 3.0, Swagger 2.0 or CloudFormation, with the import flags.
    pub fn from_file_with(
        path: &Path,
        options: &crate::import::ImportOptions,
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            problems: vec![Problem {
                key: String::new(),
                location: None,
                message: format!("cannot read the file: {e}"),
            }],
        })?;
        crate::import::load(path, &text, options)
    }

    /// How a problem at the key path `path` names its key: the dotted key
    /// path in gateway.yaml; for an imported definition, the JSON pointer of
    /// the nearest key it was converted from, followed by the rest of the path.
    pub fn key_name(&self, path: &[&str]) -> String {
        if self.pointers.is_empty() {
            return path.join(".");
        }
        for n in (0..=path.len()).rev() {
            let prefix: Vec<String> = path[..n].iter().map(|s| s.to_string()).collect();
            if let Some(pointer) = self.pointers.get(&prefix) {
                let mut name = pointer.clone();
                for segment in &path[n..] {
                    name.push('/');
                    name.push_str(&crate::import::escape_pointer(segment));
                }
                return name;
            }
        }
        path.join(".")
    }

    /// Parses `text`, naming it `path` in errors.
    ///
    /// Unknown keys and keys written twice do not stop the parse: they are
    /// all collected in [`Loaded::problems`]. A value of the wrong type does,
    /// and is reported with those found before it.
    pub fn from_str(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let fail = |problems: Vec<Problem>| ConfigError {
            file: path.to_path_buf(),
            problems,
        };
        let mut unknown = Vec::new();
        let parsed: Result<Config, _> =
            serde_ignored::deserialize(serde_yaml::Deserializer::from_str(text), |key| {
                unknown.push(segments(&key));
            });
        let locations = match (Locations::scan(text), &parsed) {
            (Ok(locations), _) => locations,
            // Text that is not YAML: serde_yaml's error says where.
            (Err(_), Err(e)) => return Err(fail(vec![yaml_problem(e)])),
            (Err(message), Ok(_)) => {
                return Err(fail(vec![Problem {
                    key: String::new(),
                    location: None,
                    message,
                }]));
            }
        };
        let mut problems: Vec<Problem> = locations
            .duplicates()
            .iter()
            .map(duplicate_problem)
            .chain(unknown.iter().map(|key| unknown_problem(key, &locations)))
            .collect();
        let config = match parsed {
            Ok(config) => config,
            Err(e) => {
                let problem = yaml_problem(&e);
                // serde refuses a struct field written twice; the duplicate
                // is already reported, with both places.
                if locations.duplicates().is_empty()
                    || !problem.message.starts_with("duplicate field `")
                {
                    problems.push(problem);
                }
                sort(&mut problems);
                return Err(fail(problems));
            }
        };
        sort(&mut problems);
        Ok(Self {
            path: path.to_path_buf(),
            config,
            locations,
            problems,
            warnings: Vec::new(),
            pointers: BTreeMap::new(),
        })
    }
}

/// Orders problems as they appear in the file; those without a place last.
fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.location.map_or((usize::MAX, 0), |l| (l.line, l.column)));
}

/// The key path of a key serde_ignored reports, as [`Locations`] spells it.
fn segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut segments = segments(parent);
            segments.push(index.to_string());
            segments
        }
        Path::Map { parent, key } => {
            let mut segments = segments(parent);
            segments.push(key.clone());
            segments
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent),
    }
}

/// A key no field takes, named by its mapping's key path, as serde_yaml names
/// its own errors.
fn unknown_problem(key: &[String], locations: &Locations) -> Problem {
    let key: Vec<&str> = key.iter().map(String::as_str).collect();
    let Some((&name, parent)) = key.split_last() else {
        // serde_ignored names a key for every value it skips.
        return Problem {
            key: String::new(),
            location: None,
            message: "unknown value".to_string(),
        };
    };
    let message = match fields::fields_at(parent) {
        Some(expected) => {
            <serde_yaml::Error as serde::de::Error>::unknown_field(name, expected).to_string()
        }
        None => format!("unknown field `{name}`"),
    };
    Problem {
        key: parent.join("."),
        location: locations.key(&key),
        message,
    }
}

fn duplicate_problem(duplicate: &DuplicateKey) -> Problem {
    Problem {
        key: duplicate.parent.join("."),
        location: Some(duplicate.again),
        message: format!(
            "duplicate key `{}` (first written at line {})",
            duplicate.key, duplicate.first.line
        ),
    }
}

/// A serde_yaml error as a [`Problem`]. Its message starts with the key path
/// (`limits.max_body_bytes: invalid type: ...`), which is split off into `key`.
fn yaml_problem(error: &serde_yaml::Error) -> Problem {
    let location = error.location().map(|l| Location {
        line: l.line(),
        column: l.column(),
    });
    let text = error.to_string();
    // Drop serde_yaml's own " at line X column Y" suffix: the location is printed separately.
    let text = match text.rfind(" at line ") {
        Some(at) if location.is_some() => text[..at].to_string(),
        _ => text,
    };
    match text.split_once(": ") {
        Some((key, message)) if !key.contains(' ') => Problem {
            key: key.to_string(),
            location,
            message: message.to_string(),
        },
        _ => Problem {
            key: String::new(),
            location,
            message: text,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Loaded, ConfigError> {
        Loaded::from_str(Path::new("test.yaml"), text)
    }

    /// The problems of `text` as `line:column: key: message`, and whether the
    /// parse went through.
    fn problems(text: &str) -> (Vec<String>, bool) {
        let (problems, parsed) = match load(text) {
            Ok(loaded) => (loaded.problems, true),
            Err(e) => (e.problems, false),
        };
        let lines = problems
            .iter()
            .map(|p| {
                let l = p.location.expect("a place in the file");
                format!("{}:{}: {}: {}", l.line, l.column, p.key, p.message)
            })
            .collect();
        (lines, parsed)
    }

    #[test]
    fn unknown_key_names_file_line_column_and_key() {
        let err = load(
            "resources:\n  /streams:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        colour: blue\n",
        )
        .unwrap()
        .problems;
        assert_eq!(err.len(), 1);
        let text = ConfigError {
            file: "test.yaml".into(),
            problems: err,
        }
        .to_string();
        assert!(
            text.contains("test.yaml:8:9: resources./streams.GET.integration: unknown field `colour`, expected one of `type`, `service`, `action`,"),
            "{text}"
        );
    }

    #[test]
    fn every_unknown_key_is_reported_in_one_run() {
        let (lines, parsed) = problems(
            "colour: red\nresources:\n  /s:\n    GET:\n      integration:\n        type: mock\n        responses:\n          - status: 200\n            shade: dark\n      extra: {a: 1}\nstage:\n  nmae: prod\n",
        );
        assert!(parsed);
        let expected = [
            "1:1: : unknown field `colour`, expected one of `listen`,",
            "9:13: resources./s.GET.integration.responses.0: unknown field `shade`, expected one of `selection_pattern`, `status`, `response_parameters`, `response_templates`",
            "10:7: resources./s.GET: unknown field `extra`, expected one of `api_key_required`, `throttle`, `request_parameters`, `request_validator`, `request_models`, `integration`",
            "12:3: stage: unknown field `nmae`, expected one of `name`, `base_path`, `variables`, `throttle`",
        ];
        assert_eq!(lines.len(), expected.len(), "{lines:#?}");
        for (line, expected) in lines.iter().zip(expected) {
            assert!(line.starts_with(expected), "{line}\nexpected: {expected}");
        }
    }

    #[test]
    fn keys_written_twice_are_reported_with_both_places() {
        let (lines, parsed) = problems(
            "resources:\n  /s:\n    GET:\n      integration: {type: mock}\n    GET:\n      integration: {type: mock}\n  /s:\n    POST:\n      integration: {type: mock}\n",
        );
        assert!(parsed);
        assert_eq!(
            lines,
            [
                "5:5: resources./s: duplicate key `GET` (first written at line 3)",
                "7:3: resources: duplicate key `/s` (first written at line 2)",
            ]
        );
    }

    #[test]
    fn a_field_written_twice_is_reported_once_with_the_other_problems() {
        // serde stops at a struct field written twice; the duplicate is named
        // once, with both places, beside the unknown key found before it.
        let (lines, parsed) = problems(
            "colour: red\nresources:\n  /s:\n    GET:\n      integration: {type: mock, type: aws}\n",
        );
        assert!(!parsed);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines[0].starts_with("1:1: : unknown field `colour`"),
            "{lines:#?}"
        );
        assert_eq!(
            lines[1],
            "5:33: resources./s.GET.integration: duplicate key `type` (first written at line 5)"
        );
    }

    #[test]
    fn a_type_error_is_reported_with_the_unknown_keys_before_it() {
        let (lines, parsed) =
            problems("colour: red\nlimits:\n  max_body_bytes: lots\nresources: {}\n");
        assert!(!parsed);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(
            lines[0].starts_with("1:1: : unknown field `colour`"),
            "{lines:#?}"
        );
        assert!(
            lines[1].starts_with("3:19: limits.max_body_bytes: invalid type: string \"lots\""),
            "{lines:#?}"
        );
    }

    #[test]
    fn text_that_is_not_yaml_is_one_problem() {
        let (lines, parsed) = problems("resources: [\n");
        assert!(!parsed);
        assert_eq!(lines.len(), 1, "{lines:#?}");
    }

    #[test]
    fn defaults() {
        let loaded = load(
            "resources:\n  /s:\n    GET:\n      integration: {type: aws, service: kinesis, action: ListStreams}\n",
        )
        .unwrap();
        let i = &loaded.config.resources["/s"]["GET"].integration;
        assert_eq!(i.http_method, None);
        assert_eq!(i.timeout_ms, 29_000);
        assert_eq!(i.passthrough_behavior, PassthroughBehavior::WhenNoTemplates);
        assert_eq!(loaded.config.limits.max_body_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn bad_type_is_reported() {
        let err = load("resources:\n  /s:\n    GET:\n      integration: {type: lambda, service: x, action: y}\n")
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `lambda`"),
            "{err}"
        );
    }
}
