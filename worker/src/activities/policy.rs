//! The worker's configured policy, read by workflows through an activity so the values are
//! recorded in history and replay stays deterministic when the config changes.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use slack_morphism::prelude::*;
use std::sync::Arc;
use temporalio_common::error::ApplicationFailure;
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
    /// Who may decide gates, user groups resolved to their members when the feature started;
    /// `None` lets anyone.
    #[serde(default)]
    pub approvers: Option<Vec<String>>,
    /// Distinct approvals a gate needs (0 reads as 1).
    #[serde(default)]
    pub required_approvals: u32,
    /// Gates the requester may not approve.
    #[serde(default)]
    pub no_self_approval: Vec<String>,
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
pub struct PolicyActivities {
    policy: FeaturePolicy,
    incident: IncidentPolicy,
    /// Configured approvers: user ids and user group ids.
    approvers: Vec<String>,
    slack: Arc<chatops_common::slack::Client>,
    token: SlackApiToken,
}

impl std::fmt::Debug for PolicyActivities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyActivities")
            .field("policy", &self.policy)
            .field("incident", &self.incident)
            .field("approvers", &self.approvers)
            .finish_non_exhaustive()
    }
}

impl PolicyActivities {
    /// Serves the policies to every workflow that asks; user groups among `approvers` are read
    /// from Slack with `bot_token` each time a feature asks.
    pub fn new(
        policy: FeaturePolicy,
        incident: IncidentPolicy,
        approvers: Vec<String>,
        slack: Arc<chatops_common::slack::Client>,
        bot_token: &SecretString,
    ) -> Self {
        Self {
            policy,
            incident,
            approvers,
            slack,
            token: SlackApiToken::new(bot_token.expose_secret().into()),
        }
    }

    /// The approvers with every user group replaced by its members.
    async fn resolve_approvers(&self) -> Result<Option<Vec<String>>, ActivityError> {
        if self.approvers.is_empty() {
            return Ok(None);
        }
        let mut users = Vec::new();
        for who in &self.approvers {
            if !who.starts_with('S') {
                users.push(who.clone());
                continue;
            }
            let req = SlackApiUserGroupsUsersListRequest::new(SlackUserGroupId(who.clone()));
            let members = self
                .slack
                .open_session(&self.token)
                .usergroups_users_list(&req)
                .await
                .map_err(|e| {
                    let text =
                        format!("cannot read approver group {who} (usergroups.users.list): {e}");
                    tracing::warn!(%text, "Temporal will retry");
                    ActivityError::application(ApplicationFailure::new(std::io::Error::other(text)))
                })?;
            users.extend(members.users.into_iter().map(|u| u.0));
        }
        users.sort();
        users.dedup();
        Ok(Some(users))
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
        let mut policy = self.policy.clone();
        policy.approvers = self.resolve_approvers().await?;
        Ok(policy)
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
