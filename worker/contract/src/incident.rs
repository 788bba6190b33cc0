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
