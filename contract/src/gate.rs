//! The approval gates' names, and the error for a name no contract enum knows.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The approval gates of a feature delivery, in the order a feature meets them.
///
/// Payloads carry a gate as its name (`Approve::gate`), so the `temporal` CLI can send one and
/// an unknown name gets a refusal rather than a payload that does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateName {
    /// The requirement is worth building (after intake).
    Intake,
    /// The task breakdown is right (after planning).
    Plan,
    /// Production may be changed (after readiness).
    Production,
}

impl GateName {
    /// Every gate, in the order a feature meets them.
    pub const ALL: [GateName; 3] = [GateName::Intake, GateName::Plan, GateName::Production];

    /// The wire and config spelling: `intake`, `plan`, `production`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GateName::Intake => "intake",
            GateName::Plan => "plan",
            GateName::Production => "production",
        }
    }

    /// The gates joined for a help or error text: `intake, plan or production`.
    pub fn choices() -> String {
        let names = Self::ALL.map(Self::as_str);
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }
}

impl fmt::Display for GateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for GateName {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownName::new("gate", s, Self::ALL.map(Self::as_str).join(", ")))
    }
}

impl PartialEq<GateName> for str {
    fn eq(&self, other: &GateName) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<GateName> for &str {
    fn eq(&self, other: &GateName) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<GateName> for String {
    fn eq(&self, other: &GateName) -> bool {
        self == other.as_str()
    }
}

/// A name that is none of the ones a contract enum knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    kind: &'static str,
    given: String,
    known: String,
}

impl UnknownName {
    pub(crate) fn new(kind: &'static str, given: &str, known: String) -> Self {
        Self {
            kind,
            given: given.to_owned(),
            known,
        }
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}` (one of: {})",
            self.kind, self.given, self.known
        )
    }
}

impl std::error::Error for UnknownName {}

#[cfg(test)]
mod tests {
    use super::GateName;
    use crate::feature::Environment;

    #[test]
    fn gates_and_environments_read_back_what_they_write() {
        for gate in GateName::ALL {
            assert_eq!(gate.as_str().parse::<GateName>(), Ok(gate));
            assert_eq!(serde_json::to_value(gate).ok(), Some(gate.as_str().into()));
        }
        for env in Environment::ALL {
            assert_eq!(env.as_str().parse::<Environment>(), Ok(env));
            assert_eq!(serde_json::to_value(env).ok(), Some(env.as_str().into()));
        }
        assert_eq!(GateName::choices(), "intake, plan or production");
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = "deploy".parse::<GateName>().expect_err("no such gate");
        assert_eq!(
            e.to_string(),
            "unknown gate `deploy` (one of: intake, plan, production)"
        );
        let e = "prod"
            .parse::<Environment>()
            .expect_err("no such environment");
        assert_eq!(
            e.to_string(),
            "unknown environment `prod` (one of: staging, production)"
        );
        let typed = "plan".to_owned();
        assert!("intake" == GateName::Intake && typed == GateName::Plan);
    }
}
