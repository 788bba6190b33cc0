//! `[incident]`: incident response — where cards go, the diagnostic agents and the consensus
//! they must reach, who is called, the rollback command, the context fetched before diagnosis,
//! where hotfix and postmortem pull requests go, and how long a monitor run lasts.

use super::{
    SettingsError,
    parse::{self, Parsed},
    source::{Source, not_both},
};
use std::time::Duration;
use url::Url;

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
    /// User and user group ids who may act on any incident (with its commander and the people
    /// on call).
    pub responders: Vec<String>,
    pub rollback_command: Option<String>,
    /// `owner/name` for hotfix and postmortem pull requests.
    pub repository: Option<String>,
    pub postmortem_path: Option<String>,
    pub checks_timeout: Duration,
    pub checks_interval: Duration,
    /// Validated URLs, `{service}` placeholder kept.
    pub context_urls: Vec<String>,
    pub monitor_events: u32,
    /// History events an incident's run may reach before it continues as new.
    pub history_events: u32,
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

impl IncidentSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            channel: match src.optional_text("incident.channel")? {
                Some(_) => src.get("incident.channel", parse::name)?,
                None => src.get("slack.channel", parse::name)?,
            },
            agents: src.get("incident.agents", parse::count(10))?,
            agent_backend: AgentBackend::read(src)?,
            agent_timeout: src.get("incident.agent_timeout", parse::duration)?,
            threshold: src.get("incident.threshold", parse::fraction)?,
            similarity: src.get("incident.similarity", parse::fraction)?,
            choose_timeout: src.get("incident.choose_timeout", parse::duration)?,
            escalation: src.optional("incident.escalation", parse::mention)?,
            responders: src
                .optional("incident.responders", parse::principals)?
                .unwrap_or_default(),
            rollback_command: src.optional_text("incident.rollback_command")?,
            repository: src.optional("incident.repository", parse::repository)?,
            postmortem_path: src.optional("incident.postmortem_path", |p| {
                Ok(p.trim_matches('/').to_owned())
            })?,
            checks_timeout: src.get("incident.checks_timeout", parse::duration)?,
            checks_interval: src.get("incident.checks_interval", parse::duration)?,
            context_urls: src
                .optional("incident.context_urls", context_urls)?
                .unwrap_or_default(),
            monitor_events: src.get("incident.monitor_events", parse::count(100_000))?,
            history_events: match src.get("incident.history_events", parse::count(40_000))? {
                n if n < 100 => {
                    return Err(SettingsError::new(
                        "incident.history_events",
                        format!(
                            "`{n}` is too few: a run needs about 100 events to make progress; use 100 to 40000"
                        ),
                    ));
                }
                n => n,
            },
        })
    }
}

impl AgentBackend {
    /// `incident.agent_url` or `incident.agent_command`, not both.
    fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        const URL: &str = "incident.agent_url";
        const COMMAND: &str = "incident.agent_command";
        let url = src.optional_text(URL)?;
        let command = src.optional_text(COMMAND)?;
        not_both(URL, url.is_some(), COMMAND, command.is_some())?;
        Ok(match (url, command) {
            (Some(_), _) => Self::Http(src.get(URL, parse::http_url)?),
            (None, Some(cmd)) => Self::Command(cmd),
            (None, None) => Self::None,
        })
    }
}

/// Comma-separated `http(s)` URLs that may hold `{service}` in their path or query; kept with
/// the placeholder, as the worker substitutes the service per incident. The host is fixed, so
/// an alert's service can never send the worker to another host.
pub(super) fn context_urls(v: &str) -> Parsed<Vec<String>> {
    const MARK: &str = "chatops-service-placeholder";
    parse::list(v)?
        .into_iter()
        .map(|part| {
            let u = Url::parse(&part.replace("{service}", MARK))
                .map_err(|e| format!("`{part}` is not a URL ({e})"))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(format!("`{part}` must start with http:// or https://"));
            }
            let in_authority = u.host_str().is_some_and(|h| h.contains(MARK))
                || u.username().contains(MARK)
                || u.password().is_some_and(|p| p.contains(MARK));
            if in_authority {
                return Err(format!(
                    "`{part}`: `{{service}}` may stand in the path or query only, not in the host"
                ));
            }
            Ok(part)
        })
        .collect()
}
