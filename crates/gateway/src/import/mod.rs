//! Importing API definitions written for API Gateway. (Stand-in until the
//! shared import module lands.)

use std::collections::BTreeMap;

pub mod cloudformation;

/// What the command line adds to an imported definition.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub parameters: BTreeMap<String, String>,
    pub resources: BTreeMap<String, String>,
    pub api: Option<String>,
    pub no_execution_roles: bool,
}
