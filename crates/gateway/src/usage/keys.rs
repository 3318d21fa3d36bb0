//! API keys: their values, kept out of every `Debug` and log, and the
//! lookup of a presented key.

use std::collections::HashMap;
use std::hash::BuildHasher;

/// A key's value. Its `Debug` prints nothing of it, so that no log, error or
/// `{:?}` of a compiled API can show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value itself, for `$context.identity.apiKey`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// One declared API key.
#[derive(Debug)]
pub struct ApiKey {
    /// Its name in `api_keys`: `$context.identity.apiKeyId`.
    pub name: String,
    pub value: Secret,
    pub enabled: bool,
    /// Its usage plan (an index into the plans) and its place among the
    /// plan's keys, which picks its buckets and counter.
    pub plan: Option<(usize, usize)>,
}

/// The declared keys, found by value.
#[derive(Debug, Default)]
pub struct Keys {
    pub keys: Vec<ApiKey>,
    /// Keys by a keyed hash of their value. The hash's key is random per
    /// process, so a client cannot aim guesses at a bucket, and the map's
    /// own comparisons are of hashes, never of values: the one comparison
    /// of values, in [`constant_time_eq`], takes the same time wherever two
    /// values differ.
    by_hash: HashMap<u64, Vec<usize>>,
    hasher: std::hash::RandomState,
}

/// Why a presented key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    Missing,
    Unknown,
    Disabled(usize),
    NoPlan(usize),
}

impl Keys {
    pub fn new(keys: Vec<ApiKey>) -> Self {
        let hasher = std::hash::RandomState::new();
        let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
        for (index, key) in keys.iter().enumerate() {
            by_hash
                .entry(hasher.hash_one(key.value.expose().as_bytes()))
                .or_default()
                .push(index);
        }
        Self {
            keys,
            by_hash,
            hasher,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key whose value is `presented`, if it is enabled and in a plan.
    pub fn find(&self, presented: Option<&str>) -> Result<usize, KeyRefusal> {
        let presented = presented
            .filter(|p| !p.is_empty())
            .ok_or(KeyRefusal::Missing)?;
        let candidates = self
            .by_hash
            .get(&self.hasher.hash_one(presented.as_bytes()))
            .map_or(&[][..], Vec::as_slice);
        let index = candidates
            .iter()
            .copied()
            .find(|&i| {
                constant_time_eq(self.keys[i].value.expose().as_bytes(), presented.as_bytes())
            })
            .ok_or(KeyRefusal::Unknown)?;
        let key = &self.keys[index];
        if !key.enabled {
            return Err(KeyRefusal::Disabled(index));
        }
        if key.plan.is_none() {
            return Err(KeyRefusal::NoPlan(index));
        }
        Ok(index)
    }
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths
/// only, never on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the compiler from turning the fold into an early exit.
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, value: &str, enabled: bool, plan: Option<(usize, usize)>) -> ApiKey {
        ApiKey {
            name: name.into(),
            value: Secret::new(value.into()),
            enabled,
            plan,
        }
    }

    #[test]
    fn finds_enabled_keys_in_a_plan_and_says_why_others_are_refused() {
        let keys = Keys::new(vec![
            key("a", "aaaaaaaaaaaaaaaaaaaa", true, Some((0, 0))),
            key("b", "bbbbbbbbbbbbbbbbbbbb", false, Some((0, 1))),
            key("c", "cccccccccccccccccccc", true, None),
        ]);
        assert_eq!(keys.find(Some("aaaaaaaaaaaaaaaaaaaa")), Ok(0));
        assert_eq!(keys.find(None), Err(KeyRefusal::Missing));
        assert_eq!(keys.find(Some("")), Err(KeyRefusal::Missing));
        assert_eq!(
            keys.find(Some("aaaaaaaaaaaaaaaaaaab")),
            Err(KeyRefusal::Unknown)
        );
        assert_eq!(
            keys.find(Some("bbbbbbbbbbbbbbbbbbbb")),
            Err(KeyRefusal::Disabled(1))
        );
        assert_eq!(
            keys.find(Some("cccccccccccccccccccc")),
            Err(KeyRefusal::NoPlan(2))
        );
    }

    #[test]
    fn values_never_show_in_debug_output() {
        let keys = Keys::new(vec![key("a", "s3cr3t-value-0123456789", true, None)]);
        let text = format!("{keys:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("Secret(..)"), "{text}");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
