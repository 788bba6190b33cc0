//! Typed settings: embedded defaults → optional `chatops.toml` → `CHATOPS__SECTION__KEY` env.
//!
//! Every value is validated once at start; the first bad one fails with a single line naming
//! its env key and its file key. The keys, their defaults and meanings are one table
//! ([`KEYS`]); each section is a module that reads its keys through `Source` (`source.rs`) with the
//! parsers in `parse.rs`, so a section reads as a list of keys and what each must be.

mod agent;
mod alerts;
mod approvals;
mod audit;
mod codec;
mod database;
mod deploy;
mod emergency;
mod error;
mod feature;
mod github;
mod incident;
mod keys;
mod log;
mod parse;
mod quality;
mod shell;
mod slack;
mod source;
mod temporal;
mod worker;
mod workspace;

#[cfg(test)]
mod tests;

pub use agent::{AgentEndpointSettings, AgentSettings};
pub use alerts::AlertSettings;
pub use approvals::{ApprovalSettings, GateApprovalSettings};
pub use audit::AuditSettings;
pub use codec::CodecSettings;
pub use database::DatabaseSettings;
pub use deploy::{DeployEnvSettings, DeploySettings};
pub use emergency::EmergencySettings;
pub use error::{SettingsError, env_key};
pub use feature::FeatureSettings;
pub use github::GitHubSettings;
pub use incident::{AgentBackend, IncidentSettings};
pub use keys::KEYS;
pub use log::{LogFormat, LogSettings};
pub use shell::ShellSettings;
pub use slack::SlackSettings;
pub use temporal::{ClientCertificate, TemporalSettings, TemporalTls, workflow_url};
pub use worker::WorkerSettings;
pub use workspace::WorkspaceSettings;

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use source::Source;
use std::{collections::HashMap, path::PathBuf};

/// Env var naming a settings file other than `./chatops.toml`.
pub const CONFIG_FILE_ENV: &str = "CHATOPS_CONFIG";

/// All settings of both processes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Temporal connection.
    pub temporal: TemporalSettings,
    /// Payload encryption and the codec server.
    pub codec: CodecSettings,
    /// Slack connection.
    pub slack: SlackSettings,
    /// The bot's store.
    pub database: DatabaseSettings,
    /// The audit log's failure mode.
    pub audit: AuditSettings,
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
    /// The worker's checkouts.
    pub workspace: WorkspaceSettings,
    /// The local shell adapter.
    pub shell: ShellSettings,
    /// Logging.
    pub log: LogSettings,
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
        let cfg = Config::builder()
            .add_source(
                File::from(file.clone())
                    .format(FileFormat::Toml)
                    .required(false),
            )
            .add_source(env_source(with_temporal_profile(
                std::env::vars().collect(),
            )?))
            .build()
            .map_err(|e| SettingsError::new("", format!("cannot read {}: {e}", file.display())))?;
        Self::from_config(&cfg)
    }

    /// Loads settings from the defaults and the given `CHATOPS__…` variables only (tests).
    pub fn from_env_map(vars: HashMap<String, String>) -> Result<Self, SettingsError> {
        let cfg = Config::builder()
            .add_source(env_source(with_temporal_profile(vars)?))
            .build()
            .map_err(|e| SettingsError::new("", e.to_string()))?;
        Self::from_config(&cfg)
    }

    /// Refuses unknown keys, then reads the sections in order; the first bad value wins.
    fn from_config(cfg: &Config) -> Result<Self, SettingsError> {
        reject_unknown_keys(cfg)?;
        let src = Source::new(cfg);
        let temporal = TemporalSettings::read(&src)?;
        Ok(Self {
            codec: CodecSettings::read(&src, &temporal.ui_url)?,
            temporal,
            slack: SlackSettings::read(&src)?,
            database: DatabaseSettings::read(&src)?,
            audit: AuditSettings::read(&src)?,
            approvals: ApprovalSettings::read(&src)?,
            github: GitHubSettings::read(&src)?,
            feature: FeatureSettings::read(&src)?,
            agent: AgentSettings::read(&src)?,
            deploy: DeploySettings::read(&src)?,
            incident: IncidentSettings::read(&src)?,
            emergency: EmergencySettings::read(&src)?,
            alerts: AlertSettings::read(&src)?,
            worker: WorkerSettings::read(&src)?,
            workspace: WorkspaceSettings::read(&src)?,
            shell: ShellSettings::read(&src)?,
            log: LogSettings::read(&src)?,
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

/// Redacts a secret for display: the prefix and a hint of length, never the value.
pub fn redact(secret: &SecretString) -> String {
    let s = secret.expose_secret();
    let prefix: String = s.chars().take_while(|c| *c != '-').collect();
    format!("{prefix}-…({} chars)", s.len())
}

/// The `CHATOPS__SECTION__KEY` layer; values stay strings so each parser sees what was typed.
/// Temporal's standard environment variables, each read as the `CHATOPS__TEMPORAL__…` key it
/// means when that key is not set itself.
const TEMPORAL_PROFILE: &[(&str, &str)] = &[
    ("TEMPORAL_ADDRESS", "CHATOPS__TEMPORAL__ADDRESS"),
    ("TEMPORAL_NAMESPACE", "CHATOPS__TEMPORAL__NAMESPACE"),
    ("TEMPORAL_API_KEY", "CHATOPS__TEMPORAL__API_KEY"),
    ("TEMPORAL_TLS", "CHATOPS__TEMPORAL__TLS"),
    (
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "CHATOPS__TEMPORAL__TLS_CA_FILE",
    ),
    (
        "TEMPORAL_TLS_SERVER_NAME",
        "CHATOPS__TEMPORAL__TLS_SERVER_NAME",
    ),
    (
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "CHATOPS__TEMPORAL__TLS_CERT_FILE",
    ),
    (
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        "CHATOPS__TEMPORAL__TLS_KEY_FILE",
    ),
];

/// Temporal variables chatops does not read, and what to set instead.
const TEMPORAL_UNREAD: &[(&str, &str)] = &[
    (
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        "put the PEM in a file and set TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    ),
    (
        "TEMPORAL_TLS_CLIENT_CERT_DATA",
        "put the PEM in a file and set TEMPORAL_TLS_CLIENT_CERT_PATH",
    ),
    (
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        "put the PEM in a file and set TEMPORAL_TLS_CLIENT_KEY_PATH",
    ),
    (
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
        "chatops always verifies the server; set TEMPORAL_TLS_SERVER_NAME to the name its certificate carries",
    ),
    (
        "TEMPORAL_PROFILE",
        "set the TEMPORAL_* or CHATOPS__TEMPORAL__* variables of that profile instead",
    ),
    (
        "TEMPORAL_CONFIG_FILE",
        "set the TEMPORAL_* or CHATOPS__TEMPORAL__* variables instead",
    ),
];

/// `vars` with Temporal's standard variables read as the keys they mean (a
/// `CHATOPS__TEMPORAL__…` key set itself wins); a Temporal variable chatops does not read is
/// refused with what to set instead, rather than ignored.
fn with_temporal_profile(
    mut vars: HashMap<String, String>,
) -> Result<HashMap<String, String>, SettingsError> {
    for (name, instead) in TEMPORAL_UNREAD {
        if vars.get(*name).is_some_and(|v| !v.trim().is_empty()) {
            return Err(SettingsError::new(
                "",
                format!("{name} is set, but chatops does not read it: {instead}"),
            ));
        }
    }
    for (standard, ours) in TEMPORAL_PROFILE {
        let Some(value) = vars
            .get(*standard)
            .filter(|v| !v.trim().is_empty())
            .cloned()
        else {
            continue;
        };
        if vars.contains_key(*ours) {
            continue;
        }
        // Temporal's address is `host:port`; ours is a URL.
        let value = if *standard == "TEMPORAL_ADDRESS" && !value.contains("://") {
            format!("http://{value}")
        } else {
            value
        };
        vars.insert((*ours).to_owned(), value);
    }
    Ok(vars)
}

fn env_source(vars: HashMap<String, String>) -> Environment {
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

/// A typo'd key would otherwise be ignored silently and its default used.
fn reject_unknown_keys(cfg: &Config) -> Result<(), SettingsError> {
    let table = cfg
        .clone()
        .try_deserialize::<HashMap<String, config::Value>>()
        .unwrap_or_default();
    for (section, value) in table {
        let Some(inner) = value.into_table().ok() else {
            return Err(SettingsError::new(
                &section,
                "is not a known section; see README for the keys",
            ));
        };
        for key in inner.keys() {
            let full = format!("{section}.{key}");
            if !keys::is_known(&full) {
                return Err(SettingsError::new(
                    &full,
                    "is not a known setting; see README for the keys",
                ));
            }
        }
    }
    Ok(())
}
