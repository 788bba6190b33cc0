//! The worker's configured policy, read by workflows through an activity so the values are
//! recorded in history and replay stays deterministic when the config changes.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// What a feature delivery needs from config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturePolicy {
    /// Intake gate timeout, in milliseconds.
    pub intake_timeout_ms: u64,
    /// How long each placeholder phase lasts, in milliseconds.
    pub phase_duration_ms: u64,
    /// Temporal UI base URL, for deep links.
    pub ui_url: String,
    /// Temporal namespace, for deep links.
    pub namespace: String,
    /// The delivery channel, where the emergency stop reports.
    #[serde(default)]
    pub channel: String,
    /// How often a delivery held by the emergency stop rechecks it, in milliseconds.
    #[serde(default)]
    pub freeze_recheck_ms: u64,
}

/// What an incident and the monitor need from config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentPolicy {
    /// Channel for incident cards.
    pub channel: String,
    /// Agents to ask; 0 when no agent backend is configured.
    pub agents: u32,
    /// How long one agent attempt may take, in milliseconds.
    pub agent_timeout_ms: u64,
    /// Consensus knobs.
    pub consensus: chatops_contract::incident::ConsensusPolicy,
    /// How long candidates wait for a pick before escalating, in milliseconds.
    pub choose_timeout_ms: u64,
    /// Who escalations mention (user or user group id).
    pub escalation: Option<String>,
    /// Context source URL templates.
    pub context_urls: Vec<String>,
    /// Whether a rollback command is configured.
    pub rollback_configured: bool,
    /// Alerts per monitor run before it continues as new.
    pub monitor_events: u32,
    /// `owner/name` for hotfix and postmortem pull requests, when GitHub is configured.
    #[serde(default)]
    pub repository: Option<String>,
    /// Folder for postmortem pull requests.
    #[serde(default)]
    pub postmortem_path: Option<String>,
    /// How long hotfix checks are waited for, in milliseconds.
    #[serde(default)]
    pub checks_timeout_ms: u64,
    /// How often they are read, in milliseconds.
    #[serde(default)]
    pub checks_interval_ms: u64,
    /// Temporal UI base URL, for deep links.
    pub ui_url: String,
    /// Temporal namespace, for deep links.
    pub namespace: String,
}

/// Serves [`FeaturePolicy`] and [`IncidentPolicy`].
#[derive(Debug)]
pub struct PolicyActivities {
    policy: FeaturePolicy,
    incident: IncidentPolicy,
}

impl PolicyActivities {
    /// Serves the policies to every workflow that asks.
    pub fn new(policy: FeaturePolicy, incident: IncidentPolicy) -> Self {
        Self { policy, incident }
    }
}

#[activities]
impl PolicyActivities {
    /// The current feature policy.
    #[activity(name = "policy.feature")]
    pub async fn feature(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<FeaturePolicy, ActivityError> {
        Ok(self.policy.clone())
    }

    /// The current incident policy.
    #[activity(name = "policy.incident")]
    pub async fn incident(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<IncidentPolicy, ActivityError> {
        Ok(self.incident.clone())
    }
}
