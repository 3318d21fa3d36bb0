//! The process environment, read in one place so that `run`, `validate` and
//! `render` agree on it and tests can replace it.

/// Reads an environment variable; unset and non-UTF-8 values are `None`.
pub fn read_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
