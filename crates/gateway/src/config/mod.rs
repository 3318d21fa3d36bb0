//! The configuration file, `gateway.yaml`: its raw shape as written by people,
//! and loading it with errors that point at the file, line, column and key.
//!
//! These types mirror the YAML exactly; nothing on the request path reads
//! them. [`crate::compile`] turns them into the runtime [`crate::api::Api`].

mod locate;
mod schema;

use std::fmt;
use std::path::{Path, PathBuf};

pub use locate::{Location, Locations};
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
            write!(f, "\n  {}", self.file.display())?;
            if let Some(loc) = p.location {
                write!(f, ":{}:{}", loc.line, loc.column)?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": {}: {}", p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// A parsed file with the positions of its keys, ready to compile.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub config: Config,
    pub locations: Locations,
}

impl Loaded {
    /// Reads and parses `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            problems: vec![Problem {
                key: String::new(),
                location: None,
                message: format!("cannot read the file: {e}"),
            }],
        })?;
        Self::from_str(path, &text)
    }

    /// Parses `text`, naming it `path` in errors.
    pub fn from_str(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let fail = |problem: Problem| ConfigError {
            file: path.to_path_buf(),
            problems: vec![problem],
        };
        let config: Config = serde_yaml::from_str(text).map_err(|e| fail(yaml_problem(&e)))?;
        let locations = Locations::scan(text).map_err(|message| {
            fail(Problem {
                key: String::new(),
                location: None,
                message,
            })
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            config,
            locations,
        })
    }
}

/// A serde_yaml error as a [`Problem`]. Its message starts with the key path
/// (`resources./streams.GET: unknown field ...`), which is split off into `key`.
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

    #[test]
    fn unknown_key_names_file_line_column_and_key() {
        let err = load(
            "resources:\n  /streams:\n    GET:\n      integration:\n        type: aws\n        service: kinesis\n        action: ListStreams\n        colour: blue\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("test.yaml:8:9"), "{text}");
        assert!(
            text.contains("resources./streams.GET.integration"),
            "{text}"
        );
        assert!(text.contains("unknown field `colour`"), "{text}");
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
