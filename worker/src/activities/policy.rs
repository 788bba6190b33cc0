//! The worker's configured policy, read by workflows through an activity so the values are
//! recorded in history and replay stays deterministic when the config changes.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use slack_morphism::prelude::*;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::failure::retryable;

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
    /// The longest wait between those checks, in milliseconds; the wait doubles up to it. 0 in
    /// policies recorded before it existed.
    #[serde(default)]
    pub freeze_recheck_max_ms: u64,
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
    /// Per-gate overrides of `approvers` (resolved like them) and `required_approvals`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub gates: std::collections::BTreeMap<String, GatePolicy>,
    /// Whether feature controls (pause, resume, blockers, priority, cancel, gate feedback) are
    /// checked against the roles; false in policies recorded before they were.
    #[serde(default)]
    pub check_controls: bool,
    /// Who may engage and release the emergency stop, user groups resolved (a group that
    /// cannot be read adds nobody); `None` in policies recorded before it was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oncall: Option<Vec<String>>,
}

/// One gate's own approvers and approval count, where configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatePolicy {
    /// Who may decide this gate, user groups resolved; `None`: the feature's approvers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvers: Option<Vec<String>>,
    /// Distinct approvals this gate needs; `None`: the feature's count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<u32>,
}

/// What `ContinuousQuality` needs from config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityPolicy {
    /// The repository's checks.
    pub checks: Vec<chatops_contract::lifecycle::CheckSpec>,
    /// The score a branch is held to.
    pub threshold: f64,
    /// The least coverage.
    pub min_coverage: f64,
    /// Where drops and newly failing checks are posted.
    pub channel: String,
    /// Between scheduled looks, in milliseconds.
    pub interval_ms: u64,
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
    /// Who may act on an incident beside its commander: the responders and the people on
    /// call, user groups resolved when the incident started. `None` (a run recorded before
    /// roles existed) lets anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responders: Option<Vec<String>>,
    /// Whether a rollback command is configured.
    pub rollback_configured: bool,
    /// Alerts per monitor run before it continues as new.
    pub monitor_events: u32,
    /// History events a run may reach before it continues as new (0: a run recorded before
    /// this existed, which never does).
    #[serde(default)]
    pub history_events: u32,
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

/// How one environment is watched after a deploy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeployTarget {
    /// Between health checks, in milliseconds.
    pub interval_ms: u64,
    /// How long the deploy is watched, in milliseconds.
    pub window_ms: u64,
    /// Whether a metrics source (error rate, latency) is configured.
    pub metrics: bool,
    /// Whether a deploy command or webhook is configured.
    pub deploy: bool,
    /// Whether a health endpoint is configured.
    pub health: bool,
}

/// Per-repository quality settings (`CHATOPS__FEATURE__REPOSITORIES`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RepositoryPolicy {
    /// The checks; replaces the global list when given.
    #[serde(default)]
    pub checks: Option<Vec<chatops_contract::lifecycle::CheckSpec>>,
    /// Score threshold; replaces the global one when given.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Minimum coverage; replaces the global one when given.
    #[serde(default)]
    pub min_coverage: Option<f64>,
}

/// What the delivery phases need from config, read once per feature (so recorded in history).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecyclePolicy {
    /// `owner/name` the feature is delivered to, when GitHub is configured.
    pub repository: Option<String>,
    /// Whether a primary agent is configured.
    pub agent: bool,
    /// Whether an alternative agent is configured.
    pub alternative_agent: bool,
    /// One agent attempt's limit, in milliseconds.
    pub agent_timeout_ms: u64,
    /// Attempts per agent before the next rung of the ladder.
    pub agent_attempts: u32,
    /// Who escalations mention (user or user group id).
    pub escalation: Option<String>,
    /// Intake gate: escalate after, in milliseconds (0: never).
    pub intake_escalate_ms: u64,
    /// Plan gate: escalate after, in milliseconds (0: never).
    pub plan_escalate_ms: u64,
    /// Plan gate: auto-approve after, in milliseconds.
    pub plan_timeout_ms: u64,
    /// Production gate: auto-reject after, in milliseconds.
    pub production_timeout_ms: u64,
    /// Users (groups resolved) who may skip gates.
    pub admins: Vec<String>,
    /// Quality checks for this repository.
    pub checks: Vec<chatops_contract::lifecycle::CheckSpec>,
    /// Quality score threshold.
    pub threshold: f64,
    /// Minimum coverage.
    pub min_coverage: f64,
    /// Staging watch.
    pub staging: DeployTarget,
    /// Production watch.
    pub production: DeployTarget,
    /// Failed health checks in a row tolerated.
    pub max_failures: u32,
    /// Error-rate multiple of the baseline that rolls back.
    pub error_rate_factor: f64,
    /// Latency multiple of the baseline that rolls back.
    pub latency_factor: f64,
    /// Squash-merge the pull request before the production deploy.
    pub auto_merge: bool,
    /// GitHub logins asked to review the pull request.
    pub reviewers: Vec<String>,
    /// Between `ContinuousQuality`'s scheduled looks, in milliseconds (0 in policies recorded
    /// before it existed).
    #[serde(default)]
    pub quality_watch_ms: u64,
}

impl LifecyclePolicy {
    /// Whether any agent (primary or alternative) is configured.
    pub fn has_agent(&self) -> bool {
        self.agent || self.alternative_agent
    }
}

/// Serves [`FeaturePolicy`] and [`IncidentPolicy`].
pub struct PolicyActivities {
    policy: FeaturePolicy,
    incident: IncidentPolicy,
    /// Configured approvers: user ids and user group ids.
    approvers: Vec<String>,
    slack: Arc<chatops_common::slack::Client>,
    token: SlackApiToken,
    lifecycle: LifecyclePolicy,
    repositories: std::collections::BTreeMap<String, RepositoryPolicy>,
    /// Whether GitHub is configured (a token is set).
    github: bool,
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
    /// `repository`'s own checks and thresholds over `p`'s, where it has any.
    fn repository_bar(&self, p: &mut LifecyclePolicy, repository: Option<&str>) {
        let Some(over) = repository.and_then(|r| self.repositories.get(r)) else {
            return;
        };
        if let Some(c) = &over.checks {
            p.checks = c.clone();
        }
        if let Some(t) = over.threshold {
            p.threshold = t;
        }
        if let Some(m) = over.min_coverage {
            p.min_coverage = m;
        }
    }

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
            lifecycle: LifecyclePolicy::default(),
            repositories: std::collections::BTreeMap::new(),
            github: false,
        }
    }

    /// Adds the lifecycle policy, its per-repository overrides, and whether GitHub is on.
    pub fn with_lifecycle(
        mut self,
        lifecycle: LifecyclePolicy,
        repositories: std::collections::BTreeMap<String, RepositoryPolicy>,
        github: bool,
    ) -> Self {
        self.lifecycle = lifecycle;
        self.repositories = repositories;
        self.github = github;
        self
    }

    /// The approvers with every user group replaced by its members.
    async fn resolve_approvers(&self) -> Result<Option<Vec<String>>, ActivityError> {
        if self.approvers.is_empty() {
            return Ok(None);
        }
        self.resolve(&self.approvers).await.map(Some)
    }

    /// `ids` with every user group replaced by its members; a group that cannot be read adds
    /// nobody (logged), so fewer people may act, never more, and nothing waits for Slack.
    async fn resolve_leniently(&self, ids: &[String], role: &str) -> Vec<String> {
        let mut users = Vec::new();
        for who in ids {
            match self.resolve(std::slice::from_ref(who)).await {
                Ok(found) => users.extend(found),
                Err(e) => {
                    tracing::warn!(group = %who, error = ?e, "{role}: a user group could not be read; its members are left out");
                }
            }
        }
        users.sort();
        users.dedup();
        users
    }

    /// `ids` with every user group replaced by its members.
    async fn resolve(&self, ids: &[String]) -> Result<Vec<String>, ActivityError> {
        let mut users = Vec::new();
        for who in ids {
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
                    retryable(format!(
                        "cannot read approver group {who} (usergroups.users.list): {e}"
                    ))
                })?;
            users.extend(members.users.into_iter().map(|u| u.0));
        }
        users.sort();
        users.dedup();
        Ok(users)
    }
}

#[activities]
impl PolicyActivities {
    /// The current feature policy.
    #[activity(name = "policy.feature")]
    #[tracing::instrument(name = "policy.feature", skip_all)]
    pub async fn feature(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<FeaturePolicy, ActivityError> {
        let mut policy = self.policy.clone();
        policy.approvers = self.resolve_approvers().await?;
        if let Some(listed) = &self.policy.oncall {
            policy.oncall = Some(self.resolve_leniently(listed, "on call").await);
        }
        for gate in policy.gates.values_mut() {
            if let Some(listed) = &gate.approvers {
                gate.approvers = Some(self.resolve(listed).await?);
            }
        }
        Ok(policy)
    }

    /// The lifecycle policy for a feature delivered to `repository` (the request's, or the
    /// configured default when `None`).
    #[activity(name = "policy.lifecycle")]
    #[tracing::instrument(name = "policy.lifecycle", skip_all, fields(repo = repository.as_deref()))]
    pub async fn lifecycle(
        self: Arc<Self>,
        _ctx: ActivityContext,
        repository: Option<String>,
    ) -> Result<LifecyclePolicy, ActivityError> {
        let mut p = self.lifecycle.clone();
        p.admins = self.resolve(&self.lifecycle.admins).await?;
        let repo = repository.or_else(|| p.repository.clone());
        self.repository_bar(&mut p, repo.as_deref());
        // Pull requests need both a token and a repository.
        p.repository = repo.filter(|_| self.github);
        Ok(p)
    }

    /// What `ContinuousQuality` holds `repository`'s default branch to, and where it reports.
    #[activity(name = "policy.quality")]
    #[tracing::instrument(name = "policy.quality", skip_all, fields(repo = %repository))]
    pub async fn quality(
        self: Arc<Self>,
        _ctx: ActivityContext,
        repository: String,
    ) -> Result<QualityPolicy, ActivityError> {
        let mut p = self.lifecycle.clone();
        self.repository_bar(&mut p, Some(&repository));
        Ok(QualityPolicy {
            checks: p.checks,
            threshold: p.threshold,
            min_coverage: p.min_coverage,
            channel: self.policy.channel.clone(),
            interval_ms: p.quality_watch_ms,
        })
    }

    /// The current incident policy.
    #[activity(name = "policy.incident")]
    #[tracing::instrument(name = "policy.incident", skip_all)]
    pub async fn incident(
        self: Arc<Self>,
        _ctx: ActivityContext,
    ) -> Result<IncidentPolicy, ActivityError> {
        let mut policy = self.incident.clone();
        if let Some(listed) = &self.incident.responders {
            policy.responders = Some(self.resolve_leniently(listed, "incident responders").await);
        }
        Ok(policy)
    }
}
