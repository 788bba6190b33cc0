//! `[agent]`: the delivery agents the worker asks to plan and write code — a first and an
//! alternative endpoint (an OpenAI-compatible URL or a command), and how long and how often
//! each is tried.

use super::{
    SettingsError, parse,
    source::{Source, not_both},
};
use secrecy::SecretString;
use std::{fmt, time::Duration};
use url::Url;

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

impl AgentSettings {
    pub(super) fn read(src: &Source<'_>) -> Result<Self, SettingsError> {
        Ok(Self {
            primary: endpoint(src, "agent.url", "agent.command")?,
            alternative: endpoint(src, "agent.alternative_url", "agent.alternative_command")?,
            timeout: src.get("agent.timeout", parse::duration)?,
            attempts: src.get("agent.attempts", parse::count(10))?,
        })
    }
}

/// The endpoint `url_key` or `command_key` names, if either. `agent.model` and
/// `agent.api_key` are only read for a URL, so they cannot fail a command-only setup.
fn endpoint(
    src: &Source<'_>,
    url_key: &str,
    command_key: &str,
) -> Result<Option<AgentEndpointSettings>, SettingsError> {
    let url = src.optional_text(url_key)?;
    let command = src.optional_text(command_key)?;
    not_both(url_key, url.is_some(), command_key, command.is_some())?;
    if url.is_none() {
        return Ok(command.map(AgentEndpointSettings::Command));
    }
    Ok(Some(AgentEndpointSettings::Http {
        url: src.get(url_key, parse::http_url)?,
        model: src.text("agent.model")?,
        key: src.optional("agent.api_key", parse::secret)?,
    }))
}
