//! The IAM policy a Lambda authorizer returns, read and evaluated against
//! the method's ARN, as API Gateway evaluates it: a statement applies when
//! its `Action` matches `execute-api:Invoke` and its `Resource` matches the
//! ARN (`*` any run of characters, `?` any one); an applicable `Deny` wins
//! over any `Allow`; with neither, the call is denied.

use serde_json::Value;

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement, reduced to what the evaluation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub effect: Effect,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// A policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

/// What a policy decides for one method ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// No statement allows the call.
    ImplicitDeny,
    /// A statement denies it.
    ExplicitDeny,
}

/// The most statements, actions and resources read from one policy: the
/// document comes from a function, and is evaluated on every request its
/// cached result serves.
const MAX_STATEMENTS: usize = 100;
const MAX_ENTRIES: usize = 100;

impl Policy {
    /// Reads `policyDocument`. `Statement` and each `Action` and `Resource`
    /// may be one value or a list, as IAM allows.
    pub fn parse(document: &Value) -> Result<Self, String> {
        let statements = match document.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err("the policy document has no `Statement`".into()),
        };
        if statements.len() > MAX_STATEMENTS {
            return Err(format!(
                "the policy document has more than {MAX_STATEMENTS} statements"
            ));
        }
        let statements = statements
            .into_iter()
            .map(|statement| {
                let effect = match statement.get("Effect").and_then(Value::as_str) {
                    Some(e) if e.eq_ignore_ascii_case("allow") => Effect::Allow,
                    Some(e) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
                    _ => return Err("a statement's `Effect` is neither Allow nor Deny".to_string()),
                };
                Ok(Statement {
                    effect,
                    actions: strings(statement.get("Action"), "Action")?,
                    resources: strings(statement.get("Resource"), "Resource")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self { statements })
    }

    /// The decision for `method_arn`.
    pub fn decide(&self, method_arn: &str) -> Decision {
        let applies = |s: &Statement| {
            s.actions
                .iter()
                .any(|a| wildcard_match(&a.to_ascii_lowercase(), "execute-api:invoke"))
                && s.resources.iter().any(|r| wildcard_match(r, method_arn))
        };
        let mut allowed = false;
        for statement in self.statements.iter().filter(|s| applies(s)) {
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

fn strings(value: Option<&Value>, name: &str) -> Result<Vec<String>, String> {
    let list = match value {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(items)) if items.len() <= MAX_ENTRIES => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("a statement's `{name}` holds something other than strings"))?,
        _ => return Err(format!("a statement has no usable `{name}`")),
    };
    Ok(list)
}

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters and `?` for any one. Iterative with one backtrack point, so a
/// pattern full of stars costs at most `pattern × text` steps.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/streams/orders";

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(!wildcard_match("a*d", "abc"));
        assert!(wildcard_match("*/GET/*", ARN));
        assert!(!wildcard_match("*/POST/*", ARN));
        assert!(wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/???/streams/*",
            ARN
        ));
    }

    #[test]
    fn explicit_deny_wins_and_nothing_is_an_implicit_deny() {
        let policy = Policy::parse(&json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*"},
                {"Effect": "Deny", "Action": ["execute-api:*"], "Resource": ["*/DELETE/*"]},
            ]
        }))
        .unwrap();
        assert_eq!(policy.decide(ARN), Decision::Allow);
        assert_eq!(
            policy.decide(&ARN.replace("/GET/", "/DELETE/")),
            Decision::ExplicitDeny
        );
        assert_eq!(
            policy.decide(&ARN.replace("/prod/", "/dev/")),
            Decision::ImplicitDeny
        );
        // An action other than Invoke does not apply.
        let other = Policy::parse(&json!({
            "Statement": {"Effect": "Allow", "Action": "execute-api:ManageConnections", "Resource": "*"}
        }))
        .unwrap();
        assert_eq!(other.decide(ARN), Decision::ImplicitDeny);
    }

    #[test]
    fn malformed_documents_are_refused() {
        for document in [
            json!({}),
            json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": [1], "Resource": "*"}]}),
        ] {
            assert!(Policy::parse(&document).is_err(), "{document}");
        }
    }
}
