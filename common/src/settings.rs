//! Typed settings: embedded defaults → optional `chatops.toml` → `CHATOPS__SECTION__KEY` env.
//!
//! Every value is validated once at start; the first bad one fails with a single line naming
//! its env key and its file key.

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use std::{collections::BTreeSet, fmt, net::SocketAddr, path::PathBuf, time::Duration};
use url::Url;

/// Env var naming a settings file other than `./chatops.toml`.
pub const CONFIG_FILE_ENV: &str = "CHATOPS_CONFIG";

/// Every key, its default (if any) and what it is, in the order README documents them.
pub const KEYS: &[(&str, Option<&str>, &str)] = &[
    (
        "temporal.address",
        Some("http://127.0.0.1:7233"),
        "Temporal frontend gRPC address",
    ),
    ("temporal.namespace", Some("default"), "Temporal namespace"),
    (
        "temporal.task_queue",
        Some("chatops"),
        "task queue the worker polls and the bot starts on",
    ),
    (
        "temporal.ui_url",
        Some("http://127.0.0.1:8233"),
        "Temporal web UI base URL, for deep links",
    ),
    (
        "slack.app_token",
        None,
        "Socket Mode app-level token (xapp-…); the bot needs it",
    ),
    (
        "slack.bot_token",
        None,
        "bot token (xoxb-…); both processes need it",
    ),
    (
        "slack.api_url",
        Some("https://slack.com/api"),
        "Slack Web API base URL",
    ),
    (
        "slack.channel",
        Some("C0DELIVERY"),
        "default notifications channel id",
    ),
    (
        "slack.socket_connections",
        Some("2"),
        "Socket Mode connections to keep open (1–10)",
    ),
    (
        "database.url",
        Some("sqlite://.data/chatops.db"),
        "the bot's store: `sqlite://<file>` or `postgres://user@host/db`",
    ),
    (
        "approvals.approvers",
        None,
        "comma-separated user (`U…`) and user group (`S…`) ids who may decide gates; anyone may without it",
    ),
    (
        "approvals.required",
        Some("1"),
        "distinct approvals a gate needs (N of M, 1–10); the first reject still wins",
    ),
    (
        "approvals.gates",
        None,
        "per-gate overrides, JSON {\"production\": {\"approvers\": \"S0SRE,U0LEAD\", \"required\": 2}}; gates not named use the keys above",
    ),
    (
        "approvals.no_self_approval",
        Some("production"),
        "comma-separated gates the requester may not approve themselves",
    ),
    (
        "github.token",
        None,
        "GitHub token (hotfix and postmortem pull requests); GitHub work is off without it",
    ),
    (
        "github.api_url",
        Some("https://api.github.com"),
        "GitHub REST API base URL (GitHub Enterprise: https://host/api/v3)",
    ),
    (
        "slack.channel_burst",
        Some("10"),
        "posts (and, separately, card edits) to one channel sent at once before they are spread ~1 per second",
    ),
    (
        "feature.intake_timeout",
        Some("48h"),
        "how long the intake (requirement) gate waits before auto-rejecting",
    ),
    (
        "feature.intake_escalation",
        Some("24h"),
        "how long the intake gate waits before calling `feature.escalation` (0s: never)",
    ),
    (
        "feature.plan_escalation",
        Some("48h"),
        "how long the task-plan gate waits before calling `feature.escalation` (0s: never)",
    ),
    (
        "feature.plan_timeout",
        Some("72h"),
        "how long the task-plan gate waits before auto-approving, with a visible warning",
    ),
    (
        "feature.production_timeout",
        Some("72h"),
        "how long the production gate waits before auto-rejecting (it is never auto-approved)",
    ),
    (
        "feature.escalation",
        None,
        "who gate escalations and failed phases mention: a user (`U…`) or user group (`S…`) id",
    ),
    (
        "feature.repository",
        None,
        "default `owner/name` features are delivered to (a request may name its own)",
    ),
    (
        "feature.checks",
        None,
        "quality checks, a JSON list of {name, command, required, weight, timeout_secs}; run in `quality.workdir`",
    ),
    (
        "feature.repositories",
        None,
        "per-repository overrides, JSON {\"owner/name\": {checks, threshold, min_coverage}}",
    ),
    (
        "feature.quality_threshold",
        Some("85"),
        "weighted quality score (0–100) a change needs to merge",
    ),
    (
        "feature.min_coverage",
        Some("80"),
        "coverage (the `coverage` check's score=NN) a change needs to merge",
    ),
    (
        "quality.workdir",
        Some("."),
        "folder the quality checks run in: the checkout of the feature branch",
    ),
    (
        "approvals.admins",
        None,
        "comma-separated user (`U…`) and user group (`S…`) ids who may skip a gate; nobody may without it",
    ),
    (
        "github.reviewers",
        None,
        "comma-separated GitHub logins asked to review each feature's pull request",
    ),
    (
        "github.auto_merge",
        Some("false"),
        "squash-merge the feature's pull request before the production deploy",
    ),
    (
        "agent.command",
        None,
        "delivery agent, command backend (`sh -c`): request JSON on stdin, answer JSON on stdout",
    ),
    (
        "agent.url",
        None,
        "delivery agent, OpenAI-compatible base URL (`…/v1`); `/chat/completions` is called",
    ),
    ("agent.model", Some("gpt-4o-mini"), "model for `agent.url`"),
    (
        "agent.api_key",
        None,
        "bearer key for `agent.url` and `agent.alternative_url`",
    ),
    (
        "agent.alternative_command",
        None,
        "agent asked when the first keeps failing, command backend",
    ),
    (
        "agent.alternative_url",
        None,
        "agent asked when the first keeps failing, OpenAI-compatible base URL",
    ),
    (
        "agent.timeout",
        Some("5m"),
        "how long one agent answer may take",
    ),
    (
        "agent.attempts",
        Some("3"),
        "attempts per agent before the next rung of the ladder (1–10)",
    ),
    (
        "deploy.staging_command",
        None,
        "staging deploy command (`sh -c`, with CHATOPS_SHA, CHATOPS_ENVIRONMENT, CHATOPS_FEATURE)",
    ),
    (
        "deploy.staging_webhook",
        None,
        "staging deploy webhook, POSTed {environment, sha, feature}",
    ),
    (
        "deploy.staging_health_url",
        None,
        "staging health endpoint; 2xx is healthy",
    ),
    (
        "deploy.staging_metrics_url",
        None,
        "staging metrics source answering {\"error_rate\": f, \"latency_ms\": f}",
    ),
    (
        "deploy.staging_interval",
        Some("30s"),
        "between staging health checks",
    ),
    (
        "deploy.staging_window",
        Some("5m"),
        "how long staging is watched",
    ),
    (
        "deploy.production_command",
        None,
        "production deploy command (`sh -c`, same variables)",
    ),
    (
        "deploy.production_webhook",
        None,
        "production deploy webhook",
    ),
    (
        "deploy.production_health_url",
        None,
        "production health endpoint",
    ),
    (
        "deploy.production_metrics_url",
        None,
        "production metrics source",
    ),
    (
        "deploy.production_interval",
        Some("15s"),
        "between production health checks",
    ),
    (
        "deploy.production_window",
        Some("10m"),
        "how long production is watched",
    ),
    (
        "deploy.down_migration_command",
        None,
        "rollback saga's first step (`sh -c`), before the previous commit is redeployed",
    ),
    (
        "deploy.max_failures",
        Some("3"),
        "roll back after more than this many failed health checks in a row",
    ),
    (
        "deploy.error_rate_factor",
        Some("3"),
        "roll back when the error rate stays above this multiple of the pre-deploy baseline",
    ),
    (
        "deploy.latency_factor",
        Some("5"),
        "roll back when latency stays above this multiple of the pre-deploy baseline",
    ),
    (
        "feature.phase_duration",
        Some("2s"),
        "how long each placeholder phase lasts",
    ),
    (
        "incident.channel",
        None,
        "channel id for incident cards; defaults to `slack.channel`",
    ),
    (
        "incident.agents",
        Some("3"),
        "diagnostic agents run in parallel per incident (1–10)",
    ),
    (
        "incident.agent_url",
        None,
        "HTTP agent backend: receives a POST of the incident as JSON, answers a diagnosis",
    ),
    (
        "incident.agent_command",
        None,
        "command agent backend (`sh -c`): incident JSON on stdin, diagnosis JSON on stdout",
    ),
    (
        "incident.agent_timeout",
        Some("2m"),
        "how long one agent may take before it is retried (3 attempts)",
    ),
    (
        "incident.threshold",
        Some("0.70"),
        "consensus confidence needed to act without a human (0–1)",
    ),
    (
        "incident.similarity",
        Some("0.5"),
        "word overlap (Jaccard, 0–1) at which two root causes count as the same",
    ),
    (
        "incident.choose_timeout",
        Some("30m"),
        "how long candidate diagnoses wait for a pick before escalating, and between escalations",
    ),
    (
        "incident.escalation",
        None,
        "who escalations mention: a user (`U…`) or user group (`S…`) id",
    ),
    (
        "incident.rollback_command",
        None,
        "command the Roll back button runs (`sh -c`, with `SERVICE` and `INCIDENT` set)",
    ),
    (
        "incident.context_urls",
        None,
        "comma-separated metrics/log URLs fetched before diagnosis; `{service}` is replaced",
    ),
    (
        "incident.repository",
        None,
        "`owner/name` that hotfix and postmortem pull requests go to",
    ),
    (
        "incident.postmortem_path",
        None,
        "folder in `incident.repository` for postmortem pull requests; none are opened without it",
    ),
    (
        "incident.checks_timeout",
        Some("30m"),
        "how long a hotfix pull request's checks are waited for",
    ),
    (
        "incident.checks_interval",
        Some("30s"),
        "how often a hotfix pull request's checks are read",
    ),
    (
        "incident.monitor_events",
        Some("500"),
        "alerts one monitor run handles before it continues as new",
    ),
    (
        "emergency.oncall",
        None,
        "comma-separated user (`U…`) and user group (`S…`) ids allowed to engage and release the emergency stop",
    ),
    (
        "emergency.recheck",
        Some("1m"),
        "how often a delivery held by the emergency stop checks whether it was released",
    ),
    (
        "alerts.listen",
        Some("127.0.0.1:7398"),
        "where the bot's alert intake (`POST /alerts`) and `/healthz` listen",
    ),
    (
        "alerts.token",
        None,
        "bearer token alert senders must present; alert intake is off without it",
    ),
    (
        "worker.listen",
        Some("127.0.0.1:7397"),
        "where the worker serves `/healthz`, `/readyz` and `/metrics`",
    ),
    (
        "shell.listen",
        Some("127.0.0.1:7399"),
        "where the shell's local Slack Web API listens",
    ),
    (
        "shell.user",
        Some("U0SHELL"),
        "Slack user id the shell acts as",
    ),
    (
        "shell.state_file",
        Some(".data/shell-messages.json"),
        "where the shell keeps its channel's messages",
    ),
    ("log.format", Some("pretty"), "`pretty` or `json`"),
    (
        "log.filter",
        Some("info"),
        "tracing filter when RUST_LOG is unset",
    ),
];

/// A setting that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// File key, e.g. `temporal.address`.
    pub key: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl SettingsError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            return write!(f, "config error: {}", self.message);
        }
        write!(
            f,
            "config error: {} ({}): {}",
            env_key(&self.key),
            self.key,
            self.message
        )
    }
}

impl std::error::Error for SettingsError {}

/// The env var for a file key: `temporal.address` → `CHATOPS__TEMPORAL__ADDRESS`.
pub fn env_key(key: &str) -> String {
    format!("CHATOPS__{}", key.replace('.', "__").to_ascii_uppercase())
}

/// All settings of both processes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Temporal connection.
    pub temporal: TemporalSettings,
    /// Slack connection.
    pub slack: SlackSettings,
    /// The bot's store.
    pub database: DatabaseSettings,
    /// Who decides gates.
    pub approvals: ApprovalSettings,
    /// GitHub.
    pub github: GitHubSettings,
    /// Feature-delivery policy.
    pub feature: FeatureSettings,
    /// Delivery agents.
    pub agent: AgentSettings,
    /// Deploys and health watching.
    pub deploy: DeploySettings,
    /// Incident response.
    pub incident: IncidentSettings,
    /// The emergency stop.
    pub emergency: EmergencySettings,
    /// Machine alert intake.
    pub alerts: AlertSettings,
    /// The worker's operations endpoint.
    pub worker: WorkerSettings,
    /// The local shell adapter.
    pub shell: ShellSettings,
    /// Logging.
    pub log: LogSettings,
}

/// `[temporal]`
#[derive(Debug, Clone)]
pub struct TemporalSettings {
    pub address: Url,
    pub namespace: String,
    pub task_queue: String,
    pub ui_url: Url,
}

/// `[slack]`
#[derive(Debug, Clone)]
pub struct SlackSettings {
    pub app_token: Option<SecretString>,
    pub bot_token: Option<SecretString>,
    pub api_url: Url,
    pub channel: String,
    pub socket_connections: u32,
    pub channel_burst: u32,
}

/// `[database]`
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…` (may hold a password: redacted in Debug).
    pub url: String,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = match Url::parse(&self.url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("redacted"));
                u.to_string()
            }
            _ => self.url.clone(),
        };
        f.debug_struct("DatabaseSettings")
            .field("url", &shown)
            .finish()
    }
}

/// `[approvals]`
#[derive(Debug, Clone)]
pub struct ApprovalSettings {
    /// User and user group ids; empty lets anyone decide.
    pub approvers: Vec<String>,
    pub required: u32,
    /// Gates the requester may not approve.
    pub no_self_approval: Vec<String>,
    /// Per-gate overrides of `approvers` and `required`, by gate name.
    pub gates: std::collections::BTreeMap<String, GateApprovalSettings>,
}

impl ApprovalSettings {
    /// Who may decide gate `gate` (user and user group ids; empty: anyone).
    pub fn approvers_for(&self, gate: &str) -> &[String] {
        self.gates
            .get(gate)
            .and_then(|g| g.approvers.as_deref())
            .unwrap_or(&self.approvers)
    }
}

/// One gate's override in `approvals.gates`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateApprovalSettings {
    /// Who may decide this gate, instead of `approvals.approvers`.
    pub approvers: Option<Vec<String>>,
    /// Distinct approvals this gate needs, instead of `approvals.required`.
    pub required: Option<u32>,
}

/// Whether `who` is a Slack user id (`U…`, `W…`) or user group id (`S…`).
fn is_slack_principal(who: &str) -> bool {
    who.len() > 1
        && who.starts_with(['U', 'W', 'S'])
        && who
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `approvals.gates`: `{"gate": {"approvers": "U…,S…", "required": N}}`, each part checked.
fn parse_gate_approvals(
    raw: &str,
) -> Result<std::collections::BTreeMap<String, GateApprovalSettings>, SettingsError> {
    const KEY: &str = "approvals.gates";
    let map: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_str(raw)
        .map_err(|e| {
            SettingsError::new(
                KEY,
                format!("must be a JSON object of gates, like {{\"production\": {{\"required\": 2}}}}: {e}"),
            )
        })?;
    let mut out = std::collections::BTreeMap::new();
    for (gate, rule) in map {
        if !["intake", "plan", "production"].contains(&gate.as_str()) {
            return Err(SettingsError::new(
                KEY,
                format!("`{gate}` is not a gate; the gates are intake, plan and production"),
            ));
        }
        let Some(obj) = rule.as_object() else {
            return Err(SettingsError::new(
                KEY,
                format!("`{gate}` must map to an object with `approvers` and/or `required`"),
            ));
        };
        let mut parsed = GateApprovalSettings::default();
        for (field, v) in obj {
            match field.as_str() {
                "approvers" => {
                    let listed: Vec<String> = match v {
                        serde_json::Value::String(s) => s
                            .split(',')
                            .map(|w| w.trim().to_owned())
                            .filter(|w| !w.is_empty())
                            .collect(),
                        serde_json::Value::Array(a) => a
                            .iter()
                            .map(|w| w.as_str().unwrap_or_default().trim().to_owned())
                            .collect(),
                        _ => Vec::new(),
                    };
                    for who in &listed {
                        if !is_slack_principal(who) {
                            return Err(SettingsError::new(
                                KEY,
                                format!(
                                    "{gate}.approvers: `{who}` must be a Slack user id (U…) or user group id (S…)"
                                ),
                            ));
                        }
                    }
                    if listed.is_empty() {
                        return Err(SettingsError::new(
                            KEY,
                            format!("{gate}.approvers must name at least one user or group"),
                        ));
                    }
                    parsed.approvers = Some(listed);
                }
                "required" => match v.as_u64() {
                    Some(n @ 1..=10) => parsed.required = u32::try_from(n).ok(),
                    _ => {
                        return Err(SettingsError::new(
                            KEY,
                            format!("{gate}.required: `{v}` must be a whole number from 1 to 10"),
                        ));
                    }
                },
                other => {
                    return Err(SettingsError::new(
                        KEY,
                        format!("{gate}: `{other}` is not a setting; use approvers and required"),
                    ));
                }
            }
        }
        out.insert(gate, parsed);
    }
    Ok(out)
}

/// `[github]`
#[derive(Clone)]
pub struct GitHubSettings {
    pub token: Option<SecretString>,
    pub api_url: Url,
}

impl fmt::Debug for GitHubSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubSettings")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("api_url", &self.api_url.as_str())
            .finish()
    }
}

/// `[feature]` and `[quality]`
#[derive(Debug, Clone)]
pub struct FeatureSettings {
    pub intake_timeout: Duration,
    pub phase_duration: Duration,
    pub intake_escalation: Duration,
    pub plan_escalation: Duration,
    pub plan_timeout: Duration,
    pub production_timeout: Duration,
    pub escalation: Option<String>,
    pub repository: Option<String>,
    pub checks: Vec<chatops_contract::lifecycle::CheckSpec>,
    /// Per-repository overrides, as JSON objects keyed by `owner/name`.
    pub repositories: std::collections::BTreeMap<String, serde_json::Value>,
    pub quality_threshold: f64,
    pub min_coverage: f64,
    pub workdir: std::path::PathBuf,
    pub admins: Vec<String>,
    pub auto_merge: bool,
    pub reviewers: Vec<String>,
}

/// One agent endpoint.
#[derive(Clone)]
pub enum AgentEndpointSettings {
    /// OpenAI-compatible chat completions.
    Http {
        url: Url,
        model: String,
        key: Option<SecretString>,
    },
    /// `sh -c` command.
    Command(String),
}

impl fmt::Debug for AgentEndpointSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http { url, model, key } => f
                .debug_struct("Http")
                .field("url", &url.as_str())
                .field("model", model)
                .field("key", &key.as_ref().map(|_| "[redacted]"))
                .finish(),
            Self::Command(c) => f.debug_tuple("Command").field(c).finish(),
        }
    }
}

/// `[agent]`
#[derive(Debug, Clone)]
pub struct AgentSettings {
    pub primary: Option<AgentEndpointSettings>,
    pub alternative: Option<AgentEndpointSettings>,
    pub timeout: Duration,
    pub attempts: u32,
}

/// One environment of `[deploy]`.
#[derive(Debug, Clone, Default)]
pub struct DeployEnvSettings {
    pub command: Option<String>,
    pub webhook: Option<Url>,
    pub health_url: Option<Url>,
    pub metrics_url: Option<Url>,
    pub interval: Duration,
    pub window: Duration,
}

/// `[deploy]`
#[derive(Debug, Clone)]
pub struct DeploySettings {
    pub staging: DeployEnvSettings,
    pub production: DeployEnvSettings,
    pub down_migration_command: Option<String>,
    pub max_failures: u32,
    pub error_rate_factor: f64,
    pub latency_factor: f64,
}

/// `[incident]`
#[derive(Debug, Clone)]
pub struct IncidentSettings {
    pub channel: String,
    pub agents: u32,
    pub agent_backend: AgentBackend,
    pub agent_timeout: Duration,
    pub threshold: f64,
    pub similarity: f64,
    pub choose_timeout: Duration,
    pub escalation: Option<String>,
    pub rollback_command: Option<String>,
    /// `owner/name` for hotfix and postmortem pull requests.
    pub repository: Option<String>,
    pub postmortem_path: Option<String>,
    pub checks_timeout: Duration,
    pub checks_interval: Duration,
    /// Validated URLs, `{service}` placeholder kept.
    pub context_urls: Vec<String>,
    pub monitor_events: u32,
}

/// Where diagnostic agents run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentBackend {
    /// None configured: incidents go straight to humans.
    None,
    /// POST the incident to this URL.
    Http(Url),
    /// Run this through `sh -c`.
    Command(String),
}

/// `[emergency]`
#[derive(Debug, Clone)]
pub struct EmergencySettings {
    /// User and user group ids allowed to engage and release.
    pub oncall: Vec<String>,
    pub recheck: Duration,
}

/// `[alerts]`
#[derive(Clone)]
pub struct AlertSettings {
    pub listen: SocketAddr,
    pub token: Option<SecretString>,
}

impl fmt::Debug for AlertSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertSettings")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `[worker]`
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub listen: SocketAddr,
}

/// `[shell]`
#[derive(Debug, Clone)]
pub struct ShellSettings {
    pub listen: SocketAddr,
    pub user: String,
    pub state_file: PathBuf,
}

/// `[log]`
#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Pretty,
    /// One JSON object per event.
    Json,
}

impl Settings {
    /// Loads settings from the defaults, the optional settings file and the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        let file = std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from);
        let explicit = file.is_some();
        let file = file.unwrap_or_else(|| PathBuf::from("chatops.toml"));
        if explicit && !file.exists() {
            return Err(SettingsError::new(
                "",
                format!(
                    "{CONFIG_FILE_ENV} names {}, which does not exist",
                    file.display()
                ),
            ));
        }
        let mut builder = Config::builder().add_source(
            File::from(file.clone())
                .format(FileFormat::Toml)
                .required(false),
        );
        builder = builder.add_source(env_source(std::env::vars().collect()));
        let cfg = builder
            .build()
            .map_err(|e| SettingsError::new("", format!("cannot read {}: {e}", file.display())))?;
        Self::from_config(&cfg)
    }

    /// Loads settings from the defaults and the given `CHATOPS__…` variables only (tests).
    pub fn from_env_map(
        vars: std::collections::HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let cfg = Config::builder()
            .add_source(env_source(vars))
            .build()
            .map_err(|e| SettingsError::new("", e.to_string()))?;
        Self::from_config(&cfg)
    }

    fn from_config(cfg: &Config) -> Result<Self, SettingsError> {
        reject_unknown_keys(cfg)?;
        let get = |key: &str| -> Result<Option<String>, SettingsError> {
            match cfg.get_string(key) {
                Ok(v) => Ok(Some(v)),
                Err(config::ConfigError::NotFound(_)) => Ok(None),
                Err(e) => Err(SettingsError::new(key, e.to_string())),
            }
        };
        let value = |key: &str| -> Result<String, SettingsError> {
            let default = KEYS
                .iter()
                .find(|(k, ..)| *k == key)
                .and_then(|(_, d, _)| *d);
            match get(key)? {
                Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
                Some(_) => Err(SettingsError::new(key, "is empty")),
                None => default
                    .map(str::to_owned)
                    .ok_or_else(|| SettingsError::new(key, "is missing")),
            }
        };
        let url = |key: &str| -> Result<Url, SettingsError> {
            let v = value(key)?;
            let u = Url::parse(&v)
                .map_err(|e| SettingsError::new(key, format!("`{v}` is not a URL ({e})")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(SettingsError::new(
                    key,
                    format!("`{v}` must start with http:// or https://"),
                ));
            }
            Ok(u)
        };
        let duration = |key: &str| -> Result<Duration, SettingsError> {
            let v = value(key)?;
            humantime::parse_duration(&v).map_err(|e| {
                SettingsError::new(
                    key,
                    format!("`{v}` is not a duration like \"90s\" or \"24h\" ({e})"),
                )
            })
        };
        let token = |key: &str, prefix: &str| -> Result<Option<SecretString>, SettingsError> {
            match get(key)? {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) if v.trim().starts_with(prefix) => {
                    Ok(Some(SecretString::from(v.trim().to_owned())))
                }
                Some(_) => Err(SettingsError::new(
                    key,
                    format!("must start with `{prefix}`"),
                )),
            }
        };
        let name = |key: &str| -> Result<String, SettingsError> {
            let v = value(key)?;
            if v.chars().any(char::is_whitespace) {
                return Err(SettingsError::new(
                    key,
                    format!("`{v}` must not contain spaces"),
                ));
            }
            Ok(v)
        };

        let connections = value("slack.socket_connections")?;
        let socket_connections = match connections.parse::<u32>() {
            Ok(n @ 1..=10) => n,
            _ => {
                return Err(SettingsError::new(
                    "slack.socket_connections",
                    format!("`{connections}` must be a whole number from 1 to 10"),
                ));
            }
        };
        let address = |key: &str| -> Result<SocketAddr, SettingsError> {
            let v = value(key)?;
            v.parse().map_err(|_| {
                SettingsError::new(key, format!("`{v}` is not an address like 127.0.0.1:7399"))
            })
        };
        let optional = |key: &str| -> Result<Option<String>, SettingsError> {
            Ok(get(key)?
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()))
        };
        let count = |key: &str, max: u32| -> Result<u32, SettingsError> {
            let v = value(key)?;
            match v.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(SettingsError::new(
                    key,
                    format!("`{v}` must be a whole number from 1 to {max}"),
                )),
            }
        };
        let fraction = |key: &str| -> Result<f64, SettingsError> {
            let v = value(key)?;
            match v.parse::<f64>() {
                Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
                _ => Err(SettingsError::new(
                    key,
                    format!("`{v}` must be a number from 0 to 1, like 0.7"),
                )),
            }
        };
        let percent = |key: &str| -> Result<f64, SettingsError> {
            let v = value(key)?;
            match v.parse::<f64>() {
                Ok(x) if (0.0..=100.0).contains(&x) => Ok(x),
                _ => Err(SettingsError::new(
                    key,
                    format!("`{v}` must be a number from 0 to 100, like 85"),
                )),
            }
        };
        let factor = |key: &str| -> Result<f64, SettingsError> {
            let v = value(key)?;
            match v.parse::<f64>() {
                Ok(x) if x > 1.0 && x.is_finite() => Ok(x),
                _ => Err(SettingsError::new(
                    key,
                    format!("`{v}` must be a number above 1, like 3"),
                )),
            }
        };
        let flag = |key: &str| -> Result<bool, SettingsError> {
            match value(key)?.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Ok(true),
                "false" | "no" | "0" | "off" => Ok(false),
                other => Err(SettingsError::new(
                    key,
                    format!("`{other}` must be true or false"),
                )),
            }
        };
        let optional_url = |key: &str| -> Result<Option<Url>, SettingsError> {
            match optional(key)? {
                Some(_) => Ok(Some(url(key)?)),
                None => Ok(None),
            }
        };
        let endpoint = |url_key: &str,
                        command_key: &str|
         -> Result<Option<AgentEndpointSettings>, SettingsError> {
            match (optional(url_key)?, optional(command_key)?) {
                (Some(_), Some(_)) => Err(SettingsError::new(
                    command_key,
                    format!("set either {url_key} or {command_key}, not both"),
                )),
                (Some(_), None) => Ok(Some(AgentEndpointSettings::Http {
                    url: url(url_key)?,
                    model: value("agent.model")?,
                    key: optional("agent.api_key")?.map(SecretString::from),
                })),
                (None, Some(cmd)) => Ok(Some(AgentEndpointSettings::Command(cmd))),
                (None, None) => Ok(None),
            }
        };
        let deploy_env = |env: &str| -> Result<DeployEnvSettings, SettingsError> {
            let key = |k: &str| format!("deploy.{env}_{k}");
            let command = optional(&key("command"))?;
            let webhook = optional_url(&key("webhook"))?;
            if command.is_some() && webhook.is_some() {
                return Err(SettingsError::new(
                    &key("webhook"),
                    format!(
                        "set either {} or {}, not both",
                        key("command"),
                        key("webhook")
                    ),
                ));
            }
            Ok(DeployEnvSettings {
                command,
                webhook,
                health_url: optional_url(&key("health_url"))?,
                metrics_url: optional_url(&key("metrics_url"))?,
                interval: duration(&key("interval"))?,
                window: duration(&key("window"))?,
            })
        };
        let listen = address("shell.listen")?;
        let agent_backend = match (
            optional("incident.agent_url")?,
            optional("incident.agent_command")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(SettingsError::new(
                    "incident.agent_command",
                    "set either incident.agent_url or incident.agent_command, not both",
                ));
            }
            (Some(_), None) => AgentBackend::Http(url("incident.agent_url")?),
            (None, Some(cmd)) => AgentBackend::Command(cmd),
            (None, None) => AgentBackend::None,
        };
        let mut context_urls = Vec::new();
        for part in optional("incident.context_urls")?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let u = Url::parse(&part.replace("{service}", "service")).map_err(|e| {
                SettingsError::new(
                    "incident.context_urls",
                    format!("`{part}` is not a URL ({e})"),
                )
            })?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(SettingsError::new(
                    "incident.context_urls",
                    format!("`{part}` must start with http:// or https://"),
                ));
            }
            // Kept with the placeholder; the worker substitutes the service per incident.
            context_urls.push(part.to_owned());
        }
        let repository = optional("incident.repository")?
            .map(|r| owner_name("incident.repository", r))
            .transpose()?;
        let escalation = optional("incident.escalation")?;
        if let Some(who) = &escalation
            && !(who.starts_with('U') || who.starts_with('S') || who.starts_with('W'))
        {
            return Err(SettingsError::new(
                "incident.escalation",
                format!("`{who}` must be a Slack user id (U…) or user group id (S…)"),
            ));
        }
        let people = |key: &str| -> Result<Vec<String>, SettingsError> {
            let mut out = Vec::new();
            for who in optional(key)?
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
            {
                if !is_slack_principal(who) {
                    return Err(SettingsError::new(
                        key,
                        format!("`{who}` must be a Slack user id (U…) or user group id (S…)"),
                    ));
                }
                out.push(who.to_owned());
            }
            Ok(out)
        };
        let oncall = people("emergency.oncall")?;
        let approvers = people("approvals.approvers")?;
        let no_self_approval: Vec<String> = value("approvals.no_self_approval")?
            .split(',')
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty())
            .collect();
        let alerts_token = optional("alerts.token")?;
        if let Some(t) = &alerts_token
            && t.len() < 16
        {
            return Err(SettingsError::new(
                "alerts.token",
                "is shorter than 16 characters; use a long random string",
            ));
        }
        let format = match value("log.format")?.as_str() {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(SettingsError::new(
                    "log.format",
                    format!("`{other}` must be `pretty` or `json`"),
                ));
            }
        };

        Ok(Self {
            temporal: TemporalSettings {
                address: url("temporal.address")?,
                namespace: name("temporal.namespace")?,
                task_queue: name("temporal.task_queue")?,
                ui_url: url("temporal.ui_url")?,
            },
            slack: SlackSettings {
                app_token: token("slack.app_token", "xapp-")?,
                bot_token: token("slack.bot_token", "xoxb-")?,
                api_url: url("slack.api_url")?,
                channel: name("slack.channel")?,
                socket_connections,
                channel_burst: count("slack.channel_burst", 100_000)?,
            },
            database: DatabaseSettings {
                url: {
                    let v = value("database.url")?;
                    if !(v.starts_with("sqlite:")
                        || v.starts_with("postgres:")
                        || v.starts_with("postgresql:"))
                    {
                        return Err(SettingsError::new(
                            "database.url",
                            format!("`{v}` must start with sqlite: or postgres:"),
                        ));
                    }
                    v
                },
            },
            approvals: ApprovalSettings {
                approvers,
                required: count("approvals.required", 10)?,
                no_self_approval,
                gates: match optional("approvals.gates")? {
                    Some(v) => parse_gate_approvals(&v)?,
                    None => std::collections::BTreeMap::new(),
                },
            },
            github: GitHubSettings {
                token: optional("github.token")?.map(SecretString::from),
                api_url: url("github.api_url")?,
            },
            feature: FeatureSettings {
                intake_timeout: duration("feature.intake_timeout")?,
                phase_duration: duration("feature.phase_duration")?,
                intake_escalation: duration("feature.intake_escalation")?,
                plan_escalation: duration("feature.plan_escalation")?,
                plan_timeout: duration("feature.plan_timeout")?,
                production_timeout: duration("feature.production_timeout")?,
                escalation: optional("feature.escalation")?,
                repository: match optional("feature.repository")? {
                    Some(r) => Some(owner_name("feature.repository", r)?),
                    None => None,
                },
                checks: match optional("feature.checks")? {
                    Some(v) => parse_checks("feature.checks", &v)?,
                    None => Vec::new(),
                },
                repositories: match optional("feature.repositories")? {
                    Some(v) => parse_repositories(&v)?,
                    None => std::collections::BTreeMap::new(),
                },
                quality_threshold: percent("feature.quality_threshold")?,
                min_coverage: percent("feature.min_coverage")?,
                workdir: std::path::PathBuf::from(value("quality.workdir")?),
                admins: people("approvals.admins")?,
                auto_merge: flag("github.auto_merge")?,
                reviewers: optional("github.reviewers")?
                    .map(|v| {
                        v.split(',')
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            agent: AgentSettings {
                primary: endpoint("agent.url", "agent.command")?,
                alternative: endpoint("agent.alternative_url", "agent.alternative_command")?,
                timeout: duration("agent.timeout")?,
                attempts: count("agent.attempts", 10)?,
            },
            deploy: DeploySettings {
                staging: deploy_env("staging")?,
                production: deploy_env("production")?,
                down_migration_command: optional("deploy.down_migration_command")?,
                max_failures: count("deploy.max_failures", 1000)?,
                error_rate_factor: factor("deploy.error_rate_factor")?,
                latency_factor: factor("deploy.latency_factor")?,
            },
            incident: IncidentSettings {
                channel: match optional("incident.channel")? {
                    Some(_) => name("incident.channel")?,
                    None => name("slack.channel")?,
                },
                agents: count("incident.agents", 10)?,
                agent_backend,
                agent_timeout: duration("incident.agent_timeout")?,
                threshold: fraction("incident.threshold")?,
                similarity: fraction("incident.similarity")?,
                choose_timeout: duration("incident.choose_timeout")?,
                escalation,
                rollback_command: optional("incident.rollback_command")?,
                repository,
                postmortem_path: optional("incident.postmortem_path")?
                    .map(|p| p.trim_matches('/').to_owned()),
                checks_timeout: duration("incident.checks_timeout")?,
                checks_interval: duration("incident.checks_interval")?,
                context_urls,
                monitor_events: count("incident.monitor_events", 100_000)?,
            },
            emergency: EmergencySettings {
                oncall,
                recheck: duration("emergency.recheck")?,
            },
            alerts: AlertSettings {
                listen: address("alerts.listen")?,
                token: alerts_token.map(SecretString::from),
            },
            worker: WorkerSettings {
                listen: address("worker.listen")?,
            },
            shell: ShellSettings {
                listen,
                user: name("shell.user")?,
                state_file: PathBuf::from(value("shell.state_file")?),
            },
            log: LogSettings {
                format,
                filter: value("log.filter")?,
            },
        })
    }

    /// The bot token, or an error naming its key.
    pub fn bot_token(&self) -> Result<&SecretString, SettingsError> {
        self.slack.bot_token.as_ref().ok_or_else(|| {
            SettingsError::new(
                "slack.bot_token",
                "is missing; set it to the app's bot token (xoxb-…)",
            )
        })
    }

    /// The Socket Mode app token, or an error naming its key.
    pub fn app_token(&self) -> Result<&SecretString, SettingsError> {
        self.slack.app_token.as_ref().ok_or_else(|| {
            SettingsError::new(
                "slack.app_token",
                "is missing; set it to the app-level token (xapp-…)",
            )
        })
    }

    /// Deep link to a workflow in the Temporal web UI.
    pub fn workflow_url(&self, workflow_id: &str) -> String {
        workflow_url(&self.temporal.ui_url, &self.temporal.namespace, workflow_id)
    }
}

/// Deep link to a workflow in the Temporal web UI.
pub fn workflow_url(ui_url: &Url, namespace: &str, workflow_id: &str) -> String {
    let base = ui_url.as_str().trim_end_matches('/');
    let id: String = url::form_urlencoded::byte_serialize(workflow_id.as_bytes()).collect();
    format!("{base}/namespaces/{namespace}/workflows/{id}")
}

/// Redacts a secret for display: the prefix and a hint of length, never the value.
pub fn redact(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    let prefix: String = s.chars().take_while(|c| *c != '-').collect();
    format!("{prefix}-…({} chars)", s.len())
}

/// `owner/name`, or an error naming `key`.
fn owner_name(key: &str, r: String) -> Result<String, SettingsError> {
    if chatops_contract::ids::is_repository(&r) {
        Ok(r)
    } else {
        Err(SettingsError::new(
            key,
            format!("`{r}` must look like owner/name"),
        ))
    }
}

/// A JSON list of checks, each one checked.
fn parse_checks(
    key: &str,
    raw: &str,
) -> Result<Vec<chatops_contract::lifecycle::CheckSpec>, SettingsError> {
    let checks: Vec<chatops_contract::lifecycle::CheckSpec> = serde_json::from_str(raw)
        .map_err(|e| {
            SettingsError::new(
                key,
                format!(
                    "is not a JSON list of checks like [{{\"name\": \"unit_tests\", \"command\": \"cargo test\"}}] ({e})"
                ),
            )
        })?;
    let mut seen = BTreeSet::new();
    for c in &checks {
        if c.name.trim().is_empty() || c.command.trim().is_empty() {
            return Err(SettingsError::new(
                key,
                "every check needs a name and a command",
            ));
        }
        if !seen.insert(c.name.clone()) {
            return Err(SettingsError::new(
                key,
                format!("check `{}` appears twice", c.name),
            ));
        }
        if !(c.weight >= 0.0 && c.weight.is_finite()) {
            return Err(SettingsError::new(
                key,
                format!("check `{}` has a negative weight", c.name),
            ));
        }
    }
    Ok(checks)
}

/// `{"owner/name": {checks, threshold, min_coverage}}`, each entry checked.
fn parse_repositories(
    raw: &str,
) -> Result<std::collections::BTreeMap<String, serde_json::Value>, SettingsError> {
    const KEY: &str = "feature.repositories";
    let map: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_str(raw)
        .map_err(|e| {
            SettingsError::new(
                KEY,
                format!("is not a JSON object keyed by owner/name ({e})"),
            )
        })?;
    for (repo, v) in &map {
        owner_name(KEY, repo.clone())?;
        let Some(obj) = v.as_object() else {
            return Err(SettingsError::new(
                KEY,
                format!("`{repo}` must map to an object"),
            ));
        };
        for (k, inner) in obj {
            match k.as_str() {
                "checks" => {
                    parse_checks(KEY, &inner.to_string())?;
                }
                "threshold" | "min_coverage" => {
                    if !inner.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x)) {
                        return Err(SettingsError::new(
                            KEY,
                            format!("`{repo}`.{k} must be a number from 0 to 100"),
                        ));
                    }
                }
                other => {
                    return Err(SettingsError::new(
                        KEY,
                        format!(
                            "`{repo}` has unknown key `{other}` (checks, threshold, min_coverage)"
                        ),
                    ));
                }
            }
        }
    }
    Ok(map)
}

fn env_source(vars: std::collections::HashMap<String, String>) -> Environment {
    Environment::with_prefix("CHATOPS")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(false)
        .source(Some(
            vars.into_iter()
                .filter(|(k, _)| k.starts_with("CHATOPS__"))
                .collect(),
        ))
}

fn reject_unknown_keys(cfg: &Config) -> Result<(), SettingsError> {
    let known: BTreeSet<&str> = KEYS.iter().map(|(k, ..)| *k).collect();
    let table = cfg
        .clone()
        .try_deserialize::<std::collections::HashMap<String, config::Value>>()
        .unwrap_or_default();
    for (section, value) in table {
        let inner = value.into_table().ok();
        let Some(inner) = inner else {
            return Err(SettingsError::new(
                &section,
                "is not a known section; see README for the keys",
            ));
        };
        for key in inner.keys() {
            let full = format!("{section}.{key}");
            if !known.contains(full.as_str()) {
                return Err(SettingsError::new(
                    &full,
                    "is not a known setting; see README for the keys",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_env_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn defaults_are_embedded() {
        let s = load(&[]).expect("defaults load");
        assert_eq!(s.temporal.address.as_str(), "http://127.0.0.1:7233/");
        assert_eq!(s.temporal.task_queue, "chatops");
        assert_eq!(s.feature.intake_timeout, Duration::from_secs(48 * 3600));
        assert!(s.slack.bot_token.is_none());
        assert_eq!(
            s.bot_token().expect_err("missing").to_string(),
            "config error: CHATOPS__SLACK__BOT_TOKEN (slack.bot_token): is missing; set it to the app's bot token (xoxb-…)"
        );
    }

    #[test]
    fn env_overrides_defaults() {
        let s = load(&[
            ("CHATOPS__TEMPORAL__TASK_QUEUE", "q1"),
            ("CHATOPS__FEATURE__INTAKE_TIMEOUT", "90s"),
            ("CHATOPS__SLACK__BOT_TOKEN", "xoxb-1-2"),
        ])
        .expect("loads");
        assert_eq!(s.temporal.task_queue, "q1");
        assert_eq!(s.feature.intake_timeout, Duration::from_secs(90));
        assert_eq!(
            s.bot_token().map(|t| t.expose_secret().to_owned()),
            Ok("xoxb-1-2".to_owned())
        );
    }

    #[test]
    fn bad_values_name_their_key_in_one_line() {
        let table = [
            (
                "CHATOPS__TEMPORAL__ADDRESS",
                "not a url",
                "CHATOPS__TEMPORAL__ADDRESS (temporal.address): `not a url` is not a URL",
            ),
            (
                "CHATOPS__FEATURE__INTAKE_TIMEOUT",
                "soon",
                "CHATOPS__FEATURE__INTAKE_TIMEOUT (feature.intake_timeout): `soon` is not a duration",
            ),
            (
                "CHATOPS__SLACK__BOT_TOKEN",
                "xapp-wrong",
                "CHATOPS__SLACK__BOT_TOKEN (slack.bot_token): must start with `xoxb-`",
            ),
            (
                "CHATOPS__SLACK__SOCKET_CONNECTIONS",
                "11",
                "(slack.socket_connections): `11` must be a whole number from 1 to 10",
            ),
            (
                "CHATOPS__LOG__FORMAT",
                "xml",
                "(log.format): `xml` must be `pretty` or `json`",
            ),
            (
                "CHATOPS__SLACK__BOT_TOKN",
                "xoxb-1",
                "CHATOPS__SLACK__BOT_TOKN (slack.bot_tokn): is not a known setting",
            ),
            (
                "CHATOPS__TEMPORAL__NAMESPACE",
                " ",
                "(temporal.namespace): is empty",
            ),
            (
                "CHATOPS__INCIDENT__THRESHOLD",
                "70%",
                "(incident.threshold): `70%` must be a number from 0 to 1",
            ),
            (
                "CHATOPS__INCIDENT__AGENTS",
                "0",
                "(incident.agents): `0` must be a whole number from 1 to 10",
            ),
            (
                "CHATOPS__INCIDENT__AGENT_URL",
                "ftp://agents",
                "(incident.agent_url): `ftp://agents` must start with http://",
            ),
            (
                "CHATOPS__INCIDENT__CONTEXT_URLS",
                "http://metrics/{service}, nope",
                "(incident.context_urls): `nope` is not a URL",
            ),
            (
                "CHATOPS__INCIDENT__ESCALATION",
                "@oncall",
                "(incident.escalation): `@oncall` must be a Slack user id",
            ),
            (
                "CHATOPS__EMERGENCY__ONCALL",
                "U0ONE, @sre",
                "(emergency.oncall): `@sre` must be a Slack user id",
            ),
            (
                "CHATOPS__DATABASE__URL",
                "mysql://localhost/x",
                "(database.url): `mysql://localhost/x` must start with sqlite: or postgres:",
            ),
            (
                "CHATOPS__APPROVALS__APPROVERS",
                "U0ONE,everyone",
                "(approvals.approvers): `everyone` must be a Slack user id",
            ),
            (
                "CHATOPS__APPROVALS__REQUIRED",
                "11",
                "(approvals.required): `11` must be a whole number from 1 to 10",
            ),
            (
                "CHATOPS__APPROVALS__GATES",
                r#"{"deploy": {"required": 2}}"#,
                "(approvals.gates): `deploy` is not a gate",
            ),
            (
                "CHATOPS__APPROVALS__GATES",
                r#"{"production": {"approvers": "everyone"}}"#,
                "production.approvers: `everyone` must be a Slack user id",
            ),
            (
                "CHATOPS__APPROVALS__GATES",
                r#"{"plan": {"required": 0}}"#,
                "plan.required: `0` must be a whole number from 1 to 10",
            ),
            (
                "CHATOPS__APPROVALS__GATES",
                "not json",
                "(approvals.gates): must be a JSON object of gates",
            ),
            (
                "CHATOPS__INCIDENT__REPOSITORY",
                "just-a-name",
                "(incident.repository): `just-a-name` must look like owner/name",
            ),
            (
                "CHATOPS__ALERTS__TOKEN",
                "short",
                "(alerts.token): is shorter than 16 characters",
            ),
            (
                "CHATOPS__ALERTS__LISTEN",
                "anywhere",
                "(alerts.listen): `anywhere` is not an address",
            ),
        ];
        for (key, value, want) in table {
            let err = load(&[(key, value)]).expect_err(key).to_string();
            assert!(err.contains(want), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn incident_settings_default_and_combine() {
        let s = load(&[]).expect("defaults load");
        assert_eq!(s.incident.channel, s.slack.channel);
        assert_eq!(s.incident.agents, 3);
        assert_eq!(s.incident.agent_backend, AgentBackend::None);
        assert!((s.incident.threshold - 0.70).abs() < f64::EPSILON);
        assert!(s.alerts.token.is_none());
        let s = load(&[
            ("CHATOPS__INCIDENT__CHANNEL", "C0INCIDENT"),
            ("CHATOPS__INCIDENT__AGENT_COMMAND", "./diagnose"),
            (
                "CHATOPS__INCIDENT__CONTEXT_URLS",
                "http://m/{service}/metrics,http://l/logs",
            ),
        ])
        .expect("loads");
        assert_eq!(s.incident.channel, "C0INCIDENT");
        assert_eq!(
            s.incident.agent_backend,
            AgentBackend::Command("./diagnose".into())
        );
        assert_eq!(s.incident.context_urls.len(), 2);
        let both = load(&[
            ("CHATOPS__INCIDENT__AGENT_COMMAND", "./diagnose"),
            ("CHATOPS__INCIDENT__AGENT_URL", "http://agents"),
        ])
        .expect_err("both backends");
        assert!(both.to_string().contains("not both"), "{both}");
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = load(&[
            ("CHATOPS__SLACK__BOT_TOKEN", "xoxb-very-secret"),
            ("CHATOPS__ALERTS__TOKEN", "alert-token-very-secret"),
            ("CHATOPS__GITHUB__TOKEN", "ghp_verysecret"),
            (
                "CHATOPS__DATABASE__URL",
                "postgres://chatops:db-very-secret@127.0.0.1/chatops",
            ),
        ])
        .expect("loads");
        let debug = format!("{s:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        assert_eq!(redact(s.bot_token().expect("set")), "xoxb-…(16 chars)");
    }

    #[test]
    fn readme_documents_every_key() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
            .expect("README.md");
        for (key, ..) in KEYS {
            assert!(
                readme.contains(&env_key(key)),
                "README.md does not document {}",
                env_key(key)
            );
        }
    }

    #[test]
    fn workflow_links_are_escaped() {
        let ui = Url::parse("http://127.0.0.1:8233/").expect("url");
        assert_eq!(
            workflow_url(&ui, "default", "feature-a/testing"),
            "http://127.0.0.1:8233/namespaces/default/workflows/feature-a%2Ftesting"
        );
    }
}
