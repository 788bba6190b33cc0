//! Delivery activities, all from config: the agents ([`agents`], and on the code itself
//! [`coding`]), quality checks and one-off
//! commands in the checkout ([`checks`]), deploys, health probes and the down-migration
//! ([`deploys`]).

mod agents;
mod checks;
mod coding;
mod deploys;
mod windows;

pub use agents::{AgentAsk, AgentKind, UnknownKind, check_answer};
pub use checks::CheckBook;
pub use checks::{CheckRun, CommandRun};
pub use coding::WorkspaceAt;
pub use deploys::DeployRequest;
pub use windows::WindowVerdict;

use chatops_common::http::Http;
use chatops_contract::feature::Environment;
use chatops_contract::lifecycle::{CheckResult, HealthSample};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activities::failure::permanent;
use crate::activities::shell::{CommandOutput, Shell};

/// Where an agent runs (from `[agent]`).
pub use chatops_common::settings::AgentEndpointSettings as AgentEndpoint;

/// How one environment is deployed and watched.
#[derive(Debug, Clone, Default)]
pub struct DeployConfig {
    /// Shell command; gets `CHATOPS_SHA`, `CHATOPS_ENVIRONMENT`, `CHATOPS_FEATURE` and
    /// `CHATOPS_DEPLOY_ID` (the same on every attempt of one deploy).
    pub command: Option<String>,
    /// Webhook POSTed `{environment, sha, feature, deploy_id}` with the deploy id as its
    /// `Idempotency-Key` header.
    pub webhook: Option<url::Url>,
    /// Health endpoint; 2xx is healthy.
    pub health_url: Option<url::Url>,
    /// Metrics source answering `{"error_rate": f, "latency_ms": f}`.
    pub metrics_url: Option<url::Url>,
    /// Answers the commit the environment runs now.
    pub version_url: Option<url::Url>,
    /// When deploys may start; any time when `None`.
    pub windows: Option<chatops_common::windows::DeployWindows>,
}

/// Everything the delivery activities read from config.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    /// The agent asked first.
    pub agent: Option<AgentEndpoint>,
    /// The agent asked when the first keeps failing.
    pub alternative: Option<AgentEndpoint>,
    /// Folder checks and migration commands run in when no repository is configured.
    pub workdir: Option<std::path::PathBuf>,
    /// Checkouts at an exact commit, for checks and agents.
    pub workspaces: Option<crate::activities::workspace::Workspaces>,
    /// Staging.
    pub staging: DeployConfig,
    /// Production.
    pub production: DeployConfig,
    /// Run before redeploying the previous commit, when set.
    pub down_migration: Option<String>,
    /// Runs the configured commands and command agents.
    pub shell: Shell,
    /// The configured checks, looked up by name: a check runs the command configured here,
    /// never one carried by workflow input.
    pub checks: CheckBook,
    /// The commands migration steps may name (`CHATOPS__MIGRATION__COMMANDS`), by name: a step
    /// runs the command configured here, never one carried by workflow input.
    pub migration_commands: std::collections::BTreeMap<String, String>,
}

/// Most of a pull request's diff a review agent is given, in bytes.
const MAX_DIFF: usize = 200 << 10;

/// How a command or webhook went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Whether it succeeded.
    pub ok: bool,
    /// What it said.
    pub output: String,
    /// What it changed in its checkout, when it ran in one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<chatops_contract::incident::FileChange>,
}

impl StepReport {
    /// What a command run says, success or not.
    fn of(run: Result<CommandOutput, String>) -> Self {
        match run {
            Ok(o) => Self {
                ok: o.ok,
                output: o.output,
                changes: Vec::new(),
            },
            Err(e) => Self {
                ok: false,
                output: e,
                changes: Vec::new(),
            },
        }
    }
}

/// Delivery activities.
#[derive(Debug)]
pub struct DeliveryActivities {
    http: Http,
    config: DeliveryConfig,
}

impl DeliveryActivities {
    /// Activities over `config`.
    pub fn new(config: DeliveryConfig) -> Self {
        Self {
            http: Http::new(),
            config,
        }
    }

    /// The configuration of the environment a workflow named.
    fn target(&self, environment: &str) -> Result<&DeployConfig, ActivityError> {
        match environment.parse::<Environment>() {
            Ok(Environment::Staging) => Ok(&self.config.staging),
            Ok(Environment::Production) => Ok(&self.config.production),
            Err(_) => Err(permanent(format!("unknown environment `{environment}`"))),
        }
    }
}

#[activities]
impl DeliveryActivities {
    /// Asks an agent; the answer is schema-checked for its kind.
    #[activity(name = "delivery.ask_agent")]
    #[tracing::instrument(
        name = "delivery.ask_agent",
        skip_all,
        fields(feature = %ask.feature, kind = %ask.kind, alternative = ask.alternative)
    )]
    pub async fn ask_agent(
        self: Arc<Self>,
        ctx: ActivityContext,
        mut ask: AgentAsk,
    ) -> Result<Value, ActivityError> {
        // A migration is planned from the commands this worker may run, by name.
        if ask.kind == AgentKind::Migration.as_str()
            && let Some(input) = ask.input.as_object_mut()
        {
            let names: Vec<&String> = self.config.migration_commands.keys().collect();
            input.insert("commands".to_owned(), serde_json::json!(names));
        }
        // A review reads the pull request's diff, made here from the two commits.
        if ask.kind == AgentKind::Review.as_str()
            && let (Some(workspaces), Some(at)) =
                (&self.config.workspaces, ask.input.get("workspace"))
        {
            let field = |k: &str| at[k].as_str().unwrap_or_default().to_owned();
            let diff = workspaces
                .diff(
                    &field("repository"),
                    &field("base"),
                    &field("sha"),
                    MAX_DIFF,
                )
                .await
                .map_err(|e| {
                    crate::activities::failure::retryable(format!("the diff to review: {e}"))
                })?;
            if let Some(input) = ask.input.as_object_mut() {
                input.insert("diff".to_owned(), Value::String(diff));
            }
        }
        let mut answer = self.answer_beating(&ctx, &ask).await?;
        // A migration plan carries the command lines its names stand for, for the person who
        // approves it.
        if ask.kind == AgentKind::Migration.as_str() {
            let mut lines = serde_json::Map::new();
            for step in answer["steps"].as_array().into_iter().flatten() {
                for key in ["command", "validate", "rollback"] {
                    if let Some(name) = step[key].as_str()
                        && let Some(line) = self.config.migration_commands.get(name.trim())
                    {
                        lines.insert(name.trim().to_owned(), Value::String(line.clone()));
                    }
                }
            }
            answer["command_lines"] = Value::Object(lines);
        }
        Ok(answer)
    }

    /// Runs one quality check in the checkout, heartbeating while it runs.
    #[activity(name = "delivery.run_check")]
    #[tracing::instrument(
        name = "delivery.run_check",
        skip_all,
        fields(feature = %req.feature, check = %req.check.name, sha = %req.sha)
    )]
    pub async fn run_check(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: CheckRun,
    ) -> Result<CheckResult, ActivityError> {
        self.check(&ctx, &req).await
    }

    /// Deploys `sha` to the environment through its command or webhook.
    #[activity(name = "delivery.deploy")]
    #[tracing::instrument(
        name = "delivery.deploy",
        skip_all,
        fields(feature = %req.feature, environment = %req.environment, sha = %req.sha)
    )]
    pub async fn deploy(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: DeployRequest,
    ) -> Result<StepReport, ActivityError> {
        self.deploy_beating(&ctx, &req).await
    }

    /// One health probe: the health endpoint, and the metrics source when configured.
    #[activity(name = "delivery.probe")]
    #[tracing::instrument(name = "delivery.probe", skip_all, fields(%environment))]
    pub async fn probe(
        self: Arc<Self>,
        _ctx: ActivityContext,
        environment: String,
    ) -> Result<HealthSample, ActivityError> {
        self.sample(&environment).await
    }

    /// Runs the migration command configured under the name `req.command` in the checkout; a
    /// name the worker does not know fails without running anything. Its failure is reported,
    /// not retried (a migration step is not assumed safe to run twice).
    #[activity(name = "delivery.run_command")]
    #[tracing::instrument(
        name = "delivery.run_command",
        skip_all,
        fields(workflow_id = ctx.info().workflow_id.as_deref())
    )]
    pub async fn run_command(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: CommandRun,
    ) -> Result<StepReport, ActivityError> {
        Ok(self.command(&req).await)
    }

    /// The commit the environment runs now, from its version URL; `None` when none is
    /// configured. An unreachable or unreadable URL is retried, then fails.
    #[activity(name = "delivery.live_commit")]
    #[tracing::instrument(name = "delivery.live_commit", skip_all, fields(%environment))]
    pub async fn live_commit(
        self: Arc<Self>,
        _ctx: ActivityContext,
        environment: String,
    ) -> Result<Option<String>, ActivityError> {
        self.version(&environment).await
    }

    /// Whether the environment's deploy windows let a deploy start now, and if not, when.
    #[activity(name = "delivery.deploy_window")]
    #[tracing::instrument(name = "delivery.deploy_window", skip_all, fields(%environment))]
    pub async fn deploy_window(
        self: Arc<Self>,
        _ctx: ActivityContext,
        environment: String,
    ) -> Result<WindowVerdict, ActivityError> {
        let target = self.target(&environment)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok(windows::verdict(target.windows.as_ref(), now))
    }

    /// The rollback saga's first step: the configured down-migration.
    #[activity(name = "delivery.down_migration")]
    #[tracing::instrument(
        name = "delivery.down_migration",
        skip_all,
        fields(feature = %req.feature, environment = %req.environment, sha = %req.sha)
    )]
    pub async fn down_migration(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: DeployRequest,
    ) -> Result<StepReport, ActivityError> {
        let id = req.deploy_id(ctx.info());
        Ok(self.migrate_down(&req, &id).await)
    }
}
