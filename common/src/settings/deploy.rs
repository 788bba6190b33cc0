//! `[deploy]`: how staging and production are deployed (a command or a webhook), how each is
//! watched afterwards, and when the watch rolls back. Each environment's keys share a prefix
//! (`deploy.staging_…`, `deploy.production_…`) and are read by one function.

use super::{
    SettingsError, parse,
    source::{Source, not_both},
};
use crate::windows::DeployWindows;
use chatops_contract::feature::Environment;
use std::time::Duration;
use url::Url;

/// One environment of `[deploy]`.
#[derive(Debug, Clone, Default)]
pub struct DeployEnvSettings {
    pub command: Option<String>,
    pub webhook: Option<Url>,
    pub health_url: Option<Url>,
    pub metrics_url: Option<Url>,
    /// Answers the commit the environment runs now (what a rollback redeploys).
    pub version_url: Option<Url>,
    pub interval: Duration,
    pub window: Duration,
    /// When deploys may start (`deploy.<env>_windows`); any time when `None`.
    pub windows: Option<DeployWindows>,
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

impl DeploySettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            staging: DeployEnvSettings::read(src, Environment::Staging.as_str())?,
            production: DeployEnvSettings::read(src, Environment::Production.as_str())?,
            down_migration_command: src.optional_text("deploy.down_migration_command")?,
            max_failures: src.get("deploy.max_failures", parse::count(1000))?,
            error_rate_factor: src.get("deploy.error_rate_factor", parse::factor)?,
            latency_factor: src.get("deploy.latency_factor", parse::factor)?,
        })
    }
}

impl DeployEnvSettings {
    /// The `deploy.<env>_…` keys.
    fn read(src: &Source<'_>, env: &str) -> Result<Self, SettingsError> {
        let key = |k: &str| format!("deploy.{env}_{k}");
        let command = src.optional_text(&key("command"))?;
        let webhook = src.optional(&key("webhook"), parse::http_url)?;
        not_both(
            &key("command"),
            command.is_some(),
            &key("webhook"),
            webhook.is_some(),
        )?;
        Ok(Self {
            command,
            webhook,
            health_url: src.optional(&key("health_url"), parse::http_url)?,
            metrics_url: src.optional(&key("metrics_url"), parse::http_url)?,
            version_url: src.optional(&key("version_url"), parse::http_url)?,
            interval: src.get(&key("interval"), parse::duration)?,
            window: src.get(&key("window"), parse::duration)?,
            windows: src.optional(&key("windows"), DeployWindows::parse)?,
        })
    }
}
