//! [`Params`]: a request's path, query string and header values, and the one
//! rule for looking them up.

/// Where a request parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A path parameter: `{stream-name}` gives `stream-name`.
    Path,
    /// A query string parameter.
    QueryString,
    /// A header.
    Header,
}

impl Location {
    /// Whether `a` and `b` name the same parameter here: header names compare
    /// case-insensitively, as HTTP defines them; path and query string names
    /// exactly, as API Gateway compares them.
    pub fn same_name(self, a: &str, b: &str) -> bool {
        match self {
            Location::Header => a.eq_ignore_ascii_case(b),
            Location::Path | Location::QueryString => a == b,
        }
    }
}

/// A request's parameters, borrowed: path, query string and header
/// name/value pairs in arrival order, a repeated name keeping every value.
///
/// Every lookup follows one rule, so that `$input.params('x')`,
/// `$input.params().header`, `method.request.header.x` mappings and the
/// required-parameter check agree:
/// - a single-value lookup gives the *last* value of a repeated name (API
///   Gateway's `method.request.querystring.x` on `?x=1&x=2` is `2`);
/// - header names compare case-insensitively, path and query string names
///   exactly (see [`Location::same_name`]);
/// - a multi-value lookup gives every value, in order.
///
/// ```
/// use gateway_mapping::params::{Location, Params};
///
/// let query = [("a".to_string(), "1".to_string()), ("a".to_string(), "2".to_string())];
/// let header = [("X-Tag".to_string(), "t".to_string())];
/// let params = Params { querystring: &query, header: &header, ..Params::default() };
/// assert_eq!(params.get(Location::QueryString, "a"), Some("2"));
/// assert_eq!(params.get_all(Location::QueryString, "a"), ["1", "2"]);
/// assert_eq!(params.get(Location::Header, "x-tag"), Some("t"));
/// assert_eq!(params.find("x-tag"), Some("t"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Params<'a> {
    /// Path parameters, by name.
    pub path: &'a [(String, String)],
    /// Query string parameters, decoded.
    pub querystring: &'a [(String, String)],
    /// Request headers.
    pub header: &'a [(String, String)],
}

impl<'a> Params<'a> {
    /// The pairs of one location.
    pub fn pairs(&self, location: Location) -> &'a [(String, String)] {
        match location {
            Location::Path => self.path,
            Location::QueryString => self.querystring,
            Location::Header => self.header,
        }
    }

    /// The last value of `name` in `location`.
    pub fn get(&self, location: Location, name: &str) -> Option<&'a str> {
        self.pairs(location)
            .iter()
            .rev()
            .find(|(n, _)| location.same_name(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` in `location`, in arrival order.
    pub fn get_all(&self, location: Location, name: &str) -> Vec<&'a str> {
        self.pairs(location)
            .iter()
            .filter(|(n, _)| location.same_name(n, name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `$input.params('x')`: the path, then the query string, then the
    /// headers; the first location that has the name gives its last value.
    pub fn find(&self, name: &str) -> Option<&'a str> {
        [Location::Path, Location::QueryString, Location::Header]
            .into_iter()
            .find_map(|location| self.get(location, name))
    }

    /// Each name of `location` once, where it first appears, with the value
    /// [`Params::get`] gives for it: what `$input.params().header` and its
    /// siblings hold.
    pub fn entries(&self, location: Location) -> Vec<(&'a str, &'a str)> {
        let mut entries: Vec<(&'a str, &'a str)> = Vec::with_capacity(self.pairs(location).len());
        for (name, value) in self.pairs(location) {
            match entries
                .iter_mut()
                .find(|(n, _)| location.same_name(n, name))
            {
                Some(entry) => entry.1 = value,
                None => entries.push((name, value)),
            }
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn one_rule_for_every_location() {
        let path = pairs(&[("id", "p1")]);
        let query = pairs(&[("a", "1"), ("A", "upper"), ("a", "2")]);
        let header = pairs(&[("x-tag", "t1"), ("Accept", "json"), ("X-Tag", "t2")]);
        let params = Params {
            path: &path,
            querystring: &query,
            header: &header,
        };
        assert_eq!(params.get(Location::QueryString, "a"), Some("2"));
        assert_eq!(params.get(Location::QueryString, "A"), Some("upper"));
        assert_eq!(params.get(Location::Path, "ID"), None);
        assert_eq!(params.get(Location::Header, "X-TAG"), Some("t2"));
        assert_eq!(params.get_all(Location::QueryString, "a"), ["1", "2"]);
        assert_eq!(params.get_all(Location::Header, "x-tag"), ["t1", "t2"]);
        assert!(params.get_all(Location::Header, "none").is_empty());
        assert_eq!(
            params.entries(Location::Header),
            [("x-tag", "t2"), ("Accept", "json")]
        );
        assert_eq!(
            params.entries(Location::QueryString),
            [("a", "2"), ("A", "upper")]
        );
    }

    #[test]
    fn find_searches_path_then_query_string_then_headers() {
        let path = pairs(&[("x", "from-path")]);
        let query = pairs(&[("x", "from-query"), ("q", "1")]);
        let header = pairs(&[("x", "from-header"), ("Q", "from-header")]);
        let params = Params {
            path: &path,
            querystring: &query,
            header: &header,
        };
        assert_eq!(params.find("x"), Some("from-path"));
        assert_eq!(params.find("q"), Some("1"));
        assert_eq!(params.find("Q"), Some("from-header"));
        assert_eq!(params.find("none"), None);
    }
}
