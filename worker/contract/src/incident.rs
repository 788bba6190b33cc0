//! Payloads of the incident swarm.

use serde::{Deserialize, Serialize};

/// One diagnostic agent's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Which agent produced it.
    pub agent: String,
    /// The cause, in the agent's words.
    pub root_cause: String,
    /// Coarse class, e.g. `database`, `deploy`, `network`.
    pub category: String,
    /// How sure the agent is, 0 to 1.
    pub confidence: f64,
    /// What it looked at.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// What it would change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_fix: Option<String>,
}

/// How bad an incident is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational; no one is paged.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Users are affected.
    High,
    /// Drop everything.
    Critical,
}

impl Severity {
    /// Reads the severity words monitoring systems use (`page`, `critical`, `error`, `warning`,
    /// `info`, …), case-insensitively.
    pub fn from_label(label: &str) -> Option<Self> {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" | "crit" | "page" | "p1" | "sev1" | "fatal" | "emergency" => {
                Some(Self::Critical)
            }
            "high" | "error" | "err" | "major" | "p2" | "sev2" => Some(Self::High),
            "medium" | "warning" | "warn" | "minor" | "p3" | "sev3" => Some(Self::Medium),
            "low" | "info" | "informational" | "none" | "p4" | "sev4" => Some(Self::Low),
            _ => None,
        }
    }
}

/// Whether an alert is still going on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Going on.
    #[default]
    Firing,
    /// Over.
    Resolved,
}

/// A machine alert, normalized from whatever sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable identity: repeats of the same alert share it.
    pub fingerprint: String,
    /// The affected service.
    pub service: String,
    /// One line on what is wrong.
    pub summary: String,
    /// How bad.
    pub severity: Severity,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// Labels as sent (sorted).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// `alertmanager` or `generic`.
    pub source: String,
}
