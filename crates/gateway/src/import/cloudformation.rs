//! CloudFormation and SAM templates. Not supported yet: this placeholder
//! refuses them with a clear message.

use std::path::Path;

use crate::config::{ConfigError, Loaded, Problem};

use super::ImportOptions;

/// Loads the API of a CloudFormation or SAM template.
pub fn load(path: &Path, _text: &str, _options: &ImportOptions) -> Result<Loaded, ConfigError> {
    Err(ConfigError {
        file: path.to_path_buf(),
        problems: vec![Problem {
            key: String::new(),
            location: None,
            message: "CloudFormation templates are not supported yet".to_string(),
        }],
    })
}
